//! Quotas: delivered shots per person and day, week, month and year.

use crate::common::*;
use serde_json::json;
use tusk_actors::role::Role;

struct Example {
    admin: String,
    project: String,
    animation: String,
    user: String,
    mgr: String,
}

/// Zou's worked example at 24 fps: A (48 frames, user and mgr, no time
/// logged, sent for feedback at 23:30 UTC on Friday 27th) and B (100 frames,
/// user, 8 hours logged on the 26th and 27th, done on December 2nd).
async fn example(app: &TestApp) -> Example {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    app.put(
        &format!("/data/projects/{project}"),
        &admin,
        json!({"fps": "24"}),
    )
    .await;
    let user = app.person_with_role("user@example.com", Role::User).await;
    let mgr = app.person_with_role("mgr@example.com", Role::Manager).await;
    for person in [&user, &mgr] {
        app.join_team(&project, person, None).await;
    }
    let base = format!("/data/projects/{project}");
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "Q1"}))
        .await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let animation = id(&animation[0]);
    let mut tasks = Vec::new();
    for (name, frames, people, fields) in [
        (
            "SA",
            48,
            json!([user, mgr]),
            json!({"real_start_date": "2026-11-25T09:00:00", "end_date": "2026-11-27T23:30:00", "nb_drawings": 6}),
        ),
        (
            "SB",
            100,
            json!([user]),
            json!({"real_start_date": "2026-11-24T09:00:00", "end_date": "2026-11-30T10:00:00",
                   "done_date": "2026-12-02T09:00:00"}),
        ),
    ] {
        let (_, shot) = app
            .post(
                &format!("{base}/shots"),
                &admin,
                json!({"name": name, "sequence_id": sequence["id"], "nb_frames": frames}),
            )
            .await;
        let (_, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": animation, "entity_id": shot["id"], "assignees": people}),
            )
            .await;
        let (status, updated) = app
            .put(&format!("/data/tasks/{}", id(&task)), &admin, fields)
            .await;
        assert_eq!(status, 200, "{updated}");
        tasks.push(task);
    }
    for (date, minutes) in [("2026-11-26", 120.0), ("2026-11-27", 360.0)] {
        let log = json!({"task_id": tasks[1]["id"], "person_id": user, "date": date, "duration": minutes});
        assert_eq!(app.post("/data/time-spents", &admin, log).await.0, 201);
    }
    Example {
        admin,
        project,
        animation,
        user,
        mgr,
    }
}

#[tokio::test]
async fn raw_quotas_count_whole_shots_on_the_local_delivery_day() {
    let app = spawn_app().await;
    let e = example(&app).await;
    let url = format!("/data/projects/{}/quotas/{}", e.project, e.animation);
    let (status, feedback) = app
        .get(&format!("{url}?count_mode=feedback"), &e.admin)
        .await;
    assert_eq!(status, 200, "{feedback}");
    // 23:30 UTC on the 27th is the 28th in Paris, the caller's timezone.
    assert_eq!(
        feedback[&e.user]["day"]["frames"],
        json!({"2026-11-28": 48, "2026-11-30": 100})
    );
    assert_eq!(feedback[&e.user]["day"]["entries"], json!({"2026-11": 2}));
    assert_eq!(feedback[&e.mgr]["day"]["frames"], json!({"2026-11-28": 48}));
    assert_eq!(
        feedback["total"]["day"]["count"],
        json!({"2026-11-28": 2, "2026-11-30": 1})
    );
    assert_eq!(
        feedback["total"]["week"]["frames"],
        json!({"2026-48": 96, "2026-49": 100})
    );
    assert_eq!(feedback[&e.user]["day"]["seconds"]["2026-11-28"], 2.0);
    assert!(feedback["total"]["year"].get("entries").is_none());

    let (_, done) = app.get(&format!("{url}?count_mode=done"), &e.admin).await;
    assert_eq!(done[&e.user]["day"]["frames"], json!({"2026-12-02": 100}));
    assert!(done.get(&e.mgr).is_none());
    assert_eq!(
        app.get(&format!("{url}?count_mode=WEIGHTED"), &e.admin)
            .await
            .1["message"],
        "count_mode must be equal to weighted, weigtheddone, feedback, or done"
    );
}

#[tokio::test]
async fn weighted_quotas_spread_shots_over_the_days_worked() {
    let app = spawn_app().await;
    let e = example(&app).await;
    let url = format!("/data/projects/{}/quotas/{}", e.project, e.animation);
    let (status, weighted) = app.get(&url, &e.admin).await;
    assert_eq!(status, 200, "{weighted}");
    assert_eq!(
        weighted[&e.user]["day"]["frames"],
        json!({"2026-11-25": 16, "2026-11-26": 41, "2026-11-27": 91})
    );
    assert_eq!(
        weighted[&e.user]["day"]["count"],
        json!({"2026-11-25": 0.33, "2026-11-26": 0.58, "2026-11-27": 1.08})
    );
    assert_eq!(
        weighted[&e.user]["day"]["drawings"]["2026-11-25"], 2,
        "A's 6 drawings over 3 days"
    );
    assert_eq!(weighted["total"]["week"]["frames"], json!({"2026-48": 196}));
    assert_eq!(weighted["total"]["week"]["count"], json!({"2026-48": 3.0}));

    let person = format!("/data/projects/{}/quotas/persons/{}", e.project, e.user);
    let (status, mine) = app.get(&person, &e.admin).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(
        mine[&e.animation]["day"]["frames"],
        json!({"2026-11-25": 16, "2026-11-26": 41, "2026-11-27": 91}),
        "the user's own part, not their co-assignee's"
    );
}

#[tokio::test]
async fn quotas_are_shown_to_the_team_and_a_person_s_own_to_them() {
    let app = spawn_app().await;
    let e = example(&app).await;
    let user = app.token_for("user@example.com", PASSWORD).await;
    let url = format!("/data/projects/{}/quotas", e.project);
    assert_eq!(
        app.get(&format!("{url}/{}", e.animation), &user).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("{url}/persons/{}", e.user), &user).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("{url}/persons/{}", e.mgr), &user).await.0,
        403
    );
    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    app.join_team(&e.project, &client, None).await;
    let client = app.token_for("client@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&format!("{url}/{}", e.animation), &client).await.0,
        403
    );
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.get(&format!("{url}/{unknown}"), &e.admin).await.1,
        json!({})
    );
    assert_eq!(
        app.get(&format!("{url}/persons/{unknown}"), &e.admin)
            .await
            .0,
        404
    );
}
