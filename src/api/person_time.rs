//! Other people's time: what they logged, their days off, their desktop
//! logins, and the studio's time tables, with Zou's rules on who reads whom.

use super::person_actions::{not_a_bot, path_person};
use super::user_time::{self, TimeView};
use super::{body_fields, typed, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_projects;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{now, parse_timestamp, Row, Value};
use crate::error::{ApiError, ApiResult};
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeSet, HashMap};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let p = "/data/persons/{person_id}";
    vec![
        Route::new(
            Method::GET,
            format!("{p}/time-spents"),
            "Get a person's time spents between two dates",
            |r| r.to(time_spents),
        ),
        Route::new(
            Method::GET,
            format!("{p}/time-spents/{{date}}"),
            "Get a person's time spents of a day",
            |r| r.to(time_spents_on),
        ),
        period_route(
            format!("{p}/time-spents/year/{{year}}"),
            "Get a person's time per task in a year",
            |p| Period::year(&p[0]),
            per_task,
        ),
        period_route(
            format!("{p}/time-spents/month/{{year}}/{{month}}"),
            "Get a person's time per task in a month",
            |p| Period::month(&p[0], &p[1]),
            per_task,
        ),
        period_route(
            format!("{p}/time-spents/week/{{year}}/{{week}}"),
            "Get a person's time per task in a week",
            |p| Period::week(&p[0], &p[1]),
            per_task,
        ),
        period_route(
            format!("{p}/time-spents/day/{{year}}/{{month}}/{{day}}"),
            "Get a person's time per task on a day",
            |p| Period::day(&p[0], &p[1], &p[2]),
            per_task,
        ),
        Route::new(
            Method::GET,
            format!("{p}/time-spents/month/all/{{year}}/{{month}}"),
            "Get all of a person's time spents of a month",
            |r| r.to(month_time_spents),
        ),
        Route::new(
            Method::GET,
            format!("{p}/day-offs"),
            "Get a person's days off",
            |r| r.to(|s, i, p: web::Path<String>| day_offs(s, i, p.into_inner(), Ok(None))),
        ),
        Route::new(
            Method::GET,
            format!("{p}/day-offs/year/{{year}}"),
            "Get a person's days off in a year",
            |r| {
                r.to(|s, i, p: web::Path<(String, String)>| {
                    day_offs(s, i, p.0.clone(), Period::year(&p.1).map(Some))
                })
            },
        ),
        Route::new(
            Method::GET,
            format!("{p}/day-offs/month/{{year}}/{{month}}"),
            "Get a person's days off in a month",
            |r| {
                r.to(|s, i, p: web::Path<(String, String, String)>| {
                    day_offs(s, i, p.0.clone(), Period::month(&p.1, &p.2).map(Some))
                })
            },
        ),
        Route::new(
            Method::GET,
            format!("{p}/day-offs/week/{{year}}/{{week}}"),
            "Get a person's days off in a week",
            |r| {
                r.to(|s, i, p: web::Path<(String, String, String)>| {
                    day_offs(s, i, p.0.clone(), Period::week(&p.1, &p.2).map(Some))
                })
            },
        ),
        Route::new(
            Method::GET,
            format!("{p}/day-offs/{{date}}"),
            "Get a person's day off on a day",
            |r| r.to(day_off_on),
        ),
        Route::new(
            Method::GET,
            "/data/persons/day-offs/{year}",
            "Get the days off the caller may see in a year",
            |r| r.to(|s, i, p: web::Path<String>| visible_day_offs(s, i, Period::year(&p))),
        ),
        Route::new(
            Method::GET,
            "/data/persons/day-offs/{year}/{month}",
            "Get the days off the caller may see in a month",
            |r| {
                r.to(|s, i, p: web::Path<(String, String)>| {
                    visible_day_offs(s, i, Period::month(&p.0, &p.1))
                })
            },
        ),
        Route::new(
            Method::GET,
            format!("{p}/desktop-login-logs"),
            "Get a person's desktop logins",
            |r| r.to(desktop_logins),
        ),
        Route::new(
            Method::POST,
            format!("{p}/desktop-login-logs"),
            "Record a desktop login of a person",
            |r| r.to(record_desktop_login),
        ),
        Route::new(
            Method::GET,
            "/data/persons/presence-logs/{month_date}",
            "Get the studio's presence sheet of a month (CSV)",
            |r| r.to(presence_sheet),
        ),
        Route::new(
            Method::GET,
            "/data/persons/time-spents/day-table/{year}/{month}",
            "Get the time logged per day of a month, per person",
            |r| {
                r.to(|s, i, p: web::Path<(String, String)>, q| {
                    table(
                        s,
                        i,
                        Table::Days,
                        Period::month_or_invalid(&p.0, &p.1).map(Some),
                        q,
                    )
                })
            },
        ),
        Route::new(
            Method::GET,
            "/data/persons/time-spents/week-table/{year}",
            "Get the time logged per week of a year, per person",
            |r| {
                r.to(|s, i, p: web::Path<String>, q| {
                    table(s, i, Table::Weeks, Period::year_or_invalid(&p).map(Some), q)
                })
            },
        ),
        Route::new(
            Method::GET,
            "/data/persons/time-spents/month-table/{year}",
            "Get the time logged per month of a year, per person",
            |r| {
                r.to(|s, i, p: web::Path<String>, q| {
                    table(
                        s,
                        i,
                        Table::Months,
                        Period::year_or_invalid(&p).map(Some),
                        q,
                    )
                })
            },
        ),
        Route::new(
            Method::GET,
            "/data/persons/time-spents/year-table",
            "Get the time logged per year, per person",
            |r| r.to(|s, i, q| table(s, i, Table::Years, Ok(None), q)),
        ),
    ]
}

