//! Production statistics per episode, computed from the project actor's
//! cached tasks: task counts by status (`/episodes/stats`) and retakes
//! (`/episodes/retake-stats`).

use super::with_tasks::ViewKey;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::{id_of, Ctx};
use crate::db::{keyed, Row};
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
    let rows = ctx
        .db()
        .fetch_all(
            "SELECT id, short_name, color, is_done, is_retake FROM task_status",
            &[],
            Some("task_status"),
        )
        .await?;
    Ok(keyed(rows).collect())
}

/// The project's state, loaded by its actor on first use.
pub(super) async fn snapshot(
    state: &AppState,
    project: &Row,
) -> ApiResult<std::sync::Arc<ProjectState>> {
    id_of(&project["id"])?;
    state
        .projects
        .snapshot(project["id"].as_str().unwrap_or_default())
        .await
        .map_err(ApiError::internal)
}

fn nested<'a>(map: &'a mut Map<String, Json>, keys: &[&str]) -> &'a mut Map<String, Json> {
    let mut current = map;
    for key in keys {
        let next = current.entry(key.to_string()).or_insert_with(|| json!({}));
        current = next.as_object_mut().expect("stats cells are objects");
    }
    current
}

/// Writes a stats view from a project's state, the task statuses by id and,
/// for a vendor, their id.
type StatsWriter = fn(&ProjectState, &HashMap<String, Row>, Option<&str>) -> Map<String, Json>;

/// A stats view written from the project's state, or the same bytes again
/// while the tasks, the statuses and the viewer's scope are unchanged.
async fn answer(
    ctx: &Ctx<'_>,
    project: &str,
    clients: bool,
    view: &'static str,
    write: StatsWriter,
) -> ApiResult<HttpResponse> {
    let (project, role) = viewer(ctx, project, clients).await?;
    let statuses = statuses(ctx).await?;
    let snapshot = snapshot(ctx.state, &project).await?;
    let vendor = (role == Role::Vendor).then(|| ctx.identity.person.id.to_string());
    let sorted: std::collections::BTreeMap<_, _> = statuses.iter().collect();
    let variant = format!("{}{}", json!(sorted), vendor.as_deref().unwrap_or_default());
    let id =
        Uuid::parse_str(project["id"].as_str().unwrap_or_default()).map_err(ApiError::internal)?;
    let key = ViewKey::derived(id, &snapshot, view, variant);
    let bytes = ctx
        .state
        .views
        .get_or_write(key, || write(&snapshot, &statuses, vendor.as_deref()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}

async fn episode_stats(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    answer(&ctx, &p, true, "episode-stats", episode_tallies).await
}

fn episode_tallies(
    snapshot: &ProjectState,
    statuses: &HashMap<String, Row>,
    vendor: Option<&str>,
) -> Map<String, Json> {
    let mut tallies: HashMap<[&str; 3], Tally> = HashMap::new();
    for task in counted(snapshot, vendor) {
        for [outer, inner] in [
            [task.episode, task.task_type],
            [task.episode, "all"],
            ["all", task.task_type],
            ["all", "all"],
        ] {
            tallies
                .entry([outer, inner, task.status])
                .or_default()
                .add(&task);
        }
    }
    let mut result = Map::new();
    for ([outer, inner, status_id], tally) in tallies {
        let status = statuses.get(status_id);
        let mut leaf = tally.json();
        leaf["name"] = status.map_or(Json::Null, |s| s["short_name"].clone());
        leaf["color"] = status.map_or(Json::Null, |s| s["color"].clone());
        nested(&mut result, &[outer, inner]).insert(status_id.to_string(), leaf);
    }
    result
}

/// How many tasks, and their frames and drawings.
#[derive(Default, Clone, Copy)]
struct Tally {
    count: i64,
    frames: i64,
    drawings: i64,
}

impl Tally {
    fn add(&mut self, task: &Counted) {
        self.count += 1;
        self.frames += task.frames;
        self.drawings += task.drawings;
    }

    fn remove(&mut self, task: &Counted) {
        self.count -= 1;
        self.frames -= task.frames;
        self.drawings -= task.drawings;
    }

    fn json(&self) -> Json {
        json!({"count": self.count, "frames": self.frames, "drawings": self.drawings})
    }
}

/// Tallies of done, retake and other tasks.
#[derive(Default, Clone, Copy)]
struct Outcomes([Tally; 3]);

impl Outcomes {
    fn add_all(&mut self, other: &Outcomes) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            mine.count += theirs.count;
            mine.frames += theirs.frames;
            mine.drawings += theirs.drawings;
        }
    }

    fn json(&self) -> Map<String, Json> {
        ["done", "retake", "other"]
            .iter()
            .zip(&self.0)
            .map(|(name, tally)| (name.to_string(), tally.json()))
            .collect()
    }
}

