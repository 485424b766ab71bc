//! Studio reference data: everyone reads it, admins write it.

use crate::crud::{Condition, Ctx, Fixed, Hooks, Model, Relation, View};
use crate::db::{Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tusk_actors::role::Role;

/// Readable by every authenticated person; written by admins.
pub struct Everyone;

#[async_trait]
impl Hooks for Everyone {
    fn readable_by_all(&self) -> bool {
        true
    }
}

fn refuse_vendors(ctx: &Ctx<'_>) -> ApiResult<()> {
    if ctx.identity.person.role == Role::Vendor {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

const ARCHIVED: (&str, Fixed) = ("archived", Fixed::Bool(false));
const COSTS: [(&str, Fixed); 3] = [
    ARCHIVED,
    ("monthly_cost", Fixed::Int(0)),
    ("inventory_amount", Fixed::Int(0)),
];

const fn everyone(route: &'static str, table: &'static str, type_name: &'static str) -> Model {
    Model {
        hooks: &Everyone,
        ..Model::new(route, table, type_name)
    }
}

pub static DEPARTMENTS: Model = Model {
    defaults: &[ARCHIVED],
    ..everyone("departments", "department", "Department")
};
pub static FILE_STATUS: Model = everyone("file-status", "file_status", "FileStatus");
pub static OUTPUT_TYPES: Model = everyone("output-types", "output_type", "OutputType");
pub static PROJECT_STATUS: Model = everyone("project-status", "project_status", "ProjectStatus");
pub static SOFTWARES: Model = Model {
    defaults: &COSTS,
    ..everyone("softwares", "software", "Software")
};
pub static STUDIOS: Model = Model {
    defaults: &[ARCHIVED],
    ..everyone("studios", "studio", "Studio")
};
/// Hardware is inventory: admins only, for reading too.
pub static HARDWARE_ITEMS: Model = Model {
    defaults: &COSTS,
    ..Model::new("hardware-items", "hardware_item", "HardwareItem")
};

/// Entity types: names are unique whatever their case.
struct EntityTypes;

#[async_trait]
impl Hooks for EntityTypes {
    fn readable_by_all(&self) -> bool {
        true
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(name) = data.get("name").and_then(Json::as_str) {
            if name_taken(tx, "entity_type", name, None).await? {
                return Err(ApiError::bad_request(
                    "Entity type with this name already exists",
                ));
            }
        }
        Ok(())
    }

    fn relations_after_update(&self) -> bool {
        true
    }
}

/// Whether another row of `table` has this name, ignoring case.
async fn name_taken(
    tx: &mut Tx,
    table: &str,
    name: &str,
    except: Option<&Json>,
) -> ApiResult<bool> {
    let rows = tx
        .fetch_all(
            &format!("SELECT id FROM {table} WHERE lower(name) = lower($1)"),
            &[name.into()],
            None,
        )
        .await?;
    Ok(rows.iter().any(|row| Some(&row["id"]) != except))
}

pub static ENTITY_TYPES: Model = Model {
    relations: &[Relation {
        key: "task_types",
        table: "task_type_asset_type_link",
        own: "asset_type_id",
        other: "task_type_id",
        writable: true,
    }],
    hooks: &EntityTypes,
    event: Some("asset-type"),
    defaults: &[ARCHIVED],
    ..Model::new("entity-types", "entity_type", "EntityType")
};

/// Task statuses: one default status at a time.
struct TaskStatuses;

async fn clear_other_defaults(
    tx: &mut Tx,
    data: &Map<String, Json>,
    except: Option<&Json>,
) -> ApiResult<()> {
    if data.get("is_default") == Some(&Json::Bool(true)) {
        let except = except
            .and_then(Json::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id).ok());
        tx.execute(
            "UPDATE task_status SET is_default = FALSE WHERE is_default = TRUE AND id <> $1",
            &[except.map_or(Value::Uuid(uuid::Uuid::nil()), Value::Uuid)],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl Hooks for TaskStatuses {
    fn readable_by_all(&self) -> bool {
        true
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        clear_other_defaults(tx, data, None).await
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        clear_other_defaults(tx, data, row.get("id")).await
    }
}

pub static TASK_STATUS: Model = Model {
    hooks: &TaskStatuses,
    defaults: &[
        ARCHIVED,
        ("priority", Fixed::Int(1)),
        ("is_done", Fixed::Bool(false)),
        ("is_artist_allowed", Fixed::Bool(true)),
        ("is_client_allowed", Fixed::Bool(true)),
        ("is_retake", Fixed::Bool(false)),
        ("is_feedback_request", Fixed::Bool(false)),
        ("is_default", Fixed::Bool(false)),
        ("is_wip", Fixed::Bool(false)),
        ("for_concept", Fixed::Bool(false)),
    ],
    ..Model::new("task-status", "task_status", "TaskStatus")
};

/// Task types: names unique whatever their case; deleting one used by
/// projects or schedules needs `force`.
struct TaskTypes;

const SIMILAR_TASK_TYPE: &str = "A task type with similar name already exists";

#[async_trait]
impl Hooks for TaskTypes {
    fn readable_by_all(&self) -> bool {
        true
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(name) = data.get("name").and_then(Json::as_str) {
            if name_taken(tx, "task_type", name, None).await? {
                return Err(ApiError::bad_request(SIMILAR_TASK_TYPE));
            }
        }
        Ok(())
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(name) = data.get("name").and_then(Json::as_str) {
            if Some(name) != row.get("name").and_then(Json::as_str)
                && name_taken(tx, "task_type", name, row.get("id")).await?
            {
                return Err(ApiError::bad_request(SIMILAR_TASK_TYPE));
            }
        }
        Ok(())
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        force: bool,
    ) -> ApiResult<()> {
        let id = Value::from_json(crate::db::ColumnKind::Uuid, &row["id"])
            .map_err(ApiError::internal)?;
        let mut attached = Vec::new();
        for (table, what) in [
            ("schedule_item", "schedule items"),
            ("project_task_type_link", "projects"),
        ] {
            let used = tx
                .fetch_optional(
                    &format!("SELECT task_type_id FROM {table} WHERE task_type_id = $1 LIMIT 1"),
                    std::slice::from_ref(&id),
                    None,
                )
                .await?
                .is_some();
            if used {
                if force {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE task_type_id = $1"),
                        std::slice::from_ref(&id),
                    )
                    .await?;
                } else {
                    attached.push(what);
                }
            }
        }
        if attached.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "Task type is attached to {}. Re-issue the request with force=true to detach.",
                attached.join(" and ")
            )))
        }
    }
}

