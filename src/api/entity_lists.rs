//! Task lists of an entity and of what an episode or sequence contains, and an
//! entity's logged time and previews (`/data/episodes/{id}/shot-tasks`,
//! `/data/entities/{id}/time-spents`, ...).

use super::breakdown::Kind;
use super::breakdown_create::{check_vendor, readable};
use super::{text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::entity_kind;
use crate::crud::scope::team_role;
use crate::crud::{id_of, Ctx};
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::role::Role;
use uuid::Uuid;

// Which entities' tasks a container lists, as SQL selecting their ids from the container's (`$1`).
pub(super) const EPISODE_SHOTS: &str =
    "SELECT id FROM entity WHERE parent_id IN (SELECT id FROM entity WHERE parent_id = $1)";
pub(super) const SEQUENCE_SHOTS: &str = "SELECT id FROM entity WHERE parent_id = $1";
const EPISODE_EDITS: &str =
    "SELECT e.id FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
     WHERE e.parent_id = $1 AND et.name = 'Edit'";

pub(super) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    let episode_assets = format!(
        "SELECT id FROM entity WHERE source_id = $1 AND {}",
        Kind::Asset.type_condition().sql
    );
    for (path, kind, entities, what) in [
        (
            "/data/episodes/{episode_id}/asset-tasks",
            Kind::Episode,
            episode_assets,
            "assets",
        ),
        (
            "/data/episodes/{episode_id}/shot-tasks",
            Kind::Episode,
            EPISODE_SHOTS.to_string(),
            "shots and scenes",
        ),
        (
            "/data/episodes/{episode_id}/edit-tasks",
            Kind::Episode,
            EPISODE_EDITS.to_string(),
            "edits",
        ),
        (
            "/data/sequences/{sequence_id}/shot-tasks",
            Kind::Sequence,
            SEQUENCE_SHOTS.to_string(),
            "shots and scenes",
        ),
    ] {
        routes.push(Route::new(
            Method::GET,
            path,
            format!("Get the tasks of the {what} of one of {}", kind.route()),
            move |r| {
                let entities = entities.clone();
                r.to(move |state, identity, id, req| {
                    container_tasks(kind, entities.clone(), state, identity, id, req)
                })
            },
        ));
    }
    for kind in [Kind::Shot, Kind::Edit] {
        routes.push(Route::new(
            Method::GET,
            format!(
                "/data/{}/{{{}_id}}/versions",
                kind.route(),
                kind.event_prefix()
            ),
            format!("Get the earlier versions of one of {}", kind.route()),
            move |r| r.to(move |s, i, id, q| versions(kind, s, i, id, q)),
        ));
    }
    for kind in [Kind::Shot, Kind::Edit, Kind::Concept] {
        routes.push(Route::new(
            Method::GET,
            format!(
                "/data/{}/{{{}_id}}/preview-files",
                kind.route(),
                kind.event_prefix()
            ),
            format!("Get the previews of one of {}, per task type", kind.route()),
            move |r| r.to(move |s, i, id, q| previews_by_task_type(kind, s, i, id, q)),
        ));
    }
    routes.push(Route::new(
        Method::GET,
        "/data/shots/{shot_id}/asset-types",
        "Get the asset types a shot casts",
        |r| r.to(shot_asset_types),
    ));
    routes.push(Route::new(
        Method::GET,
        "/data/entities/{entity_id}/entities-linked/with-tasks",
        "Get the entities linked to an entity (concepts), with their tasks",
        |r| r.to(linked_with_tasks),
    ));
    routes.push(Route::new(
        Method::GET,
        "/data/entities/{entity_id}/time-spents",
        "Get the time logged on an entity's tasks",
        |r| r.to(entity_time_spents),
    ));
    routes.push(Route::new(
        Method::GET,
        "/data/entities/{entity_id}/preview-files",
        "Get the previews of an entity's tasks",
        |r| r.to(entity_preview_files),
    ));
    routes
}

