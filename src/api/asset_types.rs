//! `/data/asset-types`: the entity types that are asset types (not shots,
//! sequences, episodes, scenes, edits or concepts), readable by everyone.

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{where_clause, Condition};
use crate::db::{Backend, Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/data/asset-types", "List asset types", |r| {
            r.to(list)
        }),
        Route::new(
            Method::GET,
            "/data/asset-types/{asset_type_id}",
            "Get an asset type",
            |r| r.to(get),
        ),
    ]
}

/// Entity types that are asset types.
pub(super) const ASSET_TYPES: &str = concat!(
    "name NOT IN ",
    crate::crud::models::entities::temporal_types_sql!()
);

/// Asset types with the task types linked to them, as Zou shows them.
pub(super) async fn present(state: &AppState, rows: Vec<Row>) -> ApiResult<Vec<Row>> {
    let links = state
        .db
        .fetch_all("SELECT asset_type_id, task_type_id FROM task_type_asset_type_link ORDER BY task_type_id", &[], None)
        .await?;
    let mut task_types: HashMap<String, Vec<Json>> = HashMap::new();
    for link in links {
        let owner = link["asset_type_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        task_types
            .entry(owner)
            .or_default()
            .push(link["task_type_id"].clone());
    }
    Ok(rows
        .into_iter()
        .map(|mut row| {
            let id = row["id"].as_str().unwrap_or_default().to_string();
            row.insert(
                "task_types".into(),
                json!(task_types.remove(&id).unwrap_or_default()),
            );
            row.insert("type".into(), json!("AssetType"));
            row
        })
        .collect())
}

async fn list(
    state: web::Data<AppState>,
    _identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut conditions = vec![Condition::new(ASSET_TYPES, vec![])];
    for (key, value) in &query {
        match key.as_str() {
            "name" => {
                let operator = match state.db.backend() {
                    Backend::Postgres => "ILIKE",
                    Backend::Sqlite => "LIKE",
                };
                conditions.push(Condition::new(
                    format!("name {operator} ?"),
                    vec![value.as_str().into()],
                ));
            }
            "project_id" => {
                let project = Uuid::parse_str(value)
                    .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {value}")))?;
                conditions.push(Condition::new(
                    "id IN (SELECT entity_type_id FROM entity WHERE project_id = ?)",
                    vec![project.into()],
                ));
            }
            "id" => {
                let id = Uuid::parse_str(value)
                    .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {value}")))?;
                conditions.push(Condition::new("id = ?", vec![Value::Uuid(id)]));
            }
            _ => {}
        }
    }
    let (where_sql, params) = where_clause(&conditions);
    let rows = state
        .db
        .fetch_all(
            &format!("SELECT * FROM entity_type{where_sql} ORDER BY name"),
            &params,
            Some("entity_type"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(present(&state, rows).await?))
}

async fn get(
    state: web::Data<AppState>,
    _identity: Identity,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let row = state
        .db
        .fetch_optional(
            &format!("SELECT * FROM entity_type WHERE id = $1 AND {ASSET_TYPES}"),
            &[id.into()],
            Some("entity_type"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(present(&state, vec![row]).await?.remove(0)))
}
