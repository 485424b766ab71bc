//! Reading the stored files of a preview: its thumbnails, 1200-px preview and
//! original, inline or as a download.

use super::comments::one;
use super::pictures::{self, Disposition};
use super::preview_uploads::{OTHER_FILES, PICTURES};
use super::{text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope;
use crate::crud::{id_of, Ctx};
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use actix_web::http::{header, Method};
use actix_web::{mime, web, HttpRequest, HttpResponse};
use serde_json::json;
use tusk_actors::role::Role;

/// A picture variant stored under `pictures/<prefix>`.
#[derive(Clone, Copy)]
struct Variant {
    prefix: &'static str,
    /// Whether a shared entity's main preview is readable outside the team.
    shared: bool,
}

pub(super) fn routes() -> Vec<Route> {
    let variants = [
        (
            "thumbnails",
            "thumbnails",
            true,
            "A preview's 150×100 thumbnail",
        ),
        (
            "thumbnails-square",
            "thumbnails-square",
            true,
            "A preview's 100×100 thumbnail",
        ),
        (
            "previews",
            "previews",
            false,
            "A preview's 1200-pixel-wide picture",
        ),
        (
            "originals",
            "original",
            true,
            "A picture preview's original",
        ),
    ];
    let mut routes: Vec<Route> = variants
        .into_iter()
        .map(|(folder, prefix, shared, summary)| {
            let variant = Variant { prefix, shared };
            Route::new(
                Method::GET,
                format!("/pictures/{folder}/preview-files/{{id}}.png"),
                summary,
                move |r| {
                    r.to(
                        move |state: web::Data<AppState>,
                              identity: Identity,
                              path: web::Path<String>,
                              req: HttpRequest| {
                            picture(state, identity, path, req, variant)
                        },
                    )
                },
            )
        })
        .collect();
    routes.extend([
        Route::new(
            Method::GET,
            "/pictures/originals/preview-files/{id}.{extension}",
            "A preview's original file",
            |r| r.to(original_file),
        ),
        Route::new(
            Method::GET,
            "/pictures/originals/preview-files/{id}/download",
            "Download a preview's original",
            |r| r.to(download),
        ),
    ]);
    routes
}

/// The preview, once the caller may read it: task access (the team; vendors
/// on entities they work on), or, for `shared` variants, anyone but vendors
/// when it is a shared entity's main preview.
async fn readable(ctx: &Ctx<'_>, id: &str, shared: bool) -> ApiResult<Row> {
    let preview = one(ctx.db(), "preview_file", id).await?;
    if !(shared && is_shared_main_preview(ctx, &preview).await?) {
        scope::task_access(ctx, &preview["task_id"]).await?;
    }
    Ok(preview)
}

async fn is_shared_main_preview(ctx: &Ctx<'_>, preview: &Row) -> ApiResult<bool> {
    let entity = ctx
        .db()
        .fetch_optional(
            "SELECT e.project_id FROM task t JOIN entity e ON e.id = t.entity_id \
             WHERE t.id = $1 AND e.preview_file_id = $2 AND e.is_shared = $3",
            &[
                id_of(&preview["task_id"])?,
                id_of(&preview["id"])?,
                true.into(),
            ],
            None,
        )
        .await?;
    let Some(project) = entity
        .as_ref()
        .and_then(|e| scope::project_id(e.get("project_id")))
    else {
        return Ok(false);
    };
    // Outside the team, the studio role is the one that counts.
    let role = match ctx.identity.project_role(ctx.db(), project).await {
        Err(ApiError::Forbidden) => ctx.identity.person.role,
        role => role?,
    };
    Ok(role != Role::Vendor)
}

/// While the file is being processed: 202 for clients that prefer JSON to a
/// picture (they poll), 404 for the others.
fn processing(req: &HttpRequest, preview: &Row) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if quality(accept, "application/json") > quality(accept, "image/png") {
        HttpResponse::Accepted()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "5"))
            .json(json!({"status": "processing", "preview_file_id": preview["id"]}))
    } else {
        HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({"error": true, "message": "Preview file was not found."}))
    }
}

/// The quality an `Accept` header gives a media type: that of its most
/// specific matching range (`type/subtype`, then `type/*`, then `*/*`).
fn quality(accept: &str, media: &str) -> f32 {
    let kind = media.split('/').next().unwrap_or_default();
    accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';').map(str::trim);
            let range = parts.next()?.to_ascii_lowercase();
            let specificity = if range == media {
                3
            } else if range == format!("{kind}/*") {
                2
            } else if range == "*/*" {
                1
            } else {
                return None;
            };
            let q = parts
                .find_map(|p| p.strip_prefix("q=")?.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((specificity, q))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map_or(0.0, |(_, q)| q)
}

