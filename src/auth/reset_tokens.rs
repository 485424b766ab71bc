//! Password reset tokens: what the recovery mail, the invitation and an
//! admin's reset link carry, redeemed once by `PUT /auth/reset-password`.
//! Zou keeps them in Redis; Tusk keeps them in its database, so a link sent
//! before a restart still works.

use crate::db::{now, Db, Tx, Value};
use chrono::Duration;
use rand::Rng;

/// How long a token lives: a recovery mail or a reset link (Zou: 2 hours).
pub const RESET_LIFETIME: Duration = Duration::hours(2);
/// How long an invitation lives (Zou: a week).
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

/// 64 characters of A-Z and 0-9, as Zou makes them.
fn new_token() -> String {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..64)
        .map(|_| CHARSET[rng.gen_range(0..CHARSET.len())] as char)
        .collect()
}

/// Stores a new token for the email, replacing any earlier one.
pub async fn issue(db: &Db, email: &str, lifetime: Duration) -> sqlx::Result<String> {
    let token = new_token();
    let mut tx = db.begin().await?;
    tx.execute(
        "DELETE FROM tusk_reset_token WHERE email = $1",
        &[email.into()],
    )
    .await?;
    tx.execute(
        "INSERT INTO tusk_reset_token (email, token, expires_at) VALUES ($1, $2, $3)",
        &[
            email.into(),
            token.clone().into(),
            (now() + lifetime).into(),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The email's live token, or a new one: a link shared earlier stays valid.
pub async fn current_or_issue(db: &Db, email: &str, lifetime: Duration) -> sqlx::Result<String> {
    let live = db
        .fetch_optional(
            "SELECT token FROM tusk_reset_token WHERE email = $1 AND expires_at > $2",
            &[email.into(), now().into()],
            None,
        )
        .await?;
    match live.as_ref().and_then(|row| row["token"].as_str()) {
        Some(token) => Ok(token.to_string()),
        None => issue(db, email, lifetime).await,
    }
}

/// Uses up the email's token if `token` is it and it has not expired.
pub async fn redeem(tx: &mut Tx, email: &str, token: &str) -> sqlx::Result<bool> {
    let stored = tx
        .fetch_optional(
            "SELECT token FROM tusk_reset_token WHERE email = $1 AND expires_at > $2",
            &[email.into(), now().into()],
            None,
        )
        .await?;
    let matches = stored
        .as_ref()
        .and_then(|row| row["token"].as_str())
        .is_some_and(|stored| constant_time_eq(stored.as_bytes(), token.as_bytes()));
    if matches {
        tx.execute(
            "DELETE FROM tusk_reset_token WHERE email = $1",
            &[Value::from(email)],
        )
        .await?;
    }
    Ok(matches)
}

/// Compares without stopping at the first difference, so the time taken says
/// nothing of how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_uppercase_letters_and_digits() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert!(token
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_ne!(token, new_token());
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(constant_time_eq(b"ABC", b"ABC"));
        assert!(!constant_time_eq(b"ABC", b"ABD"));
        assert!(!constant_time_eq(b"ABC", b"AB"));
    }
}
