//! The breakdown by kind: `/data/{assets,shots,sequences,episodes,scenes,edits,concepts}`
//! (list, get, delete; update for shots), with Zou's per-kind answers.

use super::{round_half_even, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::id_of;
use crate::crud::models::entities::{self, remove_task_data, ENTITIES};
use crate::crud::scope::{self, team_projects, team_role};
use crate::crud::{column_filters, where_clause, Condition, Ctx};
use crate::db::{now, ColumnKind, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Asset,
    Shot,
    Sequence,
    Episode,
    Scene,
    Edit,
    Concept,
}

impl Kind {
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Asset => "Asset",
            Kind::Shot => "Shot",
            Kind::Sequence => "Sequence",
            Kind::Episode => "Episode",
            Kind::Scene => "Scene",
            Kind::Edit => "Edit",
            Kind::Concept => "Concept",
        }
    }

    pub fn route(self) -> &'static str {
        match self {
            Kind::Asset => "assets",
            Kind::Shot => "shots",
            Kind::Sequence => "sequences",
            Kind::Episode => "episodes",
            Kind::Scene => "scenes",
            Kind::Edit => "edits",
            Kind::Concept => "concepts",
        }
    }

    pub fn event_prefix(self) -> String {
        self.type_name().to_lowercase()
    }

    /// Rows of this kind, by their entity type.
    pub fn type_condition(self) -> Condition {
        match self {
            Kind::Asset => Condition::new(
                concat!(
                    "entity_type_id IN (SELECT id FROM entity_type WHERE name NOT IN ",
                    crate::crud::models::entities::temporal_types_sql!(),
                    ")"
                ),
                vec![],
            ),
            kind => Condition::new(
                "entity_type_id IN (SELECT id FROM entity_type WHERE name = ?)",
                vec![kind.type_name().into()],
            ),
        }
    }

    /// The parameters a non-admin must scope a list with (none: lists all they may see).
    fn scoping_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Asset => &[],
            Kind::Shot => &["project_id", "sequence_id"],
            Kind::Sequence => &["project_id", "episode_id"],
            _ => &["project_id"],
        }
    }

    /// Kinds whose deletion cancels them while they still have tasks.
    fn cancels_with_tasks(self) -> bool {
        matches!(self, Kind::Asset | Kind::Shot | Kind::Edit | Kind::Concept)
    }
}

pub(super) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for kind in [
        Kind::Asset,
        Kind::Shot,
        Kind::Sequence,
        Kind::Episode,
        Kind::Scene,
        Kind::Edit,
        Kind::Concept,
    ] {
        let name = kind.route();
        let lists: &[&str] = match kind {
            Kind::Asset | Kind::Shot | Kind::Edit => &["", "/all"],
            Kind::Scene => &["/all"],
            _ => &[""],
        };
        for suffix in lists {
            routes.push(Route::new(
                Method::GET,
                format!("/data/{name}{suffix}"),
                format!("List {name}"),
                move |r| r.to(move |state, identity, req| list(kind, state, identity, req)),
            ));
        }
        let one = format!("/data/{name}/{{{}_id}}", kind.event_prefix());
        routes.push(Route::new(
            Method::GET,
            one.clone(),
            format!("Get one of {name}"),
            move |r| r.to(move |state, identity, id, req| get(kind, state, identity, id, req)),
        ));
        routes.push(Route::new(
            Method::DELETE,
            one.clone(),
            format!("Delete one of {name}"),
            move |r| r.to(move |state, identity, id, req| delete(kind, state, identity, id, req)),
        ));
        if kind == Kind::Shot {
            routes.push(Route::new(Method::PUT, one, "Update a shot", |r| {
                r.to(update_shot)
            }));
        }
    }
    routes.push(Route::new(
        Method::POST,
        "/actions/projects/{project_id}/task-types/{task_type_id}/set-shot-nb-frames",
        "Set shots' frame counts from their latest movie of a task type",
        |r| r.to(set_shot_frames),
    ));
    routes.push(Route::new(
        Method::POST,
        "/actions/projects/{project_id}/delete-entities",
        "Delete or cancel many assets, shots, edits and concepts of a project",
        |r| r.to(delete_entities),
    ));
    routes
}

fn uuid_value(text: &str) -> ApiResult<Value> {
    Uuid::parse_str(text)
        .map(Value::Uuid)
        .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {text}")))
}

