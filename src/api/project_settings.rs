//! A project's setup: its listings (`/open`, `/all`), its team and roles, and
//! the task types, statuses, asset types, automations and backgrounds it uses.

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::projects::{project_settings, PROJECTS};
use crate::crud::scope::{team_projects, team_role};
use crate::crud::{read_rows, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::persons::hide_secrets;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

type Handler = fn(actix_web::Route) -> actix_web::Route;

pub(super) fn routes() -> Vec<Route> {
    let p = "/data/projects/{project_id}";
    let routes: Vec<(Method, String, &str, Handler)> = vec![
        (
            Method::GET,
            "/data/projects/open".into(),
            "Get open projects",
            |r| r.to(open_projects),
        ),
        (
            Method::GET,
            "/data/projects/all".into(),
            "Get all projects of the team",
            |r| r.to(all_projects),
        ),
        (
            Method::GET,
            format!("{p}/team"),
            "Get the project team",
            |r| r.to(team),
        ),
        (
            Method::POST,
            format!("{p}/team"),
            "Add a person to the team",
            |r| r.to(add_to_team),
        ),
        (
            Method::PUT,
            format!("{p}/team/{{person_id}}"),
            "Set a team member's project role",
            |r| r.to(set_team_role),
        ),
        (
            Method::DELETE,
            format!("{p}/team/{{person_id}}"),
            "Remove a person from the team",
            |r| r.to(remove_from_team),
        ),
        (
            Method::POST,
            format!("{p}/settings/asset-types"),
            "Add an asset type to the project",
            |r| r.to(add_asset_type),
        ),
        (
            Method::DELETE,
            format!("{p}/settings/asset-types/{{asset_type_id}}"),
            "Remove an asset type",
            |r| r.to(remove_asset_type),
        ),
        (
            Method::GET,
            format!("{p}/settings/status-automations"),
            "Get the project's status automations",
            |r| r.to(status_automations),
        ),
        (
            Method::POST,
            format!("{p}/settings/status-automations"),
            "Add a status automation",
            |r| r.to(add_status_automation),
        ),
        (
            Method::DELETE,
            format!("{p}/settings/status-automations/{{status_automation_id}}"),
            "Remove a status automation",
            |r| r.to(remove_status_automation),
        ),
        (
            Method::GET,
            format!("{p}/settings/preview-background-files"),
            "Get the project's preview backgrounds",
            |r| r.to(backgrounds),
        ),
        (
            Method::POST,
            format!("{p}/settings/preview-background-files"),
            "Add a preview background",
            |r| r.to(add_background),
        ),
        (
            Method::DELETE,
            format!("{p}/settings/preview-background-files/{{preview_background_file_id}}"),
            "Remove a preview background",
            |r| r.to(remove_background),
        ),
        (
            Method::GET,
            format!("{p}/task-types"),
            "Get the project's task types",
            |r| r.to(task_types),
        ),
        (
            Method::POST,
            format!("{p}/settings/task-types"),
            "Add a task type to the project",
            |r| r.to(add_task_type),
        ),
        (
            Method::DELETE,
            format!("{p}/settings/task-types/{{task_type_id}}"),
            "Remove a task type",
            |r| r.to(remove_task_type),
        ),
        (
            Method::GET,
            format!("{p}/settings/task-status"),
            "Get the project's task statuses",
            |r| r.to(task_statuses),
        ),
        (
            Method::POST,
            format!("{p}/settings/task-status"),
            "Add a task status to the project",
            |r| r.to(add_task_status),
        ),
        (
            Method::PUT,
            format!("{p}/settings/task-status/{{task_status_id}}"),
            "Set a task status's client access",
            |r| r.to(set_task_status),
        ),
        (
            Method::DELETE,
            format!("{p}/settings/task-status/{{task_status_id}}"),
            "Remove a task status",
            |r| r.to(remove_task_status),
        ),
        (
            Method::POST,
            format!("{p}/settings/batch"),
            "Set several project settings at once",
            |r| r.to(batch),
        ),
        (
            Method::GET,
            format!("{p}/milestones"),
            "Get the project's milestones",
            |r| r.to(milestones),
        ),
        (
            Method::GET,
            format!("{p}/schedule-items"),
            "Get the project's schedule items",
            |r| r.to(schedule_items),
        ),
    ];
    routes
        .into_iter()
        .map(|(method, path, summary, attach)| Route::new(method, path, summary, attach))
        .collect()
}

/// The project named in the path, which must exist (404 otherwise).
async fn project(state: &AppState, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    state
        .db
        .fetch_optional(
            "SELECT * FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

fn id_value(row: &Row) -> Value {
    Value::from_json(crate::db::ColumnKind::Uuid, &row["id"]).unwrap_or(Value::Null)
}

/// The caller's role on the project (403 outside the team).
async fn member(state: &AppState, identity: &Identity, project: &Row) -> ApiResult<Role> {
    let id =
        Uuid::parse_str(project["id"].as_str().unwrap_or_default()).map_err(ApiError::internal)?;
    identity.project_role(&state.db, id).await
}

async fn manager(state: &AppState, identity: &Identity, project: &Row) -> ApiResult<()> {
    match member(state, identity, project).await? {
        Role::Admin | Role::Manager => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// The project as the setting routes answer it: its columns, no relations.
fn serialized(mut project: Row) -> Json {
    project.insert("type".into(), json!("Project"));
    Json::Object(project)
}

async fn project_updated(tx: &mut Tx, identity: &Identity, project: &Row) -> ApiResult<()> {
    let id = project["id"].as_str().unwrap_or_default();
    Event::new("project:update", "project_id", id)
        .in_project(Uuid::parse_str(id).ok())
        .record(tx, identity.person.id)
        .await?;
    Ok(())
}

fn body(bytes: &[u8]) -> ApiResult<Map<String, Json>> {
    if bytes.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(body)) => Ok(body),
        Ok(Json::Null) => Ok(Map::new()),
        _ => Err(ApiError::invalid_field(
            "",
            "Input should be a valid dictionary",
        )),
    }
}

/// A required id in the body, which must name a row of `table` (`model` names it in errors).
async fn target(
    state: &AppState,
    fields: &Map<String, Json>,
    key: &str,
    table: &str,
    model: &str,
) -> ApiResult<Uuid> {
    let text = match fields.get(key) {
        Some(Json::String(text)) if !text.is_empty() => text.clone(),
        Some(Json::String(_)) => {
            return Err(ApiError::invalid_field(
                key,
                "String should have at least 1 character",
            ))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                key,
                "Input should be a valid string",
            ))
        }
        None => return Err(ApiError::invalid_field(key, "Field required")),
    };
    let not_found = || ApiError::bad_request(format!("{model} with id {text} not found"));
    let id = Uuid::parse_str(&text).map_err(|_| not_found())?;
    let exists = state
        .db
        .fetch_optional(
            &format!("SELECT id FROM {table} WHERE id = $1"),
            &[id.into()],
            None,
        )
        .await?
        .is_some();
    if exists {
        Ok(id)
    } else {
        Err(not_found())
    }
}

/// Links a row to the project (a no-op when it already is); answers the project.
async fn add_link(
    state: &AppState,
    identity: &Identity,
    project_id: &str,
    body_bytes: &[u8],
    (key, link_table, target_table, model): (&str, &str, &str, &str),
) -> ApiResult<HttpResponse> {
    let project = project(state, project_id).await?;
    manager(state, identity, &project).await?;
    let fields = body(body_bytes)?;
    let target = target(state, &fields, key, target_table, model).await?;
    let mut tx = state.db.begin().await?;
    let linked = tx
        .fetch_optional(
            &format!("SELECT project_id FROM {link_table} WHERE project_id = $1 AND {key} = $2"),
            &[id_value(&project), target.into()],
            None,
        )
        .await?
        .is_some();
    let mut answer = project.clone();
    if !linked {
        let stamp = now();
        let mut values: Vec<(&str, Value)> =
            vec![("project_id", id_value(&project)), (key, target.into())];
        let schema = state.db.schema().table(link_table);
        if schema.is_some_and(|t| t.kind("id").is_some()) {
            values.push(("id", Uuid::now_v7().into()));
            values.push(("created_at", stamp.into()));
            values.push(("updated_at", stamp.into()));
        }
        tx.insert(link_table, &values).await?;
        answer = touch_project(&mut tx, &project).await?;
        project_updated(&mut tx, identity, &project).await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Created().json(serialized(answer)))
}

async fn touch_project(tx: &mut Tx, project: &Row) -> ApiResult<Row> {
    tx.fetch_optional(
        "UPDATE project SET updated_at = $1 WHERE id = $2 RETURNING *",
        &[now().into(), id_value(project)],
        Some("project"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// Unlinks a row from the project; always 204.
async fn remove_link(
    state: &AppState,
    identity: &Identity,
    project_id: &str,
    target: &str,
    (key, link_table): (&str, &str),
) -> ApiResult<HttpResponse> {
    let project = project(state, project_id).await?;
    manager(state, identity, &project).await?;
    let mut tx = state.db.begin().await?;
    if let Ok(target) = Uuid::parse_str(target) {
        tx.execute(
            &format!("DELETE FROM {link_table} WHERE project_id = $1 AND {key} = $2"),
            &[id_value(&project), target.into()],
        )
        .await?;
    }
    touch_project(&mut tx, &project).await?;
    project_updated(&mut tx, identity, &project).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

type Path2 = web::Path<(String, String)>;

const ASSET_TYPES: (&str, &str, &str, &str) = (
    "asset_type_id",
    "project_asset_type_link",
    "entity_type",
    "EntityType",
);
const AUTOMATIONS: (&str, &str, &str, &str) = (
    "status_automation_id",
    "project_status_automation_link",
    "status_automation",
    "StatusAutomation",
);
const BACKGROUNDS: (&str, &str, &str, &str) = (
    "preview_background_file_id",
    "project_preview_background_file_link",
    "preview_background_file",
    "PreviewBackgroundFile",
);
const STATUSES: (&str, &str, &str, &str) = (
    "task_status_id",
    "project_task_status_link",
    "task_status",
    "TaskStatus",
);

async fn add_asset_type(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    add_link(&state, &identity, &p, &b, ASSET_TYPES).await
}
async fn remove_asset_type(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(
        &state,
        &identity,
        &p.0,
        &p.1,
        (ASSET_TYPES.0, ASSET_TYPES.1),
    )
    .await
}
async fn add_status_automation(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    add_link(&state, &identity, &p, &b, AUTOMATIONS).await
}
async fn remove_status_automation(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(
        &state,
        &identity,
        &p.0,
        &p.1,
        (AUTOMATIONS.0, AUTOMATIONS.1),
    )
    .await
}
async fn add_background(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    add_link(&state, &identity, &p, &b, BACKGROUNDS).await
}
async fn remove_background(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(
        &state,
        &identity,
        &p.0,
        &p.1,
        (BACKGROUNDS.0, BACKGROUNDS.1),
    )
    .await
}
async fn add_task_status(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    add_link(&state, &identity, &p, &b, STATUSES).await
}
async fn remove_task_status(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(&state, &identity, &p.0, &p.1, (STATUSES.0, STATUSES.1)).await
}
async fn remove_task_type(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(
        &state,
        &identity,
        &p.0,
        &p.1,
        ("task_type_id", "project_task_type_link"),
    )
    .await
}

/// The rows of `table` linked to the project, as their models serialize them.
async fn linked(
    state: &AppState,
    project: &Row,
    table: &str,
    link_table: &str,
    key: &str,
    type_name: &str,
) -> ApiResult<Json> {
    let rows = state
        .db
        .fetch_all(
            &format!("SELECT t.* FROM {table} t JOIN {link_table} l ON l.{key} = t.id WHERE l.project_id = $1 ORDER BY t.name, t.id"),
            &[id_value(project)],
            Some(table),
        )
        .await?;
    Ok(Json::Array(
        rows.into_iter()
            .map(|mut row| {
                row.insert("type".into(), json!(type_name));
                Json::Object(row)
            })
            .collect(),
    ))
}

async fn status_automations(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    manager(&state, &identity, &project).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT t.* FROM status_automation t JOIN project_status_automation_link l ON l.status_automation_id = t.id \
             WHERE l.project_id = $1 ORDER BY t.created_at, t.id",
            &[id_value(&project)],
            Some("status_automation"),
        )
        .await?;
    let rows: Vec<Json> = super::typed(rows, "StatusAutomation");
    Ok(HttpResponse::Ok().json(rows))
}

async fn backgrounds(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    member(&state, &identity, &project).await?;
    Ok(HttpResponse::Ok().json(
        linked(
            &state,
            &project,
            "preview_background_file",
            BACKGROUNDS.1,
            BACKGROUNDS.0,
            "PreviewBackgroundFile",
        )
        .await?,
    ))
}

async fn task_types(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    member(&state, &identity, &project).await?;
    Ok(HttpResponse::Ok().json(
        linked(
            &state,
            &project,
            "task_type",
            "project_task_type_link",
            "task_type_id",
            "TaskType",
        )
        .await?,
    ))
}

async fn task_statuses(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    member(&state, &identity, &project).await?;
    Ok(HttpResponse::Ok().json(
        linked(
            &state,
            &project,
            "task_status",
            STATUSES.1,
            STATUSES.0,
            "TaskStatus",
        )
        .await?,
    ))
}

/// A bitrate setting: Mbit/s between 1 and 28, or null.
fn bitrate(fields: &Map<String, Json>, key: &str) -> ApiResult<Value> {
    match fields.get(key) {
        None | Some(Json::Null) => Ok(Value::Null),
        Some(value) => match value.as_i64() {
            Some(rate) if (1..=28).contains(&rate) => Ok(Value::Int(rate)),
            _ => Err(ApiError::bad_request(format!(
                "Invalid bitrate {value}. Expected an integer number of Mbit/s between 1 and 28."
            ))),
        },
    }
}

async fn add_task_type(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    manager(&state, &identity, &project).await?;
    let fields = body(&b)?;
    let task_type = fields
        .get("task_type_id")
        .and_then(Json::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            ApiError::bad_request("task_type_id is required and must be a valid UUID")
        })?;
    let known = state
        .db
        .fetch_optional(
            "SELECT id FROM task_type WHERE id = $1",
            &[task_type.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::bad_request(format!(
            "TaskType with id {task_type} not found"
        )));
    }
    let bitrates = fields.contains_key("hd_bitrate_compression")
        || fields.contains_key("ld_bitrate_compression");
    let (hd, ld) = (
        bitrate(&fields, "hd_bitrate_compression")?,
        bitrate(&fields, "ld_bitrate_compression")?,
    );
    if let Value::Int(low) = ld {
        let high = match hd {
            Value::Int(high) => high,
            _ => project["hd_bitrate_compression"].as_i64().unwrap_or(28),
        };
        if low > high {
            return Err(ApiError::bad_request(format!(
                "The low definition bitrate ({low}) cannot exceed the high definition one ({high})."
            )));
        }
    }
    let priority = match fields.get("priority") {
        None | Some(Json::Null) => Value::Null,
        Some(value) => Value::Int(value.as_i64().ok_or_else(|| {
            ApiError::invalid_field("priority", "Input should be a valid integer")
        })?),
    };
    let visible = fields.get("is_client_visible").and_then(Json::as_bool);
    let mut tx = state.db.begin().await?;
    let link = tx
        .fetch_optional(
            "SELECT id FROM project_task_type_link WHERE project_id = $1 AND task_type_id = $2",
            &[id_value(&project), task_type.into()],
            None,
        )
        .await?;
    match link {
        None => {
            let stamp = now();
            let mut values: Vec<(&str, Value)> = vec![
                ("id", Uuid::now_v7().into()),
                ("project_id", id_value(&project)),
                ("task_type_id", task_type.into()),
                ("priority", priority),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ];
            if bitrates {
                values.push(("hd_bitrate_compression", hd));
                values.push(("ld_bitrate_compression", ld));
            }
            if let Some(visible) = visible {
                values.push(("is_client_visible", visible.into()));
            }
            tx.insert("project_task_type_link", &values).await?;
        }
        Some(link) => {
            let link = Value::from_json(crate::db::ColumnKind::Uuid, &link["id"])
                .map_err(ApiError::internal)?;
            if bitrates {
                tx.execute(
                    "UPDATE project_task_type_link SET hd_bitrate_compression = $1, ld_bitrate_compression = $2 WHERE id = $3",
                    &[hd, ld, link.clone()],
                )
                .await?;
            }
            if let Some(visible) = visible {
                tx.execute(
                    "UPDATE project_task_type_link SET is_client_visible = $1 WHERE id = $2",
                    &[visible.into(), link],
                )
                .await?;
            }
        }
    }
    let answer = touch_project(&mut tx, &project).await?;
    project_updated(&mut tx, &identity, &project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(serialized(answer)))
}

async fn set_task_status(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p.0).await?;
    manager(&state, &identity, &project).await?;
    let fields = body(&b)?;
    let allowed = match fields.get("is_client_allowed") {
        None => {
            return Err(ApiError::invalid_field(
                "is_client_allowed",
                "Field required",
            ))
        }
        Some(Json::Null) => Value::Null,
        Some(Json::Bool(allowed)) => Value::Bool(*allowed),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "is_client_allowed",
                "Input should be a valid boolean",
            ))
        }
    };
    let status = Uuid::parse_str(&p.1).map_err(|_| ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let mut link = tx
        .fetch_optional(
            "UPDATE project_task_status_link SET is_client_allowed = $1, updated_at = $2 \
             WHERE project_id = $3 AND task_status_id = $4 RETURNING *",
            &[allowed, now().into(), id_value(&project), status.into()],
            Some("project_task_status_link"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    project_updated(&mut tx, &identity, &project).await?;
    tx.commit().await?;
    link.insert("type".into(), json!("ProjectTaskStatusLink"));
    Ok(HttpResponse::Ok().json(link))
}

/// `{person_id, role?}`: the role must be one a project can give.
fn team_role_field(fields: &Map<String, Json>) -> ApiResult<Option<Role>> {
    match fields.get("role") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(role)) => match role.parse::<Role>() {
            Ok(role) if role != Role::Admin => Ok(Some(role)),
            _ => Err(ApiError::invalid_field(
                "role",
                "Input should be 'user', 'supervisor', 'manager', 'client' or 'vendor'",
            )),
        },
        Some(_) => Err(ApiError::invalid_field(
            "role",
            "Input should be a valid string",
        )),
    }
}

