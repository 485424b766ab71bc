//! A project's tasks (with their cache tag), and its notifications,
//! subscriptions and preview files for admins.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

struct Studio {
    admin: String,
    project: String,
    animation: Json,
    layout: Json,
    people: Vec<Member>,
}

impl Studio {
    fn member(&self, who: &str) -> &Member {
        self.people.iter().find(|m| m.who == who).unwrap()
    }
}

async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let people = app
        .crew(
            &project,
            "",
            &[
                ("manager", Role::Manager, true),
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::Manager, false),
            ],
        )
        .await;
    let (_, mut tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let s = Studio {
        admin,
        project,
        layout: tasks.pop().unwrap(),
        animation: tasks.pop().unwrap(),
        people,
    };
    for who in ["artist", "vendor"] {
        let (status, _) = app
            .put(
                &format!("/actions/tasks/{}/assign", id(&s.animation)),
                &s.admin,
                json!({"person_id": s.member(who).id}),
            )
            .await;
        assert_eq!(status, 200);
    }
    s
}

#[tokio::test]
async fn the_team_reads_a_project_s_tasks_with_their_assignees() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = format!("/data/projects/{}/tasks", s.project);
    let (status, tasks) = app.get(&url, &s.member("artist").token).await;
    assert_eq!(status, 200, "{tasks}");
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    // Newest update first: the assigned task moved last.
    assert_eq!(tasks[0]["id"], s.animation["id"]);
    let mut assignees: Vec<Json> = tasks[0]["assignees"].as_array().unwrap().clone();
    assignees.sort_by_key(|a| a.to_string());
    let mut expected = vec![json!(s.member("artist").id), json!(s.member("vendor").id)];
    expected.sort_by_key(|a| a.to_string());
    assert_eq!(assignees, expected);
    assert_eq!(tasks[0]["type"], "Task");
    assert_eq!(tasks[1]["assignees"], json!([]));
    // Vendors see what they work on; clients see no studio detail.
    let (_, theirs) = app.get(&url, &s.member("vendor").token).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    let (_, seen) = app.get(&url, &s.member("client").token).await;
    assert_eq!(seen[0]["assignees"], json!([]));
    assert_eq!(seen[0]["assigner_id"], Json::Null);
    let (status, _) = app.get(&url, &s.member("outsider").token).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get(
            &format!("/data/projects/{}/tasks", Uuid::now_v7()),
            &s.admin,
        )
        .await;
    assert_eq!(status, 404);
    let (_, layout) = app
        .get(
            &format!(
                "{url}?task_type_id={}",
                s.layout["task_type_id"].as_str().unwrap()
            ),
            &s.admin,
        )
        .await;
    assert_eq!(layout.as_array().unwrap().len(), 1);
    assert_eq!(layout[0]["id"], s.layout["id"]);
    for query in ["task_type_id=bad", "episode_id=bad", "page=x"] {
        let (status, answer) = app.get(&format!("{url}?{query}"), &s.admin).await;
        assert_eq!(status, 400, "{query}: {answer}");
    }
    let (_, page) = app.get(&format!("{url}?page=1&limit=1"), &s.admin).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["limit"], 100);
    assert_eq!(page["nb_pages"], 1);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    // An episode filter keeps the shots of its sequences: these have none.
    let (_, none) = app
        .get(&format!("{url}?episode_id={}", s.project), &s.admin)
        .await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn a_project_s_task_list_answers_not_modified_for_its_tag() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = format!("{}/data/projects/{}/tasks", app.address, s.project);
    let first = app
        .client
        .get(&url)
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(&url)
        .bearer_auth(&s.admin)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    // Another query is another answer (Zou answers 304 here).
    let filtered = app
        .client
        .get(format!(
            "{url}?task_type_id={}",
            s.layout["task_type_id"].as_str().unwrap()
        ))
        .bearer_auth(&s.admin)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.status().as_u16(), 200);
    // A change to the tasks is another answer too.
    let (status, _) = app
        .put(
            "/actions/tasks/set-priority",
            &s.admin,
            json!({"task_ids": [s.layout["id"]], "priority": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let changed = app
        .client
        .get(&url)
        .bearer_auth(&s.admin)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
}

#[tokio::test]
async fn admins_read_a_project_s_notifications_subscriptions_and_previews() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let base = format!("/data/projects/{}", s.project);
    let (status, _) = app
        .post(
            &format!("/actions/user/tasks/{}/subscribe", id(&s.layout)),
            &s.member("artist").token,
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    let picture = app
        .preview_file(s.layout["id"].as_str().unwrap(), 1, "ready", "png")
        .await;
    for kind in ["notifications", "subscriptions", "preview-files"] {
        for who in ["manager", "artist", "outsider"] {
            let (status, _) = app
                .get(&format!("{base}/{kind}"), &s.member(who).token)
                .await;
            assert_eq!(status, 403, "{kind} {who}");
        }
        // Refused before the project is looked up.
        let (status, _) = app
            .get(
                &format!("/data/projects/{}/{kind}", Uuid::now_v7()),
                &s.member("manager").token,
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = app
            .get(
                &format!("/data/projects/{}/{kind}", Uuid::now_v7()),
                &s.admin,
            )
            .await;
        assert_eq!(status, 404);
    }
    let (status, notifications) = app.get(&format!("{base}/notifications"), &s.admin).await;
    assert_eq!(status, 200);
    // The assignments told the artist and the vendor.
    let notifications = notifications.as_array().unwrap();
    assert_eq!(notifications.len(), 2);
    assert_eq!(notifications[0]["type"], "Notification");
    assert_eq!(notifications[0]["notification_type"], "assignation");
    assert_eq!(notifications[0]["task_id"], s.animation["id"]);
    let (_, page) = app
        .get(&format!("{base}/notifications?page=1"), &s.admin)
        .await;
    assert_eq!(page["total"], 2);
    let (_, subscriptions) = app
        .get(&format!("{base}/subscriptions?page=1"), &s.admin)
        .await;
    assert_eq!(subscriptions.as_array().unwrap().len(), 1);
    assert_eq!(subscriptions[0]["person_id"], json!(s.member("artist").id));
    assert_eq!(subscriptions[0]["type"], "Subscription");
    let (_, previews) = app.get(&format!("{base}/preview-files"), &s.admin).await;
    assert_eq!(previews[0]["id"], json!(picture));
    assert_eq!(previews[0]["type"], "PreviewFile");
}
