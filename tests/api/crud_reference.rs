//! Studio reference data: defaults, uniqueness and delete rules per model.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn task_types_take_zou_defaults_and_unique_names() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, created) = app
        .post("/data/task-types", &admin, json!({"name": "Grooming"}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["color"], "#FFFFFF");
    assert_eq!(created["for_entity"], "Asset");
    assert_eq!(created["priority"], 1);
    assert_eq!(created["allow_timelog"], true);
    assert_eq!(created["archived"], false);
    assert_eq!(
        app.post(
            "/data/task-types",
            &admin,
            json!({"name": "ANIMATION", "for_entity": "Shot"})
        )
        .await,
        (
            400,
            json!({"error": true, "message": "A task type with similar name already exists", "data": null})
        )
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.put(
            &format!("/data/task-types/{id}"),
            &admin,
            json!({"name": "Grooming"})
        )
        .await
        .0,
        200,
        "keeping its own name is fine"
    );
}

#[tokio::test]
async fn a_task_type_used_by_a_project_is_deleted_only_with_force() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, task_type) = app
        .post("/data/task-types", &admin, json!({"name": "Grooming"}))
        .await;
    let id = task_type["id"].as_str().unwrap();
    let project_id = uuid::Uuid::new_v4();
    app.db
        .insert(
            "project",
            &[
                ("id", project_id.into()),
                ("name", "P".into()),
                ("production_style", "2d".into()),
            ],
        )
        .await
        .unwrap();
    app.db
        .insert(
            "project_task_type_link",
            &[
                ("id", uuid::Uuid::new_v4().into()),
                ("project_id", project_id.into()),
                ("task_type_id", uuid::Uuid::parse_str(id).unwrap().into()),
            ],
        )
        .await
        .unwrap();
    let (status, body) = app.delete(&format!("/data/task-types/{id}"), &admin).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Task type is attached to projects. Re-issue the request with force=true to detach."
    );
    assert_eq!(
        app.delete(&format!("/data/task-types/{id}?force=true"), &admin)
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn only_one_task_status_is_the_default() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, created) = app
        .post(
            "/data/task-status",
            &admin,
            json!({"name": "Waiting", "short_name": "wait", "color": "#000000", "is_default": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["is_artist_allowed"], true);
    let (_, defaults) = app.get("/data/task-status?is_default=true", &admin).await;
    let defaults: Vec<&Json> = defaults
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["short_name"])
        .collect();
    assert_eq!(defaults, [&json!("wait")]);
    assert_eq!(
        app.post(
            "/data/task-status",
            &admin,
            json!({"name": "Again", "short_name": "wait", "color": "#000000"})
        )
        .await,
        (
            400,
            json!({"message": "A record with the same unique values already exists."})
        )
    );
}

#[tokio::test]
async fn entity_type_names_ignore_case_and_events_say_asset_type() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_eq!(
        app.post("/data/entity-types", &admin, json!({"name": "character"}))
            .await,
        (
            400,
            json!({"error": true, "message": "Entity type with this name already exists", "data": null})
        )
    );
    let (status, created) = app
        .post("/data/entity-types", &admin, json!({"name": "Vehicle"}))
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let (_, updated) = app
        .put(
            &format!("/data/entity-types/{id}"),
            &admin,
            json!({"short_name": "veh"}),
        )
        .await;
    assert_eq!(
        updated["task_types"],
        json!([]),
        "the update answer lists task types"
    );
    let names = app
        .db
        .fetch_all("SELECT name FROM api_event ORDER BY name", &[], None)
        .await
        .unwrap();
    let names: Vec<&Json> = names.iter().map(|e| &e["name"]).collect();
    assert_eq!(
        names,
        [&json!("asset-type:new"), &json!("asset-type:update")]
    );
}

#[tokio::test]
async fn custom_actions_need_a_name_and_are_hidden_from_vendors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    assert_eq!(
        app.post("/data/custom-actions", &admin, json!({"url": "http://x"}))
            .await
            .1["message"],
        "The 'name' field is required and cannot be None."
    );
    let (status, created) = app
        .post(
            "/data/custom-actions",
            &admin,
            json!({"name": "Publish", "url": "http://x"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["entity_type"], "all");
    assert_eq!(created["is_ajax"], false);
    app.person_with_role("artist@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let (_, listed) = app.get("/data/custom-actions", &artist).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/data/custom-actions/{id}"), &artist)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn status_automations_validate_their_field_type() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, body) = app
        .post(
            "/data/status-automations",
            &admin,
            json!({"out_field_type": "bogus"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("out_field_type"));
    let (_, automations) = app.get("/data/status-automations", &admin).await;
    assert_eq!(automations, json!([]), "nothing stored");
    let (status, created) = app
        .post("/data/status-automations", &admin, json!({}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["entity_type"], "asset");
    assert_eq!(created["out_field_type"], "status");
}

#[tokio::test]
async fn only_admins_see_the_organisation_chat_credentials() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.person_with_role("artist@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let (_, organisations) = app.get("/data/organisations", &admin).await;
    let id = organisations[0]["id"].as_str().unwrap().to_string();
    assert_eq!(organisations[0]["chat_token_slack"], "");
    let (_, seen) = app.get(&format!("/data/organisations/{id}"), &artist).await;
    assert!(seen.get("chat_token_slack").is_none());
    let (status, body) = app
        .get("/data/organisations?chat_token_slack=x", &artist)
        .await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("Filtering on chat_token_slack is not allowed."))
    );
    let (_, updated) = app
        .put(
            &format!("/data/organisations/{id}"),
            &admin,
            json!({"hours_by_day": "7.5"}),
        )
        .await;
    assert_eq!(updated["hours_by_day"], 7.5);
    assert_eq!(
        app.put(
            &format!("/data/organisations/{id}"),
            &admin,
            json!({"hours_by_day": "lots"})
        )
        .await
        .1["message"],
        "hours_by_day must be a number."
    );
    assert_eq!(
        app.put(
            &format!("/data/organisations/{id}"),
            &artist,
            json!({"name": "X"})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn asset_types_are_the_entity_types_that_are_not_temporal() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.person_with_role("vendor@example.com", Role::Vendor)
        .await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    let (status, types) = app.get("/data/asset-types", &vendor).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Character") && names.contains(&"Environment"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"Shot") && !names.contains(&"Sequence") && !names.contains(&"Concept")
    );
    assert!(types
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["type"] == "AssetType" && t["task_types"].is_array()));
    let (_, found) = app.get("/data/asset-types?name=char%25", &admin).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let id = found[0]["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/data/asset-types/{id}"), &vendor).await.1["name"],
        "Character"
    );
    let (_, shots) = app.get("/data/entity-types?name=Shot", &admin).await;
    let shot = shots[0]["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/data/asset-types/{shot}"), &admin)
            .await
            .0,
        404
    );
    assert_eq!(app.get("/data/asset-types/nope", &admin).await.0, 404);
}
