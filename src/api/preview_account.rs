//! A project's preview account: one read-only client login that managers
//! hand to outsiders and open for an hour at a time.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::{password, Identity};
use crate::crud::scope::require_manager;
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::persons::{insert, remove_traces, NewPerson};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

/// How long opening the account lets it in.
const WINDOW: chrono::Duration = chrono::Duration::hours(1);

pub(super) fn routes() -> Vec<Route> {
    let path = "/data/projects/{project_id}/preview-account";
    vec![
        Route::new(
            Method::GET,
            path,
            "Get the project's preview account",
            |r| r.to(get),
        ),
        Route::new(
            Method::POST,
            path,
            "Create the preview account, or give it a new password",
            |r| r.to(create),
        ),
        Route::new(
            Method::PUT,
            path,
            "Open or close the preview account",
            |r| r.to(open_or_close),
        ),
        Route::new(Method::DELETE, path, "Delete the preview account", |r| {
            r.to(delete)
        }),
    ]
}

/// The project, when it exists, after checking the caller manages it (a
/// non-admin learns nothing of projects that are not theirs: 404).
async fn managed(ctx: &Ctx<'_>, id: &str) -> ApiResult<Option<Row>> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let project = ctx
        .db()
        .fetch_optional(
            "SELECT * FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?;
    if project.is_none() && !ctx.identity.is_admin() {
        return Err(ApiError::NotFound);
    }
    require_manager(ctx, Some(&json!(id))).await?;
    Ok(project)
}

async fn account(db: &crate::db::Db, project: &Row) -> ApiResult<Option<Row>> {
    Ok(db
        .fetch_optional(
            "SELECT * FROM person WHERE preview_project_id = $1",
            &[id_of(&project["id"])?],
            Some("person"),
        )
        .await?)
}

fn shown(account: &Row) -> Map<String, Json> {
    let last = account["last_name"].as_str().unwrap_or_default();
    Map::from_iter([
        ("id".to_string(), account["id"].clone()),
        ("email".to_string(), account["email"].clone()),
        ("full_name".to_string(), json!(format!("Preview {last}"))),
        (
            "preview_open_until".to_string(),
            account["preview_open_until"].clone(),
        ),
    ])
}

fn no_account() -> ApiError {
    ApiError::Body(
        StatusCode::NOT_FOUND,
        json!({"error": true, "message": "404 Not Found: No preview account for this project"}),
    )
}

async fn get(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let Some(project) = managed(&ctx, &path).await? else {
        return Ok(HttpResponse::Ok().json(Json::Null));
    };
    let found = account(&state.db, &project).await?;
    Ok(HttpResponse::Ok().json(found.as_ref().map(shown)))
}

/// Puts the account in the project's team if a manager took it out.
async fn join_team(
    tx: &mut Tx,
    identity: &Identity,
    project: &Row,
    person: &Json,
) -> ApiResult<()> {
    let link = [id_of(&project["id"])?, id_of(person)?];
    let member = tx
        .fetch_optional(
            "SELECT person_id FROM project_person_link WHERE project_id = $1 AND person_id = $2",
            &link,
            None,
        )
        .await?;
    if member.is_some() {
        return Ok(());
    }
    let [project_id, person_id] = link;
    tx.insert(
        "project_person_link",
        &[("project_id", project_id.clone()), ("person_id", person_id)],
    )
    .await?;
    tx.execute(
        "UPDATE project SET updated_at = $1 WHERE id = $2",
        &[now().into(), project_id],
    )
    .await?;
    let id = project["id"].as_str().unwrap_or_default();
    Event::new("project:update", "project_id", id)
        .in_project(Uuid::parse_str(id).ok())
        .record(tx, identity.person.id)
        .await?;
    Ok(())
}

/// Makes the account, or gives the existing one a new password and closes it;
/// the password is shown this once.
async fn create(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &path).await?.ok_or(ApiError::NotFound)?;
    let secret = password::random_token(16);
    let hash = Value::Bytes(password::hash(&secret, state.config.bcrypt_cost).into_bytes());
    let mut tx = state.db.begin().await?;
    let existing = tx
        .fetch_optional(
            "SELECT id FROM person WHERE preview_project_id = $1",
            &[id_of(&project["id"])?],
            None,
        )
        .await?;
    let person = match existing {
        Some(found) => found["id"].clone(),
        None => {
            let email = format!(
                "preview-{}@preview.kitsu.invalid",
                &Uuid::new_v4().simple().to_string()[..12]
            );
            let name: String = project["name"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(80)
                .collect();
            let row = insert(
                &mut tx,
                NewPerson {
                    first_name: "Preview",
                    last_name: &name,
                    email: &email,
                    role: Role::Client,
                    password_hash: None,
                    locale: &state.config.default_locale,
                    timezone: &state.config.default_timezone,
                },
            )
            .await?;
            row["id"].clone()
        }
    };
    let updated = tx
        .fetch_optional(
            "UPDATE person SET password = $1, preview_project_id = $2, preview_opened_at = NULL, \
             preview_open_until = NULL, updated_at = $3 WHERE id = $4 RETURNING *",
            &[hash, id_of(&project["id"])?, now().into(), id_of(&person)?],
            Some("person"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    join_team(&mut tx, &identity, &project, &person).await?;
    tx.commit().await?;
    let mut answer = shown(&updated);
    answer.insert("password".into(), json!(secret));
    Ok(HttpResponse::Created().json(answer))
}

/// Pydantic's lax booleans.
fn lax_bool(fields: &Map<String, Json>, key: &str) -> ApiResult<bool> {
    let unreadable = || {
        ApiError::invalid_field(
            key,
            "Input should be a valid boolean, unable to interpret input",
        )
    };
    match fields.get(key) {
        None => Err(ApiError::invalid_field(key, "Field required")),
        Some(Json::Bool(flag)) => Ok(*flag),
        Some(Json::Number(n)) => match n.as_f64() {
            Some(1.0) => Ok(true),
            Some(0.0) => Ok(false),
            _ => Err(unreadable()),
        },
        Some(Json::String(text)) => match text.to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => Ok(true),
            "false" | "f" | "no" | "n" | "off" | "0" => Ok(false),
            _ => Err(unreadable()),
        },
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid boolean",
        )),
    }
}

