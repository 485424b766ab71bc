//! Files attached to comments: adding and removing them after the comment
//! is posted, downloading them, and the admins' lists used to sync studios.

use super::comment_threads::{comment_of, forget_files, is_author};
use super::comments::{self, one, read_request};
use super::{text_of, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::comments::check_comment_access;
use crate::crud::models::files::ATTACHMENT_FILES;
use crate::crud::scope::require_manager;
use crate::crud::{id_of, read_rows, Ctx};
use crate::error::{ApiError, ApiResult};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use uuid::Uuid;

/// Downloads may be kept by browsers this long (Zou's `CLIENT_CACHE_MAX_AGE`).
const CACHE_MAX_AGE: &str = "public, max-age=604800";
/// Raster images a browser may show inline; anything else is a download.
const INLINE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/avif",
];

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/actions/tasks/{task_id}/comments/{comment_id}/add-attachment",
            "Attach files to a comment",
            |r| r.to(add_attachment),
        ),
        Route::new(
            Method::DELETE,
            "/data/tasks/{task_id}/comments/{comment_id}/attachments/{attachment_file_id}",
            "Remove a file from a comment",
            |r| r.to(delete_attachment),
        ),
        Route::new(
            Method::GET,
            "/data/tasks/{task_id}/attachment-files",
            "A task's comment attachments (admins)",
            |r| r.to(task_attachments),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/attachment-files",
            "A project's comment attachments (admins)",
            |r| r.to(project_attachments),
        ),
        Route::new(
            Method::GET,
            "/data/attachment-files/{attachment_file_id}/file/{file_name}",
            "Download an attachment",
            |r| r.to(download),
        ),
    ]
}

/// The comment's author, or a manager of its task's project.
async fn check_owner(ctx: &Ctx<'_>, comment: &Json) -> ApiResult<()> {
    let comment = one(ctx.db(), "comment", &text_of(comment)).await?;
    if is_author(ctx.identity, &comment) {
        return Ok(());
    }
    let task = one(ctx.db(), "task", &text_of(&comment["object_id"])).await?;
    require_manager(ctx, Some(&task["project_id"])).await
}

/// `POST /actions/tasks/{task_id}/comments/{comment_id}/add-attachment`.
async fn add_attachment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (task, comment) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let comment = comment_of(&state.db, &task, &comment, ApiError::Forbidden).await?;
    check_owner(&ctx, &comment["id"]).await?;
    let (fields, uploads) = read_request(&req, payload).await?;
    // Unlike Zou, files sent for a reply of this comment belong to it.
    let reply = match fields.get("reply_id").and_then(Json::as_str) {
        None | Some("") => None,
        Some(reply) => {
            let known = comment["replies"]
                .as_array()
                .is_some_and(|replies| replies.iter().any(|r| r["id"].as_str() == Some(reply)));
            if !known {
                return Err(ApiError::invalid_field(
                    "reply_id",
                    "This is not a reply of the comment.",
                ));
            }
            Some(json!(reply))
        }
    };
    let mut tx = state.db.begin().await?;
    let added = comments::attach(&state, &mut tx, &comment["id"], uploads, reply.as_ref()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(added))
}

/// `DELETE /data/tasks/{task_id}/comments/{comment_id}/attachments/{attachment_file_id}`.
async fn delete_attachment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task, comment, attachment) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let comment = comment_of(&state.db, &task, &comment, ApiError::Forbidden).await?;
    let attachment = one(&state.db, "attachment_file", &attachment).await?;
    if attachment["comment_id"] != comment["id"] {
        return Err(ApiError::Forbidden);
    }
    check_owner(&ctx, &comment["id"]).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "DELETE FROM attachment_file WHERE id = $1",
        &[id_of(&attachment["id"])?],
    )
    .await?;
    tx.commit().await?;
    forget_files(&state, &[attachment]);
    Ok(HttpResponse::NoContent().finish())
}

/// Attachments of the comments of tasks matching `tasks` (a condition on `t`).
async fn attachments_of(
    state: &AppState,
    identity: &Identity,
    req: &HttpRequest,
    tasks: &str,
    id: &str,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT a.* FROM attachment_file a JOIN comment c ON c.id = a.comment_id \
                 JOIN task t ON t.id = c.object_id WHERE {tasks} = $1 ORDER BY a.created_at, a.id"
            ),
            &[id.into()],
            Some("attachment_file"),
        )
        .await?;
    let ctx = Ctx::new(state, identity, req);
    Ok(HttpResponse::Ok().json(read_rows(&ctx, &ATTACHMENT_FILES, rows, false).await?))
}

/// `GET /data/tasks/{task_id}/attachment-files`.
async fn task_attachments(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    attachments_of(&state, &identity, &req, "t.id", &path).await
}

/// `GET /data/projects/{project_id}/attachment-files`.
async fn project_attachments(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    attachments_of(&state, &identity, &req, "t.project_id", &path).await
}

/// `GET /data/attachment-files/{attachment_file_id}/file/{file_name}`: the
/// name in the path is only for the browser's sake.
async fn download(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (attachment, _name) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let attachment = one(&state.db, "attachment_file", &attachment).await?;
    if !attachment["comment_id"].is_null() {
        let comment = one(&state.db, "comment", &text_of(&attachment["comment_id"])).await?;
        check_comment_access(&ctx, &comment).await?;
    } else if attachment["chat_message_id"].is_null() || !identity.is_admin() {
        return Err(ApiError::Forbidden);
    }
    let id = text_of(&attachment["id"]);
    let bytes =
        std::fs::read(comments::stored_path(&state.config, &id)).map_err(|_| ApiError::NotFound)?;
    let mimetype = text_of(&attachment["mimetype"]);
    let name = text_of(&attachment["name"]);
    let disposition = if INLINE.contains(&mimetype.as_str()) {
        "inline"
    } else {
        "attachment"
    };
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((
            header::CONTENT_DISPOSITION,
            disposition_of(disposition, &name),
        ))
        .insert_header((header::CACHE_CONTROL, CACHE_MAX_AGE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    let content_type = if mimetype.starts_with("text/") && !mimetype.contains("charset") {
        format!("{mimetype}; charset=utf-8")
    } else {
        mimetype
    };
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        if !content_type.is_empty() {
            answer.insert_header((header::CONTENT_TYPE, value));
        }
    }
    Ok(answer.body(bytes))
}

/// A `Content-Disposition` naming the file: a plain name for old browsers
/// (ASCII only) and the exact one, as RFC 5987 says.
pub(super) fn disposition_of(disposition: &str, name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let exact: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{disposition}; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}
