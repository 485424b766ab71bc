//! The caller's notifications: the bell and the notifications page.

use super::news::full_name;
use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::Ctx;
use crate::db::{now, parse_timestamp, Row, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::role::Role;
use uuid::Uuid;

/// Zou answers the latest hundred; Kitsu pages back with `before`.
const PAGE: i64 = 100;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/notifications",
            "Get the caller's latest notifications",
            |r| r.to(list),
        ),
        Route::new(
            Method::GET,
            "/data/user/notifications/{notification_id}",
            "Get one of the caller's notifications",
            |r| r.to(get),
        ),
        Route::new(
            Method::PUT,
            "/data/user/notifications/{notification_id}",
            "Mark a notification read or unread",
            |r| r.to(mark),
        ),
        Route::new(
            Method::POST,
            "/actions/user/notifications/mark-all-as-read",
            "Mark all the caller's notifications read",
            |r| r.to(mark_all),
        ),
    ]
}

const NOTIFICATION_SELECT: &str = "SELECT n.id, n.type AS notification_type, n.author_id, n.comment_id, n.task_id, \
    n.reply_id, n.playlist_id, n.created_at, n.read, n.change, t.task_type_id, t.project_id AS task_project_id, \
    p.name AS task_project_name, t.entity_id AS task_entity_id, e.name AS entity_name, e.source_id AS entity_source_id, \
    e.preview_file_id AS entity_preview_file_id, et.name AS entity_type_name, par.id AS parent_id, \
    par.name AS parent_name, gp.id AS grandparent_id, gp.name AS grandparent_name, a.role AS author_role, \
    pl.name AS playlist_name, pl.for_entity AS playlist_for_entity, pl.is_for_all AS playlist_is_for_all, \
    pl.episode_id AS playlist_episode_id, pl.project_id AS playlist_project_id, pp.name AS playlist_project_name, \
    s.id AS subscription_id \
    FROM notification n LEFT JOIN task t ON t.id = n.task_id LEFT JOIN project p ON p.id = t.project_id \
    LEFT JOIN entity e ON e.id = t.entity_id LEFT JOIN entity_type et ON et.id = e.entity_type_id \
    LEFT JOIN entity par ON par.id = e.parent_id LEFT JOIN entity gp ON gp.id = par.parent_id \
    LEFT JOIN person a ON a.id = n.author_id LEFT JOIN playlist pl ON pl.id = n.playlist_id \
    LEFT JOIN project pp ON pp.id = pl.project_id \
    LEFT JOIN subscription s ON s.task_id = n.task_id AND s.person_id = n.person_id";

fn uuid_param(ctx: &Ctx<'_>, key: &str) -> ApiResult<Option<Uuid>> {
    match ctx.param(key) {
        None => Ok(None),
        Some(value) => Uuid::parse_str(value)
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID format for {key}: {value}"))),
    }
}

fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The caller's notifications matching the query, latest first.
async fn select(ctx: &Ctx<'_>, one: Option<Uuid>) -> ApiResult<Vec<Json>> {
    let mut sql = format!("{NOTIFICATION_SELECT} WHERE n.person_id = $1");
    let mut params = vec![Value::Uuid(ctx.identity.person.id)];
    let mut add = |condition: &str, value: Value, sql: &mut String| {
        params.push(value);
        sql.push_str(&condition.replace('?', &format!("${}", params.len())));
    };
    if let Some(one) = one {
        add(" AND n.id = ?", one.into(), &mut sql);
    } else {
        for (key, operator) in [("after", ">"), ("before", "<")] {
            if let Some(value) = ctx.param(key) {
                let stamp = parse_timestamp(value).ok_or_else(|| {
                    ApiError::bad_request("Wrong date format for after or before.")
                })?;
                add(
                    &format!(" AND n.created_at {operator} ?"),
                    stamp.into(),
                    &mut sql,
                );
            }
        }
        if let Some(task_type) = uuid_param(ctx, "task_type_id")? {
            add(" AND t.task_type_id = ?", task_type.into(), &mut sql);
        }
        if let Some(status) = uuid_param(ctx, "task_status_id")? {
            add(" AND t.task_status_id = ?", status.into(), &mut sql);
        }
        if let Some(kind) = ctx.param("type") {
            add(" AND n.type = ?", kind.into(), &mut sql);
        }
        if let Some(read) = ctx.param("read") {
            add(" AND n.read = ?", is_true(Some(read)).into(), &mut sql);
        }
        if let Some(watching) = ctx.param("watching") {
            sql.push_str(if is_true(Some(watching)) {
                " AND s.id IS NOT NULL"
            } else {
                " AND s.id IS NULL"
            });
        }
    }
    sql.push_str(&format!(
        " ORDER BY n.created_at DESC, n.id DESC LIMIT {PAGE}"
    ));
    let rows = ctx
        .db()
        .fetch_all(&sql, &params, Some("notification"))
        .await?;
    present(ctx, rows).await
}

