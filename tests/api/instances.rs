//! Asset instances in scenes and assets, the instance casting of shots, and the shots of a scene.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Set {
    admin: String,
    project: String,
    scene: String,
    shot: String,
    hero: String,
    forest: String,
}

/// Q1 holds the scene SC1 and the shot SH1; the assets are "Hero Man" and "Forest".
async fn set(app: &TestApp) -> Set {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let post = |path: String, body: Json| {
        let admin = admin.clone();
        async move {
            let (status, row) = app.post(&path, &admin, body).await;
            assert_eq!(status, 201, "{path}: {row}");
            id(&row)
        }
    };
    let sequence = post(format!("{base}/sequences"), json!({"name": "Q1"})).await;
    let scene = post(
        format!("{base}/scenes"),
        json!({"name": "SC1", "sequence_id": sequence}),
    )
    .await;
    let shot = post(
        format!("{base}/shots"),
        json!({"name": "SH1", "sequence_id": sequence}),
    )
    .await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let assets = format!("{base}/asset-types/{}/assets/new", id(&types[0]));
    let hero = post(assets.clone(), json!({"name": "Hero Man"})).await;
    let forest = post(assets, json!({"name": "Forest"})).await;
    Set {
        admin,
        project,
        scene,
        shot,
        hero,
        forest,
    }
}

