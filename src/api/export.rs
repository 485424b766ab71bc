//! CSV exports (`/export/csv/...`): the spreadsheets Kitsu downloads. A
//! project's shots, assets, edits and casting come from its actor's state, as
//! its pages do; the studio-wide lists from the database.

use super::stats::snapshot;
use super::with_tasks::ViewKey;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::Ctx;
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use crate::slug::slug;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use tusk_actors::project::ProjectState;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let p = "/export/csv/projects/{project_id}";
    vec![
        Route::new(
            Method::GET,
            format!("{p}/shots.csv"),
            "Export a project's shots as CSV",
            |r| r.to(shots),
        ),
        Route::new(
            Method::GET,
            format!("{p}/assets.csv"),
            "Export a project's assets as CSV",
            |r| r.to(assets),
        ),
        Route::new(
            Method::GET,
            format!("{p}/edits.csv"),
            "Export a project's edits as CSV",
            |r| r.to(edits),
        ),
        Route::new(
            Method::GET,
            format!("{p}/casting.csv"),
            "Export a project's casting as CSV",
            |r| r.to(casting),
        ),
        Route::new(
            Method::GET,
            "/export/csv/persons.csv",
            "Export the studio's people as CSV",
            |r| r.to(persons),
        ),
        Route::new(
            Method::GET,
            "/export/csv/projects.csv",
            "Export the projects as CSV",
            |r| r.to(projects),
        ),
        Route::new(
            Method::GET,
            "/export/csv/task-types.csv",
            "Export the task types as CSV",
            |r| r.to(task_types),
        ),
        Route::new(
            Method::GET,
            "/export/csv/tasks.csv",
            "Export the tasks of open projects as CSV",
            |r| r.to(tasks),
        ),
        Route::new(
            Method::GET,
            "/export/csv/time-spents.csv",
            "Export the time spent on open projects as CSV",
            |r| r.to(time_spents),
        ),
    ]
}

type Query = web::Query<HashMap<String, String>>;

/// Zou's dialect: `;` between fields, quotes only where needed, CRLF.
fn csv_body(rows: &[Vec<String>]) -> ApiResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}

/// The file as Zou names it: `kitsu_<slug>.csv`. Project exports send
/// `text/csv`, the studio-wide ones `text/csv; charset=utf-8`, as Zou does.
fn attachment(name: &str, content_type: &str, body: impl Into<web::Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=kitsu_{}.csv", slug(name)),
        ))
        .body(body.into())
}

/// A project's export, kept in the view cache while the project's state is
/// the same and `variant` names all else it depends on: Kitsu's export
/// button, pressed again or by a colleague, costs nothing more.
fn project_export(
    state: &AppState,
    project: &Row,
    snapshot: &ProjectState,
    view: &'static str,
    variant: String,
    rows: impl FnOnce() -> Vec<Vec<String>>,
) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&text(project, "id")).map_err(ApiError::internal)?;
    let name = text(project, "name");
    let key = ViewKey::derived(id, snapshot, view, format!("{name}|{variant}"));
    let body = state.views.get_or_make(key, || csv_body(&rows()))?;
    Ok(attachment(&format!("{name} {view}"), "text/csv", body))
}

