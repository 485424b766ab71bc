//! The task lists of what an episode or sequence contains, and an entity's time and previews.

use crate::common::*;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use tusk_actors::role::Role;

struct Show {
    admin: String,
    project: String,
    episode: String,
    sequence: String,
    shot: String,
    asset: String,
    tasks: Vec<Json>,
}

/// E1 holds Q1 (shot SH1, scene SC1), the edit ED1 and the asset Bunny (main episode E1);
/// each of them, E1 and Q1 has one task; another episode's asset has one too.
async fn show(app: &TestApp) -> Show {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let create = |path: &str, body: Json| {
        let url = format!("{base}/{path}");
        let admin = admin.clone();
        async move { id(&app.post(&url, &admin, body).await.1) }
    };
    let episode = create("episodes", json!({"name": "E1"})).await;
    let other_episode = create("episodes", json!({"name": "E2"})).await;
    let sequence = create("sequences", json!({"name": "Q1", "episode_id": episode})).await;
    let shot = create("shots", json!({"name": "SH1", "sequence_id": sequence})).await;
    let scene = create("scenes", json!({"name": "SC1", "sequence_id": sequence})).await;
    let edit = create("edits", json!({"name": "ED1", "episode_id": episode})).await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let character = id(&types[0]);
    let asset = create(
        &format!("asset-types/{character}/assets/new"),
        json!({"name": "Bunny", "episode_id": episode}),
    )
    .await;
    let stray = create(
        &format!("asset-types/{character}/assets/new"),
        json!({"name": "Fox", "episode_id": other_episode}),
    )
    .await;
    let mut task_type = HashMap::new();
    for name in ["Animation", "Modeling", "Edit"] {
        let (_, found) = app
            .get(&format!("/data/task-types?name={name}"), &admin)
            .await;
        task_type.insert(name, id(&found[0]));
    }
    for kind in ["Scene", "Episode", "Sequence"] {
        let body = json!({"name": format!("{kind} Work"), "for_entity": kind});
        task_type.insert(
            kind,
            id(&app.post("/data/task-types", &admin, body).await.1),
        );
    }
    let mut tasks = Vec::new();
    for (entity, kind) in [
        (&shot, "Animation"),
        (&scene, "Scene"),
        (&edit, "Edit"),
        (&asset, "Modeling"),
        (&stray, "Modeling"),
        (&episode, "Episode"),
        (&sequence, "Sequence"),
    ] {
        let (status, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": task_type[kind], "entity_id": entity}),
            )
            .await;
        assert_eq!(status, 201, "{task}");
        tasks.push(task);
    }
    Show {
        admin,
        project,
        episode,
        sequence,
        shot,
        asset,
        tasks,
    }
}

fn entity_names(tasks: &Json) -> Vec<&str> {
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["entity_name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn episodes_and_sequences_list_the_tasks_of_what_they_hold() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let e = format!("/data/episodes/{}", s.episode);
    let (status, shot_tasks) = app.get(&format!("{e}/shot-tasks"), &s.admin).await;
    assert_eq!(status, 200, "{shot_tasks}");
    let mut names = entity_names(&shot_tasks);
    names.sort();
    assert_eq!(names, ["SC1", "SH1"]);
    assert_eq!(
        (
            &shot_tasks[0]["task_type_name"],
            &shot_tasks[0]["project_name"],
            &shot_tasks[0]["type"]
        ),
        (&json!("Animation"), &json!("Show"), &json!("Task")),
        "SH1's Animation sorts before SC1's Scene Work"
    );
    let (_, assets) = app.get(&format!("{e}/asset-tasks"), &s.admin).await;
    assert_eq!(entity_names(&assets), ["Bunny"]);
    assert_eq!(assets[0]["entity_type_name"], "Character");
    let (_, edits) = app.get(&format!("{e}/edit-tasks"), &s.admin).await;
    assert_eq!(entity_names(&edits), ["ED1"]);
    let (_, in_sequence) = app
        .get(
            &format!("/data/sequences/{}/shot-tasks", s.sequence),
            &s.admin,
        )
        .await;
    assert_eq!(in_sequence.as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(
            &format!("/data/sequences/{}/shot-tasks", s.episode),
            &s.admin
        )
        .await
        .0,
        404,
        "an episode is not a sequence"
    );
}

#[tokio::test]
async fn task_lists_show_assignees_on_request_hide_work_from_clients_and_refuse_vendors() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let shot_task = s
        .tasks
        .iter()
        .find(|t| t["entity_id"] == json!(s.shot))
        .unwrap();
    app.put(
        &format!("/data/tasks/{}", id(shot_task)),
        &s.admin,
        json!({"assignees": [artist], "retake_count": 2}),
    )
    .await;
    let url = format!("/data/sequences/{}/shot-tasks", s.sequence);
    let (_, plain) = app.get(&url, &s.admin).await;
    assert!(plain[0].get("assignees").is_none());
    let (_, with) = app.get(&format!("{url}?relations=TRUE"), &s.admin).await;
    let shot_row = with
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["entity_name"] == "SH1")
        .unwrap();
    assert_eq!(shot_row["assignees"], json!([artist]));
    assert_eq!(shot_row["retake_count"], 2);

    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    app.join_team(&s.project, &client, None).await;
    let client = app.token_for("client@example.com", PASSWORD).await;
    let (status, seen) = app.get(&format!("{url}?relations=true"), &client).await;
    assert_eq!(status, 200, "{seen}");
    let shot_row = seen
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["entity_name"] == "SH1")
        .unwrap();
    assert_eq!(
        (&shot_row["assignees"], &shot_row["retake_count"]),
        (&json!([]), &json!(0))
    );

    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&s.project, &vendor, None).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &vendor).await.0, 403);
    app.person_with_role("outsider@example.com", Role::User)
        .await;
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &outsider).await.0, 403);
}

