//! The news feed: what happened on tasks (comments, status changes,
//! previews), as Kitsu's news pages show it.

use super::breakdown_create::project;
use super::entity_lists::entity;
use super::open_tasks::{date_param, integer_param, uuid_param};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::team_role;
use crate::crud::{id_of, where_clause, Condition, Ctx};
use crate::db::{Db, Read, Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

/// Zou answers at most this many news, on one page.
const PAGE: i64 = 2000;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/entities/{entity_id}/news",
            "Get the news of an entity's tasks",
            |r| r.to(entity_news),
        ),
        Route::new(
            Method::GET,
            "/data/projects/news",
            "Get the news of the caller's open projects",
            |r| r.to(open_projects_news),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/news",
            "Get a project's latest news",
            |r| r.to(project_news),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/news/{news_id}",
            "Get one news item of a project",
            |r| r.to(project_news_item),
        ),
    ]
}

const NEWS_COLUMNS: &str = "n.id, n.author_id, n.comment_id, n.task_id, t.task_type_id, \
    c.task_status_id, t.entity_id AS task_entity_id, n.preview_file_id, \
    pf.extension AS preview_file_extension, pf.revision AS preview_file_revision, \
    t.project_id, p.name AS project_name, n.created_at, n.change, \
    e.name AS entity_name, e.source_id AS entity_source_id, e.preview_file_id AS entity_preview_file_id, \
    et.name AS entity_type_name, par.id AS parent_id, par.name AS parent_name, \
    gp.id AS grandparent_id, gp.name AS grandparent_name, \
    a.first_name, a.last_name, a.has_avatar, a.role";

const NEWS_FROM: &str = "FROM news n JOIN task t ON t.id = n.task_id JOIN project p ON p.id = t.project_id \
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
            &format!("SELECT {NEWS_COLUMNS} {NEWS_FROM} WHERE t.entity_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT {PAGE}"),
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

/// A news list's filters, from the query string (Zou's names), and the page asked.
struct Filters {
    conditions: Vec<Condition>,
    only_preview: bool,
    page: i64,
    limit: i64,
}

impl Filters {
    fn read(ctx: &Ctx<'_>, projects: Condition) -> ApiResult<Filters> {
        let mut conditions = vec![projects];
        let id = |name: &str| -> ApiResult<Option<Value>> {
            ctx.param(name)
                .filter(|text| !text.is_empty())
                .map(uuid_param)
                .transpose()
        };
        for (name, column) in [
            ("episode_id", "par.parent_id"),
            ("task_status_id", "c.task_status_id"),
            ("task_type_id", "t.task_type_id"),
            ("person_id", "n.author_id"),
        ] {
            if let Some(id) = id(name)? {
                conditions.push(Condition::new(format!("{column} = ?"), vec![id]));
            }
        }
        for (name, comparison) in [("after", ">"), ("before", "<")] {
            if let Some(stamp) = date_param(ctx, name)? {
                let condition = format!("n.created_at {comparison} ?");
                conditions.push(Condition::new(condition, vec![stamp]));
            }
        }
        let only_preview = ctx
            .param("only_preview")
            .is_some_and(|flag| ["true", "1"].contains(&flag.to_ascii_lowercase().as_str()));
        if only_preview {
            conditions.push(Condition::new("n.preview_file_id IS NOT NULL", Vec::new()));
        }
        let page = integer_param(ctx, "page")?.unwrap_or(1);
        let limit = integer_param(ctx, "limit")?.unwrap_or(50);
        if page < 1 || limit < 1 {
            return Err(ApiError::bad_request(
                "page and limit must be positive integers.",
            ));
        }
        Ok(Filters {
            conditions,
            only_preview,
            page,
            limit,
        })
    }
}

