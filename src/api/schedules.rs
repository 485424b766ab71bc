//! The schedule of a project as Kitsu's schedule page reads it: one item per
//! task type, and per asset type, episode, sequence or edit within a task
//! type, made on first read; and the softwares each task type uses.

use super::{body_fields, text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{supervises_task_type, team_role};
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashSet;
use tusk_actors::role::Role;
use uuid::Uuid;

/// What a task type's schedule is split into, and how to find those parts.
#[derive(Clone, Copy)]
enum Part {
    AssetTypes,
    Episodes,
    Sequences,
    Edits,
}

impl Part {
    fn route(self) -> &'static str {
        match self {
            Part::AssetTypes => "asset-types",
            Part::Episodes => "episodes",
            Part::Sequences => "sequences",
            Part::Edits => "edits",
        }
    }

    /// `(id, name)` of the parts of project `$1`, within episode `$2` when given.
    fn candidates(self, episode: bool) -> String {
        let typed = |name: &str| {
            format!(
                "SELECT e.id, e.name FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
                 WHERE e.project_id = $1 AND et.name = '{name}'"
            )
        };
        match (self, episode) {
            (Part::AssetTypes, false) => concat!(
                "SELECT DISTINCT et.id, et.name FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
                 WHERE e.project_id = $1 AND et.name NOT IN ",
                crate::crud::models::entities::temporal_types_sql!()
            )
            .to_string(),
            (Part::AssetTypes, true) => format!("{} AND e.source_id = $2", Part::AssetTypes.candidates(false)),
            (Part::Episodes, false) => typed("Episode"),
            (Part::Episodes, true) => format!("{} AND e.id = $2", typed("Episode")),
            (Part::Sequences, false) => typed("Sequence"),
            (Part::Sequences, true) => format!("{} AND e.parent_id = $2", typed("Sequence")),
            (Part::Edits, false) => format!("{} AND e.canceled = $2", typed("Edit")),
            (Part::Edits, true) => format!("{} AND e.canceled = $3 AND e.parent_id = $2", typed("Edit")),
        }
    }
}

pub(super) fn routes() -> Vec<Route> {
    let p = "/data/projects/{project_id}";
    let mut routes = vec![Route::new(
        Method::GET,
        format!("{p}/schedule-items/task-types"),
        "Get the schedule items of the project's task types",
        |r| r.to(task_type_items),
    )];
    for part in [
        Part::AssetTypes,
        Part::Episodes,
        Part::Sequences,
        Part::Edits,
    ] {
        routes.push(Route::new(
            Method::GET,
            format!("{p}/schedule-items/{{task_type_id}}/{}", part.route()),
            format!("Get the schedule items of a task type's {}", part.route()),
            move |r| r.to(move |s, i, path, q| part_items(part, s, i, path, q)),
        ));
    }
    routes.extend([
        Route::new(
            Method::GET,
            format!("{p}/task-type-softwares"),
            "Get the softwares of the project's task types",
            |r| r.to(task_type_softwares),
        ),
        Route::new(
            Method::POST,
            format!("{p}/task-types/{{task_type_id}}/softwares"),
            "Add a software to a task type of the project",
            |r| r.to(add_software),
        ),
        Route::new(
            Method::DELETE,
            format!("{p}/task-types/{{task_type_id}}/softwares/{{software_id}}"),
            "Remove a software from a task type of the project",
            |r| r.to(remove_software),
        ),
    ]);
    routes
}

/// An existing project (404 otherwise) and the caller's role in its team.
async fn project(ctx: &Ctx<'_>, id: &str) -> ApiResult<(Uuid, Role)> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let found = ctx
        .db()
        .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
        .await?;
    if found.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok((id, team_role(ctx, Some(&json!(id))).await?))
}

/// Schedules are the studio's and the client's, not the vendors'.
async fn schedule_reader(ctx: &Ctx<'_>, id: &str) -> ApiResult<Uuid> {
    let (project, role) = project(ctx, id).await?;
    if role == Role::Vendor {
        return Err(ApiError::Forbidden);
    }
    Ok(project)
}

const ITEM_FIELDS: &str = "id, start_date, end_date, man_days, project_id, task_type_id, object_id";

