//! Shared assets: assets a project lends to others (`is_shared`), the share
//! actions that set the flag, and the other projects' shared assets a
//! project's shots use.

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{self, team_role};
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::{now, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use tusk_actors::project::Touched;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/actions/assets/share",
            "Share or unshare assets",
            |r| r.to(share_assets),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/assets/share",
            "Share or unshare a project's assets",
            |r| r.to(share_project_assets),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/asset-types/{asset_type_id}/assets/share",
            "Share or unshare a project's assets of a type",
            |r| r.to(share_type_assets),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/assets/shared-used",
            "Get the shared assets a project uses",
            |r| r.to(shared_used),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/episodes/{episode_id}/assets/shared-used",
            "Get the shared assets an episode uses",
            |r| r.to(episode_shared_used),
        ),
    ]
}

const ASSET_TYPES: &str = concat!(
    "entity_type_id IN (SELECT id FROM entity_type WHERE name NOT IN ",
    crate::crud::models::entities::temporal_types_sql!(),
    ")"
);

/// `{is_shared = true, asset_ids = null}`; an empty body takes the defaults.
fn share_request(body: &[u8]) -> ApiResult<(bool, Option<Vec<Uuid>>)> {
    if body.trim_ascii().is_empty() {
        return Ok((true, None));
    }
    let body = match serde_json::from_slice::<Json>(body) {
        Ok(Json::Object(body)) => body,
        _ => {
            return Err(ApiError::invalid_field(
                "",
                "Input should be a valid dictionary",
            ))
        }
    };
    let shared = match body.get("is_shared") {
        None => true,
        Some(Json::Bool(shared)) => *shared,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "is_shared",
                "Input should be a valid boolean",
            ))
        }
    };
    let ids = match body.get("asset_ids") {
        None | Some(Json::Null) => None,
        Some(Json::Array(ids)) => Some(
            ids.iter()
                .enumerate()
                .map(|(n, id)| {
                    id.as_str()
                        .and_then(|id| Uuid::parse_str(id).ok())
                        .ok_or_else(|| {
                            ApiError::invalid_field(
                                &format!("asset_ids.{n}"),
                                "Input should be a valid UUID",
                            )
                        })
                })
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "asset_ids",
                "Input should be a valid list",
            ))
        }
    };
    Ok((shared, ids))
}

/// Sets `is_shared` on the assets the conditions select; answers them.
async fn set_shared(
    state: &AppState,
    shared: bool,
    conditions: Vec<Condition>,
) -> ApiResult<HttpResponse> {
    let mut conditions = conditions;
    conditions.push(Condition::new(ASSET_TYPES, vec![]));
    let (where_sql, mut params) = where_clause(&conditions);
    params.push(Value::Bool(shared));
    params.push(now().into());
    let flag = params.len() - 1;
    let mut tx = state.db.begin().await?;
    let rows = tx
        .fetch_all(
            &format!(
                "UPDATE entity SET is_shared = ${flag}, updated_at = ${} {where_sql} RETURNING *",
                flag + 1
            ),
            &params,
            Some("entity"),
        )
        .await?;
    tx.commit().await?;
    let mut by_project: HashMap<String, Touched> = HashMap::new();
    for row in &rows {
        let touched = by_project
            .entry(row["project_id"].as_str().unwrap_or_default().to_string())
            .or_default();
        touched
            .entities
            .push(row["id"].as_str().unwrap_or_default().to_string());
    }
    for (project, touched) in by_project {
        state
            .projects
            .refresh(&project, touched)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(HttpResponse::Ok().json(super::typed(rows, "Asset")))
}

async fn share_assets(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (shared, ids) = share_request(&body)?;
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Ok(HttpResponse::Ok().json(json!([])));
    }
    let ctx = Ctx::new(&state, &identity, &req);
    for id in &ids {
        let (where_sql, params) = where_clause(&[
            Condition::new("id = ?", vec![(*id).into()]),
            Condition::new(ASSET_TYPES, vec![]),
        ]);
        let asset = state
            .db
            .fetch_optional(
                &format!("SELECT project_id FROM entity{where_sql}"),
                &params,
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        scope::require_manager(&ctx, asset.get("project_id")).await?;
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let condition = Condition::new(
        format!("id IN ({marks})"),
        ids.into_iter().map(Value::Uuid).collect(),
    );
    set_shared(&state, shared, vec![condition]).await
}

async fn share_project_assets(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (shared, ids) = share_request(&body)?;
    let ctx = Ctx::new(&state, &identity, &req);
    let project = Uuid::parse_str(&p).map_err(|_| ApiError::NotFound)?;
    scope::require_manager(&ctx, Some(&json!(project))).await?;
    let mut conditions = vec![Condition::new("project_id = ?", vec![project.into()])];
    if let Some(ids) = ids.filter(|ids| !ids.is_empty()) {
        let marks = vec!["?"; ids.len()].join(", ");
        conditions.push(Condition::new(
            format!("id IN ({marks})"),
            ids.into_iter().map(Value::Uuid).collect(),
        ));
    }
    set_shared(&state, shared, conditions).await
}

async fn share_type_assets(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = Uuid::parse_str(&p.0).map_err(|_| ApiError::NotFound)?;
    scope::require_manager(&ctx, Some(&json!(project))).await?;
    let (shared, _) = share_request(&body)?;
    let asset_type = Uuid::parse_str(&p.1).map_err(|_| ApiError::NotFound)?;
    let conditions = vec![
        Condition::new("project_id = ?", vec![project.into()]),
        Condition::new("entity_type_id = ?", vec![asset_type.into()]),
    ];
    set_shared(&state, shared, conditions).await
}

/// Other projects' shared assets cast in this project's shots (optionally one episode's).
async fn used_shared(ctx: &Ctx<'_>, project: &str, episode: Option<Uuid>) -> ApiResult<Vec<Json>> {
    let project = Uuid::parse_str(project).map_err(|_| ApiError::NotFound)?;
    team_role(ctx, Some(&json!(project))).await?;
    let mut conditions = vec![
        Condition::new(ASSET_TYPES, vec![]),
        Condition::new(
            "is_shared = TRUE AND canceled = FALSE AND project_id <> ?",
            vec![project.into()],
        ),
    ];
    let shots = match episode {
        Some(episode) => Condition::new(
            "id IN (SELECT l.entity_out_id FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id \
             JOIN entity sq ON sq.id = sh.parent_id WHERE sh.project_id = ? AND sq.parent_id = ?)",
            vec![project.into(), episode.into()],
        ),
        None => Condition::new(
            "id IN (SELECT l.entity_out_id FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id \
             WHERE sh.project_id = ? AND sh.parent_id IS NOT NULL)",
            vec![project.into()],
        ),
    };
    conditions.push(shots);
    let (where_sql, params) = where_clause(&conditions);
    let rows = ctx
        .db()
        .fetch_all(
            &format!("SELECT * FROM entity{where_sql} ORDER BY name, id"),
            &params,
            Some("entity"),
        )
        .await?;
    Ok(super::typed(rows, "Asset"))
}

async fn shared_used(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(used_shared(&ctx, &p, None).await?))
}

async fn episode_shared_used(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let episode = match p.1.as_str() {
        "main" | "all" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?),
    };
    Ok(HttpResponse::Ok().json(used_shared(&ctx, &p.0, episode).await?))
}
