//! Quotas: how many shots (frames, seconds, drawings) each person delivered
//! per day, week, month and year, as Kitsu's quota charts show them.

use super::{round_half_even, text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::Ctx;
use crate::db::{parse_timestamp, Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/quotas/{task_type_id}",
            "Get each person's quotas for a task type",
            |r| r.to(task_type_quotas),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/quotas/persons/{person_id}",
            "Get a person's quotas per task type",
            |r| r.to(person_quotas),
        ),
    ]
}

/// How work is counted: whole shots on the day they were delivered (`raw`)
/// or spread over the days worked on them; delivered meaning sent for
/// feedback or done.
#[derive(Clone, Copy)]
pub(super) struct Mode {
    pub weighted: bool,
    pub feedback: bool,
}

impl Mode {
    pub(super) fn parse(value: Option<&str>) -> ApiResult<Mode> {
        let (weighted, feedback) = match value.unwrap_or("weighted") {
            "weighted" => (true, true),
            "weighteddone" => (true, false),
            "feedback" => (false, true),
            "done" => (false, false),
            _ => {
                return Err(ApiError::bad_request(
                    "count_mode must be equal to weighted, weigtheddone, feedback, or done",
                ))
            }
        };
        Ok(Mode { weighted, feedback })
    }

    pub(super) fn delivered_column(self) -> &'static str {
        if self.feedback {
            "end_date"
        } else {
            "done_date"
        }
    }
}

/// One piece of delivered work, on a day, for an entry (a person or a task type).
struct Unit {
    entry: String,
    day: NaiveDate,
    frames: i64,
    drawings: i64,
    count: f64,
}

/// Sums per bucket key: frames, seconds, count, drawings.
#[derive(Default)]
struct Sums {
    frames: BTreeMap<String, i64>,
    seconds: BTreeMap<String, f64>,
    count: BTreeMap<String, f64>,
    drawings: BTreeMap<String, i64>,
}

impl Sums {
    fn add(&mut self, key: &str, unit: &Unit, fps: f64) {
        *self.frames.entry(key.to_string()).or_default() += unit.frames;
        *self.seconds.entry(key.to_string()).or_default() += unit.frames as f64 / fps;
        *self.count.entry(key.to_string()).or_default() += unit.count;
        *self.drawings.entry(key.to_string()).or_default() += unit.drawings;
    }

    fn render(&self, mode: Mode, entries: Option<Map<String, Json>>) -> Json {
        let count: Map<String, Json> = self
            .count
            .iter()
            .map(|(key, count)| {
                let shown = if mode.weighted {
                    json!((count * 100.0).round() / 100.0)
                } else {
                    json!(count.round() as i64)
                };
                (key.clone(), shown)
            })
            .collect();
        let mut out = Map::new();
        out.insert("frames".into(), json!(self.frames));
        out.insert("seconds".into(), json!(self.seconds));
        out.insert("count".into(), Json::Object(count));
        if let Some(entries) = entries {
            out.insert("entries".into(), Json::Object(entries));
        }
        out.insert("drawings".into(), json!(self.drawings));
        Json::Object(out)
    }
}

/// One entry's quotas in the four buckets.
#[derive(Default)]
struct Quota {
    day: Sums,
    week: Sums,
    month: Sums,
    year: Sums,
}

fn week_key(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-{}", week.year(), week.week())
}

/// How many distinct keys of a bucket fall in each of its parents (days per
/// month, weeks per ISO year, months per year).
fn entries<'a>(
    keys: impl Iterator<Item = &'a String>,
    parent: impl Fn(&str) -> String,
) -> Map<String, Json> {
    let mut seen: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for key in keys {
        seen.entry(parent(key)).or_default().insert(key);
    }
    seen.into_iter()
        .map(|(parent, keys)| (parent, json!(keys.len())))
        .collect()
}

impl Quota {
    fn add(&mut self, unit: &Unit, fps: f64) {
        self.day
            .add(&unit.day.format("%Y-%m-%d").to_string(), unit, fps);
        self.week.add(&week_key(unit.day), unit, fps);
        self.month
            .add(&unit.day.format("%Y-%m").to_string(), unit, fps);
        self.year.add(&unit.day.format("%Y").to_string(), unit, fps);
    }

    fn render(&self, mode: Mode) -> Json {
        let prefix = |len: usize| move |key: &str| key.get(..len).unwrap_or(key).to_string();
        let iso_year = |key: &str| key.split('-').next().unwrap_or(key).to_string();
        json!({
            "day": self.day.render(mode, Some(entries(self.day.frames.keys(), prefix(7)))),
            "week": self.week.render(mode, Some(entries(self.week.frames.keys(), iso_year))),
            "month": self.month.render(mode, Some(entries(self.month.frames.keys(), prefix(4)))),
            "year": self.year.render(mode, None),
        })
    }
}

