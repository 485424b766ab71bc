//! Episode stats and retake stats, from the project's cached tasks.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Data {
    admin: String,
    project: String,
    e1: String,
    animation: String,
    layout: String,
    done: String,
    retake: String,
    wip: String,
    todo: String,
}

async fn first(app: &TestApp, token: &str, route: &str) -> String {
    app.get(route, token).await.1[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Zou's worked example: E1 with SH01 (10 frames), SH02 (20), SH03 (none); E2 with SH04 (40).
async fn data(app: &TestApp) -> Data {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let id = |v: &Json| v["id"].as_str().unwrap().to_string();
    let e1 = id(&app
        .post(&format!("{base}/episodes"), &admin, json!({"name": "E1"}))
        .await
        .1);
    let e2 = id(&app
        .post(&format!("{base}/episodes"), &admin, json!({"name": "E2"}))
        .await
        .1);
    let q1 = id(&app
        .post(
            &format!("{base}/sequences"),
            &admin,
            json!({"name": "Q1", "episode_id": e1}),
        )
        .await
        .1);
    let q2 = id(&app
        .post(
            &format!("{base}/sequences"),
            &admin,
            json!({"name": "Q2", "episode_id": e2}),
        )
        .await
        .1);
    let mut shots = Vec::new();
    for (name, sequence, frames) in [
        ("SH01", &q1, json!(10)),
        ("SH02", &q1, json!(20)),
        ("SH03", &q1, Json::Null),
        ("SH04", &q2, json!(40)),
    ] {
        let body = json!({"name": name, "sequence_id": sequence, "nb_frames": frames});
        shots.push(id(&app
            .post(&format!("{base}/shots"), &admin, body)
            .await
            .1));
    }
    let d = Data {
        animation: first(app, &admin, "/data/task-types?name=Animation").await,
        layout: first(app, &admin, "/data/task-types?name=Layout").await,
        done: first(app, &admin, "/data/task-status?short_name=done").await,
        retake: first(app, &admin, "/data/task-status?short_name=retake").await,
        wip: first(app, &admin, "/data/task-status?short_name=wip").await,
        todo: first(app, &admin, "/data/task-status?short_name=todo").await,
        admin,
        project,
        e1,
    };
    for (task_type, shot, status, retakes, drawings) in [
        (&d.animation, &shots[0], &d.done, 2, 0),
        (&d.animation, &shots[1], &d.retake, 1, 7),
        (&d.animation, &shots[2], &d.wip, 0, 0),
        (&d.animation, &shots[3], &d.todo, 0, 0),
        (&d.layout, &shots[0], &d.done, 1, 0),
        (&d.layout, &shots[1], &d.todo, 0, 3),
    ] {
        let (_, task) = app
            .post(
                "/data/tasks",
                &d.admin,
                json!({"task_type_id": task_type, "entity_id": shot}),
            )
            .await;
        app.put(
            &format!("/data/tasks/{}", task["id"].as_str().unwrap()),
            &d.admin,
            json!({"task_status_id": status, "retake_count": retakes, "nb_drawings": drawings}),
        )
        .await;
    }
    d
}

fn cell(count: i64, frames: i64, drawings: i64) -> Json {
    json!({"count": count, "frames": frames, "drawings": drawings})
}

#[tokio::test]
async fn episode_stats_count_tasks_frames_and_drawings_by_status() {
    let app = spawn_app().await;
    let d = data(&app).await;
    let (status, stats) = app
        .get(
            &format!("/data/projects/{}/episodes/stats", d.project),
            &d.admin,
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    let e1_all = &stats[&d.e1]["all"];
    assert_eq!(e1_all[&d.done]["count"], 2);
    assert_eq!(e1_all[&d.done]["frames"], 20);
    assert_eq!(e1_all[&d.done]["name"], "done");
    assert_eq!(e1_all[&d.retake]["drawings"], 7);
    let all = &stats["all"]["all"];
    assert_eq!(
        (
            &all[&d.todo]["count"],
            &all[&d.todo]["frames"],
            &all[&d.todo]["drawings"]
        ),
        (&json!(2), &json!(60), &json!(3))
    );
    assert_eq!(stats["all"][&d.animation][&d.todo]["frames"], 40);

    // The written stats are reused only until a task or a status changes.
    let url = format!("/data/projects/{}/episodes/stats", d.project);
    let (_, tasks) = app
        .get(&format!("/data/tasks?task_status_id={}", d.wip), &d.admin)
        .await;
    app.put(
        &format!("/data/tasks/{}", tasks[0]["id"].as_str().unwrap()),
        &d.admin,
        json!({"task_status_id": d.done}),
    )
    .await;
    let (_, stats) = app.get(&url, &d.admin).await;
    assert_eq!(stats[&d.e1]["all"][&d.done]["count"], 3);
    app.put(
        &format!("/data/task-status/{}", d.done),
        &d.admin,
        json!({"short_name": "fini"}),
    )
    .await;
    let (_, stats) = app.get(&url, &d.admin).await;
    assert_eq!(stats[&d.e1]["all"][&d.done]["name"], "fini");
}

#[tokio::test]
async fn retake_stats_tell_how_each_take_went() {
    let app = spawn_app().await;
    let d = data(&app).await;
    let (status, stats) = app
        .get(
            &format!("/data/projects/{}/episodes/retake-stats", d.project),
            &d.admin,
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    let all = &stats["all"]["all"];
    assert_eq!(all["max_retake_count"], 2);
    assert_eq!(all["evolution"], json!({}));
    assert_eq!(
        (&all["done"], &all["retake"], &all["other"]),
        (&cell(2, 20, 0), &cell(1, 20, 7), &cell(3, 60, 3))
    );
    let e1 = &stats[&d.e1]["all"];
    assert_eq!(e1["evolution"]["1"]["retake"], cell(3, 40, 7));
    assert_eq!(e1["evolution"]["1"]["other"], cell(2, 20, 3));
    assert_eq!(e1["evolution"]["2"]["done"], cell(1, 10, 0));
    assert_eq!(e1["evolution"]["2"]["retake"], cell(1, 10, 0));
    assert_eq!(e1["evolution"]["2"]["other"], cell(3, 40, 10));
    assert_eq!(
        stats[&d.e1][&d.layout]["evolution"]["1"]["retake"],
        cell(1, 10, 0)
    );

    let client_id = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    app.join_team(&d.project, &client_id, None).await;
    let client = app.token_for("client@example.com", PASSWORD).await;
    assert_eq!(
        app.get(
            &format!("/data/projects/{}/episodes/retake-stats", d.project),
            &client
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.get(
            &format!("/data/projects/{}/episodes/stats", d.project),
            &client
        )
        .await
        .0,
        200
    );
    let empty = app.create_project(&d.admin, "Empty").await;
    assert_eq!(
        app.get(&format!("/data/projects/{empty}/episodes/stats"), &d.admin)
            .await
            .1,
        json!({})
    );
    assert_eq!(
        app.get(
            &format!("/data/projects/{empty}/episodes/retake-stats"),
            &d.admin
        )
        .await
        .1["all"]["all"]["other"],
        cell(0, 0, 0)
    );
}
