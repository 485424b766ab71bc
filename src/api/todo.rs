//! To-do lists: the tasks assigned to a person, open or done, with what
//! Kitsu needs to name and route them (`/data/user/tasks`, `/data/persons/{id}/tasks`).

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::db::{Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/tasks",
            "Get the caller's open tasks",
            |r| r.to(|s, i, r| mine(s, i, r, false)),
        ),
        Route::new(
            Method::GET,
            "/data/user/done-tasks",
            "Get the caller's done tasks",
            |r| r.to(|s, i, r| mine(s, i, r, true)),
        ),
        Route::new(
            Method::GET,
            "/data/persons/{person_id}/tasks",
            "Get a person's open tasks",
            |r| r.to(|s, i, p, r| theirs(s, i, p, r, false)),
        ),
        Route::new(
            Method::GET,
            "/data/persons/{person_id}/done-tasks",
            "Get a person's done tasks",
            |r| r.to(|s, i, p, r| theirs(s, i, p, r, true)),
        ),
    ]
}

/// The open projects a caller looks at: an admin's are all of them when
/// reading someone else's list, otherwise those of the caller's team.
pub(super) fn open_projects(viewer: &Identity, all: bool) -> (String, Vec<Value>) {
    let open = concat!(
        "SELECT p.id FROM project p WHERE p.project_status_id IN (",
        crate::crud::scope::open_statuses_sql!(),
        ")"
    );
    if all {
        (open.to_string(), Vec::new())
    } else {
        (
            format!("{open} AND p.id IN (SELECT project_id FROM project_person_link WHERE person_id = ?)"),
            vec![viewer.person.id.into()],
        )
    }
}

/// Numbers `?` placeholders from `$first` on.
fn numbered(sql: &str, first: usize) -> String {
    let mut out = String::new();
    let mut n = first;
    for (index, part) in sql.split('?').enumerate() {
        if index > 0 {
            out.push_str(&format!("${n}"));
            n += 1;
        }
        out.push_str(part);
    }
    out
}

/// The columns of a task row as the to-do and production lists show it,
/// read from the joins of [`TASK_ROW_JOINS`].
pub(super) const TASK_ROW_COLUMNS: &str = "t.*, p.name AS project_name, p.has_avatar AS project_has_avatar, \
    e.name AS entity_name, e.description AS entity_description, e.preview_file_id AS entity_preview_file_id, \
    e.source_id AS entity_source_id, et.name AS entity_type_name, e.canceled AS entity_canceled, \
    e.parent_id AS entity_parent_id, par.name AS parent_name, par.parent_id AS grandparent_id, gp.name AS grandparent_name, \
    src.name AS source_name, srct.name AS source_type_name, \
    tt.name AS task_type_name, tt.color AS task_type_color, tt.for_entity AS task_type_for_entity, \
    ts.name AS task_status_name, ts.color AS task_status_color, ts.short_name AS task_status_short_name";

/// What a task row names: its project, type, status, entity, the entity's
/// parent (`par`, the "sequence"), grandparent (`gp`, the "episode") and source.
pub(super) const TASK_ROW_JOINS: &str = "JOIN project p ON p.id = t.project_id JOIN task_type tt ON tt.id = t.task_type_id \
    JOIN task_status ts ON ts.id = t.task_status_id \
    JOIN entity e ON e.id = t.entity_id JOIN entity_type et ON et.id = e.entity_type_id \
    LEFT JOIN entity par ON par.id = e.parent_id LEFT JOIN entity gp ON gp.id = par.parent_id \
    LEFT JOIN entity src ON src.id = e.source_id LEFT JOIN entity_type srct ON srct.id = src.entity_type_id";

/// The tasks a to-do list shows, and how.
pub(super) struct Selection {
    /// SQL selecting task ids, with `$1`... placeholders for `params`.
    pub sql: String,
    pub params: Vec<Value>,
    /// An `ORDER BY` list over the aliases of [`TASK_ROW_JOINS`].
    pub order: String,
    /// A page: `(limit, offset)`.
    pub page: Option<(i64, i64)>,
    /// Whether rows name the episodes their entity is cast in.
    pub cast_episodes: bool,
}

/// The helper columns of [`TASK_ROW_COLUMNS`] that rows do not show.
pub(super) const TASK_ROW_HELPERS: [&str; 6] = [
    "parent_name",
    "grandparent_id",
    "grandparent_name",
    "source_name",
    "source_type_name",
    "entity_parent_id",
];

