//! The team schedule's task dates per person, and the tasks of a type on
//! the entities a person works on.

use super::entity_lists::blank_for_clients;
use super::open_tasks::roles;
use super::todo::person_to_read;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::open_statuses_sql;
use crate::crud::Ctx;
use crate::db::{Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashSet};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/persons/task-dates",
            "Get each person's first and last task dates, and when they are busy elsewhere",
            |r| r.to(task_dates),
        ),
        Route::new(
            Method::GET,
            "/data/persons/{person_id}/related-tasks/{task_type_id}",
            "Get the tasks of a type on the entities a person works on",
            |r| r.to(related_tasks),
        ),
    ]
}

const OPEN_PROJECTS: &str = concat!(
    "SELECT id FROM project WHERE project_status_id IN (",
    open_statuses_sql!(),
    ")"
);

/// `"2026-01-05T10:00:00"` → `"2026-01-05 10:00:00"`, as Zou writes busy periods.
fn spaced(value: &Json) -> Json {
    value
        .as_str()
        .map_or(Json::Null, |text| json!(text.replacen('T', " ", 1)))
}

/// A person's first start and last due date in the caller's projects, and
/// their busy ranges elsewhere.
#[derive(Default)]
struct Dates {
    min: Option<String>,
    max: Option<String>,
    busy: Vec<(String, String)>,
}

/// Sorted, overlapping ranges merged.
fn merged(mut ranges: Vec<(String, String)>) -> Vec<(String, String)> {
    ranges.sort();
    let mut out: Vec<(String, String)> = Vec::new();
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => {
                if end > last.1 {
                    last.1 = end;
                }
            }
            _ => out.push((start, end)),
        }
    }
    out
}

/// Studio supervisors and up (their global role, as in Zou); with
/// `project_id`, in that project's team. Others' projects show as anonymous
/// busy periods.
async fn task_dates(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let admin = identity.is_admin();
    if !matches!(
        identity.person.role,
        Role::Admin | Role::Manager | Role::Supervisor
    ) {
        return Err(ApiError::Forbidden);
    }
    let project = match ctx
        .param("project_id")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(text) => {
            let id =
                Uuid::parse_str(text).map_err(|_| ApiError::bad_request("Invalid project_id."))?;
            if !admin {
                state
                    .db
                    .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                identity.project_role(&state.db, id).await?;
            }
            Some(id)
        }
    };
    let (scope, params): (String, Vec<Value>) = match project {
        Some(id) => ("SELECT $1".into(), vec![id.into()]),
        None => (OPEN_PROJECTS.into(), vec![]),
    };
    let mine: HashSet<String> = match (project, admin) {
        (None, false) => roles(&ctx).await?.into_iter().map(|(p, _)| p).collect(),
        _ => HashSet::new(),
    };
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT l.person_id, t.project_id, t.start_date, t.due_date FROM task t \
                 JOIN task_person_link l ON l.task_id = t.id \
                 JOIN person pe ON pe.id = l.person_id AND pe.active = TRUE \
                 WHERE t.project_id IN ({scope}) ORDER BY l.person_id"
            ),
            &params,
            Some("task"),
        )
        .await?;
    let busy_elsewhere = project.is_none() && !admin;
    let mut people: BTreeMap<String, Dates> = BTreeMap::new();
    for row in rows {
        let person = row["person_id"].as_str().unwrap_or_default().to_string();
        let project = row["project_id"].as_str().unwrap_or_default();
        let entry = people.entry(person).or_default();
        if busy_elsewhere && !mine.contains(project) {
            if let (Some(start), Some(end)) = (row["start_date"].as_str(), row["due_date"].as_str())
            {
                entry.busy.push((start.to_string(), end.to_string()));
            }
            continue;
        }
        let (start, due) = (row["start_date"].as_str(), row["due_date"].as_str());
        if start.is_some_and(|d| entry.min.as_deref().is_none_or(|min| d < min)) {
            entry.min = start.map(str::to_string);
        }
        if due.is_some_and(|d| entry.max.as_deref().is_none_or(|max| d > max)) {
            entry.max = due.map(str::to_string);
        }
    }
    let answer: Vec<Json> = people
        .into_iter()
        .map(|(person, Dates { min, max, busy })| {
            let periods: Vec<Json> = merged(busy)
                .into_iter()
                .map(|(start, end)| json!({"start_date": spaced(&json!(start)), "end_date": spaced(&json!(end))}))
                .collect();
            json!({"person_id": person, "min_date": min, "max_date": max, "busy_periods": periods})
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}

/// Every task of the type on the entities where the person has a task, in
/// the caller's open projects (Zou: in every open project, for anyone);
/// blanked where the caller is a client.
async fn related_tasks(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (person, task_type) = path.into_inner();
    let person = person_to_read(&state, &identity, &person).await?;
    let task_type = Uuid::parse_str(&task_type)
        .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {task_type}")))?;
    let mut params: Vec<Value> = vec![person.into(), task_type.into()];
    let mut projects = OPEN_PROJECTS.to_string();
    if !identity.is_admin() {
        projects.push_str(
            " AND id IN (SELECT project_id FROM project_person_link WHERE person_id = $3)",
        );
        params.push(identity.person.id.into());
    }
    let rows: Vec<Row> = state
        .db
        .fetch_all(
            &format!(
                "SELECT t.* FROM task t WHERE t.task_type_id = $2 AND t.project_id IN ({projects}) \
                 AND t.entity_id IN (SELECT a.entity_id FROM task a JOIN task_person_link l ON l.task_id = a.id \
                 WHERE l.person_id = $1) ORDER BY t.project_id, t.entity_id, t.name, t.id"
            ),
            &params,
            Some("task"),
        )
        .await?;
    let clients: HashSet<String> = roles(&ctx)
        .await?
        .into_iter()
        .filter(|(_, role)| *role == Role::Client)
        .map(|(project, _)| project)
        .collect();
    let answer: Vec<Json> = rows
        .into_iter()
        .map(|row| {
            let mut task: Map<String, Json> = row;
            task.insert("type".into(), json!("Task"));
            if clients.contains(task["project_id"].as_str().unwrap_or_default()) {
                blank_for_clients(&mut task);
            }
            Json::Object(task)
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}