/// A value of entity data as Python's `str()` writes it.
fn python_text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(text) => text.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &Json) -> String {
    match value {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(number) => python_number(number),
        Json::String(text) if text.contains('\'') && !text.contains('"') => format!("\"{text}\""),
        Json::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_repr(&Json::String(k.clone())),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Integers as they are; floats the way Python's `repr` spells them
/// (`2.0`, `1e-05`, `1e+16`).
fn python_number(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(float) if number.is_f64() => python_float(float),
        _ => number.to_string(),
    }
}

fn python_float(value: f64) -> String {
    let magnitude = value.abs();
    if value != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    format!("{value:?}")
}

fn text(row: &Row, key: &str) -> String {
    python_text(row.get(key).unwrap_or(&Json::Null))
}

fn person_name(person: &Row) -> String {
    let (first, last) = (text(person, "first_name"), text(person, "last_name"));
    if first.is_empty() || last.is_empty() {
        format!("{first}{last}")
    } else {
        format!("{first} {last}")
    }
}

/// Rows of a small table by id.
async fn by_id(state: &AppState, sql: &str, table: &str) -> ApiResult<HashMap<String, Row>> {
    Ok(state
        .db
        .fetch_all(sql, &[], Some(table))
        .await?
        .into_iter()
        .map(|row| (text(&row, "id"), row))
        .collect())
}

/// A project the caller may export, with their role in it: 404 for an
/// unknown project, 403 outside the team and for vendors.
async fn exported_project(
    state: &AppState,
    identity: &Identity,
    req: &HttpRequest,
    project: &str,
) -> ApiResult<(Row, Role)> {
    let id = Uuid::parse_str(project).map_err(|_| ApiError::NotFound)?;
    let project = state
        .db
        .fetch_optional(
            "SELECT * FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let ctx = Ctx::new(state, identity, req);
    let role = team_role(&ctx, project.get("id")).await?;
    if role == Role::Vendor {
        return Err(ApiError::Forbidden);
    }
    Ok((project, role))
}

/// An id filter of the query: absent, or a UUID (400 otherwise, as Zou says).
fn uuid_filter<'q>(query: &'q Query, key: &str) -> ApiResult<Option<&'q str>> {
    match query.get(key).map(String::as_str) {
        None | Some("all") if key == "episode_id" => Ok(None),
        None => Ok(None),
        Some(value) if Uuid::parse_str(value).is_ok() => Ok(Some(value)),
        Some(value) => Err(ApiError::bad_request(format!(
            "Invalid UUID format for {key}: {value}"
        ))),
    }
}

/// What an entity export needs besides the project's state.
struct Lookups {
    task_types: HashMap<String, Row>,
    statuses: HashMap<String, Row>,
    persons: HashMap<String, Row>,
    /// The project's descriptors for the exported kind, in column order.
    descriptors: Vec<Row>,
    /// A digest of all the above, for the keys of kept exports.
    digest: String,
}

impl Lookups {
    async fn read(state: &AppState, project: &Row, kind: &str) -> ApiResult<Lookups> {
        let mut descriptors = state
            .db
            .fetch_all(
                "SELECT name, field_name, data_type, \"position\" FROM metadata_descriptor \
                 WHERE project_id = $1 AND entity_type = $2",
                &[crate::crud::id_of(&project["id"])?, kind.into()],
                Some("metadata_descriptor"),
            )
            .await?;
        descriptors.sort_by_key(|d| {
            let position = d["position"].as_i64();
            (position.is_none(), position, text(d, "name"))
        });
        let task_types = by_id(
            state,
            "SELECT id, name, priority FROM task_type",
            "task_type",
        )
        .await?;
        let statuses = by_id(
            state,
            "SELECT id, name, short_name FROM task_status",
            "task_status",
        )
        .await?;
        let persons = by_id(
            state,
            "SELECT id, first_name, last_name FROM person",
            "person",
        )
        .await?;
        let mut hasher = Sha256::new();
        for table in [&task_types, &statuses, &persons] {
            let sorted: BTreeMap<_, _> = table.iter().collect();
            hasher.update(serde_json::to_vec(&sorted).map_err(ApiError::internal)?);
        }
        hasher.update(serde_json::to_vec(&descriptors).map_err(ApiError::internal)?);
        Ok(Lookups {
            task_types,
            statuses,
            persons,
            descriptors,
            digest: format!("{:x}", hasher.finalize()),
        })
    }

    /// Entities of the project's state carry their type's name.
    fn type_name(&self, entity: &Row) -> String {
        text(entity, "entity_type_name")
    }

    fn names(&self, ids: &Json, separator: &str) -> String {
        let names: Vec<String> = ids
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| self.persons.get(id.as_str()?))
            .map(person_name)
            .collect();
        names.join(separator)
    }
}

/// One exported entity: its leading cells and the tasks it reports.
struct Line<'s> {
    sort_key: Vec<String>,
    cells: Vec<String>,
    entity: &'s Row,
    tasks: Vec<&'s Row>,
}

