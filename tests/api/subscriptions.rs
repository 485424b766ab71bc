//! Following tasks, and a sequence's tasks of a type.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn people_follow_the_tasks_they_may_read() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}");
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "Q1"}))
        .await;
    let (_, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH1", "sequence_id": sequence["id"]}),
        )
        .await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": shot["id"]}),
        )
        .await;
    for (email, role) in [
        ("artist@example.com", Role::User),
        ("vendor@example.com", Role::Vendor),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&project, &person, None).await;
    }
    app.person_with_role("outsider@example.com", Role::User)
        .await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;

    let subscribed = format!("/data/user/tasks/{}/subscribed", id(&task));
    assert_eq!(app.get(&subscribed, &artist).await.1, json!(false));
    let follow = format!("/actions/user/tasks/{}/subscribe", id(&task));
    let (status, row) = app.post(&follow, &artist, json!({})).await;
    assert_eq!(
        (status, &row["task_id"], &row["type"]),
        (201, &task["id"], &json!("Subscription"))
    );
    assert_eq!(
        app.post(&follow, &artist, json!({})).await.1["id"],
        row["id"],
        "once"
    );
    assert_eq!(app.get(&subscribed, &artist).await.1, json!(true));
    let (_, full) = app
        .get(&format!("/data/tasks/{}/full", id(&task)), &artist)
        .await;
    assert_eq!(full["is_subscribed"], true);
    assert_eq!(app.post(&follow, &outsider, json!({})).await.0, 403);
    assert_eq!(
        app.post(&follow, &vendor, json!({})).await.0,
        403,
        "not a task of theirs"
    );

    let unfollow = format!("/actions/user/tasks/{}/unsubscribe", id(&task));
    assert_eq!(app.delete(&unfollow, &artist).await.0, 204);
    assert_eq!(app.get(&subscribed, &artist).await.1, json!(false));
    let (status, many) = app
        .post(
            "/actions/user/tasks/subscribe",
            &artist,
            json!({"task_ids": [id(&task)]}),
        )
        .await;
    assert_eq!((status, many.as_array().unwrap().len()), (201, 1));
    assert_eq!(
        app.post(
            "/actions/user/tasks/subscribe",
            &artist,
            json!({"task_ids": [id(&task), uuid::Uuid::new_v4()]})
        )
        .await
        .0,
        404,
        "all or nothing"
    );
    let (_, gone) = app
        .post(
            "/actions/user/tasks/unsubscribe",
            &artist,
            json!({"task_ids": [id(&task), "x"]}),
        )
        .await;
    assert_eq!(gone, json!([id(&task), "x"]));
    assert_eq!(app.get(&subscribed, &artist).await.1, json!(false));

    let sequence_url = format!(
        "/sequences/{}/task-types/{}",
        id(&sequence),
        id(&animation[0])
    );
    let (status, followed) = app
        .post(
            &format!("/actions/user{sequence_url}/subscribe"),
            &artist,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, &followed["entity_id"], &followed["task_id"]),
        (201, &sequence["id"], &Json::Null)
    );
    assert_eq!(
        app.get(&format!("/data/user{sequence_url}/subscribed"), &artist)
            .await
            .1,
        json!(true)
    );
    assert_eq!(
        app.delete(&format!("/actions/user{sequence_url}/unsubscribe"), &artist)
            .await
            .0,
        204
    );
    assert_eq!(
        app.get(&format!("/data/user{sequence_url}/subscribed"), &artist)
            .await
            .1,
        json!(false)
    );
    let shot_as_sequence = format!(
        "/actions/user/sequences/{}/task-types/{}/subscribe",
        id(&shot),
        id(&animation[0])
    );
    assert_eq!(app.post(&shot_as_sequence, &artist, json!({})).await.0, 404);
}
