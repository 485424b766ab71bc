//! The shots a person delivered in a day, week or month, each with its
//! weight: whole shots, or the share of each shot's work done in the period.

use super::person_actions::not_a_bot;
use super::person_time::{period_route, Period};
use super::quotas::{timezone, Mode};
use super::{typed, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{parse_timestamp, Read, Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, HashMap};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let p = "/data/persons/{person_id}/quota-shots";
    vec![
        period_route(
            format!("{p}/day/{{year}}/{{month}}/{{day}}"),
            "Get the shots a person delivered on a day",
            |p| Period::day(&p[0], &p[1], &p[2]),
            quota_shots,
        ),
        period_route(
            format!("{p}/week/{{year}}/{{week}}"),
            "Get the shots a person delivered in a week",
            |p| Period::week(&p[0], &p[1]),
            quota_shots,
        ),
        period_route(
            format!("{p}/month/{{year}}/{{month}}"),
            "Get the shots a person delivered in a month",
            |p| Period::month_or_invalid(&p[0], &p[1]),
            quota_shots,
        ),
    ]
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_time(NaiveTime::MIN)
}

/// Zou's business-day span of a task: its first day, plus each weekday after
/// it that starts before `end`.
fn business_days(start: NaiveDateTime, end: NaiveDateTime) -> i64 {
    let mut days = 1;
    let mut day = start.date() + Duration::days(1);
    while midnight(day) < end {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            days += 1;
        }
        day += Duration::days(1);
    }
    days
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn timestamp(row: &Row, key: &str) -> Option<NaiveDateTime> {
    row.get(key)
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
}

/// Who may read the quota shots: with a project, its managers and
/// supervisors (team role) read anyone's; otherwise admins and the person.
async fn check_access(ctx: &Ctx<'_>, person: Uuid, project: Option<Uuid>) -> ApiResult<()> {
    let identity = ctx.identity;
    if identity.is_admin() || identity.person.id == person {
        return Ok(());
    }
    if let Some(project) = project {
        let role = identity.project_role(ctx.db(), project).await?;
        if matches!(role, Role::Manager | Role::Supervisor) {
            return Ok(());
        }
    }
    Err(ApiError::Forbidden)
}