/// The project of an entity named in a list's parameters (a sequence, an episode).
async fn project_of_entity(ctx: &Ctx<'_>, id: &str) -> ApiResult<Json> {
    let row = ctx
        .db()
        .fetch_optional(
            "SELECT project_id FROM entity WHERE id = $1",
            &[uuid_value(id)?],
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(row["project_id"].clone())
}

/// Entities a vendor works on: assigned tasks on them (or, for containers,
/// on the shots inside them).
fn vendor_reach(kind: Kind, vendor: Uuid) -> Condition {
    let assigned = "SELECT t.entity_id FROM task t JOIN task_person_link a ON a.task_id = t.id WHERE a.person_id = ?";
    let sql = match kind {
        Kind::Sequence | Kind::Scene => format!("id IN (SELECT parent_id FROM entity WHERE id IN ({assigned}))"),
        Kind::Episode => format!(
            "id IN (SELECT s.parent_id FROM entity s JOIN entity sh ON sh.parent_id = s.id WHERE sh.id IN ({assigned})) \
             OR id IN (SELECT source_id FROM entity WHERE id IN ({assigned}))"
        ),
        _ => format!("id IN ({assigned})"),
    };
    let params = vec![vendor.into(); sql.matches('?').count()];
    Condition::new(sql, params)
}

/// Removes from `data` the metadata a vendor's departments do not cover.
pub(super) async fn mask_for_vendor(ctx: &Ctx<'_>, rows: &mut [Row]) -> ApiResult<()> {
    if ctx.identity.person.role != Role::Vendor {
        return Ok(());
    }
    let hidden = ctx
        .db()
        .fetch_all(
            "SELECT d.project_id, d.field_name FROM metadata_descriptor d \
             WHERE EXISTS (SELECT 1 FROM department_metadata_descriptor_link l WHERE l.metadata_descriptor_id = d.id) \
             AND NOT EXISTS (SELECT 1 FROM department_metadata_descriptor_link l JOIN department_link mine \
                             ON mine.department_id = l.department_id \
                             WHERE l.metadata_descriptor_id = d.id AND mine.person_id = $1)",
            &[ctx.identity.person.id.into()],
            None,
        )
        .await?;
    for row in rows.iter_mut() {
        let project = row["project_id"].clone();
        // A vendor's rows always carry a `data` object, as in Zou.
        let data = row.entry("data").or_insert(json!({}));
        if data.is_null() {
            *data = json!({});
        }
        if let Some(Json::Object(data)) = row.get_mut("data") {
            for descriptor in hidden.iter().filter(|d| d["project_id"] == project) {
                if let Some(field) = descriptor["field_name"].as_str() {
                    data.remove(field);
                }
            }
        }
    }
    Ok(())
}

/// Names of the projects and parents the rows refer to, to show beside them.
async fn names_by_id(
    ctx: &Ctx<'_>,
    table: &str,
    ids: impl Iterator<Item = Json>,
) -> ApiResult<HashMap<String, Json>> {
    let ids: Vec<Value> = ids
        .filter_map(|id| Value::from_json(ColumnKind::Uuid, &id).ok())
        .filter(|v| *v != Value::Null)
        .collect();
    let mut names = HashMap::new();
    let sql = format!("SELECT id, name FROM {table} WHERE id IN ({{ids}})");
    for row in ctx.db().clone().fetch_in(&sql, &[], &ids, None).await? {
        names.insert(
            row["id"].as_str().unwrap_or_default().to_string(),
            row["name"].clone(),
        );
    }
    Ok(names)
}

async fn list(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let pairs: Vec<(String, String)> = ctx
        .query
        .iter()
        .filter(|(key, _)| {
            !["page", "relations", "fields", "sequence_id", "episode_id"].contains(&key.as_str())
        })
        .cloned()
        .collect();
    let admin = identity.is_admin();
    let given = |key: &str| ctx.param(key).map(str::to_string);
    if !admin
        && !kind.scoping_keys().is_empty()
        && kind.scoping_keys().iter().all(|key| given(key).is_none())
    {
        return Err(ApiError::Forbidden);
    }
    let mut conditions = vec![kind.type_condition()];
    for key in ["project_id", "sequence_id", "episode_id"] {
        if let Some(value) = given(key) {
            let project = if key == "project_id" {
                json!(value)
            } else {
                project_of_entity(&ctx, &value).await?
            };
            let role = team_role(&ctx, Some(&project)).await?;
            if kind == Kind::Concept && matches!(role, Role::Vendor | Role::Client) {
                return Err(ApiError::Forbidden);
            }
        }
    }
    if let Some(sequence) = given("sequence_id") {
        conditions.push(Condition::new(
            "parent_id = ?",
            vec![uuid_value(&sequence)?],
        ));
    }
    if let Some(episode) = given("episode_id") {
        let episode = uuid_value(&episode)?;
        conditions.push(match kind {
            Kind::Shot | Kind::Scene => Condition::new("parent_id IN (SELECT id FROM entity WHERE parent_id = ?)", vec![episode]),
            Kind::Asset => Condition::new(
                "source_id = ? OR id IN (SELECT l.entity_out_id FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id \
                 JOIN entity sq ON sq.id = sh.parent_id WHERE sq.parent_id = ?)",
                vec![episode.clone(), episode],
            ),
            _ => Condition::new("parent_id = ?", vec![episode]),
        });
    }
    conditions.extend(column_filters(
        &ctx,
        &ENTITIES,
        state
            .db
            .schema()
            .table("entity")
            .ok_or_else(|| ApiError::internal("entity table"))?,
        &pairs,
    )?);
    if !admin {
        let projects = team_projects(identity.person.id, false);
        conditions.push(Condition::new(
            format!("project_id IN ({})", projects.sql),
            projects.params,
        ));
        if identity.person.role == Role::Vendor {
            conditions.push(vendor_reach(kind, identity.person.id));
        }
    }
    let (where_sql, params) = where_clause(&conditions);
    let mut rows = state
        .db
        .fetch_all(
            &format!("SELECT * FROM entity{where_sql} ORDER BY lower(name), name, id"),
            &params,
            Some("entity"),
        )
        .await?;
    mask_for_vendor(&ctx, &mut rows).await?;
    let projects = names_by_id(
        &ctx,
        "project",
        rows.iter().map(|r| r["project_id"].clone()),
    )
    .await?;
    let parents = names_by_id(&ctx, "entity", rows.iter().map(|r| r["parent_id"].clone())).await?;
    if kind == Kind::Shot {
        // Zou lists the shots that sit in a sequence.
        rows.retain(|row| {
            row["parent_id"]
                .as_str()
                .is_some_and(|p| parents.contains_key(p))
        });
    }
    let links = if kind == Kind::Concept {
        concept_links(&ctx, &rows).await?
    } else {
        HashMap::new()
    };
    for row in rows.iter_mut() {
        row.insert("type".into(), json!(kind.type_name()));
        let project = row["project_id"]
            .as_str()
            .and_then(|p| projects.get(p))
            .cloned()
            .unwrap_or(Json::Null);
        let parent = row["parent_id"]
            .as_str()
            .and_then(|p| parents.get(p))
            .cloned()
            .unwrap_or(Json::Null);
        match kind {
            Kind::Shot => {
                row.insert("project_name".into(), project);
                row.insert("sequence_name".into(), parent);
            }
            Kind::Edit | Kind::Scene => {
                row.insert("project_name".into(), project);
            }
            Kind::Concept => {
                row.insert("project_name".into(), project);
                let id = row["id"].as_str().unwrap_or_default().to_string();
                row.insert(
                    "entity_concept_links".into(),
                    json!(links.get(&id).cloned().unwrap_or_default()),
                );
            }
            _ => {}
        }
    }
    Ok(HttpResponse::Ok().json(rows))
}

async fn concept_links(ctx: &Ctx<'_>, rows: &[Row]) -> ApiResult<HashMap<String, Vec<Json>>> {
    let mut links: HashMap<String, Vec<Json>> = HashMap::new();
    for row in rows {
        let found = ctx
            .db()
            .fetch_all(
                "SELECT entity_out_id FROM entity_concept_link WHERE entity_in_id = $1 ORDER BY entity_out_id",
                &[id_of(&row["id"])?],
                None,
            )
            .await?;
        links.insert(
            row["id"].as_str().unwrap_or_default().to_string(),
            found
                .into_iter()
                .map(|l| l["entity_out_id"].clone())
                .collect(),
        );
    }
    Ok(links)
}

/// An entity of this kind, or 404 (a malformed id is not found either).
async fn load(ctx: &Ctx<'_>, kind: Kind, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let type_condition = kind.type_condition();
    let (where_sql, params) =
        where_clause(&[Condition::new("id = ?", vec![id.into()]), type_condition]);
    ctx.db()
        .fetch_optional(
            &format!("SELECT * FROM entity{where_sql}"),
            &params,
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// The entity's tasks as the breakdown pages show them.
async fn tasks_of(ctx: &Ctx<'_>, entity: &Json, kind: Kind) -> ApiResult<Vec<Json>> {
    let entity = id_of(entity)?;
    let tasks = ctx
        .db()
        .fetch_all(
            "SELECT * FROM task WHERE entity_id = $1 ORDER BY created_at, id",
            std::slice::from_ref(&entity),
            Some("task"),
        )
        .await?;
    let assignees = ctx
        .db()
        .fetch_all(
            "SELECT a.task_id, a.person_id FROM task_person_link a JOIN task t ON t.id = a.task_id \
             WHERE t.entity_id = $1 ORDER BY a.person_id",
            std::slice::from_ref(&entity),
            None,
        )
        .await?;
    let subscribed = ctx
        .db()
        .fetch_all(
            "SELECT s.task_id FROM subscription s JOIN task t ON t.id = s.task_id WHERE t.entity_id = $1 AND s.person_id = $2",
            &[entity, ctx.identity.person.id.into()],
            None,
        )
        .await?;
    let mut keys = vec![
        "id",
        "due_date",
        "done_date",
        "duration",
        "entity_id",
        "estimation",
        "end_date",
        "last_comment_date",
        "last_preview_file_id",
        "priority",
        "real_start_date",
        "retake_count",
        "start_date",
        "difficulty",
        "task_status_id",
        "task_type_id",
        "data",
    ];
    if kind == Kind::Shot {
        keys.extend(["nb_assets_ready", "nb_drawings"]);
    }
    Ok(tasks
        .into_iter()
        .map(|task| {
            let mut out: Map<String, Json> = keys
                .iter()
                .map(|k| (k.to_string(), task[*k].clone()))
                .collect();
            let people: Vec<Json> = assignees
                .iter()
                .filter(|a| a["task_id"] == task["id"])
                .map(|a| a["person_id"].clone())
                .collect();
            out.insert("assignees".into(), json!(people));
            out.insert(
                "is_subscribed".into(),
                json!(subscribed.iter().any(|s| s["task_id"] == task["id"])),
            );
            Json::Object(out)
        })
        .collect())
}

async fn relations(ctx: &Ctx<'_>, row: &mut Row) -> ApiResult<()> {
    let id = id_of(&row["id"])?;
    for (key, sql) in [
        ("entities_out", "SELECT entity_out_id AS item FROM entity_link WHERE entity_in_id = $1 ORDER BY entity_out_id"),
        ("entity_concept_links", "SELECT entity_out_id AS item FROM entity_concept_link WHERE entity_in_id = $1 ORDER BY entity_out_id"),
        ("instance_casting", "SELECT asset_instance_id AS item FROM asset_instance_link WHERE entity_id = $1 ORDER BY asset_instance_id"),
        ("entities_in", "SELECT entity_in_id AS item FROM entity_link WHERE entity_out_id = $1 ORDER BY entity_in_id"),
    ] {
        let items = ctx.db().fetch_all(sql, std::slice::from_ref(&id), None).await?;
        row.insert(key.into(), json!(items.into_iter().map(|i| i["item"].clone()).collect::<Vec<_>>()));
    }
    Ok(())
}

async fn name_of(ctx: &Ctx<'_>, table: &str, id: &Json) -> ApiResult<Json> {
    if id.is_null() {
        return Ok(Json::Null);
    }
    Ok(ctx
        .db()
        .fetch_optional(
            &format!("SELECT name FROM {table} WHERE id = $1"),
            &[id_of(id)?],
            None,
        )
        .await?
        .map_or(Json::Null, |r| r["name"].clone()))
}

async fn preview_status(ctx: &Ctx<'_>, preview: &Json) -> ApiResult<Json> {
    if preview.is_null() {
        return Ok(Json::Null);
    }
    Ok(ctx
        .db()
        .fetch_optional(
            "SELECT status FROM preview_file WHERE id = $1",
            &[id_of(preview)?],
            None,
        )
        .await?
        .map_or(Json::Null, |r| r["status"].clone()))
}

async fn parent_of(ctx: &Ctx<'_>, id: &Json) -> ApiResult<Json> {
    if id.is_null() {
        return Ok(Json::Null);
    }
    Ok(ctx
        .db()
        .fetch_optional(
            "SELECT parent_id FROM entity WHERE id = $1",
            &[id_of(id)?],
            None,
        )
        .await?
        .map_or(Json::Null, |r| r["parent_id"].clone()))
}

async fn get(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut row = load(&ctx, kind, &id).await?;
    let role = team_role(&ctx, row.get("project_id")).await?;
    if role == Role::Vendor && !scope::assigned_on_entity(&ctx, &row["id"]).await? {
        return Err(ApiError::Forbidden);
    }
    if kind == Kind::Concept && role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    mask_for_vendor(&ctx, std::slice::from_mut(&mut row)).await?;
    let project_name = name_of(&ctx, "project", &row["project_id"]).await?;
    row.insert("type".into(), json!(kind.type_name()));
    match kind {
        Kind::Episode => {
            row.insert("project_name".into(), project_name);
        }
        Kind::Sequence => {
            row.insert("project_name".into(), project_name);
            if !row["parent_id"].is_null() {
                row.insert("episode_id".into(), row["parent_id"].clone());
                row.insert(
                    "episode_name".into(),
                    name_of(&ctx, "entity", &row["parent_id"]).await?,
                );
            }
        }
        Kind::Scene | Kind::Shot => {
            let sequence = row["parent_id"].clone();
            let episode = parent_of(&ctx, &sequence).await?;
            row.insert("project_name".into(), project_name);
            row.insert("sequence_id".into(), sequence.clone());
            row.insert(
                "sequence_name".into(),
                name_of(&ctx, "entity", &sequence).await?,
            );
            row.insert("episode_id".into(), episode.clone());
            row.insert(
                "episode_name".into(),
                name_of(&ctx, "entity", &episode).await?,
            );
            if kind == Kind::Shot {
                for key in ["fps", "frame_in", "frame_out"] {
                    let value = row["data"].get(key).cloned().unwrap_or(Json::Null);
                    row.insert(key.into(), value);
                }
                relations(&ctx, &mut row).await?;
                row.insert(
                    "tasks".into(),
                    json!(tasks_of(&ctx, &row["id"], kind).await?),
                );
            }
        }
        Kind::Asset => {
            relations(&ctx, &mut row).await?;
            row.remove("source_id");
            row.remove("nb_frames");
            row.insert("project_name".into(), project_name);
            row.insert("asset_type_id".into(), row["entity_type_id"].clone());
            row.insert(
                "asset_type_name".into(),
                name_of(&ctx, "entity_type", &row["entity_type_id"]).await?,
            );
            let source = load(&ctx, kind, &id).await?["source_id"].clone();
            row.insert("episode_id".into(), source);
            let episodes = ctx
                .db()
                .fetch_all(
                    "SELECT DISTINCT sq.parent_id FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id \
                     JOIN entity sq ON sq.id = sh.parent_id WHERE l.entity_out_id = $1 AND sq.parent_id IS NOT NULL",
                    &[id_of(&row["id"])?],
                    None,
                )
                .await?;
            row.insert(
                "casting_episode_ids".into(),
                json!(episodes
                    .into_iter()
                    .map(|e| e["parent_id"].clone())
                    .collect::<Vec<_>>()),
            );
            row.insert(
                "tasks".into(),
                json!(tasks_of(&ctx, &row["id"], kind).await?),
            );
        }
        Kind::Edit => {
            let keep = [
                "canceled",
                "data",
                "description",
                "entity_type_id",
                "id",
                "name",
                "parent_id",
                "preview_file_id",
                "project_id",
                "source_id",
                "nb_entities_out",
                "type",
            ];
            row.retain(|key, _| keep.contains(&key.as_str()));
            row.insert("project_name".into(), project_name);
            row.insert("episode_id".into(), row["source_id"].clone());
            row.insert(
                "episode_name".into(),
                name_of(&ctx, "entity", &row["source_id"]).await?,
            );
            row.insert(
                "tasks".into(),
                json!(tasks_of(&ctx, &row["id"], kind).await?),
            );
        }
        Kind::Concept => {
            relations(&ctx, &mut row).await?;
            row.insert("project_name".into(), project_name);
            for key in ["fps", "frame_in", "frame_out"] {
                let value = row["data"].get(key).cloned().unwrap_or(Json::Null);
                row.insert(key.into(), value);
            }
            row.insert(
                "preview_file_status".into(),
                preview_status(&ctx, &row["preview_file_id"]).await?,
            );
            row.insert(
                "tasks".into(),
                json!(tasks_of(&ctx, &row["id"], kind).await?),
            );
        }
    }
    Ok(HttpResponse::Ok().json(row))
}

/// What an entity's deletion removes with it: its tasks and everything on
/// them, its links, versions, subscriptions, files; its children let go of it.
async fn remove_entity(tx: &mut Tx, id: Value) -> ApiResult<()> {
    remove_task_data(tx, "SELECT id FROM task WHERE entity_id = $1", id.clone()).await?;
    for statement in [
        "DELETE FROM task WHERE entity_id = $1",
        "DELETE FROM entity_link WHERE entity_in_id = $1 OR entity_out_id = $1",
        "DELETE FROM entity_concept_link WHERE entity_in_id = $1 OR entity_out_id = $1",
        "DELETE FROM asset_instance_link WHERE entity_id = $1",
        "DELETE FROM entity_version WHERE entity_id = $1",
        "DELETE FROM subscription WHERE entity_id = $1",
        "DELETE FROM schedule_item WHERE object_id = $1",
        "DELETE FROM asset_instance_link WHERE asset_instance_id IN \
         (SELECT id FROM asset_instance WHERE asset_id = $1 OR target_asset_id = $1 OR scene_id = $1)",
        "DELETE FROM output_file WHERE asset_instance_id IN \
         (SELECT id FROM asset_instance WHERE asset_id = $1 OR target_asset_id = $1 OR scene_id = $1)",
        "DELETE FROM asset_instance WHERE asset_id = $1 OR target_asset_id = $1 OR scene_id = $1",
        "UPDATE output_file SET temporal_entity_id = NULL WHERE temporal_entity_id = $1",
        "DELETE FROM output_file WHERE entity_id = $1",
        "DELETE FROM working_file WHERE entity_id = $1",
        "UPDATE entity SET parent_id = NULL WHERE parent_id = $1",
        "UPDATE entity SET source_id = NULL WHERE source_id = $1",
        "DELETE FROM entity WHERE id = $1",
    ] {
        tx.execute(statement, std::slice::from_ref(&id)).await?;
    }
    Ok(())
}

/// The children a container's forced deletion takes with it.
async fn children(tx: &mut Tx, kind: Kind, id: &Value) -> ApiResult<Vec<Value>> {
    let sql = match kind {
        Kind::Sequence => "SELECT id FROM entity WHERE parent_id = $1",
        Kind::Episode => {
            "SELECT id FROM entity WHERE parent_id IN (SELECT id FROM entity WHERE parent_id = $1) \
             UNION SELECT id FROM entity WHERE parent_id = $1 UNION SELECT id FROM entity WHERE source_id = $1"
        }
        _ => return Ok(Vec::new()),
    };
    let rows = tx.fetch_all(sql, std::slice::from_ref(id), None).await?;
    rows.iter().map(|r| id_of(&r["id"])).collect()
}

async fn delete(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = load(&ctx, kind, &id).await?;
    let role = team_role(&ctx, row.get("project_id")).await?;
    let creator = row["created_by"].as_str() == Some(identity.person.id.to_string().as_str());
    if !matches!(role, Role::Admin | Role::Manager) && !creator {
        return Err(ApiError::Forbidden);
    }
    let force = ctx.forced();
    let entity = id_of(&row["id"])?;
    let project = scope::project_id(row.get("project_id"));
    let key = format!("{}_id", kind.event_prefix());
    let id_text = row["id"].as_str().unwrap_or_default().to_string();
    let mut tx = state.db.begin().await?;
    let has_tasks = tx
        .fetch_optional(
            "SELECT id FROM task WHERE entity_id = $1 LIMIT 1",
            std::slice::from_ref(&entity),
            None,
        )
        .await?
        .is_some();
    if kind.cancels_with_tasks() && has_tasks && !force {
        // An entity with work on it is canceled, not lost.
        tx.execute(
            "UPDATE entity SET canceled = TRUE, updated_at = $1 WHERE id = $2",
            &[now().into(), entity],
        )
        .await?;
        Event::new(format!("{}:update", kind.event_prefix()), &key, &id_text)
            .in_project(project)
            .record(&mut tx, identity.person.id)
            .await?;
        tx.commit().await?;
        let touched = Touched {
            entities: vec![id_text],
            ..Default::default()
        };
        refresh(&state, project, touched).await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    if force || kind.cancels_with_tasks() {
        // What holds work is removed with everything on it; a container
        // only when forced, with what it contains.
        for child in children(&mut tx, kind, &entity).await? {
            remove_entity(&mut tx, child).await?;
        }
        remove_entity(&mut tx, entity).await?;
    } else {
        let deleted = tx
            .execute("DELETE FROM entity WHERE id = $1", &[entity])
            .await;
        if let Err(error) = deleted {
            return Err(match ApiError::from(error) {
                ApiError::Body(..) => ApiError::refused(format!(
                    "Some data are still linked to this {}.",
                    kind.event_prefix()
                )),
                other => other,
            });
        }
    }
    Event::new(format!("{}:delete", kind.event_prefix()), &key, &id_text)
        .in_project(project)
        .record(&mut tx, identity.person.id)
        .await?;
    tx.commit().await?;
    refresh(&state, project, Touched::everything()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Tells the project's actor what a committed write changed.
async fn refresh(state: &AppState, project: Option<Uuid>, touched: Touched) -> ApiResult<()> {
    match project {
        Some(project) => state
            .projects
            .refresh(&project.to_string(), touched)
            .await
            .map_err(ApiError::internal),
        None => Ok(()),
    }
}

/// `PUT /data/shots/{id}`: managers edit a shot's name, description, frames,
/// data (replaced), sequence and cancellation.
async fn update_shot(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = load(&ctx, Kind::Shot, &id).await?;
    scope::require_manager(&ctx, row.get("project_id")).await?;
    let data = match serde_json::from_slice::<Json>(&body) {
        Ok(Json::Object(data)) => data,
        _ => return Err(ApiError::bad_request("The data must be a JSON object.")),
    };
    let mut errors = Vec::new();
    let mut values: Vec<(String, Value)> = Vec::new();
    for (key, value) in &data {
        let checked = match key.as_str() {
            "name" => match value.as_str() {
                Some(name) if !name.is_empty() => Ok(Value::Text(name.to_string())),
                Some(_) => Err("String should have at least 1 character"),
                None => Err("Input should be a valid string"),
            },
            "description" => match value {
                Json::Null => Ok(Value::Null),
                Json::String(text) => Ok(Value::Text(text.clone())),
                _ => Err("Input should be a valid string"),
            },
            "nb_frames" => match value {
                Json::Null => Ok(Value::Null),
                Json::Number(n) if n.is_i64() => Ok(Value::Int(n.as_i64().unwrap_or(0))),
                _ => Err("Input should be a valid integer"),
            },
            "data" => match value {
                Json::Null | Json::Object(_) => Ok(Value::Json(value.clone())),
                _ => Err("Input should be a valid dictionary"),
            },
            "parent_id" => Value::from_json(ColumnKind::Uuid, value)
                .map_err(|_| "Input should be a valid UUID"),
            "canceled" => value
                .as_bool()
                .map(Value::Bool)
                .ok_or("Input should be a valid boolean"),
            _ => continue,
        };
        match checked {
            Ok(v) => values.push((key.clone(), v)),
            Err(message) => errors.push((key.clone(), message.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    values.push(("updated_at".into(), now().into()));
    let mut tx = state.db.begin().await?;
    let mut updated = tx
        .update("entity", id_of(&row["id"])?, values)
        .await?
        .ok_or(ApiError::NotFound)?;
    Event::new(
        "shot:update",
        "shot_id",
        updated["id"].as_str().unwrap_or_default(),
    )
    .in_project(scope::project_id(updated.get("project_id")))
    .record(&mut tx, identity.person.id)
    .await?;
    tx.commit().await?;
    let touched = Touched {
        entities: vec![updated["id"].as_str().unwrap_or_default().to_string()],
        ..Default::default()
    };
    refresh(
        &state,
        scope::project_id(updated.get("project_id")),
        touched,
    )
    .await?;
    updated.insert("type".into(), json!(entities::entity_kind("Shot")));
    Ok(HttpResponse::Ok().json(updated))
}

/// The ids of a batch: a JSON array of UUIDs, each kept once, as sent.
pub(super) fn batch_ids(body: &[u8]) -> ApiResult<Vec<String>> {
    let Ok(Json::Array(items)) = serde_json::from_slice::<Json>(body) else {
        return Err(ApiError::bad_request("Request body must be a JSON array."));
    };
    let mut ids: Vec<String> = Vec::new();
    for item in items {
        match item
            .as_str()
            .filter(|id| Uuid::parse_str(id).is_ok() && id.len() == 36)
        {
            Some(id) if !ids.iter().any(|seen| seen.eq_ignore_ascii_case(id)) => {
                ids.push(id.to_string())
            }
            Some(_) => {}
            None => {
                return Err(ApiError::bad_request(
                    "Request body must only contain valid UUIDs.",
                ))
            }
        }
    }
    Ok(ids)
}

/// `POST /actions/projects/{id}/delete-entities`: the breakdown page's bulk
/// delete. Each asset, shot, edit or concept of the project is deleted, or
/// canceled when it has tasks and is not canceled yet (unless `?force=true`).
/// Creators may remove what they created; anything else needs a manager.
/// All or nothing: one refusal and nothing is touched. Answers the ids handled.
async fn delete_entities(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let known = state
        .db
        .fetch_optional(
            "SELECT id FROM project WHERE id = $1",
            &[project.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let ids = batch_ids(&body)?;
    let force = ctx.forced();
    let me = identity.person.id.to_string();
    let mut targets = Vec::new();
    for id in &ids {
        let found = state
            .db
            .fetch_optional(
                "SELECT e.id, e.project_id, e.created_by, e.canceled, et.name AS entity_type_name FROM entity e \
                 JOIN entity_type et ON et.id = e.entity_type_id WHERE e.id = $1",
                &[uuid_value(id)?],
                Some("entity"),
            )
            .await?;
        let Some(row) = found else { continue };
        let creator = row["created_by"].as_str() == Some(me.as_str());
        let creator_in_team = creator && team_role(&ctx, row.get("project_id")).await.is_ok();
        if !creator_in_team {
            scope::require_manager(&ctx, Some(&json!(project))).await?;
        }
        let kind =
            entities::entity_kind(row["entity_type_name"].as_str().unwrap_or_default()).to_string();
        if row["project_id"] == json!(project)
            && ["Asset", "Shot", "Edit", "Concept"].contains(&kind.as_str())
        {
            targets.push((id.clone(), row, kind));
        }
    }
    let mut tx = state.db.begin().await?;
    let mut handled = Vec::new();
    for (sent, row, kind) in targets {
        let entity = id_of(&row["id"])?;
        let has_tasks = tx
            .fetch_optional(
                "SELECT id FROM task WHERE entity_id = $1 LIMIT 1",
                std::slice::from_ref(&entity),
                None,
            )
            .await?
            .is_some();
        let prefix = kind.to_lowercase();
        let id_text = row["id"].as_str().unwrap_or_default();
        let cancel = kind != "Concept" && has_tasks && !force && row["canceled"] != json!(true);
        let action = if cancel {
            tx.execute(
                "UPDATE entity SET canceled = TRUE, updated_at = $1 WHERE id = $2",
                &[now().into(), entity],
            )
            .await?;
            "update"
        } else {
            remove_entity(&mut tx, entity).await?;
            "delete"
        };
        Event::new(
            format!("{prefix}:{action}"),
            &format!("{prefix}_id"),
            id_text,
        )
        .in_project(Some(project))
        .record(&mut tx, identity.person.id)
        .await?;
        handled.push(sent);
    }
    tx.commit().await?;
    if !handled.is_empty() {
        refresh(&state, Some(project), Touched::everything()).await?;
    }
    Ok(HttpResponse::Ok().json(handled))
}

/// `POST /actions/projects/{id}/task-types/{id}/set-shot-nb-frames`: each
/// shot (of one episode with `?episode_id=`) takes its frame count from the
/// duration of its latest ready movie of the task type, at the project's fps.
async fn set_shot_frames(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project_id = Uuid::parse_str(&path.0).map_err(|_| ApiError::NotFound)?;
    let project = state
        .db
        .fetch_optional(
            "SELECT id, fps FROM project WHERE id = $1",
            &[project_id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    scope::require_manager(&ctx, Some(&json!(project_id))).await?;
    let task_type = Uuid::parse_str(&path.1)
        .map_err(|_| ApiError::bad_request("Invalid project or task type id"))?;
    let episode = match ctx.param("episode_id").filter(|e| !e.is_empty()) {
        Some(e) => {
            Some(Uuid::parse_str(e).map_err(|_| ApiError::bad_request("Invalid episode id"))?)
        }
        None => None,
    };
    let fps: f64 = project["fps"]
        .as_str()
        .and_then(|fps| fps.trim().parse().ok())
        .or_else(|| project["fps"].as_f64())
        .filter(|fps: &f64| *fps > 0.0)
        .ok_or_else(|| ApiError::bad_request("The project has no valid fps."))?;
    let mut sql = String::from(
        "SELECT s.id, s.name, s.nb_frames, pf.duration FROM entity s \
         JOIN entity_type et ON et.id = s.entity_type_id AND et.name = 'Shot' \
         JOIN task t ON t.entity_id = s.id AND t.task_type_id = $2 \
         JOIN preview_file pf ON pf.task_id = t.id AND pf.status = 'ready' AND pf.duration > 0 \
         WHERE s.project_id = $1",
    );
    let mut params = vec![Value::Uuid(project_id), Value::Uuid(task_type)];
    if let Some(episode) = episode {
        params.push(episode.into());
        sql.push_str(" AND s.parent_id IN (SELECT id FROM entity WHERE parent_id = $3)");
    }
    sql.push_str(" ORDER BY s.name, s.id, pf.created_at DESC, pf.id DESC");
    let rows = state.db.fetch_all(&sql, &params, Some("entity")).await?;
    let mut tx = state.db.begin().await?;
    let mut answer = Vec::new();
    let mut touched = Vec::new();
    for row in &rows {
        if answer.last().is_some_and(|a: &Json| a["id"] == row["id"]) {
            continue; // an older preview of a shot already set
        }
        let frames = round_half_even(row["duration"].as_f64().unwrap_or(0.0) * fps);
        if row["nb_frames"].as_i64() != Some(frames) {
            tx.execute(
                "UPDATE entity SET nb_frames = $1, updated_at = $2 WHERE id = $3",
                &[Value::Int(frames), now().into(), id_of(&row["id"])?],
            )
            .await?;
            let id = row["id"].as_str().unwrap_or_default();
            Event::new("shot:update", "shot_id", id)
                .in_project(Some(project_id))
                .record(&mut tx, identity.person.id)
                .await?;
            touched.push(id.to_string());
        }
        answer.push(json!({"id": row["id"], "nb_frames": frames}));
    }
    tx.commit().await?;
    if !touched.is_empty() {
        refresh(
            &state,
            Some(project_id),
            Touched {
                entities: touched,
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(HttpResponse::Ok().json(answer))
}