/// A GET route about a person and a period named by the rest of the path:
/// `handler` gets the person's id and the period (or why it is not one).
pub(super) fn period_route<H, F>(
    path: String,
    summary: &str,
    period: fn(&[String]) -> ApiResult<Period>,
    handler: H,
) -> Route
where
    H: Fn(web::Data<AppState>, Identity, String, ApiResult<Period>, HttpRequest) -> F
        + Copy
        + 'static,
    F: std::future::Future<Output = ApiResult<HttpResponse>> + 'static,
{
    Route::new(Method::GET, path, summary, move |r| {
        r.to(move |s, i, p: web::Path<Vec<String>>, q| {
            let parts = p.into_inner();
            handler(s, i, parts[0].clone(), period(&parts[1..]), q)
        })
    })
}

const INVALID_DATE: &str = "Invalid date format.";
const INVALID_MONTH: &str = "Invalid month or year.";

/// A half-open range of days, `[start, end)`.
#[derive(Clone, Copy)]
pub(super) struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

fn number(text: &str) -> Option<u32> {
    text.parse().ok()
}

fn year_start(year: &str) -> Option<NaiveDate> {
    let year: i32 = year.parse().ok().filter(|y| *y >= 1)?;
    NaiveDate::from_ymd_opt(year, 1, 1)
}

impl Period {
    fn new(start: NaiveDate, end: Option<NaiveDate>) -> Option<Period> {
        Some(Period { start, end: end? })
    }

    fn year_of(year: &str) -> Option<Period> {
        let start = year_start(year)?;
        Period::new(start, start.with_year(start.year() + 1))
    }

    fn month_of(year: &str, month: &str) -> Option<Period> {
        let start = year_start(year)?.with_month(number(month)?)?;
        Period::new(start, start.checked_add_months(chrono::Months::new(1)))
    }

    fn year(year: &str) -> ApiResult<Period> {
        Period::year_of(year).ok_or_else(|| ApiError::bad_request(INVALID_DATE))
    }

    fn year_or_invalid(year: &str) -> ApiResult<Period> {
        Period::year_of(year).ok_or_else(|| ApiError::bad_request(INVALID_MONTH))
    }

