//! Project scoping for project data: which rows a caller may list, and the
//! team and role checks on one row's project.

use super::{Condition, Ctx};
use crate::error::{ApiError, ApiResult};
use serde_json::Value as Json;
use tusk_actors::role::Role;
use uuid::Uuid;

/// The projects whose team the person is in; only open ones when `open_only`.
/// The statuses of an open project, as SQL selecting their ids (Zou's
/// default is `Open`; `Active` and `open` are accepted too).
macro_rules! open_statuses_sql {
    () => {
        "SELECT id FROM project_status WHERE lower(name) IN ('open', 'active')"
    };
}
pub(crate) use open_statuses_sql;

pub fn team_projects(person: Uuid, open_only: bool) -> Condition {
    let open = if open_only {
        concat!(" AND p.project_status_id IN (", open_statuses_sql!(), ")")
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

/// A task with what access checks need: project, entity, task type, entity creator.
pub async fn load_task(ctx: &Ctx<'_>, task: &Json) -> ApiResult<crate::db::Row> {
    ctx.db()
        .fetch_optional(
            "SELECT t.id, t.project_id, t.entity_id, t.task_type_id, e.created_by AS entity_creator \
             FROM task t JOIN entity e ON e.id = t.entity_id WHERE t.id = $1",
            &[super::id_of(task)?],
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// Whether the caller is assigned to a task on this entity (how vendors reach it).
pub async fn assigned_on_entity(ctx: &Ctx<'_>, entity: &Json) -> ApiResult<bool> {
    Ok(ctx
        .db()
        .fetch_optional(
            "SELECT t.id FROM task t JOIN task_person_link a ON a.task_id = t.id \
             WHERE t.entity_id = $1 AND a.person_id = $2 LIMIT 1",
            &[super::id_of(entity)?, ctx.identity.person.id.into()],
            None,
        )
        .await?
        .is_some())
}

/// Whether the caller is assigned to this task.
pub async fn assigned_to(ctx: &Ctx<'_>, task: &Json) -> ApiResult<bool> {
    Ok(ctx
        .db()
        .fetch_optional(
            "SELECT task_id FROM task_person_link WHERE task_id = $1 AND person_id = $2",
            &[super::id_of(task)?, ctx.identity.person.id.into()],
            None,
        )
        .await?
        .is_some())
}

/// Zou's task access: the team of the task's project, and for vendors an
/// assignment on the task's entity. Returns the role and the task.
pub async fn task_access(ctx: &Ctx<'_>, task: &Json) -> ApiResult<(Role, crate::db::Row)> {
    let task = load_task(ctx, task).await?;
    let role = team_role(ctx, task.get("project_id")).await?;
    if role == Role::Vendor && !assigned_on_entity(ctx, &task["entity_id"]).await? {
        return Err(ApiError::Forbidden);
    }
    Ok((role, task))
}

/// Whether the caller supervises the department of this task type (or has no department).
pub async fn supervises_task_type(ctx: &Ctx<'_>, task_type: &Json) -> ApiResult<bool> {
    let departments = ctx.identity.person.department_ids(ctx.db()).await?;
    if departments.is_empty() {
        return Ok(true);
    }
    let department = ctx
        .db()
        .fetch_optional(
            "SELECT department_id FROM task_type WHERE id = $1",
            &[super::id_of(task_type)?],
            None,
        )
        .await?
        .and_then(|row| row["department_id"].as_str().map(str::to_string));
    Ok(department.is_some_and(|d| departments.contains(&d)))
}

/// Zou's task action access (comment, upload, edit working files): managers
/// and clients of the team; others when assigned, supervising the task's
/// department, or having created its entity.
pub async fn task_action_access(ctx: &Ctx<'_>, task: &Json) -> ApiResult<Role> {
    let (role, task) = task_access(ctx, task).await?;
    let allowed = match role {
        Role::Admin | Role::Manager | Role::Client => true,
        _ if assigned_to(ctx, &task["id"]).await? => true,
        _ if task["entity_creator"].as_str()
            == Some(ctx.identity.person.id.to_string().as_str()) =>
        {
            true
        }
        Role::Supervisor => supervises_task_type(ctx, &task["task_type_id"]).await?,
        _ => false,
    };
    if allowed {
        Ok(role)
    } else {
        Err(ApiError::Forbidden)
    }
}