/// The entity exports' shared part: metadata columns, time spent, and a
/// status and assignees pair per task type found among the rows' tasks.
fn entity_sheet(
    head: &[&str],
    mut lines: Vec<Line<'_>>,
    lookups: &Lookups,
    role: Role,
    time_at: usize,
) -> Vec<Vec<String>> {
    lines.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    let mut task_types: Vec<&Row> = Vec::new();
    for task in lines.iter().flat_map(|line| &line.tasks) {
        if let Some(kind) = lookups.task_types.get(&text(task, "task_type_id")) {
            if !task_types.iter().any(|t| t["id"] == kind["id"]) {
                task_types.push(kind);
            }
        }
    }
    task_types.sort_by_key(|t| (t["priority"].as_i64().unwrap_or(1), text(t, "name")));
    let mut header: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    header.extend(lookups.descriptors.iter().map(|d| text(d, "name")));
    for kind in &task_types {
        header.extend([text(kind, "name"), "Assignations".into()]);
    }
    let client = role == Role::Client;
    let mut rows = vec![header];
    for line in lines {
        let mut cells = line.cells;
        let minutes: f64 = line
            .tasks
            .iter()
            .filter_map(|t| t["duration"].as_f64())
            .sum();
        let days = if client || minutes <= 0.0 {
            0.0
        } else {
            minutes / 480.0
        };
        cells.insert(time_at, format!("{days:.2}"));
        for descriptor in &lookups.descriptors {
            let value = &line.entity["data"][text(descriptor, "field_name")];
            cells.push(if descriptor["data_type"] == "boolean" {
                let yes = match value {
                    Json::Bool(yes) => *yes,
                    other => python_text(other).to_lowercase() == "true",
                };
                yes.to_string()
            } else {
                python_text(value)
            });
        }
        for kind in &task_types {
            let task = line
                .tasks
                .iter()
                .rev()
                .find(|t| t["task_type_id"] == kind["id"]);
            let status = task
                .and_then(|t| lookups.statuses.get(&text(t, "task_status_id")))
                .map(|s| text(s, "short_name"))
                .unwrap_or_default();
            let assignees = match task {
                Some(task) if !client => lookups.names(&task["assignees"], ","),
                _ => String::new(),
            };
            cells.extend([status, assignees]);
        }
        rows.push(cells);
    }
    rows
}

/// The entity's tasks, only the caller's with `assigned_to` (and then only
/// entities with some).
fn tasks_kept<'s>(
    state: &'s ProjectState,
    entity: &str,
    assigned_to: Option<&str>,
) -> Option<Vec<&'s Row>> {
    let tasks: Vec<&Row> = state
        .tasks_of(entity)
        .filter(|task| {
            assigned_to.is_none_or(|person| {
                task["assignees"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|p| p.as_str() == Some(person)))
            })
        })
        .collect();
    (assigned_to.is_none() || !tasks.is_empty()).then_some(tasks)
}

fn assigned_filter(query: &Query, identity: &Identity) -> Option<String> {
    query
        .contains_key("assigned_to")
        .then(|| identity.person.id.to_string())
}

async fn shots(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<String>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let (project, role) = exported_project(&state, &identity, &req, &path).await?;
    let only = uuid_filter(&query, "id")?;
    // `main`: the shots of sequences outside any episode (Zou fails on it).
    let episode = match query.get("episode_id").map(String::as_str) {
        Some("main") => Some(None),
        _ => uuid_filter(&query, "episode_id")?.map(Some),
    };
    let assigned_to = assigned_filter(&query, &identity);
    let lookups = Lookups::read(&state, &project, "Shot").await?;
    let snapshot = snapshot(&state, &project).await?;
    let variant = format!(
        "{}|{only:?}|{episode:?}|{assigned_to:?}|{}",
        lookups.digest,
        role == Role::Client
    );
    project_export(&state, &project, &snapshot, "shots", variant, || {
        shot_rows(
            &project,
            &snapshot,
            &lookups,
            role,
            only,
            episode,
            assigned_to.as_deref(),
        )
    })
}