/// The preview, readable, or the answer while it is being processed.
async fn ready(
    ctx: &Ctx<'_>,
    req: &HttpRequest,
    id: &str,
    shared: bool,
) -> ApiResult<Result<Row, HttpResponse>> {
    let preview = readable(ctx, id, shared).await?;
    if preview["status"] == json!("processing") {
        return Ok(Err(processing(req, &preview)));
    }
    Ok(Ok(preview))
}

async fn picture(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    variant: Variant,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let preview = match ready(&ctx, &req, &path, variant.shared).await? {
        Ok(preview) => preview,
        Err(processing) => return Ok(processing),
    };
    let id = text(&preview, "id");
    pictures::serve(
        &req,
        state.config.stored_file("pictures", variant.prefix, &id),
        mime::IMAGE_PNG,
        &preview["updated_at"],
        Disposition::Inline,
        original_size(&preview, variant.prefix),
    )
    .await
}

/// An original is whole when it has the size recorded on its row.
fn original_size(preview: &Row, prefix: &str) -> Option<u64> {
    let size = preview["file_size"].as_u64().filter(|size| *size > 0)?;
    (prefix == "original" && preview["extension"] == json!("png")).then_some(size)
}

/// Non-picture files: PDFs shown by the browser, the rest as bytes.
fn file_type(extension: &str) -> mime::Mime {
    match extension {
        "pdf" => mime::APPLICATION_PDF,
        _ => mime::APPLICATION_OCTET_STREAM,
    }
}

async fn original_file(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, extension) = path.into_inner();
    let extension = extension.to_lowercase();
    let ctx = Ctx::new(&state, &identity, &req);
    let preview = match ready(&ctx, &req, &id, false).await? {
        Ok(preview) => preview,
        Err(processing) => return Ok(processing),
    };
    if !PICTURES.contains(&extension.as_str()) && !OTHER_FILES.contains(&extension.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Extension not allowed: {extension}"
        )));
    }
    pictures::serve(
        &req,
        state
            .config
            .stored_file("files", "previews", &text(&preview, "id")),
        file_type(&extension),
        &preview["updated_at"],
        Disposition::Inline,
        None,
    )
    .await
}

async fn download(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let preview = match ready(&ctx, &req, &path, false).await? {
        Ok(preview) => preview,
        Err(processing) => return Ok(processing),
    };
    let id = text(&preview, "id");
    let extension = text(&preview, "extension");
    let (bucket, prefix, content_type) = match extension.as_str() {
        "png" => ("pictures", "original", mime::IMAGE_PNG),
        "mp4" => (
            "movies",
            "previews",
            "video/mp4".parse().map_err(ApiError::internal)?,
        ),
        other => ("files", "previews", file_type(other)),
    };
    let name = format!("{}.{extension}", download_name(&ctx, &preview).await?);
    pictures::serve(
        &req,
        state.config.stored_file(bucket, prefix, &id),
        content_type,
        &preview["updated_at"],
        Disposition::Attachment(name),
        original_size(&preview, prefix),
    )
    .await
}

/// The upload's own name when the studio keeps original names, else
/// `<project>_<entity>_<task type>_v<revision>` slugged, as Zou names downloads.
async fn download_name(ctx: &Ctx<'_>, preview: &Row) -> ApiResult<String> {
    let organisation = crate::organisation::current(ctx.db(), false).await?;
    let original = preview["original_name"].as_str();
    let mut name = match original {
        Some(original) if organisation["use_original_file_name"] == json!(true) => {
            original.to_string()
        }
        _ => {
            let task = ctx
                .db()
                .fetch_optional(
                    "SELECT p.name AS project_name, tt.name AS task_type_name, \
                     t.entity_id AS task_entity_id, e.name AS entity_name, \
                     e.source_id AS entity_source_id, et.name AS entity_type_name, \
                     par.id AS parent_id, par.name AS parent_name, \
                     gp.id AS grandparent_id, gp.name AS grandparent_name \
                     FROM task t JOIN project p ON p.id = t.project_id \
                     JOIN task_type tt ON tt.id = t.task_type_id \
                     JOIN entity e ON e.id = t.entity_id \
                     JOIN entity_type et ON et.id = e.entity_type_id \
                     LEFT JOIN entity par ON par.id = e.parent_id \
                     LEFT JOIN entity gp ON gp.id = par.parent_id WHERE t.id = $1",
                    &[id_of(&preview["task_id"])?],
                    None,
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            let (entity, _) = super::news::full_name(&task);
            crate::slug::slug(&format!(
                "{}_{entity}_{}_v{}",
                text(&task, "project_name"),
                text(&task, "task_type_name"),
                preview["revision"]
            ))
        }
    };
    if let Some(position) = preview["position"].as_i64().filter(|p| *p > 1) {
        name.push_str(&format!("-{position}"));
    }
    Ok(name)
}
