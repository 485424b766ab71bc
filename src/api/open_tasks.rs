//! The production pages over every open project: the task list with its
//! filters and totals, the per-project figures, and the burndown.

use super::entity_lists::blank_for_clients;
use super::todo::{as_bool, episode, or_empty, TASK_ROW_COLUMNS, TASK_ROW_HELPERS, TASK_ROW_JOINS};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::open_statuses_sql;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashSet};
use tusk_actors::role::Role;
use uuid::Uuid;

/// The most rows one page gives (Zou has no maximum).
const MAX_LIMIT: i64 = 1000;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/tasks/open-tasks",
            "Get the tasks of open projects, filtered and paged, with their totals",
            |r| r.to(open_tasks),
        ),
        Route::new(
            Method::GET,
            "/data/tasks/open-tasks/stats",
            "Get task counts and times per open project, task type and status",
            |r| r.to(stats),
        ),
        Route::new(
            Method::GET,
            "/data/tasks/open-tasks/burndown",
            "Get the burndown of the tasks of open projects",
            |r| r.to(burndown),
        ),
    ]
}

/// The caller's effective role in each project of their team.
pub(super) async fn roles(ctx: &Ctx<'_>) -> ApiResult<Vec<(String, Role)>> {
    let links = ctx
        .db()
        .fetch_all(
            "SELECT project_id, role FROM project_person_link WHERE person_id = $1",
            &[ctx.identity.person.id.into()],
            None,
        )
        .await?;
    Ok(links
        .into_iter()
        .map(|link| {
            let role = link["role"].as_str().and_then(|r| r.parse().ok());
            (
                link["project_id"].as_str().unwrap_or_default().to_string(),
                ctx.identity.person.role.in_project(role),
            )
        })
        .collect())
}

/// Tasks of the open projects the caller sees: all for admins, their team's otherwise.
fn open_scope(ctx: &Ctx<'_>) -> Condition {
    let open = concat!(
        "t.project_id IN (SELECT id FROM project WHERE project_status_id IN (",
        open_statuses_sql!(),
        "))"
    );
    let mut condition = Condition::new(open, vec![]);
    if !ctx.identity.is_admin() {
        condition = condition.and(Condition::new(
            "t.project_id IN (SELECT project_id FROM project_person_link WHERE person_id = ?)",
            vec![ctx.identity.person.id.into()],
        ));
    }
    condition
}

pub(super) fn uuid_param(text: &str) -> ApiResult<Value> {
    Uuid::parse_str(text)
        .map(Value::Uuid)
        .map_err(|_| ApiError::bad_request("Wrong UUID format."))
}

pub(super) fn integer_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<i64>> {
    match ctx.param(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("Wrong value for parameter {key}."))),
    }
}

pub(super) fn date_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<Value>> {
    let Some(text) = ctx.param(key).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").or_else(|_| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
    });
    parsed.map(|t| Some(Value::Timestamp(t))).map_err(|_| {
        ApiError::bad_request(
            "Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05",
        )
    })
}

