//! The previews of a comment: a new preview file for it (the next revision of
//! the task, or a further file of the comment's revision), and deleting one.
//! The file itself is uploaded afterwards to the preview file's own route.

use super::comment_threads::comment_of;
use super::comments::{one, record};
use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::comments::check_comment_access;
use crate::crud::models::files::{check_revision_free, PREVIEW_FILES};
use crate::crud::scope::{require_manager, task_action_access};
use crate::crud::{delete_row, id_of, read_rows, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/actions/tasks/{task_id}/comments/{comment_id}/add-preview",
            "Add a preview file to a comment",
            |r| r.to(add_preview),
        ),
        Route::new(
            Method::POST,
            "/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_file_id}",
            "Add a further file to the revision of a comment's preview",
            |r| r.to(add_to_revision),
        ),
        Route::new(
            Method::DELETE,
            "/actions/tasks/{task_id}/comments/{comment_id}/preview-files/{preview_file_id}",
            "Delete a preview file of a comment",
            |r| r.to(remove),
        ),
    ]
}

/// The optional `revision` of the body: an integer, 0 or more.
fn revision_field(req: &HttpRequest, body: &[u8]) -> ApiResult<Option<i64>> {
    let fields = body_fields(req, body)?;
    match fields.get("revision") {
        None | Some(Json::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(revision) if revision >= 0 => Ok(Some(revision)),
            Some(_) => Err(ApiError::invalid_field(
                "revision",
                "Input should be greater than or equal to 0",
            )),
            None => Err(ApiError::invalid_field(
                "revision",
                "Input should be a valid integer",
            )),
        },
    }
}

async fn add_preview(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id) = path.into_inner();
    let revision = revision_field(&req, &body)?;
    let ctx = Ctx::new(&state, &identity, &req);
    attach(&ctx, &task_id, &comment_id, revision).await
}

async fn add_to_revision(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id, preview_id) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let related = one(&state.db, "preview_file", &preview_id).await?;
    attach(&ctx, &task_id, &comment_id, related["revision"].as_i64()).await
}

/// Creates the preview file for the comment on the task (where the caller may
/// act), at `revision` or the one Zou picks, and links it to the comment.
async fn attach(
    ctx: &Ctx<'_>,
    task_id: &str,
    comment_id: &str,
    revision: Option<i64>,
) -> ApiResult<HttpResponse> {
    let task = one(ctx.db(), "task", task_id).await?;
    task_action_access(ctx, &task["id"]).await?;
    let comment = comment_of(ctx.db(), task_id, comment_id, ApiError::NotFound).await?;
    let mut tx = ctx.db().begin().await?;
    // Taking the task's row first serialises two uploads on one task: both
    // would otherwise pick the same revision and position.
    tx.execute(
        "UPDATE task SET updated_at = updated_at WHERE id = $1",
        &[id_of(&task["id"])?],
    )
    .await?;
    let (revision, position) = placement(&mut tx, &task, &comment, revision).await?;
    let preview = tx
        .insert(
            "preview_file",
            &[
                ("id", Uuid::new_v4().into()),
                ("name", Uuid::new_v4().to_string()[..13].into()),
                ("revision", Value::Int(revision)),
                ("position", Value::Int(position)),
                ("source", "webgui".into()),
                ("extension", "mp4".into()),
                ("status", "processing".into()),
                ("validation_status", "neutral".into()),
                ("file_size", Value::Int(0)),
                ("width", Value::Int(0)),
                ("height", Value::Int(0)),
                ("duration", Value::Float(0.0)),
                ("is_movie", false.into()),
                ("task_id", id_of(&task["id"])?),
                ("person_id", ctx.identity.person.id.into()),
                ("created_at", now().into()),
                ("updated_at", now().into()),
            ],
        )
        .await?;
    tx.insert(
        "comment_preview_link",
        &[
            ("comment", id_of(&comment["id"])?),
            ("preview_file", id_of(&preview["id"])?),
        ],
    )
    .await?;
    tx.execute(
        "UPDATE news SET preview_file_id = $1 WHERE comment_id = $2",
        &[id_of(&preview["id"])?, id_of(&comment["id"])?],
    )
    .await?;
    let me = ctx.identity.person.id;
    let project = &task["project_id"];
    record(
        &mut tx,
        me,
        "preview-file:new",
        "preview_file_id",
        &preview["id"],
        project,
        vec![("comment_id", comment["id"].clone())],
    )
    .await?;
    record(
        &mut tx,
        me,
        "comment:update",
        "comment_id",
        &comment["id"],
        project,
        vec![
            ("task_id", task["id"].clone()),
            ("person_id", comment["person_id"].clone()),
            ("for_client", comment["for_client"].clone()),
        ],
    )
    .await?;
    tx.commit().await?;
    let mut rows = read_rows(ctx, &PREVIEW_FILES, vec![preview], true).await?;
    Ok(HttpResponse::Created().json(Json::Object(rows.remove(0))))
}

