//! The task page and the task lists of an entity: a task with everything
//! around it, its previews, an entity's tasks of one type.

use super::entity_lists::{blank_for_clients, entity};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::task_access;
use crate::crud::{id_of, Ctx};
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/tasks/{task_id}/full",
            "Get a task with its entity, people, status and type",
            |r| r.to(full),
        ),
        Route::new(
            Method::GET,
            "/data/tasks/{task_id}/previews",
            "Get a task's previews",
            |r| r.to(previews),
        ),
        Route::new(
            Method::GET,
            "/data/entities/{entity_id}/task-types/{task_type_id}/tasks",
            "Get an entity's tasks of a task type",
            |r| r.to(entity_tasks_of_type),
        ),
    ]
}

/// A task the caller may read (404 for a malformed or unknown id).
async fn readable(ctx: &Ctx<'_>, id: &str) -> ApiResult<(Role, Row)> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    task_access(ctx, &json!(id)).await
}

async fn one(
    db: &crate::db::Db,
    sql: &str,
    id: &Json,
    table: &str,
    type_name: &str,
) -> ApiResult<Json> {
    if id.is_null() {
        return Ok(Json::Null);
    }
    let row = db.fetch_optional(sql, &[id_of(id)?], Some(table)).await?;
    Ok(row.map_or(Json::Null, |mut row| {
        row.insert("type".into(), json!(type_name));
        Json::Object(row)
    }))
}

/// A person as the task page shows them: their safe fields, with or without departments.
async fn shown_person(
    db: &crate::db::Db,
    id: &Json,
    with_departments: bool,
) -> ApiResult<Option<Json>> {
    let Some(person) = (match id.as_str().and_then(|id| Uuid::parse_str(id).ok()) {
        Some(id) => Person::find(db, id).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    let departments = person.department_ids(db).await?;
    let mut shown = person.to_json(departments);
    if !with_departments {
        if let Some(fields) = shown.as_object_mut() {
            fields.remove("departments");
        }
    }
    Ok(Some(shown))
}

/// `/data/tasks/{id}/full`: the task page. Clients see the task's status, not
/// who works on it nor when.
async fn full(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (role, found) = readable(&ctx, &path).await?;
    let db = &state.db;
    let mut task = db
        .fetch_optional(
            "SELECT * FROM task WHERE id = $1",
            &[id_of(&found["id"])?],
            Some("task"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let assignees = db
        .fetch_all(
            "SELECT person_id FROM task_person_link WHERE task_id = $1 ORDER BY person_id",
            &[id_of(&task["id"])?],
            None,
        )
        .await?;
    let assignee_ids: Vec<Json> = assignees
        .into_iter()
        .map(|a| a["person_id"].clone())
        .collect();
    let entity = db
        .fetch_optional(
            "SELECT e.*, et.name AS entity_type_name FROM entity e JOIN entity_type et ON et.id = e.entity_type_id WHERE e.id = $1",
            &[id_of(&task["entity_id"])?],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let kind = entity["entity_type_name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let subscribed = db
        .fetch_optional(
            "SELECT id FROM subscription WHERE task_id = $1 AND person_id = $2",
            &[id_of(&task["id"])?, identity.person.id.into()],
            None,
        )
        .await?
        .is_some();
    let mut persons = Vec::new();
    for person in &assignee_ids {
        persons.extend(shown_person(db, person, false).await?);
    }
    let assigner = shown_person(db, &task["assigner_id"], true).await?;
    let entity_sql = "SELECT * FROM entity WHERE id = $1";
    let (sequence, episode) = match kind.as_str() {
        "Shot" | "Scene" => {
            let sequence = one(db, entity_sql, &entity["parent_id"], "entity", "Sequence").await?;
            let episode = one(
                db,
                entity_sql,
                &sequence.get("parent_id").cloned().unwrap_or(Json::Null),
                "entity",
                "Episode",
            )
            .await?;
            (sequence, episode)
        }
        "Sequence" => {
            let episode = one(db, entity_sql, &entity["parent_id"], "entity", "Episode").await?;
            let itself = one(db, entity_sql, &entity["id"], "entity", "Sequence").await?;
            (
                if episode.is_null() {
                    Json::Null
                } else {
                    itself
                },
                episode,
            )
        }
        _ => (Json::Null, Json::Null),
    };
    let entity_type = one(
        db,
        "SELECT name, short_name, description, archived, id, created_at, updated_at FROM entity_type WHERE id = $1",
        &entity["entity_type_id"],
        "entity_type",
        "EntityType",
    )
    .await?;
    let project = one(
        db,
        "SELECT * FROM project WHERE id = $1",
        &task["project_id"],
        "project",
        "Project",
    )
    .await?;
    let task_status = one(
        db,
        "SELECT * FROM task_status WHERE id = $1",
        &task["task_status_id"],
        "task_status",
        "TaskStatus",
    )
    .await?;
    let task_type = one(
        db,
        "SELECT * FROM task_type WHERE id = $1",
        &task["task_type_id"],
        "task_type",
        "TaskType",
    )
    .await?;
    let mut entity = entity;
    entity.remove("entity_type_name");
    entity.insert("type".into(), json!("Entity"));
    task.insert("assignees".into(), Json::Array(assignee_ids));
    task.insert("type".into(), json!("Task"));
    task.insert("entity".into(), Json::Object(entity));
    task.insert("entity_type".into(), entity_type);
    task.insert("is_subscribed".into(), json!(subscribed));
    task.insert("persons".into(), json!(persons));
    task.insert("project".into(), project);
    task.insert("task_status".into(), task_status);
    task.insert("task_type".into(), task_type);
    if let Some(assigner) = assigner {
        task.insert("assigner".into(), assigner);
    }
    if !sequence.is_null() {
        task.insert("sequence".into(), sequence);
    }
    if !episode.is_null() {
        task.insert("episode".into(), episode);
    }
    if role == Role::Client {
        blank_for_clients(&mut task);
        task.insert("persons".into(), json!([]));
        task.remove("assigner");
    }
    Ok(HttpResponse::Ok().json(task))
}

/// A task's previews, latest revision first; clients do not see rejected ones.
async fn previews(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (role, task) = readable(&ctx, &path).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM preview_file WHERE task_id = $1 ORDER BY revision DESC, position, created_at, id",
            &[id_of(&task["id"])?],
            Some("preview_file"),
        )
        .await?;
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|p| role != Role::Client || p["validation_status"] != json!("rejected"))
        .collect();
    Ok(HttpResponse::Ok().json(super::typed(rows, "PreviewFile")))
}

/// An entity's tasks of one type, by name; vendors need a task on the entity.
async fn entity_tasks_of_type(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = entity(&ctx, &path.0).await?;
    let task_type =
        Uuid::parse_str(&path.1).map_err(|_| ApiError::bad_request("Wrong UUID format."))?;
    let role = crate::crud::scope::team_role(&ctx, row.get("project_id")).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM task WHERE entity_id = $1 AND task_type_id = $2 ORDER BY name, id",
            &[id_of(&row["id"])?, task_type.into()],
            Some("task"),
        )
        .await?;
    let rows: Vec<Json> = rows
        .into_iter()
        .map(|mut task| {
            task.insert("type".into(), json!("Task"));
            if role == Role::Client {
                blank_for_clients(&mut task);
            }
            Json::Object(task)
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}