/// The tasks of the entities `entities` selects from `key`, with the names of
/// what they belong to; `assignees` on `?relations=true` where `relations`
/// allows it; blanked for clients. Tasks without a status are left out, as in Zou.
pub(super) async fn task_rows(
    ctx: &Ctx<'_>,
    role: Role,
    entities: &str,
    key: &Json,
    relations: bool,
) -> ApiResult<Vec<Json>> {
    let key = id_of(key)?;
    let tasks = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT t.*, p.name AS project_name, tt.name AS task_type_name, ts.name AS task_status_name, \
                 et.name AS entity_type_name, e.name AS entity_name FROM task t \
                 JOIN project p ON p.id = t.project_id JOIN task_type tt ON tt.id = t.task_type_id \
                 JOIN task_status ts ON ts.id = t.task_status_id JOIN entity e ON e.id = t.entity_id \
                 JOIN entity_type et ON et.id = e.entity_type_id WHERE t.entity_id IN ({entities}) \
                 ORDER BY lower(t.name), lower(p.name), lower(tt.name), lower(et.name), lower(e.name), t.id"
            ),
            std::slice::from_ref(&key),
            Some("task"),
        )
        .await?;
    let relations = relations
        && ctx
            .param("relations")
            .is_some_and(|r| r.eq_ignore_ascii_case("true"));
    let mut assignees = HashMap::new();
    if relations {
        let links = ctx
            .db()
            .fetch_all(
                &format!(
                    "SELECT l.task_id, l.person_id FROM task_person_link l JOIN task t ON t.id = l.task_id \
                     WHERE t.entity_id IN ({entities}) ORDER BY l.person_id"
                ),
                &[key],
                None,
            )
            .await?;
        assignees = crate::db::grouped(&links, "task_id", "person_id");
    }
    Ok(tasks
        .into_iter()
        .map(|mut task| {
            if relations {
                let people = task["id"]
                    .as_str()
                    .and_then(|id| assignees.remove(id))
                    .unwrap_or_default();
                task.insert("assignees".into(), Json::Array(people));
            }
            task.insert("type".into(), json!("Task"));
            if role == Role::Client {
                blank_for_clients(&mut task);
            }
            Json::Object(task)
        })
        .collect())
}

/// Clients see a task's status but not how the studio works on it.
pub(super) fn blank_for_clients(task: &mut Map<String, Json>) {
    for (key, blank) in [
        ("assignees", json!([])),
        ("assigner_id", Json::Null),
        ("completion_rate", json!(0)),
        ("difficulty", Json::Null),
        ("done_date", Json::Null),
        ("due_date", Json::Null),
        ("duration", json!(0)),
        ("end_date", Json::Null),
        ("estimation", json!(0)),
        ("last_comment_date", Json::Null),
        ("nb_assets_ready", json!(0)),
        ("nb_drawings", json!(0)),
        ("priority", json!(0)),
        ("real_start_date", Json::Null),
        ("retake_count", json!(0)),
        ("start_date", Json::Null),
    ] {
        if task.contains_key(key) {
            task.insert(key.into(), blank);
        }
    }
}

/// The tasks inside an episode or sequence; vendors never list them.
async fn container_tasks(
    kind: Kind,
    entities: String,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, kind, &id).await?;
    if role == Role::Vendor {
        return Err(ApiError::Forbidden);
    }
    Ok(HttpResponse::Ok().json(task_rows(&ctx, role, &entities, &row["id"], true).await?))
}

/// Any entity (404 otherwise) whose project the caller is in; vendors need a task on it.
pub(super) async fn entity(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let row = ctx
        .db()
        .fetch_optional(
            "SELECT * FROM entity WHERE id = $1",
            &[id.into()],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = team_role(ctx, row.get("project_id")).await?;
    check_vendor(ctx, role, &row).await?;
    Ok(row)
}

async fn entity_time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = entity(&ctx, &id).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT ts.* FROM time_spent ts JOIN task t ON t.id = ts.task_id WHERE t.entity_id = $1 \
             ORDER BY ts.date DESC, ts.id",
            &[id_of(&row["id"])?],
            Some("time_spent"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(super::typed(rows, "TimeSpent")))
}