fn shot_rows(
    project: &Row,
    snapshot: &ProjectState,
    lookups: &Lookups,
    role: Role,
    only: Option<&str>,
    episode: Option<Option<&str>>,
    assigned_to: Option<&str>,
) -> Vec<Vec<String>> {
    let project_name = text(project, "name");
    let mut lines = Vec::new();
    for (id, shot) in &snapshot.entities {
        if lookups.type_name(shot) != "Shot" || only.is_some_and(|only| only != id) {
            continue;
        }
        let Some(sequence) = snapshot.entities.get(&text(shot, "parent_id")) else {
            continue;
        };
        let episode_row = snapshot.entities.get(&text(sequence, "parent_id"));
        if let Some(wanted) = episode {
            if episode_row.map(|e| text(e, "id")).as_deref() != wanted {
                continue;
            }
        }
        let Some(tasks) = tasks_kept(snapshot, id, assigned_to) else {
            continue;
        };
        let episode_name = episode_row.map(|e| text(e, "name")).unwrap_or_default();
        let (sequence_name, name) = (text(sequence, "name"), text(shot, "name"));
        let data = &shot["data"];
        lines.push(Line {
            sort_key: vec![episode_name.clone(), sequence_name.clone(), name.clone()],
            cells: vec![
                project_name.clone(),
                episode_name,
                sequence_name,
                name,
                text(shot, "description"),
                text(shot, "nb_frames"),
                python_text(&data["frame_in"]),
                python_text(&data["frame_out"]),
                python_text(&data["fps"]),
            ],
            entity: shot,
            tasks,
        });
    }
    let head = [
        "Project",
        "Episode",
        "Sequence",
        "Name",
        "Description",
        "Time Spent",
        "Frames",
        "Frame In",
        "Frame Out",
        "FPS",
    ];
    entity_sheet(&head, lines, lookups, role, 5)
}

/// Entity types that are not asset types.
const NOT_ASSETS: [&str; 7] = [
    "Shot",
    "Sequence",
    "Episode",
    "Edit",
    "Scene",
    "Concept",
    "ConceptFolder",
];

async fn assets(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<String>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let (project, role) = exported_project(&state, &identity, &req, &path).await?;
    let only = uuid_filter(&query, "id")?;
    let main_pack = query.get("episode_id").is_some_and(|e| e == "main");
    let episode = if main_pack {
        None
    } else {
        uuid_filter(&query, "episode_id")?
    };
    let assigned_to = assigned_filter(&query, &identity);
    let lookups = Lookups::read(&state, &project, "Asset").await?;
    let snapshot = snapshot(&state, &project).await?;
    let variant = format!(
        "{}|{only:?}|{main_pack}|{episode:?}|{assigned_to:?}|{}",
        lookups.digest,
        role == Role::Client
    );
    project_export(&state, &project, &snapshot, "assets", variant, || {
        let filter = AssetFilter {
            only,
            main_pack,
            episode,
            assigned_to: assigned_to.as_deref(),
        };
        asset_rows(&project, &snapshot, &lookups, role, filter)
    })
}

/// Which assets `assets.csv` lists.
struct AssetFilter<'q> {
    only: Option<&'q str>,
    main_pack: bool,
    episode: Option<&'q str>,
    assigned_to: Option<&'q str>,
}

fn asset_rows(
    project: &Row,
    snapshot: &ProjectState,
    lookups: &Lookups,
    role: Role,
    filter: AssetFilter<'_>,
) -> Vec<Vec<String>> {
    let AssetFilter {
        only,
        main_pack,
        episode,
        assigned_to,
    } = filter;
    let project_name = text(project, "name");
    let mut lines = Vec::new();
    for (id, asset) in &snapshot.entities {
        let type_name = lookups.type_name(asset);
        if NOT_ASSETS.contains(&type_name.as_str()) || only.is_some_and(|only| only != id) {
            continue;
        }
        let source = asset["source_id"].as_str();
        if main_pack && source.is_some() {
            continue;
        }
        if let Some(episode) = episode {
            let cast = snapshot.casting_episodes(id).iter().any(|e| e == episode);
            if source != Some(episode) && !cast {
                continue;
            }
        }
        let Some(tasks) = tasks_kept(snapshot, id, assigned_to) else {
            continue;
        };
        let name = text(asset, "name");
        lines.push(Line {
            sort_key: vec![type_name.clone(), name.clone()],
            cells: vec![
                project_name.clone(),
                type_name,
                name,
                text(asset, "description"),
            ],
            entity: asset,
            tasks,
        });
    }
    let head = ["Project", "Type", "Name", "Description", "Time Spent"];
    entity_sheet(&head, lines, lookups, role, 4)
}

async fn edits(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (project, role) = exported_project(&state, &identity, &req, &path).await?;
    let lookups = Lookups::read(&state, &project, "Edit").await?;
    let snapshot = snapshot(&state, &project).await?;
    let variant = format!("{}|{}", lookups.digest, role == Role::Client);
    project_export(&state, &project, &snapshot, "edits", variant, || {
        edit_rows(&project, &snapshot, &lookups, role)
    })
}

