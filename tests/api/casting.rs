//! Casting: assets in shots (and their episode), with counts and readiness.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Show {
    admin: String,
    project: String,
    episode: Json,
    sequence: Json,
    shot: Json,
    bunny: Json,
    tree: Json,
}

async fn make(
    app: &TestApp,
    admin: &str,
    project: &str,
    kind: &str,
    name: &str,
    parent: &Json,
) -> Json {
    let (_, types) = app
        .get(&format!("/data/entity-types?name={kind}"), admin)
        .await;
    let (status, created) = app
        .post("/data/entities", admin, json!({"name": name, "project_id": project, "entity_type_id": types[0]["id"], "parent_id": parent}))
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].clone()
}

async fn show(app: &TestApp) -> Show {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let episode = make(app, &admin, &project, "Episode", "E01", &Json::Null).await;
    let sequence = make(app, &admin, &project, "Sequence", "SQ01", &episode).await;
    let shot = make(app, &admin, &project, "Shot", "SH010", &sequence).await;
    let bunny = make(app, &admin, &project, "Character", "Bunny", &Json::Null).await;
    let tree = make(app, &admin, &project, "Environment", "Tree", &Json::Null).await;
    Show {
        admin,
        project,
        episode,
        sequence,
        shot,
        bunny,
        tree,
    }
}

fn id(value: &Json) -> &str {
    value.as_str().unwrap()
}

#[tokio::test]
async fn casting_a_shot_casts_its_episode_and_counts() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let url = format!(
        "/data/projects/{}/entities/{}/casting",
        s.project,
        id(&s.shot)
    );
    let (status, echoed) = app
        .put(&url, &s.admin, json!([{"asset_id": s.bunny, "nb_occurences": 2, "label": "hero"}, {"asset_id": s.tree}]))
        .await;
    assert_eq!(status, 200, "{echoed}");
    assert_eq!(
        echoed[1],
        json!({"asset_id": s.tree, "nb_occurences": 1, "label": ""})
    );
    let (_, casting) = app.get(&url, &s.admin).await;
    let names: Vec<(&Json, &Json)> = casting
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["asset_name"], &c["nb_occurences"]))
        .collect();
    assert_eq!(
        names,
        [(&json!("Bunny"), &json!(2)), (&json!("Tree"), &json!(1))]
    );
    assert_eq!(casting[0]["asset_type_name"], "Character");
    let (_, shot) = app
        .get(&format!("/data/entities/{}", id(&s.shot)), &s.admin)
        .await;
    assert_eq!(shot["nb_entities_out"], 2);
    let (_, episode_casting) = app
        .get(
            &format!(
                "/data/projects/{}/entities/{}/casting",
                s.project,
                id(&s.episode)
            ),
            &s.admin,
        )
        .await;
    assert_eq!(
        episode_casting.as_array().unwrap().len(),
        2,
        "the episode gets the shot's assets"
    );

    let (_, assets) = app
        .get(&format!("/data/shots/{}/assets", id(&s.shot)), &s.admin)
        .await;
    assert_eq!(assets.as_array().unwrap().len(), 2);
    let (_, cast_in) = app
        .get(&format!("/data/assets/{}/cast-in", id(&s.bunny)), &s.admin)
        .await;
    assert_eq!(
        cast_in,
        json!([{"shot_id": s.shot, "shot_name": "SH010", "sequence_name": "SQ01", "episode_id": s.episode,
                                  "episode_name": "E01", "preview_file_id": null, "nb_occurences": 2}])
    );
    let (_, map) = app
        .get(
            &format!(
                "/data/projects/{}/sequences/{}/casting",
                s.project,
                id(&s.sequence)
            ),
            &s.admin,
        )
        .await;
    assert_eq!(map[id(&s.shot)].as_array().unwrap().len(), 2);
    assert_eq!(map[id(&s.shot)][0]["sequence_name"], "SQ01");

    // Uncasting the tree from the only shot using it drops it from the episode too.
    app.put(
        &url,
        &s.admin,
        json!([{"asset_id": s.bunny, "nb_occurences": 2}]),
    )
    .await;
    let (_, episode_casting) = app
        .get(
            &format!(
                "/data/projects/{}/entities/{}/casting",
                s.project,
                id(&s.episode)
            ),
            &s.admin,
        )
        .await;
    let names: Vec<&Json> = episode_casting
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["asset_name"])
        .collect();
    assert_eq!(names, [&json!("Bunny")]);
    let events = app
        .db
        .fetch_all(
            "SELECT data FROM api_event WHERE name = 'shot:casting-update' ORDER BY created_at, id",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    assert_eq!(
        events.last().unwrap()["data"]["removed_asset_ids"],
        json!([s.tree])
    );
}

