//! `/data/{assets,shots,sequences,episodes,scenes,edits,concepts}`.
mod common;

use common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Show {
    admin: String,
    project: String,
    episode: Json,
    sequence: Json,
    shot: Json,
    asset: Json,
}

async fn entity(
    app: &TestApp,
    admin: &str,
    project: &str,
    kind: &str,
    name: &str,
    parent: Option<&Json>,
) -> Json {
    let (_, types) = app
        .get(&format!("/data/entity-types?name={kind}"), admin)
        .await;
    let (status, created) = app
        .post(
            "/data/entities",
            admin,
            json!({"name": name, "project_id": project, "entity_type_id": types[0]["id"], "parent_id": parent,
                   "data": {"frame_in": 1001, "frame_out": 1050}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn show(app: &TestApp) -> Show {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let episode = entity(app, &admin, &project, "Episode", "E01", None).await;
    let sequence = entity(
        app,
        &admin,
        &project,
        "Sequence",
        "SQ01",
        Some(&episode["id"]),
    )
    .await;
    let shot = entity(
        app,
        &admin,
        &project,
        "Shot",
        "SH010",
        Some(&sequence["id"]),
    )
    .await;
    let asset = entity(app, &admin, &project, "Character", "Bunny", None).await;
    Show {
        admin,
        project,
        episode,
        sequence,
        shot,
        asset,
    }
}

#[tokio::test]
async fn each_kind_lists_its_own_entities() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let names = |list: &Json| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, shots) = app
        .get(&format!("/data/shots?project_id={}", s.project), &s.admin)
        .await;
    assert_eq!(names(&shots), ["SH010"]);
    assert_eq!(shots[0]["type"], "Shot");
    assert_eq!(shots[0]["sequence_name"], "SQ01");
    assert_eq!(shots[0]["project_name"], "Show");
    assert_eq!(
        names(&app.get("/data/assets/all", &s.admin).await.1),
        ["Bunny"]
    );
    assert_eq!(
        names(
            &app.get(
                &format!(
                    "/data/sequences?episode_id={}",
                    s.episode["id"].as_str().unwrap()
                ),
                &s.admin
            )
            .await
            .1
        ),
        ["SQ01"]
    );
    assert_eq!(
        names(
            &app.get(
                &format!("/data/episodes?project_id={}", s.project),
                &s.admin
            )
            .await
            .1
        ),
        ["E01"]
    );
    assert_eq!(
        names(
            &app.get(
                &format!(
                    "/data/shots?sequence_id={}",
                    s.sequence["id"].as_str().unwrap()
                ),
                &s.admin
            )
            .await
            .1
        ),
        ["SH010"]
    );

    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/data/shots", &artist).await.0,
        403,
        "artists scope shot lists"
    );
    assert_eq!(
        app.get(&format!("/data/shots?project_id={}", s.project), &artist)
            .await
            .0,
        403,
        "not in the team"
    );
    app.join_team(&s.project, &artist_id, None).await;
    assert_eq!(
        names(
            &app.get(&format!("/data/shots?project_id={}", s.project), &artist)
                .await
                .1
        ),
        ["SH010"]
    );
    assert_eq!(names(&app.get("/data/assets", &artist).await.1), ["Bunny"]);
}

#[tokio::test]
async fn one_entity_comes_with_its_context_and_tasks() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &s.admin).await;
    app.post(
        "/data/tasks",
        &s.admin,
        json!({"task_type_id": animation[0]["id"], "entity_id": s.shot["id"]}),
    )
    .await;
    let (status, shot) = app
        .get(
            &format!("/data/shots/{}", s.shot["id"].as_str().unwrap()),
            &s.admin,
        )
        .await;
    assert_eq!(status, 200, "{shot}");
    assert_eq!(shot["sequence_name"], "SQ01");
    assert_eq!(shot["episode_name"], "E01");
    assert_eq!(shot["frame_in"], 1001);
    assert_eq!(shot["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(shot["tasks"][0]["is_subscribed"], false);
    assert_eq!(shot["entities_out"], json!([]));
    let (_, asset) = app
        .get(
            &format!("/data/assets/{}", s.asset["id"].as_str().unwrap()),
            &s.admin,
        )
        .await;
    assert_eq!(asset["asset_type_name"], "Character");
    assert_eq!(asset["tasks"], json!([]));
    assert!(asset.get("nb_frames").is_none());
    let (_, sequence) = app
        .get(
            &format!("/data/sequences/{}", s.sequence["id"].as_str().unwrap()),
            &s.admin,
        )
        .await;
    assert_eq!(sequence["episode_name"], "E01");
    assert_eq!(
        app.get(
            &format!("/data/shots/{}", s.asset["id"].as_str().unwrap()),
            &s.admin
        )
        .await
        .0,
        404,
        "not a shot"
    );
    assert_eq!(app.get("/data/shots/not-an-id", &s.admin).await.0, 404);
}

#[tokio::test]
async fn deleting_work_in_progress_cancels_it_and_force_deletes() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &s.admin).await;
    app.post(
        "/data/tasks",
        &s.admin,
        json!({"task_type_id": animation[0]["id"], "entity_id": s.shot["id"]}),
    )
    .await;
    let url = format!("/data/shots/{}", s.shot["id"].as_str().unwrap());
    assert_eq!(app.delete(&url, &s.admin).await.0, 204);
    assert_eq!(app.get(&url, &s.admin).await.1["canceled"], true);
    let sequence_url = format!("/data/sequences/{}", s.sequence["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&sequence_url, &s.admin).await,
        (
            400,
            json!({"error": true, "message": "Some data are still linked to this sequence."})
        )
    );
    assert_eq!(
        app.delete(&format!("{sequence_url}?force=true"), &s.admin)
            .await
            .0,
        204
    );
    assert_eq!(
        app.get(&url, &s.admin).await.0,
        404,
        "the shot went with its sequence"
    );
    assert_eq!(app.get("/data/tasks", &s.admin).await.1, json!([]));
}

#[tokio::test]
async fn managers_update_shots_with_checked_fields() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let url = format!("/data/shots/{}", s.shot["id"].as_str().unwrap());
    let (status, updated) = app
        .put(
            &url,
            &s.admin,
            json!({"nb_frames": 48, "data": {"fps": "24"}, "color": "x"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["nb_frames"], 48);
    assert_eq!(
        updated["data"],
        json!({"fps": "24"}),
        "data is replaced here"
    );
    let (status, body) = app
        .put(&url, &s.admin, json!({"name": "", "nb_frames": "many"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Validation error.");
    assert_eq!(body["data"]["errors"].as_array().unwrap().len(), 2);
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&s.project, &artist_id, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(app.put(&url, &artist, json!({"nb_frames": 1})).await.0, 403);
}