/// One cell of the retake stats: its outcomes, and per take how it went.
#[derive(Default)]
struct RetakeCell {
    max_retake_count: i64,
    outcomes: Outcomes,
    evolution: std::collections::BTreeMap<i64, Outcomes>,
}

impl RetakeCell {
    fn json(&self) -> Json {
        let mut cell = self.outcomes.json();
        cell.insert("max_retake_count".into(), json!(self.max_retake_count));
        let evolution: Map<String, Json> = self
            .evolution
            .iter()
            .map(|(take, outcomes)| (take.to_string(), Json::Object(outcomes.json())))
            .collect();
        cell.insert("evolution".into(), Json::Object(evolution));
        Json::Object(cell)
    }
}

async fn retake_stats(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    answer(&ctx, &p, false, "retake-stats", retake_cells).await
}

fn retake_cells(
    snapshot: &ProjectState,
    statuses: &HashMap<String, Row>,
    vendor: Option<&str>,
) -> Map<String, Json> {
    let tasks = counted(snapshot, vendor);
    let flag = |status: &str, key: &str| {
        statuses
            .get(status)
            .is_some_and(|s| s[key] == Json::Bool(true))
    };
    let mut cells: HashMap<(&str, &str), RetakeCell> = HashMap::new();
    cells.entry(("all", "all")).or_default();
    for task in &tasks {
        let outcome = if flag(task.status, "is_done") {
            0
        } else if flag(task.status, "is_retake") {
            1
        } else {
            2
        };
        for key in [
            ("all", "all"),
            ("all", task.task_type),
            (task.episode, "all"),
            (task.episode, task.task_type),
        ] {
            let cell = cells.entry(key).or_default();
            cell.max_retake_count = cell.max_retake_count.max(task.retakes);
            cell.outcomes.0[outcome].add(task);
        }
    }
    // How each take went: a task is a retake up to its own retake count, then
    // done or not. Each task marks where its outcome starts and stops (at most
    // four bounds per cell) and a running sum per take adds them up, instead
    // of each task visiting every take up to the cell's highest retake count.
    let mut bounds: HashMap<(&str, &str), Vec<Outcomes>> = HashMap::new();
    for task in &tasks {
        let settled = if flag(task.status, "is_done") { 0 } else { 2 };
        for inner in ["all", task.task_type] {
            let key = (task.episode, inner);
            let last = cells
                .get(&key)
                .map_or(0, |c| c.max_retake_count.max(0) as usize);
            let bounds = bounds
                .entry(key)
                .or_insert_with(|| vec![Outcomes::default(); last + 2]);
            let retakes = (task.retakes.max(0) as usize).min(last);
            if retakes > 0 {
                bounds[1].0[1].add(task);
                bounds[retakes + 1].0[1].remove(task);
            }
            bounds[retakes + 1].0[settled].add(task);
            bounds[last + 1].0[settled].remove(task);
        }
    }
    for (key, bounds) in bounds {
        let cell = cells.get_mut(&key).expect("made in the first pass");
        let mut running = Outcomes::default();
        for take in 1..=cell.max_retake_count.max(0) {
            running.add_all(&bounds[take as usize]);
            cell.evolution.insert(take, running);
        }
    }
    let mut result = Map::new();
    for ((outer, inner), cell) in &cells {
        nested(&mut result, &[outer]).insert(inner.to_string(), cell.json());
    }
    result
}