/// Creates an item starting today for each of `missing` (task type, object).
async fn create_items(
    tx: &mut Tx,
    identity: &Identity,
    project: Uuid,
    missing: &[(Value, Value)],
) -> ApiResult<()> {
    let today = now().date();
    for (task_type, object) in missing {
        let stamp = now();
        let id = Uuid::now_v7();
        tx.insert(
            "schedule_item",
            &[
                ("id", id.into()),
                ("project_id", project.into()),
                ("task_type_id", task_type.clone()),
                ("object_id", object.clone()),
                ("start_date", Value::Date(today)),
                ("end_date", Value::Date(today + chrono::Days::new(1))),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
        Event::new("schedule-item:new", "schedule_item_id", &id.to_string())
            .in_project(Some(project))
            .record(tx, identity.person.id)
            .await?;
    }
    Ok(())
}

/// One item per task type the project's tasks use (within the project's
/// task types when it has some); items of other task types are not shown.
async fn task_type_items(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = schedule_reader(&ctx, &path).await?;
    let mut tx = state.db.begin().await?;
    let linked = tx
        .fetch_all(
            "SELECT task_type_id FROM project_task_type_link WHERE project_id = $1",
            &[project.into()],
            None,
        )
        .await?;
    let linked: HashSet<String> = linked.iter().map(|r| text(r, "task_type_id")).collect();
    let used = tx
        .fetch_all(
            "SELECT DISTINCT tt.id FROM task t JOIN task_type tt ON tt.id = t.task_type_id \
             WHERE t.project_id = $1 AND tt.for_entity IN ('Asset', 'Shot', 'Sequence', 'Episode', 'Edit')",
            &[project.into()],
            None,
        )
        .await?;
    let shown: Vec<String> = used
        .iter()
        .map(|r| text(r, "id"))
        .filter(|id| linked.is_empty() || linked.contains(id))
        .collect();
    let sql = format!(
        "SELECT {ITEM_FIELDS} FROM schedule_item WHERE project_id = $1 AND object_id IS NULL"
    );
    let existing = tx
        .fetch_all(&sql, &[project.into()], Some("schedule_item"))
        .await?;
    let have: HashSet<String> = existing.iter().map(|r| text(r, "task_type_id")).collect();
    let missing: Vec<(Value, Value)> = shown
        .iter()
        .filter(|id| !have.contains(*id))
        .map(|id| Ok((id_of(&json!(id))?, Value::Null)))
        .collect::<ApiResult<_>>()?;
    create_items(&mut tx, &identity, project, &missing).await?;
    let items = tx
        .fetch_all(
            &format!("{sql} ORDER BY start_date, id"),
            &[project.into()],
            Some("schedule_item"),
        )
        .await?;
    tx.commit().await?;
    let items: Vec<Row> = items
        .into_iter()
        .filter(|item| {
            item["task_type_id"].is_null() || shown.contains(&text(item, "task_type_id"))
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

/// One item per part of a task type's schedule (asset types, episodes,
/// sequences or edits), optionally within one episode, sorted by name.
async fn part_items(
    part: Part,
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = schedule_reader(&ctx, &path.0).await?;
    let task_type =
        Uuid::parse_str(&path.1).map_err(|_| ApiError::bad_request("Wrong UUID format."))?;
    let exists = state
        .db
        .fetch_optional(
            "SELECT id FROM task_type WHERE id = $1",
            &[task_type.into()],
            None,
        )
        .await?;
    if exists.is_none() {
        return Err(ApiError::NotFound);
    }
    let episode = match ctx.param("episode_id").filter(|e| !e.is_empty()) {
        Some(e) => {
            Some(Uuid::parse_str(e).map_err(|_| ApiError::bad_request("Wrong UUID format."))?)
        }
        None => None,
    };
    let mut params = vec![Value::Uuid(project)];
    params.extend(episode.map(Value::Uuid));
    if matches!(part, Part::Edits) {
        params.push(Value::Bool(false));
    }
    let mut tx = state.db.begin().await?;
    let candidates = tx
        .fetch_all(&part.candidates(episode.is_some()), &params, None)
        .await?;
    let existing = tx
        .fetch_all(
            &format!("SELECT {ITEM_FIELDS} FROM schedule_item WHERE project_id = $1 AND task_type_id = $2 AND object_id IS NOT NULL"),
            &[project.into(), task_type.into()],
            Some("schedule_item"),
        )
        .await?;
    let have: HashSet<String> = existing.iter().map(|r| text(r, "object_id")).collect();
    let missing: Vec<(Value, Value)> = candidates
        .iter()
        .filter(|c| !have.contains(&text(c, "id")))
        .map(|c| Ok((Value::Uuid(task_type), id_of(&c["id"])?)))
        .collect::<ApiResult<_>>()?;
    create_items(&mut tx, &identity, project, &missing).await?;
    let items = tx
        .fetch_all(
            &format!("SELECT {ITEM_FIELDS} FROM schedule_item WHERE project_id = $1 AND task_type_id = $2 AND object_id IS NOT NULL"),
            &[project.into(), task_type.into()],
            Some("schedule_item"),
        )
        .await?;
    tx.commit().await?;
    let names: std::collections::HashMap<String, Json> = candidates
        .iter()
        .map(|c| (text(c, "id"), c["name"].clone()))
        .collect();
    let mut named: Vec<Row> = items
        .into_iter()
        .filter_map(|mut item| {
            let name = names.get(&text(&item, "object_id"))?.clone();
            item.insert("name".into(), name);
            Some(item)
        })
        .collect();
    named.sort_by_key(|item| (text(item, "name"), text(item, "id")));
    Ok(HttpResponse::Ok().json(named))
}

async fn task_type_softwares(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, _) = project(&ctx, &path).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT project_id, task_type_id, software_id FROM project_task_type_software_link \
             WHERE project_id = $1 ORDER BY task_type_id, software_id",
            &[project.into()],
            Some("project_task_type_software_link"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Managers of the project, and its supervisors of the task type's department
/// (or of every department when they have none); the task type must be the project's.
async fn software_editor(
    ctx: &Ctx<'_>,
    project_id: &str,
    task_type: &str,
) -> ApiResult<(Uuid, Uuid)> {
    let (project, role) = project(ctx, project_id).await?;
    let task_type = Uuid::parse_str(task_type)
        .map_err(|_| ApiError::bad_request("task_type_id and software_id must be valid UUIDs."))?;
    let allowed = match role {
        Role::Admin | Role::Manager => true,
        Role::Supervisor => supervises_task_type(ctx, &json!(task_type)).await?,
        _ => false,
    };
    if !allowed {
        return Err(ApiError::Forbidden);
    }
    let linked = ctx
        .db()
        .fetch_optional(
            "SELECT task_type_id FROM project_task_type_link WHERE project_id = $1 AND task_type_id = $2",
            &[project.into(), task_type.into()],
            None,
        )
        .await?;
    if linked.is_none() {
        return Err(ApiError::bad_request(
            "The task type is not a task type of the project.",
        ));
    }
    Ok((project, task_type))
}

fn link(project: Uuid, task_type: Uuid, software: Uuid) -> Json {
    json!({"project_id": project, "task_type_id": task_type, "software_id": software})
}

async fn project_updated(tx: &mut Tx, identity: &Identity, project: Uuid) -> ApiResult<()> {
    Event::new("project:update", "project_id", &project.to_string())
        .in_project(Some(project))
        .record(tx, identity.person.id)
        .await?;
    Ok(())
}

/// Adding a software the task type already has answers the link unchanged.
async fn add_software(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, task_type) = software_editor(&ctx, &path.0, &path.1).await?;
    let fields: Map<String, Json> = body_fields(&req, &body)?;
    let software = match fields.get("software_id") {
        Some(Json::String(id)) if !id.is_empty() => Uuid::parse_str(id).map_err(|_| {
            ApiError::bad_request("task_type_id and software_id must be valid UUIDs.")
        })?,
        Some(Json::String(_)) => {
            return Err(ApiError::invalid_field(
                "software_id",
                "String should have at least 1 character",
            ))
        }
        Some(Json::Null) | None => {
            return Err(ApiError::invalid_field("software_id", "Field required"))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "software_id",
                "Input should be a valid string",
            ))
        }
    };
    let found = state
        .db
        .fetch_optional(
            "SELECT archived FROM software WHERE id = $1",
            &[software.into()],
            Some("software"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    if found["archived"] == json!(true) {
        return Err(ApiError::bad_request("The software is archived."));
    }
    let key = [project.into(), task_type.into(), software.into()];
    let mut tx = state.db.begin().await?;
    let exists = tx
        .fetch_optional(
            "SELECT id FROM project_task_type_software_link WHERE project_id = $1 AND task_type_id = $2 AND software_id = $3",
            &key,
            None,
        )
        .await?;
    if exists.is_none() {
        let stamp = now();
        tx.insert(
            "project_task_type_software_link",
            &[
                ("id", Uuid::now_v7().into()),
                ("project_id", project.into()),
                ("task_type_id", task_type.into()),
                ("software_id", software.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
        project_updated(&mut tx, &identity, project).await?;
        tx.commit().await?;
    }
    Ok(HttpResponse::Created().json(link(project, task_type, software)))
}

async fn remove_software(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, task_type) = software_editor(&ctx, &path.0, &path.1).await?;
    let software = Uuid::parse_str(&path.2)
        .map_err(|_| ApiError::bad_request("task_type_id and software_id must be valid UUIDs."))?;
    let mut tx = state.db.begin().await?;
    let removed = tx
        .execute(
            "DELETE FROM project_task_type_software_link WHERE project_id = $1 AND task_type_id = $2 AND software_id = $3",
            &[project.into(), task_type.into(), software.into()],
        )
        .await?;
    if removed > 0 {
        project_updated(&mut tx, &identity, project).await?;
        tx.commit().await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
