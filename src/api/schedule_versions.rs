//! Production schedule versions: drafts of a project's planning that copy
//! the tasks' dates, can be copied from one another, and applied back.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{require_manager, require_role};
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let a = "/actions/production-schedule-versions/{production_schedule_version_id}";
    vec![
        Route::new(
            Method::GET,
            "/data/production-schedule-versions/{production_schedule_version_id}/task-links",
            "Get the task links of a production schedule version",
            |r| r.to(task_links),
        ),
        Route::new(
            Method::POST,
            format!("{a}/set-task-links-from-production"),
            "Copy the project's task planning into a schedule version",
            |r| r.to(copy_from_production),
        ),
        Route::new(
            Method::POST,
            format!("{a}/set-task-links-from-production-schedule-version"),
            "Copy another schedule version's planning into a schedule version",
            |r| r.to(copy_from_version),
        ),
        Route::new(
            Method::POST,
            format!("{a}/apply-to-production"),
            "Apply a schedule version's planning to the project's tasks",
            |r| r.to(apply_to_production),
        ),
    ]
}

const LINKS: &str = "production_schedule_version_task_link";
const LINK_PEOPLE: &str = "production_schedule_version_task_link_person_link";

/// A version (404 for an unknown or malformed id, before any permission check).
async fn version(db: &crate::db::Db, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    db.fetch_optional(
        "SELECT * FROM production_schedule_version WHERE id = $1",
        &[id.into()],
        Some("production_schedule_version"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// A version the caller manages the project of.
async fn managed(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let row = version(ctx.db(), id).await?;
    require_manager(ctx, row.get("project_id")).await?;
    Ok(row)
}

async fn task_links(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = version(&state.db, &path).await?;
    require_role(&ctx, row.get("project_id"), |role| {
        !matches!(role, Role::Client | Role::Vendor)
    })
    .await?;
    let mut sql = format!("SELECT l.* FROM {LINKS} l");
    let mut params = vec![id_of(&row["id"])?];
    if let Some(task_type) = ctx.param("task_type_id").filter(|t| !t.is_empty()) {
        let task_type = Uuid::parse_str(task_type)
            .map_err(|_| ApiError::bad_request("Invalid task_type_id."))?;
        params.push(task_type.into());
        sql.push_str(" JOIN task t ON t.id = l.task_id AND t.task_type_id = $2");
    }
    sql.push_str(" WHERE l.production_schedule_version_id = $1 ORDER BY l.created_at, l.id");
    let mut links = state.db.fetch_all(&sql, &params, Some(LINKS)).await?;
    if ctx
        .param("relations")
        .is_some_and(|r| r.eq_ignore_ascii_case("true"))
    {
        let people = state
            .db
            .fetch_all(
                &format!(
                    "SELECT p.production_schedule_version_task_link_id AS link, p.person_id FROM {LINK_PEOPLE} p \
                     JOIN {LINKS} l ON l.id = p.production_schedule_version_task_link_id \
                     WHERE l.production_schedule_version_id = $1 ORDER BY p.person_id"
                ),
                &[id_of(&row["id"])?],
                None,
            )
            .await?;
        let mut by_link = crate::db::grouped(&people, "link", "person_id");
        for link in links.iter_mut() {
            let people = by_link
                .remove(link["id"].as_str().unwrap_or_default())
                .unwrap_or_default();
            link.insert("assignees".into(), Json::Array(people));
        }
    }
    Ok(HttpResponse::Ok().json(super::typed(links, "ProductionScheduleVersionTaskLink")))
}

/// Gives `version` a link for each of `tasks` (task id, start, due, estimation):
/// existing links take the new planning, missing ones are made.
async fn upsert_links(tx: &mut Tx, version: &Value, tasks: &[Row]) -> ApiResult<()> {
    let existing = tx
        .fetch_all(
            &format!("SELECT id, task_id FROM {LINKS} WHERE production_schedule_version_id = $1"),
            std::slice::from_ref(version),
            None,
        )
        .await?;
    let existing: HashMap<String, Json> = existing
        .into_iter()
        .map(|l| {
            (
                l["task_id"].as_str().unwrap_or_default().to_string(),
                l["id"].clone(),
            )
        })
        .collect();
    let stamp = now();
    for task in tasks {
        let planning = [
            Value::from_json(crate::db::ColumnKind::Timestamp, &task["start_date"])
                .unwrap_or(Value::Null),
            Value::from_json(crate::db::ColumnKind::Timestamp, &task["due_date"])
                .unwrap_or(Value::Null),
            Value::Float(task["estimation"].as_f64().unwrap_or(0.0)),
        ];
        match existing.get(task["task_id"].as_str().unwrap_or_default()) {
            Some(link) => {
                let [start, due, estimation] = planning;
                tx.execute(
                    &format!("UPDATE {LINKS} SET start_date = $1, due_date = $2, estimation = $3, updated_at = $4 WHERE id = $5"),
                    &[start, due, estimation, stamp.into(), id_of(link)?],
                )
                .await?;
            }
            None => {
                let [start, due, estimation] = planning;
                tx.insert(
                    LINKS,
                    &[
                        ("id", Uuid::now_v7().into()),
                        ("production_schedule_version_id", version.clone()),
                        ("task_id", id_of(&task["task_id"])?),
                        ("start_date", start),
                        ("due_date", due),
                        ("estimation", estimation),
                        ("created_at", stamp.into()),
                        ("updated_at", stamp.into()),
                    ],
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The version's links of the tasks `source` selects (`$1`: the version) take
/// the people `source` gives each task (rows of `task_id`, `person_id`).
async fn replace_assignees(
    tx: &mut Tx,
    version: &Value,
    tasks: &str,
    people: &str,
    source: Value,
) -> ApiResult<()> {
    tx.execute(
        &format!(
            "DELETE FROM {LINK_PEOPLE} WHERE production_schedule_version_task_link_id IN \
             (SELECT id FROM {LINKS} WHERE production_schedule_version_id = $1 AND task_id IN ({tasks}))"
        ),
        &[version.clone(), source.clone()],
    )
    .await?;
    tx.execute(
        &format!(
            "INSERT INTO {LINK_PEOPLE} (production_schedule_version_task_link_id, person_id) \
             SELECT l.id, p.person_id FROM {LINKS} l JOIN ({people}) p ON p.task_id = l.task_id \
             WHERE l.production_schedule_version_id = $1"
        ),
        &[version.clone(), source],
    )
    .await?;
    Ok(())
}

fn success(key: &str, count: usize) -> HttpResponse {
    HttpResponse::Ok().json(json!({"success": true, key: count}))
}

/// Every task of the project gets a link with its planning and assignees.
async fn copy_from_production(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = managed(&ctx, &path).await?;
    let version = id_of(&row["id"])?;
    let project = id_of(&row["project_id"])?;
    let mut tx = state.db.begin().await?;
    let tasks = tx
        .fetch_all(
            "SELECT id AS task_id, start_date, due_date, estimation FROM task WHERE project_id = $1",
            std::slice::from_ref(&project),
            Some("task"),
        )
        .await?;
    upsert_links(&mut tx, &version, &tasks).await?;
    replace_assignees(
        &mut tx,
        &version,
        "SELECT id FROM task WHERE project_id = $2",
        "SELECT a.task_id, a.person_id FROM task_person_link a JOIN task t ON t.id = a.task_id WHERE t.project_id = $2",
        project,
    )
    .await?;
    tx.commit().await?;
    Ok(success("task_link_count", tasks.len()))
}

async fn version_updated(tx: &mut Tx, identity: &Identity, row: &Row) -> ApiResult<()> {
    Event::new(
        "production_schedule_version:update",
        "production_schedule_version_id",
        row["id"].as_str().unwrap_or_default(),
    )
    .in_project(crate::crud::scope::project_id(row.get("project_id")))
    .record(tx, identity.person.id)
    .await?;
    Ok(())
}

/// The links of another version of the project overwrite this one's for
/// their tasks; this version's other links stay.
async fn copy_from_version(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let target = managed(&ctx, &path).await?;
    let fields = body_fields(&req, &body)?;
    let source_id = match fields.get("production_schedule_version_id") {
        Some(Json::String(id)) if !id.is_empty() => id.clone(),
        Some(Json::String(_)) => {
            return Err(ApiError::invalid_field(
                "production_schedule_version_id",
                "String should have at least 1 character",
            ))
        }
        None => {
            return Err(ApiError::invalid_field(
                "production_schedule_version_id",
                "Field required",
            ))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "production_schedule_version_id",
                "Input should be a valid string",
            ))
        }
    };
    let source = version(&state.db, &source_id).await?;
    if source["project_id"] != target["project_id"] {
        return Err(ApiError::bad_request(
            "Production schedule versions must belong to the same project.",
        ));
    }
    if source["id"] == target["id"] {
        return Err(ApiError::bad_request(
            "A production schedule version cannot be copied onto itself.",
        ));
    }
    let (version, from) = (id_of(&target["id"])?, id_of(&source["id"])?);
    let mut tx = state.db.begin().await?;
    let links = tx
        .fetch_all(
            &format!("SELECT task_id, start_date, due_date, estimation FROM {LINKS} WHERE production_schedule_version_id = $1"),
            std::slice::from_ref(&from),
            Some(LINKS),
        )
        .await?;
    upsert_links(&mut tx, &version, &links).await?;
    replace_assignees(
        &mut tx,
        &version,
        &format!("SELECT task_id FROM {LINKS} WHERE production_schedule_version_id = $2"),
        &format!(
            "SELECT s.task_id, p.person_id FROM {LINK_PEOPLE} p JOIN {LINKS} s \
             ON s.id = p.production_schedule_version_task_link_id AND s.production_schedule_version_id = $2"
        ),
        from.clone(),
    )
    .await?;
    let updated = tx
        .fetch_optional(
            "UPDATE production_schedule_version SET production_schedule_from = $1, updated_at = $2 WHERE id = $3 RETURNING *",
            &[from, now().into(), version],
            Some("production_schedule_version"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    version_updated(&mut tx, &identity, &updated).await?;
    tx.commit().await?;
    Ok(success("task_link_count", links.len()))
}

/// The linked tasks take the version's dates and estimations (empty dates
/// included); the version is locked and the project marked as coming from it.
async fn apply_to_production(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = managed(&ctx, &path).await?;
    let version = id_of(&row["id"])?;
    let project = crate::crud::scope::project_id(row.get("project_id"));
    let stamp = now();
    let mut tx = state.db.begin().await?;
    let tasks = tx
        .fetch_all(
            &format!("SELECT task_id FROM {LINKS} WHERE production_schedule_version_id = $1 ORDER BY task_id"),
            std::slice::from_ref(&version),
            None,
        )
        .await?;
    let planned = |column: &str| {
        format!("(SELECT l.{column} FROM {LINKS} l WHERE l.task_id = task.id AND l.production_schedule_version_id = $1)")
    };
    tx.execute(
        &format!(
            "UPDATE task SET start_date = {}, due_date = {}, estimation = {}, updated_at = $2 \
             WHERE id IN (SELECT task_id FROM {LINKS} WHERE production_schedule_version_id = $1)",
            planned("start_date"),
            planned("due_date"),
            planned("estimation")
        ),
        &[version.clone(), stamp.into()],
    )
    .await?;
    let task_ids: Vec<String> = tasks
        .iter()
        .filter_map(|t| t["task_id"].as_str().map(str::to_string))
        .collect();
    for task in &task_ids {
        Event::new("task:update", "task_id", task)
            .in_project(project)
            .record(&mut tx, identity.person.id)
            .await?;
    }
    let locked = tx
        .fetch_optional(
            "UPDATE production_schedule_version SET locked = $1, updated_at = $2 WHERE id = $3 RETURNING *",
            &[Value::Bool(true), stamp.into(), version.clone()],
            Some("production_schedule_version"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    version_updated(&mut tx, &identity, &locked).await?;
    tx.execute(
        "UPDATE project SET from_schedule_version_id = $1, updated_at = $2 WHERE id = $3",
        &[version, stamp.into(), id_of(&row["project_id"])?],
    )
    .await?;
    let project_text = row["project_id"].as_str().unwrap_or_default();
    Event::new("project:update", "project_id", project_text)
        .in_project(project)
        .record(&mut tx, identity.person.id)
        .await?;
    tx.commit().await?;
    let count = task_ids.len();
    state
        .projects
        .refresh(
            project_text,
            Touched {
                tasks: task_ids,
                ..Default::default()
            },
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(success("task_count", count))
}
