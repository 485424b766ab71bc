//! `/data/{assets,shots,sequences,episodes,scenes,edits,concepts}`.

use crate::common::*;
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

#[tokio::test]
async fn entities_are_deleted_in_bulk_all_or_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "Q1"}))
        .await;
    let shot = |name: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let base = base.clone();
        let sequence = sequence["id"].clone();
        async move {
            app.post(
                &format!("{base}/shots"),
                &admin,
                json!({"name": name, "sequence_id": sequence}),
            )
            .await
            .1["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let busy = shot("SH1").await;
    let idle = shot("SH2").await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    app.post(
        "/data/tasks",
        &admin,
        json!({"task_type_id": animation[0]["id"], "entity_id": busy}),
    )
    .await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "{base}/asset-types/{}/assets/new",
                types[0]["id"].as_str().unwrap()
            ),
            &admin,
            json!({"name": "Hero"}),
        )
        .await;
    let (_, scene) = app
        .post(
            &format!("{base}/scenes"),
            &admin,
            json!({"name": "SC1", "sequence_id": sequence["id"]}),
        )
        .await;
    app.post(
        &format!(
            "/data/scenes/{}/asset-instances",
            scene["id"].as_str().unwrap()
        ),
        &admin,
        json!({"asset_id": asset["id"]}),
    )
    .await;
    let url = format!("/actions/projects/{project}/delete-entities");

    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(app.post(&url, &artist, json!([idle])).await.0, 403);
    assert_eq!(
        app.post(&url, &admin, json!({"ids": [idle]})).await.1["message"],
        "Request body must be a JSON array."
    );
    assert_eq!(
        app.post(&url, &admin, json!([idle, "nope"])).await.1["message"],
        "Request body must only contain valid UUIDs."
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, handled) = app
        .post(
            &url,
            &admin,
            json!([busy, idle, idle, asset["id"], scene["id"], unknown]),
        )
        .await;
    assert_eq!(status, 200, "{handled}");
    assert_eq!(handled, json!([busy, idle, asset["id"]]));
    let (_, canceled) = app.get(&format!("/data/shots/{busy}"), &admin).await;
    assert_eq!(
        canceled["canceled"], true,
        "a shot with tasks is canceled first"
    );
    assert_eq!(app.get(&format!("/data/shots/{idle}"), &admin).await.0, 404);
    assert_eq!(
        app.get(
            &format!("/data/assets/{}", asset["id"].as_str().unwrap()),
            &admin
        )
        .await
        .0,
        404,
        "its instances went with it"
    );
    assert_eq!(app.post(&url, &admin, json!([busy])).await.1, json!([busy]));
    assert_eq!(app.get(&format!("/data/shots/{busy}"), &admin).await.0, 404);
    let (_, view) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={project}"),
            &admin,
        )
        .await;
    assert_eq!(view, json!([]), "the cache follows");
}