async fn quota_shots(
    state: web::Data<AppState>,
    identity: Identity,
    person: String,
    period: ApiResult<Period>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let person = not_a_bot(&state, &person).await?.id;
    let mode = Mode::parse(ctx.param("count_mode")).map_err(|_| {
        ApiError::bad_request(
            "count_mode must be equal to weighted, weighteddone, feedback, or done",
        )
    })?;
    let project = match ctx.param("project_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let id = Uuid::parse_str(text).map_err(|_| ApiError::NotFound)?;
            state
                .db
                .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
                .await?
                .ok_or(ApiError::NotFound)?;
            Some(id)
        }
    };
    check_access(&ctx, person, project).await?;
    let period = period?;
    let task_type = match ctx.param("task_type_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(
            Uuid::parse_str(text)
                .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {text}")))?,
        ),
    };

    // The period runs from local midnight to local midnight, in the caller's zone.
    let zone = timezone(&identity, &state);
    let to_utc = |day: NaiveDate| {
        zone.from_local_datetime(&midnight(day))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or_else(|| midnight(day))
    };
    let (start_utc, end_utc) = (to_utc(period.start), to_utc(period.end));
    let delivered = mode.delivered_column();

    let mut conditions = vec![Condition::new(
        format!("t.{delivered} IS NOT NULL AND et.name = 'Shot'"),
        vec![],
    )];
    if let Some(project) = project {
        conditions.push(Condition::new("t.project_id = ?", vec![project.into()]));
    }
    if let Some(task_type) = task_type {
        conditions.push(Condition::new("t.task_type_id = ?", vec![task_type.into()]));
    }
    let assigned = Condition::new(
        "t.id IN (SELECT task_id FROM task_person_link WHERE person_id = ?)",
        vec![person.into()],
    );
    let from = "FROM task t JOIN entity s ON s.id = t.entity_id \
                JOIN entity_type et ON et.id = s.entity_type_id";

    // Weight per shot, in the order shots are met.
    let mut weights: BTreeMap<String, Json> = BTreeMap::new();
    if !mode.weighted {
        let mut raw = conditions.clone();
        raw.push(assigned);
        raw.push(Condition::new(
            format!("t.{delivered} >= ? AND t.{delivered} <= ?"),
            vec![Value::Timestamp(start_utc), Value::Timestamp(end_utc)],
        ));
        let (where_sql, params) = where_clause(&raw);
        let rows = state
            .db
            .fetch_all(
                &format!("SELECT DISTINCT s.id {from}{where_sql}"),
                &params,
                None,
            )
            .await?;
        for row in rows {
            if let Some(id) = row["id"].as_str() {
                weights.insert(id.to_string(), json!(1));
            }
        }
    } else {
        let mut logged = conditions.clone();
        logged.push(Condition::new(
            "ts.person_id = ? AND ts.date >= ? AND ts.date < ?",
            vec![
                person.into(),
                Value::Date(period.start),
                Value::Date(period.end),
            ],
        ));
        let (where_sql, params) = where_clause(&logged);
        let rows = state
            .db
            .fetch_all(
                &format!(
                    "SELECT s.id AS shot_id, ts.duration AS spent, t.duration AS planned \
                     FROM time_spent ts JOIN task t ON t.id = ts.task_id \
                     JOIN entity s ON s.id = t.entity_id \
                     JOIN entity_type et ON et.id = s.entity_type_id{where_sql} \
                     ORDER BY ts.date, ts.created_at, ts.id"
                ),
                &params,
                None,
            )
            .await?;
        let mut sums: HashMap<String, f64> = HashMap::new();
        for row in rows {
            let planned = row["planned"].as_f64().unwrap_or(0.0);
            // A task without planned time has no share to give (Zou divides by zero).
            if planned <= 0.0 {
                continue;
            }
            let share = round2(row["spent"].as_f64().unwrap_or(0.0) / planned);
            *sums
                .entry(row["shot_id"].as_str().unwrap_or_default().to_string())
                .or_default() += share;
        }
        weights.extend(sums.into_iter().map(|(shot, sum)| (shot, json!(sum))));

        let mut started = conditions.clone();
        started.push(assigned);
        started.push(Condition::new(
            format!(
                "t.real_start_date IS NOT NULL AND t.real_start_date <= ? AND t.{delivered} >= ? \
                 AND NOT EXISTS (SELECT 1 FROM time_spent x WHERE x.task_id = t.id)"
            ),
            vec![Value::Timestamp(end_utc), Value::Timestamp(start_utc)],
        ));
        let (where_sql, params) = where_clause(&started);
        let rows = state
            .db
            .fetch_all(
                &format!(
                    "SELECT s.id AS shot_id, t.real_start_date, t.{delivered} AS delivered \
                     {from}{where_sql} ORDER BY t.id"
                ),
                &params,
                Some("task"),
            )
            .await?;
        let (start_local, end_local) = (midnight(period.start), midnight(period.end));
        for row in rows {
            let shot = row["shot_id"].as_str().unwrap_or_default().to_string();
            let (Some(begun), Some(done)) = (
                timestamp(&row, "real_start_date"),
                timestamp(&row, "delivered"),
            ) else {
                continue;
            };
            if weights.contains_key(&shot) {
                continue;
            }
            let span = business_days(begun, done);
            let inside = begun >= start_local && done <= end_local;
            let worked = if inside {
                span
            } else {
                business_days(begun.max(start_local), done.min(end_local))
            };
            weights.insert(shot, json!(round2(worked as f64 / span as f64)));
        }
    }
    if weights.is_empty() {
        return Ok(HttpResponse::Ok().json(json!([])));
    }
    let ids: Vec<Value> = weights
        .keys()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .map(Value::Uuid)
        .collect();
    let shots = state
        .db
        .clone()
        .fetch_in(
            "SELECT s.*, sq.name AS tusk_sequence, ep.name AS tusk_episode FROM entity s \
             LEFT JOIN entity sq ON sq.id = s.parent_id \
             LEFT JOIN entity ep ON ep.id = sq.parent_id WHERE s.id IN ({ids})",
            &[],
            &ids,
            Some("entity"),
        )
        .await?;
    let mut out = Vec::with_capacity(shots.len());
    for mut shot in shots {
        let mut names: Vec<String> = ["tusk_episode", "tusk_sequence"]
            .iter()
            .filter_map(|key| shot.remove(*key))
            .filter_map(|name| name.as_str().map(str::to_string))
            .collect();
        names.extend(shot["name"].as_str().map(str::to_string));
        let weight = weights
            .get(shot["id"].as_str().unwrap_or_default())
            .cloned()
            .unwrap_or(Json::Null);
        let mut row = typed(vec![shot], "Entity").remove(0);
        row["full_name"] = json!(names.join(" / "));
        row["weight"] = weight;
        out.push(row);
    }
    out.sort_by(|a, b| a["full_name"].as_str().cmp(&b["full_name"].as_str()));
    Ok(HttpResponse::Ok().json(out))
}
