//! Project scoping for project data: which rows a caller may list, and the
//! team and role checks on one row's project.

use super::{Condition, Ctx};
use crate::error::{ApiError, ApiResult};
use serde_json::Value as Json;
use tusk_actors::role::Role;
use uuid::Uuid;

/// The projects whose team the person is in; only open ones when `open_only`.
pub fn team_projects(person: Uuid, open_only: bool) -> Condition {
    let open = if open_only {
        " AND p.project_status_id IN (SELECT id FROM project_status WHERE name = 'Open')"
    } else {
        ""
    };
    Condition::new(
        format!(
            "SELECT l.project_id FROM project_person_link l JOIN project p ON p.id = l.project_id \
             WHERE l.person_id = ?{open}"
        ),
        vec![person.into()],
    )
}

/// Rows whose `column` is an open project of the caller's team; `None` for
/// admins, who see everything.
pub fn in_open_team_projects(ctx: &Ctx<'_>, column: &str) -> Option<Condition> {
    if ctx.identity.is_admin() {
        return None;
    }
    let projects = team_projects(ctx.identity.person.id, true);
    Some(Condition::new(
        format!("{column} IN ({})", projects.sql),
        projects.params,
    ))
}

/// A project id from a row or a request body.
pub fn project_id(value: Option<&Json>) -> Option<Uuid> {
    value
        .and_then(Json::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The caller's role in the project, or 403 when they are not in its team.
pub async fn team_role(ctx: &Ctx<'_>, project: Option<&Json>) -> ApiResult<Role> {
    match project_id(project) {
        Some(project) => ctx.identity.project_role(ctx.db(), project).await,
        None if ctx.identity.is_admin() => Ok(Role::Admin),
        None => Err(ApiError::Forbidden),
    }
}

/// Manager rights on the project (admins always); a create that names no
/// project is refused for non-admins and left to the database's checks for admins.
pub async fn require_manager(ctx: &Ctx<'_>, project: Option<&Json>) -> ApiResult<()> {
    if ctx.identity.is_admin() {
        return Ok(());
    }
    let project = project_id(project)
        .ok_or_else(|| ApiError::invalid_field("project_id", "Field required"))?;
    ctx.identity
        .require_project_manager(ctx.db(), project)
        .await?;
    Ok(())
}

/// Team membership with a role the rule accepts.
pub async fn require_role(
    ctx: &Ctx<'_>,
    project: Option<&Json>,
    allowed: impl Fn(Role) -> bool,
) -> ApiResult<Role> {
    let role = team_role(ctx, project).await?;
    if allowed(role) {
        Ok(role)
    } else {
        Err(ApiError::Forbidden)
    }
}
