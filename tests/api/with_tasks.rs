//! The breakdown views served from the project actors' cache, and the cache
//! staying equal to the database through any sequence of writes.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Film {
    admin: String,
    project: String,
    sequence: Json,
    shot_type: Json,
    character: Json,
    animation: Json,
    modeling: Json,
}

async fn film(app: &TestApp) -> Film {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let first = |list: Json| list[0]["id"].clone();
    let sequence_type = first(app.get("/data/entity-types?name=Sequence", &admin).await.1);
    let shot_type = first(app.get("/data/entity-types?name=Shot", &admin).await.1);
    let character = first(app.get("/data/entity-types?name=Character", &admin).await.1);
    let animation = first(app.get("/data/task-types?name=Animation", &admin).await.1);
    let modeling = first(app.get("/data/task-types?name=Modeling", &admin).await.1);
    let (_, sequence) = app
        .post(
            "/data/entities",
            &admin,
            json!({"name": "SQ01", "project_id": project, "entity_type_id": sequence_type}),
        )
        .await;
    Film {
        admin,
        project,
        sequence: sequence["id"].clone(),
        shot_type,
        character,
        animation,
        modeling,
    }
}

async fn shot(app: &TestApp, f: &Film, name: &str) -> Json {
    let (status, shot) = app
        .post(
            "/data/entities",
            &f.admin,
            json!({"name": name, "project_id": f.project, "entity_type_id": f.shot_type, "parent_id": f.sequence,
                   "data": {"frame_in": 1, "frame_out": 24}}),
        )
        .await;
    assert_eq!(status, 201, "{shot}");
    shot["id"].clone()
}

async fn task(app: &TestApp, f: &Film, task_type: &Json, entity: &Json) -> Json {
    let (status, task) = app
        .post(
            "/data/tasks",
            &f.admin,
            json!({"task_type_id": task_type, "entity_id": entity}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    task["id"].clone()
}

#[tokio::test]
async fn shots_and_assets_come_with_their_tasks() {
    let app = spawn_app().await;
    let f = film(&app).await;
    let sh010 = shot(&app, &f, "SH010").await;
    shot(&app, &f, "SH020").await;
    let (_, asset) = app
        .post(
            "/data/entities",
            &f.admin,
            json!({"name": "Bunny", "project_id": f.project, "entity_type_id": f.character}),
        )
        .await;
    // The views are read once (the project's actor loads), then written to.
    let url = format!("/data/shots/with-tasks?project_id={}", f.project);
    assert_eq!(app.get(&url, &f.admin).await.1.as_array().unwrap().len(), 2);
    let animation = task(&app, &f, &f.animation, &sh010).await;
    task(&app, &f, &f.modeling, &asset["id"]).await;

    let (status, shots) = app.get(&url, &f.admin).await;
    assert_eq!(status, 200);
    let names: Vec<&Json> = shots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, [&json!("SH010"), &json!("SH020")]);
    assert_eq!(shots[0]["sequence_name"], "SQ01");
    assert_eq!(shots[0]["project_name"], "Film");
    assert_eq!(shots[0]["frame_out"], 24);
    assert_eq!(shots[0]["tasks"][0]["id"], animation);
    assert_eq!(shots[0]["tasks"][0]["is_subscribed"], false);
    assert_eq!(shots[1]["tasks"], json!([]));

    let (_, assets) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", f.project),
            &f.admin,
        )
        .await;
    assert_eq!(assets.as_array().unwrap().len(), 1);
    assert_eq!(assets[0]["asset_type_name"], "Character");
    assert_eq!(assets[0]["tasks"].as_array().unwrap().len(), 1);
    let (_, sequences) = app
        .get(
            &format!("/data/sequences/with-tasks?project_id={}", f.project),
            &f.admin,
        )
        .await;
    assert_eq!(sequences[0]["name"], "SQ01");
}

#[tokio::test]
async fn views_follow_team_and_vendor_rules() {
    let app = spawn_app().await;
    let f = film(&app).await;
    let sh010 = shot(&app, &f, "SH010").await;
    shot(&app, &f, "SH020").await;
    let vendor_id = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.join_team(&f.project, &vendor_id, None).await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    let task_id = task(&app, &f, &f.animation, &sh010).await;
    app.put(
        &format!("/data/tasks/{}", task_id.as_str().unwrap()),
        &f.admin,
        json!({"assignees": [vendor_id]}),
    )
    .await;
    app.person_with_role("outsider@example.com", Role::User)
        .await;
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;

    let url = format!("/data/shots/with-tasks?project_id={}", f.project);
    let (_, seen) = app.get(&url, &vendor).await;
    let names: Vec<&Json> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, [&json!("SH010")], "vendors see what they work on");
    assert_eq!(seen[0]["tasks"][0]["assignees"], json!([vendor_id]));
    assert_eq!(app.get(&url, &outsider).await.0, 403);
    assert_eq!(
        app.get("/data/shots/with-tasks", &vendor).await.0,
        403,
        "a project is needed"
    );
}

