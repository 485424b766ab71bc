//! The review queue of supervisors and managers (`/data/user/tasks-to-check`):
//! tasks waiting for feedback, named as the to-do list names them.

use super::todo::{self, Selection, TASK_ROW_JOINS};
use super::user_context::person_only;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{parse_timestamp, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;
use tusk_actors::role::Role;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/tasks-to-check",
            "Get the tasks waiting for the caller's feedback",
            |r| r.to(to_check),
        ),
        Route::new(
            Method::GET,
            "/data/user/tasks-to-check/filter-values",
            "Get the values the review queue can be filtered on",
            |r| r.to(filter_values),
        ),
    ]
}

/// Tasks waiting for feedback that the caller's studio role puts in their
/// queue: admins every open project, managers their team's open projects,
/// supervisors those restricted to their departments' task types (all types
/// when they have no department); nobody else reviews.
fn queue(identity: &Identity) -> Vec<Condition> {
    let role = identity.person.role;
    let mut conditions = vec![Condition::new(
        "ts.is_feedback_request = ?",
        vec![true.into()],
    )];
    if !matches!(role, Role::Admin | Role::Manager | Role::Supervisor) {
        conditions.push(Condition::new("1 = 0", vec![]));
        return conditions;
    }
    let (projects, params) = todo::open_projects(identity, role == Role::Admin);
    conditions.push(Condition::new(
        format!("t.project_id IN ({projects})"),
        params,
    ));
    if role == Role::Supervisor {
        let departments = "SELECT department_id FROM department_link WHERE person_id = ?";
        conditions.push(Condition::new(
            format!("NOT EXISTS ({departments}) OR tt.department_id IN ({departments})"),
            vec![identity.person.id.into(), identity.person.id.into()],
        ));
    }
    conditions
}

/// The task ids of the queue narrowed by `filters`, numbered from `$1`.
fn scope(identity: &Identity, filters: Vec<Condition>) -> (String, Vec<Value>) {
    let mut conditions = queue(identity);
    conditions.extend(filters);
    let (where_sql, params) = where_clause(&conditions);
    (
        format!("SELECT t.id FROM task t {TASK_ROW_JOINS}{where_sql}"),
        params,
    )
}

fn uuid_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<Value>> {
    ctx.param(key)
        .map(|text| super::budgets::uuid(text).map(Value::Uuid))
        .transpose()
}

fn integer_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<i64>> {
    ctx.param(key)
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| ApiError::bad_request(format!("Wrong value for parameter {key}.")))
        })
        .transpose()
}

/// The query's filters on the queue.
fn filters(ctx: &Ctx<'_>) -> ApiResult<Vec<Condition>> {
    let mut conditions = Vec::new();
    for (key, column) in [
        ("project_id", "t.project_id"),
        ("task_type_id", "t.task_type_id"),
        ("task_status_id", "t.task_status_id"),
    ] {
        if let Some(id) = uuid_param(ctx, key)? {
            conditions.push(Condition::new(format!("{column} = ?"), vec![id]));
        }
    }
    if let Some(episode) = uuid_param(ctx, "episode_id")? {
        conditions.push(Condition::new(
            "par.parent_id = ? OR e.source_id = ? OR e.parent_id = ?",
            vec![episode.clone(), episode.clone(), episode],
        ));
    }
    match ctx.param("person_id") {
        None => {}
        Some("unassigned") => conditions.push(Condition::new(
            "NOT EXISTS (SELECT 1 FROM task_person_link a WHERE a.task_id = t.id)",
            vec![],
        )),
        Some(list) => {
            let people = list
                .split(',')
                .map(|id| super::budgets::uuid(id.trim()).map(Value::Uuid))
                .collect::<ApiResult<Vec<Value>>>()?;
            let marks = vec!["?"; people.len()].join(", ");
            conditions.push(Condition::new(
                format!(
                    "t.id IN (SELECT a.task_id FROM task_person_link a WHERE a.person_id IN ({marks}))"
                ),
                people,
            ));
        }
    }
    for (key, operator) in [("due_date_since", ">="), ("due_date_until", "<=")] {
        if let Some(text) = ctx.param(key) {
            let stamp = parse_timestamp(text).ok_or_else(|| {
                ApiError::bad_request(
                    "Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05",
                )
            })?;
            conditions.push(Condition::new(
                format!("t.due_date {operator} ?"),
                vec![stamp.into()],
            ));
        }
    }
    Ok(conditions)
}