    fn month(year: &str, month: &str) -> ApiResult<Period> {
        Period::month_of(year, month).ok_or_else(|| ApiError::bad_request(INVALID_DATE))
    }

    pub(super) fn month_or_invalid(year: &str, month: &str) -> ApiResult<Period> {
        Period::month_of(year, month).ok_or_else(|| ApiError::bad_request(INVALID_MONTH))
    }

    /// The ISO week, Monday to Sunday.
    pub(super) fn week(year: &str, week: &str) -> ApiResult<Period> {
        let start = year_start(year)
            .and_then(|y| NaiveDate::from_isoywd_opt(y.year(), number(week)?, Weekday::Mon))
            .ok_or_else(|| ApiError::bad_request(INVALID_MONTH))?;
        Ok(Period {
            start,
            end: start + Duration::days(7),
        })
    }

    pub(super) fn day(year: &str, month: &str, day: &str) -> ApiResult<Period> {
        let start = Period::month_of(year, month)
            .and_then(|m| m.start.with_day(number(day)?))
            .ok_or_else(|| ApiError::bad_request(INVALID_MONTH))?;
        Ok(Period {
            start,
            end: start + Duration::days(1),
        })
    }

    fn last_day(self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }
}

/// A path date as PostgreSQL casts it: `2026-03-09`, `2026-3-9`, `20260309`,
/// or a date and time.
fn path_date(text: &str) -> Option<NaiveDate> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(text, "%Y%m%d").ok();
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_timestamp(text).map(|t| t.date()))
}

/// What a manager or supervisor sees of anyone's time: tasks of their team
/// projects, and for a supervisor with departments, of task types of those
/// departments. `None` for admins, who see everything; 403 for other roles.
async fn overseen(state: &AppState, identity: &Identity) -> ApiResult<Option<Vec<Condition>>> {
    let me = identity.person.id;
    match identity.person.role {
        Role::Admin => Ok(None),
        Role::Manager | Role::Supervisor => {
            let projects = team_projects(me, false);
            let mut narrowing = vec![Condition::new(
                format!("t.project_id IN ({})", projects.sql),
                projects.params,
            )];
            let supervised = identity.person.role == Role::Supervisor
                && !identity.person.department_ids(&state.db).await?.is_empty();
            if supervised {
                narrowing.push(Condition::new(
                    "t.task_type_id IN (SELECT tt.id FROM task_type tt JOIN department_link dl \
                     ON dl.department_id = tt.department_id WHERE dl.person_id = ?)",
                    vec![me.into()],
                ));
            }
            Ok(Some(narrowing))
        }
        _ => Err(ApiError::Forbidden),
    }
}

/// The path person's time as the caller may see it.
async fn time_view(state: &AppState, identity: &Identity, person: &str) -> ApiResult<TimeView> {
    let person = not_a_bot(state, person).await?;
    if person.id == identity.person.id {
        return Ok(TimeView::own(person.id));
    }
    Ok(TimeView {
        person: person.id,
        narrowing: overseen(state, identity).await?.unwrap_or_default(),
    })
}

async fn time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let view = time_view(&state, &identity, &path).await?;
    let ctx = Ctx::new(&state, &identity, &req);
    // Zou's query for "no dates" never matches a row: Kitsu has always seen [].
    let rows = match user_time::date_range(&ctx)? {
        None => Vec::new(),
        range => user_time::range_rows(&state, &view, range).await?,
    };
    Ok(HttpResponse::Ok().json(rows))
}

async fn time_spents_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let view = time_view(&state, &identity, &path.0).await?;
    let on = path_date(&path.1).ok_or_else(|| ApiError::bad_request(INVALID_MONTH))?;
    Ok(HttpResponse::Ok().json(user_time::day_rows(&state, &view, on).await?))
}