async fn team(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    let role = member(&state, &identity, &project).await?;
    let members = state
        .db
        .fetch_all(
            "SELECT p.*, l.role AS project_role FROM person p JOIN project_person_link l ON l.person_id = p.id \
             WHERE l.project_id = $1 ORDER BY p.first_name, p.last_name, p.id",
            &[id_value(&project)],
            Some("person"),
        )
        .await?;
    let departments = state
        .db
        .fetch_all(
            "SELECT d.person_id, d.department_id FROM department_link d JOIN project_person_link l \
             ON l.person_id = d.person_id WHERE l.project_id = $1 ORDER BY d.department_id",
            &[id_value(&project)],
            None,
        )
        .await?;
    const CLIENT: [&str; 10] = [
        "id",
        "type",
        "first_name",
        "last_name",
        "full_name",
        "has_avatar",
        "active",
        "role",
        "is_bot",
        "project_role",
    ];
    const MINIMAL: [&str; 13] = [
        "id",
        "type",
        "first_name",
        "last_name",
        "full_name",
        "has_avatar",
        "active",
        "role",
        "is_bot",
        "project_role",
        "departments",
        "studio_id",
        "desktop_login",
    ];
    let rows: Vec<Json> = members
        .into_iter()
        .map(|mut person| {
            let full_name = format!(
                "{} {}",
                person["first_name"].as_str().unwrap_or(""),
                person["last_name"].as_str().unwrap_or("")
            );
            person.insert("full_name".into(), json!(full_name.trim()));
            person.insert("type".into(), json!("Person"));
            hide_secrets(&mut person);
            let theirs: Vec<Json> = departments
                .iter()
                .filter(|d| d["person_id"] == person["id"])
                .map(|d| d["department_id"].clone())
                .collect();
            match role {
                Role::Admin | Role::Manager => {
                    person.insert("departments".into(), json!(theirs));
                }
                Role::Client => person.retain(|key, _| CLIENT.contains(&key.as_str())),
                _ => {
                    person.insert("departments".into(), json!([]));
                    person.retain(|key, _| MINIMAL.contains(&key.as_str()));
                }
            }
            Json::Object(person)
        })
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

/// Sets a member's project role (`None` clears it); refused for preview accounts.
async fn write_team_role(
    tx: &mut Tx,
    project: &Row,
    person: Uuid,
    role: Option<Role>,
) -> ApiResult<bool> {
    let preview = tx
        .fetch_optional(
            "SELECT preview_project_id FROM person WHERE id = $1",
            &[person.into()],
            None,
        )
        .await?
        .is_some_and(|p| !p["preview_project_id"].is_null());
    if preview {
        return Err(ApiError::bad_request(
            "A preview account keeps its client role",
        ));
    }
    let changed = tx
        .execute(
            "UPDATE project_person_link SET role = $1 WHERE project_id = $2 AND person_id = $3",
            &[
                role.map(|r| r.as_str().to_string()).into(),
                id_value(project),
                person.into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

async fn add_to_team(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    manager(&state, &identity, &project).await?;
    let fields = body(&b)?;
    let role = team_role_field(&fields)?;
    let person = target(&state, &fields, "person_id", "person", "Person").await?;
    let preview_elsewhere = state
        .db
        .fetch_optional(
            "SELECT preview_project_id FROM person WHERE id = $1",
            &[person.into()],
            None,
        )
        .await?
        .and_then(|p| p["preview_project_id"].as_str().map(str::to_string))
        .is_some_and(|other| Some(other.as_str()) != project["id"].as_str());
    if preview_elsewhere {
        return Err(ApiError::bad_request(
            "A preview account can only belong to its own project",
        ));
    }
    let mut tx = state.db.begin().await?;
    let linked = tx
        .fetch_optional(
            "SELECT person_id FROM project_person_link WHERE project_id = $1 AND person_id = $2",
            &[id_value(&project), person.into()],
            None,
        )
        .await?
        .is_some();
    let mut answer = project.clone();
    if !linked {
        tx.insert(
            "project_person_link",
            &[
                ("project_id", id_value(&project)),
                ("person_id", person.into()),
            ],
        )
        .await?;
        answer = touch_project(&mut tx, &project).await?;
        project_updated(&mut tx, &identity, &project).await?;
    }
    if role.is_some() {
        write_team_role(&mut tx, &project, person, role).await?;
        project_updated(&mut tx, &identity, &project).await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Created().json(serialized(answer)))
}

async fn set_team_role(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p.0).await?;
    manager(&state, &identity, &project).await?;
    let role = team_role_field(&body(&b)?)?;
    let person = Uuid::parse_str(&p.1)
        .map_err(|_| ApiError::bad_request("Person is not a member of the project team"))?;
    let mut tx = state.db.begin().await?;
    if !write_team_role(&mut tx, &project, person, role).await? {
        return Err(ApiError::bad_request(
            "Person is not a member of the project team",
        ));
    }
    project_updated(&mut tx, &identity, &project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({
        "project_id": project["id"],
        "person_id": person,
        "role": role.map(Role::as_str),
    })))
}

async fn remove_from_team(
    state: web::Data<AppState>,
    identity: Identity,
    p: Path2,
) -> ApiResult<HttpResponse> {
    remove_link(
        &state,
        &identity,
        &p.0,
        &p.1,
        ("person_id", "project_person_link"),
    )
    .await
}

/// Open projects: all of them for admins, those of the team for others,
/// with their relations and settings.
async fn open_projects(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(open_project_rows(&ctx, ctx.param("name")).await?))
}

/// The open projects the caller sees (every one for admins, their team's
/// otherwise), by name, with their settings as each caller's role there shows them.
pub(super) async fn open_project_rows(ctx: &Ctx<'_>, name: Option<&str>) -> ApiResult<Vec<Row>> {
    let mut sql = String::from(concat!(
        "SELECT * FROM project WHERE project_status_id IN (",
        crate::crud::scope::open_statuses_sql!(),
        ")"
    ));
    let mut params: Vec<Value> = Vec::new();
    if !ctx.identity.is_admin() {
        let team = team_projects(ctx.identity.person.id, false);
        sql.push_str(&format!(" AND id IN ({})", team.sql.replace('?', "$1")));
        params.extend(team.params);
    }
    if let Some(name) = name {
        params.push(name.into());
        sql.push_str(&format!(" AND name = ${}", params.len()));
    }
    sql.push_str(" ORDER BY name");
    let rows = ctx.db().fetch_all(&sql, &params, Some("project")).await?;
    let mut rows = read_rows(ctx, &PROJECTS, rows, true).await?;
    for row in rows.iter_mut() {
        let role = team_role(ctx, row.get("id")).await?;
        project_settings(ctx, row, role).await?;
        row.remove("project_status_name");
    }
    Ok(rows)
}

async fn all_projects(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut sql = String::from("SELECT * FROM project WHERE project_status_id IS NOT NULL");
    let mut params: Vec<Value> = Vec::new();
    if !identity.is_admin() {
        let team = team_projects(identity.person.id, false);
        sql.push_str(&format!(" AND id IN ({})", team.sql.replace('?', "$1")));
        params.extend(team.params);
    }
    if let Some(name) = ctx.param("name") {
        params.push(name.into());
        sql.push_str(&format!(" AND lower(name) = lower(${})", params.len()));
    }
    sql.push_str(" ORDER BY name");
    let rows = state.db.fetch_all(&sql, &params, Some("project")).await?;
    if ctx.param("name").is_some() && rows.is_empty() {
        return Err(ApiError::NotFound);
    }
    let rows: Vec<Json> = rows.into_iter().map(serialized).collect();
    Ok(HttpResponse::Ok().json(rows))
}

async fn milestones(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    if member(&state, &identity, &project).await? == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let rows = state
        .db
        .fetch_all(
            "SELECT id, date, name, project_id, task_type_id FROM milestone WHERE project_id = $1 ORDER BY date, name",
            &[id_value(&project)],
            Some("milestone"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn schedule_items(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    if matches!(
        member(&state, &identity, &project).await?,
        Role::Client | Role::Vendor
    ) {
        return Err(ApiError::Forbidden);
    }
    let rows = state
        .db
        .fetch_all(
            "SELECT * FROM schedule_item WHERE project_id = $1 ORDER BY start_date, id",
            &[id_value(&project)],
            Some("schedule_item"),
        )
        .await?;
    let rows: Vec<Json> = super::typed(rows, "ScheduleItem");
    Ok(HttpResponse::Ok().json(rows))
}

/// Ids in a batch list: each must be a UUID; rows that do not exist are skipped, as in Zou.
async fn existing_ids(tx: &mut Tx, table: &str, ids: &[Json], field: &str) -> ApiResult<Vec<Uuid>> {
    let mut found = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let id = id
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| {
                ApiError::invalid_field(&format!("{field}.{index}"), "Input should be a valid UUID")
            })?;
        let exists = tx
            .fetch_optional(
                &format!("SELECT id FROM {table} WHERE id = $1"),
                &[id.into()],
                None,
            )
            .await?
            .is_some();
        if exists && !found.contains(&id) {
            found.push(id);
        }
    }
    Ok(found)
}

/// Several settings in one request, applied in one transaction: task types
/// (with priorities and client visibility, optionally replacing the others),
/// task statuses and asset types (added).
async fn batch(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let project = project(&state, &p).await?;
    manager(&state, &identity, &project).await?;
    let fields = body(&b)?;
    let list = |key: &str| -> ApiResult<Vec<Json>> {
        match fields.get(key) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => Ok(items.clone()),
            Some(_) => Err(ApiError::invalid_field(key, "Input should be a valid list")),
        }
    };
    let task_types = list("task_types")?;
    let replace = match fields.get("replace_task_types") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(replace)) => *replace,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "replace_task_types",
                "Input should be a valid boolean",
            ))
        }
    };
    let mut tx = state.db.begin().await?;
    let mut kept: Vec<Uuid> = Vec::new();
    for (index, entry) in task_types.iter().enumerate() {
        let task_type = entry
            .get("task_type_id")
            .and_then(Json::as_str)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    &format!("task_types.{index}.task_type_id"),
                    "Input should be a valid UUID",
                )
            })?;
        let entry = entry.as_object().cloned().unwrap_or_default();
        let (hd, ld) = (
            bitrate(&entry, "hd_bitrate_compression")?,
            bitrate(&entry, "ld_bitrate_compression")?,
        );
        let exists = tx
            .fetch_optional(
                "SELECT id FROM task_type WHERE id = $1",
                &[task_type.into()],
                None,
            )
            .await?
            .is_some();
        if !exists {
            continue;
        }
        kept.push(task_type);
        let priority = entry
            .get("priority")
            .and_then(Json::as_i64)
            .map_or(Value::Null, Value::Int);
        let visible = entry.get("is_client_visible").and_then(Json::as_bool);
        let link = tx
            .fetch_optional(
                "SELECT id FROM project_task_type_link WHERE project_id = $1 AND task_type_id = $2",
                &[id_value(&project), task_type.into()],
                None,
            )
            .await?;
        match link {
            None => {
                let stamp = now();
                let mut values: Vec<(&str, Value)> = vec![
                    ("id", Uuid::now_v7().into()),
                    ("project_id", id_value(&project)),
                    ("task_type_id", task_type.into()),
                    ("priority", priority),
                    ("hd_bitrate_compression", hd),
                    ("ld_bitrate_compression", ld),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ];
                if let Some(visible) = visible {
                    values.push(("is_client_visible", visible.into()));
                }
                tx.insert("project_task_type_link", &values).await?;
            }
            Some(link) => {
                let link = Value::from_json(crate::db::ColumnKind::Uuid, &link["id"])
                    .map_err(ApiError::internal)?;
                if priority != Value::Null {
                    tx.execute(
                        "UPDATE project_task_type_link SET priority = $1 WHERE id = $2",
                        &[priority, link.clone()],
                    )
                    .await?;
                }
                if let Some(visible) = visible {
                    tx.execute(
                        "UPDATE project_task_type_link SET is_client_visible = $1 WHERE id = $2",
                        &[visible.into(), link],
                    )
                    .await?;
                }
            }
        }
    }
    if replace {
        let links = tx
            .fetch_all(
                "SELECT id, task_type_id FROM project_task_type_link WHERE project_id = $1",
                &[id_value(&project)],
                None,
            )
            .await?;
        for link in links {
            let task_type = link["task_type_id"]
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok());
            if task_type.is_some_and(|t| !kept.contains(&t)) {
                tx.execute(
                    "DELETE FROM project_task_type_link WHERE id = $1",
                    &[Value::from_json(crate::db::ColumnKind::Uuid, &link["id"])
                        .map_err(ApiError::internal)?],
                )
                .await?;
            }
        }
    }
    for (key, table, link_table, column) in [
        (
            "task_status_ids",
            "task_status",
            "project_task_status_link",
            "task_status_id",
        ),
        (
            "asset_type_ids",
            "entity_type",
            "project_asset_type_link",
            "asset_type_id",
        ),
    ] {
        for id in existing_ids(&mut tx, table, &list(key)?, key).await? {
            let linked = tx
                .fetch_optional(
                    &format!("SELECT project_id FROM {link_table} WHERE project_id = $1 AND {column} = $2"),
                    &[id_value(&project), id.into()],
                    None,
                )
                .await?
                .is_some();
            if !linked {
                let mut values: Vec<(&str, Value)> =
                    vec![("project_id", id_value(&project)), (column, id.into())];
                if state
                    .db
                    .schema()
                    .table(link_table)
                    .is_some_and(|t| t.kind("id").is_some())
                {
                    let stamp = now();
                    values.extend([
                        ("id", Uuid::now_v7().into()),
                        ("created_at", stamp.into()),
                        ("updated_at", stamp.into()),
                    ]);
                }
                tx.insert(link_table, &values).await?;
            }
        }
    }
    let answer = touch_project(&mut tx, &project).await?;
    project_updated(&mut tx, &identity, &project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(serialized(answer)))
}