pub(super) fn as_bool(value: &Json) -> Json {
    match value {
        Json::Number(n) => json!(n.as_i64().unwrap_or(0) != 0),
        other => other.clone(),
    }
}

pub(super) fn or_empty(value: &Json) -> Json {
    if value.is_null() {
        json!("")
    } else {
        value.clone()
    }
}

/// The episode a task's entity belongs to, as the to-do list names it.
pub(super) fn episode(row: &Row) -> (Json, Json) {
    let kind = row["entity_type_name"].as_str();
    if kind == Some("Sequence") && !row["entity_parent_id"].is_null() {
        return (row["entity_parent_id"].clone(), row["parent_name"].clone());
    }
    if !row["grandparent_id"].is_null() {
        return (
            row["grandparent_id"].clone(),
            row["grandparent_name"].clone(),
        );
    }
    if !row["entity_source_id"].is_null() {
        let name = if row["source_type_name"] == json!("Episode") {
            row["source_name"].clone()
        } else {
            json!("MP")
        };
        return (row["entity_source_id"].clone(), name);
    }
    (json!(""), Json::Null)
}

/// `person`'s open or done tasks in the projects `scope` selects.
fn assigned(person: Uuid, done: bool, scope: (String, Vec<Value>)) -> Selection {
    let (projects, scope_params) = scope;
    let mut params = vec![Value::Uuid(person), Value::Bool(done)];
    params.extend(scope_params);
    let order = if done {
        "t.end_date IS NULL DESC, t.end_date DESC, tt.name, e.name, t.id"
    } else {
        "p.name, e.name, tt.name, t.id"
    };
    Selection {
        sql: format!(
            "SELECT t.id FROM task t JOIN task_person_link a ON a.task_id = t.id AND a.person_id = $1 \
             JOIN task_status ts ON ts.id = t.task_status_id AND ts.is_done = $2 WHERE t.project_id IN ({})",
            numbered(&projects, 3)
        ),
        params,
        order: order.into(),
        page: None,
        cast_episodes: true,
    }
}

/// The to-do rows of the selected tasks.
pub(super) async fn rows(db: &crate::db::Db, selection: Selection) -> ApiResult<Vec<Json>> {
    let Selection {
        sql,
        params,
        order,
        page,
        cast_episodes,
    } = selection;
    let limit = page.map_or(String::new(), |(limit, offset)| {
        format!(" LIMIT {limit} OFFSET {offset}")
    });
    let shown =
        format!("FROM task t {TASK_ROW_JOINS} WHERE t.id IN ({sql}) ORDER BY {order}{limit}");
    let tasks = db
        .fetch_all(
            &format!("SELECT {TASK_ROW_COLUMNS} {shown}"),
            &params,
            Some("task"),
        )
        .await?;
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let selected = if page.is_some() {
        format!("SELECT t.id {shown}")
    } else {
        sql
    };
    let data = db
        .fetch_all(&format!("SELECT e.id, e.data FROM entity e WHERE e.id IN (SELECT entity_id FROM task WHERE id IN ({selected}))"), &params, Some("entity"))
        .await?;
    let data: HashMap<String, Json> = data
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["data"].clone(),
            )
        })
        .collect();
    let people = db
        .fetch_all(
            &format!("SELECT task_id, person_id FROM task_person_link WHERE task_id IN ({selected}) ORDER BY person_id"),
            &params,
            None,
        )
        .await?;
    let mut people = crate::db::grouped(&people, "task_id", "person_id");
    let episodes = if cast_episodes {
        db.fetch_all(
            &format!(
                "SELECT l.entity_out_id AS entity_id, ep.id, ep.name FROM entity_link l JOIN entity ep ON ep.id = l.entity_in_id \
                 JOIN entity_type ept ON ept.id = ep.entity_type_id AND ept.name = 'Episode' \
                 WHERE l.entity_out_id IN (SELECT entity_id FROM task WHERE id IN ({selected})) ORDER BY ep.name"
            ),
            &params,
            None,
        )
        .await?
    } else {
        Vec::new()
    };
    let episode_ids = crate::db::grouped(&episodes, "entity_id", "id");
    let episode_names = crate::db::grouped(&episodes, "entity_id", "name");
    let last_comments = last_comments(db, &selected, &params).await?;
    Ok(tasks
        .into_iter()
        .map(|mut row| {
            let (episode_id, episode_name) = episode(&row);
            let sequence_name = row["parent_name"].clone();
            let entity = row["entity_id"].as_str().unwrap_or_default().to_string();
            let id = row["id"].as_str().unwrap_or_default().to_string();
            let mut out = Map::new();
            for (key, value) in std::mem::take(&mut row) {
                out.insert(key, value);
            }
            for key in TASK_ROW_HELPERS {
                out.remove(key);
            }
            out.insert("type".into(), json!("Task"));
            out.insert(
                "project_has_avatar".into(),
                as_bool(&out["project_has_avatar"]),
            );
            out.insert("entity_canceled".into(), as_bool(&out["entity_canceled"]));
            out.insert(
                "entity_data".into(),
                data.get(&entity).cloned().unwrap_or(Json::Null),
            );
            out.insert(
                "entity_preview_file_id".into(),
                or_empty(&out["entity_preview_file_id"]),
            );
            out.insert(
                "entity_source_id".into(),
                or_empty(&out["entity_source_id"]),
            );
            out.insert("sequence_name".into(), sequence_name);
            out.insert("episode_id".into(), episode_id);
            out.insert("episode_name".into(), episode_name);
            for (copy, from) in [
                ("task_estimation", "estimation"),
                ("task_duration", "duration"),
                ("task_start_date", "start_date"),
                ("task_due_date", "due_date"),
            ] {
                out.insert(copy.into(), out[from].clone());
            }
            if let (Some(ids), Some(names)) = (episode_ids.get(&entity), episode_names.get(&entity))
            {
                out.insert("episode_ids".into(), json!(ids));
                out.insert("episode_names".into(), json!(names));
            }
            out.insert(
                "assignees".into(),
                json!(people.remove(&id).unwrap_or_default()),
            );
            out.insert(
                "last_comment".into(),
                last_comments.get(&id).cloned().unwrap_or(json!({})),
            );
            Json::Object(out)
        })
        .collect())
}

