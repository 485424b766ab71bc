//! "Set the last task preview as the entity's thumbnail", for one task or a
//! selection; and the main-preview announcement other writes share.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::entity_kind;
use crate::crud::models::files::PREVIEW_FILES;
use crate::crud::{id_of, scope, Ctx};
use crate::db::{now, Row, Tx};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::PUT,
            "/actions/tasks/{task_id}/set-main-preview",
            "Set a task's last preview as its entity's main preview",
            |r| r.to(set_one),
        ),
        Route::new(
            Method::PUT,
            "/actions/tasks/set-main-preview",
            "Set tasks' last previews as their entities' main previews",
            |r| r.to(set_many),
        ),
        Route::new(
            Method::PUT,
            "/actions/preview-files/{preview_file_id}/set-main-preview",
            "Set a preview as its entity's main preview",
            |r| r.to(set_from_preview),
        ),
        Route::new(
            Method::PUT,
            "/actions/preview-files/{preview_file_id}/update-position",
            "Move a preview among the files of its revision",
            |r| r.to(update_position),
        ),
    ]
}

/// The preview Tusk shows as an entity's thumbnail: the newest ready
/// still or movie (first position) of a task, as SQL on `$1` = the tasks' selection.
pub(super) const SHOWABLE_PREVIEW: &str =
    "SELECT p.id, p.status FROM preview_file p WHERE p.task_id IN ({tasks}) \
     AND p.status = 'ready' AND p.position = 1 AND lower(p.extension) IN ('png', 'mp4') \
     ORDER BY p.revision DESC, p.created_at DESC, p.id DESC LIMIT 1";

/// Records that an entity's main preview changed (or was unset), and the
/// entity update Kitsu refreshes its row on.
pub(super) async fn announce_main_preview(
    tx: &mut Tx,
    author: Uuid,
    entity: &Row,
    preview: Option<&Row>,
) -> ApiResult<()> {
    let project = scope::project_id(entity.get("project_id"));
    let entity_id = entity["id"].as_str().unwrap_or_default();
    let mut event = Event::new("preview-file:set-main", "entity_id", entity_id).in_project(project);
    for key in ["id", "status"] {
        event.data.insert(
            format!("preview_file_{key}"),
            preview.map_or(Json::Null, |p| p[key].clone()),
        );
    }
    event.record(tx, author).await?;
    let kind = entity_kind(entity["type_name"].as_str().unwrap_or_default()).to_lowercase();
    Event::new(format!("{kind}:update"), &format!("{kind}_id"), entity_id)
        .in_project(project)
        .record(tx, author)
        .await?;
    Ok(())
}

/// The task, once the caller may set its entity's thumbnail: team members
/// (vendors on entities they work on), clients excepted.
async fn settable(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let (role, task) = scope::task_access(ctx, &json!(id)).await?;
    if role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    Ok(task)
}

async fn preview_of(tx: &mut Tx, task: &Row) -> ApiResult<Option<Row>> {
    Ok(tx
        .fetch_optional(
            &SHOWABLE_PREVIEW.replace("{tasks}", "$1"),
            &[id_of(&task["id"])?],
            None,
        )
        .await?)
}

