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
            "/status/resources",
            "Get the machine's CPU, memory and job load",
            |r| r.to(resources),
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

/// The machine's load as Zou's monitoring reads it, from Linux's `/proc`:
/// each core's use over one second, the load averages, the memory, and the
/// running jobs (Tusk has no job queue: none, as Zou without one).
async fn resources() -> HttpResponse {
    let before = core_times();
    actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
    let percent: Vec<f64> = before
        .iter()
        .zip(core_times())
        .map(|((busy, all), (busy_now, all_now))| {
            let elapsed = all_now.saturating_sub(*all).max(1);
            one_decimal(100.0 * busy_now.saturating_sub(*busy) as f64 / elapsed as f64)
        })
        .collect();
    let load: Vec<f64> = proc_file("loadavg")
        .split_whitespace()
        .take(3)
        .filter_map(|n| n.parse().ok())
        .collect();
    let load_of = |n: usize| load.get(n).copied().unwrap_or(0.0);
    let memory = memory();
    HttpResponse::Ok().json(json!({
        "date": chrono::Utc::now().naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "cpu": {
            "percent": percent,
            "loadavg": {
                "last 1 min": load_of(0),
                "last 5 min": load_of(1),
                "last 10 min": load_of(2),
            },
        },
        "memory": memory,
        "jobs": {"running_jobs": 0},
    }))
}

fn proc_file(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/{name}")).unwrap_or_default()
}

fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Per core, the time spent busy and in all, in ticks since boot.
fn core_times() -> Vec<(u64, u64)> {
    proc_file("stat")
        .lines()
        .filter(|line| line.starts_with("cpu") && !line.starts_with("cpu "))
        .map(|line| {
            let ticks: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|n| n.parse().ok())
                .collect();
            let all: u64 = ticks.iter().take(8).sum();
            // idle and iowait
            let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
            (all.saturating_sub(idle), all)
        })
        .collect()
}

/// Memory in bytes as psutil counts it: used is what neither free, buffers
/// nor (reclaimable) cache hold; the percent is of what is not available.
fn memory() -> serde_json::Value {
    let info = proc_file("meminfo");
    let field = |name: &str| -> u64 {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    let total = field("MemTotal");
    let available = field("MemAvailable");
    let cached = field("Cached") + field("SReclaimable");
    let used = total.saturating_sub(field("MemFree") + field("Buffers") + cached);
    let percent = if total == 0 {
        0.0
    } else {
        one_decimal(100.0 * total.saturating_sub(available) as f64 / total as f64)
    };
    json!({"total": total, "used": used, "available": available, "percent": percent})
}