fn edit_rows(
    project: &Row,
    snapshot: &ProjectState,
    lookups: &Lookups,
    role: Role,
) -> Vec<Vec<String>> {
    let project_name = text(project, "name");
    let mut lines = Vec::new();
    for (id, edit) in &snapshot.entities {
        if lookups.type_name(edit) != "Edit" {
            continue;
        }
        let episode = snapshot
            .entities
            .get(&text(edit, "parent_id"))
            .map(|e| text(e, "name"))
            .unwrap_or_default();
        let name = text(edit, "name");
        lines.push(Line {
            sort_key: vec![episode.clone(), name.clone()],
            cells: vec![
                project_name.clone(),
                episode,
                name,
                text(edit, "description"),
            ],
            entity: edit,
            tasks: snapshot.tasks_of(id).collect(),
        });
    }
    let head = ["Project", "Episode", "Name", "Description", "Time Spent"];
    entity_sheet(&head, lines, lookups, role, 4)
}

/// Which casting `casting.csv` lists.
enum CastingOf<'q> {
    /// What the main pack's assets are made of (`episode_id=main`).
    MainPack,
    /// The episodes' own casting (`episode_id=all`).
    Episodes,
    /// The shots' casting, of one episode or all (`is_shot_casting=true`).
    Shots(Option<&'q str>),
    /// What assets are made of, of one episode or all, then the main pack.
    Assets(Option<&'q str>),
}

async fn casting(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    path: web::Path<String>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let (project, _) = exported_project(&state, &identity, &req, &path).await?;
    let shots = query
        .get("is_shot_casting")
        .is_some_and(|v| v.to_lowercase() == "true");
    let episode_param = query.get("episode_id").map(String::as_str);
    let of = match episode_param {
        Some("main") => CastingOf::MainPack,
        Some("all") => CastingOf::Episodes,
        _ => {
            let episode = uuid_filter(&query, "episode_id")?;
            if shots {
                CastingOf::Shots(episode)
            } else {
                CastingOf::Assets(episode)
            }
        }
    };
    let tv = project["production_type"] == "tvshow";
    let lookups = Lookups::read(&state, &project, "Asset").await?;
    let snapshot = snapshot(&state, &project).await?;
    let variant = format!("{episode_param:?}|{shots}|{tv}");
    project_export(&state, &project, &snapshot, "casting", variant, || {
        let sheet = CastingSheet {
            state: &snapshot,
            lookups: &lookups,
        };
        sheet.all(of, tv, episode_param)
    })
}

/// The casting links of one project, as rows of `casting.csv`.
struct CastingSheet<'s> {
    state: &'s ProjectState,
    lookups: &'s Lookups,
}

