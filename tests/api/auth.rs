use crate::common::*;
use reqwest::Method;
use serde_json::json;
use tusk::auth::jwt::{self, Claims, TokenType};
use tusk_actors::role::Role;

#[tokio::test]
async fn login_answers_the_user_the_organisation_and_both_tokens() {
    let app = spawn_app().await;
    let (status, body) = app.login("Admin@Example.com", ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["login"], true);
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["full_name"], "Super Admin");
    assert_eq!(body["user"]["type"], "Person");
    assert_eq!(body["user"]["departments"], json!([]));
    for secret in ["password", "jti", "totp_secret", "login_failed_attemps"] {
        assert!(body["user"].get(secret).is_none(), "{secret} leaked");
    }
    assert_eq!(body["organisation"]["name"], "Kitsu");
    assert_eq!(body["organisation"]["hours_by_day"], 8.0);
    assert_eq!(
        body["organisation"]["chat_token_slack"], "",
        "admins see chat tokens"
    );

    let access = jwt::decode(
        body["access_token"].as_str().unwrap(),
        "test-secret-key",
        now(),
    )
    .unwrap();
    let refresh = jwt::decode(
        body["refresh_token"].as_str().unwrap(),
        "test-secret-key",
        now(),
    )
    .unwrap();
    assert_eq!(access.token_type, TokenType::Access);
    assert_eq!(access.sub, body["user"]["id"].as_str().unwrap());
    assert_eq!(access.identity_type.as_deref(), Some("person"));
    assert_eq!(access.exp, Some(access.iat + jwt::ACCESS_LIFETIME_SECS));
    assert_eq!(access.refresh_jti.as_deref(), Some(refresh.jti.as_str()));
    assert_eq!(refresh.token_type, TokenType::Refresh);
    assert_eq!(refresh.exp, Some(refresh.iat + jwt::REFRESH_LIFETIME_SECS));

    let logs = app
        .db
        .fetch_all("SELECT origin FROM login_log", &[], None)
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["origin"], "script");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong = app.login(ADMIN_EMAIL, "not-the-password").await;
    let unknown = app.login("nobody@example.com", "whatever").await;
    assert_eq!(wrong, (400, json!({"login": false})));
    assert_eq!(unknown, wrong);
}