/// The list's filters, checked as Zou checks them, plus what the caller may
/// see: vendors the tasks they are assigned to.
async fn filters(ctx: &Ctx<'_>) -> ApiResult<Vec<Condition>> {
    let mut conditions = Vec::new();
    match ctx.param("project_id").filter(|v| !v.is_empty()) {
        Some(project) => {
            let project = uuid_param(project)?;
            if !ctx.identity.is_admin() {
                ctx.db()
                    .fetch_optional(
                        "SELECT id FROM project WHERE id = $1",
                        std::slice::from_ref(&project),
                        None,
                    )
                    .await?
                    .ok_or(ApiError::NotFound)?;
                if let Value::Uuid(id) = project {
                    ctx.identity.project_role(ctx.db(), id).await?;
                }
            }
            conditions.push(Condition::new("t.project_id = ?", vec![project]));
        }
        None => conditions.push(open_scope(ctx)),
    }
    match ctx.param("task_type_id").filter(|v| !v.is_empty()) {
        Some(task_type) => conditions.push(Condition::new(
            "t.task_type_id = ?",
            vec![uuid_param(task_type)?],
        )),
        None => conditions.push(Condition::new(
            "COALESCE(tt.for_entity, '') <> 'Concept'",
            vec![],
        )),
    }
    if let Some(status) = ctx.param("task_status_id").filter(|v| !v.is_empty()) {
        conditions.push(Condition::new(
            "t.task_status_id = ?",
            vec![uuid_param(status)?],
        ));
    }
    match ctx.param("person_id").filter(|v| !v.is_empty()) {
        Some("unassigned") => conditions.push(Condition::new(
            "NOT EXISTS (SELECT 1 FROM task_person_link l WHERE l.task_id = t.id)",
            vec![],
        )),
        Some(people) => {
            let ids = people
                .split(',')
                .map(|p| uuid_param(p.trim()))
                .collect::<ApiResult<Vec<_>>>()?;
            let marks = vec!["?"; ids.len()].join(", ");
            conditions.push(Condition::new(
                format!("EXISTS (SELECT 1 FROM task_person_link l WHERE l.task_id = t.id AND l.person_id IN ({marks}))"),
                ids,
            ));
        }
        None => {}
    }
    if let Some(studio) = ctx.param("studio_id").filter(|v| !v.is_empty()) {
        conditions.push(Condition::new(
            "EXISTS (SELECT 1 FROM task_person_link l JOIN person who ON who.id = l.person_id \
             WHERE l.task_id = t.id AND who.studio_id = ?)",
            vec![uuid_param(studio)?],
        ));
    }
    if let Some(department) = ctx.param("department_id").filter(|v| !v.is_empty()) {
        conditions.push(Condition::new(
            "EXISTS (SELECT 1 FROM task_person_link l JOIN department_link d ON d.person_id = l.person_id \
             WHERE l.task_id = t.id AND d.department_id = ?)",
            vec![uuid_param(department)?],
        ));
    }
    if let Some(start) = date_param(ctx, "start_date")? {
        conditions.push(Condition::new("t.start_date >= ?", vec![start]));
    }
    if let Some(due) = date_param(ctx, "due_date")? {
        conditions.push(Condition::new("t.due_date <= ?", vec![due]));
    }
    if let Some(priority) = integer_param(ctx, "priority")? {
        // Zou filters on the task type's priority, not the task's.
        conditions.push(Condition::new(
            "tt.priority = ?",
            vec![Value::Int(priority)],
        ));
    }
    let vendor_projects: Vec<Value> = roles(ctx)
        .await?
        .into_iter()
        .filter(|(_, role)| *role == Role::Vendor)
        .filter_map(|(project, _)| Uuid::parse_str(&project).ok().map(Value::Uuid))
        .collect();
    if !vendor_projects.is_empty() {
        let marks = vec!["?"; vendor_projects.len()].join(", ");
        let mut params = vendor_projects;
        params.push(ctx.identity.person.id.into());
        conditions.push(Condition::new(
            format!(
                "(t.project_id NOT IN ({marks}) OR EXISTS (SELECT 1 FROM task_person_link l \
                 WHERE l.task_id = t.id AND l.person_id = ?))"
            ),
            params,
        ));
    }
    Ok(conditions)
}

const FROM: &str = "FROM task t JOIN project p ON p.id = t.project_id JOIN task_type tt ON tt.id = t.task_type_id \
    JOIN task_status ts ON ts.id = t.task_status_id";

async fn totals(ctx: &Ctx<'_>, where_sql: &str, params: &[Value]) -> ApiResult<Row> {
    Ok(ctx
        .db()
        .fetch_optional(
            &format!(
                "SELECT COUNT(*) AS total, COALESCE(SUM(t.duration), 0) AS total_duration, \
                 COALESCE(SUM(t.estimation), 0) AS total_estimation {FROM}{where_sql}"
            ),
            params,
            None,
        )
        .await?
        .unwrap_or_default())
}

fn float(value: Option<&Json>) -> Json {
    json!(value.and_then(Json::as_f64).unwrap_or(0.0))
}

async fn open_tasks(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    super::remembered(&state, &identity, &req, open_tasks_page(&ctx)).await
}

async fn open_tasks_page(ctx: &Ctx<'_>) -> ApiResult<Json> {
    let conditions = filters(ctx).await?;
    let page = integer_param(ctx, "page")?.filter(|p| *p > 0).unwrap_or(1);
    let limit = integer_param(ctx, "limit")?
        .unwrap_or(100)
        .clamp(1, MAX_LIMIT);
    let (where_sql, params) = where_clause(&conditions);
    let sums = totals(ctx, &where_sql, &params).await?;
    let total = sums.get("total").and_then(Json::as_i64).unwrap_or(0);
    let per_status = ctx
        .db()
        .fetch_all(
            &format!("SELECT t.task_status_id, COUNT(*) AS amount {FROM}{where_sql} GROUP BY t.task_status_id ORDER BY t.task_status_id"),
            &params,
            None,
        )
        .await?;
    let offset = (page - 1) * limit;
    let rows = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT {TASK_ROW_COLUMNS} FROM task t {TASK_ROW_JOINS}{where_sql} \
                 ORDER BY p.name, gp.name IS NULL, gp.name, par.name IS NULL, par.name, \
                 et.name, e.name, tt.name, t.id LIMIT {limit} OFFSET {offset}"
            ),
            &params,
            Some("task"),
        )
        .await?;
    let data = present(ctx, rows).await?;
    Ok(json!({
        "data": data,
        "stats": {
            "total_duration": float(sums.get("total_duration")),
            "total_estimation": float(sums.get("total_estimation")),
            "total": total,
            "status": per_status,
        },
        "limit": limit,
        "is_more": page * limit < total,
        "page": page,
    }))
}

