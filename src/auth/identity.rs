//! The [`Identity`] extractor: the person behind a request's token.

use super::jwt::{self, Claims, TokenType};
use super::revocation;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, UNAUTHORIZED};
use crate::persons::Person;
use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

pub const ACCESS_COOKIE: &str = "access_token_cookie";
pub const REFRESH_COOKIE: &str = "refresh_token_cookie";

/// An authenticated, active person and the claims of the token they sent.
#[derive(Debug, Clone)]
pub struct Identity {
    pub person: Person,
    pub claims: Claims,
}

impl Identity {
    /// Person tokens come from a login; bots and `person_api` tokens are API keys.
    pub fn is_person_token(&self) -> bool {
        self.claims.identity_type.as_deref() == Some("person")
    }
}

impl FromRequest for Identity {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req, TokenType::Access).await })
    }
}

/// The token, read as flask-jwt-extended reads it: the cookie first, then the
/// `Authorization: Bearer` header.
fn token_from(req: &HttpRequest, cookie: &str) -> ApiResult<String> {
    if let Some(cookie) = req.cookie(cookie) {
        return Ok(cookie.value().to_string());
    }
    match req.headers().get(header::AUTHORIZATION) {
        None => Err(ApiError::Token(
            StatusCode::UNAUTHORIZED,
            format!(
                "Missing JWT in cookies or headers (Missing cookie \"{cookie}\"; Missing Authorization Header)"
            ),
        )),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_string())
            .ok_or_else(|| {
                ApiError::Token(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"
                        .into(),
                )
            }),
    }
}

fn revoked() -> ApiError {
    ApiError::Token(StatusCode::UNAUTHORIZED, "Token has been revoked".into())
}

/// Verifies the request's token of the expected type and loads its person.
pub async fn authenticate(req: &HttpRequest, expected: TokenType) -> ApiResult<Identity> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let cookie = match expected {
        TokenType::Access => ACCESS_COOKIE,
        TokenType::Refresh => REFRESH_COOKIE,
    };
    let token = token_from(req, cookie)?;
    let claims = jwt::decode(
        &token,
        &state.config.secret_key,
        chrono::Utc::now().timestamp(),
    )?;
    if claims.token_type != expected {
        let message = match expected {
            TokenType::Access => "Only non-refresh tokens are allowed",
            TokenType::Refresh => "Only refresh tokens are allowed",
        };
        return Err(ApiError::Token(
            StatusCode::UNPROCESSABLE_ENTITY,
            message.into(),
        ));
    }
    let person = match Uuid::parse_str(&claims.sub) {
        Ok(id) => Person::find(&state.db, id).await?,
        Err(_) => None,
    }
    .ok_or_else(|| ApiError::Unauthorized(UNAUTHORIZED.into()))?;
    match claims.identity_type.as_deref() {
        Some("person") => {
            if revocation::is_revoked(&state.db, &claims.jti).await? {
                return Err(revoked());
            }
        }
        // API keys: only the latest token issued for the account is valid.
        Some("bot" | "person_api") => {
            if person.text("jti") != Some(claims.jti.as_str()) {
                return Err(revoked());
            }
        }
        _ => return Err(revoked()),
    }
    if !person.active {
        if claims.identity_type.as_deref() == Some("person") {
            revocation::revoke(&state.db, &claims.jti, claims.exp.unwrap_or(claims.iat)).await?;
        }
        return Err(ApiError::Unauthorized(UNAUTHORIZED.into()));
    }
    if person.is_preview_account() {
        check_preview_access(req, &person, &claims)?;
    }
    Ok(Identity { person, claims })
}

/// A preview account reads, and only while its window is open with a token
/// issued since it opened.
fn check_preview_access(req: &HttpRequest, person: &Person, claims: &Claims) -> ApiResult<()> {
    let opened = person
        .preview_open_since()
        .ok_or_else(|| ApiError::Unauthorized(UNAUTHORIZED.into()))?;
    if claims.iat < opened.and_utc().timestamp() {
        return Err(ApiError::Unauthorized(UNAUTHORIZED.into()));
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}
