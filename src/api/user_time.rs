//! The caller's own time: what they logged, their days off, their desktop logins.

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{now, parse_timestamp, Row, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
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
fn day(text: &str) -> ApiResult<NaiveDate> {
    parse_timestamp(text)
        .map(|stamp| stamp.date())
        .ok_or_else(|| ApiError::bad_request("Wrong date format."))
}

fn typed(rows: Vec<Row>, type_name: &str) -> Vec<Json> {
    super::typed(rows, type_name)
}

/// Whose time spents a read covers, and which of them the reader may see.
pub(super) struct TimeView {
    pub person: Uuid,
    /// Conditions on the task `t`, for readers who see part of it only.
    pub narrowing: Vec<Condition>,
}

impl TimeView {
    pub fn own(person: Uuid) -> TimeView {
        TimeView {
            person,
            narrowing: Vec::new(),
        }
    }

    /// The view's conditions on `ts` (the time spent) and `t` (its task).
    pub fn conditions(&self) -> Vec<Condition> {
        let mut conditions = vec![Condition::new("ts.person_id = ?", vec![self.person.into()])];
        conditions.extend(self.narrowing.iter().cloned());
        conditions
    }
}

/// `start_date` and `end_date`, both or neither.
pub(super) fn date_range(ctx: &Ctx<'_>) -> ApiResult<Option<(NaiveDate, NaiveDate)>> {
    let given = |name| ctx.param(name).filter(|s: &&str| !s.is_empty());
    match (given("start_date"), given("end_date")) {
        (None, None) => Ok(None),
        (Some(start), Some(end)) => match (parse_timestamp(start), parse_timestamp(end)) {
            (Some(from), Some(to)) => Ok(Some((from.date(), to.date()))),
            _ => Err(ApiError::bad_request(format!(
                "Wrong date format for {start} and/or {end}"
            ))),
        },
        _ => Err(ApiError::bad_request(
            "If querying for a range of dates, both a `start_date` and an `end_date` must be given.",
        )),
    }
}

/// The view's time spents (all of them, or those of a date range), each with
/// its task's project and type.
pub(super) async fn range_rows(
    state: &AppState,
    view: &TimeView,
    range: Option<(NaiveDate, NaiveDate)>,
) -> ApiResult<Vec<Json>> {
    let mut conditions = view.conditions();
    if let Some((from, to)) = range {
        conditions.push(Condition::new(
            "ts.date >= ? AND ts.date <= ?",
            vec![Value::Date(from), Value::Date(to)],
        ));
    }
    let (where_sql, params) = where_clause(&conditions);
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT ts.*, t.project_id, t.task_type_id FROM time_spent ts \
                 JOIN task t ON t.id = ts.task_id{where_sql} ORDER BY ts.date, ts.created_at, ts.id"
            ),
            &params,
            Some("time_spent"),
        )
        .await?;
    Ok(typed(rows, "TimeSpent"))
}

/// The view's time spents of one day.
pub(super) async fn day_rows(
    state: &AppState,
    view: &TimeView,
    on: NaiveDate,
) -> ApiResult<Vec<Json>> {
    let mut conditions = view.conditions();
    conditions.push(Condition::new("ts.date = ?", vec![Value::Date(on)]));
    let (where_sql, params) = where_clause(&conditions);
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT ts.* FROM time_spent ts JOIN task t ON t.id = ts.task_id{where_sql} \
                 ORDER BY ts.task_id, ts.id"
            ),
            &params,
            Some("time_spent"),
        )
        .await?;
    Ok(typed(rows, "TimeSpent"))
}

/// The caller's time spents, between two dates when both are given.
async fn time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let range = date_range(&ctx)?;
    let rows = range_rows(&state, &TimeView::own(identity.person.id), range).await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn time_spents_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let on = day(&path)?;
    let rows = day_rows(&state, &TimeView::own(identity.person.id), on).await?;
    Ok(HttpResponse::Ok().json(rows))
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
            &[
                identity.person.id.into(),
                task.into(),
                Value::Date(day(&path.1)?),
            ],
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
    let on = Value::Date(day(&path)?);
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

/// A person's desktop logins, latest first.
pub(super) async fn desktop_logins_of(state: &AppState, person: Uuid) -> ApiResult<Vec<Json>> {
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM desktop_login_log WHERE person_id = $1 ORDER BY date DESC, id",
            &[person.into()],
            Some("desktop_login_log"),
        )
        .await?;
    Ok(typed(rows, "DesktopLoginLog"))
}

async fn desktop_logins(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(desktop_logins_of(&state, identity.person.id).await?))
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
    let row = record_login(&state, identity.person.id, identity.person.id, date).await?;
    Ok(HttpResponse::Created().json(row))
}

/// Records a desktop login of `person` and their last presence: the later
/// of their latest login and their latest logged time.
pub(super) async fn record_login(
    state: &AppState,
    person: Uuid,
    author: Uuid,
    date: NaiveDateTime,
) -> ApiResult<Json> {
    let me = Value::Uuid(person);
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
        "UPDATE person SET last_presence = $1, updated_at = $2 WHERE id = $3",
        &[
            presence.map(Value::Date).unwrap_or(Value::Null),
            stamp.into(),
            me,
        ],
    )
    .await?;
    Event::new("person:update", "person_id", &person.to_string())
        .record(&mut tx, author)
        .await?;
    tx.commit().await?;
    Ok(typed(vec![row], "DesktopLoginLog").remove(0))
}
