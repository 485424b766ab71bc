//! Saved searches: the caller's search filters and filter groups, their own
//! and those managers share with their projects (`/data/user/filters`).

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{open_statuses_sql, require_manager};
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

/// A saved search, or a group of them.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Saved {
    Filter,
    Group,
}

impl Saved {
    fn table(self) -> &'static str {
        match self {
            Saved::Filter => "search_filter",
            Saved::Group => "search_filter_group",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Saved::Filter => "SearchFilter",
            Saved::Group => "SearchFilterGroup",
        }
    }
}

pub(super) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for (saved, path) in [
        (Saved::Filter, "/data/user/filters"),
        (Saved::Group, "/data/user/filter-groups"),
    ] {
        let one = format!("{path}/{{id}}");
        routes.extend([
            Route::new(
                Method::GET,
                path,
                format!("List the caller's {}s", saved.type_name()),
                move |r| r.to(move |s, i, q| list(saved, s, i, q)),
            ),
            Route::new(
                Method::POST,
                path,
                format!("Create a {}", saved.type_name()),
                move |r| r.to(move |s, i, q, b| create(saved, s, i, q, b)),
            ),
            Route::new(
                Method::PUT,
                one.clone(),
                format!("Update a {}", saved.type_name()),
                move |r| r.to(move |s, i, p, q, b| update(saved, s, i, p, q, b)),
            ),
            Route::new(
                Method::DELETE,
                one.clone(),
                format!("Delete a {}", saved.type_name()),
                move |r| r.to(move |s, i, p, q| delete(saved, s, i, p, q)),
            ),
        ]);
        if saved == Saved::Group {
            routes.push(Route::new(
                Method::GET,
                one,
                "Get a search filter group",
                |r| r.to(get_group),
            ));
        }
    }
    routes
}

/// The rows the caller sees: their own, and those shared in the open projects
/// of their team (all open projects for admins); a row of a department only
/// for its members and the studio's managers.
pub(super) async fn visible(ctx: &Ctx<'_>, saved: Saved) -> ApiResult<Map<String, Json>> {
    let me = ctx.identity.person.id;
    let shared_in = if ctx.identity.is_admin() {
        "TRUE".to_string()
    } else {
        "project_id IN (SELECT project_id FROM project_person_link WHERE person_id = $1)"
            .to_string()
    };
    let departments = if ctx.identity.person.role.is_manager_or_above() {
        "TRUE"
    } else {
        "department_id IS NULL OR department_id IN (SELECT department_id FROM department_link WHERE person_id = $1)"
    };
    let order = if saved == Saved::Group {
        "created_at DESC, id"
    } else {
        "created_at, id"
    };
    let rows = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT * FROM {} WHERE (person_id = $1 OR (is_shared = TRUE AND {shared_in})) \
                 AND (project_id IS NULL OR project_id IN (SELECT id FROM project WHERE project_status_id IN ({}))) \
                 AND ({departments}) ORDER BY {order}",
                saved.table(),
                open_statuses_sql!()
            ),
            &[me.into()],
            Some(saved.table()),
        )
        .await?;
    let mut nested = Map::new();
    for mut row in rows {
        row.insert("type".into(), json!(saved.type_name()));
        let list = row["list_type"].as_str().unwrap_or_default().to_string();
        let project = row["project_id"].as_str().unwrap_or("all").to_string();
        let by_list = nested.entry(list).or_insert_with(|| json!({}));
        if let Some(by_project) = by_list.as_object_mut() {
            if let Json::Array(rows) = by_project.entry(project).or_insert_with(|| json!([])) {
                rows.push(Json::Object(row));
            }
        }
    }
    Ok(nested)
}

async fn list(
    saved: Saved,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(visible(&ctx, saved).await?))
}