/// The caller's timezone, which decides on which day a delivery falls.
pub(super) fn timezone(identity: &Identity, state: &AppState) -> chrono_tz::Tz {
    let named = |name: Option<&str>| name.and_then(|n| n.parse::<chrono_tz::Tz>().ok());
    named(identity.person.row.get("timezone").and_then(Json::as_str))
        .or_else(|| named(Some(&state.config.default_timezone)))
        .unwrap_or(chrono_tz::UTC)
}

fn local_day(when: NaiveDateTime, zone: chrono_tz::Tz) -> NaiveDate {
    zone.from_utc_datetime(&when).date_naive()
}

fn timestamp(row: &Row, key: &str) -> Option<NaiveDateTime> {
    row.get(key)
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
}

/// What to count: tasks of the project's shots, delivered, selected by
/// `condition` (on `t`, with `$2`); an entry per person or per task type.
struct Scope {
    condition: &'static str,
    key: Value,
    studio: Option<Uuid>,
    /// Per task type (a person's quotas) rather than per person.
    per_task_type: Option<String>,
}

async fn units(
    state: &AppState,
    project: Uuid,
    mode: Mode,
    scope: &Scope,
    zone: chrono_tz::Tz,
) -> ApiResult<Vec<Unit>> {
    let delivered = mode.delivered_column();
    let mut tasks_sql = format!(
        "SELECT t.id FROM task t JOIN entity s ON s.id = t.entity_id \
         JOIN entity_type et ON et.id = s.entity_type_id AND et.name = 'Shot' \
         WHERE t.project_id = $1 AND t.{delivered} IS NOT NULL AND {}",
        scope.condition
    );
    let mut params = vec![Value::Uuid(project), scope.key.clone()];
    if let Some(studio) = scope.studio {
        params.push(studio.into());
        tasks_sql.push_str(
            " AND t.id IN (SELECT a.task_id FROM task_person_link a JOIN person p ON p.id = a.person_id \
             WHERE p.studio_id = $3)",
        );
    }
    let tasks = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.id, t.task_type_id, t.end_date, t.done_date, t.real_start_date, t.nb_drawings, \
                 t.duration, s.nb_frames FROM task t JOIN entity s ON s.id = t.entity_id WHERE t.id IN ({tasks_sql})"
            ),
            &params,
            Some("task"),
        )
        .await?;
    let links = state
        .db
        .fetch_all(
            &format!("SELECT task_id, person_id FROM task_person_link WHERE task_id IN ({tasks_sql}) ORDER BY person_id"),
            &params,
            None,
        )
        .await?;
    let spent = state
        .db
        .fetch_all(
            &format!("SELECT task_id, person_id, date, duration FROM time_spent WHERE task_id IN ({tasks_sql}) ORDER BY date, id"),
            &params,
            Some("time_spent"),
        )
        .await?;
    let mut assignees: HashMap<String, Vec<String>> = HashMap::new();
    for link in &links {
        assignees
            .entry(text(link, "task_id"))
            .or_default()
            .push(text(link, "person_id"));
    }
    let mut logs: HashMap<String, Vec<&Row>> = HashMap::new();
    for log in &spent {
        logs.entry(text(log, "task_id")).or_default().push(log);
    }
    let mut units = Vec::new();
    for task in &tasks {
        let id = text(task, "id");
        let frames = task["nb_frames"].as_i64().unwrap_or(0);
        let drawings = task["nb_drawings"].as_i64().unwrap_or(0);
        let people = assignees.get(&id).cloned().unwrap_or_default();
        // A person's quotas count their own part of a task only.
        let people: Vec<String> = match &scope.per_task_type {
            Some(person) => people.into_iter().filter(|p| p == person).collect(),
            None => people,
        };
        let entry = |person: &str| match &scope.per_task_type {
            Some(_) => text(task, "task_type_id"),
            None => person.to_string(),
        };
        let Some(delivered_at) = timestamp(task, delivered) else {
            continue;
        };
        if !mode.weighted {
            for person in &people {
                let day = local_day(delivered_at, zone);
                units.push(Unit {
                    entry: entry(person),
                    day,
                    frames,
                    drawings,
                    count: 1.0,
                });
            }
            continue;
        }
        let task_minutes = task["duration"].as_f64().unwrap_or(0.0);
        match logs.get(&id) {
            Some(logs) if task_minutes > 0.0 => {
                for log in logs {
                    let person = text(log, "person_id");
                    if scope.per_task_type.as_ref().is_some_and(|p| *p != person) {
                        continue;
                    }
                    let Some(day) = log["date"].as_str().and_then(|d| {
                        NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d").ok()
                    }) else {
                        continue;
                    };
                    let share = log["duration"].as_f64().unwrap_or(0.0) / task_minutes;
                    units.push(Unit {
                        entry: entry(&person),
                        day,
                        frames: round_half_even(frames as f64 * share),
                        drawings: round_half_even(drawings as f64 * share),
                        count: share,
                    });
                }
            }
            Some(_) => {}
            None => {
                let Some(start) = timestamp(task, "real_start_date") else {
                    continue;
                };
                let days = working_days(local_day(start, zone), local_day(delivered_at, zone));
                let n = days.len() as f64;
                for person in &people {
                    for day in &days {
                        units.push(Unit {
                            entry: entry(person),
                            day: *day,
                            frames: round_half_even(frames as f64 / n),
                            drawings: round_half_even(drawings as f64 / n),
                            count: 1.0 / n,
                        });
                    }
                }
            }
        }
    }
    Ok(units)
}

