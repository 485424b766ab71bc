//! The breakdown pages' views (`/data/shots/with-tasks`, `/data/assets/with-tasks`...):
//! every entity of a kind with its tasks, built from the project actor's
//! cached state rather than the database.

use super::breakdown::Kind;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::Ctx;
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value as Json};
use std::collections::{HashMap, HashSet};
use tusk_actors::project::{ProjectState, Row};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    [
        Kind::Shot,
        Kind::Asset,
        Kind::Sequence,
        Kind::Episode,
        Kind::Scene,
        Kind::Edit,
    ]
    .into_iter()
    .map(|kind| {
        Route::new(
            Method::GET,
            format!("/data/{}/with-tasks", kind.route()),
            format!("Get {} and their tasks", kind.route()),
            move |r| r.to(move |state, identity, req| with_tasks(kind, state, identity, req)),
        )
    })
    .collect()
}

/// The task fields each kind's view shows.
fn task_fields(kind: Kind) -> &'static [&'static str] {
    const BASE: [&str; 17] = [
        "id",
        "due_date",
        "done_date",
        "duration",
        "entity_id",
        "estimation",
        "end_date",
        "last_comment_date",
        "last_preview_file_id",
        "priority",
        "real_start_date",
        "retake_count",
        "start_date",
        "difficulty",
        "task_status_id",
        "task_type_id",
        "data",
    ];
    const SHOT: [&str; 19] = [
        "id",
        "due_date",
        "done_date",
        "duration",
        "entity_id",
        "estimation",
        "end_date",
        "last_comment_date",
        "last_preview_file_id",
        "priority",
        "real_start_date",
        "retake_count",
        "start_date",
        "difficulty",
        "task_status_id",
        "task_type_id",
        "data",
        "nb_assets_ready",
        "nb_drawings",
    ];
    const EDIT: [&str; 16] = [
        "id",
        "due_date",
        "duration",
        "entity_id",
        "estimation",
        "end_date",
        "last_comment_date",
        "last_preview_file_id",
        "priority",
        "real_start_date",
        "retake_count",
        "start_date",
        "task_status_id",
        "task_type_id",
        "data",
        "nb_assets_ready",
    ];
    match kind {
        Kind::Shot => &SHOT,
        Kind::Edit => &EDIT,
        _ => &BASE,
    }
}

/// Who is looking, for the parts of the view that depend on it.
pub struct Viewer {
    /// Tasks the viewer follows (`is_subscribed`).
    pub subscribed: HashSet<String>,
    /// For vendors: only their tasks, and the entities holding them.
    pub only_assigned_to: Option<String>,
    /// Metadata the viewer may not see (a vendor, outside their departments).
    pub hidden_fields: HashSet<String>,
}

/// Which entities to show: all of the kind, or those of one episode.
pub struct Filter {
    pub episode: Option<String>,
}

fn kind_of(entity: &Row) -> &str {
    crate::crud::models::entities::entity_kind(entity["entity_type_name"].as_str().unwrap_or(""))
}

fn from_data(entity: &Row, key: &str) -> Json {
    entity["data"].get(key).cloned().unwrap_or(Json::Null)
}

/// A task as a view shows it: some of its columns, its assignees, whether the
/// viewer follows it. Borrowed from the cached state and written straight
/// to the answer: a 10,000-shot view is never built as a JSON tree.
struct TaskView<'a> {
    task: &'a Row,
    fields: &'static [&'static str],
    subscribed: bool,
}

impl Serialize for TaskView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len() + 2))?;
        for key in self.fields {
            map.serialize_entry(key, self.task.get(*key).unwrap_or(&Json::Null))?;
        }
        map.serialize_entry(
            "assignees",
            self.task.get("assignees").unwrap_or(&Json::Null),
        )?;
        map.serialize_entry("is_subscribed", &self.subscribed)?;
        map.end()
    }
}

/// An entity's `data` without the metadata the viewer may not see.
struct VisibleData<'a> {
    data: &'a Json,
    hidden: &'a HashSet<String>,
}

impl Serialize for VisibleData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.data {
            Json::Object(data) if !self.hidden.is_empty() => {
                let mut map = serializer.serialize_map(None)?;
                for (key, value) in data.iter().filter(|(key, _)| !self.hidden.contains(*key)) {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            data => data.serialize(serializer),
        }
    }
}