impl CastingSheet<'_> {
    fn all(&self, of: CastingOf<'_>, tv: bool, episode_param: Option<&str>) -> Vec<Vec<String>> {
        let sheet = self;
        let mut rows = match of {
            CastingOf::MainPack => sheet.main_pack(tv),
            CastingOf::Episodes => sheet.episodes(),
            CastingOf::Shots(episode) => sheet.shots(tv, episode),
            CastingOf::Assets(episode) => {
                let mut rows = sheet.assets(tv, episode);
                if tv {
                    rows.extend(sheet.main_pack(tv));
                }
                rows
            }
        };
        let mut header = vec![
            "Parent",
            "Name",
            "Asset Type",
            "Asset",
            "Occurences",
            "Label",
        ];
        if tv && episode_param != Some("all") {
            header.insert(0, "Episode");
        }
        rows.insert(0, header.into_iter().map(String::from).collect());
        rows
    }
    fn entity(&self, id: &Json) -> Option<&Row> {
        self.state.entities.get(id.as_str()?)
    }

    /// `leading` cells and the sort key of each link whose entity the rule
    /// keeps, followed by the asset, occurrences and label; sorted.
    fn rows(&self, rule: impl Fn(&Row) -> Option<Vec<String>>) -> Vec<Vec<String>> {
        let mut rows: Vec<Vec<String>> = self
            .state
            .links
            .values()
            .filter_map(|link| {
                let owner = self.entity(&link["entity_in_id"])?;
                let asset = self.entity(&link["entity_out_id"])?;
                let mut row = rule(owner)?;
                row.extend([
                    self.lookups.type_name(asset),
                    text(asset, "name"),
                    text(link, "nb_occurences"),
                    text(link, "label"),
                ]);
                Some(row)
            })
            .collect();
        rows.sort_by(|a, b| a[..a.len() - 2].cmp(&b[..b.len() - 2]));
        rows
    }

    fn main_pack(&self, tv: bool) -> Vec<Vec<String>> {
        self.rows(|owner| {
            let kind = self.lookups.type_name(owner);
            if !owner["source_id"].is_null() || kind == "Shot" || kind == "Episode" {
                return None;
            }
            let mut row = vec![kind, text(owner, "name")];
            if tv {
                row.insert(0, "MP".into());
            }
            Some(row)
        })
    }

    fn episodes(&self) -> Vec<Vec<String>> {
        self.rows(|owner| {
            let kind = self.lookups.type_name(owner);
            (kind == "Episode" && owner["source_id"].is_null())
                .then(|| vec![kind, text(owner, "name")])
        })
    }

    fn shots(&self, tv: bool, episode: Option<&str>) -> Vec<Vec<String>> {
        self.rows(|owner| {
            let sequence = self.entity(&owner["parent_id"])?;
            let mut row = vec![text(sequence, "name"), text(owner, "name")];
            if tv {
                let of_episode = self.entity(&sequence["parent_id"])?;
                if episode.is_some_and(|e| of_episode["id"] != e) {
                    return None;
                }
                row.insert(0, text(of_episode, "name"));
            }
            Some(row)
        })
    }

    fn assets(&self, tv: bool, episode: Option<&str>) -> Vec<Vec<String>> {
        self.rows(|owner| {
            let kind = self.lookups.type_name(owner);
            if kind == "Shot" {
                return None;
            }
            let mut row = vec![kind, text(owner, "name")];
            if tv {
                let source = self.entity(&owner["source_id"])?;
                if episode.is_some_and(|e| source["id"] != e) {
                    return None;
                }
                row.insert(0, text(source, "name"));
            }
            Some(row)
        })
    }
}

