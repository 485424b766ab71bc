//! A project's task types and task statuses, with their order and board
//! settings: `/data/task-type-links`, `/data/task-status-links` and the
//! reorder actions.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::db::{now, ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/data/task-type-links",
            "Create or update a project task type link",
            |r| r.to(task_type_link),
        ),
        Route::new(
            Method::POST,
            "/data/task-status-links",
            "Create or update a project task status link",
            |r| r.to(task_status_link),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/task-type-links/reorder",
            "Reorder the task types of a project",
            |r| r.to(reorder_task_type_links),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/task-status-links/reorder",
            "Reorder the task statuses of a project",
            |r| r.to(reorder_task_status_links),
        ),
        Route::new(
            Method::POST,
            "/actions/task-types/reorder",
            "Reorder the studio's task types",
            |r| r.to(reorder_task_types),
        ),
    ]
}

/// The two kinds of project link, which differ only in what they link and carry.
struct LinkKind {
    table: &'static str,
    column: &'static str,
    target_table: &'static str,
    type_name: &'static str,
    list_key: &'static str,
}

const TASK_TYPE_LINKS: LinkKind = LinkKind {
    table: "project_task_type_link",
    column: "task_type_id",
    target_table: "task_type",
    type_name: "ProjectTaskTypeLink",
    list_key: "task_type_ids",
};

const TASK_STATUS_LINKS: LinkKind = LinkKind {
    table: "project_task_status_link",
    column: "task_status_id",
    target_table: "task_status",
    type_name: "ProjectTaskStatusLink",
    list_key: "task_status_ids",
};

/// A project the caller manages (admins manage all); an unknown one is 404.
async fn managed_project(
    state: &AppState,
    identity: &Identity,
    project: Option<&Json>,
) -> ApiResult<Uuid> {
    let project = project
        .and_then(Json::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or(ApiError::NotFound)?;
    let exists = state
        .db
        .fetch_optional(
            "SELECT id FROM project WHERE id = $1",
            &[project.into()],
            None,
        )
        .await?
        .is_some();
    if !exists {
        return Err(ApiError::NotFound);
    }
    identity.require_project_manager(&state.db, project).await?;
    Ok(project)
}

/// Link parameters: the query string and form win over the JSON body, as in Zou.
fn parameters(req: &HttpRequest, body: &[u8]) -> ApiResult<Map<String, Json>> {
    let mut fields = body_fields(req, b"")?;
    if let Ok(Json::Object(json)) = serde_json::from_slice::<Json>(body) {
        for (key, value) in json {
            fields.entry(key).or_insert(value);
        }
    } else if !body.trim_ascii().is_empty() {
        for (key, value) in body_fields(req, body)? {
            fields.insert(key, value);
        }
    }
    Ok(fields)
}

fn priority(fields: &Map<String, Json>) -> ApiResult<Value> {
    match fields.get("priority") {
        None => Ok(Value::Int(1)),
        Some(Json::Null) => Ok(Value::Null),
        Some(Json::Number(n)) if n.is_i64() => Ok(Value::Int(n.as_i64().unwrap_or(1))),
        Some(Json::String(text)) => text
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| ApiError::bad_request("Wrong value for parameter priority.")),
        Some(_) => Err(ApiError::bad_request("Wrong value for parameter priority.")),
    }
}

