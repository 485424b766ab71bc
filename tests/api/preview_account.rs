//! A project's preview account: a read-only login opened for an hour at a time.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn a_preview_account_logs_in_only_while_open_and_only_reads() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let manager = app
        .person_with_role("manager@example.com", Role::Manager)
        .await;
    app.join_team(&project, &manager, None).await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let url = format!("/data/projects/{project}/preview-account");
    assert_eq!(app.get(&url, &manager).await, (200, Json::Null));

    let (status, created) = app.post(&url, &manager, json!({})).await;
    assert_eq!(status, 201, "{created}");
    let email = created["email"].as_str().unwrap().to_string();
    let secret = created["password"].as_str().unwrap().to_string();
    assert!(email.starts_with("preview-") && email.ends_with("@preview.kitsu.invalid"));
    assert_eq!(
        (&created["full_name"], &created["preview_open_until"]),
        (&json!("Preview Film"), &Json::Null)
    );
    let (_, shown) = app.get(&url, &manager).await;
    assert_eq!(shown["id"], created["id"]);
    assert!(shown.get("password").is_none());
    let (_, team) = app
        .get(&format!("/data/projects/{project}/team"), &admin)
        .await;
    assert!(team.to_string().contains(created["id"].as_str().unwrap()));

    let (status, refused) = app.login(&email, &secret).await;
    assert_eq!(
        (status, &refused["unactive"]),
        (401, &json!(true)),
        "closed"
    );
    let (status, opened) = app.put(&url, &manager, json!({"is_open": "yes"})).await;
    assert_eq!(status, 200, "{opened}");
    assert!(opened["preview_open_until"].is_string());
    let token = app.token_for(&email, &secret).await;
    assert_eq!(
        app.get(&format!("/data/projects/{project}"), &token)
            .await
            .0,
        200
    );
    assert_eq!(
        app.post(
            &format!("/data/projects/{project}/sequences"),
            &token,
            json!({"name": "Q1"})
        )
        .await
        .0,
        403,
        "it only reads"
    );

    assert_eq!(
        app.put(&url, &manager, json!({"is_open": false})).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("/data/projects/{project}"), &token)
            .await
            .0,
        401,
        "closing ends its sessions"
    );
    let (status, reset) = app.post(&url, &manager, json!({})).await;
    assert_eq!((status, &reset["id"]), (201, &created["id"]));
    app.put(&url, &manager, json!({"is_open": true})).await;
    assert_eq!(
        app.login(&email, &secret).await.0,
        400,
        "the old password is gone"
    );
    assert_eq!(
        app.login(&email, reset["password"].as_str().unwrap())
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn only_managers_handle_the_preview_account_and_it_takes_no_tasks() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let url = format!("/data/projects/{project}/preview-account");
    assert_eq!(app.post(&url, &artist, json!({})).await.0, 403);
    assert_eq!(app.get(&url, &artist).await.0, 403);
    assert_eq!(
        app.put(&url, &admin, json!({"is_open": true})).await.1["message"],
        "404 Not Found: No preview account for this project"
    );
    assert_eq!(app.put(&url, &admin, json!({})).await.0, 400);
    let (_, account) = app.post(&url, &admin, json!({})).await;

    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "/data/projects/{project}/asset-types/{}/assets/new",
                types[0]["id"].as_str().unwrap()
            ),
            &admin,
            json!({"name": "Hero"}),
        )
        .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (status, refused) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"], "assignees": [account["id"]]}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["message"], "A preview account can't be assigned");
    let (_, persons) = app.get("/data/persons", &admin).await;
    assert!(!persons
        .to_string()
        .contains(account["id"].as_str().unwrap()));

    assert_eq!(app.delete(&url, &admin).await.0, 204);
    assert_eq!(app.get(&url, &admin).await, (200, Json::Null));
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.get(
            &format!("/data/projects/{unknown}/preview-account"),
            &artist
        )
        .await
        .0,
        404
    );
}
