//! The team schedule's task dates, and a person's related tasks of a type.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

struct Studio {
    admin: String,
    other: String,
    /// Film's Animation and Layout tasks; Other's Animation task.
    animation: Json,
    layout: Json,
    elsewhere: Json,
    people: Vec<Member>,
}

impl Studio {
    fn member(&self, who: &str) -> &Member {
        self.people.iter().find(|m| m.who == who).unwrap()
    }
}

async fn dates(app: &TestApp, admin: &str, task: &Json, start: &str, due: &str) {
    let (status, _) = app
        .put(
            &format!("/data/tasks/{}", task["id"].as_str().unwrap()),
            admin,
            json!({"start_date": start, "due_date": due}),
        )
        .await;
    assert_eq!(status, 200);
}

async fn assign(app: &TestApp, admin: &str, task: &Json, person: &str) {
    let (status, _) = app
        .put(
            &format!("/actions/tasks/{}/assign", task["id"].as_str().unwrap()),
            admin,
            json!({"person_id": person}),
        )
        .await;
    assert_eq!(status, 200);
}

/// The artist works on Film (Animation) and Other; the supervisor is in Film's team only.
async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let other = app.create_project(&admin, "Other").await;
    let (_, mut tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let (_, mut theirs) = app.shot_with_tasks(&admin, &other, &["Animation"]).await;
    let people = app
        .crew(
            &project,
            "",
            &[
                ("supervisor", Role::Supervisor, true),
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::Manager, false),
            ],
        )
        .await;
    let s = Studio {
        admin,
        other,
        layout: tasks.pop().unwrap(),
        animation: tasks.pop().unwrap(),
        elsewhere: theirs.pop().unwrap(),
        people,
    };
    let artist = s.member("artist").id.clone();
    assign(app, &s.admin, &s.animation, &artist).await;
    assign(app, &s.admin, &s.elsewhere, &artist).await;
    dates(
        app,
        &s.admin,
        &s.animation,
        "2026-01-05T00:00:00",
        "2026-01-20T00:00:00",
    )
    .await;
    dates(
        app,
        &s.admin,
        &s.elsewhere,
        "2026-02-01T00:00:00",
        "2026-02-10T00:00:00",
    )
    .await;
    s
}

#[tokio::test]
async fn task_dates_show_the_team_s_work_and_busy_periods_elsewhere() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = "/data/persons/task-dates";
    let artist = s.member("artist").id.clone();
    let (status, seen) = app.get(url, &s.member("supervisor").token).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(
        seen,
        json!([{
            "person_id": artist,
            "min_date": "2026-01-05T00:00:00",
            "max_date": "2026-01-20T00:00:00",
            "busy_periods": [{"start_date": "2026-02-01 00:00:00", "end_date": "2026-02-10 00:00:00"}],
        }])
    );
    // Admins see every open project in detail, without busy periods.
    let (_, all) = app.get(url, &s.admin).await;
    assert_eq!(all[0]["max_date"], "2026-02-10T00:00:00");
    assert_eq!(all[0]["busy_periods"], json!([]));
    let (_, one) = app
        .get(&format!("{url}?project_id={}", s.other), &s.admin)
        .await;
    assert_eq!(one[0]["min_date"], "2026-02-01T00:00:00");
    for who in ["artist", "client", "vendor"] {
        let (status, _) = app.get(url, &s.member(who).token).await;
        assert_eq!(status, 403, "{who}");
    }
    // A studio manager outside every team sees the studio as busy periods.
    let (_, outsider) = app.get(url, &s.member("outsider").token).await;
    assert_eq!(outsider[0]["min_date"], Json::Null);
    assert_eq!(outsider[0]["busy_periods"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .get(
            &format!("{url}?project_id={}", s.other),
            &s.member("supervisor").token,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(
            &format!("{url}?project_id={}", Uuid::now_v7()),
            &s.member("supervisor").token,
        )
        .await;
    assert_eq!(status, 404);
    let (status, answer) = app.get(&format!("{url}?project_id=bad"), &s.admin).await;
    assert_eq!(status, 400);
    assert_eq!(answer["message"], "Invalid project_id.");
    let (status, _) = app
        .get(
            &format!("{url}?project_id=%20"),
            &s.member("supervisor").token,
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn related_tasks_are_those_of_the_type_on_the_person_s_entities() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let artist = s.member("artist").id.clone();
    let layout_type = s.layout["task_type_id"].as_str().unwrap();
    let url = format!("/data/persons/{artist}/related-tasks/{layout_type}");
    let (status, related) = app.get(&url, &s.member("supervisor").token).await;
    assert_eq!(status, 200, "{related}");
    assert_eq!(related.as_array().unwrap().len(), 1);
    assert_eq!(related[0]["id"], s.layout["id"]);
    assert_eq!(related[0]["type"], "Task");
    let animation_type = s.animation["task_type_id"].as_str().unwrap();
    let (_, admin) = app
        .get(
            &format!("/data/persons/{artist}/related-tasks/{animation_type}"),
            &s.admin,
        )
        .await;
    assert_eq!(
        admin.as_array().unwrap().len(),
        2,
        "both projects for admins"
    );
    let (_, team) = app
        .get(
            &format!("/data/persons/{artist}/related-tasks/{animation_type}"),
            &s.member("supervisor").token,
        )
        .await;
    assert_eq!(
        team.as_array().unwrap().len(),
        1,
        "only the caller's projects"
    );
    let (_, client) = app
        .get(
            &format!("/data/persons/{artist}/related-tasks/{animation_type}"),
            &s.member("client").token,
        )
        .await;
    assert_eq!(client[0]["start_date"], Json::Null);
    let (_, outsider) = app.get(&url, &s.member("outsider").token).await;
    assert_eq!(outsider, json!([]));
    let (status, _) = app.get(&url, &s.member("vendor").token).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(
            &format!(
                "/data/persons/{}/related-tasks/{layout_type}",
                Uuid::now_v7()
            ),
            &s.admin,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(
            &format!("/data/persons/{artist}/related-tasks/bad"),
            &s.admin,
        )
        .await;
    assert_eq!(status, 400);
}