async fn in_team(state: &AppState, person: Uuid, project: Uuid) -> ApiResult<bool> {
    Ok(state
        .db
        .fetch_optional(
            "SELECT person_id FROM project_person_link WHERE person_id = $1 AND project_id = $2",
            &[person.into(), project.into()],
            None,
        )
        .await?
        .is_some())
}

/// `project_id` of the query: any project for whoever sees everything, one
/// of their team's for a manager or supervisor (403 otherwise).
async fn project_filter(ctx: &Ctx<'_>, narrowed: bool) -> ApiResult<Option<Condition>> {
    let Some(text) = ctx.param("project_id").filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let project = match Uuid::parse_str(text) {
        Ok(id) => id,
        Err(_) if narrowed => return Err(ApiError::Forbidden),
        Err(_) => return Err(ApiError::bad_request(format!("Invalid UUID value: {text}"))),
    };
    if narrowed && !in_team(ctx.state, ctx.identity.person.id, project).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(Some(Condition::new(
        "t.project_id = ?",
        vec![project.into()],
    )))
}

fn in_period(period: Period) -> Condition {
    Condition::new(
        "ts.date >= ? AND ts.date < ?",
        vec![Value::Date(period.start), Value::Date(period.end)],
    )
}

/// The person's time per task in a period, with the names Kitsu shows.
async fn per_task(
    state: web::Data<AppState>,
    identity: Identity,
    person: String,
    period: ApiResult<Period>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let view = time_view(&state, &identity, &person).await?;
    let mut conditions = view.conditions();
    conditions.extend(project_filter(&ctx, !view.narrowing.is_empty()).await?);
    conditions.push(in_period(period?));
    let (where_sql, params) = where_clause(&conditions);
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.id AS task_id, t.task_type_id, t.project_id, p.name AS project_name, \
                 e.name AS entity_name, et.name AS entity_type_name, parent.name AS sequence_name, \
                 grandparent.name AS episode_name, SUM(ts.duration) AS duration \
                 FROM time_spent ts JOIN task t ON t.id = ts.task_id \
                 JOIN entity e ON e.id = t.entity_id JOIN project p ON p.id = t.project_id \
                 JOIN entity_type et ON et.id = e.entity_type_id \
                 LEFT JOIN entity parent ON parent.id = e.parent_id \
                 LEFT JOIN entity grandparent ON grandparent.id = parent.parent_id{where_sql} \
                 GROUP BY t.id, t.task_type_id, t.project_id, p.name, e.name, et.name, \
                 parent.name, grandparent.name ORDER BY p.name, e.name, t.task_type_id, t.id"
            ),
            &params,
            None,
        )
        .await?;
    let rows: Vec<Json> = rows
        .into_iter()
        .map(|mut row| {
            let minutes = row["duration"].as_f64().unwrap_or(0.0);
            row.insert("duration".into(), json!(minutes));
            Json::Object(row)
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// Every time spent of a month, unnarrowed: for the person and admins only.
async fn month_time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let person = not_a_bot(&state, &path.0).await?;
    if person.id != identity.person.id {
        identity.require_admin()?;
    }
    let period = Period::month_or_invalid(&path.1, &path.2)?;
    let (where_sql, params) = where_clause(&[
        Condition::new("ts.person_id = ?", vec![person.id.into()]),
        in_period(period),
    ]);
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT ts.* FROM time_spent ts{where_sql} ORDER BY ts.date, ts.created_at, ts.id"
            ),
            &params,
            Some("time_spent"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(typed(rows, "TimeSpent")))
}

/// How much of someone's days off the caller sees.
#[derive(Clone, Copy, PartialEq)]
enum Sight {
    Full,
    DatesOnly,
    Nothing,
}