/// A page of news, latest first, with the count of all that match and, per
/// task status, how many status changes there were among them.
async fn news_page(db: &Db, filters: Filters) -> ApiResult<Json> {
    // Never empty: the projects' condition comes first.
    let (clause, params) = where_clause(&filters.conditions);
    let offset = (filters.page - 1) * filters.limit;
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {NEWS_COLUMNS} {NEWS_FROM}{clause} \
                 ORDER BY n.created_at DESC, n.id DESC LIMIT {} OFFSET {offset}",
                filters.limit
            ),
            &params,
            Some("news"),
        )
        .await?;
    let total = db
        .fetch_optional(
            &format!("SELECT COUNT(*) AS total {NEWS_FROM}{clause}"),
            &params,
            None,
        )
        .await?
        .and_then(|row| row["total"].as_i64())
        .unwrap_or(0);
    let stats: Map<String, Json> = db
        .fetch_all(
            &format!(
                "SELECT c.task_status_id, COUNT(*) AS n {NEWS_FROM}{clause} \
                 AND n.change = TRUE AND c.task_status_id IS NOT NULL GROUP BY c.task_status_id"
            ),
            &params,
            None,
        )
        .await?
        .into_iter()
        .filter_map(|row| {
            Some((
                row["task_status_id"].as_str()?.to_string(),
                row["n"].clone(),
            ))
        })
        .collect();
    let mut data: Vec<Json> = rows.into_iter().map(present).collect();
    if filters.only_preview {
        add_preview_files(db, &mut data).await?;
    }
    Ok(json!({
        "data": data,
        "total": total,
        "nb_pages": (total + filters.limit - 1) / filters.limit,
        "limit": filters.limit,
        "offset": offset,
        "page": filters.page,
        "stats": stats,
    }))
}

/// With `only_preview`, each news lists the files of its preview's revision.
async fn add_preview_files(db: &Db, news: &mut [Json]) -> ApiResult<()> {
    let tasks: Vec<Value> = news
        .iter()
        .filter_map(|item| Uuid::parse_str(item["task_id"].as_str()?).ok())
        .map(Value::Uuid)
        .collect();
    let files = db
        .clone()
        .fetch_in(
            "SELECT id, name, extension, revision, position, status, task_id FROM preview_file \
             WHERE task_id IN ({ids}) ORDER BY task_id, revision, position",
            &[],
            &tasks,
            Some("preview_file"),
        )
        .await?;
    for item in news.iter_mut() {
        let of_revision: Vec<Json> = files
            .iter()
            .filter(|file| {
                file["task_id"] == item["task_id"]
                    && file["revision"] == item["preview_file_revision"]
            })
            .map(|file| {
                let mut file = file.clone();
                file.remove("task_id");
                Json::Object(file)
            })
            .collect();
        item["preview_files"] = Json::Array(of_revision);
    }
    Ok(())
}

/// Clients read no news lists (Zou blocks them from a project's, and its
/// list of every open project's news would show them all the studio's);
/// vendors neither (they see only the tasks they work on elsewhere).
fn studio_readers(identity: &Identity) -> ApiResult<()> {
    match identity.person.role {
        Role::Client | Role::Vendor => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// The project, once the caller may read its news: its team (admins any), not clients or vendors.
async fn readable_project(ctx: &Ctx<'_>, id: &str) -> ApiResult<Value> {
    let project = project(ctx.state, id).await?;
    if matches!(
        team_role(ctx, project.get("id")).await?,
        Role::Client | Role::Vendor
    ) {
        return Err(ApiError::Forbidden);
    }
    studio_readers(ctx.identity)?;
    id_of(&project["id"])
}

async fn project_news(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = readable_project(&ctx, &path).await?;
    let scope = Condition::new("t.project_id = ?", vec![project]);
    let filters = Filters::read(&ctx, scope)?;
    Ok(HttpResponse::Ok().json(news_page(&state.db, filters).await?))
}

/// The news of every open project the caller's team works on (admins: all
/// open projects), or of the one `project_id` names among them.
async fn open_projects_news(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    studio_readers(&identity)?;
    let (open, mut params) = super::todo::open_projects(&identity, identity.is_admin());
    let mut sql = format!("t.project_id IN ({open})");
    if let Some(project) = ctx
        .param("project_id")
        .and_then(|id| Uuid::parse_str(id).ok())
    {
        sql.push_str(" AND t.project_id = ?");
        params.push(project.into());
    }
    let filters = Filters::read(&ctx, Condition::new(sql, params))?;
    Ok(HttpResponse::Ok().json(news_page(&state.db, filters).await?))
}

async fn project_news_item(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = readable_project(&ctx, &path.0).await?;
    let news = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    let row = state
        .db
        .fetch_optional(
            &format!("SELECT {NEWS_COLUMNS} {NEWS_FROM} WHERE t.project_id = $1 AND n.id = $2"),
            &[project, news.into()],
            Some("news"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(present(row)))
}
