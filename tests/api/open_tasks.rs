//! The production task list of open projects, its per-project figures and burndown.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

struct Studio {
    admin: String,
    project: String,
    closed: String,
    animation: Json,
    people: Vec<Member>,
}

impl Studio {
    fn member(&self, who: &str) -> &Member {
        self.people.iter().find(|m| m.who == who).unwrap()
    }
}

async fn create_tasks(app: &TestApp, admin: &str, project: &str, route: &str, task_type: &str) {
    let (_, types) = app
        .get(&format!("/data/task-types?name={task_type}"), admin)
        .await;
    let (status, created) = app
        .post(
            &format!(
                "/actions/projects/{project}/task-types/{}/{route}/create-tasks",
                types[0]["id"].as_str().unwrap()
            ),
            admin,
            json!([]),
        )
        .await;
    assert_eq!(status, 201, "{created}");
}

/// Film (open): a shot with Animation and Layout tasks, an asset with a
/// Modeling task, a concept with a concept task. Archive (closed): one task.
async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (_, mut tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    app.create_asset(&admin, &project, "Character", "Hero")
        .await;
    create_tasks(app, &admin, &project, "assets", "Modeling").await;
    let (status, _) = app
        .post(
            &format!("/data/projects/{project}/concepts"),
            &admin,
            json!({"name": "Mood"}),
        )
        .await;
    assert_eq!(status, 201);
    create_tasks(
        app,
        &admin,
        &project,
        "concepts",
        "Concept&for_entity=Concept",
    )
    .await;
    let closed = app.create_project(&admin, "Archive").await;
    app.shot_with_tasks(&admin, &closed, &["Animation"]).await;
    app.set_project_status(&closed, "Closed").await;
    let people = app
        .crew(
            &project,
            "",
            &[
                ("manager", Role::Manager, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::Manager, false),
            ],
        )
        .await;
    tasks.truncate(1);
    let s = Studio {
        admin,
        project,
        closed,
        animation: tasks.pop().unwrap(),
        people,
    };
    let (status, _) = app
        .put(
            &format!(
                "/actions/tasks/{}/assign",
                s.animation["id"].as_str().unwrap()
            ),
            &s.admin,
            json!({"person_id": s.member("vendor").id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .put(
            &format!("/data/tasks/{}", s.animation["id"].as_str().unwrap()),
            &s.admin,
            json!({"estimation": 120, "start_date": "2026-01-05T00:00:00", "due_date": "2026-01-20T00:00:00"}),
        )
        .await;
    assert_eq!(status, 200);
    s
}

#[tokio::test]
async fn the_list_covers_open_projects_with_zou_s_filters() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = "/data/tasks/open-tasks";
    let (status, answer) = app.get(url, &s.admin).await;
    assert_eq!(status, 200, "{answer}");
    let mut keys: Vec<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["data", "is_more", "limit", "page", "stats"]);
    let data = answer["data"].as_array().unwrap();
    // The concept's task and the closed project's are not listed.
    assert_eq!(data.len(), 3, "{answer}");
    assert_eq!(answer["stats"]["total"], 3);
    assert_eq!(answer["stats"]["total_estimation"], json!(120.0));
    assert_eq!(answer["stats"]["status"][0]["amount"], 3);
    assert_eq!(
        (
            answer["limit"].clone(),
            answer["page"].clone(),
            answer["is_more"].clone()
        ),
        (json!(100), json!(1), json!(false))
    );
    let shot_task = data.iter().find(|t| t["id"] == s.animation["id"]).unwrap();
    assert_eq!(shot_task["project_name"], "Film");
    assert_eq!(shot_task["entity_name"], "SH1");
    assert_eq!(shot_task["sequence_name"], "Q1");
    assert_eq!(shot_task["entity_type_name"], "Shot");
    assert_eq!(shot_task["entity_preview_file_id"], "");
    assert_eq!(shot_task["episode_id"], "");
    assert_eq!(shot_task["type_name"], "Animation");
    assert_eq!(shot_task["status_short_name"], "todo");
    assert_eq!(shot_task["task_type_for_entity"], "Shot");
    assert_eq!(shot_task["assignees"], json!([s.member("vendor").id]));
    assert_eq!(shot_task["type"], "Task");
    // Pages: totals cover every matching task.
    let (_, first) = app.get(&format!("{url}?limit=2"), &s.admin).await;
    assert_eq!(
        (
            first["data"].as_array().unwrap().len(),
            first["is_more"].clone()
        ),
        (2, json!(true))
    );
    let (_, second) = app.get(&format!("{url}?limit=2&page=2"), &s.admin).await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["stats"]["total"], 3);
    assert_eq!(second["is_more"], false);
    let (_, none) = app.get(&format!("{url}?limit=2&page=9"), &s.admin).await;
    assert_eq!(
        (none["data"].clone(), none["stats"]["total"].clone()),
        (json!([]), json!(3))
    );
    // Filters.
    let (_, mine) = app
        .get(
            &format!("{url}?person_id={}", s.member("vendor").id),
            &s.admin,
        )
        .await;
    assert_eq!(mine["stats"]["total"], 1);
    let (_, unassigned) = app
        .get(&format!("{url}?person_id=unassigned"), &s.admin)
        .await;
    assert_eq!(unassigned["stats"]["total"], 2);
    let (_, typed) = app
        .get(
            &format!(
                "{url}?task_type_id={}",
                s.animation["task_type_id"].as_str().unwrap()
            ),
            &s.admin,
        )
        .await;
    assert_eq!(typed["stats"]["total"], 1);
    let (_, dated) = app
        .get(&format!("{url}?start_date=2026-01-01"), &s.admin)
        .await;
    assert_eq!(dated["stats"]["total"], 1);
    let (_, due) = app
        .get(&format!("{url}?due_date=2026-01-10"), &s.admin)
        .await;
    assert_eq!(due["stats"]["total"], 0);
    for (query, message) in [
        ("person_id=bad", "Wrong UUID format."),
        (&format!("person_id=unassigned,{}", s.member("vendor").id), "Wrong UUID format."),
        ("project_id=bad", "Wrong UUID format."),
        ("page=x", "Wrong value for parameter page."),
        ("limit=x", "Wrong value for parameter limit."),
        ("priority=high", "Wrong value for parameter priority."),
        ("start_date=soon", "Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05"),
    ] {
        let (status, answer) = app.get(&format!("{url}?{query}"), &s.admin).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(answer["message"], message, "{query}");
    }
    // A closed project, asked for by name.
    let (_, archive) = app
        .get(&format!("{url}?project_id={}", s.closed), &s.admin)
        .await;
    assert_eq!(archive["stats"]["total"], 1);
}

