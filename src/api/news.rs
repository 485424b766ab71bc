//! The news feed: what happened on tasks (comments, status changes,
//! previews), as Kitsu's news pages show it.

use super::entity_lists::entity;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{id_of, Ctx};
use crate::db::Row;
use crate::error::ApiResult;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};

/// Zou answers at most this many news, on one page.
const PAGE: i64 = 2000;

pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/data/entities/{entity_id}/news",
        "Get the news of an entity's tasks",
        |r| r.to(entity_news),
    )]
}

const NEWS_SELECT: &str = "SELECT n.id, n.author_id, n.comment_id, n.task_id, t.task_type_id, \
    c.task_status_id, t.entity_id AS task_entity_id, n.preview_file_id, \
    pf.extension AS preview_file_extension, pf.revision AS preview_file_revision, \
    t.project_id, p.name AS project_name, n.created_at, n.change, \
    e.name AS entity_name, e.source_id AS entity_source_id, e.preview_file_id AS entity_preview_file_id, \
    et.name AS entity_type_name, par.id AS parent_id, par.name AS parent_name, \
    gp.id AS grandparent_id, gp.name AS grandparent_name, \
    a.first_name, a.last_name, a.has_avatar, a.role \
    FROM news n JOIN task t ON t.id = n.task_id JOIN project p ON p.id = t.project_id \
    JOIN entity e ON e.id = t.entity_id JOIN entity_type et ON et.id = e.entity_type_id \
    LEFT JOIN entity par ON par.id = e.parent_id LEFT JOIN entity gp ON gp.id = par.parent_id \
    LEFT JOIN comment c ON c.id = n.comment_id LEFT JOIN preview_file pf ON pf.id = n.preview_file_id \
    LEFT JOIN person a ON a.id = n.author_id";

/// The entity's name as the feed spells it (`EP / SQ / SH`, `Character / Hero`)
/// and the episode it belongs to.
pub(super) fn full_name(row: &Row) -> (String, Json) {
    let name = |key: &str| row[key].as_str().map(str::to_string);
    let entity = name("entity_name").unwrap_or_default();
    let joined =
        |parts: Vec<Option<String>>| parts.into_iter().flatten().collect::<Vec<_>>().join(" / ");
    match row["entity_type_name"].as_str() {
        Some("Shot") => (
            joined(vec![
                name("grandparent_name"),
                name("parent_name"),
                Some(entity),
            ]),
            row["grandparent_id"].clone(),
        ),
        Some("Sequence") => (
            joined(vec![name("parent_name"), Some(entity)]),
            row["parent_id"].clone(),
        ),
        Some("Episode") => (entity, row["task_entity_id"].clone()),
        type_name => (
            format!("{} / {entity}", type_name.unwrap_or_default()),
            row["entity_source_id"].clone(),
        ),
    }
}

fn full_person_name(first: &str, last: &str) -> String {
    if first.is_empty() || last.is_empty() {
        format!("{first}{last}")
    } else {
        format!("{first} {last}")
    }
}

/// A news row as Zou lists it.
fn present(row: Row) -> Json {
    let (full_entity_name, episode_id) = full_name(&row);
    let first = row["first_name"].as_str().unwrap_or_default();
    let last = row["last_name"].as_str().unwrap_or_default();
    let person = if row["author_id"].is_null() || row["role"].is_null() {
        Json::Null
    } else {
        json!({
            "id": row["author_id"],
            "first_name": first,
            "last_name": last,
            "full_name": full_person_name(first, last),
            "has_avatar": row["has_avatar"].as_bool().or(row["has_avatar"].as_i64().map(|v| v != 0)).unwrap_or(false),
            "role": row["role"],
        })
    };
    let mut news = Map::new();
    news.insert("type".into(), json!("News"));
    for key in [
        "id",
        "author_id",
        "comment_id",
        "task_id",
        "task_type_id",
        "task_status_id",
        "task_entity_id",
        "preview_file_id",
        "preview_file_extension",
        "preview_file_revision",
        "project_id",
        "project_name",
        "created_at",
        "change",
        "entity_preview_file_id",
    ] {
        news.insert(key.into(), row[key].clone());
    }
    news.insert("full_entity_name".into(), json!(full_entity_name));
    news.insert("episode_id".into(), episode_id);
    news.insert("person".into(), person);
    Json::Object(news)
}

/// The one page Zou answers: the latest news first, with the count of all.
async fn entity_news(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = entity(&ctx, &id).await?;
    let key = id_of(&row["id"])?;
    let rows = state
        .db
        .fetch_all(
            &format!("{NEWS_SELECT} WHERE t.entity_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT {PAGE}"),
            std::slice::from_ref(&key),
            Some("news"),
        )
        .await?;
    let total = state
        .db
        .fetch_optional(
            "SELECT COUNT(*) AS total FROM news n JOIN task t ON t.id = n.task_id WHERE t.entity_id = $1",
            &[key],
            None,
        )
        .await?
        .and_then(|r| r["total"].as_i64())
        .unwrap_or(0);
    Ok(HttpResponse::Ok().json(json!({
        "data": rows.into_iter().map(present).collect::<Vec<_>>(),
        "total": total,
        "nb_pages": (total + PAGE - 1) / PAGE,
        "limit": PAGE,
        "offset": 0,
        "page": 1,
    })))
}
