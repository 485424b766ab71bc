//! To-do lists: a person's open and done tasks, named as Kitsu names them.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn a_to_do_list_names_each_task_s_entity_and_its_last_word() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let (_, episode) = app
        .post(&format!("{base}/episodes"), &admin, json!({"name": "E01"}))
        .await;
    let (_, sequence) = app
        .post(
            &format!("{base}/sequences"),
            &admin,
            json!({"name": "SQ01", "episode_id": episode["id"]}),
        )
        .await;
    let (_, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH010", "sequence_id": sequence["id"]}),
        )
        .await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!("{base}/asset-types/{}/assets/new", id(&types[0])),
            &admin,
            json!({"name": "Hero", "episode_id": episode["id"]}),
        )
        .await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let manager = app
        .person_with_role("manager@example.com", Role::Manager)
        .await;
    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    for person in [&artist, &manager, &client] {
        app.join_team(&project, person, None).await;
    }
    let status = |short: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(&format!("/data/task-status?short_name={short}"), &admin)
                .await
                .1[0]["id"]
                .clone()
        }
    };
    let (wip, done) = (status("wip").await, status("done").await);
    let mut tasks = Vec::new();
    for (task_type, entity, state) in [("Animation", &shot, &wip), ("Modeling", &asset, &done)] {
        let (_, found) = app
            .get(&format!("/data/task-types?name={task_type}"), &admin)
            .await;
        let (_, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": found[0]["id"], "entity_id": entity["id"], "assignees": [artist]}),
            )
            .await;
        app.put(
            &format!("/data/tasks/{}", id(&task)),
            &admin,
            json!({"task_status_id": state}),
        )
        .await;
        tasks.push(task);
    }
    for (author, text, at) in [
        (&manager, "Nice pose", "2026-11-01T10:00:00"),
        (&client, "Love it", "2026-11-02T10:00:00"),
    ] {
        let (status, comment) = app
            .post(
                "/data/comments",
                &admin,
                json!({"object_id": tasks[0]["id"], "object_type": "Task", "person_id": author, "text": text,
                       "task_status_id": wip, "created_at": at}),
            )
            .await;
        assert_eq!(status, 201, "{comment}");
    }

    let artist_token = app.token_for("artist@example.com", PASSWORD).await;
    let (status, open) = app.get("/data/user/tasks", &artist_token).await;
    assert_eq!(status, 200, "{open}");
    assert_eq!(open.as_array().unwrap().len(), 1);
    let row = &open[0];
    assert_eq!(
        (
            &row["entity_name"],
            &row["sequence_name"],
            &row["episode_name"],
            &row["episode_id"],
            &row["entity_type_name"],
            &row["entity_source_id"],
            &row["task_status_short_name"],
            &row["project_name"],
            &row["type"],
        ),
        (
            &json!("SH010"),
            &json!("SQ01"),
            &json!("E01"),
            &episode["id"],
            &json!("Shot"),
            &json!(""),
            &json!("wip"),
            &json!("Show"),
            &json!("Task")
        )
    );
    assert_eq!(row["assignees"], json!([artist]));
    assert_eq!(
        row["last_comment"]["text"], "Nice pose",
        "a client's word is not the last"
    );

    let (_, finished) = app.get("/data/user/done-tasks", &artist_token).await;
    let row = &finished[0];
    assert_eq!(
        (
            &row["entity_name"],
            &row["entity_type_name"],
            &row["episode_id"],
            &row["episode_name"],
            &row["sequence_name"]
        ),
        (
            &json!("Hero"),
            &json!("Character"),
            &episode["id"],
            &json!("E01"),
            &Json::Null
        )
    );
    assert_eq!(row["last_comment"], json!({}));

    let manager_token = app.token_for("manager@example.com", PASSWORD).await;
    let theirs = format!("/data/persons/{artist}/tasks");
    assert_eq!(
        app.get(&theirs, &manager_token).await.1,
        open,
        "a colleague sees the same list"
    );
    let client_token = app.token_for("client@example.com", PASSWORD).await;
    assert_eq!(app.get(&theirs, &client_token).await.1, json!([]));
    app.person_with_role("vendor@example.com", Role::Vendor)
        .await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(app.get(&theirs, &vendor).await.0, 403);
    assert_eq!(
        app.get(
            &format!("/data/persons/{}/tasks", uuid::Uuid::new_v4()),
            &admin
        )
        .await
        .0,
        404
    );

    app.set_project_status(&project, "Closed").await;
    assert_eq!(
        app.get("/data/user/tasks", &artist_token).await.1,
        json!([]),
        "closed projects leave the list"
    );
}
