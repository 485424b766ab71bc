//! Uploading the file of a preview that `add-preview` created: a picture
//! becomes Zou's original PNG, preview and thumbnails; other files are kept
//! as they are; movies are refused, Tusk having no transcoding.

use super::comments::{one, record};
use super::pictures::{self, Received};
use super::{text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::files::PREVIEW_FILES;
use crate::crud::scope::{self, task_action_access};
use crate::crud::{delete_row, id_of, read_rows, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult, BAD_REQUEST};
use crate::events::Event;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::path::PathBuf;
use tusk_actors::project::Touched;
use tusk_actors::thumbnails;

/// Extensions decoded as pictures.
pub(super) const PICTURES: &[&str] = &["jpe", "jpeg", "jpg", "png"];
/// Extensions Zou transcodes with ffmpeg.
const MOVIES: &[&str] = &["avi", "m4v", "mkv", "mov", "mp4", "webm", "wmv"];
/// Extensions kept as they are uploaded.
pub(super) const OTHER_FILES: &[&str] = &[
    "ae", "ai", "blend", "clip", "comp", "diff", "exr", "fbx", "fla", "flv", "gif", "glb", "gltf",
    "hip", "kra", "ma", "mb", "md", "mp3", "obj", "pdf", "psd", "psb", "rar", "rev", "riv", "sai",
    "sai2", "sbbkp", "svg", "swf", "tvpp", "wav", "zip",
];

pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::POST,
        "/pictures/preview-files/{instance_id}",
        "Upload the file of a preview",
        |r| r.to(upload),
    )]
}