/// Each task's latest comment by someone who is not a client of its project.
async fn last_comments(
    db: &crate::db::Db,
    selected: &str,
    params: &[Value],
) -> ApiResult<HashMap<String, Json>> {
    let rows = db
        .fetch_all(
            &format!(
                "SELECT c.object_id, c.text, c.created_at, c.person_id FROM comment c JOIN task t ON t.id = c.object_id \
                 JOIN person pe ON pe.id = c.person_id \
                 LEFT JOIN project_person_link l ON l.person_id = c.person_id AND l.project_id = t.project_id \
                 WHERE c.object_id IN ({selected}) AND COALESCE(l.role, pe.role) <> 'client' \
                 ORDER BY c.created_at, c.id"
            ),
            params,
            Some("comment"),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let task = c["object_id"].as_str().unwrap_or_default().to_string();
            (
                task,
                json!({"text": c["text"], "date": c["created_at"], "person_id": c["person_id"]}),
            )
        })
        .collect())
}

async fn mine(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    done: bool,
) -> ApiResult<HttpResponse> {
    if identity.person.is_bot {
        return Err(ApiError::Forbidden);
    }
    let scope = open_projects(&identity, false);
    let selection = assigned(identity.person.id, done, scope);
    super::remembered(&state, &identity, &req, rows(&state.db, selection)).await
}

/// A person whose tasks the caller may ask about (404 when unknown): not a
/// bot, and only themselves for a vendor.
pub(super) async fn person_to_read(
    state: &AppState,
    identity: &Identity,
    id: &str,
) -> ApiResult<Uuid> {
    let person = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let found = state
        .db
        .fetch_optional(
            "SELECT id, is_bot FROM person WHERE id = $1",
            &[person.into()],
            Some("person"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    if found["is_bot"] == json!(true)
        || (identity.person.role == Role::Vendor && person != identity.person.id)
    {
        return Err(ApiError::Forbidden);
    }
    Ok(person)
}

/// Anyone of the studio may read a colleague's list; vendors only their
/// own, and clients none.
async fn theirs(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    done: bool,
) -> ApiResult<HttpResponse> {
    let person = person_to_read(&state, &identity, &path).await?;
    match identity.person.role {
        Role::Vendor | Role::Client => Ok(HttpResponse::Ok().json(json!([]))),
        role => {
            let scope = open_projects(&identity, role == Role::Admin);
            let selection = assigned(person, done, scope);
            super::remembered(&state, &identity, &req, rows(&state.db, selection)).await
        }
    }
}