/// The studio-wide exports are for admins and managers (by studio role).
fn studio_manager(identity: &Identity) -> ApiResult<()> {
    match identity.person.role {
        Role::Admin | Role::Manager => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

async fn studio_rows(state: &AppState, sql: &str) -> ApiResult<Vec<Row>> {
    Ok(state.db.fetch_all(sql, &[], None).await?)
}

/// A studio-wide export: its header, then its rows, sent as Zou streams
/// them (`text/csv; charset=utf-8`).
fn studio_sheet(
    name: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> ApiResult<HttpResponse> {
    let sheet: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows)
        .collect();
    Ok(attachment(
        name,
        "text/csv; charset=utf-8",
        csv_body(&sheet)?,
    ))
}

/// A studio-wide list: the rows of `sql` sorted by `sort`, one cell per column.
async fn studio_list(
    state: &AppState,
    sql: &str,
    sort: &[&str],
    columns: &[&str],
    header: &[&str],
) -> ApiResult<HttpResponse> {
    let mut rows = studio_rows(state, sql).await?;
    sort_rows(&mut rows, sort);
    let cells = rows
        .iter()
        .map(|r| columns.iter().map(|column| text(r, column)).collect());
    studio_sheet("export", header, cells)
}

/// Sorts by the named cells, code point order, empty (NULL) values last.
fn sort_rows(rows: &mut [Row], keys: &[&str]) {
    rows.sort_by_cached_key(|row| {
        keys.iter()
            .map(|key| {
                let value = text(row, key);
                (value.is_empty(), value)
            })
            .collect::<Vec<_>>()
    });
}

async fn persons(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    studio_manager(&identity)?;
    let mut people = studio_rows(
        &state,
        "SELECT p.*, s.name AS studio_name FROM person p LEFT JOIN studio s ON s.id = p.studio_id \
         WHERE (p.is_bot IS NULL OR p.is_bot = FALSE) AND (p.is_guest IS NULL OR p.is_guest = FALSE) \
         AND p.preview_project_id IS NULL",
    )
    .await?;
    people.sort_by_cached_key(|p| {
        (
            text(p, "first_name").to_lowercase(),
            text(p, "last_name").to_lowercase(),
        )
    });
    let links = studio_rows(
        &state,
        "SELECT l.person_id, d.name FROM department_link l JOIN department d ON d.id = l.department_id",
    )
    .await?;
    let mut departments: HashMap<String, Vec<String>> = HashMap::new();
    for link in &links {
        departments
            .entry(text(link, "person_id"))
            .or_default()
            .push(text(link, "name"));
    }
    let header = [
        "First Name",
        "Last Name",
        "Email",
        "Phone",
        "Role",
        "Departments",
        "Studio",
        "Country",
        "Contract Type",
        "Position",
        "Seniority",
        "Daily Salary",
        "Active",
    ];
    let yes = |p: &Row| matches!(p["active"], Json::Bool(true)) || p["active"] == 1;
    let rows = people.iter().map(|p| {
        let mut names = departments.get(&text(p, "id")).cloned().unwrap_or_default();
        names.sort();
        let mut row: Vec<String> = ["first_name", "last_name", "email", "phone", "role"]
            .iter()
            .map(|key| text(p, key))
            .collect();
        row.push(names.join(","));
        row.extend(
            [
                "studio_name",
                "country",
                "contract_type",
                "position",
                "seniority",
                "daily_salary",
            ]
            .iter()
            .map(|key| text(p, key)),
        );
        row.push(if yes(p) { "yes" } else { "no" }.into());
        row
    });
    studio_sheet("people export", &header, rows)
}

async fn projects(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    studio_manager(&identity)?;
    studio_list(
        &state,
        "SELECT p.name, s.name AS status FROM project p JOIN project_status s ON s.id = p.project_status_id",
        &["name"],
        &["name", "status"],
        &["Name", "Status"],
    )
    .await
}

async fn task_types(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    studio_manager(&identity)?;
    let columns = ["department", "name"];
    studio_list(
        &state,
        "SELECT d.name AS department, t.name FROM task_type t JOIN department d ON d.id = t.department_id",
        &columns,
        &columns,
        &["Department", "Name"],
    )
    .await
}

async fn tasks(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    studio_manager(&identity)?;
    let mut rows = studio_rows(
        &state,
        "SELECT t.id, p.name AS project, tt.name AS task_type, ep.name AS episode, sq.name AS sequence, \
         et.name AS entity_type, e.name AS entity, t.name AS task, a.first_name AS assigner_first, \
         a.last_name AS assigner_last, t.duration, t.estimation, t.start_date, t.due_date, \
         t.real_start_date, t.end_date, s.name AS status \
         FROM task t JOIN project p ON p.id = t.project_id \
         JOIN project_status ps ON ps.id = p.project_status_id AND ps.name = 'Open' \
         JOIN task_type tt ON tt.id = t.task_type_id JOIN task_status s ON s.id = t.task_status_id \
         JOIN entity e ON e.id = t.entity_id JOIN entity_type et ON et.id = e.entity_type_id \
         LEFT JOIN person a ON a.id = t.assigner_id LEFT JOIN entity sq ON sq.id = e.parent_id \
         LEFT JOIN entity ep ON ep.id = sq.parent_id",
    )
    .await?;
    sort_rows(
        &mut rows,
        &[
            "project",
            "task_type",
            "task",
            "episode",
            "sequence",
            "entity_type",
            "entity",
        ],
    );
    let lookups = by_id(
        &state,
        "SELECT id, first_name, last_name FROM person",
        "person",
    )
    .await?;
    let assignments =
        studio_rows(&state, "SELECT task_id, person_id FROM task_person_link").await?;
    let mut assignees: HashMap<String, Vec<String>> = HashMap::new();
    for link in &assignments {
        if let Some(person) = lookups.get(&text(link, "person_id")) {
            assignees
                .entry(text(link, "task_id"))
                .or_default()
                .push(person_name(person));
        }
    }
    let day = |row: &Row, key: &str| text(row, key).chars().take(10).collect::<String>();
    let float = |row: &Row, key: &str| row[key].as_f64().map(python_float).unwrap_or_default();
    let header = [
        "Project",
        "Task Type",
        "Episode",
        "Sequence",
        "Entity Type",
        "Entity",
        "Assigner",
        "Assignees",
        "Duration",
        "Estimation",
        "Start date",
        "Due date",
        "WIP date",
        "Validation date",
        "Task Status",
    ];
    let cells = rows.iter().map(|r| {
        let assigner = format!("{} {}", text(r, "assigner_first"), text(r, "assigner_last"));
        vec![
            text(r, "project"),
            text(r, "task_type"),
            text(r, "episode"),
            text(r, "sequence"),
            text(r, "entity_type"),
            text(r, "entity"),
            if assigner == " " {
                String::new()
            } else {
                assigner
            },
            assignees
                .get(&text(r, "id"))
                .map(|a| a.join(", "))
                .unwrap_or_default(),
            float(r, "duration"),
            float(r, "estimation"),
            day(r, "start_date"),
            day(r, "due_date"),
            day(r, "real_start_date"),
            day(r, "end_date"),
            text(r, "status"),
        ]
    });
    studio_sheet("tasks export", &header, cells)
}

async fn time_spents(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    studio_manager(&identity)?;
    let mut rows = studio_rows(
        &state,
        "SELECT p.name AS project, pe.first_name, pe.last_name, et.name AS entity_type, e.name AS entity, \
         sq.name AS sequence, ep.name AS episode, tt.name AS task_type, ts.date, ts.duration \
         FROM time_spent ts JOIN task t ON t.id = ts.task_id JOIN entity e ON e.id = t.entity_id \
         JOIN entity_type et ON et.id = e.entity_type_id JOIN project p ON p.id = t.project_id \
         JOIN project_status s ON s.id = p.project_status_id AND s.name IN ('Active', 'open', 'Open') \
         JOIN task_type tt ON tt.id = t.task_type_id JOIN person pe ON pe.id = ts.person_id \
         LEFT JOIN entity sq ON sq.id = e.parent_id LEFT JOIN entity ep ON ep.id = sq.parent_id",
    )
    .await?;
    sort_rows(
        &mut rows,
        &["date", "last_name", "project", "entity_type", "entity"],
    );
    let header = [
        "Project",
        "Person",
        "Entity Type Name",
        "Entity",
        "Task Type",
        "Date",
        "Time spent",
    ];
    let cells = rows.iter().map(|r| {
        let mut entity = text(r, "entity");
        if r["entity_type"] == "Shot" {
            let parents = [text(r, "episode"), text(r, "sequence")];
            let named: Vec<&String> = parents.iter().filter(|p| !p.is_empty()).collect();
            entity = named
                .into_iter()
                .chain([&entity])
                .cloned()
                .collect::<Vec<_>>()
                .join(" / ");
        }
        vec![
            text(r, "project"),
            super::comments::full_name(r),
            text(r, "entity_type"),
            entity,
            text(r, "task_type"),
            text(r, "date").chars().take(10).collect(),
            r["duration"].as_f64().map(python_float).unwrap_or_default(),
        ]
    });
    let today = chrono::Utc::now()
        .with_timezone(&super::quotas::timezone(&identity, &state))
        .format("%Y %m %d");
    let name = format!("{today} open projects time spents export");
    studio_sheet(&name, &header, cells)
}

#[cfg(test)]
mod tests {
    use super::{csv_body, python_float, python_repr};
    use serde_json::json;

    #[test]
    fn floats_are_spelled_as_python_spells_them() {
        let spelled: Vec<String> = [120.0, 1.5, 0.0, 1e-5, 1e16, 0.30000000000000004]
            .into_iter()
            .map(python_float)
            .collect();
        assert_eq!(
            spelled,
            [
                "120.0",
                "1.5",
                "0.0",
                "1e-05",
                "1e+16",
                "0.30000000000000004"
            ]
        );
    }

    #[test]
    fn data_values_are_spelled_as_python_reprs_them() {
        assert_eq!(python_repr(&json!(["a", "b"])), "['a', 'b']");
        assert_eq!(
            python_repr(&json!({"k": 1, "t": true})),
            "{'k': 1, 't': True}"
        );
        assert_eq!(python_repr(&json!([2.0, null])), "[2.0, None]");
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let rows = vec![vec![
            "a;b".to_string(),
            "say \"hi\"".into(),
            "two\nlines".into(),
            "plain, text".into(),
            String::new(),
        ]];
        let body = String::from_utf8(csv_body(&rows).unwrap()).unwrap();
        assert_eq!(
            body,
            "\"a;b\";\"say \"\"hi\"\"\";\"two\nlines\";plain, text;\r\n"
        );
    }
}