pub static TASK_TYPES: Model = Model {
    hooks: &TaskTypes,
    defaults: &[
        ARCHIVED,
        ("color", Fixed::Text("#FFFFFF")),
        ("priority", Fixed::Int(1)),
        ("for_entity", Fixed::Text("Asset")),
        ("allow_timelog", Fixed::Bool(true)),
    ],
    ..Model::new("task-types", "task_type", "TaskType")
};

/// Custom actions: listed by all but vendors, read one by one by admins.
struct CustomActions;

#[async_trait]
impl Hooks for CustomActions {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        refuse_vendors(ctx)?;
        Ok(None)
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data.get("name").is_none_or(Json::is_null) {
            return Err(ApiError::bad_request(
                "The 'name' field is required and cannot be None.",
            ));
        }
        Ok(())
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data.get("name").is_some_and(Json::is_null) {
            return Err(ApiError::bad_request(
                "The 'name' field cannot be set to None.",
            ));
        }
        Ok(())
    }
}

pub static CUSTOM_ACTIONS: Model = Model {
    hooks: &CustomActions,
    defaults: &[
        ("entity_type", Fixed::Text("all")),
        ("is_ajax", Fixed::Bool(false)),
    ],
    ..Model::new("custom-actions", "custom_action", "CustomAction")
};

/// Status automations: listed by all but vendors; kept while a project uses them.
struct StatusAutomations;

#[async_trait]
impl Hooks for StatusAutomations {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        refuse_vendors(ctx)?;
        Ok(None)
    }

    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("out_field_type", &["status", "ready_for"])]
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        let id = Value::from_json(crate::db::ColumnKind::Uuid, &row["id"])
            .map_err(ApiError::internal)?;
        for table in [
            "project_status_automation_link",
            "project_template_status_automation_link",
        ] {
            let used = tx
                .fetch_optional(
                    &format!("SELECT status_automation_id FROM {table} WHERE status_automation_id = $1 LIMIT 1"),
                    std::slice::from_ref(&id),
                    None,
                )
                .await?
                .is_some();
            if used {
                return Err(ApiError::Body(
                    actix_web::http::StatusCode::BAD_REQUEST,
                    serde_json::json!({"message": "This automation is used in a project."}),
                ));
            }
        }
        Ok(())
    }
}

pub static STATUS_AUTOMATIONS: Model = Model {
    hooks: &StatusAutomations,
    defaults: &[
        ARCHIVED,
        ("entity_type", Fixed::Text("asset")),
        ("out_field_type", Fixed::Text("status")),
        ("import_last_revision", Fixed::Bool(false)),
    ],
    ..Model::new(
        "status-automations",
        "status_automation",
        "StatusAutomation",
    )
};

/// The organisation: everyone reads it, only admins see the chat credentials.
struct Organisations;

const CHAT_CREDENTIALS: [&str; 3] = [
    "chat_token_slack",
    "chat_webhook_mattermost",
    "chat_token_discord",
];

#[async_trait]
impl Hooks for Organisations {
    fn readable_by_all(&self) -> bool {
        true
    }

    fn may_filter_on(&self, ctx: &Ctx<'_>, column: &str) -> bool {
        ctx.identity.is_admin() || !CHAT_CREDENTIALS.contains(&column)
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(hours) = data.get("hours_by_day") {
            let number = match hours {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .ok_or_else(|| ApiError::bad_request("hours_by_day must be a number."))?;
            data.insert("hours_by_day".into(), Json::from(number));
        }
        Ok(())
    }

    fn present(&self, ctx: &Ctx<'_>, mut row: Row, _view: View) -> Row {
        if !ctx.identity.is_admin() {
            for column in CHAT_CREDENTIALS {
                row.remove(column);
            }
        }
        row
    }
}

pub static ORGANISATIONS: Model = Model {
    hooks: &Organisations,
    defaults: &[
        ("hours_by_day", Fixed::Float(8.0)),
        ("has_avatar", Fixed::Bool(false)),
        ("use_original_file_name", Fixed::Bool(false)),
        ("timesheets_locked", Fixed::Bool(false)),
        ("format_duration_in_hours", Fixed::Bool(false)),
        ("hd_by_default", Fixed::Bool(false)),
        ("chat_token_slack", Fixed::Text("")),
        ("chat_webhook_mattermost", Fixed::Text("")),
        ("chat_token_discord", Fixed::Text("")),
        ("dark_theme_by_default", Fixed::Bool(false)),
    ],
    ..Model::new("organisations", "organisation", "Organisation")
};
