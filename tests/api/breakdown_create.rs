//! Creating the breakdown of a project and reading it back per project and parent.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn names(list: &Json) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn episodes_sequences_and_shots_are_got_or_created() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let (status, episode) = app
        .post(&format!("{base}/episodes"), &admin, json!({"name": "E01"}))
        .await;
    assert_eq!(status, 201, "{episode}");
    assert_eq!(
        (&episode["type"], &episode["description"], &episode["data"]),
        (&json!("Episode"), &json!(""), &json!({}))
    );
    let (_, sequence) = app
        .post(
            &format!("{base}/sequences"),
            &admin,
            json!({"name": "SQ01", "episode_id": episode["id"]}),
        )
        .await;
    assert_eq!(sequence["parent_id"], episode["id"]);
    let (status, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH010", "sequence_id": sequence["id"], "nb_frames": 48}),
        )
        .await;
    assert_eq!(status, 201, "{shot}");
    assert_eq!(
        (&shot["nb_frames"], &shot["type"], &shot["description"]),
        (&json!(48), &json!("Shot"), &json!(null))
    );
    let (status, again) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH010", "sequence_id": sequence["id"], "nb_frames": 1}),
        )
        .await;
    assert_eq!(
        (status, &again["id"], &again["nb_frames"]),
        (201, &shot["id"], &json!(48)),
        "the existing shot"
    );
    let shot_events = app
        .db
        .fetch_all(
            "SELECT data FROM api_event WHERE name = 'shot:new'",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    assert_eq!(shot_events.len(), 1);
    assert_eq!(shot_events[0]["data"]["episode_id"], episode["id"]);

    assert_eq!(
        app.post(&format!("{base}/shots"), &admin, json!({"name": ""}))
            .await
            .1["data"]["errors"][0]["field"],
        "name"
    );
    assert_eq!(
        app.post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "X", "sequence_id": episode["id"]})
        )
        .await
        .0,
        404
    );
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist_id, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(
        app.post(&format!("{base}/shots"), &artist, json!({"name": "SH020"}))
            .await
            .0,
        403
    );
    let (status, concept) = app
        .post(
            &format!("{base}/concepts"),
            &artist,
            json!({"name": "Look"}),
        )
        .await;
    assert_eq!(
        (status, &concept["type"]),
        (201, &json!("Concept")),
        "artists make concepts"
    );

    assert_eq!(
        names(&app.get(&format!("{base}/shots"), &artist).await.1),
        ["SH010"]
    );
    assert_eq!(
        names(
            &app.get(
                &format!(
                    "/data/episodes/{}/sequences",
                    episode["id"].as_str().unwrap()
                ),
                &artist
            )
            .await
            .1
        ),
        ["SQ01"]
    );
    let (_, shots) = app
        .get(
            &format!("/data/sequences/{}/shots", sequence["id"].as_str().unwrap()),
            &artist,
        )
        .await;
    assert_eq!(
        (&shots[0]["sequence_name"], &shots[0]["project_name"]),
        (&json!("SQ01"), &json!("Show"))
    );
    assert_eq!(
        names(
            &app.get(
                &format!("/data/episodes/{}/shots", episode["id"].as_str().unwrap()),
                &artist
            )
            .await
            .1
        ),
        ["SH010"]
    );
}

#[tokio::test]
async fn assets_are_created_under_their_type_and_never_merged() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let character = types[0]["id"].as_str().unwrap();
    let url = format!("/data/projects/{project}/asset-types/{character}/assets/new");
    let (status, bunny) = app
        .post(
            &url,
            &admin,
            json!({"name": "Bunny", "description": "hero"}),
        )
        .await;
    assert_eq!(status, 201, "{bunny}");
    assert_eq!(
        (&bunny["type"], &bunny["is_shared"]),
        (&json!("Asset"), &json!(false))
    );
    let (_, twin) = app.post(&url, &admin, json!({"name": "Bunny"})).await;
    assert_ne!(twin["id"], bunny["id"], "assets of one name stay apart");
    let (_, shots) = app.get("/data/entity-types?name=Shot", &admin).await;
    let shot_type = shots[0]["id"].as_str().unwrap();
    assert_eq!(
        app.post(
            &format!("/data/projects/{project}/asset-types/{shot_type}/assets/new"),
            &admin,
            json!({"name": "X"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.get(
            &format!("/data/projects/{project}/assets?name=bun%25"),
            &admin
        )
        .await
        .1
        .as_array()
        .unwrap()
        .len(),
        2
    );
    let (_, asset_types) = app
        .get(&format!("/data/projects/{project}/asset-types"), &admin)
        .await;
    assert_eq!(names(&asset_types), ["Character"]);
    assert_eq!(asset_types[0]["type"], "AssetType");
    assert_eq!(
        app.get(
            &format!("/data/projects/{project}/asset-types/{character}/assets"),
            &admin
        )
        .await
        .1
        .as_array()
        .unwrap()
        .len(),
        2
    );
}

#[tokio::test]
async fn entities_get_their_tasks_from_the_project_task_types() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let first = |list: Json| list[0]["id"].clone();
    let layout = first(app.get("/data/task-types?name=Layout", &admin).await.1);
    let animation = first(app.get("/data/task-types?name=Animation", &admin).await.1);
    let modeling = first(app.get("/data/task-types?name=Modeling", &admin).await.1);
    for task_type in [&layout, &animation, &modeling] {
        app.post(
            "/data/task-type-links",
            &admin,
            json!({"project_id": project, "task_type_id": task_type}),
        )
        .await;
    }
    let (_, shot) = app
        .post(
            &format!("/data/projects/{project}/shots"),
            &admin,
            json!({"name": "SH010"}),
        )
        .await;
    let url = format!("/data/entities/{}/tasks", shot["id"].as_str().unwrap());
    let (status, created) = app.post(&url, &admin, json!({})).await;
    assert_eq!(status, 201, "{created}");
    let mut types: Vec<&Json> = created
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["task_type_id"])
        .collect();
    types.sort_by_key(|t| t.as_str().unwrap().to_string());
    let mut expected = vec![&layout, &animation];
    expected.sort_by_key(|t| t.as_str().unwrap().to_string());
    assert_eq!(types, expected, "the shot task types the project uses");
    assert_eq!(
        app.post(&url, &admin, json!({})).await,
        (201, json!([])),
        "nothing twice"
    );
    assert_eq!(
        app.post(&url, &admin, json!({"task_type_ids": [modeling]}))
            .await
            .1["message"],
        format!(
            "Task type {} is for Asset entities, got Shot.",
            modeling.as_str().unwrap()
        )
    );

    let shot_url = format!("/data/shots/{}", shot["id"].as_str().unwrap());
    let (_, tasks) = app
        .get(&format!("{shot_url}/tasks?relations=true"), &admin)
        .await;
    assert_eq!(tasks.as_array().unwrap().len(), 2);
    assert_eq!(tasks[0]["entity_name"], "SH010");
    assert_eq!(tasks[0]["assignees"], json!([]));
    assert_eq!(tasks[0]["type"], "Task");
    let (_, task_types) = app.get(&format!("{shot_url}/task-types"), &admin).await;
    assert_eq!(task_types.as_array().unwrap().len(), 2);
    let (_, view) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={project}"),
            &admin,
        )
        .await;
    assert_eq!(
        view[0]["tasks"].as_array().unwrap().len(),
        2,
        "the cache has the new tasks"
    );
}
