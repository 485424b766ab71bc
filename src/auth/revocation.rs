//! Revoked person tokens. Zou keeps them in Redis; Tusk keeps them in its
//! database, so a logout survives a restart and is seen by every node.

use crate::db::{now, Db, Value};
use chrono::DateTime;

pub async fn revoke(db: &Db, jti: &str, expires_at: i64) -> sqlx::Result<()> {
    let expires_at = DateTime::from_timestamp(expires_at, 0)
        .map(|t| t.naive_utc())
        .unwrap_or_else(now);
    db.execute(
        "INSERT INTO tusk_revoked_token (jti, expires_at) VALUES ($1, $2) \
         ON CONFLICT (jti) DO NOTHING",
        &[jti.into(), expires_at.into()],
    )
    .await?;
    // Past its expiry a token is refused anyway: keep the table small.
    db.execute(
        "DELETE FROM tusk_revoked_token WHERE expires_at < $1",
        &[now().into()],
    )
    .await?;
    Ok(())
}

pub async fn is_revoked(db: &Db, jti: &str) -> sqlx::Result<bool> {
    let row = db
        .fetch_optional(
            "SELECT jti FROM tusk_revoked_token WHERE jti = $1",
            &[Value::from(jti)],
            None,
        )
        .await?;
    Ok(row.is_some())
}
