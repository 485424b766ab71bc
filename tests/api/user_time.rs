//! The caller's own time, days off and desktop logins.

use crate::common::*;
use serde_json::json;
use tusk_actors::role::Role;

#[tokio::test]
async fn a_person_reads_their_own_time_days_off_and_logins() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let asset = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (_, task) = app
        .post("/data/tasks", &admin, json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"], "assignees": [artist]}))
        .await;
    let token = app.token_for("artist@example.com", PASSWORD).await;
    for (date, minutes) in [("2027-01-04", 60), ("2027-01-05", 30)] {
        let url = format!(
            "/actions/tasks/{}/time-spents/{date}/persons/{artist}",
            id(&task)
        );
        assert_eq!(
            app.post(&url, &token, json!({"duration": minutes})).await.0,
            201
        );
    }
    let (_, all) = app.get("/data/user/time-spents", &token).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(
        (&all[0]["project_id"], &all[0]["task_type_id"]),
        (&json!(project), &modeling[0]["id"])
    );
    let (_, range) = app
        .get(
            "/data/user/time-spents?start_date=2027-01-05&end_date=2027-01-31",
            &token,
        )
        .await;
    assert_eq!(range.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/data/user/time-spents?start_date=2027-01-05", &token)
            .await
            .0,
        400
    );
    let (_, day) = app.get("/data/user/time-spents/2027-01-04", &token).await;
    assert_eq!(day[0]["duration"], 60.0);
    assert_eq!(
        app.get("/data/user/time-spents/2027-13-01", &token).await.1["message"],
        "Wrong date format."
    );
    let one = format!("/data/user/tasks/{}/time-spents/2027-01-05", id(&task));
    assert_eq!(app.get(&one, &token).await.1["duration"], 30.0);
    let none = format!("/data/user/tasks/{}/time-spents/2027-01-06", id(&task));
    assert_eq!(app.get(&none, &token).await.1, json!({}));

    app.post(
        "/data/day-offs",
        &admin,
        json!({"person_id": artist, "date": "2027-02-01", "end_date": "2027-02-05", "description": "ski"}),
    )
    .await;
    assert_eq!(
        app.get("/data/user/day-offs/2027-02-03", &token).await.1["description"],
        "ski"
    );
    assert_eq!(
        app.get("/data/user/day-offs/2027-02-06", &token).await.1,
        json!({})
    );

    let (status, login) = app
        .post(
            "/data/user/desktop-login-logs",
            &token,
            json!({"date": "2027-03-01T09:00:00"}),
        )
        .await;
    assert_eq!(status, 201, "{login}");
    assert_eq!(
        (&login["person_id"], &login["type"]),
        (&json!(artist), &json!("DesktopLoginLog"))
    );
    app.post("/data/user/desktop-login-logs", &token, json!({}))
        .await;
    let (_, logins) = app.get("/data/user/desktop-login-logs", &token).await;
    assert_eq!(logins.as_array().unwrap().len(), 2);
    assert_eq!(
        app.post(
            "/data/user/desktop-login-logs",
            &token,
            json!({"date": "bad"})
        )
        .await
        .0,
        400
    );
    let (_, me) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert!(
        me["last_presence"]
            .as_str()
            .is_some_and(|d| d >= "2027-03-01"),
        "{me}"
    );
}
