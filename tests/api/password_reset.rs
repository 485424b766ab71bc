//! Getting back into an account: the recovery request, the reset with its
//! token, an admin's invitation and reset link.

use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn stored_token(app: &TestApp, email: &str) -> Option<Json> {
    app.db
        .fetch_optional(
            "SELECT token, expires_at FROM tusk_reset_token WHERE email = $1",
            &[email.into()],
            None,
        )
        .await
        .unwrap()
        .map(Json::Object)
}

async fn reset(
    app: &TestApp,
    email: &str,
    token: &str,
    password: &str,
    again: &str,
) -> (u16, Json) {
    app.anonymous(
        Method::PUT,
        "/auth/reset-password",
        Some(json!({"email": email, "token": token, "password": password, "password2": again})),
    )
    .await
}

#[tokio::test]
async fn a_recovery_token_resets_the_password_once() {
    let app = spawn_app().await;
    let email = "artist@example.com";
    app.person_with_role(email, Role::User).await;

    let (status, body) = app
        .anonymous(
            Method::POST,
            "/auth/reset-password",
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": "Reset token sent"}))
    );
    // Unknown accounts get the same answer, and nothing is stored for them.
    let (status, body) = app
        .anonymous(
            Method::POST,
            "/auth/reset-password",
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": "Reset token sent"}))
    );
    assert!(stored_token(&app, "nobody@example.com").await.is_none());
    let (status, body) = app
        .anonymous(Method::POST, "/auth/reset-password", Some(json!({})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"][0]["field"], "email");

    let token = stored_token(&app, email).await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 64);

    let (status, body) = reset(&app, email, "WRONG", "new-password-1", "new-password-1").await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Wrong or expired token."))
    );
    let (status, body) = reset(&app, email, &token, "short", "short").await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Password is too short."))
    );
    let (status, body) = reset(&app, email, &token, "new-password-1", "new-password-2").await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("Confirmation password doesn't match."))
    );
    let (status, body) = reset(&app, email, &token, "new-password-1", "new-password-1").await;
    assert_eq!((status, body), (200, json!({"success": true})));

    assert_eq!(app.login(email, "new-password-1").await.0, 200);
    assert_eq!(app.login(email, PASSWORD).await.0, 400);
    let (status, _) = reset(&app, email, &token, "new-password-3", "new-password-3").await;
    assert_eq!(status, 400, "a token is used once");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let email = "artist@example.com";
    app.person_with_role(email, Role::User).await;
    app.anonymous(
        Method::POST,
        "/auth/reset-password",
        Some(json!({"email": email})),
    )
    .await;
    let token = stored_token(&app, email).await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    app.db
        .execute(
            "UPDATE tusk_reset_token SET expires_at = $1",
            &[(tusk::db::now() - chrono::Duration::minutes(1)).into()],
        )
        .await
        .unwrap();
    let (status, _) = reset(&app, email, &token, "new-password-1", "new-password-1").await;
    assert_eq!(status, 400);
    assert_eq!(app.login(email, PASSWORD).await.0, 200);
}

#[tokio::test]
async fn an_admin_invites_and_hands_out_a_reset_link() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let email = "new.artist@example.com";
    let person = app.person_with_role(email, Role::User).await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager_token = app.token_for("manager@example.com", PASSWORD).await;

    let invite = format!("/actions/persons/{person}/invite");
    let (status, _) = app.get(&invite, &manager_token).await;
    assert_eq!(status, 403);
    let (status, body) = app.get(&invite, &admin).await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "message": "Email sent"}))
    );
    let stored = stored_token(&app, email).await.unwrap();
    let expires = tusk::db::parse_timestamp(stored["expires_at"].as_str().unwrap()).unwrap();
    assert!(expires > tusk::db::now() + chrono::Duration::days(6));
    let (status, _) = app
        .get(
            &format!("/actions/persons/{}/invite", uuid::Uuid::new_v4()),
            &admin,
        )
        .await;
    assert_eq!(status, 404);

    // The link carries the live (invitation) token, and stays the same.
    let link_url = format!("/actions/persons/{person}/reset-password-link");
    let (status, _) = app.post(&link_url, &manager_token, Json::Null).await;
    assert_eq!(status, 403);
    let (status, body) = app.post(&link_url, &admin, Json::Null).await;
    assert_eq!(status, 200, "{body}");
    let token = stored["token"].as_str().unwrap();
    assert_eq!(
        body["reset_password_link"],
        format!(
            "https://localhost:8080/reset-change-password?email=new.artist%40example.com&token={token}"
        )
    );
    let (_, again) = app.post(&link_url, &admin, Json::Null).await;
    assert_eq!(again, body);
    let (status, _) = reset(&app, email, token, "chosen-password", "chosen-password").await;
    assert_eq!(status, 200);
    assert_eq!(app.login(email, "chosen-password").await.0, 200);
    // Used up: the next link carries a new token.
    let (_, fresh) = app.post(&link_url, &admin, Json::Null).await;
    assert_ne!(fresh, body);

    // Another admin's password is not an admin's to reset; bots have none.
    let other_admin = app
        .person_with_role("second.admin@example.com", Role::Admin)
        .await;
    let (status, body) = app
        .post(
            &format!("/actions/persons/{other_admin}/reset-password-link"),
            &admin,
            Json::Null,
        )
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!("An admin can't change another admin's password.")
        )
    );
    let bot = app.bot_token(&admin, Role::User).await;
    let (_, bots) = app.get("/data/persons?is_bot=true", &admin).await;
    assert!(!bot.is_empty());
    let (status, _) = app
        .post(
            &format!(
                "/actions/persons/{}/reset-password-link",
                bots[0]["id"].as_str().unwrap()
            ),
            &admin,
            Json::Null,
        )
        .await;
    assert_eq!(status, 403);
}
