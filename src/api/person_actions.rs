//! What an admin does to someone else's account: set their password, turn
//! off their second factor, clear their avatar, move them between departments.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::{password, Identity};
use crate::db::{now, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/actions/persons/{person_id}/change-password",
            "Set a person's password",
            |r| r.to(change_password),
        ),
        Route::new(
            Method::DELETE,
            "/actions/persons/{person_id}/disable-two-factor-authentication",
            "Turn off a person's two-factor authentication",
            |r| r.to(disable_two_factor),
        ),
        Route::new(
            Method::DELETE,
            "/actions/persons/{person_id}/clear-avatar",
            "Clear a person's avatar",
            |r| r.to(clear_avatar),
        ),
        Route::new(
            Method::POST,
            "/actions/persons/{person_id}/departments/add",
            "Add a person to a department",
            |r| r.to(add_department),
        ),
        Route::new(
            Method::DELETE,
            "/actions/persons/{person_id}/departments/{department_id}",
            "Remove a person from a department",
            |r| r.to(remove_department),
        ),
    ]
}

/// The person of the path: 404 when unknown or malformed.
pub(super) async fn path_person(state: &AppState, id: &str) -> ApiResult<Person> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    Person::find(&state.db, id).await?.ok_or(ApiError::NotFound)
}

/// Zou's guard on routes about one person: the person must exist (checked
/// before any permission) and must not be a bot, whoever asks.
pub(super) async fn not_a_bot(state: &AppState, id: &str) -> ApiResult<Person> {
    let person = path_person(state, id).await?;
    if person.is_bot {
        return Err(ApiError::Forbidden);
    }
    Ok(person)
}

/// A required, non-empty string field of an account action: errors in Zou's wording.
fn required_string(fields: &Map<String, Json>, key: &str) -> Result<String, (String, String)> {
    let error = |message: &str| (key.to_string(), message.to_string());
    match fields.get(key) {
        None | Some(Json::Null) => Err(error("Field required")),
        Some(Json::String(text)) if text.is_empty() => {
            Err(error("String should have at least 1 character"))
        }
        Some(Json::String(text)) => Ok(text.clone()),
        Some(_) => Err(error("Input should be a valid string")),
    }
}

/// The body's required string fields, in order, or Zou's validation error
/// naming each faulty one.
pub(super) fn required_strings<const N: usize>(
    req: &HttpRequest,
    body: &[u8],
    keys: [&str; N],
) -> ApiResult<[String; N]> {
    let fields = body_fields(req, body)?;
    let values = keys.map(|key| required_string(&fields, key));
    let errors: Vec<_> = values.iter().filter_map(|v| v.clone().err()).collect();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(values.map(Result::unwrap_or_default))
}

/// An admin sets their own password, or that of anyone but another admin
/// who has one.
pub(super) fn may_set_password(identity: &Identity, target: &Person) -> ApiResult<()> {
    if target.id != identity.person.id
        && target.role == Role::Admin
        && target.text("password").is_some_and(|hash| !hash.is_empty())
    {
        return Err(ApiError::refused(
            "An admin can't change another admin's password.",
        ));
    }
    Ok(())
}

async fn change_password(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let target = not_a_bot(&state, &path).await?;
    identity.require_admin()?;
    let [new_password, confirmation] = required_strings(&req, &body, ["password", "password_2"])?;
    if new_password != confirmation {
        return Err(ApiError::invalid_field(
            "",
            "Value error, Confirmation password doesn't match.",
        ));
    }
    may_set_password(&identity, &target)?;
    if new_password.chars().count() < state.config.min_password_length {
        return Err(ApiError::refused("Password is too short."));
    }
    let hash = password::hash(&new_password, state.config.bcrypt_cost);
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE person SET password = $1, updated_at = $2 WHERE id = $3",
        &[
            Value::Bytes(hash.into_bytes()),
            now().into(),
            target.id.into(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

async fn disable_two_factor(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let target = not_a_bot(&state, &path).await?;
    identity.require_admin()?;
    if target.role == Role::Admin && target.id != identity.person.id {
        return Err(ApiError::refused(
            "An admin can't disable 2FA for other admins.",
        ));
    }
    let enabled = ["totp_enabled", "email_otp_enabled", "fido_enabled"]
        .iter()
        .any(|flag| target.row.get(*flag).and_then(Json::as_bool) == Some(true));
    if !enabled {
        return Err(ApiError::refused(
            "Two factor authentication not enabled for this user.",
        ));
    }
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE person SET totp_enabled = FALSE, totp_secret = NULL, \
         email_otp_enabled = FALSE, email_otp_secret = NULL, fido_enabled = FALSE, \
         fido_credentials = NULL, otp_recovery_codes = NULL, \
         preferred_two_factor_authentication = NULL, updated_at = $1 WHERE id = $2",
        &[now().into(), target.id.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// Bumps the person's `updated_at` and records `person:update`.
async fn touch_person(tx: &mut Tx, person: Uuid, author: Uuid) -> ApiResult<()> {
    tx.execute(
        "UPDATE person SET updated_at = $1 WHERE id = $2",
        &[now().into(), person.into()],
    )
    .await?;
    Event::new("person:update", "person_id", &person.to_string())
        .record(tx, author)
        .await?;
    Ok(())
}

async fn clear_avatar(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let target = path_person(&state, &path).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE person SET has_avatar = FALSE WHERE id = $1",
        &[target.id.into()],
    )
    .await?;
    touch_person(&mut tx, target.id, identity.person.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The department of a department action: 400 when it is not one.
async fn department(state: &AppState, id: &str) -> ApiResult<Uuid> {
    let unknown = || ApiError::bad_request("Department ID matches no department");
    let id = Uuid::parse_str(id).map_err(|_| unknown())?;
    super::departments::department_or(state, id, unknown()).await?;
    Ok(id)
}

async fn add_department(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let fields = body_fields(&req, &body)?;
    let department_id = super::body_uuid(&fields, "department_id")?;
    let department_id = department(&state, &department_id.to_string()).await?;
    let target = path_person(&state, &path).await?;
    let mut tx = state.db.begin().await?;
    let link = [Value::Uuid(target.id), Value::Uuid(department_id)];
    let linked = tx
        .fetch_optional(
            "SELECT person_id FROM department_link WHERE person_id = $1 AND department_id = $2",
            &link,
            None,
        )
        .await?;
    if linked.is_none() {
        tx.execute(
            "INSERT INTO department_link (person_id, department_id) VALUES ($1, $2)",
            &link,
        )
        .await?;
    }
    touch_person(&mut tx, target.id, identity.person.id).await?;
    tx.commit().await?;
    let person = path_person(&state, &path).await?;
    let departments = person.department_ids(&state.db).await?;
    Ok(HttpResponse::Created().json(person.to_json(departments)))
}

async fn remove_department(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let department_id = department(&state, &path.1).await?;
    let target = path_person(&state, &path.0).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "DELETE FROM department_link WHERE person_id = $1 AND department_id = $2",
        &[target.id.into(), department_id.into()],
    )
    .await?;
    touch_person(&mut tx, target.id, identity.person.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