/// A notification as the bell shows it: what it is about, named, with the
/// comment or reply it points to (a client's words hidden from artists).
async fn present(ctx: &Ctx<'_>, rows: Vec<Row>) -> ApiResult<Vec<Json>> {
    let comments: Vec<Value> = rows
        .iter()
        .filter_map(|r| r["comment_id"].as_str())
        .filter_map(|c| Uuid::parse_str(c).ok())
        .map(Value::Uuid)
        .collect();
    let mut by_comment: HashMap<String, Row> = HashMap::new();
    let mut mentions = HashMap::new();
    let mut department_mentions = HashMap::new();
    let mut previews = HashMap::new();
    for comment in &comments {
        let key = std::slice::from_ref(comment);
        if let Some(row) = ctx
            .db()
            .fetch_optional("SELECT * FROM comment WHERE id = $1", key, Some("comment"))
            .await?
        {
            let id = row["id"].as_str().unwrap_or_default().to_string();
            by_comment.insert(id, row);
        }
        let people = ctx
            .db()
            .fetch_all(
                "SELECT comment, person FROM comment_mentions WHERE comment = $1",
                key,
                None,
            )
            .await?;
        mentions.extend(crate::db::grouped(&people, "comment", "person"));
        let teams = ctx
            .db()
            .fetch_all(
                "SELECT comment, department FROM comment_department_mentions WHERE comment = $1",
                key,
                None,
            )
            .await?;
        department_mentions.extend(crate::db::grouped(&teams, "comment", "department"));
        let shown = ctx
            .db()
            .fetch_all("SELECT comment, preview_file FROM comment_preview_link WHERE comment = $1 ORDER BY preview_file", key, None)
            .await?;
        previews.extend(crate::db::grouped(&shown, "comment", "preview_file"));
    }
    let artist = ctx.identity.person.role == Role::User;
    Ok(rows
        .into_iter()
        .map(|row| {
            let comment_id = row["comment_id"].as_str().unwrap_or_default().to_string();
            let comment = by_comment.get(&comment_id);
            let hidden = artist && row["author_role"] == json!("client");
            let reply = comment
                .and_then(|c| c["replies"].as_array())
                .and_then(|replies| {
                    replies
                        .iter()
                        .find(|r| r["id"] == row["reply_id"] && !row["reply_id"].is_null())
                });
            let (entity_name, episode_id) = if row["task_id"].is_null() {
                (json!(""), row["playlist_episode_id"].clone())
            } else {
                let (name, episode) = full_name(&row);
                (json!(name), episode)
            };
            let on_playlist = !row["playlist_id"].is_null();
            let mut out = Map::new();
            out.insert("id".into(), row["id"].clone());
            out.insert("type".into(), json!("Notification"));
            for key in [
                "notification_type",
                "author_id",
                "comment_id",
                "task_id",
                "task_type_id",
                "created_at",
                "read",
                "change",
                "subscription_id",
                "playlist_id",
            ] {
                out.insert(key.into(), row[key].clone());
            }
            out.insert(
                "task_status_id".into(),
                comment.map_or(Json::Null, |c| c["task_status_id"].clone()),
            );
            out.insert(
                "mentions".into(),
                json!(mentions.get(&comment_id).cloned().unwrap_or_default()),
            );
            out.insert(
                "department_mentions".into(),
                json!(department_mentions
                    .get(&comment_id)
                    .cloned()
                    .unwrap_or_default()),
            );
            out.insert(
                "reply_mentions".into(),
                reply.map_or(json!([]), |r| {
                    r.get("mentions").cloned().unwrap_or(json!([]))
                }),
            );
            out.insert(
                "reply_department_mentions".into(),
                reply.map_or(json!([]), |r| {
                    r.get("department_mentions").cloned().unwrap_or(json!([]))
                }),
            );
            out.insert(
                "preview_file_id".into(),
                previews
                    .get(&comment_id)
                    .and_then(|p| p.first().cloned())
                    .unwrap_or(Json::Null),
            );
            let (project_id, project_name) = if on_playlist {
                (
                    row["playlist_project_id"].clone(),
                    row["playlist_project_name"].clone(),
                )
            } else {
                (
                    row["task_project_id"].clone(),
                    row["task_project_name"].clone(),
                )
            };
            out.insert("project_id".into(), project_id);
            out.insert("project_name".into(), project_name);
            let comment_text = comment.map_or(Json::Null, |c| {
                if hidden {
                    json!("")
                } else {
                    c["text"].clone()
                }
            });
            out.insert("comment_text".into(), comment_text);
            let reply_text = reply.map_or(json!(""), |r| {
                if hidden {
                    json!("")
                } else {
                    r.get("text").cloned().unwrap_or(json!(""))
                }
            });
            out.insert("reply_text".into(), reply_text);
            out.insert("full_entity_name".into(), entity_name);
            out.insert("episode_id".into(), episode_id);
            out.insert(
                "entity_preview_file_id".into(),
                row["entity_preview_file_id"].clone(),
            );
            out.insert(
                "playlist_name".into(),
                if on_playlist {
                    row["playlist_name"].clone()
                } else {
                    json!("")
                },
            );
            out.insert(
                "playlist_for_entity".into(),
                if on_playlist {
                    row["playlist_for_entity"].clone()
                } else {
                    json!("")
                },
            );
            out.insert(
                "playlist_is_for_all".into(),
                json!(
                    on_playlist && matches!(row["playlist_is_for_all"], Json::Bool(true))
                        || row["playlist_is_for_all"] == json!(1)
                ),
            );
            Json::Object(out)
        })
        .collect())
}

