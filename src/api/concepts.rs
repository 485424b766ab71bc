//! Concept boards: folders of concepts, moving concepts between them, and
//! the concepts of a project with their tasks.

use super::breakdown_create::{refresh, type_id};
use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::require_role;
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::{HashMap, HashSet};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/concept-folders",
            "List the project's concept folders",
            |r| r.to(list_folders),
        ),
        Route::new(
            Method::POST,
            "/data/projects/{project_id}/concept-folders",
            "Create a concept folder (or get the one of that name)",
            |r| r.to(create_folder),
        ),
        Route::new(
            Method::PUT,
            "/data/concept-folders/{concept_folder_id}",
            "Rename a concept folder",
            |r| r.to(rename_folder),
        ),
        Route::new(
            Method::DELETE,
            "/data/concept-folders/{concept_folder_id}",
            "Delete a concept folder, its concepts going back to the project",
            |r| r.to(delete_folder),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/move-concepts",
            "Move concepts into a folder, or back to the project",
            |r| r.to(move_concepts),
        ),
        Route::new(
            Method::GET,
            "/data/concepts/with-tasks",
            "Get concepts and their tasks",
            |r| r.to(with_tasks),
        ),
    ]
}

/// An existing project (404 otherwise).
async fn project(ctx: &Ctx<'_>, id: &str) -> ApiResult<Json> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let found = ctx
        .db()
        .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
        .await?;
    found.map(|_| json!(id)).ok_or(ApiError::NotFound)
}

/// The studio's team on the project: not its clients and vendors.
async fn reader(ctx: &Ctx<'_>, project: &Json) -> ApiResult<Role> {
    require_role(ctx, Some(project), |role| {
        !matches!(role, Role::Client | Role::Vendor)
    })
    .await
}

/// Those who organise concepts: supervisors and managers of the project.
async fn organiser(ctx: &Ctx<'_>, project: &Json) -> ApiResult<Role> {
    require_role(ctx, Some(project), |role| {
        matches!(role, Role::Admin | Role::Manager | Role::Supervisor)
    })
    .await
}

/// A concept folder (404 for anything else).
async fn folder(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    ctx.db()
        .fetch_optional(
            "SELECT e.* FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
             WHERE e.id = $1 AND et.name = 'ConceptFolder'",
            &[id.into()],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

fn typed(mut row: Row) -> Json {
    row.insert("type".into(), json!("ConceptFolder"));
    Json::Object(row)
}

/// A folder name: 1 to 160 characters.
fn folder_name(fields: &Map<String, Json>) -> ApiResult<String> {
    match fields.get("name") {
        Some(Json::String(name)) if name.is_empty() => Err(ApiError::invalid_field(
            "name",
            "String should have at least 1 character",
        )),
        Some(Json::String(name)) if name.chars().count() > 160 => Err(ApiError::invalid_field(
            "name",
            "String should have at most 160 characters",
        )),
        Some(Json::String(name)) => Ok(name.clone()),
        None | Some(Json::Null) => Err(ApiError::invalid_field("name", "Field required")),
        Some(_) => Err(ApiError::invalid_field(
            "name",
            "Input should be a valid string",
        )),
    }
}

async fn folder_named(tx: &mut Tx, project: &Json, name: &str) -> ApiResult<Option<Row>> {
    Ok(tx
        .fetch_optional(
            "SELECT e.* FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
             WHERE e.project_id = $1 AND et.name = 'ConceptFolder' AND e.name = $2",
            &[id_of(project)?, name.into()],
            Some("entity"),
        )
        .await?)
}

async fn announce(
    tx: &mut Tx,
    identity: &Identity,
    name: &str,
    key: &str,
    id: &Json,
    project: &Json,
) -> ApiResult<()> {
    Event::new(name, key, id.as_str().unwrap_or_default())
        .in_project(crate::crud::scope::project_id(Some(project)))
        .record(tx, identity.person.id)
        .await?;
    Ok(())
}

async fn touched(state: &AppState, project: &Json, entities: Vec<String>) -> ApiResult<()> {
    refresh(
        state,
        project,
        Touched {
            entities,
            ..Default::default()
        },
    )
    .await
}

async fn list_folders(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&ctx, &path).await?;
    reader(&ctx, &project).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT e.* FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
             WHERE e.project_id = $1 AND et.name = 'ConceptFolder' ORDER BY e.name, e.id",
            &[id_of(&project)?],
            Some("entity"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(typed).collect::<Vec<_>>()))
}

