//! `/auth/*`: login, logout, token refresh, who-am-I and password change, with
//! Zou's answers, lockout and cookies.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::identity::{authenticate, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::auth::jwt::{self, Claims, TokenType};
use crate::auth::{password, revocation, Identity};
use crate::db::{now, Value};
use crate::error::{ApiError, ApiResult};
use crate::organisation;
use crate::persons::Person;
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/auth/login", "Log in", |r| r.to(login)),
        Route::new(Method::GET, "/auth/logout", "Log out", |r| r.to(logout)),
        Route::new(
            Method::GET,
            "/auth/refresh-token",
            "Refresh access token",
            |r| r.to(refresh_token),
        ),
        Route::new(
            Method::GET,
            "/auth/authenticated",
            "Check if user is authenticated",
            |r| r.to(authenticated),
        ),
        Route::new(
            Method::POST,
            "/auth/change-password",
            "Change user password",
            |r| r.to(change_password),
        ),
    ]
}

/// Failed attempts after which logins are refused...
const MAX_FAILED_ATTEMPTS: i64 = 5;
/// ...until this long after the last failure.
const LOCKOUT: Duration = Duration::minutes(1);
/// Zou gives its cookies about a year, whatever the token's own expiry.
const COOKIE_MAX_AGE_SECS: i64 = 31_540_000;

/// Zou sets cookies only for browsers; scripts read tokens from the body.
fn is_from_browser(req: &HttpRequest) -> bool {
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    agent.starts_with("Mozilla/")
        && [
            "Chrome", "Firefox", "Safari", "Edg", "OPR", "Opera", "Vivaldi", "Brave",
        ]
        .iter()
        .any(|browser| agent.contains(browser))
}

/// The refresh cookie is scoped to the refresh route, wherever it is mounted.
fn refresh_cookie_path(req: &HttpRequest) -> &'static str {
    if req.path().starts_with("/api/") {
        "/api/auth/refresh-token"
    } else {
        "/auth/refresh-token"
    }
}

fn cookie(name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(CookieAge::seconds(COOKIE_MAX_AGE_SECS))
        .finish()
}

fn expired_cookie(name: &'static str, path: &'static str) -> Cookie<'static> {
    let mut cookie = cookie(name, String::new(), path);
    cookie.make_removal();
    cookie
}

fn json_field<'a>(fields: &'a Map<String, Json>, name: &str) -> Option<&'a str> {
    fields.get(name).and_then(Json::as_str)
}

fn login_refused(status: StatusCode, body: Json) -> ApiError {
    ApiError::Body(status, body)
}

fn locked_out(person: &Person) -> bool {
    let last_failure = person
        .text("last_login_failed")
        .and_then(|t| NaiveDateTime::parse_from_str(t, crate::db::TIMESTAMP_FORMAT).ok());
    person.int("login_failed_attemps") >= MAX_FAILED_ATTEMPTS
        && last_failure.is_some_and(|last| now() < last + LOCKOUT)
}

/// Counts a failed attempt; once a lockout has expired the count starts again.
async fn record_failure(state: &AppState, person: &Person) -> ApiResult<()> {
    let previous = person.int("login_failed_attemps");
    let attempts = if previous >= MAX_FAILED_ATTEMPTS {
        1
    } else {
        previous + 1
    };
    state
        .db
        .execute(
            "UPDATE person SET login_failed_attemps = $1, last_login_failed = $2 WHERE id = $3",
            &[Value::Int(attempts), now().into(), person.id.into()],
        )
        .await?;
    Ok(())
}

async fn clear_failures(state: &AppState, person: &Person) -> ApiResult<()> {
    if person.int("login_failed_attemps") != 0 {
        state
            .db
            .execute(
                "UPDATE person SET login_failed_attemps = 0 WHERE id = $1",
                &[person.id.into()],
            )
            .await?;
    }
    Ok(())
}

/// The methods enabled on a 2FA account, as Zou lists them in its refusal.
fn two_factor_methods(person: &Person) -> Vec<&'static str> {
    let flag = |column: &str| person.row.get(column).and_then(Json::as_bool) == Some(true);
    [
        ("totp", flag("totp_enabled")),
        ("email_otp", flag("email_otp_enabled")),
        ("fido", flag("fido_enabled")),
    ]
    .into_iter()
    .filter_map(|(method, enabled)| enabled.then_some(method))
    .collect()
}