/// Deletes a preview file of the comment, both on the task of the URL: the
/// caller may act on the task and read the comment (a client not the hidden
/// ones); `force`, which purges the stored files at once, is for managers.
async fn remove(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id, preview_id) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let task = one(&state.db, "task", &task_id).await?;
    task_action_access(&ctx, &task["id"]).await?;
    let comment = comment_of(&state.db, &task_id, &comment_id, ApiError::NotFound).await?;
    let preview = one(&state.db, "preview_file", &preview_id).await?;
    let linked = state
        .db
        .fetch_optional(
            "SELECT comment FROM comment_preview_link WHERE comment = $1 AND preview_file = $2",
            &[id_of(&comment["id"])?, id_of(&preview["id"])?],
            None,
        )
        .await?;
    if preview["task_id"] != task["id"] || linked.is_none() {
        return Err(ApiError::NotFound);
    }
    check_comment_access(&ctx, &comment).await?;
    let force = ctx.forced();
    if force {
        require_manager(&ctx, Some(&task["project_id"])).await?;
    }
    delete_row(&ctx, &PREVIEW_FILES, &preview, force).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Zou's rule: a comment's first preview opens the task's next revision
/// (or takes the revision asked, if no first file has it); later ones join
/// the comment's revision at the next position, unless the project allows a
/// single preview per revision.
async fn placement(
    tx: &mut Tx,
    task: &Row,
    comment: &Row,
    asked: Option<i64>,
) -> ApiResult<(i64, i64)> {
    let task_key = id_of(&task["id"])?;
    let first_of_comment = tx
        .fetch_optional(
            "SELECT p.revision FROM preview_file p JOIN comment_preview_link l ON l.preview_file = p.id \
             WHERE l.comment = $1 ORDER BY p.position, p.created_at LIMIT 1",
            &[id_of(&comment["id"])?],
            None,
        )
        .await?
        .and_then(|row| row["revision"].as_i64());
    let (revision, position) = match (asked, first_of_comment) {
        (None, None) => {
            let latest = tx
                .fetch_optional(
                    "SELECT max(revision) AS revision FROM preview_file WHERE task_id = $1",
                    std::slice::from_ref(&task_key),
                    None,
                )
                .await?
                .and_then(|row| row["revision"].as_i64());
            (latest.map_or(1, |latest| latest + 1), 1)
        }
        (None, Some(revision)) => (revision, next_position(tx, &task_key, revision).await?),
        (Some(revision), first) => {
            if first.is_none() {
                check_revision_free(tx, &task_key, revision, &Value::Null).await?;
            }
            (revision, next_position(tx, &task_key, revision).await?)
        }
    };
    if position > 1 {
        let project = tx
            .fetch_optional(
                "SELECT is_single_preview_per_revision FROM project WHERE id = $1",
                &[id_of(&task["project_id"])?],
                Some("project"),
            )
            .await?;
        if project.is_some_and(|p| p["is_single_preview_per_revision"] == json!(true)) {
            return Err(ApiError::refused(
                "Only one preview file is allowed per revision for this project.",
            ));
        }
    }
    Ok((revision, position))
}

/// The position after the files the task already has at this revision.
async fn next_position(tx: &mut Tx, task: &Value, revision: i64) -> ApiResult<i64> {
    let files = tx
        .fetch_all(
            "SELECT id FROM preview_file WHERE task_id = $1 AND revision = $2",
            &[task.clone(), Value::Int(revision)],
            None,
        )
        .await?;
    Ok(files.len() as i64 + 1)
}