/// One row of a view: columns of the cached entity, values computed for the
/// view, and the entity's tasks.
pub struct EntityView<'a> {
    row: &'a Row,
    columns: &'static [&'static str],
    computed: Vec<(&'static str, Json)>,
    tasks: Vec<TaskView<'a>>,
    hidden: &'a HashSet<String>,
    sort_key: String,
}

impl Serialize for EntityView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map =
            serializer.serialize_map(Some(self.columns.len() + self.computed.len() + 1))?;
        for key in self.columns {
            let value = self.row.get(*key).unwrap_or(&Json::Null);
            if *key == "data" {
                map.serialize_entry(
                    key,
                    &VisibleData {
                        data: value,
                        hidden: self.hidden,
                    },
                )?;
            } else {
                map.serialize_entry(key, value)?;
            }
        }
        for (key, value) in &self.computed {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("tasks", &self.tasks)?;
        map.end()
    }
}

/// The entity columns each kind's view shows.
fn columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Shot => &[
            "canceled",
            "data",
            "description",
            "entity_type_id",
            "id",
            "is_casting_standby",
            "name",
            "nb_entities_out",
            "nb_frames",
            "parent_id",
            "preview_file_id",
            "project_id",
            "source_id",
        ],
        Kind::Asset => &[
            "canceled",
            "data",
            "description",
            "id",
            "is_casting_standby",
            "is_shared",
            "name",
            "preview_file_id",
            "ready_for",
        ],
        Kind::Edit => &[
            "canceled",
            "data",
            "description",
            "entity_type_id",
            "id",
            "name",
            "nb_entities_out",
            "parent_id",
            "preview_file_id",
            "project_id",
            "source_id",
        ],
        _ => &[
            "canceled",
            "data",
            "description",
            "id",
            "name",
            "preview_file_id",
            "status",
        ],
    }
}

/// Builds a kind's view from a project's state: rows sorted by name,
/// borrowing the state until they are written out.
pub fn build<'a>(
    state: &'a ProjectState,
    kind: Kind,
    project_name: &Json,
    filter: &Filter,
    viewer: &'a Viewer,
) -> Vec<EntityView<'a>> {
    let wanted = |e: &&Row| kind_of(e) == kind.type_name();
    let visible = |task: &&Row| match &viewer.only_assigned_to {
        Some(person) => task["assignees"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p.as_str() == Some(person))),
        None => true,
    };
    let entity = |id: &Json| id.as_str().and_then(|id| state.entities.get(id));
    let name_of = |id: &Json| entity(id).map_or(Json::Null, |e| e["name"].clone());
    let fields = task_fields(kind);
    let mut rows: Vec<EntityView<'a>> = Vec::new();
    for row in state.entities.values().filter(wanted) {
        let id = row["id"].as_str().unwrap_or_default();
        let sequence = if matches!(kind, Kind::Shot | Kind::Scene) {
            entity(&row["parent_id"])
        } else {
            None
        };
        let episode_id = match kind {
            Kind::Shot | Kind::Scene => sequence.map_or(Json::Null, |s| s["parent_id"].clone()),
            Kind::Sequence => row["parent_id"].clone(),
            Kind::Episode => Json::Null,
            _ => row["source_id"].clone(),
        };
        if let Some(wanted) = &filter.episode {
            let cast_in =
                kind == Kind::Asset && state.casting_episodes(id).iter().any(|e| e == wanted);
            let matches = match kind {
                Kind::Episode => id == wanted,
                _ => episode_id.as_str() == Some(wanted) || cast_in,
            };
            if !matches {
                continue;
            }
        }
        let tasks: Vec<&Row> = state.tasks_of(id).filter(visible).collect();
        if viewer.only_assigned_to.is_some() && tasks.is_empty() {
            continue;
        }
        let frames = || ["fps", "frame_in", "frame_out"].map(|key| (key, from_data(row, key)));
        let computed: Vec<(&'static str, Json)> = match kind {
            Kind::Shot => {
                let mut computed = vec![
                    ("episode_name", name_of(&episode_id)),
                    ("episode_id", episode_id),
                    ("sequence_id", row["parent_id"].clone()),
                    ("sequence_name", name_of(&row["parent_id"])),
                    ("project_name", project_name.clone()),
                    ("type", json!("Shot")),
                ];
                computed.extend(frames());
                computed
            }
            Kind::Asset => vec![
                ("asset_type_id", row["entity_type_id"].clone()),
                ("asset_type_name", row["entity_type_name"].clone()),
                ("episode_id", episode_id),
                ("casting_episode_ids", json!(state.casting_episodes(id))),
            ],
            Kind::Edit => vec![
                ("episode_name", name_of(&episode_id)),
                ("episode_id", episode_id),
                ("project_name", project_name.clone()),
                ("type", json!("Edit")),
            ],
            _ => {
                let mut computed = vec![("episode_id", episode_id)];
                computed.extend(frames());
                computed
            }
        };
        let tasks = tasks
            .into_iter()
            .map(|task| TaskView {
                task,
                fields,
                subscribed: viewer
                    .subscribed
                    .contains(task["id"].as_str().unwrap_or_default()),
            })
            .collect();
        rows.push(EntityView {
            row,
            columns: columns(kind),
            computed,
            tasks,
            hidden: &viewer.hidden_fields,
            sort_key: row["name"].as_str().unwrap_or_default().to_lowercase(),
        });
    }
    rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    rows
}