/// Answers the folder of that name when the project has one.
async fn create_folder(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&ctx, &path).await?;
    organiser(&ctx, &project).await?;
    let name = folder_name(&body_fields(&req, &body)?)?;
    let mut tx = state.db.begin().await?;
    if let Some(existing) = folder_named(&mut tx, &project, &name).await? {
        return Ok(HttpResponse::Created().json(typed(existing)));
    }
    let folder_type = id_of(&type_id(&mut tx, "ConceptFolder").await?)?;
    let stamp = now();
    let row = tx
        .insert(
            "entity",
            &[
                ("id", Uuid::now_v7().into()),
                ("name", name.into()),
                ("project_id", id_of(&project)?),
                ("entity_type_id", folder_type),
                ("canceled", Value::Bool(false)),
                ("nb_entities_out", Value::Int(0)),
                ("is_casting_standby", Value::Bool(false)),
                ("is_shared", Value::Bool(false)),
                ("status", "running".into()),
                ("created_by", identity.person.id.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    announce(
        &mut tx,
        &identity,
        "concept-folder:new",
        "concept_folder_id",
        &row["id"],
        &project,
    )
    .await?;
    tx.commit().await?;
    touched(
        &state,
        &project,
        vec![row["id"].as_str().unwrap_or_default().to_string()],
    )
    .await?;
    Ok(HttpResponse::Created().json(typed(row)))
}

/// Renaming to the current name changes nothing.
async fn rename_folder(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = folder(&ctx, &path).await?;
    let project = row["project_id"].clone();
    organiser(&ctx, &project).await?;
    let name = folder_name(&body_fields(&req, &body)?)?;
    if row["name"] == name.as_str() {
        return Ok(HttpResponse::Ok().json(typed(row)));
    }
    let mut tx = state.db.begin().await?;
    if folder_named(&mut tx, &project, &name).await?.is_some() {
        return Err(ApiError::bad_request(
            "A concept folder with this name already exists.",
        ));
    }
    let renamed = tx
        .fetch_optional(
            "UPDATE entity SET name = $1, updated_at = $2 WHERE id = $3 RETURNING *",
            &[name.into(), now().into(), id_of(&row["id"])?],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    announce(
        &mut tx,
        &identity,
        "concept-folder:update",
        "concept_folder_id",
        &row["id"],
        &project,
    )
    .await?;
    tx.commit().await?;
    touched(
        &state,
        &project,
        vec![row["id"].as_str().unwrap_or_default().to_string()],
    )
    .await?;
    Ok(HttpResponse::Ok().json(typed(renamed)))
}

/// Puts concepts of the project in a folder (or at the project's root);
/// returns those that moved, in the order asked.
async fn place(
    tx: &mut Tx,
    identity: &Identity,
    project: &Json,
    concepts: &[Uuid],
    folder: Option<&Json>,
) -> ApiResult<Vec<String>> {
    let target = folder.cloned().unwrap_or(Json::Null);
    let mut moved = Vec::new();
    for concept in concepts {
        let found = tx
            .fetch_optional(
                "SELECT e.id, e.parent_id FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
                 WHERE e.id = $1 AND e.project_id = $2 AND et.name = 'Concept'",
                &[(*concept).into(), id_of(project)?],
                Some("entity"),
            )
            .await?;
        let Some(row) = found else { continue };
        if row["parent_id"] != target {
            let parent = if target.is_null() {
                Value::Null
            } else {
                id_of(&target)?
            };
            tx.execute(
                "UPDATE entity SET parent_id = $1, updated_at = $2 WHERE id = $3",
                &[parent, now().into(), (*concept).into()],
            )
            .await?;
            announce(
                tx,
                identity,
                "concept:update",
                "concept_id",
                &row["id"],
                project,
            )
            .await?;
        }
        moved.push(concept.to_string());
    }
    Ok(moved)
}

/// The folder's concepts go back to the project's root, then the folder goes.
async fn delete_folder(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = folder(&ctx, &path).await?;
    let project = row["project_id"].clone();
    organiser(&ctx, &project).await?;
    let id = id_of(&row["id"])?;
    let mut tx = state.db.begin().await?;
    let inside = tx
        .fetch_all(
            "SELECT id FROM entity WHERE parent_id = $1",
            std::slice::from_ref(&id),
            None,
        )
        .await?;
    let inside: Vec<Uuid> = inside
        .iter()
        .filter_map(|r| r["id"].as_str().and_then(|i| Uuid::parse_str(i).ok()))
        .collect();
    let mut changed = place(&mut tx, &identity, &project, &inside, None).await?;
    tx.execute("DELETE FROM entity WHERE id = $1", &[id])
        .await?;
    announce(
        &mut tx,
        &identity,
        "concept-folder:delete",
        "concept_folder_id",
        &row["id"],
        &project,
    )
    .await?;
    tx.commit().await?;
    changed.push(row["id"].as_str().unwrap_or_default().to_string());
    touched(&state, &project, changed).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn uuid_list(fields: &Map<String, Json>) -> ApiResult<Vec<Uuid>> {
    let Some(items) = fields.get("concept_ids") else {
        return Err(ApiError::invalid_field("concept_ids", "Field required"));
    };
    let Json::Array(items) = items else {
        return Err(ApiError::invalid_field(
            "concept_ids",
            "Input should be a valid list",
        ));
    };
    let mut ids = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let field = format!("concept_ids.{index}");
        let text = item
            .as_str()
            .ok_or_else(|| ApiError::invalid_field(&field, "Input should be a valid string"))?;
        let id = Uuid::parse_str(text)
            .map_err(|_| ApiError::invalid_field(&field, "Value error, must be a valid UUID"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

async fn move_concepts(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&ctx, &path).await?;
    organiser(&ctx, &project).await?;
    let fields = body_fields(&req, &body)?;
    let concepts = uuid_list(&fields)?;
    let target = match fields.get("concept_folder_id") {
        None | Some(Json::Null) => None,
        Some(Json::String(id)) => {
            Uuid::parse_str(id).map_err(|_| {
                ApiError::invalid_field("concept_folder_id", "Value error, must be a valid UUID")
            })?;
            let found = folder(&ctx, id).await?;
            if found["project_id"] != project {
                return Err(ApiError::NotFound);
            }
            Some(found["id"].clone())
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "concept_folder_id",
                "Input should be a valid string",
            ))
        }
    };
    let mut tx = state.db.begin().await?;
    let moved = place(&mut tx, &identity, &project, &concepts, target.as_ref()).await?;
    tx.commit().await?;
    touched(&state, &project, moved.clone()).await?;
    Ok(HttpResponse::Ok().json(moved))
}

const CONCEPT_TASK_FIELDS: [&str; 15] = [
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
    "data",
];

const CONCEPT_FIELDS: [&str; 11] = [
    "canceled",
    "description",
    "entity_type_id",
    "id",
    "name",
    "nb_frames",
    "parent_id",
    "preview_file_id",
    "project_id",
    "source_id",
    "nb_entities_out",
];

fn query_uuid(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<Uuid>> {
    match ctx.param(key) {
        None => Ok(None),
        Some(value) => Uuid::parse_str(value)
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID format for {key}: {value}"))),
    }
}

/// Concepts (of one project; all projects for admins) with all their tasks,
/// or, with `assigned_to`, those where the caller has tasks, with those tasks.
async fn with_tasks(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let one = query_uuid(&ctx, "id")?;
    let project = query_uuid(&ctx, "project_id")?;
    match project {
        Some(project) => {
            let found = state
                .db
                .fetch_optional(
                    "SELECT id FROM project WHERE id = $1",
                    &[project.into()],
                    None,
                )
                .await?;
            if found.is_none() {
                return Ok(HttpResponse::Ok().json(json!([])));
            }
            reader(&ctx, &json!(project)).await?;
        }
        None if identity.is_admin() => {}
        None => return Err(ApiError::Forbidden),
    }
    let mine = ctx.param("assigned_to").is_some();
    let mut filter = String::from("et.name = 'Concept'");
    let mut params: Vec<Value> = Vec::new();
    for (column, value) in [("e.project_id", project), ("e.id", one)] {
        if let Some(value) = value {
            params.push(value.into());
            filter.push_str(&format!(" AND {column} = ${}", params.len()));
        }
    }
    let concepts = state
        .db
        .fetch_all(
            &format!(
                "SELECT e.*, p.name AS project_name, pf.status AS preview_file_status FROM entity e \
                 JOIN entity_type et ON et.id = e.entity_type_id JOIN project p ON p.id = e.project_id \
                 LEFT JOIN preview_file pf ON pf.id = e.preview_file_id WHERE {filter} ORDER BY e.name, e.id"
            ),
            &params,
            Some("entity"),
        )
        .await?;
    let selected = format!(
        "SELECT e.id FROM entity e JOIN entity_type et ON et.id = e.entity_type_id WHERE {filter}"
    );
    let tasks = tasks_of(
        &state,
        &selected,
        &params,
        mine.then_some(identity.person.id),
    )
    .await?;
    let subscribed = subscriptions(&state, &identity, project.is_some()).await?;
    let links = concept_links(&state, &selected, &params).await?;
    let mut rows = Vec::new();
    for concept in concepts {
        let id = concept["id"].as_str().unwrap_or_default().to_string();
        let tasks: Vec<Json> = tasks
            .iter()
            .filter(|t| t["entity_id"].as_str() == Some(id.as_str()))
            .map(|task| {
                let mut shown: Map<String, Json> = CONCEPT_TASK_FIELDS
                    .iter()
                    .map(|key| (key.to_string(), task[*key].clone()))
                    .collect();
                if shown["priority"].is_null() {
                    shown.insert("priority".into(), json!(0));
                }
                let task_id = task["id"].as_str().unwrap_or_default();
                shown.insert("is_subscribed".into(), json!(subscribed.contains(task_id)));
                shown.insert("assignees".into(), task["assignees"].clone());
                Json::Object(shown)
            })
            .collect();
        if mine && tasks.is_empty() {
            continue;
        }
        let data = if concept["data"].is_object() {
            concept["data"].clone()
        } else {
            json!({})
        };
        let mut row: Map<String, Json> = CONCEPT_FIELDS
            .iter()
            .map(|key| (key.to_string(), concept[*key].clone()))
            .collect();
        for key in ["fps", "frame_in", "frame_out"] {
            row.insert(key.into(), data.get(key).cloned().unwrap_or(Json::Null));
        }
        row.insert("data".into(), data);
        for key in [
            "preview_file_status",
            "project_name",
            "is_casting_standby",
            "updated_at",
            "created_at",
            "created_by",
        ] {
            row.insert(key.into(), concept[key].clone());
        }
        row.insert("tasks".into(), Json::Array(tasks));
        row.insert(
            "entity_concept_links".into(),
            json!(links.get(&id).cloned().unwrap_or_default()),
        );
        row.insert("type".into(), json!("Concept"));
        rows.push(Json::Object(row));
    }
    Ok(HttpResponse::Ok().json(rows))
}

/// The tasks of the `selected` concepts, with their assignees (only the
/// tasks of `person` when given).
async fn tasks_of(
    state: &AppState,
    selected: &str,
    params: &[Value],
    person: Option<Uuid>,
) -> ApiResult<Vec<Row>> {
    let tasks = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.* FROM task t JOIN task_type tt ON tt.id = t.task_type_id \
                 WHERE t.entity_id IN ({selected}) ORDER BY tt.name, t.id"
            ),
            params,
            Some("task"),
        )
        .await?;
    let links = state
        .db
        .fetch_all(
            &format!(
                "SELECT l.task_id, l.person_id FROM task_person_link l JOIN task t ON t.id = l.task_id \
                 WHERE t.entity_id IN ({selected}) ORDER BY l.person_id"
            ),
            params,
            None,
        )
        .await?;
    let mut assignees = crate::db::grouped(&links, "task_id", "person_id");
    let me = person.map(|p| json!(p));
    Ok(tasks
        .into_iter()
        .filter_map(|mut task| {
            let people = assignees
                .remove(task["id"].as_str().unwrap_or_default())
                .unwrap_or_default();
            if me.as_ref().is_some_and(|me| !people.contains(me)) {
                return None;
            }
            task.insert("assignees".into(), Json::Array(people));
            Some(task)
        })
        .collect())
}

/// The tasks the caller follows (known only within a project, as in Zou).
async fn subscriptions(
    state: &AppState,
    identity: &Identity,
    in_project: bool,
) -> ApiResult<HashSet<String>> {
    if !in_project {
        return Ok(HashSet::new());
    }
    let rows = state
        .db
        .fetch_all(
            "SELECT task_id FROM subscription WHERE person_id = $1 AND task_id IS NOT NULL",
            &[identity.person.id.into()],
            None,
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r["task_id"].as_str().map(str::to_string))
        .collect())
}

/// What each of the `selected` concepts shows (its `entity_concept_links`).
async fn concept_links(
    state: &AppState,
    selected: &str,
    params: &[Value],
) -> ApiResult<HashMap<String, Vec<Json>>> {
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT entity_in_id, entity_out_id FROM entity_concept_link \
                 WHERE entity_in_id IN ({selected}) ORDER BY entity_out_id"
            ),
            params,
            None,
        )
        .await?;
    Ok(crate::db::grouped(&rows, "entity_in_id", "entity_out_id"))
}