async fn list(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(select(&ctx, None).await?))
}

async fn get(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let id = Uuid::parse_str(&path).map_err(|_| {
        ApiError::bad_request(format!(
            "Invalid UUID format for notification_id: {}",
            path.as_str()
        ))
    })?;
    let mut found = select(&ctx, Some(id)).await?;
    found
        .pop()
        .map(|row| HttpResponse::Ok().json(row))
        .ok_or(ApiError::NotFound)
}

fn read_flag(fields: &Map<String, Json>) -> ApiResult<bool> {
    match fields.get("read") {
        Some(Json::Bool(flag)) => Ok(*flag),
        Some(Json::String(text)) => match text.to_lowercase().as_str() {
            "true" | "yes" | "1" | "on" | "t" | "y" => Ok(true),
            "false" | "no" | "0" | "off" | "f" | "n" => Ok(false),
            _ => Err(ApiError::invalid_field(
                "read",
                "Input should be a valid boolean, unable to interpret input",
            )),
        },
        Some(Json::Number(n)) if n.as_i64() == Some(1) || n.as_i64() == Some(0) => {
            Ok(n.as_i64() == Some(1))
        }
        None => Err(ApiError::invalid_field("read", "Field required")),
        Some(_) => Err(ApiError::invalid_field(
            "read",
            "Input should be a valid boolean",
        )),
    }
}

fn person_event(name: &str, identity: &Identity) -> Event {
    Event::new(name, "person_id", &identity.person.id.to_string())
}

/// Marks one of the caller's notifications read or unread.
async fn mark(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let read = read_flag(&body_fields(&req, &body)?)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let mut row = tx
        .fetch_optional(
            "UPDATE notification SET read = $1, updated_at = $2 WHERE id = $3 AND person_id = $4 RETURNING *",
            &[read.into(), now().into(), id.into(), identity.person.id.into()],
            Some("notification"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut event = person_event(
        if read {
            "notification:read"
        } else {
            "notification:unread"
        },
        &identity,
    );
    event.data.insert("notification_id".into(), json!(id));
    event.record(&mut tx, identity.person.id).await?;
    tx.commit().await?;
    let kind = row.remove("type").unwrap_or(Json::Null);
    row.insert("notification_type".into(), kind);
    row.insert("type".into(), json!("Notification"));
    Ok(HttpResponse::Ok().json(row))
}

async fn mark_all(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE notification SET read = $1, updated_at = $2 WHERE person_id = $3 AND read = $4",
        &[
            true.into(),
            now().into(),
            identity.person.id.into(),
            false.into(),
        ],
    )
    .await?;
    person_event("notification:all-read", &identity)
        .record(&mut tx, identity.person.id)
        .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}