/// Zou's rule: admins and the person see everything; a manager of a project
/// both are in sees everything; a supervisor of such a project sees the
/// dates when they share a department (or have none). Team roles count.
async fn day_off_sight(state: &AppState, identity: &Identity, target: &Person) -> ApiResult<Sight> {
    if identity.is_admin() || identity.person.id == target.id {
        return Ok(Sight::Full);
    }
    let shared = state
        .db
        .fetch_all(
            "SELECT mine.role FROM project_person_link mine JOIN project_person_link theirs \
             ON theirs.project_id = mine.project_id WHERE mine.person_id = $1 AND theirs.person_id = $2",
            &[identity.person.id.into(), target.id.into()],
            None,
        )
        .await?;
    let roles: Vec<Role> = shared
        .iter()
        .map(|link| {
            let team_role = link["role"].as_str().and_then(|r| r.parse().ok());
            identity.person.role.in_project(team_role)
        })
        .collect();
    if roles.iter().any(|r| r.is_manager_or_above()) {
        return Ok(Sight::Full);
    }
    if roles.contains(&Role::Supervisor) {
        let mine = identity.person.department_ids(&state.db).await?;
        let theirs = target.department_ids(&state.db).await?;
        if mine.is_empty() || mine.iter().any(|d| theirs.contains(d)) {
            return Ok(Sight::DatesOnly);
        }
    }
    Ok(Sight::Nothing)
}

fn shown(mut row: Row, sight: Sight) -> Json {
    if sight == Sight::DatesOnly {
        row.remove("description");
    }
    typed(vec![row], "DayOff").remove(0)
}

/// Days off overlapping the period (all of them without one), of one person
/// or of everyone.
async fn day_off_rows(
    state: &AppState,
    person: Option<Uuid>,
    period: Option<Period>,
) -> ApiResult<Vec<Row>> {
    let mut conditions = Vec::new();
    if let Some(person) = person {
        conditions.push(Condition::new("person_id = ?", vec![person.into()]));
    }
    if let Some(period) = period {
        conditions.push(Condition::new(
            "date <= ? AND end_date >= ?",
            vec![Value::Date(period.last_day()), Value::Date(period.start)],
        ));
    }
    let (where_sql, params) = where_clause(&conditions);
    Ok(state
        .db
        .fetch_all(
            &format!("SELECT * FROM day_off{where_sql} ORDER BY date, person_id, id"),
            &params,
            Some("day_off"),
        )
        .await?)
}

/// The path person and how much of their days off the caller sees (403 for nothing).
async fn day_off_target(
    state: &AppState,
    identity: &Identity,
    person: &str,
) -> ApiResult<(Person, Sight)> {
    let target = not_a_bot(state, person).await?;
    match day_off_sight(state, identity, &target).await? {
        Sight::Nothing => Err(ApiError::Forbidden),
        sight => Ok((target, sight)),
    }
}

async fn day_offs(
    state: web::Data<AppState>,
    identity: Identity,
    person: String,
    period: ApiResult<Option<Period>>,
) -> ApiResult<HttpResponse> {
    let (target, sight) = day_off_target(&state, &identity, &person).await?;
    let rows = day_off_rows(&state, Some(target.id), period?).await?;
    let rows: Vec<Json> = rows.into_iter().map(|row| shown(row, sight)).collect();
    Ok(HttpResponse::Ok().json(rows))
}

async fn day_off_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (target, sight) = day_off_target(&state, &identity, &path.0).await?;
    let on = path_date(&path.1).ok_or_else(|| ApiError::bad_request(INVALID_DATE))?;
    let day = Period {
        start: on,
        end: on + Duration::days(1),
    };
    let row = day_off_rows(&state, Some(target.id), Some(day))
        .await?
        .into_iter()
        .next();
    Ok(HttpResponse::Ok().json(row.map_or(json!({}), |row| shown(row, sight))))
}