fn text(
    fields: &Map<String, Json>,
    key: &str,
    max: usize,
    required: bool,
) -> ApiResult<Option<String>> {
    match fields.get(key) {
        None if required => Err(ApiError::invalid_field(key, "Field required")),
        None | Some(Json::Null) if !required => Ok(None),
        Some(Json::String(text)) if required && text.is_empty() => Err(ApiError::invalid_field(
            key,
            "String should have at least 1 character",
        )),
        Some(Json::String(text)) if text.chars().count() > max => Err(ApiError::invalid_field(
            key,
            format!("String should have at most {max} characters"),
        )),
        Some(Json::String(text)) => Ok(Some(text.clone())),
        _ => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

fn uuid_field(fields: &Map<String, Json>, key: &str) -> ApiResult<Option<Option<Uuid>>> {
    match fields.get(key) {
        None => Ok(None),
        Some(Json::Null) => Ok(Some(None)),
        Some(Json::String(id)) => Uuid::parse_str(id)
            .map(|id| Some(Some(id)))
            .map_err(|_| ApiError::invalid_field(key, "Input should be a valid UUID")),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

fn flag(fields: &Map<String, Json>, key: &str) -> ApiResult<Option<bool>> {
    match fields.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(flag)) => Ok(Some(*flag)),
        Some(Json::String(text)) if ["true", "false"].contains(&text.as_str()) => {
            Ok(Some(text == "true"))
        }
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid boolean",
        )),
    }
}