async fn entity_preview_files(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = entity(&ctx, &id).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT pf.id, pf.name, pf.original_name, pf.extension, pf.revision, pf.position, pf.file_size, \
             pf.status, pf.validation_status, pf.task_id, pf.person_id, pf.created_at, pf.token_in, pf.token_out \
             FROM preview_file pf JOIN task t ON t.id = pf.task_id JOIN task_type tt ON tt.id = t.task_type_id \
             WHERE t.entity_id = $1 ORDER BY tt.name, pf.revision DESC, pf.position, pf.id",
            &[id_of(&row["id"])?],
            Some("preview_file"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Earlier names and frame ranges of a shot (edits have none recorded, as in Zou).
async fn versions(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, kind, &id).await?;
    check_vendor(&ctx, role, &row).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT name, data, entity_id, person_id, id, created_at, updated_at FROM entity_version \
             WHERE entity_id = $1 ORDER BY created_at DESC, id DESC",
            &[id_of(&row["id"])?],
            Some("entity_version"),
        )
        .await?;
    let type_name = if kind == Kind::Shot {
        "ShotVersion"
    } else {
        "EditVersion"
    };
    Ok(HttpResponse::Ok().json(super::typed(rows, type_name)))
}

const LINKED_TASK_FIELDS: [&str; 15] = [
    "id",
    "duration",
    "due_date",
    "end_date",
    "entity_id",
    "estimation",
    "last_comment_date",
    "nb_assets_ready",
    "priority",
    "real_start_date",
    "retake_count",
    "start_date",
    "task_status_id",
    "task_type_id",
    "assigner_id",
];