/// The rows as Kitsu's production task list reads them; clients get the
/// studio's details blanked (Zou: unblanked).
async fn present(ctx: &Ctx<'_>, rows: Vec<Row>) -> ApiResult<Vec<Json>> {
    let ids: Vec<Value> = rows
        .iter()
        .filter_map(|r| r["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .map(Value::Uuid)
        .collect();
    let marks = (1..=ids.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (mut people, data) = if ids.is_empty() {
        Default::default()
    } else {
        let links = ctx
            .db()
            .fetch_all(
                &format!("SELECT task_id, person_id FROM task_person_link WHERE task_id IN ({marks}) ORDER BY person_id"),
                &ids,
                None,
            )
            .await?;
        let data = ctx
            .db()
            .fetch_all(
                &format!("SELECT t.id, e.data FROM task t JOIN entity e ON e.id = t.entity_id WHERE t.id IN ({marks})"),
                &ids,
                Some("entity"),
            )
            .await?;
        (
            crate::db::grouped(&links, "task_id", "person_id"),
            crate::db::grouped(&data, "id", "data"),
        )
    };
    let clients: HashSet<String> = roles(ctx)
        .await?
        .into_iter()
        .filter(|(_, role)| *role == Role::Client)
        .map(|(project, _)| project)
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let (episode_id, episode_name) = episode(&row);
            let id = row["id"].as_str().unwrap_or_default().to_string();
            let mut out = Map::new();
            for (key, value) in row.iter() {
                let shown = !TASK_ROW_HELPERS.contains(&key.as_str())
                    && (!key.starts_with("task_") || key.ends_with("_id"));
                if shown {
                    out.insert(key.clone(), value.clone());
                }
            }
            out.insert("type".into(), json!("Task"));
            out.insert(
                "project_has_avatar".into(),
                as_bool(&row["project_has_avatar"]),
            );
            out.insert(
                "entity_data".into(),
                data.get(&id)
                    .and_then(|d| d.first())
                    .cloned()
                    .unwrap_or(Json::Null),
            );
            out.insert(
                "entity_preview_file_id".into(),
                or_empty(&row["entity_preview_file_id"]),
            );
            out.insert(
                "entity_source_id".into(),
                or_empty(&row["entity_source_id"]),
            );
            out.insert("entity_type_name".into(), row["entity_type_name"].clone());
            out.insert("entity_canceled".into(), as_bool(&row["entity_canceled"]));
            out.insert("sequence_name".into(), row["parent_name"].clone());
            out.insert("episode_id".into(), episode_id);
            out.insert("episode_name".into(), episode_name);
            out.insert(
                "task_type_for_entity".into(),
                row["task_type_for_entity"].clone(),
            );
            for (key, from) in [
                ("type_name", "task_type_name"),
                ("status_name", "task_status_name"),
                ("type_color", "task_type_color"),
                ("status_color", "task_status_color"),
                ("status_short_name", "task_status_short_name"),
            ] {
                out.insert(key.into(), row[from].clone());
            }
            out.insert(
                "assignees".into(),
                json!(people.remove(&id).unwrap_or_default()),
            );
            if clients.contains(row["project_id"].as_str().unwrap_or_default()) {
                blank_for_clients(&mut out);
            }
            Json::Object(out)
        })
        .collect())
}

/// `{project_id: {amount, amount_done, total_duration, total_estimation, task_types}}`
/// over the caller's open projects, concept task types left out.
async fn stats(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    super::remembered(&state, &identity, &req, stats_answer(&ctx)).await
}