async fn exists(ctx: &Ctx<'_>, table: &str, id: Uuid) -> ApiResult<Row> {
    ctx.db()
        .fetch_optional(
            &format!("SELECT * FROM {table} WHERE id = $1"),
            &[id.into()],
            Some(table),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// Whether the caller may share in this project: its managers (admins always).
async fn may_share(ctx: &Ctx<'_>, project: Option<Uuid>) -> ApiResult<bool> {
    match project {
        None => Ok(false),
        Some(project) => {
            exists(ctx, "project", project).await?;
            Ok(require_manager(ctx, Some(&json!(project))).await.is_ok())
        }
    }
}

fn same_sharing(group: &Row, shared: bool) -> ApiResult<()> {
    if group["is_shared"] == json!(shared) {
        Ok(())
    } else {
        Err(ApiError::bad_request("A search filter should have the same value for is_shared than its search filter group."))
    }
}

fn typed(saved: Saved, mut row: Row) -> Json {
    row.insert("type".into(), json!(saved.type_name()));
    Json::Object(row)
}

/// A new filter (or group) of the caller's; only managers of its project share it.
async fn create(
    saved: Saved,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let fields = body_fields(&req, &body)?;
    let name = text(&fields, "name", 200, true)?.unwrap_or_default();
    let list_type = match fields.get("list_type") {
        None => "todo".to_string(),
        _ => text(&fields, "list_type", 80, true)?.unwrap_or_default(),
    };
    let entity_type = text(&fields, "entity_type", 80, false)?;
    let project = uuid_field(&fields, "project_id")?.flatten();
    let department = uuid_field(&fields, "department_id")?.flatten();
    let shared = flag(&fields, "is_shared")?.unwrap_or(false) && may_share(&ctx, project).await?;
    if project.is_some() && !shared {
        exists(&ctx, "project", project.unwrap_or_default()).await?;
    }
    if let Some(department) = department {
        exists(&ctx, "department", department).await?;
    }
    let stamp = now();
    let mut values: Vec<(&str, Value)> = vec![
        ("id", Uuid::now_v7().into()),
        ("name", name.into()),
        ("list_type", list_type.into()),
        ("entity_type", entity_type.into()),
        ("is_shared", shared.into()),
        ("project_id", project.into()),
        ("department_id", department.into()),
        ("person_id", identity.person.id.into()),
        ("created_at", stamp.into()),
        ("updated_at", stamp.into()),
    ];
    match saved {
        Saved::Filter => {
            let query = text(&fields, "query", 500, true)?.unwrap_or_default();
            let group = uuid_field(&fields, "search_filter_group_id")?.flatten();
            if let Some(group) = group {
                same_sharing(&exists(&ctx, "search_filter_group", group).await?, shared)?;
            }
            values.extend([
                ("search_query", query.into()),
                ("search_filter_group_id", group.into()),
            ]);
        }
        Saved::Group => {
            let color = text(&fields, "color", 8, false)?.unwrap_or_default();
            values.push(("color", color.into()));
        }
    }
    let mut tx = state.db.begin().await?;
    let row = tx.insert(saved.table(), &values).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(typed(saved, row)))
}

/// The caller's own row (any row for admins); 404 otherwise.
async fn own(ctx: &Ctx<'_>, saved: Saved, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let row = exists(ctx, saved.table(), id).await?;
    if ctx.identity.is_admin() || row["person_id"] == json!(ctx.identity.person.id) {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

async fn get_group(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(typed(Saved::Group, own(&ctx, Saved::Group, &path).await?)))
}

/// Renames, re-queries, regroups or (for managers) shares a saved search;
/// a group's sharing carries to its filters.
async fn update(
    saved: Saved,
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = own(&ctx, saved, &path).await?;
    let fields = body_fields(&req, &body)?;
    let mut changes: Vec<(&str, Value)> = Vec::new();
    if let Some(name) = text(&fields, "name", 200, false)? {
        changes.push(("name", name.into()));
    }
    let project = match uuid_field(&fields, "project_id")? {
        Some(Some(project)) => {
            exists(&ctx, "project", project).await?;
            changes.push(("project_id", project.into()));
            Some(project)
        }
        _ => row["project_id"]
            .as_str()
            .and_then(|p| Uuid::parse_str(p).ok()),
    };
    if let Some(Some(department)) = uuid_field(&fields, "department_id")? {
        exists(&ctx, "department", department).await?;
        changes.push(("department_id", department.into()));
    }
    let mut shared = row["is_shared"] == json!(true);
    if let Some(wanted) = flag(&fields, "is_shared")? {
        if wanted != shared {
            shared = wanted && may_share(&ctx, project).await?;
        }
        changes.push(("is_shared", shared.into()));
    }
    match saved {
        Saved::Filter => {
            if let Some(query) = text(&fields, "search_query", 500, false)? {
                changes.push(("search_query", query.into()));
            }
            let group = match uuid_field(&fields, "search_filter_group_id")? {
                Some(group) => {
                    changes.push(("search_filter_group_id", group.into()));
                    group
                }
                None => row["search_filter_group_id"]
                    .as_str()
                    .and_then(|g| Uuid::parse_str(g).ok()),
            };
            if let Some(group) = group {
                same_sharing(&exists(&ctx, "search_filter_group", group).await?, shared)?;
            }
        }
        Saved::Group => {
            if let Some(color) = text(&fields, "color", 8, false)? {
                changes.push(("color", color.into()));
            }
        }
    }
    changes.push(("updated_at", now().into()));
    let mut tx = state.db.begin().await?;
    let updated = tx
        .update(saved.table(), id_of(&row["id"])?, changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    if saved == Saved::Group && fields.contains_key("is_shared") {
        tx.execute(
            "UPDATE search_filter SET is_shared = $1 WHERE search_filter_group_id = $2",
            &[shared.into(), id_of(&row["id"])?],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(typed(saved, updated)))
}

/// Deleting a group deletes the filters in it.
async fn delete(
    saved: Saved,
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = own(&ctx, saved, &path).await?;
    let id = id_of(&row["id"])?;
    let mut tx = state.db.begin().await?;
    if saved == Saved::Group {
        tx.execute(
            "DELETE FROM search_filter WHERE search_filter_group_id = $1",
            std::slice::from_ref(&id),
        )
        .await?;
    }
    tx.execute(
        &format!("DELETE FROM {} WHERE id = $1", saved.table()),
        &[id],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
