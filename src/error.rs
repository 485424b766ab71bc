//! One error type for every route, mapped to the three JSON shapes Zou answers
//! with: `{"msg"}` for token problems, `{"error": true, "message"}` for the
//! rest, and `{"message"}` for database integrity errors in CRUD.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value as Json};
use std::fmt;

pub const NOT_FOUND: &str = "404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";
pub const FORBIDDEN: &str = "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.";
pub const METHOD_NOT_ALLOWED: &str = "The method is not allowed for the requested URL.";
pub const BAD_REQUEST: &str =
    "The browser (or proxy) sent a request that this server could not understand.";
pub const UNAUTHORIZED: &str = "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required.";

#[derive(Debug)]
pub enum ApiError {
    NotFound,
    MethodNotAllowed,
    Forbidden,
    /// 401 with Zou's `{"error": true, "message"}` shape (inactive user, expired token).
    Unauthorized(String),
    /// A token problem, in flask-jwt-extended's `{"msg"}` shape.
    Token(StatusCode, String),
    /// 400 `{"error": true, "message", "data": null}`: input that makes no sense.
    BadRequest(String),
    /// 400 `Validation error.` with one entry per faulty field.
    Validation(Vec<(String, String)>),
    /// A status and a body of its own (login answers, integrity errors).
    Body(StatusCode, Json),
    /// A bug or an outage: logged, answered as Zou's 500 without details.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(message.into())
    }

    /// Zou's 400 for a refused action: `{"error": true, "message": ...}`,
    /// without the `data` key of [`ApiError::bad_request`].
    pub fn refused(message: impl Into<String>) -> ApiError {
        ApiError::Body(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": true, "message": message.into()}),
        )
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![(field.to_string(), message.into())])
    }

    pub fn internal(error: impl fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status_code(), self.body())
    }
}

impl ApiError {
    fn body(&self) -> Json {
        match self {
            ApiError::NotFound => json!({"error": true, "message": NOT_FOUND}),
            ApiError::MethodNotAllowed => json!({"error": true, "message": METHOD_NOT_ALLOWED}),
            ApiError::Forbidden => json!({"error": true, "message": FORBIDDEN}),
            ApiError::Unauthorized(message) => json!({"error": true, "message": message}),
            ApiError::Token(_, msg) => json!({ "msg": msg }),
            ApiError::BadRequest(message) => {
                json!({"error": true, "message": message, "data": null})
            }
            ApiError::Validation(errors) => json!({
                "error": true,
                "message": "Validation error.",
                "data": {"errors": errors
                    .iter()
                    .map(|(field, message)| json!({"field": field, "message": message}))
                    .collect::<Vec<_>>()},
            }),
            ApiError::Body(_, body) => body.clone(),
            ApiError::Internal(_) => json!({"error": true, "message": "Internal server error."}),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Token(status, _) | ApiError::Body(status, _) => *status,
            ApiError::BadRequest(_) | ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(details) = self {
            tracing::error!(%details, "internal error");
        }
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

/// Database constraint failures are the client's doing: Zou answers them with
/// 400 and a bare `{"message"}` that never reveals the SQL.
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        let message = match &error {
            sqlx::Error::Database(database) => match database.kind() {
                ErrorKind::UniqueViolation => {
                    "A record with the same unique values already exists."
                }
                ErrorKind::ForeignKeyViolation => {
                    "The change conflicts with records referencing this one."
                }
                ErrorKind::NotNullViolation => "A required field is missing.",
                ErrorKind::CheckViolation => "The data conflicts with database integrity rules.",
                _ => return ApiError::internal(error),
            },
            _ => return ApiError::internal(error),
        };
        ApiError::Body(StatusCode::BAD_REQUEST, json!({ "message": message }))
    }
}