#[tokio::test]
async fn each_role_sees_its_own_part() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = "/data/tasks/open-tasks";
    let (_, managed) = app.get(url, &s.member("manager").token).await;
    assert_eq!(managed["stats"]["total"], 3);
    let (_, vendor) = app.get(url, &s.member("vendor").token).await;
    assert_eq!(vendor["stats"]["total"], 1);
    assert_eq!(vendor["data"][0]["id"], s.animation["id"]);
    let (_, client) = app.get(url, &s.member("client").token).await;
    assert_eq!(client["stats"]["total"], 3);
    assert!(client["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["assignees"] == json!([])));
    let (_, outsider) = app.get(url, &s.member("outsider").token).await;
    assert_eq!(outsider["stats"]["total"], 0);
    let (status, _) = app
        .get(
            &format!("{url}?project_id={}", s.project),
            &s.member("outsider").token,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(
            &format!("{url}?project_id={}", Uuid::now_v7()),
            &s.member("manager").token,
        )
        .await;
    assert_eq!(status, 404);
    let (status, answer) = app
        .get(&format!("{url}?project_id={}", Uuid::now_v7()), &s.admin)
        .await;
    assert_eq!((status, answer["data"].clone()), (200, json!([])));
}

#[tokio::test]
async fn the_stats_count_each_open_project_s_tasks() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let (status, stats) = app.get("/data/tasks/open-tasks/stats", &s.admin).await;
    assert_eq!(status, 200, "{stats}");
    let projects: Vec<&String> = stats.as_object().unwrap().keys().collect();
    assert_eq!(projects, vec![&s.project]);
    let film = &stats[&s.project];
    assert_eq!(film["amount"], 3);
    assert_eq!(film["amount_done"], 0);
    assert_eq!(film["total_estimation"], json!(120.0));
    assert_eq!(film["task_types"].as_array().unwrap().len(), 3);
    let entry = &film["task_types"][0];
    for key in [
        "task_status_id",
        "task_type_id",
        "project_id",
        "amount",
        "amount_done",
        "total_duration",
        "total_estimation",
    ] {
        assert!(entry.get(key).is_some(), "{key}");
    }
    let (_, vendor) = app
        .get("/data/tasks/open-tasks/stats", &s.member("vendor").token)
        .await;
    assert_eq!(vendor[&s.project]["amount"], 3);
    let (_, outsider) = app
        .get("/data/tasks/open-tasks/stats", &s.member("outsider").token)
        .await;
    assert_eq!(outsider, json!({}));
}

#[tokio::test]
async fn the_burndown_counts_done_tasks_per_day_in_the_window() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    app.db
        .execute(
            "UPDATE task SET done_date = $1 WHERE id = $2",
            &[
                tusk::db::Value::Timestamp(
                    chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                        .unwrap()
                        .and_hms_opt(10, 0, 0)
                        .unwrap(),
                ),
                Uuid::parse_str(s.animation["id"].as_str().unwrap())
                    .unwrap()
                    .into(),
            ],
        )
        .await
        .unwrap();
    let (status, burndown) = app.get("/data/tasks/open-tasks/burndown", &s.admin).await;
    assert_eq!(status, 200, "{burndown}");
    assert_eq!(burndown["total"], 3);
    assert_eq!(burndown["total_estimation"], json!(120.0));
    // Done before the window opens: folded into its first day.
    assert_eq!(
        burndown["done_by_day"],
        json!([{"date": "2026-01-05", "done": 1, "done_estimation": 120.0}])
    );
    assert_eq!(burndown["start_date"], "2026-01-05");
    assert_eq!(burndown["end_date"], "2026-01-20");
    let (status, _) = app
        .get(
            "/data/tasks/open-tasks/burndown?task_status_id=bad",
            &s.admin,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .get(
            &format!("/data/tasks/open-tasks/burndown?project_id={}", s.project),
            &s.member("outsider").token,
        )
        .await;
    assert_eq!(status, 403);
}