async fn with_tasks(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let projects: Vec<Uuid> = match ctx.param("project_id") {
        Some(project) => {
            let project = Uuid::parse_str(project)
                .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {project}")))?;
            team_role(&ctx, Some(&json!(project))).await?;
            vec![project]
        }
        None if identity.is_admin() => state
            .db
            .fetch_all("SELECT id FROM project ORDER BY name", &[], None)
            .await?
            .iter()
            .filter_map(|row| crate::crud::scope::project_id(row.get("id")))
            .collect(),
        None => return Err(ApiError::Forbidden),
    };
    let subscribed: HashSet<String> = state
        .db
        .fetch_all(
            "SELECT task_id FROM subscription WHERE person_id = $1 AND task_id IS NOT NULL",
            &[identity.person.id.into()],
            None,
        )
        .await?
        .into_iter()
        .filter_map(|row| row["task_id"].as_str().map(str::to_string))
        .collect();
    let filter = Filter {
        episode: ctx.param("episode_id").map(str::to_string),
    };
    let mut parts = Vec::new();
    for project in projects {
        let viewer = Viewer {
            subscribed: subscribed.clone(),
            only_assigned_to: (identity.person.role == Role::Vendor)
                .then(|| identity.person.id.to_string()),
            hidden_fields: hidden_fields(&ctx, project).await?,
        };
        let snapshot = state
            .projects
            .snapshot(&project.to_string())
            .await
            .map_err(ApiError::internal)?;
        let name = state
            .db
            .fetch_optional(
                "SELECT name FROM project WHERE id = $1",
                &[project.into()],
                None,
            )
            .await?
            .map_or(Json::Null, |p| p["name"].clone());
        let key = ViewKey::new(project, &snapshot, kind, &filter, &name, &viewer);
        let bytes = state
            .views
            .get_or_write(key, || build(&snapshot, kind, &name, &filter, &viewer))?;
        parts.push(bytes);
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(join_arrays(parts)))
}

/// One JSON array from several (each project's rows, in order); a single
/// one is sent as it is, without a copy.
fn join_arrays(mut parts: Vec<web::Bytes>) -> web::Bytes {
    parts.retain(|part| part.len() > 2);
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let mut joined = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 2);
    joined.push(b'[');
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            joined.push(b',');
        }
        joined.extend_from_slice(&part[1..part.len() - 1]);
    }
    joined.push(b']');
    web::Bytes::from(joined)
}

/// Everything a written view depends on: the version of the project's
/// state, what was asked, the project's name, and what of it this viewer
/// sees (in full, not hashed: two viewers share a view only when they would
/// see the same bytes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct ViewKey {
    project: Uuid,
    generation: u64,
    kind: &'static str,
    episode: Option<String>,
    /// The project's name, or what else the bytes of another view depend on.
    variant: String,
    subscribed: Vec<String>,
    only_assigned_to: Option<String>,
    hidden_fields: Vec<String>,
}

impl ViewKey {
    fn new(
        project: Uuid,
        state: &ProjectState,
        kind: Kind,
        filter: &Filter,
        name: &Json,
        viewer: &Viewer,
    ) -> ViewKey {
        let mut subscribed: Vec<String> = viewer
            .subscribed
            .iter()
            .filter(|task| state.tasks.contains_key(*task))
            .cloned()
            .collect();
        subscribed.sort();
        let mut hidden_fields: Vec<String> = viewer.hidden_fields.iter().cloned().collect();
        hidden_fields.sort();
        ViewKey {
            project,
            generation: state.generation(),
            kind: kind.type_name(),
            episode: filter.episode.clone(),
            variant: name.to_string(),
            subscribed,
            only_assigned_to: viewer.only_assigned_to.clone(),
            hidden_fields,
        }
    }
}

