//! Getting back into an account: the recovery request and the reset with its
//! token (anonymous), the invitation and the reset link an admin hands out.
//! Tusk sends no mail: the tokens are stored all the same, and an admin gives
//! the link from `reset-password-link` (the invitation's token, while live).

use super::person_actions::{may_set_password, not_a_bot, required_strings};
use super::Route;
use crate::app::AppState;
use crate::auth::reset_tokens::{self, INVITATION_LIFETIME, RESET_LIFETIME};
use crate::auth::{password, Identity};
use crate::db::{now, Value};
use crate::error::{ApiError, ApiResult};
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/auth/reset-password",
            "Request a password reset",
            |r| r.to(request_reset),
        ),
        Route::new(
            Method::PUT,
            "/auth/reset-password",
            "Reset a password with a reset token",
            |r| r.to(reset),
        ),
        Route::new(
            Method::GET,
            "/actions/persons/{person_id}/invite",
            "Invite a person",
            |r| r.to(invite),
        ),
        Route::new(
            Method::POST,
            "/actions/persons/{person_id}/reset-password-link",
            "Get a password reset link for a person",
            |r| r.to(reset_link),
        ),
    ]
}

/// The link Kitsu's reset page reads the email and the token from.
fn reset_url(state: &AppState, email: &str, token: &str) -> String {
    let query =
        serde_urlencoded::to_string([("email", email), ("token", token)]).unwrap_or_default();
    format!("{}/reset-change-password?{query}", state.config.public_url)
}

async fn person_by_email(state: &AppState, email: &str) -> ApiResult<Option<Person>> {
    state
        .db
        .fetch_optional(
            "SELECT * FROM person WHERE lower(email) = lower($1) AND is_bot = FALSE \
             ORDER BY created_at LIMIT 1",
            &[email.into()],
            Some("person"),
        )
        .await?
        .map(Person::from_row)
        .transpose()
}

/// Answers the same whether the account exists or not, so that this public
/// route does not tell who has an account.
async fn request_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let [email] = required_strings(&req, &body, ["email"])?;
    if let Some(person) = person_by_email(&state, &email).await? {
        if person.active {
            let stored_email = person.text("email").unwrap_or(&email);
            reset_tokens::issue(&state.db, stored_email, RESET_LIFETIME).await?;
            tracing::info!(person = %person.id, "password reset requested (no mail sent)");
        }
    }
    Ok(HttpResponse::Ok().json(json!({"success": "Reset token sent"})))
}

async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let [email, token, new_password, confirmation] =
        required_strings(&req, &body, ["email", "token", "password", "password2"])?;
    let wrong_token = || ApiError::refused("Wrong or expired token.");
    let person = person_by_email(&state, &email)
        .await?
        .ok_or_else(wrong_token)?;
    let stored_email = person.text("email").unwrap_or(&email).to_string();
    let mut tx = state.db.begin().await?;
    if !reset_tokens::redeem(&mut tx, &stored_email, &token).await? {
        return Err(wrong_token());
    }
    if new_password.chars().count() < state.config.min_password_length {
        return Err(ApiError::refused("Password is too short."));
    }
    if new_password != confirmation {
        return Err(ApiError::refused("Confirmation password doesn't match."));
    }
    if !person.active {
        return Err(ApiError::refused("User is inactive."));
    }
    let hash = password::hash(&new_password, state.config.bcrypt_cost);
    tx.execute(
        "UPDATE person SET password = $1, login_failed_attemps = 0, updated_at = $2 WHERE id = $3",
        &[
            Value::Bytes(hash.into_bytes()),
            now().into(),
            person.id.into(),
        ],
    )
    .await?;
    tx.commit().await?;
    tracing::info!(person = %person.id, "password reset with a token");
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

async fn invite(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let person = not_a_bot(&state, &path).await?;
    identity.require_admin()?;
    let email = person.text("email").unwrap_or_default();
    reset_tokens::issue(&state.db, email, INVITATION_LIFETIME).await?;
    tracing::info!(person = %person.id, "invitation token stored (no mail sent)");
    Ok(HttpResponse::Ok().json(json!({"success": true, "message": "Email sent"})))
}

async fn reset_link(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let person = not_a_bot(&state, &path).await?;
    identity.require_admin()?;
    may_set_password(&identity, &person)?;
    let email = person.text("email").unwrap_or_default();
    let token = reset_tokens::current_or_issue(&state.db, email, RESET_LIFETIME).await?;
    Ok(HttpResponse::Ok().json(json!({
        "reset_password_link": reset_url(&state, email, &token),
    })))
}