#[tokio::test]
async fn instances_are_numbered_per_place_and_named_after_their_asset() {
    let app = spawn_app().await;
    let s = set(&app).await;
    let in_scene = format!("/data/scenes/{}/asset-instances", s.scene);
    let (status, first) = app
        .post(&in_scene, &s.admin, json!({"asset_id": s.hero}))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (&first["name"], &first["number"], &first["type"]),
        (&json!("Hero_Man_0001"), &json!(1), &json!("AssetInstance"))
    );
    let (_, second) = app
        .post(
            &in_scene,
            &s.admin,
            json!({"asset_id": s.hero, "description": "in the back"}),
        )
        .await;
    assert_eq!(
        (&second["name"], &second["description"]),
        (&json!("Hero_Man_0002"), &json!("in the back"))
    );
    let in_forest = format!("/data/assets/{}/asset-asset-instances", s.forest);
    let (status, nested) = app
        .post(
            &in_forest,
            &s.admin,
            json!({"asset_to_instantiate_id": s.hero}),
        )
        .await;
    assert_eq!(status, 201, "{nested}");
    assert_eq!(nested["name"], "Hero_Man_0001", "numbers count per place");
    assert_eq!(nested["target_asset_id"], json!(s.forest));

    let (_, listed) = app.get(&in_scene, &s.admin).await;
    assert_eq!(listed[&s.hero].as_array().unwrap().len(), 2);
    let (_, inside) = app.get(&in_forest, &s.admin).await;
    assert_eq!(inside[&s.hero][0]["id"], nested["id"]);
    let (_, per_scene) = app
        .get(
            &format!("/data/assets/{}/scene-asset-instances", s.hero),
            &s.admin,
        )
        .await;
    assert_eq!(per_scene.as_object().unwrap().len(), 1, "{per_scene}");
    assert_eq!(per_scene[&s.scene].as_array().unwrap().len(), 2);
    let (_, cameras) = app
        .get(
            &format!("/data/scenes/{}/camera-instances", s.scene),
            &s.admin,
        )
        .await;
    assert_eq!(cameras, json!({}));
    let (_, camera_types) = app.get("/data/entity-types?name=Camera", &s.admin).await;
    assert_eq!(camera_types, json!([]), "reading creates nothing");

    let (status, error) = app
        .post(&in_scene, &s.admin, json!({"asset_id": s.shot}))
        .await;
    assert_eq!(status, 404, "a shot is not an asset: {error}");
    let (status, error) = app
        .post(
            &in_scene,
            &s.admin,
            json!({"asset_id": s.hero, "description": "x".repeat(201)}),
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(app.post(&in_scene, &s.admin, json!({})).await.0, 400);
    let (_, listed) = app.get(&in_scene, &s.admin).await;
    assert_eq!(listed[&s.hero].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn shots_cast_instances_and_only_managers_change_it() {
    let app = spawn_app().await;
    let s = set(&app).await;
    let (_, instance) = app
        .post(
            &format!("/data/scenes/{}/asset-instances", s.scene),
            &s.admin,
            json!({"asset_id": s.hero}),
        )
        .await;
    let cast = format!("/data/shots/{}/asset-instances", s.shot);
    let body = json!({"asset_instance_id": instance["id"]});
    let (status, shot) = app.post(&cast, &s.admin, body.clone()).await;
    assert_eq!(status, 201, "{shot}");
    assert_eq!(
        (&shot["id"], &shot["type"]),
        (&json!(s.shot), &json!("Entity"))
    );
    assert_eq!(
        app.post(&cast, &s.admin, body.clone()).await.0,
        201,
        "again: no error"
    );
    let (_, cast_list) = app.get(&cast, &s.admin).await;
    assert_eq!(cast_list[&s.hero].as_array().unwrap().len(), 1);
    let (_, per_shot) = app
        .get(
            &format!("/data/assets/{}/shot-asset-instances", s.hero),
            &s.admin,
        )
        .await;
    assert_eq!(per_shot[&s.shot][0]["id"], instance["id"]);
    assert!(per_shot[&s.shot][0].get("shot_id").is_none());

    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&s.project, &artist, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(app.get(&cast, &artist).await.0, 200);
    assert_eq!(app.post(&cast, &artist, body).await.0, 403);
    let one = format!("{cast}/{}", id(&instance));
    assert_eq!(app.delete(&one, &artist).await.0, 403);
    assert_eq!(app.delete(&one, &s.admin).await.0, 204);
    assert_eq!(app.delete(&one, &s.admin).await.0, 404, "no longer cast");
    assert_eq!(app.get(&cast, &s.admin).await.1, json!({}));

    let events = app
        .db
        .fetch_all(
            "SELECT name FROM api_event WHERE name LIKE 'asset_instance:%'",
            &[],
            None,
        )
        .await
        .unwrap();
    let names: Vec<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(names.contains(&"asset_instance:add-to-shot"), "{names:?}");
    assert!(
        names.contains(&"asset_instance:remove-from-shot"),
        "{names:?}"
    );
}

#[tokio::test]
async fn shots_are_made_from_scenes_and_detached_from_their_own_scene_only() {
    let app = spawn_app().await;
    let s = set(&app).await;
    let shots = format!("/data/scenes/{}/shots", s.scene);
    let (status, linked) = app.post(&shots, &s.admin, json!({"shot_id": s.shot})).await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(linked["source_id"], json!(s.scene));
    let (_, listed) = app.get(&shots, &s.admin).await;
    assert_eq!(
        (
            &listed[0]["name"],
            &listed[0]["sequence_name"],
            &listed[0]["project_name"],
            &listed[0]["type"]
        ),
        (&json!("SH1"), &json!("Q1"), &json!("Show"), &json!("Shot"))
    );
    let (_, cached) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={}", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(cached[0]["source_id"], json!(s.scene), "the cache follows");

    let other_scene = id(&app
        .post(
            &format!("/data/projects/{}/scenes", s.project),
            &s.admin,
            json!({"name": "SC2"}),
        )
        .await
        .1);
    assert_eq!(
        app.delete(
            &format!("/data/scenes/{other_scene}/shots/{}", s.shot),
            &s.admin
        )
        .await
        .0,
        404,
        "SH1 is not made from SC2"
    );
    assert_eq!(
        app.delete(&format!("{shots}/{}", s.shot), &s.admin).await.0,
        204
    );
    assert_eq!(app.get(&shots, &s.admin).await.1, json!([]));
    assert_eq!(
        app.post(&shots, &s.admin, json!({"shot_id": s.scene}))
            .await
            .0,
        404,
        "a scene is not a shot"
    );
}