/// The entities that link to this one (concepts showing it), each with all its tasks.
async fn linked_with_tasks(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = entity(&ctx, &id).await?;
    let key = id_of(&row["id"])?;
    let linked = state
        .db
        .fetch_all(
            "SELECT e.*, p.name AS project_name, et.name AS entity_type_name FROM entity e \
             JOIN project p ON p.id = e.project_id JOIN entity_type et ON et.id = e.entity_type_id \
             WHERE e.id IN (SELECT entity_in_id FROM entity_concept_link WHERE entity_out_id = $1) \
             ORDER BY e.name, e.id",
            std::slice::from_ref(&key),
            Some("entity"),
        )
        .await?;
    let linked_ids = "SELECT entity_in_id FROM entity_concept_link WHERE entity_out_id = $1";
    let tasks = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.* FROM task t JOIN task_type tt ON tt.id = t.task_type_id \
                 WHERE t.entity_id IN ({linked_ids}) ORDER BY tt.name, t.id"
            ),
            std::slice::from_ref(&key),
            Some("task"),
        )
        .await?;
    let assignees = state
        .db
        .fetch_all(
            &format!(
                "SELECT l.task_id, l.person_id FROM task_person_link l JOIN task t ON t.id = l.task_id \
                 WHERE t.entity_id IN ({linked_ids}) ORDER BY l.person_id"
            ),
            std::slice::from_ref(&key),
            None,
        )
        .await?;
    let links = state
        .db
        .fetch_all(
            &format!(
                "SELECT entity_in_id, entity_out_id FROM entity_concept_link \
                 WHERE entity_in_id IN ({linked_ids}) ORDER BY entity_out_id"
            ),
            &[key],
            None,
        )
        .await?;
    let mut people = crate::db::grouped(&assignees, "task_id", "person_id");
    let mut by_entity: HashMap<String, Vec<Json>> = HashMap::new();
    for task in tasks {
        let mut shown: Map<String, Json> = LINKED_TASK_FIELDS
            .iter()
            .map(|key| (key.to_string(), task[*key].clone()))
            .collect();
        if shown["priority"].is_null() {
            shown.insert("priority".into(), json!(0));
        }
        shown.insert(
            "assignees".into(),
            Json::Array(people.remove(&text(&task, "id")).unwrap_or_default()),
        );
        by_entity
            .entry(text(&task, "entity_id"))
            .or_default()
            .push(Json::Object(shown));
    }
    let mut points_to = crate::db::grouped(&links, "entity_in_id", "entity_out_id");
    let rows: Vec<Json> = linked
        .into_iter()
        .map(|mut e| {
            let id = text(&e, "id");
            let data = if e["data"].is_object() {
                e["data"].clone()
            } else {
                json!({})
            };
            for key in ["fps", "frame_in", "frame_out"] {
                e.insert(key.into(), data.get(key).cloned().unwrap_or(Json::Null));
            }
            e.insert("data".into(), data);
            let type_name =
                entity_kind(e["entity_type_name"].as_str().unwrap_or_default()).to_string();
            for key in [
                "entity_type_name",
                "code",
                "shotgun_id",
                "is_shared",
                "status",
                "ready_for",
            ] {
                e.remove(key);
            }
            e.insert(
                "tasks".into(),
                Json::Array(by_entity.remove(&id).unwrap_or_default()),
            );
            e.insert(
                "entity_concept_links".into(),
                Json::Array(points_to.remove(&id).unwrap_or_default()),
            );
            e.insert("type".into(), json!(type_name));
            Json::Object(e)
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// The preview fields of a version entry; `nested` ones (more files of the
/// same revision) also carry their position and task type.
fn preview_entry(row: &Row, nested: bool) -> Map<String, Json> {
    let mut keys = vec!["id", "revision"];
    if nested {
        keys.push("position");
    }
    keys.extend([
        "original_name",
        "extension",
        "width",
        "height",
        "duration",
        "status",
        "annotations",
    ]);
    let mut entry: Map<String, Json> = keys
        .iter()
        .map(|key| (key.to_string(), row[*key].clone()))
        .collect();
    if entry["duration"].is_null() {
        entry.insert("duration".into(), json!(0.0));
    }
    if !nested {
        entry.insert("previews".into(), json!([]));
    }
    entry.insert("created_at".into(), row["created_at"].clone());
    entry.insert("task_id".into(), row["task_id"].clone());
    if nested {
        entry.insert("task_type_id".into(), row["task_type_id"].clone());
    }
    for key in [
        "original_width",
        "original_height",
        "original_duration",
        "original_file_size",
    ] {
        entry.insert(
            key.into(),
            row["data"].get(key).cloned().unwrap_or(Json::Null),
        );
    }
    entry
}

/// One task's version entries: (task, task type, entries).
type TaskVersions = (String, String, Vec<Map<String, Json>>);

/// `{task_type_id: [version, ...]}`: each task's previews, latest revision
/// first, files of one revision gathered under its first.
fn group_previews(rows: &[Row]) -> Map<String, Json> {
    let mut tasks: Vec<TaskVersions> = Vec::new();
    for row in rows {
        let task = text(row, "task_id");
        let index = match tasks.iter().position(|(t, _, _)| *t == task) {
            Some(index) => index,
            None => {
                tasks.push((task, text(row, "task_type_id"), Vec::new()));
                tasks.len() - 1
            }
        };
        let entries = &mut tasks[index].2;
        match entries
            .iter_mut()
            .find(|e| e["revision"] == row["revision"])
        {
            Some(first) => {
                if let Some(Json::Array(more)) = first.get_mut("previews") {
                    more.push(Json::Object(preview_entry(row, true)));
                }
            }
            None => entries.push(preview_entry(row, false)),
        }
    }
    let mut grouped = Map::new();
    for (_, task_type, entries) in tasks {
        if let Json::Array(list) = grouped.entry(task_type).or_insert_with(|| json!([])) {
            list.extend(entries.into_iter().map(Json::Object));
        }
    }
    grouped
}

/// Every preview of the entity's tasks, whatever its state; clients do not see concepts'.
async fn previews_by_task_type(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, kind, &id).await?;
    check_vendor(&ctx, role, &row).await?;
    if kind == Kind::Concept && role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let rows = state
        .db
        .fetch_all(
            "SELECT pf.*, t.task_type_id FROM preview_file pf JOIN task t ON t.id = pf.task_id \
             JOIN task_type tt ON tt.id = t.task_type_id WHERE t.entity_id = $1 \
             ORDER BY tt.priority IS NULL DESC, tt.priority DESC, tt.name, pf.revision DESC, pf.created_at, pf.id",
            &[id_of(&row["id"])?],
            Some("preview_file"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(group_previews(&rows)))
}

/// The types of the assets a shot casts; any team member may ask.
async fn shot_asset_types(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (shot, _) = readable(&ctx, Kind::Shot, &id).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT name, short_name, description, archived, id, created_at, updated_at FROM entity_type \
             WHERE id IN (SELECT e.entity_type_id FROM entity e JOIN entity_link l ON l.entity_out_id = e.id \
             WHERE l.entity_in_id = $1) ORDER BY name, id",
            &[id_of(&shot["id"])?],
            Some("entity_type"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(super::typed(rows, "AssetType")))
}
