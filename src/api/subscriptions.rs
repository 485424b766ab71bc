//! What the caller follows: tasks, and a sequence's tasks of one type (their
//! comments then notify them).

use super::breakdown::Kind;
use super::breakdown_create::readable;
use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::task_access;
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let sequence = "/sequences/{sequence_id}/task-types/{task_type_id}";
    vec![
        Route::new(
            Method::GET,
            "/data/user/tasks/{task_id}/subscribed",
            "Whether the caller follows a task",
            |r| r.to(follows_task),
        ),
        Route::new(
            Method::POST,
            "/actions/user/tasks/{task_id}/subscribe",
            "Follow a task",
            |r| r.to(subscribe),
        ),
        Route::new(
            Method::DELETE,
            "/actions/user/tasks/{task_id}/unsubscribe",
            "Stop following a task",
            |r| r.to(unsubscribe),
        ),
        Route::new(
            Method::POST,
            "/actions/user/tasks/subscribe",
            "Follow tasks",
            |r| r.to(subscribe_many),
        ),
        Route::new(
            Method::POST,
            "/actions/user/tasks/unsubscribe",
            "Stop following tasks",
            |r| r.to(unsubscribe_many),
        ),
        Route::new(
            Method::GET,
            format!("/data/user{sequence}/subscribed"),
            "Whether the caller follows a sequence's tasks of a type",
            |r| r.to(follows_sequence),
        ),
        Route::new(
            Method::GET,
            "/data/user/entities/{sequence_id}/task-types/{task_type_id}/subscribed",
            "Whether the caller follows a sequence's tasks of a type",
            |r| r.to(follows_sequence),
        ),
        Route::new(
            Method::POST,
            format!("/actions/user{sequence}/subscribe"),
            "Follow a sequence's tasks of a type",
            |r| r.to(subscribe_sequence),
        ),
        Route::new(
            Method::DELETE,
            format!("/actions/user{sequence}/unsubscribe"),
            "Stop following a sequence's tasks of a type",
            |r| r.to(unsubscribe_sequence),
        ),
    ]
}

fn subscription(mut row: Row) -> Json {
    row.insert("type".into(), json!("Subscription"));
    Json::Object(row)
}

async fn find(db: &crate::db::Db, condition: &str, params: &[Value]) -> ApiResult<Option<Row>> {
    Ok(db
        .fetch_optional(
            &format!("SELECT * FROM subscription WHERE {condition}"),
            params,
            Some("subscription"),
        )
        .await?)
}

/// The caller's subscription on the task, made if missing.
async fn follow(
    tx: &mut Tx,
    person: Uuid,
    task: Option<&Json>,
    sequence: Option<(&Json, Uuid)>,
) -> ApiResult<Row> {
    let (condition, params) = match (task, sequence) {
        (Some(task), _) => (
            "person_id = $1 AND task_id = $2",
            vec![person.into(), id_of(task)?],
        ),
        (None, Some((entity, task_type))) => (
            "person_id = $1 AND entity_id = $2 AND task_type_id = $3",
            vec![person.into(), id_of(entity)?, task_type.into()],
        ),
        (None, None) => return Err(ApiError::NotFound),
    };
    let existing = tx
        .fetch_optional(
            &format!("SELECT * FROM subscription WHERE {condition}"),
            &params,
            Some("subscription"),
        )
        .await?;
    if let Some(existing) = existing {
        return Ok(existing);
    }
    let stamp = now();
    let mut values: Vec<(&str, Value)> = vec![
        ("id", Uuid::now_v7().into()),
        ("person_id", person.into()),
        ("created_at", stamp.into()),
        ("updated_at", stamp.into()),
    ];
    match (task, sequence) {
        (Some(task), _) => values.push(("task_id", id_of(task)?)),
        (None, Some((entity, task_type))) => values.extend([
            ("entity_id", id_of(entity)?),
            ("task_type_id", task_type.into()),
        ]),
        (None, None) => {}
    }
    Ok(tx.insert("subscription", &values).await?)
}