async fn stats_answer(ctx: &Ctx<'_>) -> ApiResult<BTreeMap<String, Map<String, Json>>> {
    let conditions = [
        open_scope(ctx),
        Condition::new("COALESCE(tt.for_entity, '') <> 'Concept'", vec![]),
    ];
    let (where_sql, params) = where_clause(&conditions);
    let groups = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT t.project_id, t.task_type_id, t.task_status_id, COUNT(*) AS amount, \
                 SUM(CASE WHEN ts.is_done THEN 1 ELSE 0 END) AS amount_done, \
                 COALESCE(SUM(t.duration), 0) AS total_duration, COALESCE(SUM(t.estimation), 0) AS total_estimation \
                 {FROM}{where_sql} GROUP BY t.project_id, t.task_type_id, t.task_status_id \
                 ORDER BY t.project_id, t.task_type_id, t.task_status_id"
            ),
            &params,
            None,
        )
        .await?;
    let mut answer: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    for group in groups {
        let project = group["project_id"].as_str().unwrap_or_default().to_string();
        let entry = answer.entry(project).or_insert_with(|| {
            let mut entry = Map::new();
            entry.insert("amount".into(), json!(0));
            entry.insert("amount_done".into(), json!(0));
            entry.insert("total_duration".into(), json!(0.0));
            entry.insert("total_estimation".into(), json!(0.0));
            entry.insert("task_types".into(), json!([]));
            entry
        });
        for key in ["amount", "amount_done"] {
            let sum = entry[key].as_i64().unwrap_or(0) + group[key].as_i64().unwrap_or(0);
            entry.insert(key.into(), json!(sum));
        }
        for key in ["total_duration", "total_estimation"] {
            let sum = entry[key].as_f64().unwrap_or(0.0) + group[key].as_f64().unwrap_or(0.0);
            entry.insert(key.into(), json!(sum));
        }
        if let Some(Json::Array(types)) = entry.get_mut("task_types") {
            types.push(json!({
                "task_status_id": group["task_status_id"],
                "task_type_id": group["task_type_id"],
                "project_id": group["project_id"],
                "amount": group["amount"],
                "amount_done": group["amount_done"].as_i64().unwrap_or(0),
                "total_duration": float(group.get("total_duration")),
                "total_estimation": float(group.get("total_estimation")),
            }));
        }
    }
    Ok(answer)
}

fn day(value: &Json) -> Option<NaiveDate> {
    value
        .as_str()
        .and_then(|text| text.get(..10))
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
}

/// Tasks done per day over the window the tasks' (or their projects') dates span.
async fn burndown(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let conditions = filters(&ctx).await?;
    let (where_sql, params) = where_clause(&conditions);
    let sums = totals(&ctx, &where_sql, &params).await?;
    let window = ctx
        .db()
        .fetch_optional(
            &format!(
                "SELECT MIN(t.start_date) AS task_start, MAX(t.due_date) AS task_end, \
                 MIN(p.start_date) AS project_start, MAX(p.end_date) AS project_end {FROM}{where_sql}"
            ),
            &params,
            None,
        )
        .await?
        .unwrap_or_default();
    let pick = |task: &str, project: &str| {
        window
            .get(task)
            .and_then(day)
            .or_else(|| window.get(project).and_then(day))
    };
    let (mut start, mut end) = (
        pick("task_start", "project_start"),
        pick("task_end", "project_end"),
    );
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            (start, end) = (Some(e), Some(s));
        }
    }
    let done = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT t.done_date, t.estimation {FROM}{where_sql} AND t.done_date IS NOT NULL"
            ),
            &params,
            None,
        )
        .await?;
    let mut by_day: BTreeMap<NaiveDate, (i64, f64)> = BTreeMap::new();
    for row in &done {
        let Some(mut date) = day(&row["done_date"]) else {
            continue;
        };
        if let Some(first) = start {
            date = date.max(first);
        }
        let entry = by_day.entry(date).or_default();
        entry.0 += 1;
        entry.1 += row["estimation"].as_f64().unwrap_or(0.0);
    }
    let bounds: Vec<NaiveDate> = [
        start,
        end,
        by_day.keys().next().copied(),
        by_day.keys().last().copied(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let text =
        |d: Option<&NaiveDate>| d.map_or(Json::Null, |d| json!(d.format("%Y-%m-%d").to_string()));
    Ok(HttpResponse::Ok().json(json!({
        "total": sums.get("total").and_then(Json::as_i64).unwrap_or(0),
        "total_estimation": float(sums.get("total_estimation")),
        "start_date": text(bounds.iter().min()),
        "end_date": text(bounds.iter().max()),
        "done_by_day": by_day.into_iter().map(|(date, (done, estimation))| json!({
            "date": date.format("%Y-%m-%d").to_string(),
            "done": done,
            "done_estimation": estimation,
        })).collect::<Vec<_>>(),
    })))
}
