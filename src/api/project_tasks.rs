//! Project-wide lists that gazu's `sync` reads: a project's tasks (with an
//! HTTP cache tag), and, for admins, its notifications, subscriptions and
//! preview files.

use super::entity_lists::blank_for_clients;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{scope, where_clause, Condition, Ctx, ListOptions};
use crate::db::{Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};
use tusk_actors::role::Role;
use uuid::Uuid;

/// Zou pages these lists 100 rows at a time, whatever `limit` says.
const PAGE: i64 = 100;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/tasks",
            "Get a project's tasks",
            |r| r.to(tasks),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/notifications",
            "Get the notifications about a project's tasks",
            |r| r.to(notifications),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/subscriptions",
            "Get the subscriptions to a project's tasks",
            |r| r.to(subscriptions),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/preview-files",
            "Get the preview files of a project's tasks",
            |r| r.to(preview_files),
        ),
    ]
}

/// A project that exists (404 otherwise, malformed ids included).
async fn project(ctx: &Ctx<'_>, id: &str) -> ApiResult<Value> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    ctx.db()
        .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(id.into())
}

fn uuid_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<Value>> {
    match ctx.param(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => Uuid::parse_str(text)
            .map(|id| Some(id.into()))
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {text}"))),
    }
}

/// The rows `select` (with `?` placeholders) gives, newest update first: a
/// plain list, or with `?page=N` (N ≥ 1) Zou's page envelope.
async fn listed(
    ctx: &Ctx<'_>,
    select: &str,
    conditions: &[Condition],
    table: &str,
    paged: bool,
) -> ApiResult<(Vec<Row>, Option<Map<String, Json>>)> {
    let (where_sql, params) = where_clause(conditions);
    let order = "ORDER BY updated_at DESC, created_at DESC, id";
    let page = if paged {
        ListOptions::read(&ctx.query, false)?
            .page
            .filter(|page| *page >= 1)
    } else {
        None
    };
    let Some(page) = page else {
        let rows = ctx
            .db()
            .fetch_all(
                &format!("{select}{where_sql} {order}"),
                &params,
                Some(table),
            )
            .await?;
        return Ok((rows, None));
    };
    let total = ctx
        .db()
        .fetch_optional(
            &format!("SELECT COUNT(*) AS n FROM ({select}{where_sql}) counted"),
            &params,
            None,
        )
        .await?
        .and_then(|r| r["n"].as_i64())
        .unwrap_or(0);
    let offset = (page - 1) * PAGE;
    let rows = ctx
        .db()
        .fetch_all(
            &format!("{select}{where_sql} {order} LIMIT {PAGE} OFFSET {offset}"),
            &params,
            Some(table),
        )
        .await?;
    let mut envelope = Map::new();
    envelope.insert("total".into(), json!(total));
    envelope.insert("nb_pages".into(), json!((total + PAGE - 1) / PAGE));
    envelope.insert("limit".into(), json!(PAGE));
    envelope.insert("offset".into(), json!(offset));
    envelope.insert("page".into(), json!(page));
    Ok((rows, Some(envelope)))
}

fn answer(rows: Vec<Json>, envelope: Option<Map<String, Json>>) -> Json {
    match envelope {
        None => Json::Array(rows),
        Some(envelope) => {
            let mut out = Map::new();
            out.insert("data".into(), Json::Array(rows));
            out.extend(envelope);
            Json::Object(out)
        }
    }
}

/// The cache tag of an answer: its content, for whom, with which role.
/// Hashing the content (Zou hashes the newest `updated_at` and the count)
/// keeps two changes within one second, or another query, from sharing a tag.
fn etag(ctx: &Ctx<'_>, role: Role, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        ctx.identity.person.id.to_string().as_bytes(),
        role.as_str().as_bytes(),
        body,
    ] {
        hash.update(part);
        hash.update([0]);
    }
    format!("\"{:x}\"", hash.finalize())
}

