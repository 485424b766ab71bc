//! Entities (assets, shots, sequences, episodes, scenes, edits, concepts) and
//! tasks, through the generic routes `/data/entities` and `/data/tasks`.

use crate::crud::id_of;
use crate::crud::scope::{self, in_open_team_projects, require_manager, team_role};
use crate::crud::{project_of, Condition, Ctx, Fixed, Hooks, Model, Relation, View};
use crate::db::{now, parse_timestamp, ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;

fn is_me(ctx: &Ctx<'_>, person: &Json) -> bool {
    person.as_str() == Some(ctx.identity.person.id.to_string().as_str())
}

/// The kinds of entity Zou names after their entity type; any other type is an asset type.
/// The temporal entity types as an SQL list, for `entity_type.name NOT IN`
/// (the asset types); a macro so constant SQL can embed it with `concat!`.
macro_rules! temporal_types_sql {
    () => {
        "('Shot', 'Sequence', 'Episode', 'Edit', 'Scene', 'Concept', 'ConceptFolder')"
    };
}
pub(crate) use temporal_types_sql;

const TEMPORAL_TYPES: [&str; 7] = [
    "Shot",
    "Sequence",
    "Edit",
    "Episode",
    "Scene",
    "Concept",
    "ConceptFolder",
];

/// The serialized `type` of an entity of this entity type.
pub fn entity_kind(entity_type_name: &str) -> &str {
    if TEMPORAL_TYPES.contains(&entity_type_name) {
        entity_type_name
    } else {
        "Asset"
    }
}

/// `ConceptFolder` → `concept-folder`, as Zou names its events.
fn event_prefix_of(kind: &str) -> String {
    let mut prefix = String::new();
    for (index, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            prefix.push('-');
        }
        prefix.push(c.to_ascii_lowercase());
    }
    prefix
}

fn vendor_entities(ctx: &Ctx<'_>, column: &str) -> Condition {
    Condition::new(
        format!(
            "{column} IN (SELECT t.entity_id FROM task t JOIN task_person_link a ON a.task_id = t.id \
             WHERE a.person_id = ?)"
        ),
        vec![ctx.identity.person.id.into()],
    )
}

/// Team membership on the entity's project, and for vendors an assignment on it.
async fn check_entity_access(ctx: &Ctx<'_>, project: &Json, entity: &Json) -> ApiResult<Role> {
    let role = team_role(ctx, Some(project)).await?;
    if role == Role::Vendor && !scope::assigned_on_entity(ctx, entity).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(role)
}

struct Entities;

const ENTITY_STATUSES: [&str; 4] = ["standby", "running", "complete", "canceled"];

fn check_status(data: &Map<String, Json>) -> ApiResult<()> {
    match data.get("status") {
        None => Ok(()),
        Some(Json::String(status)) if ENTITY_STATUSES.contains(&status.as_str()) => Ok(()),
        Some(_) => Err(ApiError::bad_request("Invalid status")),
    }
}

/// A supervisor may fill in metadata of their departments' descriptors.
async fn supervisor_may_edit_data(
    ctx: &Ctx<'_>,
    row: &Row,
    data: &Map<String, Json>,
) -> ApiResult<bool> {
    if data.keys().any(|key| key != "data") {
        return Ok(false);
    }
    let departments = ctx.identity.person.department_ids(ctx.db()).await?;
    if departments.is_empty() {
        return Ok(true);
    }
    let kind = entity_kind(row["entity_type_name"].as_str().unwrap_or(""));
    if !["Shot", "Asset", "Edit"].contains(&kind) {
        return Ok(false);
    }
    let allowed = ctx
        .db()
        .fetch_all(
            "SELECT d.field_name, l.department_id FROM metadata_descriptor d \
             JOIN department_metadata_descriptor_link l ON l.metadata_descriptor_id = d.id \
             WHERE d.project_id = $1 AND d.entity_type = $2",
            &[id_of(&row["project_id"])?, kind.into()],
            None,
        )
        .await?;
    let fields = data["data"].as_object().cloned().unwrap_or_default();
    Ok(fields.keys().all(|field| {
        allowed.iter().any(|descriptor| {
            descriptor["field_name"] == field.as_str()
                && descriptor["department_id"]
                    .as_str()
                    .is_some_and(|d| departments.iter().any(|mine| mine == d))
        })
    }))
}

