//! What a client reads first: the API's name and version, health, the UI's
//! configuration and the route documentation.

use super::{Route, ZOU_VERSION};
use crate::app::AppState;
use crate::auth::Identity;
use crate::error::ApiResult;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/", "Get API name and version", |r| {
            r.to(index)
        }),
        Route::new(Method::GET, "/status", "Get API status", |r| r.to(status)),
        Route::new(Method::GET, "/status.txt", "Get API status as text", |r| {
            r.to(status_text)
        }),
        Route::new(
            Method::GET,
            "/config",
            "Get the configuration the web UI needs",
            |r| r.to(config),
        ),
        Route::new(
            Method::GET,
            "/stats",
            "Get the studio's usage counts (admins)",
            |r| r.to(stats),
        ),
        Route::new(
            Method::GET,
            "/openapi.json",
            "Get the OpenAPI document of this API",
            |r| r.to(openapi),
        ),
    ]
}

async fn index() -> HttpResponse {
    // Clients (gazu, Kitsu) check these two keys to know they talk to a Zou API.
    HttpResponse::Ok().json(json!({"api": "Zou", "version": ZOU_VERSION}))
}

/// The health of each service, as Zou reports it. Tusk keeps tokens in its
/// database, so its key-value store is the database; it runs no event stream
/// (socket.io), job queue or indexer yet, and says so.
async fn checks(state: &AppState) -> Vec<(&'static str, bool)> {
    let database_up = state.db.ping().await;
    vec![
        ("database-up", database_up),
        ("key-value-store-up", database_up),
        ("event-stream-up", false),
        ("job-queue-up", false),
        ("indexer-up", false),
    ]
}

async fn status(state: web::Data<AppState>) -> HttpResponse {
    let mut body = json!({"name": "Tusk", "version": ZOU_VERSION});
    for (name, up) in checks(&state).await {
        body[name] = json!(up);
    }
    HttpResponse::Ok().json(body)
}

async fn status_text(state: web::Data<AppState>) -> HttpResponse {
    let mut text = format!("name: Tusk\nversion: {ZOU_VERSION}\n");
    for (name, up) in checks(&state).await {
        text.push_str(&format!("{name}: {}\n", if up { "up" } else { "down" }));
    }
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

async fn config(state: web::Data<AppState>) -> HttpResponse {
    let config = &state.config;
    HttpResponse::Ok().json(json!({
        "is_self_hosted": true,
        "crisp_token": "",
        "dark_theme_by_default": false,
        "indexer_configured": false,
        "saml_enabled": false,
        "saml_idp_name": "",
        "oidc_enabled": false,
        "oidc_idp_name": "",
        "default_locale": config.default_locale,
        "default_timezone": config.default_timezone,
        "enforce_2fa": false,
        "movie_highdef_bitrate": 28,
        "movie_lowdef_bitrate": 6,
        "preview_accounts_enabled": true,
    }))
}

async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.clone())
}

/// The counts Zou's telemetry reports: previews by kind, and comments.
async fn stats(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let counts = state
        .db
        .fetch_optional(
            "SELECT \
             (SELECT COUNT(*) FROM preview_file WHERE extension = 'mp4') AS number_of_video_previews, \
             (SELECT COUNT(*) FROM preview_file WHERE extension = 'png') AS number_of_picture_previews, \
             (SELECT COUNT(*) FROM preview_file WHERE extension = 'obj') AS number_of_model_previews, \
             (SELECT COUNT(*) FROM comment) AS number_of_comments",
            &[],
            None,
        )
        .await?
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(counts))
}
