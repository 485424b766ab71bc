//! What the picture routes share: receiving the uploaded `file`, handing
//! pictures to the thumbnail workers, storing what they make, and serving
//! stored files with Zou's headers.

use crate::app::AppState;
use crate::db::parse_timestamp;
use crate::error::{ApiError, ApiResult};
use crate::storage;
use actix_files::NamedFile;
use actix_multipart::{Field, Multipart};
use actix_web::http::header::{self, HttpDate};
use actix_web::http::StatusCode;
use actix_web::{mime, web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Value as Json};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tusk_actors::thumbnails::{Png, Unreadable};

/// The largest upload taken (Zou's own default is 10 GiB).
const UPLOAD_LIMIT: u64 = 1024 * 1024 * 1024;
/// Received bytes are written to disk in blocks this large.
const WRITE_BLOCK: usize = 1024 * 1024;
/// How long browsers may keep a picture (Zou's `CLIENT_CACHE_MAX_AGE`).
const CACHE_SECONDS: u64 = 604_800;

pub(super) fn not_a_picture() -> ApiError {
    ApiError::bad_request("Uploaded file is not a readable picture.")
}

fn too_large() -> ApiError {
    ApiError::Body(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"error": true, "message": "The data value transmitted exceeds the capacity limit."}),
    )
}

fn unreadable_body() -> ApiError {
    ApiError::bad_request("The multipart body could not be read.")
}

/// An upload waiting in the data folder's `tmp` until it is stored; it is
/// removed when dropped, stored or not.
pub(super) struct Received {
    /// The name the client gave the file.
    pub name: String,
    pub path: PathBuf,
}

impl Received {
    /// What follows the last dot of the name, lower-cased (empty without a dot).
    pub fn extension(&self) -> String {
        self.name
            .rsplit_once('.')
            .map_or_else(String::new, |(_, extension)| extension.to_lowercase())
    }

    /// The name without its extension.
    pub fn stem(&self) -> &str {
        self.name
            .rsplit_once('.')
            .map_or(self.name.as_str(), |(stem, _)| stem)
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        storage::remove_quietly(&self.path);
    }
}

/// The multipart part named `file`, as Zou's `request.files["file"]`; other
/// parts are read past. No such part, or no multipart body: 400.
pub(super) async fn receive(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<Received> {
    let not_provided = || ApiError::bad_request("File not provided.");
    if !req.content_type().starts_with("multipart/") {
        return Err(not_provided());
    }
    let declared: Option<u64> = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse().ok());
    if declared.is_some_and(|length| length > UPLOAD_LIMIT) {
        return Err(too_large());
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut total = 0;
    let mut received = None;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(|_| unreadable_body())?;
        let disposition = part.content_disposition().cloned();
        let field = disposition.as_ref().and_then(|d| d.get_name());
        let name = disposition.as_ref().and_then(|d| d.get_filename());
        match name {
            Some(name) if received.is_none() && field == Some("file") => {
                let file = Received {
                    name: name.to_string(),
                    path: storage::uploads_folder(&state.config.data_dir)
                        .join(uuid::Uuid::new_v4().to_string()),
                };
                write_part(&mut part, &file.path, &mut total).await?;
                received = Some(file);
            }
            _ => {
                while let Some(chunk) = part.next().await {
                    total += chunk.map_err(|_| unreadable_body())?.len() as u64;
                    if total > UPLOAD_LIMIT {
                        return Err(too_large());
                    }
                }
            }
        }
    }
    received.ok_or_else(not_provided)
}