impl ViewKey {
    /// The key of another view written from a project's state alone, with
    /// `variant` naming everything else its bytes depend on.
    pub(super) fn derived(
        project: Uuid,
        state: &ProjectState,
        view: &'static str,
        variant: String,
    ) -> ViewKey {
        ViewKey {
            project,
            generation: state.generation(),
            kind: view,
            episode: None,
            variant,
            subscribed: Vec::new(),
            only_assigned_to: None,
            hidden_fields: Vec::new(),
        }
    }
}

/// Written views, kept while their project's state is unchanged: a
/// breakdown page reloaded, or opened by a colleague who sees the same, is
/// sent without being written again. Bounded in bytes; a new version of a
/// project's state drops that project's older views.
pub struct ViewCache {
    budget: usize,
    inner: std::sync::Mutex<CachedViews>,
}

#[derive(Default)]
struct CachedViews {
    views: HashMap<ViewKey, web::Bytes>,
    /// Oldest first, for eviction.
    order: std::collections::VecDeque<ViewKey>,
    bytes: usize,
}

impl ViewCache {
    pub fn new(budget: usize) -> ViewCache {
        ViewCache {
            budget,
            inner: Default::default(),
        }
    }

    /// The view kept under `key`, or the one `write` makes, kept from now on.
    pub(super) fn get_or_write<T: Serialize>(
        &self,
        key: ViewKey,
        write: impl FnOnce() -> T,
    ) -> ApiResult<web::Bytes> {
        self.get_or_make(key, || {
            serde_json::to_vec(&write()).map_err(ApiError::internal)
        })
    }

    /// The bytes kept under `key`, or those `make` makes, kept from now on.
    pub(super) fn get_or_make(
        &self,
        key: ViewKey,
        make: impl FnOnce() -> ApiResult<Vec<u8>>,
    ) -> ApiResult<web::Bytes> {
        if let Some(bytes) = self.lock().views.get(&key).cloned() {
            return Ok(bytes);
        }
        let bytes = web::Bytes::from(make()?);
        self.insert(key, bytes.clone());
        Ok(bytes)
    }

    fn insert(&self, key: ViewKey, bytes: web::Bytes) {
        if bytes.len() > self.budget {
            return;
        }
        let mut cache = self.lock();
        let CachedViews {
            views,
            order,
            bytes: total,
        } = &mut *cache;
        order.retain(|old| {
            let stale = old.project == key.project && old.generation != key.generation;
            if stale {
                *total -= views.remove(old).map_or(0, |b| b.len());
            }
            !stale
        });
        *total += bytes.len();
        if let Some(replaced) = views.insert(key.clone(), bytes) {
            *total -= replaced.len();
        } else {
            order.push_back(key);
        }
        while *total > self.budget {
            let Some(oldest) = order.pop_front() else {
                break;
            };
            *total -= views.remove(&oldest).map_or(0, |b| b.len());
        }
    }

    /// A poisoned lock only means a panic elsewhere mid-update of a cache:
    /// start it afresh rather than fail every request.
    fn lock(&self) -> std::sync::MutexGuard<'_, CachedViews> {
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = CachedViews::default();
            guard
        })
    }
}

/// The project's metadata a vendor may not see: descriptors restricted to
/// departments that are not theirs.
async fn hidden_fields(ctx: &Ctx<'_>, project: Uuid) -> ApiResult<HashSet<String>> {
    if ctx.identity.person.role != Role::Vendor {
        return Ok(HashSet::new());
    }
    let rows = ctx
        .db()
        .fetch_all(
            "SELECT d.field_name FROM metadata_descriptor d WHERE d.project_id = $1 \
             AND EXISTS (SELECT 1 FROM department_metadata_descriptor_link l WHERE l.metadata_descriptor_id = d.id) \
             AND NOT EXISTS (SELECT 1 FROM department_metadata_descriptor_link l JOIN department_link mine \
                             ON mine.department_id = l.department_id \
                             WHERE l.metadata_descriptor_id = d.id AND mine.person_id = $2)",
            &[project.into(), ctx.identity.person.id.into()],
            None,
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r["field_name"].as_str().map(str::to_string))
        .collect())
}
