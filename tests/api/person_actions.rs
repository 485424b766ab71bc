//! What an admin does to someone else's account.

use crate::common::*;
use serde_json::json;
use tusk_actors::role::Role;

const UNKNOWN: &str = "0191e4e5-0000-7000-8000-000000000000";

async fn make_bot(app: &TestApp, person: &str) {
    app.db
        .execute(
            "UPDATE person SET is_bot = TRUE WHERE id = $1",
            &[uuid::Uuid::parse_str(person).unwrap().into()],
        )
        .await
        .unwrap();
}

async fn events(app: &TestApp, name: &str, person: &str) -> usize {
    let rows = app
        .db
        .fetch_all(
            "SELECT data FROM api_event WHERE name = $1",
            &[name.into()],
            Some("api_event"),
        )
        .await
        .unwrap();
    rows.iter()
        .filter(|row| row["data"]["person_id"] == person)
        .count()
}

#[tokio::test]
async fn an_admin_sets_a_password_within_zous_limits() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let other_admin = app
        .person_with_role("admin2@example.com", Role::Admin)
        .await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let bot = app.person_with_role("bot@example.com", Role::User).await;
    make_bot(&app, &bot).await;
    let url = format!("/actions/persons/{artist}/change-password");
    let good = json!({"password": "brand-new-pass", "password_2": "brand-new-pass"});

    // The person is looked up first: 404 and the bot's 403 come before the role check.
    assert_eq!(
        app.post(
            &format!("/actions/persons/{UNKNOWN}/change-password"),
            &manager,
            good.clone()
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.post(
            &format!("/actions/persons/{bot}/change-password"),
            &admin,
            good.clone()
        )
        .await
        .0,
        403
    );
    assert_eq!(app.post(&url, &manager, good.clone()).await.0, 403);

    let (status, body) = app.post(&url, &admin, json!({"password": ""})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["errors"],
        json!([
            {"field": "password", "message": "String should have at least 1 character"},
            {"field": "password_2", "message": "Field required"},
        ])
    );
    let (_, body) = app
        .post(&url, &admin, json!({"password": 12, "password_2": "abc"}))
        .await;
    assert_eq!(
        body["data"]["errors"][0]["message"],
        "Input should be a valid string"
    );
    // The mismatch is told before the length.
    let (status, body) = app
        .post(
            &url,
            &admin,
            json!({"password": "abc", "password_2": "abd"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["errors"][0],
        json!({"field": "", "message": "Value error, Confirmation password doesn't match."})
    );
    let (status, body) = app
        .post(
            &url,
            &admin,
            json!({"password": "abc", "password_2": "abc"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": true, "message": "Password is too short."})
        )
    );
    let (status, body) = app
        .post(
            &format!("/actions/persons/{other_admin}/change-password"),
            &admin,
            good.clone(),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": true, "message": "An admin can't change another admin's password."})
        )
    );

    let (status, body) = app.post(&url, &admin, good).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    assert_eq!(app.login("artist@example.com", PASSWORD).await.0, 400);
    assert_eq!(
        app.login("artist@example.com", "brand-new-pass").await.0,
        200
    );
    // An admin without a password may be given one.
    app.db
        .execute(
            "UPDATE person SET password = NULL WHERE id = $1",
            &[uuid::Uuid::parse_str(&other_admin).unwrap().into()],
        )
        .await
        .unwrap();
    let (status, _) = app
        .post(
            &format!("/actions/persons/{other_admin}/change-password"),
            &admin,
            json!({"password": "admin-two-pass", "password_2": "admin-two-pass"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.login("admin2@example.com", "admin-two-pass").await.0,
        200
    );
}

#[tokio::test]
async fn an_admin_turns_off_someone_elses_second_factor() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let other_admin = app
        .person_with_role("admin2@example.com", Role::Admin)
        .await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let url = format!("/actions/persons/{artist}/disable-two-factor-authentication");

    let (status, body) = app.delete(&url, &admin).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": true, "message": "Two factor authentication not enabled for this user."})
        )
    );
    app.db
        .execute(
            "UPDATE person SET totp_enabled = TRUE, totp_secret = 'SECRET', \
             preferred_two_factor_authentication = 'totp' WHERE id = $1",
            &[uuid::Uuid::parse_str(&artist).unwrap().into()],
        )
        .await
        .unwrap();
    assert_eq!(app.login("artist@example.com", PASSWORD).await.0, 400);
    assert_eq!(app.delete(&url, &manager).await.0, 403);
    assert_eq!(
        app.delete(
            &format!("/actions/persons/{UNKNOWN}/disable-two-factor-authentication"),
            &manager
        )
        .await
        .0,
        404
    );
    let (status, body) = app
        .delete(
            &format!("/actions/persons/{other_admin}/disable-two-factor-authentication"),
            &admin,
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("An admin can't disable 2FA for other admins."))
    );

    let (status, body) = app.delete(&url, &admin).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["totp_enabled"], false);
    assert_eq!(person["preferred_two_factor_authentication"], json!(null));
    assert_eq!(app.login("artist@example.com", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn an_admin_clears_avatars_and_moves_people_between_departments() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let bot = app.person_with_role("bot@example.com", Role::User).await;
    make_bot(&app, &bot).await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let (_, departments) = app.get("/data/departments", &admin).await;
    let dept = departments[0]["id"].as_str().unwrap().to_string();

    app.db
        .execute(
            "UPDATE person SET has_avatar = TRUE WHERE id = $1",
            &[uuid::Uuid::parse_str(&artist).unwrap().into()],
        )
        .await
        .unwrap();
    let clear = format!("/actions/persons/{artist}/clear-avatar");
    assert_eq!(app.delete(&clear, &manager).await.0, 403);
    assert_eq!(
        app.delete(
            &format!("/actions/persons/{UNKNOWN}/clear-avatar"),
            &manager
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.delete(&format!("/actions/persons/{UNKNOWN}/clear-avatar"), &admin)
            .await
            .0,
        404
    );
    assert_eq!(app.delete(&clear, &admin).await.0, 204);
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["has_avatar"], false);
    assert_eq!(events(&app, "person:update", &artist).await, 1);
    // Bots' avatars too.
    assert_eq!(
        app.delete(&format!("/actions/persons/{bot}/clear-avatar"), &admin)
            .await
            .0,
        204
    );

    let add = format!("/actions/persons/{artist}/departments/add");
    assert_eq!(
        app.post(&add, &manager, json!({"department_id": dept}))
            .await
            .0,
        403
    );
    let (status, body) = app.post(&add, &admin, json!({})).await;
    assert_eq!(
        (status, &body["data"]["errors"][0]["field"]),
        (400, &json!("department_id"))
    );
    let (status, body) = app
        .post(&add, &admin, json!({"department_id": UNKNOWN}))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Department ID matches no department"))
    );
    assert_eq!(
        app.post(
            &format!("/actions/persons/{UNKNOWN}/departments/add"),
            &admin,
            json!({"department_id": dept})
        )
        .await
        .0,
        404
    );
    let (status, person) = app.post(&add, &admin, json!({"department_id": dept})).await;
    assert_eq!(status, 201);
    assert_eq!(person["id"], artist);
    assert_eq!(person["departments"], json!([dept]));
    assert_eq!(person["email"], "artist@example.com");
    assert!(person.get("password").is_none());
    // Adding it again changes nothing; the event is still sent.
    let (status, person) = app.post(&add, &admin, json!({"department_id": dept})).await;
    assert_eq!((status, &person["departments"]), (201, &json!([dept])));
    assert_eq!(events(&app, "person:update", &artist).await, 3);

    let remove = format!("/actions/persons/{artist}/departments/{dept}");
    assert_eq!(app.delete(&remove, &manager).await.0, 403);
    let (status, body) = app
        .delete(
            &format!("/actions/persons/{artist}/departments/nope"),
            &admin,
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Department ID matches no department"))
    );
    assert_eq!(app.delete(&remove, &admin).await.0, 204);
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["departments"], json!([]));
    // Removing a department the person is not in is accepted.
    assert_eq!(app.delete(&remove, &admin).await.0, 204);
    assert_eq!(events(&app, "person:update", &artist).await, 5);
}
