//! `/data/entities` and `/data/tasks`: the breakdown through the generic routes.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Setup {
    admin: String,
    project: String,
    character: Json,
    modeling: Json,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    Setup {
        admin,
        project,
        character: types[0]["id"].clone(),
        modeling: modeling[0]["id"].clone(),
    }
}

async fn create_asset(app: &TestApp, s: &Setup, name: &str) -> Json {
    let (status, asset) = app
        .post(
            "/data/entities",
            &s.admin,
            json!({"name": name, "project_id": s.project, "entity_type_id": s.character}),
        )
        .await;
    assert_eq!(status, 201, "{asset}");
    asset
}

#[tokio::test]
async fn entities_take_their_kind_from_their_type() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let asset = create_asset(&app, &s, "Bunny").await;
    assert_eq!(asset["type"], "Asset");
    assert_eq!(asset["status"], "running");
    assert_eq!(asset["canceled"], false);
    assert_eq!(asset["entities_out"], json!([]));
    let admin_id = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"].clone();
    assert_eq!(asset["created_by"], admin_id);
    let (_, sequences) = app.get("/data/entity-types?name=Sequence", &s.admin).await;
    let (_, sequence) = app
        .post(
            "/data/entities",
            &s.admin,
            json!({"name": "SQ01", "project_id": s.project, "entity_type_id": sequences[0]["id"]}),
        )
        .await;
    assert_eq!(sequence["type"], "Sequence");
    let events = app
        .db
        .fetch_all(
            "SELECT name, data FROM api_event WHERE name LIKE '%:new' ORDER BY name",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    let names: Vec<&Json> = events.iter().map(|e| &e["name"]).collect();
    assert!(
        names.contains(&&json!("asset:new")) && names.contains(&&json!("sequence:new")),
        "{names:?}"
    );
    let asset_event = events.iter().find(|e| e["name"] == "asset:new").unwrap();
    assert_eq!(asset_event["data"]["asset_id"], asset["id"]);
    assert_eq!(asset_event["data"]["project_id"], json!(s.project));
    assert_eq!(
        app.post("/data/entities", &s.admin, json!({"name": "X", "project_id": s.project, "entity_type_id": s.character, "status": "paused"}))
            .await
            .1["message"],
        "Invalid status"
    );
}

#[tokio::test]
async fn entity_updates_merge_data_and_keep_names_unique() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let bunny = create_asset(&app, &s, "Bunny").await;
    create_asset(&app, &s, "Bird").await;
    let id = bunny["id"].as_str().unwrap();
    app.put(
        &format!("/data/entities/{id}"),
        &s.admin,
        json!({"data": {"fur": "white"}}),
    )
    .await;
    let (status, updated) = app
        .put(
            &format!("/data/entities/{id}"),
            &s.admin,
            json!({"data": {"ears": 2}, "created_by": null}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"], json!({"fur": "white", "ears": 2}));
    assert_eq!(updated["type"], "Asset");
    assert!(!updated["created_by"].is_null(), "created_by is protected");
    let (status, body) = app
        .put(
            &format!("/data/entities/{id}"),
            &s.admin,
            json!({"name": "Bird"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("An entity with name 'Bird'"),
        "{body}"
    );
}

#[tokio::test]
async fn vendors_see_only_the_entities_and_tasks_they_work_on() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let vendor_id = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&s.project, &vendor_id, None).await;
    app.join_team(&s.project, &artist_id, None).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let bunny = create_asset(&app, &s, "Bunny").await;
    let bird = create_asset(&app, &s, "Bird").await;
    let (status, task) = app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": s.modeling, "entity_id": bunny["id"], "assignees": [vendor_id]}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["name"], "main");
    assert_eq!(task["project_id"], json!(s.project));
    assert_eq!(task["assignees"], json!([vendor_id]));
    assert!(!task["task_status_id"].is_null());
    app.post(
        "/data/tasks",
        &s.admin,
        json!({"task_type_id": s.modeling, "entity_id": bird["id"]}),
    )
    .await;

    let (_, seen) = app.get("/data/entities", &vendor).await;
    let names: Vec<&Json> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["name"])
        .collect();
    assert_eq!(names, [&json!("Bunny")]);
    assert_eq!(
        app.get(
            &format!("/data/entities/{}", bird["id"].as_str().unwrap()),
            &vendor
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.get("/data/tasks", &vendor)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get("/data/entities", &artist)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get("/data/tasks", &artist)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.post(
            "/data/tasks",
            &artist,
            json!({"task_type_id": s.modeling, "entity_id": bird["id"], "name": "b"})
        )
        .await
        .0,
        403,
        "artists do not create tasks"
    );
}

#[tokio::test]
async fn tasks_match_their_entity_and_record_assignments() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let bunny = create_asset(&app, &s, "Bunny").await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &s.admin).await;
    assert_eq!(
        app.post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": bunny["id"]})
        )
        .await,
        (
            400,
            json!({"error": true, "message": "Task type of the task does not match entity type."})
        )
    );
    assert_eq!(
        app.post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": "x", "entity_id": bunny["id"]})
        )
        .await
        .1["message"],
        "A valid task_type_id is required."
    );
    let (_, task) = app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": s.modeling, "entity_id": bunny["id"]}),
        )
        .await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let id = task["id"].as_str().unwrap();
    let (status, updated) = app
        .put(
            &format!("/data/tasks/{id}"),
            &s.admin,
            json!({"assignees": [artist_id], "priority": 2}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["priority"], 2);
    let (_, read) = app.get(&format!("/data/tasks/{id}"), &s.admin).await;
    assert_eq!(read["assignees"], json!([artist_id]));
    let assigned = app
        .db
        .fetch_all(
            "SELECT data FROM api_event WHERE name = 'task:assign'",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0]["data"]["person_id"], json!(artist_id));
    assert_eq!(
        app.delete(&format!("/data/tasks/{id}"), &s.admin).await.0,
        204
    );
}