/// An id given as `""` or `"null"` means none.
fn nullable_id(value: Option<&Json>) -> Json {
    match value {
        Some(Json::String(text)) if text.is_empty() || text == "null" => Json::Null,
        Some(value) => value.clone(),
        None => Json::Null,
    }
}

#[async_trait]
impl Hooks for Entities {
    async fn touched(&self, _ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(uuid::Uuid, Touched)>> {
        Ok(project_of(row).map(|project| {
            let id = row["id"].as_str().unwrap_or_default().to_string();
            (
                project,
                Touched {
                    entities: vec![id],
                    ..Default::default()
                },
            )
        }))
    }

    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        let Some(team) = in_open_team_projects(ctx, "project_id") else {
            return Ok(None);
        };
        Ok(Some(if ctx.identity.person.role == Role::Vendor {
            team.and(vendor_entities(ctx, "id"))
        } else {
            team
        }))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        check_entity_access(ctx, &row["project_id"], &row["id"]).await?;
        Ok(())
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        require_manager(ctx, data.get("project_id")).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let role = team_role(ctx, row.get("project_id")).await?;
        let allowed = match role {
            Role::Admin | Role::Manager => true,
            _ if is_me(ctx, &row["created_by"]) => true,
            Role::Supervisor => supervisor_may_edit_data(ctx, row, data).await?,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let role = team_role(ctx, row.get("project_id")).await?;
        if matches!(role, Role::Admin | Role::Manager) || is_me(ctx, &row["created_by"]) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn before_create(
        &self,
        ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_status(data)?;
        data.insert("created_by".into(), json!(ctx.identity.person.id));
        Ok(())
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec![
            "instance_casting",
            "entities_in",
            "entities_out",
            "type",
            "shotgun_id",
            "created_by",
        ]
    }

    async fn before_update(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_status(data)?;
        if data.get("source_id").and_then(Json::as_str) == Some("null") {
            data.insert("source_id".into(), Json::Null);
        }
        let changes = ["name", "entity_type_id", "parent_id"].iter().any(|key| {
            data.contains_key(*key) && nullable_id(data.get(*key)) != nullable_id(row.get(*key))
        });
        if changes {
            let pick = |key: &str| {
                data.get(key)
                    .map_or_else(|| nullable_id(row.get(key)), |v| nullable_id(Some(v)))
            };
            let (name, entity_type, parent) =
                (pick("name"), pick("entity_type_id"), pick("parent_id"));
            let parent_condition = if parent.is_null() {
                "parent_id IS NULL"
            } else {
                "parent_id = $4"
            };
            let mut params = vec![
                Value::from_json(ColumnKind::Text, &name).unwrap_or(Value::Null),
                id_of(&row["project_id"])?,
                Value::from_json(ColumnKind::Uuid, &entity_type).unwrap_or(Value::Null),
            ];
            if !parent.is_null() {
                params.push(Value::from_json(ColumnKind::Uuid, &parent).unwrap_or(Value::Null));
            }
            let twins = tx
                .fetch_all(
                    &format!(
                        "SELECT id FROM entity WHERE name = $1 AND project_id = $2 AND entity_type_id = $3 \
                         AND {parent_condition}"
                    ),
                    &params,
                    None,
                )
                .await?;
            if twins.iter().any(|twin| twin["id"] != row["id"]) {
                let shown = |v: &Json| v.as_str().map_or("None".to_string(), str::to_string);
                return Err(ApiError::bad_request(format!(
                    "An entity with name '{}', project_id '{}', entity_type_id '{}', and parent_id '{}' \
                     already exists. The combination of these fields must be unique.",
                    shown(&name),
                    shown(&row["project_id"]),
                    shown(&entity_type),
                    shown(&parent)
                )));
            }
        }
        merge_data(row, data);
        if row.get("entity_type_name").and_then(Json::as_str) == Some("Shot") {
            record_version(ctx, tx, row, data).await?;
        }
        Ok(())
    }

    fn relations_after_update(&self) -> bool {
        true
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        for statement in [
            "DELETE FROM entity_link WHERE entity_in_id = $1 OR entity_out_id = $1",
            "DELETE FROM entity_concept_link WHERE entity_in_id = $1 OR entity_out_id = $1",
            "DELETE FROM asset_instance_link WHERE entity_id = $1",
            "DELETE FROM subscription WHERE entity_id = $1",
        ] {
            tx.execute(statement, std::slice::from_ref(&id)).await?;
        }
        Ok(())
    }

    fn event_prefix(&self, row: &Row) -> Option<String> {
        row.get("entity_type_name")
            .and_then(Json::as_str)
            .map(|name| event_prefix_of(entity_kind(name)))
    }

    fn present(&self, _ctx: &Ctx<'_>, mut row: Row, _view: View) -> Row {
        if let Some(Json::String(name)) = row.remove("entity_type_name") {
            row.insert("type".into(), json!(entity_kind(&name)));
        }
        row
    }
}

/// Zou merges `data` into what is stored rather than replacing it; a `null`
/// or an absent `data` keeps the stored values.
/// A shot keeps its earlier names and frame ranges (Zou's entity versions):
/// a change of either records the name before and the data after it. One
/// person's burst of edits (each within a minute, over at most five) makes one version.
async fn record_version(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    row: &Row,
    data: &Map<String, Json>,
) -> ApiResult<()> {
    let after = data.get("data").unwrap_or(&row["data"]);
    let frames = |d: &Json| (d.get("frame_in").cloned(), d.get("frame_out").cloned());
    let renamed = data.get("name").is_some_and(|name| name != &row["name"]);
    if !renamed && frames(after) == frames(&row["data"]) {
        return Ok(());
    }
    let stamp = now();
    let person = ctx.identity.person.id;
    let last = tx
        .fetch_optional(
            "SELECT id, created_at, updated_at FROM entity_version WHERE entity_id = $1 AND person_id = $2 \
             ORDER BY created_at DESC LIMIT 1",
            &[id_of(&row["id"])?, person.into()],
            Some("entity_version"),
        )
        .await?;
    let age = |version: &Row, key: &str| {
        version[key]
            .as_str()
            .and_then(parse_timestamp)
            .map(|t| (stamp - t).num_seconds())
    };
    let burst = last.filter(|v| {
        age(v, "updated_at").is_some_and(|s| s <= 60)
            && age(v, "created_at").is_some_and(|s| s <= 300)
    });
    match burst {
        Some(version) => {
            tx.execute(
                "UPDATE entity_version SET data = $1, updated_at = $2 WHERE id = $3",
                &[
                    Value::Json(after.clone()),
                    stamp.into(),
                    id_of(&version["id"])?,
                ],
            )
            .await?;
        }
        None => {
            tx.insert(
                "entity_version",
                &[
                    ("id", uuid::Uuid::now_v7().into()),
                    (
                        "name",
                        Value::from_json(ColumnKind::Text, &row["name"]).unwrap_or(Value::Null),
                    ),
                    ("data", Value::Json(after.clone())),
                    ("entity_id", id_of(&row["id"])?),
                    ("person_id", person.into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// Preview accounts only look: they cannot be given tasks.
async fn refuse_preview_accounts(tx: &mut Tx, data: &Map<String, Json>) -> ApiResult<()> {
    let people = data
        .get("assignees")
        .and_then(Json::as_array)
        .into_iter()
        .flatten();
    for person in people.filter_map(|p| p.as_str().and_then(|p| uuid::Uuid::parse_str(p).ok())) {
        let preview = tx
            .fetch_optional(
                "SELECT id FROM person WHERE id = $1 AND preview_project_id IS NOT NULL",
                &[person.into()],
                None,
            )
            .await?;
        if preview.is_some() {
            return Err(ApiError::bad_request("A preview account can't be assigned"));
        }
    }
    Ok(())
}

fn merge_data(row: &Row, data: &mut Map<String, Json>) {
    match data.get("data") {
        Some(Json::Object(new)) => {
            let mut merged = row["data"].as_object().cloned().unwrap_or_default();
            merged.extend(new.clone());
            data.insert("data".into(), Json::Object(merged));
        }
        Some(Json::Null) => {
            data.remove("data");
        }
        _ => {}
    }
}

pub static ENTITIES: Model = Model {
    relations: &[
        Relation { key: "entities_out", table: "entity_link", own: "entity_in_id", other: "entity_out_id", writable: false },
        Relation { key: "entity_concept_links", table: "entity_concept_link", own: "entity_in_id", other: "entity_out_id", writable: true },
        Relation { key: "instance_casting", table: "asset_instance_link", own: "entity_id", other: "asset_instance_id", writable: false },
        Relation { key: "entities_in", table: "entity_link", own: "entity_out_id", other: "entity_in_id", writable: false },
    ],
    hooks: &Entities,
    defaults: &[
        ("canceled", Fixed::Bool(false)),
        ("nb_entities_out", Fixed::Int(0)),
        ("is_casting_standby", Fixed::Bool(false)),
        ("is_shared", Fixed::Bool(false)),
        ("status", Fixed::Text("running")),
    ],
    select: Some(
        "entity.*, (SELECT name FROM entity_type WHERE entity_type.id = entity.entity_type_id) AS entity_type_name",
    ),
    ..Model::new("entities", "entity", "Asset")
};

struct Tasks;

/// What clients do not see of a task: the studio's own planning.
const STUDIO_ONLY: [(&str, Json); 16] = [
    ("assignees", Json::Array(Vec::new())),
    ("assigner_id", Json::Null),
    ("completion_rate", Json::Null),
    ("difficulty", Json::Null),
    ("done_date", Json::Null),
    ("due_date", Json::Null),
    ("duration", Json::Null),
    ("end_date", Json::Null),
    ("estimation", Json::Null),
    ("last_comment_date", Json::Null),
    ("nb_assets_ready", Json::Null),
    ("nb_drawings", Json::Null),
    ("priority", Json::Null),
    ("real_start_date", Json::Null),
    ("retake_count", Json::Null),
    ("start_date", Json::Null),
];

/// The numbers Zou shows a client as 0 rather than null.
const ZEROED: [&str; 7] = [
    "completion_rate",
    "duration",
    "estimation",
    "nb_assets_ready",
    "nb_drawings",
    "priority",
    "retake_count",
];

/// Fields a supervisor may change on the tasks of their department.
const SUPERVISOR_FIELDS: [&str; 6] = [
    "priority",
    "start_date",
    "due_date",
    "estimation",
    "difficulty",
    "data",
];

fn required_id(data: &Map<String, Json>, key: &str) -> ApiResult<Value> {
    data.get(key)
        .and_then(|v| Value::from_json(ColumnKind::Uuid, v).ok())
        .filter(|v| *v != Value::Null)
        .ok_or_else(|| ApiError::bad_request(format!("A valid {key} is required.")))
}

#[async_trait]
impl Hooks for Tasks {
    async fn touched(&self, _ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(uuid::Uuid, Touched)>> {
        Ok(project_of(row).map(|project| {
            let id = row["id"].as_str().unwrap_or_default().to_string();
            (
                project,
                // The entity too: a forced delete may change its thumbnail.
                Touched {
                    tasks: vec![id],
                    entities: row["entity_id"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    ..Default::default()
                },
            )
        }))
    }

    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if ctx.identity.person.role == Role::Vendor {
            return Ok(Some(Condition::new(
                "id IN (SELECT task_id FROM task_person_link WHERE person_id = ?)",
                vec![ctx.identity.person.id.into()],
            )));
        }
        Ok(in_open_team_projects(ctx, "project_id"))
    }

    async fn extra_filters(
        &self,
        _ctx: &Ctx<'_>,
        query: &[(String, String)],
    ) -> ApiResult<Vec<Condition>> {
        let Some(episode) = crate::crud::first(query, "episode_id") else {
            return Ok(Vec::new());
        };
        let episode = uuid::Uuid::parse_str(episode).map_err(|_| {
            ApiError::bad_request(format!("Invalid UUID format for episode_id: {episode}"))
        })?;
        Ok(vec![Condition::new(
            "entity_id IN (SELECT e.id FROM entity e JOIN entity s ON s.id = e.parent_id WHERE s.parent_id = ?)",
            vec![episode.into()],
        )])
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        check_entity_access(ctx, &row["project_id"], &row["entity_id"]).await?;
        Ok(())
    }

    /// Zou lets anyone create a task anywhere through this route; Tusk asks
    /// for the rights the task-creation actions ask for: managing the project.
    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        required_id(data, "task_type_id")?;
        let entity = required_id(data, "entity_id")?;
        let project = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM entity WHERE id = $1",
                &[entity],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        require_manager(ctx, project.get("project_id")).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let role = team_role(ctx, row.get("project_id")).await?;
        let allowed = match role {
            Role::Admin | Role::Manager => true,
            Role::Supervisor => {
                data.keys()
                    .all(|key| SUPERVISOR_FIELDS.contains(&key.as_str()))
                    && scope::supervises_task_type(ctx, &row["task_type_id"]).await?
            }
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        let task_type = tx
            .fetch_optional(
                "SELECT for_entity FROM task_type WHERE id = $1",
                &[required_id(data, "task_type_id")?],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        let entity = tx
            .fetch_optional(
                "SELECT e.project_id, t.name AS type_name FROM entity e JOIN entity_type t ON t.id = e.entity_type_id \
                 WHERE e.id = $1",
                &[required_id(data, "entity_id")?],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        let for_entity = task_type["for_entity"].as_str().unwrap_or("Asset");
        if entity_kind(entity["type_name"].as_str().unwrap_or("")) != for_entity {
            return Err(ApiError::refused(
                "Task type of the task does not match entity type.",
            ));
        }
        if data
            .get("name")
            .is_none_or(|name| name.as_str().is_none_or(str::is_empty))
        {
            data.insert("name".into(), json!("main"));
        }
        if data
            .get("assignees")
            .is_some_and(|a| !a.is_array() && !a.is_null())
        {
            return Err(ApiError::bad_request("assignees must be a list."));
        }
        refuse_preview_accounts(tx, data).await?;
        // What Zou leaves null: the task belongs to its entity's project and
        // starts in the studio's default status.
        data.insert("project_id".into(), entity["project_id"].clone());
        if data.get("task_status_id").is_none_or(Json::is_null) {
            let default = tx
                .fetch_optional(
                    "SELECT id FROM task_status WHERE is_default = TRUE ORDER BY name LIMIT 1",
                    &[],
                    None,
                )
                .await?;
            if let Some(default) = default {
                data.insert("task_status_id".into(), default["id"].clone());
            }
        }
        Ok(())
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["entity_id"]
    }

    async fn before_update(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data
            .get("data")
            .is_some_and(|d| d.as_object().is_some_and(|o| !o.is_empty()))
        {
            merge_data(row, data);
        }
        refuse_preview_accounts(tx, data).await?;
        if let Some(assignees) = data.get("assignees") {
            let wanted: Vec<String> = assignees
                .as_array()
                .ok_or_else(|| ApiError::bad_request("assignees must be a list."))?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let id = id_of(&row["id"])?;
            let current: Vec<String> = tx
                .fetch_all(
                    "SELECT person_id FROM task_person_link WHERE task_id = $1",
                    std::slice::from_ref(&id),
                    None,
                )
                .await?
                .into_iter()
                .filter_map(|r| r["person_id"].as_str().map(str::to_string))
                .collect();
            let project = scope::project_id(row.get("project_id"));
            let task = row["id"].as_str().unwrap_or_default();
            for (person, action) in wanted
                .iter()
                .filter(|p| !current.contains(p))
                .map(|p| (p, "task:assign"))
                .chain(
                    current
                        .iter()
                        .filter(|p| !wanted.contains(p))
                        .map(|p| (p, "task:unassign")),
                )
            {
                let mut event = Event::new(action, "task_id", task).in_project(project);
                event.data.insert("person_id".into(), json!(person));
                event.record(tx, ctx.identity.person.id).await?;
            }
        }
        Ok(())
    }

    async fn before_delete(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        let has_comments = tx
            .fetch_optional(
                "SELECT id FROM comment WHERE object_id = $1 LIMIT 1",
                std::slice::from_ref(&id),
                None,
            )
            .await?
            .is_some();
        if !force {
            // Comments point at their task without a foreign key: keep them from being orphaned.
            if has_comments {
                return Err(self.still_referenced());
            }
            tx.execute("DELETE FROM task_person_link WHERE task_id = $1", &[id])
                .await?;
            return Ok(());
        }
        // A forced delete takes what hangs off the task, as the bulk deletion
        // does: news (the clients are told), and the entity's thumbnail when it
        // came from the task.
        let project = tx
            .fetch_optional(
                "SELECT id, is_set_preview_automated FROM project WHERE id = $1",
                &[id_of(&row["project_id"])?],
                Some("project"),
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        let task = [row.clone()];
        crate::api::task_delete::remove_task_belongings(tx, ctx.identity, &project, &task).await?;
        Ok(())
    }

    fn present(&self, ctx: &Ctx<'_>, mut row: Row, _view: View) -> Row {
        if ctx.identity.person.role == Role::Client {
            for (key, blank) in STUDIO_ONLY.iter() {
                if row.contains_key(*key) {
                    let value = if ZEROED.contains(key) {
                        json!(0)
                    } else {
                        blank.clone()
                    };
                    row.insert(key.to_string(), value);
                }
            }
        }
        row
    }
}

pub static TASKS: Model = Model {
    relations: &[Relation {
        key: "assignees",
        table: "task_person_link",
        own: "task_id",
        other: "person_id",
        writable: true,
    }],
    hooks: &Tasks,
    defaults: &[
        ("priority", Fixed::Int(0)),
        ("difficulty", Fixed::Int(3)),
        ("duration", Fixed::Float(0.0)),
        ("estimation", Fixed::Float(0.0)),
        ("completion_rate", Fixed::Int(0)),
        ("retake_count", Fixed::Int(0)),
        ("sort_order", Fixed::Int(0)),
        ("nb_assets_ready", Fixed::Int(0)),
        ("nb_drawings", Fixed::Int(0)),
    ],
    ..Model::new("tasks", "task", "Task")
};

/// Removes everything that hangs off the tasks `tasks` selects (a subquery on
/// `$1` = `key`): comments and their links, previews, files, time, news,
/// notifications, subscriptions, assignments. The tasks themselves stay.
pub async fn remove_task_data(tx: &mut Tx, tasks: &str, key: Value) -> ApiResult<()> {
    let comments = format!("SELECT id FROM comment WHERE object_id IN ({tasks})");
    let previews = format!("SELECT id FROM preview_file WHERE task_id IN ({tasks})");
    let working = format!("SELECT id FROM working_file WHERE task_id IN ({tasks})");
    let statements = [
        format!("UPDATE comment SET preview_file_id = NULL WHERE object_id IN ({tasks})"),
        format!("UPDATE entity SET preview_file_id = NULL WHERE preview_file_id IN ({previews})"),
        format!("DELETE FROM comment_acknoledgments WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_mentions WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_department_mentions WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_preview_link WHERE comment IN ({comments}) OR preview_file IN ({previews})"),
        format!("DELETE FROM attachment_file WHERE comment_id IN ({comments})"),
        format!("DELETE FROM news WHERE task_id IN ({tasks}) OR comment_id IN ({comments}) OR preview_file_id IN ({previews})"),
        format!("DELETE FROM notification WHERE task_id IN ({tasks}) OR comment_id IN ({comments})"),
        format!("DELETE FROM comment WHERE object_id IN ({tasks})"),
        format!("DELETE FROM preview_file_storage_state WHERE preview_file_id IN ({previews})"),
        format!("DELETE FROM preview_file WHERE task_id IN ({tasks})"),
        format!("DELETE FROM output_file WHERE source_file_id IN ({working})"),
        format!("DELETE FROM working_file WHERE task_id IN ({tasks})"),
        format!("DELETE FROM subscription WHERE task_id IN ({tasks})"),
        format!("DELETE FROM time_spent WHERE task_id IN ({tasks})"),
        format!("DELETE FROM task_person_link WHERE task_id IN ({tasks})"),
        format!("DELETE FROM production_schedule_version_task_link WHERE task_id IN ({tasks})"),
    ];
    for statement in statements {
        tx.execute(&statement, std::slice::from_ref(&key)).await?;
    }
    Ok(())
}