/// Streams a part to a new file, in blocks written off the async threads.
async fn write_part(part: &mut Field, path: &Path, total: &mut u64) -> ApiResult<()> {
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let created = path.to_path_buf();
    let mut file = web::block(move || {
        std::fs::create_dir_all(folder)?;
        File::create(created)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let mut block = Vec::with_capacity(WRITE_BLOCK);
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(|_| unreadable_body())?;
        *total += chunk.len() as u64;
        if *total > UPLOAD_LIMIT {
            return Err(too_large());
        }
        block.extend_from_slice(&chunk);
        if block.len() >= WRITE_BLOCK {
            (file, block) = write_block(file, block).await?;
        }
    }
    write_block(file, block).await?;
    Ok(())
}

async fn write_block(mut file: File, mut block: Vec<u8>) -> ApiResult<(File, Vec<u8>)> {
    web::block(move || {
        file.write_all(&block)?;
        block.clear();
        Ok::<_, std::io::Error>((file, block))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Runs a picture job on the thumbnail workers, on the received file; a file
/// that is no readable picture is Zou's 400 (the reason is only logged).
pub(super) async fn make_pictures<T: Send + 'static>(
    state: &AppState,
    upload: &Received,
    make: fn(BufReader<File>) -> Result<T, Unreadable>,
) -> ApiResult<T> {
    let path = upload.path.clone();
    let made = state
        .thumbnails
        .run(move || {
            let file = File::open(path).map_err(|error| Unreadable(error.to_string()))?;
            make(BufReader::new(file))
        })
        .await
        .map_err(ApiError::internal)?;
    made.map_err(|unreadable| {
        tracing::info!(%unreadable, "an uploaded picture is refused");
        not_a_picture()
    })
}

/// Stores pictures at their paths, durably, off the async threads; on failure
/// none is left behind.
pub(super) async fn store_pictures(pictures: Vec<(PathBuf, Png)>) -> ApiResult<()> {
    web::block(move || {
        for (index, (path, png)) in pictures.iter().enumerate() {
            if let Err(error) = storage::write_durably(path, &png.bytes) {
                remove_all(pictures[..index].iter().map(|(path, _)| path.as_path()));
                return Err(error);
            }
        }
        Ok(())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Removes stored files whose database change failed.
pub(super) fn remove_all<'a>(paths: impl IntoIterator<Item = &'a Path>) {
    for path in paths {
        storage::remove_quietly(path);
    }
}

/// How a served file is presented.
pub(super) enum Disposition {
    Inline,
    /// A download under this name.
    Attachment(String),
}

/// A stored file as Zou's `send_file` answers it: 404 when it is missing or
/// empty (or not `expected_size` bytes long when that is known), ETag and
/// ranges, `Last-Modified` from the row's `updated_at`, a week of private caching.
pub(super) async fn serve(
    req: &HttpRequest,
    path: PathBuf,
    content_type: mime::Mime,
    updated_at: &Json,
    disposition: Disposition,
    expected_size: Option<u64>,
) -> ApiResult<HttpResponse> {
    let file = web::block(move || NamedFile::open(path))
        .await
        .map_err(ApiError::internal)?
        .map_err(|_| ApiError::NotFound)?;
    let size = file.metadata().len();
    if size == 0 || expected_size.is_some_and(|expected| expected != size) {
        return Err(ApiError::NotFound);
    }
    let mut response = file
        .set_content_type(content_type)
        .disable_content_disposition()
        .use_last_modified(false)
        .into_response(req);
    let headers = response.headers_mut();
    let value = |text: String| header::HeaderValue::from_str(&text).map_err(ApiError::internal);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(match disposition {
            Disposition::Inline => "inline; filename=\"\"".into(),
            Disposition::Attachment(name) => download_disposition(&name),
        })?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        value(format!("private, max-age={CACHE_SECONDS}"))?,
    );
    let expires = SystemTime::now() + Duration::from_secs(CACHE_SECONDS);
    headers.insert(header::EXPIRES, value(HttpDate::from(expires).to_string())?);
    if let Some(stamp) = updated_at.as_str().and_then(parse_timestamp) {
        let modified =
            SystemTime::UNIX_EPOCH + Duration::from_secs(stamp.and_utc().timestamp().max(0) as u64);
        headers.insert(
            header::LAST_MODIFIED,
            value(HttpDate::from(modified).to_string())?,
        );
    }
    Ok(response)
}

/// Werkzeug's: the bare name when it needs no quoting (slugged names), else
/// quoted, with its exact UTF-8 spelling beside.
fn download_disposition(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if plain {
        format!("attachment; filename={name}")
    } else {
        super::attachments::disposition_of("attachment", name)
    }
}