/// Opening starts a new window unless one is open (which it then extends);
/// closing ends the window and every session with it.
async fn open_or_close(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let is_open = lax_bool(&body_fields(&req, &body)?, "is_open")?;
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &path).await?.ok_or_else(no_account)?;
    let found = account(&state.db, &project).await?.ok_or_else(no_account)?;
    let stamp = now();
    let (opened, until) = if is_open {
        let still_open = crate::persons::Person::from_row(found.clone())?.preview_open_since();
        (
            Value::from(still_open.unwrap_or(stamp)),
            Value::from(stamp + WINDOW),
        )
    } else {
        (Value::Null, Value::Null)
    };
    let mut tx = state.db.begin().await?;
    let updated = tx
        .fetch_optional(
            "UPDATE person SET preview_opened_at = $1, preview_open_until = $2, updated_at = $3 WHERE id = $4 RETURNING *",
            &[opened, until, stamp.into(), id_of(&found["id"])?],
            Some("person"),
        )
        .await?
        .ok_or_else(no_account)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(shown(&updated)))
}

async fn delete(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let Some(project) = managed(&ctx, &path).await? else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let Some(found) = account(&state.db, &project).await? else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let id = id_of(&found["id"])?;
    let mut tx = state.db.begin().await?;
    remove_traces(&mut tx, id.clone()).await?;
    tx.execute("DELETE FROM person WHERE id = $1", &[id])
        .await?;
    Event::new(
        "person:delete",
        "person_id",
        found["id"].as_str().unwrap_or_default(),
    )
    .record(&mut tx, identity.person.id)
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
