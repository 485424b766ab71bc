//! Project templates: a production's settings, links and metadata
//! descriptors, kept to start new projects from.

use crate::crud::id_of;
use crate::crud::{Condition, Ctx, Fixed, Hooks, Model, Relation};
use crate::db::{now, ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

/// What a template carries over to a project.
pub const SETTINGS: [&str; 17] = [
    "fps",
    "ratio",
    "resolution",
    "production_type",
    "production_style",
    "max_retakes",
    "is_clients_isolated",
    "is_preview_download_allowed",
    "is_set_preview_automated",
    "is_publish_default_for_artists",
    "homepage",
    "hd_bitrate_compression",
    "ld_bitrate_compression",
    "is_client_stats_visible",
    "is_client_task_list_visible",
    "is_client_task_panel_visible",
    "is_single_preview_per_revision",
];

/// What a template is created with; anything else in the request is ignored.
const CREATION_FIELDS: [&str; 4] = ["name", "description", "file_tree", "data"];

struct Templates;

#[async_trait]
impl Hooks for Templates {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        ctx.identity.require_manager()?;
        Ok(None)
    }

    async fn check_read(&self, ctx: &Ctx<'_>, _row: &Row) -> ApiResult<()> {
        ctx.identity.require_manager()
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data
            .get("name")
            .and_then(Json::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(ApiError::Body(
                actix_web::http::StatusCode::BAD_REQUEST,
                json!({"message": "name is required"}),
            ));
        }
        data.retain(|key, _| {
            CREATION_FIELDS.contains(&key.as_str())
                || SETTINGS.contains(&key.as_str())
                || key == "metadata_descriptors"
        });
        super::projects::check_settings(data, None)
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec![
            "task_types",
            "task_statuses",
            "asset_types",
            "status_automations",
            "type",
        ]
    }

    fn relations_after_create(&self) -> bool {
        false
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        super::projects::check_settings(data, Some(row))
    }
}

const fn link(
    key: &'static str,
    table: &'static str,
    other: &'static str,
    writable: bool,
) -> Relation {
    Relation {
        key,
        table,
        own: "project_template_id",
        other,
        writable,
    }
}

pub static PROJECT_TEMPLATES: Model = Model {
    relations: &[
        link(
            "task_types",
            "project_template_task_type_link",
            "task_type_id",
            false,
        ),
        link(
            "task_statuses",
            "project_template_task_status_link",
            "task_status_id",
            false,
        ),
        link(
            "asset_types",
            "project_template_asset_type_link",
            "asset_type_id",
            false,
        ),
        link(
            "status_automations",
            "project_template_status_automation_link",
            "status_automation_id",
            false,
        ),
        link(
            "preview_background_files",
            "project_template_preview_background_file_link",
            "preview_background_file_id",
            true,
        ),
    ],
    hooks: &Templates,
    defaults: &[
        ("fps", Fixed::Text("25")),
        ("ratio", Fixed::Text("16:9")),
        ("resolution", Fixed::Text("1920x1080")),
        ("production_type", Fixed::Text("short")),
        ("production_style", Fixed::Text("2d3d")),
        ("max_retakes", Fixed::Int(0)),
        ("is_clients_isolated", Fixed::Bool(false)),
        ("is_client_stats_visible", Fixed::Bool(true)),
        ("is_client_task_list_visible", Fixed::Bool(true)),
        ("is_client_task_panel_visible", Fixed::Bool(true)),
        ("is_preview_download_allowed", Fixed::Bool(false)),
        ("is_set_preview_automated", Fixed::Bool(false)),
        ("is_publish_default_for_artists", Fixed::Bool(false)),
        ("is_single_preview_per_revision", Fixed::Bool(false)),
        ("is_frame_in_numbering", Fixed::Bool(false)),
        ("revision_padding", Fixed::Int(0)),
        ("homepage", Fixed::Text("assets")),
        ("metadata_descriptors", Fixed::EmptyList),
    ],
    ..Model::new("project-templates", "project_template", "ProjectTemplate")
};

pub async fn load(tx: &mut Tx, template: &Json) -> ApiResult<Row> {
    tx.fetch_optional(
        "SELECT * FROM project_template WHERE id = $1",
        &[id_of(template)?],
        Some("project_template"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// Fills a new project's request from a template: settings the request
/// leaves out, and the template's links added to the request's.
pub async fn fill_project(
    tx: &mut Tx,
    template: &Row,
    data: &mut Map<String, Json>,
) -> ApiResult<()> {
    for key in SETTINGS.iter().chain(&[
        "is_frame_in_numbering",
        "revision_padding",
        "default_preview_background_file_id",
    ]) {
        if data.get(*key).is_none_or(Json::is_null) && !template[*key].is_null() {
            data.insert(key.to_string(), template[*key].clone());
        }
    }
    for key in ["file_tree", "data"] {
        let given = data
            .get(key)
            .is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty()));
        if !given && !template[key].is_null() {
            data.insert(key.to_string(), template[key].clone());
        }
    }
    let id = id_of(&template["id"])?;
    for relation in PROJECT_TEMPLATES.relations {
        let linked = tx
            .fetch_all(
                &format!(
                    "SELECT {} AS item FROM {} WHERE project_template_id = $1",
                    relation.other, relation.table
                ),
                std::slice::from_ref(&id),
                None,
            )
            .await?;
        let mut items = data
            .get(relation.key)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for link in linked {
            if !items.contains(&link["item"]) {
                items.push(link["item"].clone());
            }
        }
        data.insert(relation.key.to_string(), Json::Array(items));
    }
    Ok(())
}

/// Creates the template's metadata descriptors on the new project.
pub async fn add_descriptors(tx: &mut Tx, template: &Row, project: &Json) -> ApiResult<()> {
    let project = id_of(project)?;
    for descriptor in template["metadata_descriptors"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let is_task = descriptor["entity_type"] == "Task";
        if is_task && descriptor["task_type_id"].is_null() {
            continue;
        }
        let id = Uuid::now_v7();
        let stamp = now();
        let text =
            |key: &str| Value::from_json(ColumnKind::Text, &descriptor[key]).unwrap_or(Value::Null);
        tx.insert(
            "metadata_descriptor",
            &[
                ("id", id.into()),
                ("project_id", project.clone()),
                ("entity_type", text("entity_type")),
                ("name", text("name")),
                ("field_name", text("field_name")),
                ("data_type", text("data_type")),
                ("choices", Value::Json(descriptor["choices"].clone())),
                (
                    "for_client",
                    Value::Bool(descriptor["for_client"] == Json::Bool(true)),
                ),
                (
                    "position",
                    Value::from_json(ColumnKind::Int, &descriptor["position"])
                        .unwrap_or(Value::Null),
                ),
                (
                    "task_type_id",
                    Value::from_json(ColumnKind::Uuid, &descriptor["task_type_id"])
                        .unwrap_or(Value::Null),
                ),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
        for department in descriptor["departments"].as_array().into_iter().flatten() {
            if let Ok(department) = Value::from_json(ColumnKind::Uuid, department) {
                tx.execute(
                    "INSERT INTO department_metadata_descriptor_link (metadata_descriptor_id, department_id) \
                     SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM department WHERE id = $2)",
                    &[id.into(), department],
                )
                .await?;
            }
        }
    }
    Ok(())
}