/// Creates the link, or updates the one there is; answers the link.
async fn upsert_link(
    state: &AppState,
    identity: &Identity,
    kind: &LinkKind,
    req: &HttpRequest,
    body: &[u8],
    extra: impl FnOnce(&Map<String, Json>) -> ApiResult<Vec<(&'static str, Value)>>,
) -> ApiResult<HttpResponse> {
    let fields = parameters(req, body)?;
    for required in ["project_id", kind.column] {
        if fields.get(required).is_none_or(Json::is_null) {
            return Err(ApiError::bad_request(format!(
                "Missing required parameter: {required}"
            )));
        }
    }
    let project = managed_project(state, identity, fields.get("project_id")).await?;
    let target = fields[kind.column]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{} is required and must be a valid UUID",
                kind.column
            ))
        })?;
    let mut values: Vec<(&'static str, Value)> = vec![("priority", priority(&fields)?)];
    values.extend(extra(&fields)?);
    let mut tx = state.db.begin().await?;
    let known = tx
        .fetch_optional(
            &format!("SELECT id FROM {} WHERE id = $1", kind.target_table),
            &[target.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let existing = tx
        .fetch_optional(
            &format!(
                "SELECT id FROM {} WHERE project_id = $1 AND {} = $2",
                kind.table, kind.column
            ),
            &[project.into(), target.into()],
            None,
        )
        .await?;
    let stamp = now();
    let link = match existing {
        Some(existing) => {
            let id =
                Value::from_json(ColumnKind::Uuid, &existing["id"]).map_err(ApiError::internal)?;
            let mut changes = values.clone();
            changes.push(("updated_at", stamp.into()));
            tx.update(kind.table, id, changes)
                .await?
                .ok_or(ApiError::NotFound)?
        }
        None => {
            let mut row: Vec<(&str, Value)> = vec![
                ("id", Uuid::now_v7().into()),
                ("project_id", project.into()),
                (kind.column, target.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ];
            row.extend(values);
            tx.insert(kind.table, &row).await?
        }
    };
    project_updated(&mut tx, identity, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(typed(link, kind.type_name)))
}

fn typed(mut row: Row, type_name: &str) -> Row {
    row.insert("type".into(), json!(type_name));
    row
}

async fn project_updated(tx: &mut Tx, identity: &Identity, project: Uuid) -> ApiResult<()> {
    Event::new("project:update", "project_id", &project.to_string())
        .in_project(Some(project))
        .record(tx, identity.person.id)
        .await?;
    Ok(())
}

async fn task_type_link(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    upsert_link(&state, &identity, &TASK_TYPE_LINKS, &req, &body, |_| {
        Ok(Vec::new())
    })
    .await
}

/// Who sees a status on the board: a list of roles (a single role is a list of one).
fn roles_for_board(fields: &Map<String, Json>) -> ApiResult<Vec<(&'static str, Value)>> {
    let roles: Vec<String> = match fields.get("roles_for_board") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(role)) => vec![role.clone()],
        Some(Json::Array(roles)) => roles
            .iter()
            .map(|role| {
                role.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| role.to_string())
            })
            .collect(),
        Some(other) => vec![other.to_string()],
    };
    if let Some(unknown) = roles.iter().find(|role| role.parse::<Role>().is_err()) {
        return Err(ApiError::bad_request(format!(
            "Invalid role in roles_for_board: {unknown}"
        )));
    }
    Ok(vec![("roles_for_board", Value::TextList(roles))])
}

async fn task_status_link(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    upsert_link(
        &state,
        &identity,
        &TASK_STATUS_LINKS,
        &req,
        &body,
        roles_for_board,
    )
    .await
}

/// The ids to put in order, from `{"<list_key>": [...]}`.
fn ordered_ids(body: &[u8], list_key: &str) -> ApiResult<Vec<Uuid>> {
    let refused = || {
        ApiError::bad_request(format!(
            "Request body must be a JSON object with a '{list_key}' list."
        ))
    };
    let body: Json = serde_json::from_slice(body).map_err(|_| refused())?;
    body.get(list_key)
        .and_then(Json::as_array)
        .ok_or_else(refused)?
        .iter()
        .map(|id| {
            id.as_str()
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Each id in '{list_key}' must be a UUID."))
                })
        })
        .collect()
}

/// Gives each listed row `priority` = its place in the list (from 1), within `scope`.
async fn reorder(
    tx: &mut Tx,
    table: &str,
    column: &str,
    scope: Option<Uuid>,
    ids: &[Uuid],
) -> ApiResult<Vec<Row>> {
    let mut rows = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let (sql, params) = match scope {
            Some(project) => (
                format!("UPDATE {table} SET priority = $1 WHERE project_id = $2 AND {column} = $3 RETURNING *"),
                vec![Value::Int(index as i64 + 1), project.into(), (*id).into()],
            ),
            None => (
                format!("UPDATE {table} SET priority = $1, updated_at = $2 WHERE id = $3 RETURNING *"),
                vec![Value::Int(index as i64 + 1), now().into(), (*id).into()],
            ),
        };
        rows.extend(tx.fetch_optional(&sql, &params, Some(table)).await?);
    }
    Ok(rows)
}

async fn reorder_links(
    state: &AppState,
    identity: &Identity,
    kind: &LinkKind,
    project: &str,
    body: &[u8],
) -> ApiResult<HttpResponse> {
    let project = managed_project(state, identity, Some(&json!(project))).await?;
    let ids = ordered_ids(body, kind.list_key)?;
    let mut tx = state.db.begin().await?;
    let rows = reorder(&mut tx, kind.table, kind.column, Some(project), &ids).await?;
    project_updated(&mut tx, identity, project).await?;
    tx.commit().await?;
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|row| typed(row, kind.type_name))
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

async fn reorder_task_type_links(
    state: web::Data<AppState>,
    identity: Identity,
    project: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    reorder_links(&state, &identity, &TASK_TYPE_LINKS, &project, &body).await
}

async fn reorder_task_status_links(
    state: web::Data<AppState>,
    identity: Identity,
    project: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    reorder_links(&state, &identity, &TASK_STATUS_LINKS, &project, &body).await
}

async fn reorder_task_types(
    state: web::Data<AppState>,
    identity: Identity,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let ids = ordered_ids(&body, "task_type_ids")?;
    let mut tx = state.db.begin().await?;
    let rows = reorder(&mut tx, "task_type", "id", None, &ids).await?;
    tx.commit().await?;
    let rows: Vec<Row> = rows.into_iter().map(|row| typed(row, "TaskType")).collect();
    Ok(HttpResponse::Ok().json(rows))
}
