//! The one permission API: every route asks these questions of its [`Identity`].
//!
//! As in Zou, "in the project" means being in its team (`project_person_link`),
//! admins pass every check, and a per-project role overrides the studio role
//! only within that project. A refusal is always the same 403, whether the
//! caller has the wrong role or is not in the team, so it reveals nothing.

use crate::auth::Identity;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use serde_json::Value as Json;
use tusk_actors::role::Role;
use uuid::Uuid;

impl Identity {
    pub fn is_admin(&self) -> bool {
        self.person.role == Role::Admin
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Studio-wide manager rights (admins and managers).
    pub fn require_manager(&self) -> ApiResult<()> {
        if self.person.role.is_manager_or_above() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The caller's role in the project, or 403 when they are not in its team.
    pub async fn project_role(&self, db: &Db, project_id: Uuid) -> ApiResult<Role> {
        if self.is_admin() {
            return Ok(Role::Admin);
        }
        let link = db
            .fetch_optional(
                "SELECT role FROM project_person_link WHERE project_id = $1 AND person_id = $2",
                &[project_id.into(), self.person.id.into()],
                None,
            )
            .await?
            .ok_or(ApiError::Forbidden)?;
        let project_role = link
            .get("role")
            .and_then(Json::as_str)
            .and_then(|role| role.parse().ok());
        Ok(self.person.role.in_project(project_role))
    }

    /// Passes when the caller is in the team with a role `allowed` accepts.
    pub async fn require_project_role(
        &self,
        db: &Db,
        project_id: Uuid,
        allowed: impl Fn(Role) -> bool,
    ) -> ApiResult<Role> {
        let role = self.project_role(db, project_id).await?;
        if allowed(role) {
            Ok(role)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Manager rights in this project: Zou's "mgr-in-proj".
    pub async fn require_project_manager(&self, db: &Db, project_id: Uuid) -> ApiResult<Role> {
        self.require_project_role(db, project_id, Role::is_manager_or_above)
            .await
    }
}
