//! The task page, a task's previews, an entity's tasks of one type.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn the_task_page_gathers_the_task_s_world_and_hides_the_work_from_clients() {
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
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": shot["id"]}),
        )
        .await;
    app.put(
        &format!("/actions/tasks/{}/assign", id(&task)),
        &admin,
        json!({"person_id": artist}),
    )
    .await;
    let url = format!("/data/tasks/{}/full", id(&task));
    let (status, full) = app.get(&url, &admin).await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(
        (
            &full["entity"]["type"],
            &full["sequence"]["name"],
            &full["episode"]["name"],
            &full["task_type"]["name"],
            &full["project"]["type"],
            &full["is_subscribed"],
            &full["assignees"],
        ),
        (
            &json!("Entity"),
            &json!("SQ01"),
            &json!("E01"),
            &json!("Animation"),
            &json!("Project"),
            &json!(false),
            &json!([artist])
        )
    );
    assert_eq!(full["persons"][0]["id"], json!(artist));
    assert!(full["persons"][0].get("departments").is_none());
    assert!(full["assigner"].get("departments").is_some());
    assert!(full["persons"][0].get("password").is_none());

    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    app.join_team(&project, &client, None).await;
    let client = app.token_for("client@example.com", PASSWORD).await;
    let (_, seen) = app.get(&url, &client).await;
    assert_eq!(
        (&seen["persons"], &seen["assignees"]),
        (&json!([]), &json!([]))
    );
    assert!(seen.get("assigner").is_none());
    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&project, &vendor, None).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &vendor).await.0, 403);
    assert_eq!(app.get("/data/tasks/nope/full", &admin).await.0, 404);

    let me = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"].clone();
    for (revision, validation) in [(1, "rejected"), (2, "neutral")] {
        let body = json!({"name": format!("v{revision}"), "task_id": task["id"], "person_id": me, "revision": revision,
                          "extension": "png", "validation_status": validation});
        assert_eq!(app.post("/data/preview-files", &admin, body).await.0, 201);
    }
    let previews = format!("/data/tasks/{}/previews", id(&task));
    let (_, all) = app.get(&previews, &admin).await;
    let revisions: Vec<&Json> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["revision"])
        .collect();
    assert_eq!(revisions, [&json!(2), &json!(1)]);
    let (_, for_client) = app.get(&previews, &client).await;
    assert_eq!(
        for_client.as_array().unwrap().len(),
        1,
        "no rejected preview for clients"
    );

    let of_type = format!(
        "/data/entities/{}/task-types/{}/tasks",
        id(&shot),
        id(&animation[0])
    );
    let (status, tasks) = app.get(&of_type, &admin).await;
    assert_eq!((status, &tasks[0]["id"]), (200, &task["id"]));
    assert_eq!(
        app.get(&of_type, &vendor).await.0,
        403,
        "vendors reach only their entities"
    );
}
