//! Schedule items made on first read, and the softwares of a project's task types.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn names(items: &Json) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

async fn first(app: &TestApp, token: &str, route: &str) -> String {
    id(&app.get(route, token).await.1[0])
}

#[tokio::test]
async fn task_type_items_follow_the_task_types_in_use() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}");
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!("{base}/asset-types/{}/assets/new", id(&types[0])),
            &admin,
            json!({"name": "Bunny"}),
        )
        .await;
    let modeling = first(&app, &admin, "/data/task-types?name=Modeling").await;
    let rigging = first(&app, &admin, "/data/task-types?name=Rigging").await;
    for task_type in [&modeling, &rigging] {
        let body = json!({"task_type_id": task_type, "entity_id": asset["id"]});
        assert_eq!(app.post("/data/tasks", &admin, body).await.0, 201);
    }
    let url = format!("{base}/schedule-items/task-types");
    let (status, items) = app.get(&url, &admin).await;
    assert_eq!(status, 200, "{items}");
    let mut task_types: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["task_type_id"].as_str().unwrap())
        .collect();
    task_types.sort();
    let mut expected = vec![modeling.as_str(), rigging.as_str()];
    expected.sort();
    assert_eq!(task_types, expected);
    let item = &items[0];
    assert!(item["object_id"].is_null() && item["start_date"].is_string());
    assert_eq!(app.get(&url, &admin).await.1, items, "made once");

    app.post(
        &format!("{base}/settings/task-types"),
        &admin,
        json!({"task_type_id": modeling}),
    )
    .await;
    let (_, linked) = app.get(&url, &admin).await;
    assert_eq!(linked.as_array().unwrap().len(), 1);
    assert_eq!(linked[0]["task_type_id"], json!(modeling));

    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&project, &vendor, None).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &vendor).await.0, 403);
}

#[tokio::test]
async fn part_items_are_made_per_episode_sequence_edit_or_asset_type() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let post = |path: String, body: Json| {
        let admin = admin.clone();
        let app = &app;
        async move { app.post(&path, &admin, body).await.1 }
    };
    let e1 = post(format!("{base}/episodes"), json!({"name": "E1"})).await;
    let e2 = post(format!("{base}/episodes"), json!({"name": "E2"})).await;
    post(
        format!("{base}/sequences"),
        json!({"name": "Q2", "episode_id": e1["id"]}),
    )
    .await;
    post(
        format!("{base}/sequences"),
        json!({"name": "Q1", "episode_id": e2["id"]}),
    )
    .await;
    let (_, types) = app.get("/data/entity-types", &admin).await;
    let type_named = |name: &str| {
        id(types
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap())
    };
    for (type_name, episode) in [("Character", &e1), ("Prop", &e2)] {
        post(
            format!("{base}/asset-types/{}/assets/new", type_named(type_name)),
            json!({"name": format!("A {type_name}"), "episode_id": episode["id"]}),
        )
        .await;
    }
    let layout = first(&app, &admin, "/data/task-types?name=Layout").await;
    let items = format!("{base}/schedule-items/{layout}");

    let (status, sequences) = app.get(&format!("{items}/sequences"), &admin).await;
    assert_eq!(status, 200, "{sequences}");
    assert_eq!(names(&sequences), ["Q1", "Q2"]);
    assert_eq!(sequences[0]["task_type_id"], json!(layout));
    let (_, in_e1) = app
        .get(&format!("{items}/sequences?episode_id={}", id(&e1)), &admin)
        .await;
    assert_eq!(names(&in_e1), ["Q2"]);
    assert_eq!(in_e1[0]["id"], sequences[1]["id"], "the same item");
    let (_, episodes) = app.get(&format!("{items}/episodes"), &admin).await;
    assert_eq!(names(&episodes), ["E1", "E2"]);
    let (_, asset_types) = app.get(&format!("{items}/asset-types"), &admin).await;
    assert_eq!(names(&asset_types), ["Character", "Prop"]);
    let (_, in_e2) = app
        .get(
            &format!("{items}/asset-types?episode_id={}", id(&e2)),
            &admin,
        )
        .await;
    assert_eq!(names(&in_e2), ["Prop"]);
    assert_eq!(
        app.get(&format!("{items}/edits"), &admin).await.1,
        json!([])
    );
    assert_eq!(
        app.get(&format!("{items}/edits?episode_id=nope"), &admin)
            .await
            .0,
        400
    );
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.get(&format!("{base}/schedule-items/{unknown}/episodes"), &admin)
            .await
            .0,
        404
    );
    let events = app
        .db
        .fetch_all(
            "SELECT name FROM api_event WHERE name = 'schedule-item:new'",
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 6, "2 sequences, 2 episodes, 2 asset types");
}

#[tokio::test]
async fn task_type_softwares_are_set_by_managers_and_department_supervisors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let modeling = first(&app, &admin, "/data/task-types?name=Modeling").await;
    let base = format!("/data/projects/{project}");
    app.post(
        &format!("{base}/settings/task-types"),
        &admin,
        json!({"task_type_id": modeling}),
    )
    .await;
    let (_, blender) = app
        .post(
            "/data/softwares",
            &admin,
            json!({"name": "Blender", "short_name": "bl", "file_extension": "blend"}),
        )
        .await;
    let (_, old) = app
        .post(
            "/data/softwares",
            &admin,
            json!({"name": "Old", "short_name": "old", "file_extension": "old", "archived": true}),
        )
        .await;
    let add = format!("{base}/task-types/{modeling}/softwares");
    let (status, link) = app
        .post(&add, &admin, json!({"software_id": blender["id"]}))
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(
        link,
        json!({"project_id": project, "task_type_id": modeling, "software_id": blender["id"]})
    );
    assert_eq!(
        app.post(&add, &admin, json!({"software_id": blender["id"]}))
            .await
            .0,
        201
    );
    assert_eq!(
        app.post(&add, &admin, json!({"software_id": old["id"]}))
            .await
            .1["message"],
        "The software is archived."
    );
    let rigging = first(&app, &admin, "/data/task-types?name=Rigging").await;
    assert_eq!(
        app.post(
            &format!("{base}/task-types/{rigging}/softwares"),
            &admin,
            json!({"software_id": blender["id"]})
        )
        .await
        .1["message"],
        "The task type is not a task type of the project."
    );
    let listed = format!("{base}/task-type-softwares");
    assert_eq!(app.get(&listed, &admin).await.1, json!([link]));

    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(app.get(&listed, &artist).await.1, json!([link]));
    let one = format!("{add}/{}", id(&blender));
    assert_eq!(app.delete(&one, &artist).await.0, 403);
    let supervisor = app
        .person_with_role("supervisor@example.com", Role::Supervisor)
        .await;
    app.join_team(&project, &supervisor, None).await;
    let supervisor = app.token_for("supervisor@example.com", PASSWORD).await;
    assert_eq!(
        app.delete(&one, &supervisor).await.0,
        204,
        "a supervisor of no department supervises them all"
    );
    assert_eq!(app.get(&listed, &admin).await.1, json!([]));
    assert_eq!(app.delete(&one, &admin).await.0, 204, "already gone");
}