#[tokio::test]
async fn casting_is_validated_and_kept_to_managers() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let url = format!(
        "/data/projects/{}/entities/{}/casting",
        s.project,
        id(&s.shot)
    );
    app.put(&url, &s.admin, json!([{"asset_id": s.bunny}]))
        .await;
    assert_eq!(
        app.put(&url, &s.admin, json!({"asset_id": s.bunny}))
            .await
            .1["message"],
        "Request body must be a JSON array."
    );
    let (status, body) = app
        .put(
            &url,
            &s.admin,
            json!([{"asset_id": "nope", "nb_occurences": -1}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&url, &s.admin).await.1.as_array().unwrap().len(),
        1,
        "nothing was wiped"
    );
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.put(
            &url,
            &s.admin,
            json!([{"asset_id": s.tree}, {"asset_id": unknown}])
        )
        .await,
        (
            400,
            json!({"data": null, "error": true, "message": format!("Asset {unknown} not found")})
        ),
    );
    assert_eq!(
        app.get(&url, &s.admin).await.1[0]["asset_id"],
        s.bunny,
        "nothing was written"
    );
    let twice =
        json!([{"asset_id": s.tree, "nb_occurences": 1}, {"asset_id": s.tree, "nb_occurences": 3}]);
    assert_eq!(app.put(&url, &s.admin, twice).await.0, 200);
    let (_, casting) = app.get(&url, &s.admin).await;
    let cast: Vec<(&Json, &Json)> = casting
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["asset_id"], &c["nb_occurences"]))
        .collect();
    assert_eq!(
        cast,
        [(&s.tree, &json!(3))],
        "one link, the last entry's count"
    );
    let (_, shot) = app
        .get(&format!("/data/entities/{}", id(&s.shot)), &s.admin)
        .await;
    assert_eq!(shot["nb_entities_out"], 1);
    let episode = format!(
        "/data/projects/{}/entities/{}/casting",
        s.project,
        id(&s.episode)
    );
    let (_, episode_casting) = app.get(&episode, &s.admin).await;
    assert_eq!(
        episode_casting[0]["asset_id"], s.tree,
        "the episode keeps the asset its shot uses: {episode_casting}"
    );
    assert_eq!(episode_casting.as_array().map(Vec::len), Some(1));

    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let vendor_id = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&s.project, &artist_id, None).await;
    app.join_team(&s.project, &vendor_id, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &artist).await.0, 200);
    assert_eq!(app.put(&url, &artist, json!([])).await.0, 403);
    assert_eq!(app.get(&url, &vendor).await.0, 403);
}

#[tokio::test]
async fn readiness_counts_assets_ready_for_each_task() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let first = |list: Json| list[0]["id"].clone();
    let layout = first(app.get("/data/task-types?name=Layout", &s.admin).await.1);
    let animation = first(app.get("/data/task-types?name=Animation", &s.admin).await.1);
    for (task_type, priority) in [(&layout, 1), (&animation, 2)] {
        app.post(
            "/data/task-type-links",
            &s.admin,
            json!({"project_id": s.project, "task_type_id": task_type, "priority": priority}),
        )
        .await;
    }
    let (_, task) = app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": animation, "entity_id": s.shot}),
        )
        .await;
    app.put(
        &format!("/data/entities/{}", id(&s.bunny)),
        &s.admin,
        json!({"ready_for": animation}),
    )
    .await;
    app.put(
        &format!("/data/entities/{}", id(&s.tree)),
        &s.admin,
        json!({"ready_for": layout}),
    )
    .await;
    let url = format!(
        "/data/projects/{}/entities/{}/casting",
        s.project,
        id(&s.shot)
    );
    app.put(
        &url,
        &s.admin,
        json!([{"asset_id": s.bunny}, {"asset_id": s.tree}]),
    )
    .await;
    let (_, task) = app
        .get(&format!("/data/tasks/{}", id(&task["id"])), &s.admin)
        .await;
    assert_eq!(
        task["nb_assets_ready"], 1,
        "only the asset ready for animation"
    );
    let (_, view) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={}", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(view[0]["nb_entities_out"], 2, "the cached view follows");
    assert_eq!(view[0]["tasks"][0]["nb_assets_ready"], 1);
}