#[tokio::test]
async fn an_entity_lists_the_time_logged_and_the_previews_of_its_tasks() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let asset_task = s
        .tasks
        .iter()
        .find(|t| t["entity_id"] == json!(s.asset))
        .unwrap();
    for (date, minutes) in [("2027-01-04", 60.0), ("2027-01-06", 30.0)] {
        let log = json!({"task_id": asset_task["id"], "person_id": artist, "date": date, "duration": minutes});
        assert_eq!(app.post("/data/time-spents", &s.admin, log).await.0, 201);
    }
    let entity = format!("/data/entities/{}", s.asset);
    let (status, logs) = app.get(&format!("{entity}/time-spents"), &s.admin).await;
    assert_eq!(status, 200, "{logs}");
    let dates: Vec<&Json> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["date"])
        .collect();
    assert_eq!(dates, [&json!("2027-01-06"), &json!("2027-01-04")]);
    assert_eq!(logs[0]["type"], "TimeSpent");

    for revision in [1, 2] {
        let preview = json!({"name": format!("v{revision}"), "revision": revision, "task_id": asset_task["id"], "person_id": artist, "extension": "png"});
        let (status, created) = app.post("/data/preview-files", &s.admin, preview).await;
        assert_eq!(status, 201, "{created}");
    }
    let (status, previews) = app.get(&format!("{entity}/preview-files"), &s.admin).await;
    assert_eq!(status, 200, "{previews}");
    let revisions: Vec<&Json> = previews
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["revision"])
        .collect();
    assert_eq!(revisions, [&json!(2), &json!(1)]);
    assert!(previews[0].get("type").is_none());

    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&s.project, &vendor, None).await;
    let vendor_token = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&format!("{entity}/time-spents"), &vendor_token)
            .await
            .0,
        403,
        "a vendor needs a task on the entity"
    );
    app.put(
        &format!("/data/tasks/{}", id(asset_task)),
        &s.admin,
        json!({"assignees": [vendor]}),
    )
    .await;
    assert_eq!(
        app.get(&format!("{entity}/time-spents"), &vendor_token)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get("/data/entities/nope/time-spents", &s.admin).await.0,
        404
    );
}

#[tokio::test]
async fn a_shot_keeps_its_earlier_names_and_frame_ranges() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let entity = format!("/data/entities/{}", s.shot);
    let (status, renamed) = app
        .put(
            &entity,
            &s.admin,
            json!({"name": "SH1b", "data": {"frame_in": 1, "frame_out": 50}}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let url = format!("/data/shots/{}/versions", s.shot);
    let (status, versions) = app.get(&url, &s.admin).await;
    assert_eq!(status, 200, "{versions}");
    assert_eq!(versions.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            &versions[0]["name"],
            &versions[0]["data"]["frame_out"],
            &versions[0]["type"]
        ),
        (&json!("SH1"), &json!(50), &json!("ShotVersion"))
    );
    app.put(&entity, &s.admin, json!({"data": {"frame_out": 60}}))
        .await;
    let (_, versions) = app.get(&url, &s.admin).await;
    assert_eq!(
        versions.as_array().unwrap().len(),
        1,
        "one burst, one version"
    );
    assert_eq!(versions[0]["data"]["frame_out"], 60);
    app.put(&entity, &s.admin, json!({"description": "wide"}))
        .await;
    assert_eq!(app.get(&url, &s.admin).await.1.as_array().unwrap().len(), 1);
    let edit_versions = format!(
        "/data/edits/{}/versions",
        s.tasks[2]["entity_id"].as_str().unwrap()
    );
    assert_eq!(app.get(&edit_versions, &s.admin).await.1, json!([]));
    assert_eq!(
        app.get(&format!("/data/edits/{}/versions", s.shot), &s.admin)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn an_episode_lists_its_edits_and_concepts_list_with_their_tasks() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let (status, edits) = app
        .get(&format!("/data/episodes/{}/edits", s.episode), &s.admin)
        .await;
    assert_eq!(status, 200, "{edits}");
    assert_eq!(
        (&edits[0]["name"], &edits[0]["type"]),
        (&json!("ED1"), &json!("Edit"))
    );
    assert_eq!(edits.as_array().unwrap().len(), 1);

    let (_, concept) = app
        .post(
            &format!("/data/projects/{}/concepts", s.project),
            &s.admin,
            json!({"name": "Bunny sketch"}),
        )
        .await;
    let (status, linked) = app
        .put(
            &format!("/data/entities/{}", id(&concept)),
            &s.admin,
            json!({"entity_concept_links": [s.asset]}),
        )
        .await;
    assert_eq!(status, 200, "{linked}");
    let (_, concept_type) = app.get("/data/task-types?name=Concept", &s.admin).await;
    let concept_task_type = concept_type
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["for_entity"] == "Concept")
        .unwrap();
    let (_, task) = app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": concept_task_type["id"], "entity_id": concept["id"]}),
        )
        .await;
    let (status, rows) = app
        .get(
            &format!("/data/entities/{}/entities-linked/with-tasks", s.asset),
            &s.admin,
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            &row["id"],
            &row["type"],
            &row["project_name"],
            &row["entity_concept_links"],
            &row["tasks"][0]["id"],
            &row["tasks"][0]["priority"],
        ),
        (
            &concept["id"],
            &json!("Concept"),
            &json!("Show"),
            &json!([s.asset]),
            &task["id"],
            &json!(0)
        )
    );
    assert_eq!(row["tasks"][0]["assignees"], json!([]));
    let (_, nothing) = app
        .get(
            &format!("/data/entities/{}/entities-linked/with-tasks", id(&concept)),
            &s.admin,
        )
        .await;
    assert_eq!(nothing, json!([]));
}

