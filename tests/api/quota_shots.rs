//! A person's quota shots: the shots they delivered in a period, with weights.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

const UNKNOWN: &str = "0191e4e5-0000-7000-8000-000000000000";

/// (full name, weight) of each listed shot.
fn weights(rows: &Json) -> Vec<(String, Json)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["full_name"].as_str().unwrap().to_string(),
                r["weight"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn quota_shots_weigh_the_work_of_a_period() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let user = app.person_with_role("user@example.com", Role::User).await;
    app.person_with_role("sup@example.com", Role::Supervisor)
        .await;
    let (_, sups) = app.get("/data/persons?email=sup@example.com", &admin).await;
    let sup = id(&sups[0]);
    app.person_with_role("mgrout@example.com", Role::Manager)
        .await;
    app.person_with_role("other@example.com", Role::User).await;
    for person in [&user, &sup] {
        app.join_team(&project, person, None).await;
    }
    let base = format!("/data/projects/{project}");
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "SQ1"}))
        .await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    // SH1: 60 of 119 planned minutes logged on March 2nd, sent for feedback
    // at 23:30 UTC that day. SH2: worked from Monday 2nd 09:00 to Wednesday
    // 4th 10:00 with no time logged.
    for (name, fields) in [
        (
            "SH1",
            json!({"duration": 119, "end_date": "2026-03-02T23:30:00"}),
        ),
        (
            "SH2",
            json!({"real_start_date": "2026-03-02T09:00:00", "end_date": "2026-03-04T10:00:00"}),
        ),
    ] {
        let (_, shot) = app
            .post(
                &format!("{base}/shots"),
                &admin,
                json!({"name": name, "sequence_id": sequence["id"]}),
            )
            .await;
        let (_, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": animation[0]["id"], "entity_id": shot["id"], "assignees": [user]}),
            )
            .await;
        if name == "SH1" {
            let log = json!({"task_id": task["id"], "person_id": user, "date": "2026-03-02", "duration": 60});
            assert_eq!(app.post("/data/time-spents", &admin, log).await.0, 201);
        }
        // After the log, which sets the task's duration to the time logged.
        let (status, body) = app
            .put(&format!("/data/tasks/{}", id(&task)), &admin, fields)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let shots = |path: &str| format!("/data/persons/{user}/quota-shots/{path}");

    let (status, rows) = app.get(&shots("day/2026/3/2"), &admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        weights(&rows),
        [
            ("SQ1 / SH1".to_string(), json!(0.5)),
            ("SQ1 / SH2".to_string(), json!(0.33))
        ]
    );
    assert_eq!(rows[0]["type"], "Entity");
    assert_eq!(rows[0]["name"], "SH1");
    assert_eq!(rows[0]["parent_id"], sequence["id"]);
    let (_, rows) = app.get(&shots("day/2026/3/3"), &admin).await;
    assert_eq!(weights(&rows), [("SQ1 / SH2".to_string(), json!(0.33))]);
    let (_, rows) = app.get(&shots("month/2026/3"), &admin).await;
    assert_eq!(
        weights(&rows),
        [
            ("SQ1 / SH1".to_string(), json!(0.5)),
            ("SQ1 / SH2".to_string(), json!(1.0))
        ]
    );
    // Zou crashes on weighted weeks with unlogged work; Tusk weighs them as months.
    let (status, rows) = app.get(&shots("week/2026/10"), &admin).await;
    assert_eq!((status, weights(&rows).len()), (200, 2));

    // Raw counts: whole shots on the caller's local delivery day.
    let (_, rows) = app
        .get(&shots("day/2026/3/2?count_mode=feedback"), &admin)
        .await;
    assert_eq!(rows, json!([]));
    let (_, rows) = app
        .get(&shots("day/2026/3/3?count_mode=feedback"), &admin)
        .await;
    assert_eq!(weights(&rows), [("SQ1 / SH1".to_string(), json!(1))]);
    let token = app.token_for("user@example.com", PASSWORD).await;
    app.put(
        &format!("/data/persons/{user}"),
        &token,
        json!({"timezone": "America/New_York"}),
    )
    .await;
    let (_, rows) = app
        .get(&shots("day/2026/3/2?count_mode=feedback"), &token)
        .await;
    assert_eq!(weights(&rows), [("SQ1 / SH1".to_string(), json!(1))]);
    let (_, rows) = app
        .get(&shots("month/2026/3?count_mode=done"), &token)
        .await;
    assert_eq!(rows, json!([]));

    // Who may read: the person and admins; with a project, its supervisors and managers.
    let sup_token = app.token_for("sup@example.com", PASSWORD).await;
    assert_eq!(app.get(&shots("month/2026/3"), &sup_token).await.0, 403);
    let with_project = shots(&format!("month/2026/3?project_id={project}"));
    let (status, rows) = app.get(&with_project, &sup_token).await;
    assert_eq!((status, weights(&rows).len()), (200, 2));
    let mgrout = app.token_for("mgrout@example.com", PASSWORD).await;
    assert_eq!(app.get(&with_project, &mgrout).await.0, 403);
    let other = app.token_for("other@example.com", PASSWORD).await;
    assert_eq!(app.get(&with_project, &other).await.0, 403);
    assert_eq!(
        app.get(
            &shots(&format!("month/2026/3?project_id={UNKNOWN}")),
            &admin
        )
        .await
        .0,
        404
    );

    // Bad input.
    let (status, body) = app.get(&shots("month/2026/3?count_mode="), &admin).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("count_mode must be equal to weighted, weighteddone, feedback, or done")
        )
    );
    for bad in [
        "day/2026/2/30",
        "month/2026/13",
        "week/2026/54",
        "month/abc/1",
    ] {
        let (status, body) = app.get(&shots(bad), &admin).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some("Invalid month or year.")),
            "{bad}"
        );
    }
    assert_eq!(
        app.get(&shots("month/2026/3?task_type_id=x"), &admin)
            .await
            .0,
        400
    );
    assert_eq!(
        app.get(
            &format!("/data/persons/{UNKNOWN}/quota-shots/month/2026/3?count_mode=bad"),
            &other
        )
        .await
        .0,
        404
    );
}
