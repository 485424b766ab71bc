//! The caller's notifications: listing, filtering, marking read.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn the_bell_lists_what_happened_on_a_person_s_tasks() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    for person in [&artist, &client] {
        app.join_team(&project, person, None).await;
    }
    let asset = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (_, wip) = app.get("/data/task-status?short_name=wip", &admin).await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"]}),
        )
        .await;
    app.put(
        &format!("/actions/tasks/{}/assign", id(&task)),
        &admin,
        json!({"person_id": artist}),
    )
    .await;
    let (_, comment) = app
        .post(
            "/data/comments",
            &admin,
            json!({"object_id": task["id"], "object_type": "Task", "person_id": client, "text": "Too dark",
                   "task_status_id": wip[0]["id"]}),
        )
        .await;
    let (status, created) = app
        .post(
            "/data/notifications",
            &admin,
            json!({"type": "comment", "person_id": artist, "author_id": client, "comment_id": comment["id"],
                   "task_id": task["id"], "read": false, "change": false, "created_at": "2030-01-01T10:00:00"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    let artist_token = app.token_for("artist@example.com", PASSWORD).await;
    let (status, bell) = app.get("/data/user/notifications", &artist_token).await;
    assert_eq!(status, 200, "{bell}");
    assert_eq!(bell.as_array().unwrap().len(), 2);
    let (latest, assignation) = (&bell[0], &bell[1]);
    assert_eq!(
        (
            &latest["notification_type"],
            &latest["full_entity_name"],
            &latest["comment_text"],
            &latest["task_status_id"],
            &latest["project_name"]
        ),
        (
            &json!("comment"),
            &json!("Character / Hero"),
            &json!(""),
            &wip[0]["id"],
            &json!("Film")
        ),
        "a client's words are hidden from artists"
    );
    assert_eq!(
        (
            &assignation["notification_type"],
            &assignation["comment_text"]
        ),
        (&json!("assignation"), &Json::Null)
    );

    let (_, comments_only) = app
        .get("/data/user/notifications?type=comment", &artist_token)
        .await;
    assert_eq!(comments_only.as_array().unwrap().len(), 1);
    let one = format!("/data/user/notifications/{}", id(latest));
    let (status, marked) = app.put(&one, &artist_token, json!({"read": "yes"})).await;
    assert_eq!(
        (status, &marked["read"], &marked["notification_type"]),
        (200, &json!(true), &json!("comment"))
    );
    let (_, unread) = app
        .get("/data/user/notifications?read=false", &artist_token)
        .await;
    assert_eq!(unread.as_array().unwrap().len(), 1);
    assert_eq!(app.get(&one, &admin).await.0, 404, "someone else's");
    assert_eq!(app.put(&one, &artist_token, json!({})).await.0, 400);
    assert_eq!(
        app.get("/data/user/notifications?before=never", &artist_token)
            .await
            .0,
        400
    );

    let (status, done) = app
        .post(
            "/actions/user/notifications/mark-all-as-read",
            &artist_token,
            json!({}),
        )
        .await;
    assert_eq!((status, done), (200, json!({"success": true})));
    assert_eq!(
        app.get("/data/user/context", &artist_token).await.1["notification_count"],
        0
    );
}