/// What was stored for the preview, and the columns that describe it.
struct Stored {
    paths: Vec<PathBuf>,
    columns: Vec<(&'static str, Value)>,
    /// Pictures (and movies, in Zou) become the task's last preview.
    is_picture: bool,
}

async fn upload(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let preview = one(&state.db, "preview_file", &path).await?;
    // Zou checks this before the permissions, with a bare 400.
    if !text(&preview, "original_name").is_empty() {
        return Err(ApiError::refused(BAD_REQUEST));
    }
    task_action_access(&ctx, &preview["task_id"]).await?;
    let received = pictures::receive(&state, &req, payload).await?;
    let extension = received.extension();
    let stored = if PICTURES.contains(&extension.as_str()) {
        store_picture(&state, &preview, &received).await?
    } else if OTHER_FILES.contains(&extension.as_str()) {
        store_other(&state, &preview, &received, &extension).await?
    } else if MOVIES.contains(&extension.as_str()) {
        delete_row(&ctx, &PREVIEW_FILES, &preview, true).await?;
        return Err(no_movies(&ctx));
    } else {
        delete_row(&ctx, &PREVIEW_FILES, &preview, false).await?;
        return Err(ApiError::bad_request(format!(
            "Wrong file format, extension: {extension}"
        )));
    };
    let updated = match describe(&ctx, &preview, received.stem(), &stored).await {
        Ok(updated) => updated,
        Err(error) => {
            pictures::remove_all(stored.paths.iter().map(PathBuf::as_path));
            return Err(error);
        }
    };
    let mut rows = read_rows(&ctx, &PREVIEW_FILES, vec![updated], false).await?;
    Ok(HttpResponse::Created().json(Json::Object(rows.remove(0))))
}

/// Zou's answer when a movie cannot be handed to its transcoder.
fn no_movies(ctx: &Ctx<'_>) -> ApiError {
    let message = if ctx.param("normalize") == Some("false") {
        "Movie preview processing failed (normalization disabled)."
    } else {
        "Movie preview normalization failed."
    };
    ApiError::Body(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({
            "error": true,
            "message": message,
            "data": {"reason": "ffmpeg is not available on this server: Tusk does not transcode movies."},
        }),
    )
}

async fn store_picture(state: &AppState, preview: &Row, received: &Received) -> ApiResult<Stored> {
    let made = pictures::make_pictures(state, received, thumbnails::preview_pictures).await?;
    let columns = vec![
        ("extension", "png".into()),
        ("width", Value::Int(made.original.width.into())),
        ("height", Value::Int(made.original.height.into())),
        ("file_size", Value::Int(made.original.bytes.len() as i64)),
    ];
    let id = text(preview, "id");
    let files: Vec<_> = made
        .by_prefix()
        .into_iter()
        .map(|(prefix, png)| (state.config.stored_file("pictures", prefix, &id), png))
        .collect();
    let paths = files.iter().map(|(path, _)| path.clone()).collect();
    pictures::store_pictures(files).await?;
    Ok(Stored {
        paths,
        columns,
        is_picture: true,
    })
}

async fn store_other(
    state: &AppState,
    preview: &Row,
    received: &Received,
    extension: &str,
) -> ApiResult<Stored> {
    let path = state
        .config
        .stored_file("files", "previews", &text(preview, "id"));
    let (from, to) = (received.path.clone(), path.clone());
    let size = web::block(move || {
        let size = std::fs::metadata(&from)?.len();
        crate::storage::move_durably(&from, &to)?;
        Ok::<_, std::io::Error>(size)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Stored {
        paths: vec![path],
        columns: vec![
            ("extension", extension.into()),
            ("file_size", Value::Int(size as i64)),
        ],
        is_picture: false,
    })
}

/// Records the stored file on the preview, ready, with Zou's events; a
/// picture also becomes its task's last preview (and its entity's main
/// preview when the project automates that).
async fn describe(ctx: &Ctx<'_>, preview: &Row, stem: &str, stored: &Stored) -> ApiResult<Row> {
    let task = one(ctx.db(), "task", &text(preview, "task_id")).await?;
    let project = &task["project_id"];
    let author = ctx.identity.person.id;
    let mut tx = ctx.db().begin().await?;
    let mut columns = stored.columns.clone();
    columns.extend([
        ("original_name", stem.into()),
        ("status", "ready".into()),
        ("updated_at", now().into()),
    ]);
    let updated = tx
        .update("preview_file", id_of(&preview["id"])?, columns)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut event = Event::new(
        "preview-file:update",
        "preview_file_id",
        &text(&updated, "id"),
    )
    .in_project(scope::project_id(Some(project)));
    event.data.insert("status".into(), json!("ready"));
    event.record(&mut tx, author).await?;
    let mut touched = Touched {
        tasks: vec![text(&task, "id")],
        ..Default::default()
    };
    if stored.is_picture && updated["position"] == json!(1) {
        tx.execute(
            "UPDATE task SET last_preview_file_id = $1 WHERE id = $2",
            &[id_of(&updated["id"])?, id_of(&task["id"])?],
        )
        .await?;
        if automates_main_preview(&mut tx, project).await? {
            super::task_preview::apply(&mut tx, author, &task, &updated).await?;
            touched.entities.push(text(&task, "entity_id"));
        }
    }
    announce_on_comment(&mut tx, author, &updated, project).await?;
    tx.commit().await?;
    ctx.state
        .projects
        .refresh(&text(&task, "project_id"), touched)
        .await
        .map_err(ApiError::internal)?;
    Ok(updated)
}

async fn automates_main_preview(tx: &mut Tx, project: &Json) -> ApiResult<bool> {
    let project = tx
        .fetch_optional(
            "SELECT is_set_preview_automated FROM project WHERE id = $1",
            &[id_of(project)?],
            Some("project"),
        )
        .await?;
    Ok(project.is_some_and(|p| p["is_set_preview_automated"] == json!(true)))
}

/// The comment holding the preview, if any, shows the new file.
async fn announce_on_comment(
    tx: &mut Tx,
    author: uuid::Uuid,
    preview: &Row,
    project: &Json,
) -> ApiResult<()> {
    let comment = tx
        .fetch_optional(
            "SELECT c.id, c.object_id, c.person_id, c.for_client FROM comment c \
             JOIN comment_preview_link l ON l.comment = c.id WHERE l.preview_file = $1",
            &[id_of(&preview["id"])?],
            Some("comment"),
        )
        .await?;
    let Some(comment) = comment else {
        return Ok(());
    };
    record(
        tx,
        author,
        "comment:update",
        "comment_id",
        &comment["id"],
        project,
        vec![
            ("task_id", comment["object_id"].clone()),
            ("person_id", comment["person_id"].clone()),
            ("for_client", comment["for_client"].clone()),
        ],
    )
    .await?;
    record(
        tx,
        author,
        "preview-file:add-file",
        "comment_id",
        &comment["id"],
        project,
        vec![
            ("task_id", comment["object_id"].clone()),
            ("preview_file_id", preview["id"].clone()),
            ("revision", preview["revision"].clone()),
            ("extension", preview["extension"].clone()),
            ("status", preview["status"].clone()),
        ],
    )
    .await
}
