//! Production statistics per episode, computed from the project actor's
//! cached tasks: task counts by status (`/episodes/stats`) and retakes
//! (`/episodes/retake-stats`).

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::{id_of, Ctx};
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::project::ProjectState;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/episodes/stats",
            "Get task stats per episode",
            |r| r.to(episode_stats),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/episodes/retake-stats",
            "Get retake stats per episode",
            |r| r.to(retake_stats),
        ),
    ]
}

/// One task counted in the stats: its episode and what it weighs.
pub struct Counted<'a> {
    pub episode: &'a str,
    pub task_type: &'a str,
    pub status: &'a str,
    pub frames: i64,
    pub drawings: i64,
    pub retakes: i64,
}

/// The tasks whose entity has a grandparent (shots and scenes of an episode's
/// sequences), keyed by that episode; for vendors only their own.
pub fn counted<'a>(state: &'a ProjectState, only_assigned_to: Option<&str>) -> Vec<Counted<'a>> {
    let parent = |id: &str| state.entities.get(id).and_then(|e| e["parent_id"].as_str());
    state
        .tasks
        .values()
        .filter(|task| match only_assigned_to {
            Some(person) => task["assignees"]
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p.as_str() == Some(person))),
            None => true,
        })
        .filter_map(|task| {
            let entity = state.entities.get(task["entity_id"].as_str()?)?;
            let episode = parent(entity["parent_id"].as_str()?)?;
            Some(Counted {
                episode,
                task_type: task["task_type_id"].as_str()?,
                status: task["task_status_id"].as_str()?,
                frames: entity["nb_frames"].as_i64().unwrap_or(0),
                drawings: task["nb_drawings"].as_i64().unwrap_or(0),
                retakes: task["retake_count"].as_i64().unwrap_or(0),
            })
        })
        .collect()
}

/// Access to a project's stats: the team, clients only where the project shows them.
async fn viewer(ctx: &Ctx<'_>, project: &str, clients: bool) -> ApiResult<(Row, Role)> {
    let id = Uuid::parse_str(project).map_err(|_| ApiError::NotFound)?;
    let project = ctx
        .db()
        .fetch_optional(
            "SELECT id, is_client_stats_visible FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = team_role(ctx, project.get("id")).await?;
    if role == Role::Client && (!clients || project["is_client_stats_visible"] == Json::Bool(false))
    {
        return Err(ApiError::Forbidden);
    }
    Ok((project, role))
}

async fn statuses(ctx: &Ctx<'_>) -> ApiResult<HashMap<String, Row>> {
    Ok(ctx
        .db()
        .fetch_all(
            "SELECT id, short_name, color, is_done, is_retake FROM task_status",
            &[],
            Some("task_status"),
        )
        .await?
        .into_iter()
        .map(|row| (row["id"].as_str().unwrap_or_default().to_string(), row))
        .collect())
}

async fn snapshot(state: &AppState, project: &Row) -> ApiResult<std::sync::Arc<ProjectState>> {
    id_of(&project["id"])?;
    state
        .projects
        .snapshot(project["id"].as_str().unwrap_or_default())
        .await
        .map_err(ApiError::internal)
}

fn add(cell: &mut Json, count: i64, frames: i64, drawings: i64) {
    for (key, value) in [("count", count), ("frames", frames), ("drawings", drawings)] {
        let total = cell[key].as_i64().unwrap_or(0) + value;
        cell[key] = json!(total);
    }
}

fn nested<'a>(map: &'a mut Map<String, Json>, keys: &[&str]) -> &'a mut Map<String, Json> {
    let mut current = map;
    for key in keys {
        let next = current.entry(key.to_string()).or_insert_with(|| json!({}));
        current = next.as_object_mut().expect("stats cells are objects");
    }
    current
}

async fn episode_stats(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, role) = viewer(&ctx, &p, true).await?;
    let statuses = statuses(&ctx).await?;
    let snapshot = snapshot(&state, &project).await?;
    let me = identity.person.id.to_string();
    let mut result = Map::new();
    for task in counted(&snapshot, (role == Role::Vendor).then_some(me.as_str())) {
        let status = statuses.get(task.status);
        let leaf = || {
            json!({
                "name": status.map_or(Json::Null, |s| s["short_name"].clone()),
                "color": status.map_or(Json::Null, |s| s["color"].clone()),
                "count": 0, "frames": 0, "drawings": 0,
            })
        };
        for path in [
            [task.episode, task.task_type],
            [task.episode, "all"],
            ["all", task.task_type],
            ["all", "all"],
        ] {
            let cell = nested(&mut result, &path)
                .entry(task.status.to_string())
                .or_insert_with(leaf);
            add(cell, 1, task.frames, task.drawings);
        }
    }
    Ok(HttpResponse::Ok().json(result))
}

fn entry() -> Json {
    json!({
        "max_retake_count": 0,
        "evolution": {},
        "done": {"count": 0, "frames": 0, "drawings": 0},
        "retake": {"count": 0, "frames": 0, "drawings": 0},
        "other": {"count": 0, "frames": 0, "drawings": 0},
    })
}

async fn retake_stats(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, role) = viewer(&ctx, &p, false).await?;
    let statuses = statuses(&ctx).await?;
    let snapshot = snapshot(&state, &project).await?;
    let me = identity.person.id.to_string();
    let tasks = counted(&snapshot, (role == Role::Vendor).then_some(me.as_str()));
    let flag = |status: &str, key: &str| {
        statuses
            .get(status)
            .is_some_and(|s| s[key] == Json::Bool(true))
    };
    let mut result = Map::new();
    nested(&mut result, &["all"]).insert("all".into(), entry());
    for task in &tasks {
        let bucket = if flag(task.status, "is_done") {
            "done"
        } else if flag(task.status, "is_retake") {
            "retake"
        } else {
            "other"
        };
        for (outer, inner) in [
            ("all", "all"),
            ("all", task.task_type),
            (task.episode, "all"),
            (task.episode, task.task_type),
        ] {
            let cell = nested(&mut result, &[outer])
                .entry(inner.to_string())
                .or_insert_with(entry);
            let max = cell["max_retake_count"]
                .as_i64()
                .unwrap_or(0)
                .max(task.retakes);
            cell["max_retake_count"] = json!(max);
            add(&mut cell[bucket], 1, task.frames, task.drawings);
        }
    }
    // How each take went: a task is a retake up to its own retake count, then done or not.
    for task in &tasks {
        let done = flag(task.status, "is_done");
        for inner in ["all", task.task_type] {
            let cell = nested(&mut result, &[task.episode])
                .get_mut(inner)
                .expect("made in the first pass");
            let max = cell["max_retake_count"].as_i64().unwrap_or(0);
            for take in 1..=max {
                let bucket = if task.retakes > 0 && take <= task.retakes {
                    "retake"
                } else if done {
                    "done"
                } else {
                    "other"
                };
                let evolution = cell["evolution"]
                    .as_object_mut()
                    .expect("evolution is an object");
                let step = evolution.entry(take.to_string()).or_insert_with(|| {
                    json!({"done": {"count": 0, "frames": 0, "drawings": 0},
                           "retake": {"count": 0, "frames": 0, "drawings": 0},
                           "other": {"count": 0, "frames": 0, "drawings": 0}})
                });
                add(&mut step[bucket], 1, task.frames, task.drawings);
            }
        }
    }
    Ok(HttpResponse::Ok().json(result))
}
