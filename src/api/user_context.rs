//! The boot payload of the Kitsu UI (`/data/user/context`): the studio's
//! reference data, the people the caller may see, their projects, their
//! roles and saved searches, in one answer with one query per collection.

use super::project_settings::open_project_rows;
use super::user_filters::{visible, Saved};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::Ctx;
use crate::db::Row;
use crate::error::{ApiError, ApiResult};
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/context",
            "Get everything the Kitsu UI starts with",
            |r| r.to(context),
        ),
        Route::new(
            Method::GET,
            "/data/user/projects/open",
            "Get the caller's open projects",
            |r| r.to(open_projects),
        ),
    ]
}

/// People and bots log in; bots have no use for the UI's data.
pub(super) fn person_only(identity: &Identity) -> ApiResult<()> {
    if identity.person.is_bot {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

async fn open_projects(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let ctx = Ctx::new(&state, &identity, &req);
    Ok(HttpResponse::Ok().json(open_project_rows(&ctx, ctx.param("name")).await?))
}

async fn all(db: &crate::db::Db, table: &str, type_name: &str) -> ApiResult<Vec<Json>> {
    let rows = db
        .fetch_all(
            &format!("SELECT * FROM {table} ORDER BY name, id"),
            &[],
            Some(table),
        )
        .await?;
    Ok(super::typed(rows, type_name))
}

fn full_name(person: &Row) -> String {
    let part = |key: &str| {
        person
            .get(key)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    format!("{} {}", part("first_name"), part("last_name"))
        .trim()
        .to_string()
}

fn pick(person: &Row, keys: &[&str]) -> Map<String, Json> {
    keys.iter()
        .map(|key| {
            (
                key.to_string(),
                person.get(*key).cloned().unwrap_or(Json::Null),
            )
        })
        .collect()
}

/// The people the caller may see, as much of them as their role shows:
/// studio managers everything but secrets, the studio's team a short card,
/// clients only the teams of their open projects.
async fn persons(ctx: &Ctx<'_>) -> ApiResult<Vec<Json>> {
    let role = ctx.identity.person.role;
    let db = ctx.db();
    let (scope, params) = if role == Role::Client {
        (
            concat!(
                " AND id IN (SELECT l.person_id FROM project_person_link l WHERE l.project_id IN \
                 (SELECT m.project_id FROM project_person_link m JOIN project p ON p.id = m.project_id \
                 WHERE m.person_id = $1 AND p.project_status_id IN (",
                crate::crud::scope::open_statuses_sql!(),
                ")))"
            ),
            vec![ctx.identity.person.id.into()],
        )
    } else {
        ("", Vec::new())
    };
    let rows = db
        .fetch_all(
            &format!(
                "SELECT * FROM person WHERE (is_guest IS NULL OR is_guest = FALSE) AND preview_project_id IS NULL{scope} \
                 ORDER BY first_name, last_name, id"
            ),
            &params,
            Some("person"),
        )
        .await?;
    let links = db
        .fetch_all(
            "SELECT person_id, department_id FROM department_link ORDER BY department_id",
            &[],
            None,
        )
        .await?;
    let mut departments = crate::db::grouped(&links, "person_id", "department_id");
    let mut shown = Vec::new();
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default().to_string();
        let theirs = departments.remove(&id).unwrap_or_default();
        let name = full_name(&row);
        let card = match role {
            Role::Admin | Role::Manager => {
                let ids = theirs
                    .iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect();
                Person::from_row(row)?.to_json(ids)
            }
            Role::Client => {
                let mut card = pick(
                    &row,
                    &[
                        "id",
                        "first_name",
                        "last_name",
                        "has_avatar",
                        "active",
                        "role",
                        "is_bot",
                    ],
                );
                card.insert("full_name".into(), json!(name));
                card.insert("type".into(), json!("Person"));
                Json::Object(card)
            }
            _ => {
                let mut card = pick(
                    &row,
                    &[
                        "id",
                        "first_name",
                        "last_name",
                        "has_avatar",
                        "active",
                        "studio_id",
                        "role",
                        "desktop_login",
                        "is_bot",
                    ],
                );
                card.insert("full_name".into(), json!(name));
                card.insert("departments".into(), json!(theirs));
                card.insert("type".into(), json!("Person"));
                Json::Object(card)
            }
        };
        shown.push(card);
    }
    if role == Role::Client {
        shown.sort_by(|a, b| a["full_name"].as_str().cmp(&b["full_name"].as_str()));
    }
    Ok(shown)
}

async fn plugins(db: &crate::db::Db) -> ApiResult<Vec<Json>> {
    let rows = db
        .fetch_all(
            "SELECT * FROM plugin ORDER BY name, id",
            &[],
            Some("plugin"),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            Json::Object(pick(
                row,
                &[
                    "id",
                    "plugin_id",
                    "name",
                    "description",
                    "version",
                    "maintainer_name",
                    "maintainer_email",
                    "frontend_project_enabled",
                    "frontend_studio_enabled",
                    "icon",
                ],
            ))
        })
        .collect())
}

/// `/data/user/context`.
async fn context(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let ctx = Ctx::new(&state, &identity, &req);
    super::remembered(&state, &identity, &req, context_answer(&ctx)).await
}

async fn context_answer(ctx: &Ctx<'_>) -> ApiResult<Json> {
    let (state, identity) = (ctx.state, ctx.identity);
    let db = &state.db;
    let me = identity.person.id;
    let asset_types = db
        .fetch_all(
            &format!(
                "SELECT * FROM entity_type WHERE {} ORDER BY name, id",
                super::asset_types::ASSET_TYPES
            ),
            &[],
            Some("entity_type"),
        )
        .await?;
    let asset_types = super::asset_types::present(state, asset_types).await?;
    let unread = db
        .fetch_optional(
            "SELECT COUNT(*) AS unread FROM notification WHERE person_id = $1 AND read = FALSE",
            &[me.into()],
            None,
        )
        .await?
        .and_then(|r| r["unread"].as_i64())
        .unwrap_or(0);
    let roles = db
        .fetch_all(
            "SELECT project_id, role FROM project_person_link WHERE person_id = $1 AND role IS NOT NULL",
            &[me.into()],
            None,
        )
        .await?;
    let project_roles: Map<String, Json> = roles
        .into_iter()
        .map(|r| {
            (
                r["project_id"].as_str().unwrap_or_default().to_string(),
                r["role"].clone(),
            )
        })
        .collect();
    let answer = json!({
        "asset_types": asset_types,
        "custom_actions": all(db, "custom_action", "CustomAction").await?,
        "status_automations": super::typed(
            db.fetch_all("SELECT * FROM status_automation ORDER BY created_at, id", &[], Some("status_automation")).await?,
            "StatusAutomation",
        ),
        "departments": all(db, "department", "Department").await?,
        "studios": all(db, "studio", "Studio").await?,
        "notification_count": unread,
        "persons": persons(ctx).await?,
        "project_status": all(db, "project_status", "ProjectStatus").await?,
        "project_roles": project_roles,
        "projects": open_project_rows(ctx, None).await?,
        "task_types": all(db, "task_type", "TaskType").await?,
        "task_status": all(db, "task_status", "TaskStatus").await?,
        "search_filters": visible(ctx, Saved::Filter).await?,
        "search_filter_groups": visible(ctx, Saved::Group).await?,
        "preview_background_files": all(db, "preview_background_file", "PreviewBackgroundFile").await?,
        "plugins": plugins(db).await?,
    });
    Ok(answer)
}
