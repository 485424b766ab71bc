//! The caller's own time: what they logged, their days off, their desktop logins.

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::Ctx;
use crate::db::{now, parse_timestamp, Row, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/time-spents",
            "Get the time the caller logged",
            |r| r.to(time_spents),
        ),
        Route::new(
            Method::GET,
            "/data/user/time-spents/{date}",
            "Get the time the caller logged on a day",
            |r| r.to(time_spents_on),
        ),
        Route::new(
            Method::GET,
            "/data/user/tasks/{task_id}/time-spents/{date}",
            "Get the time the caller logged on a task on a day",
            |r| r.to(task_time_on),
        ),
        Route::new(
            Method::GET,
            "/data/user/day-offs/{date}",
            "Get the caller's day off on a day",
            |r| r.to(day_off_on),
        ),
        Route::new(
            Method::GET,
            "/data/user/desktop-login-logs",
            "Get the caller's desktop logins",
            |r| r.to(desktop_logins),
        ),
        Route::new(
            Method::POST,
            "/data/user/desktop-login-logs",
            "Record a desktop login of the caller",
            |r| r.to(record_desktop_login),
        ),
    ]
}

/// A day, from a date or a date and time.
fn day(text: &str) -> ApiResult<Value> {
    parse_timestamp(text)
        .map(|stamp| Value::Date(stamp.date()))
        .ok_or_else(|| ApiError::bad_request("Wrong date format."))
}

fn typed(rows: Vec<Row>, type_name: &str) -> Vec<Json> {
    super::typed(rows, type_name)
}

/// The caller's time spents, between two dates when both are given, each
/// with its task's project and type.
async fn time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut sql = String::from(
        "SELECT ts.*, t.project_id, t.task_type_id FROM time_spent ts JOIN task t ON t.id = ts.task_id WHERE ts.person_id = $1",
    );
    let mut params = vec![Value::Uuid(identity.person.id)];
    match (ctx.param("start_date").filter(|s| !s.is_empty()), ctx.param("end_date").filter(|s| !s.is_empty())) {
        (None, None) => {}
        (Some(start), Some(end)) => {
            let (Some(from), Some(to)) = (parse_timestamp(start), parse_timestamp(end)) else {
                return Err(ApiError::bad_request(format!("Wrong date format for {start} and/or {end}")));
            };
            params.extend([Value::Date(from.date()), Value::Date(to.date())]);
            sql.push_str(" AND ts.date >= $2 AND ts.date <= $3");
        }
        _ => {
            return Err(ApiError::bad_request(
                "If querying for a range of dates, both a `start_date` and an `end_date` must be given.",
            ))
        }
    }
    sql.push_str(" ORDER BY ts.date, ts.id");
    let rows = state
        .db
        .fetch_all(&sql, &params, Some("time_spent"))
        .await?;
    Ok(HttpResponse::Ok().json(typed(rows, "TimeSpent")))
}

async fn time_spents_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM time_spent WHERE person_id = $1 AND date = $2 ORDER BY task_id, id",
            &[identity.person.id.into(), day(&path)?],
            Some("time_spent"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(typed(rows, "TimeSpent")))
}

/// One row, or `{}` when there is none.
fn one_or_empty(row: Option<Row>, type_name: &str) -> HttpResponse {
    HttpResponse::Ok().json(row.map_or(json!({}), |row| typed(vec![row], type_name).remove(0)))
}

async fn task_time_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let task = Uuid::parse_str(&path.0).map_err(|_| ApiError::NotFound)?;
    let row = state
        .db
        .fetch_optional(
            "SELECT * FROM time_spent WHERE person_id = $1 AND task_id = $2 AND date = $3",
            &[identity.person.id.into(), task.into(), day(&path.1)?],
            Some("time_spent"),
        )
        .await?;
    Ok(one_or_empty(row, "TimeSpent"))
}

async fn day_off_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let on = day(&path)?;
    let row = state
        .db
        .fetch_optional(
            "SELECT * FROM day_off WHERE person_id = $1 AND date <= $2 AND end_date >= $2 ORDER BY date LIMIT 1",
            &[identity.person.id.into(), on],
            Some("day_off"),
        )
        .await?;
    Ok(one_or_empty(row, "DayOff"))
}

async fn desktop_logins(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM desktop_login_log WHERE person_id = $1 ORDER BY date DESC, id",
            &[identity.person.id.into()],
            Some("desktop_login_log"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(typed(rows, "DesktopLoginLog")))
}

/// Records a desktop login (now, or at `date`) and the caller's last presence.
async fn record_desktop_login(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let fields = super::body_fields(&req, &body)?;
    let date = match fields.get("date") {
        None => now(),
        Some(Json::String(text)) => {
            let text = text.get(..19).unwrap_or(text);
            parse_timestamp(text).ok_or_else(|| ApiError::bad_request("Wrong date format."))?
        }
        Some(_) => return Err(ApiError::bad_request("Wrong date format.")),
    };
    let me = Value::Uuid(identity.person.id);
    let stamp = now();
    let mut tx = state.db.begin().await?;
    let row = tx
        .insert(
            "desktop_login_log",
            &[
                ("id", Uuid::now_v7().into()),
                ("person_id", me.clone()),
                ("date", date.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    let latest = tx
        .fetch_optional(
            "SELECT MAX(date) AS latest FROM desktop_login_log WHERE person_id = $1",
            std::slice::from_ref(&me),
            Some("desktop_login_log"),
        )
        .await?
        .and_then(|r| r["latest"].as_str().and_then(parse_timestamp));
    let logged = tx
        .fetch_optional(
            "SELECT MAX(date) AS latest FROM time_spent WHERE person_id = $1",
            std::slice::from_ref(&me),
            None,
        )
        .await?
        .and_then(|r| r["latest"].as_str().and_then(parse_timestamp));
    let presence = latest.map(|d| d.date()).max(logged.map(|d| d.date()));
    tx.execute(
        "UPDATE person SET last_presence = $1 WHERE id = $2",
        &[presence.map(Value::Date).unwrap_or(Value::Null), me],
    )
    .await?;
    Event::new(
        "person:update",
        "person_id",
        &identity.person.id.to_string(),
    )
    .record(&mut tx, identity.person.id)
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(typed(vec![row], "DesktopLoginLog").remove(0)))
}