/// Zou's orders; every one ends with the names, then the id.
fn order(order_by: Option<&str>) -> String {
    let names =
        "p.name, COALESCE(gp.name, ''), COALESCE(par.name, ''), et.name, e.name, tt.name, t.id";
    match order_by {
        Some("priority") => {
            format!("t.priority IS NULL, t.priority DESC, t.due_date IS NULL, t.due_date, {names}")
        }
        Some("due_date") => format!("t.due_date IS NULL, t.due_date, {names}"),
        Some("estimation") => format!("t.estimation IS NULL, t.estimation DESC, {names}"),
        Some("entity_name") => {
            "p.name, tt.name, COALESCE(gp.name, ''), COALESCE(par.name, ''), e.name, t.id".into()
        }
        _ => names.into(),
    }
}

/// A sum as Zou reports it: a float, or the integer 0 when there is nothing.
fn sum(value: &Json) -> Json {
    match value.as_f64() {
        Some(sum) if sum != 0.0 => json!(sum),
        _ => json!(0),
    }
}

async fn to_check(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let ctx = Ctx::new(&state, &identity, &req);
    let page = integer_param(&ctx, "page")?;
    let limit = integer_param(&ctx, "limit")?.unwrap_or(100).max(1);
    let (sql, params) = scope(&identity, filters(&ctx)?);
    let Some(page) = page.map(|page| page.max(1)) else {
        let selection = Selection {
            sql,
            params,
            order: order(ctx.param("order_by")),
            page: None,
            cast_episodes: false,
        };
        return Ok(HttpResponse::Ok().json(todo::rows(&state.db, selection).await?));
    };
    let stats = state
        .db
        .fetch_optional(
            &format!(
                "SELECT COUNT(*) AS total, SUM(duration) AS total_duration, SUM(estimation) AS total_estimation \
                 FROM task WHERE id IN ({sql})"
            ),
            &params,
            None,
        )
        .await?
        .unwrap_or_default();
    let total = stats.get("total").and_then(Json::as_i64).unwrap_or(0);
    let selection = Selection {
        sql,
        params,
        order: order(ctx.param("order_by")),
        page: Some((limit, (page - 1).saturating_mul(limit))),
        cast_episodes: false,
    };
    let data = todo::rows(&state.db, selection).await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": data,
        "stats": {
            "total": total,
            "total_duration": sum(&stats["total_duration"]),
            "total_estimation": sum(&stats["total_estimation"]),
        },
        "page": page,
        "limit": limit,
        "is_more": page.saturating_mul(limit) < total,
    })))
}

async fn filter_values(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let (sql, params) = scope(&identity, Vec::new());
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.project_id, t.task_type_id, t.task_status_id, et.name AS entity_type_name, \
                 e.parent_id AS entity_parent_id, par.name AS parent_name, par.parent_id AS grandparent_id, \
                 gp.name AS grandparent_name, e.source_id AS entity_source_id, src.name AS source_name, \
                 srct.name AS source_type_name FROM task t {TASK_ROW_JOINS} WHERE t.id IN ({sql})"
            ),
            &params,
            Some("task"),
        )
        .await?;
    let people = state
        .db
        .fetch_all(
            &format!("SELECT person_id FROM task_person_link WHERE task_id IN ({sql})"),
            &params,
            None,
        )
        .await?;
    let distinct = |values: Vec<&Json>| -> Vec<String> {
        values
            .into_iter()
            .filter_map(Json::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let episodes: Vec<Json> = rows.iter().map(|row| todo::episode(row).0).collect();
    Ok(HttpResponse::Ok().json(json!({
        "project_ids": distinct(rows.iter().map(|r| &r["project_id"]).collect()),
        "task_type_ids": distinct(rows.iter().map(|r| &r["task_type_id"]).collect()),
        "task_status_ids": distinct(rows.iter().map(|r| &r["task_status_id"]).collect()),
        "episode_ids": distinct(episodes.iter().collect()),
        "person_ids": distinct(people.iter().map(|r| &r["person_id"]).collect()),
    })))
}