#[tokio::test]
async fn assets_are_cast_in_many_entities_at_once() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let shot2 = make(&app, &s.admin, &s.project, "Shot", "SH020", &s.sequence).await;
    let url = format!(
        "/data/projects/{}/entities/casting/assets/{}",
        s.project,
        id(&s.bunny)
    );
    let (status, answer) = app
        .put(
            &url,
            &s.admin,
            json!({"entity_ids": [s.shot, shot2], "nb_occurences": 3, "label": "bg"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer[id(&shot2)][0]["nb_occurences"], 3);
    assert_eq!(answer[id(&s.shot)][0]["label"], "bg");
    let (_, label_kept) = app
        .put(
            &url,
            &s.admin,
            json!({"entity_ids": [s.shot], "nb_occurences": 1}),
        )
        .await;
    assert_eq!(
        label_kept[id(&s.shot)][0]["label"],
        "bg",
        "an absent label keeps the current one"
    );
    // Removing the asset from the episode removes it from its shots.
    let (_, removed) = app
        .put(
            &url,
            &s.admin,
            json!({"entity_ids": [s.episode], "nb_occurences": 0}),
        )
        .await;
    assert_eq!(removed[id(&s.episode)], json!([]));
    let (_, casting) = app
        .get(
            &format!("/data/projects/{}/sequences/all/casting", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(casting, json!({}));
    assert_eq!(
        app.put(&url, &s.admin, json!({"entity_ids": []})).await.0,
        400
    );

    let batch = format!("/data/projects/{}/entities/casting", s.project);
    let (status, many) = app
        .put(
            &batch,
            &s.admin,
            json!({id(&s.shot): [{"asset_id": s.tree}], id(&shot2): [{"asset_id": s.bunny}]}),
        )
        .await;
    assert_eq!(status, 200, "{many}");
    assert_eq!(many[id(&shot2)][0]["asset_id"], s.bunny);
    let (_, links) = app
        .get(
            &format!("/data/projects/{}/entity-links?page=1&limit=2", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(
        links["total"], 4,
        "two shots and the episode's two auto links"
    );
    assert_eq!(links["data"].as_array().unwrap().len(), 2);
    let (_, episode_map) = app
        .get(
            &format!(
                "/data/projects/{}/episodes/{}/sequences/all/casting",
                s.project,
                id(&s.episode)
            ),
            &s.admin,
        )
        .await;
    assert_eq!(episode_map.as_object().unwrap().len(), 2);
}

/// Shots of one episode cast the same assets at once: the episode gets one
/// link per asset, and no request fails (PostgreSQL refused the second link).
#[tokio::test]
async fn shots_of_one_episode_cast_together() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let mut shots = vec![s.shot.clone()];
    for n in 2..=8 {
        shots.push(
            make(
                &app,
                &s.admin,
                &s.project,
                "Shot",
                &format!("SH0{n}0"),
                &s.sequence,
            )
            .await,
        );
    }
    let casts = shots.iter().map(|shot| {
        let url = format!("/data/projects/{}/entities/{}/casting", s.project, id(shot));
        let body = json!([{"asset_id": s.bunny}, {"asset_id": s.tree}]);
        let (app, admin) = (&app, &s.admin);
        async move { app.put(&url, admin, body).await.0 }
    });
    let statuses = futures_util::future::join_all(casts).await;
    assert_eq!(statuses, vec![200; shots.len()]);
    let (_, episode_casting) = app
        .get(
            &format!(
                "/data/projects/{}/entities/{}/casting",
                s.project,
                id(&s.episode)
            ),
            &s.admin,
        )
        .await;
    assert_eq!(
        episode_casting.as_array().map(Vec::len),
        Some(2),
        "{episode_casting}"
    );
}