/// `GET /data/projects/{id}/tasks`: the team's view of every task of the
/// project, with assignees; vendors get the tasks they are assigned to and
/// clients blanked rows (Zou gives both everything).
async fn tasks(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&ctx, &path).await?;
    let role = scope::team_role(&ctx, Some(&json!(path.as_str()))).await?;
    let mut conditions = vec![Condition::new("project_id = ?", vec![project.clone()])];
    if let Some(task_type) = uuid_param(&ctx, "task_type_id")? {
        conditions.push(Condition::new("task_type_id = ?", vec![task_type]));
    }
    if let Some(episode) = uuid_param(&ctx, "episode_id")? {
        conditions.push(Condition::new(
            "entity_id IN (SELECT e.id FROM entity e JOIN entity s ON s.id = e.parent_id WHERE s.parent_id = ?)",
            vec![episode],
        ));
    }
    if role == Role::Vendor {
        conditions.push(Condition::new(
            "id IN (SELECT task_id FROM task_person_link WHERE person_id = ?)",
            vec![identity.person.id.into()],
        ));
    }
    let (rows, envelope) = listed(&ctx, "SELECT * FROM task", &conditions, "task", true).await?;
    let links = ctx
        .db()
        .fetch_all(
            "SELECT l.task_id, l.person_id FROM task_person_link l JOIN task t ON t.id = l.task_id \
             WHERE t.project_id = $1 ORDER BY l.person_id",
            &[project],
            None,
        )
        .await?;
    let mut assignees = crate::db::grouped(&links, "task_id", "person_id");
    let rows = rows
        .into_iter()
        .map(|row| {
            let mut task = Map::new();
            let id = row["id"].as_str().unwrap_or_default().to_string();
            for (key, value) in row {
                if key == "id" {
                    let people = assignees.remove(&id).unwrap_or_default();
                    task.insert("assignees".into(), Json::Array(people));
                }
                task.insert(key, value);
            }
            task.insert("type".into(), json!("Task"));
            if role == Role::Client {
                blank_for_clients(&mut task);
            }
            Json::Object(task)
        })
        .collect();
    let body = serde_json::to_vec(&answer(rows, envelope)).map_err(ApiError::internal)?;
    let tag = etag(&ctx, role, &body);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|t| t.trim() == tag));
    let mut response = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if cached {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(body))
}

/// A project's rows of `table` about its tasks, for admins only (checked
/// before the project is looked up, as in Zou).
async fn admin_rows(
    state: &AppState,
    identity: &Identity,
    path: &str,
    req: &HttpRequest,
    table: &str,
    paged: bool,
) -> ApiResult<(Vec<Row>, Option<Map<String, Json>>)> {
    let ctx = Ctx::new(state, identity, req);
    identity.require_admin()?;
    let project = project(&ctx, path).await?;
    let of_tasks = Condition::new(
        "task_id IN (SELECT id FROM task WHERE project_id = ?)",
        vec![project],
    );
    listed(
        &ctx,
        &format!("SELECT * FROM {table}"),
        &[of_tasks],
        table,
        paged,
    )
    .await
}

/// The notification kind moves to `notification_type`; `type` is the model's.
async fn notifications(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (rows, envelope) = admin_rows(&state, &identity, &path, &req, "notification", true).await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let mut out = Map::new();
            out.insert("read".into(), row["read"].clone());
            out.insert("change".into(), row["change"].clone());
            out.insert("type".into(), json!("Notification"));
            for key in [
                "person_id",
                "author_id",
                "comment_id",
                "task_id",
                "playlist_id",
                "reply_id",
                "id",
                "created_at",
                "updated_at",
            ] {
                out.insert(key.into(), row.get(key).cloned().unwrap_or(Json::Null));
            }
            out.insert("notification_type".into(), row["type"].clone());
            Json::Object(out)
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer(rows, envelope)))
}

/// Never paged, as in Zou.
async fn subscriptions(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (rows, _) = admin_rows(&state, &identity, &path, &req, "subscription", false).await?;
    Ok(HttpResponse::Ok().json(super::typed(rows, "Subscription")))
}

async fn preview_files(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (rows, envelope) = admin_rows(&state, &identity, &path, &req, "preview_file", true).await?;
    Ok(HttpResponse::Ok().json(answer(super::typed(rows, "PreviewFile"), envelope)))
}