#[tokio::test]
async fn login_needs_an_email_and_readable_input() {
    let app = spawn_app().await;
    let (status, body) = app
        .anonymous(Method::POST, "/auth/login", Some(json!({"password": "x"})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Validation error.");
    assert_eq!(body["data"]["errors"][0]["field"], "email");

    let response = app
        .client
        .post(format!("{}/auth/login", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], true);
}

#[tokio::test]
async fn login_accepts_a_form_body_and_the_desktop_login() {
    let app = spawn_app().await;
    app.db
        .execute(
            "UPDATE person SET desktop_login = 'sadmin' WHERE email = $1",
            &[ADMIN_EMAIL.into()],
        )
        .await
        .unwrap();
    let response = app
        .client
        .post(format!("{}/api/auth/login", app.address))
        .form(&[("email", "sadmin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn five_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.person_with_role("artist@example.com", Role::User).await;
    for _ in 0..5 {
        assert_eq!(app.login("artist@example.com", "wrong").await.0, 400);
    }
    let (status, body) = app.login("artist@example.com", PASSWORD).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": true, "login": false, "too_many_failed_login_attemps": true})
    );
    // A minute later the lock is over.
    app.db
        .execute(
            "UPDATE person SET last_login_failed = $1 WHERE email = 'artist@example.com'",
            &[(tusk::db::now() - chrono::Duration::seconds(61)).into()],
        )
        .await
        .unwrap();
    assert_eq!(app.login("artist@example.com", PASSWORD).await.0, 200);
    let row = app
        .db
        .fetch_optional(
            "SELECT login_failed_attemps FROM person WHERE email = 'artist@example.com'",
            &[],
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row["login_failed_attemps"], 0);
}

#[tokio::test]
async fn an_inactive_user_is_told_only_after_proving_the_password() {
    let app = spawn_app().await;
    app.person_with_role("gone@example.com", Role::User).await;
    let token = app.token_for("gone@example.com", PASSWORD).await;
    app.db
        .execute(
            "UPDATE person SET active = FALSE WHERE email = 'gone@example.com'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        app.login("gone@example.com", "wrong").await,
        (400, json!({"login": false}))
    );
    let (status, body) = app.login("gone@example.com", PASSWORD).await;
    assert_eq!(status, 401);
    assert_eq!(body["unactive"], true);
    assert_eq!(body["message"], "User is unactive, he cannot log in.");
    // A token issued before deactivation stops working.
    let (status, body) = app.get("/auth/authenticated", &token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], true);
}

#[tokio::test]
async fn two_factor_accounts_are_asked_for_a_code() {
    let app = spawn_app().await;
    app.person_with_role("secure@example.com", Role::User).await;
    app.db
        .execute(
            "UPDATE person SET totp_enabled = TRUE, preferred_two_factor_authentication = 'totp' \
             WHERE email = 'secure@example.com'",
            &[],
        )
        .await
        .unwrap();
    let (status, body) = app.login("secure@example.com", PASSWORD).await;
    assert_eq!(status, 400);
    assert_eq!(body["missing_OTP"], true);
    assert_eq!(body["preferred_two_factor_authentication"], "totp");
    assert_eq!(
        body["two_factor_authentication_enabled"],
        json!(["recovery_code", "totp"])
    );
}

#[tokio::test]
async fn authenticated_tells_who_is_logged_in() {
    let app = spawn_app().await;
    app.person_with_role("sup@example.com", Role::Supervisor)
        .await;
    let token = app.token_for("sup@example.com", PASSWORD).await;
    let (status, body) = app.get("/api/auth/authenticated", &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["authenticated"], true);
    assert_eq!(body["user"]["email"], "sup@example.com");
    assert_eq!(body["user"]["role"], "supervisor");
    assert_eq!(body["user"]["fido_devices"], json!([]));
    assert_eq!(body["organisation"]["type"], "Organisation");
    assert!(
        body["organisation"].get("chat_token_slack").is_none(),
        "only admins see chat tokens"
    );
}

#[tokio::test]
async fn token_errors_have_zou_codes_and_shapes() {
    let app = spawn_app().await;
    let (status, body) = app
        .anonymous(Method::GET, "/auth/authenticated", None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["msg"],
        "Missing JWT in cookies or headers (Missing cookie \"access_token_cookie\"; Missing Authorization Header)"
    );
    assert_eq!(
        app.get("/auth/authenticated", "garbage").await,
        (422, json!({"msg": "Not enough segments"}))
    );

    let admin_id = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let forged = jwt::encode(
        &Claims::for_person(admin_id, TokenType::Access, now()),
        "another-secret",
    );
    assert_eq!(
        app.get("/auth/authenticated", &forged).await,
        (422, json!({"msg": "Signature verification failed"}))
    );
    let expired = jwt::encode(
        &Claims::for_person(
            admin_id,
            TokenType::Access,
            now() - jwt::ACCESS_LIFETIME_SECS - 10,
        ),
        "test-secret-key",
    );
    assert_eq!(
        app.get("/auth/authenticated", &expired).await,
        (
            401,
            json!({"error": true, "message": "Signature has expired"})
        )
    );
    let refresh = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get("/auth/authenticated", &refresh).await,
        (422, json!({"msg": "Only non-refresh tokens are allowed"}))
    );
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_and_only_takes_refresh_tokens() {
    let app = spawn_app().await;
    let (_, login) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let refresh = login["refresh_token"].as_str().unwrap();
    let (status, body) = app.get("/auth/refresh-token", refresh).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/auth/authenticated", access).await.0, 200);
    let claims = jwt::decode(access, "test-secret-key", now()).unwrap();
    let refresh_claims = jwt::decode(refresh, "test-secret-key", now()).unwrap();
    assert_eq!(claims.refresh_jti, Some(refresh_claims.jti));

    let (status, body) = app
        .get(
            "/auth/refresh-token",
            login["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(
        (status, body),
        (422, json!({"msg": "Only refresh tokens are allowed"}))
    );
}

#[tokio::test]
async fn logout_revokes_both_tokens_and_survives_a_restart() {
    let app = spawn_app().await;
    let (_, login) = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access = login["access_token"].as_str().unwrap();
    let refresh = login["refresh_token"].as_str().unwrap();
    let other_session = app.admin_token().await;

    assert_eq!(
        app.get("/auth/logout", access).await,
        (200, json!({"logout": true}))
    );
    let revoked = (401, json!({"msg": "Token has been revoked"}));
    assert_eq!(app.get("/auth/authenticated", access).await, revoked);
    assert_eq!(app.get("/auth/refresh-token", refresh).await, revoked);
    assert_eq!(app.get("/auth/authenticated", &other_session).await.0, 200);

    let restarted = spawn_with(app.config.clone()).await;
    assert_eq!(restarted.get("/auth/authenticated", access).await, revoked);
    assert_eq!(
        restarted.get("/auth/authenticated", &other_session).await.0,
        200
    );
}

#[tokio::test]
async fn browsers_get_cookies_and_the_cookie_authenticates() {
    let app = spawn_app().await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
        .build()
        .unwrap();
    let response = browser
        .post(format!("{}/api/auth/login", app.address))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(response.status(), 200);
    assert!(cookies.iter().any(|c| c.starts_with("access_token_cookie=")
        && c.contains("HttpOnly")
        && c.contains("Path=/;")));
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("refresh_token_cookie=")
            && c.contains("Path=/api/auth/refresh-token")));
    let logs = app
        .db
        .fetch_all("SELECT origin FROM login_log", &[], None)
        .await
        .unwrap();
    assert_eq!(logs[0]["origin"], "web");

    // The cookie alone authenticates, and it wins over a bad header.
    let (status, body) = read(
        browser
            .get(format!("{}/api/auth/authenticated", app.address))
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);

    let (status, body) = read(
        browser
            .get(format!("{}/api/auth/refresh-token", app.address))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, json!({"refresh": true})));

    let (status, _) = read(
        browser
            .get(format!("{}/api/auth/logout", app.address))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = read(
        browser
            .get(format!("{}/api/auth/authenticated", app.address))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "logout clears the cookies");
}

#[tokio::test]
async fn change_password_checks_each_rule_then_takes_the_new_password() {
    let app = spawn_app().await;
    app.person_with_role("artist@example.com", Role::User).await;
    let token = app.token_for("artist@example.com", PASSWORD).await;
    let change = |old: &str, new: &str, confirm: &str| json!({"old_password": old, "password": new, "password_2": confirm});
    let message = |(status, body): (u16, serde_json::Value)| (status, body["message"].clone());
    assert_eq!(
        message(
            app.post(
                "/auth/change-password",
                &token,
                change("wrong", "new-password", "new-password")
            )
            .await
        ),
        (400, json!("Old password is wrong."))
    );
    assert_eq!(
        message(
            app.post(
                "/auth/change-password",
                &token,
                change(PASSWORD, "short", "short")
            )
            .await
        ),
        (400, json!("Password is too short."))
    );
    assert_eq!(
        message(
            app.post(
                "/auth/change-password",
                &token,
                change(PASSWORD, "new-password", "other-password")
            )
            .await
        ),
        (400, json!("Confirmation password doesn't match."))
    );
    let (status, body) = app
        .post("/auth/change-password", &token, json!({"password": "x"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"][0]["field"], "old_password");

    assert_eq!(
        app.post(
            "/auth/change-password",
            &token,
            change(PASSWORD, "new-password", "new-password")
        )
        .await,
        (200, json!({"success": true}))
    );
    assert_eq!(app.login("artist@example.com", PASSWORD).await.0, 400);
    assert_eq!(app.login("artist@example.com", "new-password").await.0, 200);
    assert_eq!(
        app.get("/auth/authenticated", &token).await.0,
        200,
        "tokens stay valid"
    );
}
