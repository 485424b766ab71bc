//! The generic CRUD engine, exercised through reference-data models.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn names(list: &Json) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lists_filter_by_column_wildcard_name_and_id_lists() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (status, all) = app.get("/data/departments", &token).await;
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 6);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["type"] == "Department"));

    let (_, found) = app.get("/data/departments?name=anim%25", &token).await;
    assert_eq!(names(&found), ["Animation"]);
    let (_, found) = app.get("/data/departments?name=MODELING", &token).await;
    assert_eq!(names(&found), ["Modeling"], "name filters ignore case");

    let (_, statuses) = app.get("/data/task-status?is_done=true", &token).await;
    assert_eq!(names(&statuses), ["Done"]);
    let ids: Vec<&str> = all.as_array().unwrap()[..2]
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let (_, picked) = app
        .get(&format!("/data/departments?id={}", json!(ids)), &token)
        .await;
    assert_eq!(picked.as_array().unwrap().len(), 2);
    let (_, ignored) = app.get("/data/departments?unknown=1", &token).await;
    assert_eq!(
        ignored.as_array().unwrap().len(),
        6,
        "unknown keys are ignored"
    );
}

#[tokio::test]
async fn bad_filters_are_refused_with_a_message() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let message = |(status, body): (u16, Json)| (status, body["message"].clone());
    assert_eq!(
        message(app.get("/data/task-status?is_done=perhaps", &token).await),
        (400, json!("Invalid boolean value: perhaps"))
    );
    assert_eq!(
        message(app.get("/data/departments?id=not-an-id", &token).await),
        (400, json!("Invalid UUID value: not-an-id"))
    );
    assert_eq!(
        message(app.get("/data/departments?id=[oops", &token).await),
        (400, json!("Malformed list filter for field id."))
    );
    assert_eq!(
        message(app.get("/data/departments?page=two", &token).await),
        (400, json!("page must be an integer."))
    );
}

#[tokio::test]
async fn pages_come_in_zou_envelope_newest_first() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (status, page) = app.get("/data/task-types?page=2&limit=5", &token).await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 13);
    assert_eq!(page["nb_pages"], 3);
    assert_eq!(page["limit"], 5);
    assert_eq!(page["offset"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    let (_, last) = app.get("/data/task-types?page=3&limit=5", &token).await;
    assert_eq!(last["data"].as_array().unwrap().len(), 3);
    let (_, beyond) = app.get("/data/task-types?page=9&limit=5", &token).await;
    assert_eq!(beyond["data"], json!([]));
    let (_, fields) = app
        .get("/data/task-types?page=1&fields=name,id", &token)
        .await;
    let first = fields["data"][0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["id", "name", "type"]);
}

#[tokio::test]
async fn create_get_update_delete_with_events() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (status, created) = app
        .post(
            "/data/departments",
            &token,
            json!({"name": "Lighting", "color": "#FFAA00", "id": "ignored"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "Lighting");
    assert_eq!(created["type"], "Department");
    let id = created["id"].as_str().unwrap().to_string();
    assert_ne!(id, "ignored");

    let (status, read) = app.get(&format!("/data/departments/{id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(read["color"], "#FFAA00");

    let (status, updated) = app
        .put(
            &format!("/data/departments/{id}"),
            &token,
            json!({"name": "Lighting & Look", "created_at": "2001-01-01T00:00:00", "nonsense": 1}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["name"], "Lighting & Look");
    assert_eq!(
        updated["created_at"], created["created_at"],
        "created_at is protected"
    );

    let (status, body) = app.delete(&format!("/data/departments/{id}"), &token).await;
    assert_eq!((status, body), (204, json!("")));
    assert_eq!(
        app.get(&format!("/data/departments/{id}"), &token).await.0,
        404
    );

    let events = app
        .db
        .fetch_all(
            "SELECT name, data FROM api_event ORDER BY created_at, name",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3);
    for action in ["department:new", "department:update", "department:delete"] {
        assert!(names.contains(&action), "{action} in {names:?}");
    }
    assert!(events
        .iter()
        .all(|e| e["data"]["department_id"] == json!(id)));
}

#[tokio::test]
async fn writes_are_validated_and_never_half_applied() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let message = |(status, body): (u16, Json)| (status, body.clone());
    assert_eq!(
        message(
            app.post(
                "/data/departments",
                &token,
                json!({"name": "X", "colour": "#fff"})
            )
            .await
        ),
        (
            400,
            json!({"message": "'colour' is an invalid keyword argument for Department"})
        )
    );
    assert_eq!(
        message(
            app.post("/data/departments", &token, json!({"name": "X"}))
                .await
        ),
        (400, json!({"message": "A required field is missing."}))
    );
    let (status, body) = app
        .post(
            "/data/task-types",
            &token,
            json!({"name": "Paint", "priority": "high"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("priority"),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/data/entity-types",
            &token,
            json!({"name": "Vehicle", "task_types": ["nope"]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, types) = app.get("/data/entity-types?name=Vehicle", &token).await;
    assert_eq!(types, json!([]), "nothing was written");

    let (status, body) = app.get("/data/departments/not-an-id", &token).await;
    assert_eq!((status, &body["message"]), (400, &json!("Malformed ID.")));
    let (status, _) = app
        .get(
            &format!("/data/departments/{}", uuid::Uuid::new_v4()),
            &token,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn relations_are_written_and_read_back() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let (_, task_types) = app.get("/data/task-types?for_entity=Asset", &token).await;
    let chosen: Vec<Json> = task_types.as_array().unwrap()[..2]
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    let (status, created) = app
        .post(
            "/data/entity-types",
            &token,
            json!({"name": "Vehicle", "task_types": chosen}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let mut expected = chosen.clone();
    expected.sort_by_key(|id| id.as_str().unwrap().to_string());
    assert_eq!(created["task_types"], json!(expected));
    let id = created["id"].as_str().unwrap();
    let (_, read) = app.get(&format!("/data/entity-types/{id}"), &token).await;
    assert_eq!(
        read["task_types"],
        json!(expected),
        "relations by default on reads by id"
    );
    let (_, listed) = app.get("/data/entity-types?name=Vehicle", &token).await;
    assert!(
        listed[0].get("task_types").is_none(),
        "lists leave relations out by default"
    );
    let (_, listed) = app
        .get(
            &format!(
                "/data/entity-types?task_types={}",
                chosen[0].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert!(names(&listed).contains(&"Vehicle"), "relation keys filter");
}

#[tokio::test]
async fn reference_data_is_read_by_all_and_written_by_admins() {
    let app = spawn_app().await;
    app.person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    assert_eq!(app.get("/data/task-types", &vendor).await.0, 200);
    assert_eq!(app.get("/data/departments", &manager).await.0, 200);
    assert_eq!(
        app.post(
            "/data/departments",
            &manager,
            json!({"name": "X", "color": "#000000"})
        )
        .await
        .0,
        403
    );
    assert_eq!(app.get("/data/custom-actions", &vendor).await.0, 403);
    assert_eq!(app.get("/data/custom-actions", &manager).await.0, 200);
    assert_eq!(app.get("/data/hardware-items", &manager).await.0, 403);
}