/// Points the task's entity at the preview; answers the entity as Zou does.
pub(super) async fn apply(tx: &mut Tx, author: Uuid, task: &Row, preview: &Row) -> ApiResult<Json> {
    let mut entity = tx
        .fetch_optional(
            "UPDATE entity SET preview_file_id = $1, updated_at = $2 WHERE id = $3 RETURNING *",
            &[
                id_of(&preview["id"])?,
                now().into(),
                id_of(&task["entity_id"])?,
            ],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let type_name = tx
        .fetch_optional(
            "SELECT name FROM entity_type WHERE id = $1",
            &[id_of(&entity["entity_type_id"])?],
            None,
        )
        .await?
        .map_or(Json::Null, |t| t["name"].clone());
    let mut announced = entity.clone();
    announced.insert("type_name".into(), type_name);
    announce_main_preview(tx, author, &announced, Some(preview)).await?;
    entity.insert("type".into(), json!("Entity"));
    entity.insert("preview_file_status".into(), preview["status"].clone());
    Ok(Json::Object(entity))
}

async fn refresh(state: &AppState, tasks: &[Row]) -> ApiResult<()> {
    let mut by_project: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for task in tasks {
        by_project
            .entry(task["project_id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(task["entity_id"].as_str().unwrap_or_default().to_string());
    }
    for (project, entities) in by_project {
        let touched = Touched {
            entities,
            ..Default::default()
        };
        state
            .projects
            .refresh(&project, touched)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}

async fn set_one(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let task = settable(&ctx, &path).await?;
    let mut tx = state.db.begin().await?;
    let preview = preview_of(&mut tx, &task).await?.ok_or_else(|| {
        ApiError::bad_request("This task has no preview file to set as the main preview.")
    })?;
    let entity = apply(&mut tx, identity.person.id, &task, &preview).await?;
    tx.commit().await?;
    refresh(&state, std::slice::from_ref(&task)).await?;
    Ok(HttpResponse::Ok().json(entity))
}

/// All or nothing: every task is checked before any entity changes; tasks
/// without a showable preview are skipped.
async fn set_many(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let ids = super::task_actions::task_ids(&body_fields(&req, &body)?)?;
    let mut tasks = Vec::new();
    for id in &ids {
        tasks.push(settable(&ctx, id).await?);
    }
    let mut tx = state.db.begin().await?;
    let mut answer = Vec::new();
    let mut touched = Vec::new();
    for task in tasks {
        if let Some(preview) = preview_of(&mut tx, &task).await? {
            answer.push(apply(&mut tx, identity.person.id, &task, &preview).await?);
            touched.push(task);
        }
    }
    tx.commit().await?;
    refresh(&state, &touched).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A preview file, or 404.
async fn preview_file(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    ctx.db()
        .fetch_optional(
            "SELECT * FROM preview_file WHERE id = $1",
            &[id.into()],
            Some("preview_file"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// An optional whole number of the body (`frame_number`, `position`), taken
/// as pydantic takes one: `2`, `2.0` or `"2"` (gazu sends positions as floats).
fn whole_number(fields: &serde_json::Map<String, Json>, key: &str) -> ApiResult<Option<i64>> {
    let refused = || ApiError::invalid_field(key, "Input should be a valid integer");
    match fields.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(n), _) => Ok(Some(n)),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
            _ => Err(refused()),
        },
        Some(Json::String(text)) => text.trim().parse().map(Some).map_err(|_| refused()),
        Some(_) => Err(refused()),
    }
}

/// The preview becomes its entity's thumbnail. A frame of a movie can't be
/// chosen: Tusk has no movie pipeline to cut it.
async fn set_from_preview(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let frame = whole_number(&body_fields(&req, &body)?, "frame_number")?;
    let preview = preview_file(&ctx, &path).await?;
    let task = settable(&ctx, preview["task_id"].as_str().unwrap_or_default()).await?;
    if frame.is_some() {
        return Err(ApiError::bad_request(if preview["extension"] == "mp4" {
            "Tusk can't extract a movie's frame: it has no movie pipeline"
        } else {
            "Can't use a given frame on non movie preview"
        }));
    }
    let mut tx = state.db.begin().await?;
    let entity = apply(&mut tx, identity.person.id, &task, &preview).await?;
    tx.commit().await?;
    refresh(&state, std::slice::from_ref(&task)).await?;
    Ok(HttpResponse::Ok().json(entity))
}

/// Moves the preview to `position` (from 1) among the files of its task's
/// revision, the others following in their order; a position out of range
/// moves nothing. Answers the revision's files in their order.
async fn update_position(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let position = whole_number(&body_fields(&req, &body)?, "position")?.unwrap_or(0);
    if position < 0 {
        return Err(ApiError::invalid_field(
            "position",
            "Input should be greater than or equal to 0",
        ));
    }
    let preview = preview_file(&ctx, &path).await?;
    scope::task_action_access(&ctx, &preview["task_id"]).await?;
    let mut tx = state.db.begin().await?;
    let mut files = tx
        .fetch_all(
            "SELECT * FROM preview_file WHERE task_id = $1 AND revision = $2 \
             ORDER BY position, created_at",
            &[
                id_of(&preview["task_id"])?,
                preview["revision"].as_i64().unwrap_or(0).into(),
            ],
            Some("preview_file"),
        )
        .await?;
    if (1..=files.len() as i64).contains(&position) {
        let moved = files.iter().position(|file| file["id"] == preview["id"]);
        if let Some(moved) = moved {
            let file = files.remove(moved);
            files.insert(position as usize - 1, file);
        }
        let stamp = now();
        for (index, file) in files.iter_mut().enumerate() {
            let changes = [
                ("position", (index as i64 + 1).into()),
                ("updated_at", stamp.into()),
            ];
            *file = tx
                .update("preview_file", id_of(&file["id"])?, changes)
                .await?
                .ok_or(ApiError::NotFound)?;
        }
    }
    tx.commit().await?;
    let rows = crate::crud::read_rows(&ctx, &PREVIEW_FILES, files, false).await?;
    Ok(HttpResponse::Ok().json(rows))
}