fn token_pair(person_id: Uuid) -> (Claims, Claims) {
    let issued_at = chrono::Utc::now().timestamp();
    let refresh = Claims::for_person(person_id, TokenType::Refresh, issued_at);
    let mut access = Claims::for_person(person_id, TokenType::Access, issued_at);
    access.refresh_jti = Some(refresh.jti.clone());
    (access, refresh)
}

async fn find_login(state: &AppState, login: &str) -> ApiResult<Option<Person>> {
    state
        .db
        .fetch_optional(
            "SELECT * FROM person WHERE is_bot = FALSE \
             AND (lower(email) = lower($1) OR desktop_login = $1) \
             ORDER BY created_at LIMIT 1",
            &[login.into()],
            Some("person"),
        )
        .await?
        .map(Person::from_row)
        .transpose()
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let fields = body_fields(&req, &body)?;
    let email = match fields.get("email") {
        Some(Json::String(email)) if !email.trim().is_empty() => email.trim(),
        Some(Json::String(_)) | None => {
            return Err(ApiError::invalid_field("email", "Field required"))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "email",
                "Input should be a valid string",
            ))
        }
    };
    let password = json_field(&fields, "password").unwrap_or("default");
    let failed = || login_refused(StatusCode::BAD_REQUEST, json!({"login": false}));

    let Some(person) = find_login(&state, email).await? else {
        // Same work and same answer as a wrong password: no account probing.
        password::verify(password, &state.dummy_hash);
        return Err(failed());
    };
    if locked_out(&person) {
        return Err(login_refused(
            StatusCode::BAD_REQUEST,
            json!({"error": true, "login": false, "too_many_failed_login_attemps": true}),
        ));
    }
    if !password::verify(password, person.text("password").unwrap_or("")) {
        record_failure(&state, &person).await?;
        return Err(failed());
    }
    let preview_closed = person.is_preview_account() && person.preview_open_since().is_none();
    if !person.active || preview_closed {
        return Err(login_refused(
            StatusCode::UNAUTHORIZED,
            json!({"error": true, "login": false, "unactive": true,
                   "message": "User is unactive, he cannot log in."}),
        ));
    }
    let methods = two_factor_methods(&person);
    if !methods.is_empty() {
        // Tusk does not verify second factors yet: such accounts cannot log in
        // (docs/compatibility.md), and are told so the way Zou tells them.
        let given = [
            "totp",
            "email_otp",
            "fido_authentication_response",
            "recovery_code",
        ]
        .iter()
        .any(|field| fields.get(*field).is_some_and(|v| !v.is_null()));
        if given {
            record_failure(&state, &person).await?;
            return Err(login_refused(
                StatusCode::BAD_REQUEST,
                json!({"error": true, "login": false, "wrong_OTP": true}),
            ));
        }
        let mut enabled = vec!["recovery_code"];
        enabled.extend(&methods);
        enabled.sort_unstable();
        return Err(login_refused(
            StatusCode::BAD_REQUEST,
            json!({"error": true, "login": false, "missing_OTP": true,
                   "message": "A two-factor authentication code is required.",
                   "preferred_two_factor_authentication":
                       person.text("preferred_two_factor_authentication").unwrap_or(methods[0]),
                   "two_factor_authentication_enabled": enabled}),
        ));
    }
    clear_failures(&state, &person).await?;

    let browser = is_from_browser(&req);
    let ip_address = req
        .connection_info()
        .realip_remote_addr()
        .map(str::to_string);
    let stamp = now();
    state
        .db
        .insert(
            "login_log",
            &[
                ("id", Uuid::now_v7().into()),
                ("person_id", person.id.into()),
                ("ip_address", ip_address.into()),
                ("origin", if browser { "web" } else { "script" }.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;

    let (access, refresh) = token_pair(person.id);
    let access_token = jwt::encode(&access, &state.config.secret_key);
    let refresh_token = jwt::encode(&refresh, &state.config.secret_key);
    let departments = person.department_ids(&state.db).await?;
    let body = json!({
        "user": person.to_json(departments),
        "organisation": organisation::current(&state.db, person.role == tusk_actors::role::Role::Admin).await?,
        "login": true,
        "access_token": access_token,
        "refresh_token": refresh_token,
    });
    let mut response = HttpResponse::Ok();
    if browser {
        response
            .cookie(cookie(ACCESS_COOKIE, access_token, "/"))
            .cookie(cookie(
                REFRESH_COOKIE,
                refresh_token,
                refresh_cookie_path(&req),
            ));
    }
    Ok(response.json(body))
}

fn require_person_token(identity: &Identity) -> ApiResult<()> {
    if identity.is_person_token() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    identity: Identity,
) -> ApiResult<HttpResponse> {
    require_person_token(&identity)?;
    let claims = &identity.claims;
    revocation::revoke(&state.db, &claims.jti, claims.exp.unwrap_or(claims.iat)).await?;
    if let Some(refresh_jti) = &claims.refresh_jti {
        let refresh_expiry = claims.iat + jwt::REFRESH_LIFETIME_SECS;
        revocation::revoke(&state.db, refresh_jti, refresh_expiry).await?;
    }
    let mut response = HttpResponse::Ok();
    if is_from_browser(&req) {
        response
            .cookie(expired_cookie(ACCESS_COOKIE, "/"))
            .cookie(expired_cookie(REFRESH_COOKIE, refresh_cookie_path(&req)));
    }
    Ok(response.json(json!({"logout": true})))
}

async fn refresh_token(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let identity = authenticate(&req, TokenType::Refresh).await?;
    require_person_token(&identity)?;
    let mut access = Claims::for_person(
        identity.person.id,
        TokenType::Access,
        chrono::Utc::now().timestamp(),
    );
    access.refresh_jti = Some(identity.claims.jti.clone());
    let access_token = jwt::encode(&access, &state.config.secret_key);
    if is_from_browser(&req) {
        // Zou answers browsers this way: a new access cookie, the refresh cookie cleared.
        return Ok(HttpResponse::Ok()
            .cookie(cookie(ACCESS_COOKIE, access_token, "/"))
            .cookie(expired_cookie(REFRESH_COOKIE, refresh_cookie_path(&req)))
            .json(json!({"refresh": true})));
    }
    Ok(HttpResponse::Ok().json(json!({ "access_token": access_token })))
}

async fn authenticated(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    let departments = identity.person.department_ids(&state.db).await?;
    let mut user = identity.person.to_json(departments);
    user["fido_devices"] = json!([]);
    Ok(HttpResponse::Ok().json(json!({
        "authenticated": true,
        "user": user,
        "organisation": organisation::current(&state.db, identity.is_admin()).await?,
    })))
}

async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    identity: Identity,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    require_person_token(&identity)?;
    let fields = body_fields(&req, &body)?;
    let mut missing = Vec::new();
    for field in ["old_password", "password", "password_2"] {
        if json_field(&fields, field).is_none() {
            missing.push((field.to_string(), "Field required".to_string()));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    let field = |name| json_field(&fields, name).unwrap_or_default();
    let person = &identity.person;
    if locked_out(person) {
        return Err(ApiError::bad_request("Too many failed login attempts."));
    }
    if !password::verify(field("old_password"), person.text("password").unwrap_or("")) {
        record_failure(&state, person).await?;
        return Err(ApiError::bad_request("Old password is wrong."));
    }
    let new_password = field("password");
    if new_password.chars().count() < state.config.min_password_length {
        return Err(ApiError::bad_request("Password is too short."));
    }
    if new_password != field("password_2") {
        return Err(ApiError::bad_request(
            "Confirmation password doesn't match.",
        ));
    }
    let hash = password::hash(new_password, state.config.bcrypt_cost);
    state
        .db
        .execute(
            "UPDATE person SET password = $1, login_failed_attemps = 0, updated_at = $2 WHERE id = $3",
            &[Value::Bytes(hash.into_bytes()), now().into(), person.id.into()],
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}