#[tokio::test]
async fn previews_are_grouped_per_task_type_and_revision() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let shot_task = s
        .tasks
        .iter()
        .find(|t| t["entity_id"] == json!(s.shot))
        .unwrap();
    let (_, animation) = app.get("/data/task-types?name=Animation", &s.admin).await;
    let (_, second) = app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": s.shot, "name": "second"}),
        )
        .await;
    let me = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"].clone();
    for (task, name, revision, position, duration) in [
        (shot_task, "a", 1, 1, 2.0),
        (shot_task, "b", 1, 2, 2.0),
        (shot_task, "c", 2, 1, 4.02),
        (&second, "d", 1, 1, 1.0),
    ] {
        let body = json!({"name": name, "task_id": task["id"], "person_id": me, "revision": revision,
                          "position": position, "extension": "mp4", "duration": duration, "status": "ready"});
        let (status, preview) = app.post("/data/preview-files", &s.admin, body).await;
        assert_eq!(status, 201, "{preview}");
    }
    let url = format!("/data/shots/{}/preview-files", s.shot);
    let (status, grouped) = app.get(&url, &s.admin).await;
    assert_eq!(status, 200, "{grouped}");
    let versions = grouped[animation[0]["id"].as_str().unwrap()]
        .as_array()
        .unwrap();
    let shown: Vec<(&Json, &Json, usize)> = versions
        .iter()
        .map(|v| {
            (
                &v["original_name"],
                &v["revision"],
                v["previews"].as_array().unwrap().len(),
            )
        })
        .collect();
    // Zou keeps one task per task type; Tusk keeps both.
    assert_eq!(
        shown,
        [
            (&json!(null), &json!(2), 0),
            (&json!(null), &json!(1), 1),
            (&json!(null), &json!(1), 0)
        ]
    );
    assert_eq!(versions[1]["previews"][0]["position"], 2);
    assert!(versions[0].get("position").is_none());
    let (_, edit) = app
        .get(
            &format!(
                "/data/edits/{}/preview-files",
                s.tasks[2]["entity_id"].as_str().unwrap()
            ),
            &s.admin,
        )
        .await;
    assert_eq!(edit, json!({}));

    let frames = format!(
        "/actions/projects/{}/task-types/{}/set-shot-nb-frames",
        s.project,
        animation[0]["id"].as_str().unwrap()
    );
    app.put(
        &format!("/data/projects/{}", s.project),
        &s.admin,
        json!({"fps": "24"}),
    )
    .await;
    let (status, set) = app.post(&frames, &s.admin, json!({})).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        set,
        json!([{"id": s.shot, "nb_frames": 24}]),
        "the latest movie: d, 1 s"
    );
    assert_eq!(
        app.get(&format!("/data/shots/{}", s.shot), &s.admin)
            .await
            .1["nb_frames"],
        24
    );
    assert_eq!(
        app.post(&format!("{frames}?episode_id=all"), &s.admin, json!({}))
            .await
            .1["message"],
        "Invalid episode id"
    );
}

#[tokio::test]
async fn a_shot_lists_the_types_of_the_assets_it_casts() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let (status, _) = app
        .put(
            &format!("/data/projects/{}/entities/{}/casting", s.project, s.shot),
            &s.admin,
            json!([{"asset_id": s.asset, "nb_occurences": 2}]),
        )
        .await;
    assert_eq!(status, 200);
    let (status, types) = app
        .get(&format!("/data/shots/{}/asset-types", s.shot), &s.admin)
        .await;
    assert_eq!(status, 200, "{types}");
    assert_eq!(
        (
            &types[0]["name"],
            &types[0]["type"],
            types.as_array().unwrap().len()
        ),
        (&json!("Character"), &json!("AssetType"), 1)
    );
}
