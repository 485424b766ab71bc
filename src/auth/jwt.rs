//! HS256 JSON Web Tokens with the claims flask-jwt-extended puts in Zou's tokens,
//! so tokens from either server read the same way.

use actix_web::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::ApiError;

/// Zou's lifetimes, hard-coded there too.
pub const ACCESS_LIFETIME_SECS: i64 = 7 * 24 * 3600;
pub const REFRESH_LIFETIME_SECS: i64 = 15 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub fresh: bool,
    pub iat: i64,
    pub jti: String,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// The person's id.
    pub sub: String,
    pub nbf: i64,
    /// Absent on bot tokens without an expiration date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// `person`, `bot` or `person_api`; a token without it counts as revoked.
    #[serde(default)]
    pub identity_type: Option<String>,
    /// On access tokens: the refresh token issued with it, revoked with it at logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_jti: Option<String>,
}

impl Claims {
    /// Claims for a person's login token of the given type, valid from `now`.
    pub fn for_person(person_id: Uuid, token_type: TokenType, now: i64) -> Claims {
        let lifetime = match token_type {
            TokenType::Access => ACCESS_LIFETIME_SECS,
            TokenType::Refresh => REFRESH_LIFETIME_SECS,
        };
        Claims {
            fresh: false,
            iat: now,
            jti: Uuid::now_v7().to_string(),
            token_type,
            sub: person_id.to_string(),
            nbf: now,
            exp: Some(now + lifetime),
            identity_type: Some("person".into()),
            refresh_jti: None,
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length")
}

pub fn encode(claims: &Claims, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

fn unprocessable(message: &str) -> ApiError {
    ApiError::Token(StatusCode::UNPROCESSABLE_ENTITY, message.to_string())
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Checks the signature and the time claims, with the messages PyJWT gives:
/// a malformed or forged token is 422, an expired one 401.
pub fn decode(token: &str, secret: &str, now: i64) -> Result<Claims, ApiError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(unprocessable("Not enough segments"));
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| unprocessable("Invalid header padding"))?;
    if header.alg != "HS256" {
        return Err(unprocessable("The specified alg value is not allowed"));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| unprocessable("Invalid crypto padding"))?;
    let mut mac = mac(secret);
    let signing_input = &token[..header_and_payload_len(token)];
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| unprocessable("Signature verification failed"))?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| unprocessable("Invalid payload string"))?;
    if claims.exp.is_some_and(|exp| exp <= now) {
        return Err(ApiError::Unauthorized("Signature has expired".into()));
    }
    if claims.nbf > now {
        return Err(unprocessable("The token is not yet valid (nbf)"));
    }
    Ok(claims)
}

/// Length of `header.payload`, the part the signature covers.
fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "test-secret";

    #[test]
    fn a_token_reads_back_as_its_claims() {
        let claims = Claims::for_person(Uuid::now_v7(), TokenType::Access, 1_000);
        assert_eq!(
            decode(&encode(&claims, SECRET), SECRET, 1_001).unwrap(),
            claims
        );
    }

    #[test]
    fn reads_a_token_signed_by_flask_jwt_extended() {
        // HS256 over the same header and claims, computed with Python's hmac as PyJWT does.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmcmVzaCI6ZmFsc2UsImlhdCI6MTAwMCwianRpIjoiYWJjIiwidHlwZSI6ImFjY2VzcyIsInN1YiI6IjEyMyIsIm5iZiI6MTAwMCwiZXhwIjo5OTk5OTk5OTk5LCJpZGVudGl0eV90eXBlIjoicGVyc29uIn0.ZYCEDCyFcH9FnGQvHDpXXj1uCWtPWDCXTyvS9Bdmo94";
        let claims = decode(token, SECRET, 2_000).unwrap();
        assert_eq!(claims.sub, "123");
        assert_eq!(claims.identity_type.as_deref(), Some("person"));
    }

    #[test]
    fn rejects_forged_expired_and_malformed_tokens() {
        let claims = Claims::for_person(Uuid::now_v7(), TokenType::Access, 1_000);
        let token = encode(&claims, SECRET);
        let message = |result: Result<Claims, ApiError>| match result.unwrap_err() {
            ApiError::Token(status, msg) => format!("{} {msg}", status.as_u16()),
            ApiError::Unauthorized(message) => format!("401 {message}"),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(
            message(decode(&token, "other-secret", 1_001)),
            "422 Signature verification failed"
        );
        assert_eq!(
            message(decode(&token, SECRET, 1_000 + ACCESS_LIFETIME_SECS)),
            "401 Signature has expired"
        );
        assert_eq!(
            message(decode("abc", SECRET, 1_001)),
            "422 Not enough segments"
        );
    }
}