/// Every day off of the period the caller may see, each as much as they may.
async fn visible_day_offs(
    state: web::Data<AppState>,
    identity: Identity,
    period: ApiResult<Period>,
) -> ApiResult<HttpResponse> {
    let rows = day_off_rows(&state, None, Some(period?)).await?;
    let mut sights: HashMap<String, Sight> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let person = row["person_id"].as_str().unwrap_or_default().to_string();
        let sight = match sights.get(&person) {
            Some(sight) => *sight,
            None => {
                let sight = match Uuid::parse_str(&person) {
                    Ok(id) => match Person::find(&state.db, id).await? {
                        Some(target) => day_off_sight(&state, &identity, &target).await?,
                        None => Sight::Nothing,
                    },
                    Err(_) => Sight::Nothing,
                };
                sights.insert(person, sight);
                sight
            }
        };
        if sight != Sight::Nothing {
            out.push(shown(row, sight));
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

async fn desktop_logins(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let asked = Uuid::parse_str(&path).ok();
    if asked != Some(identity.person.id) {
        identity.require_manager()?;
    }
    let person = path_person(&state, &path).await?;
    Ok(HttpResponse::Ok().json(user_time::desktop_logins_of(&state, person.id).await?))
}

/// `date` of a desktop login: a datetime or a date, exactly in Zou's format;
/// now when absent.
fn login_date(fields: &Map<String, Json>) -> ApiResult<NaiveDateTime> {
    let wrong = || {
        ApiError::invalid_field(
            "date",
            "Value error, Wrong date format. Expected: 2020-01-05T13:23:10 or 2020-01-05",
        )
    };
    match fields.get("date") {
        None | Some(Json::Null) => Ok(now()),
        Some(Json::String(text)) if text.is_empty() => Err(ApiError::invalid_field(
            "date",
            "Input should be a valid datetime or date, input is too short",
        )),
        Some(Json::String(text)) => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .filter(|_| text.len() == 19)
            .or_else(|| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .filter(|_| text.len() == 10)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .ok_or_else(wrong),
        Some(_) => Err(wrong()),
    }
}

async fn record_desktop_login(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let date = login_date(&body_fields(&req, &body)?)?;
    if Uuid::parse_str(&path).ok() != Some(identity.person.id) {
        identity.require_admin()?;
    }
    let person = path_person(&state, &path).await?;
    let row = user_time::record_login(&state, person.id, identity.person.id, date).await?;
    Ok(HttpResponse::Created().json(row))
}

/// One CSV field, quoted only when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Who came in on which day of a month: an `X` per active person and day
/// with a desktop login (UTC days).
async fn presence_sheet(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let period = path
        .split_once('-')
        .filter(|(_, month)| month.len() <= 2)
        .and_then(|(year, month)| Period::month_of(year, month))
        .ok_or_else(|| ApiError::bad_request(INVALID_MONTH))?;
    let days = period.last_day().day();
    let persons = state
        .db
        .fetch_all(
            "SELECT id, first_name, last_name FROM person WHERE active = TRUE \
             AND COALESCE(is_guest, FALSE) = FALSE AND preview_project_id IS NULL \
             ORDER BY first_name, last_name, id",
            &[],
            Some("person"),
        )
        .await?;
    let logins = state
        .db
        .fetch_all(
            "SELECT person_id, date FROM desktop_login_log WHERE date >= $1 AND date < $2",
            &[
                Value::Timestamp(period.start.and_time(chrono::NaiveTime::MIN)),
                Value::Timestamp(period.end.and_time(chrono::NaiveTime::MIN)),
            ],
            Some("desktop_login_log"),
        )
        .await?;
    let mut present: HashMap<&str, BTreeSet<u32>> = HashMap::new();
    for login in &logins {
        if let (Some(person), Some(date)) = (
            login["person_id"].as_str(),
            login["date"].as_str().and_then(parse_timestamp),
        ) {
            present.entry(person).or_default().insert(date.day());
        }
    }
    let mut lines = vec![std::iter::once(period.start.year().to_string())
        .chain((1..=days).map(|d| d.to_string()))
        .collect::<Vec<_>>()
        .join(";")];
    for person in &persons {
        let name = format!(
            "{} {}",
            person["first_name"].as_str().unwrap_or(""),
            person["last_name"].as_str().unwrap_or("")
        );
        let seen = present.get(person["id"].as_str().unwrap_or_default());
        let marks = (1..=days).map(|d| {
            if seen.is_some_and(|s| s.contains(&d)) {
                "X".to_string()
            } else {
                String::new()
            }
        });
        lines.push(
            std::iter::once(csv_field(name.trim()))
                .chain(marks)
                .collect::<Vec<_>>()
                .join(";"),
        );
    }
    let mut csv = lines.join("\r\n");
    csv.push_str("\r\n");
    Ok(HttpResponse::Ok()
        .content_type("text/csv")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=kitsu_export.csv",
        ))
        .body(csv))
}

/// The unit a time table adds up by.
#[derive(Clone, Copy)]
enum Table {
    Days,
    Weeks,
    Months,
    Years,
}

impl Table {
    /// Weeks are ISO week numbers of days cut by calendar year, as in Zou.
    fn key(self, day: NaiveDate) -> String {
        match self {
            Table::Days => day.day().to_string(),
            Table::Weeks => day.iso_week().week().to_string(),
            Table::Months => day.month().to_string(),
            Table::Years => day.year().to_string(),
        }
    }
}

/// `{unit: {person_id: minutes}}` over the rows the caller may see: everyone's
/// for admins, the overseen part for managers and supervisors, their own for
/// everyone else.
async fn table(
    state: web::Data<AppState>,
    identity: Identity,
    unit: Table,
    period: ApiResult<Option<Period>>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut conditions = match overseen(&state, &identity).await {
        Ok(narrowing) => narrowing.unwrap_or_default(),
        Err(ApiError::Forbidden) => vec![Condition::new(
            "ts.person_id = ?",
            vec![identity.person.id.into()],
        )],
        Err(other) => return Err(other),
    };
    let narrowed = matches!(identity.person.role, Role::Manager | Role::Supervisor);
    conditions.extend(project_filter(&ctx, narrowed).await?);
    if let Some(text) = ctx.param("department_id").filter(|s| !s.is_empty()) {
        let department = Uuid::parse_str(text)
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {text}")))?;
        if identity.person.role == Role::Supervisor
            && !identity
                .person
                .department_ids(&state.db)
                .await?
                .contains(&department.to_string())
        {
            return Err(ApiError::bad_request(
                "Supervisor not allowed to access this department",
            ));
        }
        conditions.push(Condition::new(
            "t.task_type_id IN (SELECT id FROM task_type WHERE department_id = ?)",
            vec![department.into()],
        ));
    }
    if let Some(text) = ctx.param("studio_id").filter(|s| !s.is_empty()) {
        let studio = Uuid::parse_str(text)
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {text}")))?;
        conditions.push(Condition::new(
            "ts.person_id IN (SELECT id FROM person WHERE studio_id = ?)",
            vec![studio.into()],
        ));
    }
    conditions.extend(period?.map(in_period));
    let (where_sql, params) = where_clause(&conditions);
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT ts.date, ts.person_id, ts.duration FROM time_spent ts \
                 JOIN task t ON t.id = ts.task_id{where_sql} ORDER BY ts.date, ts.created_at, ts.id"
            ),
            &params,
            Some("time_spent"),
        )
        .await?;
    let mut sums: Map<String, Json> = Map::new();
    for row in rows {
        let Some(day) = row["date"].as_str().and_then(parse_timestamp) else {
            continue;
        };
        let person = row["person_id"].as_str().unwrap_or_default().to_string();
        let unit = sums
            .entry(unit.key(day.date()))
            .or_insert_with(|| json!({}));
        let total = unit[&person].as_f64().unwrap_or(0.0) + row["duration"].as_f64().unwrap_or(0.0);
        unit[&person] = json!(total);
    }
    for unit in sums.values_mut() {
        if let Json::Object(people) = unit {
            people.retain(|_, minutes| minutes.as_f64() != Some(0.0));
        }
    }
    sums.retain(|_, unit| unit.as_object().is_some_and(|p| !p.is_empty()));
    Ok(HttpResponse::Ok().json(sums))
}