/// Both views of a project, as one server's cache holds them.
async fn views(app: &TestApp, f: &Film) -> (Json, Json) {
    let shots = app
        .get(
            &format!("/data/shots/with-tasks?project_id={}", f.project),
            &f.admin,
        )
        .await
        .1;
    let assets = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", f.project),
            &f.admin,
        )
        .await
        .1;
    (shots, assets)
}

#[tokio::test]
async fn the_cache_equals_a_fresh_load_after_concurrent_writes() {
    let app = spawn_app().await;
    let f = film(&app).await;
    let mut shots = Vec::new();
    for n in 0..4 {
        shots.push(shot(&app, &f, &format!("SH{n:03}")).await);
    }
    let (_, asset) = app
        .post(
            "/data/entities",
            &f.admin,
            json!({"name": "Bunny", "project_id": f.project, "entity_type_id": f.character}),
        )
        .await;
    views(&app, &f).await; // the actor is loaded before the writes
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;

    // Writers on one project at once: tasks, assignments, casting, edits, deletes.
    let writes = shots.iter().enumerate().map(|(n, shot)| {
        let (app, f, artist_id, asset) = (&app, &f, &artist_id, &asset);
        async move {
            let task = task(app, f, &f.animation, shot).await;
            let task_url = format!("/data/tasks/{}", task.as_str().unwrap());
            app.put(&task_url, &f.admin, json!({"assignees": [artist_id], "priority": n})).await;
            app.post("/data/entity-links", &f.admin, json!({"entity_in_id": shot, "entity_out_id": asset["id"]})).await;
            let casting = format!("/data/projects/{}/entities/{}/casting", f.project, shot.as_str().unwrap());
            let cast = if n == 2 { json!([]) } else { json!([{"asset_id": asset["id"], "nb_occurences": n + 1}]) };
            assert_eq!(app.put(&casting, &f.admin, cast).await.0, 200);
            app.post(
                "/data/time-spents",
                &f.admin,
                json!({"task_id": task, "person_id": artist_id, "date": "2027-01-04", "duration": 30 * (n + 1)}),
            )
            .await;
            app.put(&format!("/data/entities/{}", shot.as_str().unwrap()), &f.admin, json!({"data": {"n": n}})).await;
            if n == 3 {
                assert_eq!(app.delete(&format!("{task_url}?force=true"), &f.admin).await.0, 204);
            }
        }
    });
    futures_util::future::join_all(writes).await;
    app.delete(
        &format!("/data/shots/{}", shots[0].as_str().unwrap()),
        &f.admin,
    )
    .await;

    let cached = views(&app, &f).await;
    let fresh_server = spawn_with(app.config.clone()).await;
    let fresh = views(&fresh_server, &f).await;
    assert_eq!(cached, fresh);
    let shots_view = cached.0.as_array().unwrap();
    assert_eq!(shots_view.len(), 4);
    assert_eq!(
        shots_view[0]["canceled"], true,
        "a shot with tasks is canceled, not deleted"
    );
    assert_eq!(shots_view[1]["tasks"][0]["duration"], 60.0);
    assert_eq!(shots_view[1]["tasks"][0]["assignees"], json!([artist_id]));
    assert_eq!(shots_view[3]["tasks"], json!([]));
    assert_eq!(cached.1[0]["tasks"], json!([]));
}

#[tokio::test]
async fn written_views_are_reused_only_while_nothing_they_show_changed() {
    let app = spawn_app().await;
    let f = film(&app).await;
    let sh = shot(&app, &f, "SH010").await;
    let anim = task(&app, &f, &f.animation, &sh).await;
    let url = format!("/data/shots/with-tasks?project_id={}", f.project);
    let (_, first) = app.get(&url, &f.admin).await;
    let (_, again) = app.get(&url, &f.admin).await;
    assert_eq!(first, again);
    assert_eq!(first[0]["tasks"][0]["is_subscribed"], json!(false));

    let (status, _) = app
        .post(
            &format!("/actions/user/tasks/{}/subscribe", anim.as_str().unwrap()),
            &f.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, followed) = app.get(&url, &f.admin).await;
    assert_eq!(
        followed[0]["tasks"][0]["is_subscribed"],
        json!(true),
        "a subscription shows at once"
    );

    let manager = app
        .person_with_role("manager@example.com", Role::Manager)
        .await;
    app.join_team(&f.project, &manager, None).await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let (_, theirs) = app.get(&url, &manager).await;
    assert_eq!(
        theirs[0]["tasks"][0]["is_subscribed"],
        json!(false),
        "the follower's view is theirs only"
    );

    app.put(
        &format!("/data/projects/{}", f.project),
        &f.admin,
        json!({"name": "Feature"}),
    )
    .await;
    let (_, renamed) = app.get(&url, &manager).await;
    assert_eq!(renamed[0]["project_name"], json!("Feature"));

    app.put(
        &format!("/data/entities/{}", sh.as_str().unwrap()),
        &f.admin,
        json!({"name": "SH020"}),
    )
    .await;
    let (_, moved) = app.get(&url, &manager).await;
    assert_eq!(
        moved[0]["name"],
        json!("SH020"),
        "a write to the project is a new version"
    );
}
