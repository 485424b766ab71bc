//! Studio reference data: everyone reads it, admins write it.

use crate::crud::{Condition, Ctx, Hooks, Model, Relation};
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use tusk_actors::role::Role;

/// Readable by every authenticated person; written by admins.
pub struct Everyone;

#[async_trait]
impl Hooks for Everyone {
    async fn list_scope(&self, _ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        Ok(None)
    }

    async fn check_read(&self, _ctx: &Ctx<'_>, _row: &Row) -> ApiResult<()> {
        Ok(())
    }
}

/// Lists are closed to vendors (custom actions, status automations); reads by
/// id stay admin only, as in Zou.
pub struct NotVendors;

fn refuse_vendors(ctx: &Ctx<'_>) -> ApiResult<()> {
    if ctx.identity.person.role == Role::Vendor {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

#[async_trait]
impl Hooks for NotVendors {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        refuse_vendors(ctx)?;
        Ok(None)
    }
}

/// Admin only, for reading too.
pub struct AdminOnly;

impl Hooks for AdminOnly {}

const fn model(
    route: &'static str,
    table: &'static str,
    type_name: &'static str,
    hooks: &'static (dyn Hooks + Sync),
) -> Model {
    Model {
        route,
        table,
        type_name,
        relations: &[],
        hooks,
        event: None,
    }
}

pub static DEPARTMENTS: Model = model("departments", "department", "Department", &Everyone);
pub static FILE_STATUS: Model = model("file-status", "file_status", "FileStatus", &Everyone);
pub static OUTPUT_TYPES: Model = model("output-types", "output_type", "OutputType", &Everyone);
pub static PROJECT_STATUS: Model = model(
    "project-status",
    "project_status",
    "ProjectStatus",
    &Everyone,
);
pub static SOFTWARES: Model = model("softwares", "software", "Software", &Everyone);
pub static STUDIOS: Model = model("studios", "studio", "Studio", &Everyone);
pub static TASK_STATUS: Model = model("task-status", "task_status", "TaskStatus", &Everyone);
pub static TASK_TYPES: Model = model("task-types", "task_type", "TaskType", &Everyone);
pub static HARDWARE_ITEMS: Model = model(
    "hardware-items",
    "hardware_item",
    "HardwareItem",
    &AdminOnly,
);
pub static CUSTOM_ACTIONS: Model = model(
    "custom-actions",
    "custom_action",
    "CustomAction",
    &NotVendors,
);
pub static STATUS_AUTOMATIONS: Model = model(
    "status-automations",
    "status_automation",
    "StatusAutomation",
    &NotVendors,
);

pub static ENTITY_TYPES: Model = Model {
    relations: &[Relation {
        key: "task_types",
        table: "task_type_asset_type_link",
        own: "asset_type_id",
        other: "task_type_id",
        writable: true,
    }],
    event: Some("asset-type"),
    ..model("entity-types", "entity_type", "EntityType", &Everyone)
};