/// The weekdays from `start` to `end` (both included) a task's work is
/// spread over; a task done over a weekend only counts on its first day.
fn working_days(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    if end < start {
        return Vec::new();
    }
    let days: Vec<NaiveDate> = start
        .iter_days()
        .take_while(|day| *day <= end)
        .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    if days.is_empty() {
        vec![start]
    } else {
        days
    }
}

fn render(units: &[Unit], mode: Mode, fps: f64) -> Map<String, Json> {
    let mut quotas: BTreeMap<String, Quota> = BTreeMap::new();
    for unit in units {
        quotas.entry(unit.entry.clone()).or_default().add(unit, fps);
        quotas.entry("total".into()).or_default().add(unit, fps);
    }
    quotas
        .into_iter()
        .map(|(entry, quota)| (entry, quota.render(mode)))
        .collect()
}

/// The project (404 otherwise) and its frame rate (25 when it has none).
async fn project_fps(state: &AppState, id: &str) -> ApiResult<(Uuid, f64)> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let project = state
        .db
        .fetch_optional(
            "SELECT fps FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let fps = project["fps"]
        .as_str()
        .and_then(|f| f.trim().parse::<f64>().ok())
        .filter(|f| *f > 0.0)
        .unwrap_or(25.0);
    Ok((id, fps))
}

fn studio(ctx: &Ctx<'_>) -> ApiResult<Option<Uuid>> {
    match ctx.param("studio_id").filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(id) => Uuid::parse_str(id)
            .map(Some)
            .map_err(|_| ApiError::bad_request("Invalid studio_id.")),
    }
}

/// Everyone's quotas on a task type; the studio team and vendors may look, clients not.
async fn task_type_quotas(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, fps) = project_fps(&state, &path.0).await?;
    if team_role(&ctx, Some(&json!(project))).await? == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let mode = Mode::parse(ctx.param("count_mode"))?;
    let task_type =
        Uuid::parse_str(&path.1).map_err(|_| ApiError::bad_request("Invalid task_type_id."))?;
    let scope = Scope {
        condition: "t.task_type_id = $2",
        key: task_type.into(),
        studio: studio(&ctx)?,
        per_task_type: None,
    };
    let units = units(&state, project, mode, &scope, timezone(&identity, &state)).await?;
    Ok(HttpResponse::Ok().json(render(&units, mode, fps)))
}

/// One person's quotas per task type: theirs, or anyone's for the project's
/// supervisors and managers.
async fn person_quotas(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, fps) = project_fps(&state, &path.0).await?;
    let role = team_role(&ctx, Some(&json!(project))).await?;
    let person = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    let oversees = matches!(role, Role::Admin | Role::Manager | Role::Supervisor);
    if role == Role::Client || (!oversees && person != identity.person.id) {
        return Err(ApiError::Forbidden);
    }
    let mode = Mode::parse(ctx.param("count_mode"))?;
    let known = state
        .db
        .fetch_optional(
            "SELECT id FROM person WHERE id = $1",
            &[person.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let scope = Scope {
        condition: "t.id IN (SELECT task_id FROM task_person_link WHERE person_id = $2 \
                    UNION SELECT task_id FROM time_spent WHERE person_id = $2)",
        key: person.into(),
        studio: studio(&ctx)?,
        per_task_type: Some(person.to_string()),
    };
    let units = units(&state, project, mode, &scope, timezone(&identity, &state)).await?;
    Ok(HttpResponse::Ok().json(render(&units, mode, fps)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn work_spreads_over_weekdays_only() {
        // Wednesday to Friday: three days; Saturday to Tuesday: Monday and Tuesday.
        assert_eq!(working_days(day("2026-11-25"), day("2026-11-27")).len(), 3);
        assert_eq!(
            working_days(day("2026-11-28"), day("2026-12-01")),
            [day("2026-11-30"), day("2026-12-01")]
        );
        assert_eq!(
            working_days(day("2026-11-28"), day("2026-11-29")),
            [day("2026-11-28")]
        );
        assert!(working_days(day("2026-11-28"), day("2026-11-27")).is_empty());
    }

    #[test]
    fn weeks_are_iso_weeks_without_padding() {
        assert_eq!(week_key(day("2026-11-27")), "2026-48");
        assert_eq!(week_key(day("2025-12-30")), "2026-1");
    }
}