async fn follows_task(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let found = match Uuid::parse_str(&path) {
        Ok(task) => {
            find(
                &state.db,
                "person_id = $1 AND task_id = $2",
                &[identity.person.id.into(), task.into()],
            )
            .await?
        }
        Err(_) => None,
    };
    Ok(HttpResponse::Ok().json(found.is_some()))
}

/// A task the caller may read (vendors: on an entity they work on).
async fn followable(ctx: &Ctx<'_>, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    Ok(task_access(ctx, &json!(id)).await?.1)
}

async fn subscribe(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let task = followable(&ctx, &path).await?;
    let mut tx = state.db.begin().await?;
    let row = follow(&mut tx, identity.person.id, Some(&task["id"]), None).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(subscription(row)))
}

async fn unsubscribe(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if let Ok(task) = Uuid::parse_str(&path) {
        let mut tx = state.db.begin().await?;
        tx.execute(
            "DELETE FROM subscription WHERE person_id = $1 AND task_id = $2",
            &[identity.person.id.into(), task.into()],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

fn task_ids(req: &HttpRequest, body: &[u8]) -> ApiResult<Vec<String>> {
    let fields = body_fields(req, body)?;
    let items = match fields.get("task_ids") {
        Some(Json::Array(items)) => items.clone(),
        None => return Err(ApiError::invalid_field("task_ids", "Field required")),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "task_ids",
                "Input should be a valid list",
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid_field(
            "task_ids",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            item.as_str().map(str::to_string).ok_or_else(|| {
                ApiError::invalid_field(&format!("task_ids.{n}"), "Input should be a valid string")
            })
        })
        .collect()
}

/// Every task is checked before any is followed.
async fn subscribe_many(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut tasks = Vec::new();
    for id in task_ids(&req, &body)? {
        tasks.push(followable(&ctx, &id).await?);
    }
    let mut tx = state.db.begin().await?;
    let mut rows = Vec::new();
    for task in &tasks {
        rows.push(subscription(
            follow(&mut tx, identity.person.id, Some(&task["id"]), None).await?,
        ));
    }
    tx.commit().await?;
    Ok(HttpResponse::Created().json(rows))
}

async fn unsubscribe_many(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ids = task_ids(&req, &body)?;
    let mut tx = state.db.begin().await?;
    for task in ids.iter().filter_map(|id| Uuid::parse_str(id).ok()) {
        tx.execute(
            "DELETE FROM subscription WHERE person_id = $1 AND task_id = $2",
            &[identity.person.id.into(), task.into()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(ids))
}

async fn follows_sequence(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let found = match (Uuid::parse_str(&path.0), Uuid::parse_str(&path.1)) {
        (Ok(sequence), Ok(task_type)) => {
            find(
                &state.db,
                "person_id = $1 AND entity_id = $2 AND task_type_id = $3",
                &[identity.person.id.into(), sequence.into(), task_type.into()],
            )
            .await?
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(found.is_some()))
}

async fn subscribe_sequence(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (sequence, _) = readable(&ctx, Kind::Sequence, &path.0).await?;
    let task_type = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    let known = state
        .db
        .fetch_optional(
            "SELECT id FROM task_type WHERE id = $1",
            &[task_type.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let mut tx = state.db.begin().await?;
    let row = follow(
        &mut tx,
        identity.person.id,
        None,
        Some((&sequence["id"], task_type)),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(subscription(row)))
}

async fn unsubscribe_sequence(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    if let (Ok(sequence), Ok(task_type)) = (Uuid::parse_str(&path.0), Uuid::parse_str(&path.1)) {
        let mut tx = state.db.begin().await?;
        tx.execute(
            "DELETE FROM subscription WHERE person_id = $1 AND entity_id = $2 AND task_type_id = $3",
            &[identity.person.id.into(), sequence.into(), task_type.into()],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
