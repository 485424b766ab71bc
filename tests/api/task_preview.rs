//! A task's last preview as its entity's thumbnail, for one task or several.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

fn uuid(text: &str) -> tusk::db::Value {
    Uuid::parse_str(text).unwrap().into()
}

struct Studio {
    admin: String,
    shot: String,
    /// The shot's Animation task (with previews) and Layout task (none).
    animation: String,
    layout: String,
    people: Vec<Member>,
}

impl Studio {
    fn member(&self, who: &str) -> &Member {
        self.people.iter().find(|m| m.who == who).unwrap()
    }

    fn token(&self, who: &str) -> &str {
        &self.member(who).token
    }

    fn person(&self, who: &str) -> &str {
        &self.member(who).id
    }
}

async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (shot, tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let tasks: Vec<String> = tasks.iter().map(id).collect();
    let people = app
        .crew(
            &project,
            "",
            &[
                ("manager", Role::Manager, true),
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::User, false),
            ],
        )
        .await;
    Studio {
        admin,
        shot: id(&shot),
        animation: tasks[0].clone(),
        layout: tasks[1].clone(),
        people,
    }
}

#[tokio::test]
async fn the_newest_ready_preview_becomes_the_thumbnail() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let url = format!("/actions/tasks/{}/set-main-preview", s.animation);
    let (status, answer) = app.put(&url, &s.admin, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "This task has no preview file to set as the main preview."
    );
    let shown = app.preview_file(&s.animation, 1, "ready", "png").await;
    app.preview_file(&s.animation, 2, "processing", "mp4").await;
    app.preview_file(&s.animation, 3, "ready", "obj").await;
    for who in ["client", "outsider", "vendor"] {
        let (status, _) = app.put(&url, s.token(who), json!({})).await;
        assert_eq!(status, 403, "{who}");
    }
    let (status, entity) = app.put(&url, s.token("artist"), json!({})).await;
    assert_eq!(status, 200, "{entity}");
    assert_eq!(entity["id"], json!(s.shot));
    assert_eq!(entity["type"], "Entity");
    assert_eq!(entity["preview_file_id"], json!(shown));
    assert_eq!(entity["preview_file_status"], "ready");
    let events = app
        .db
        .fetch_all(
            "SELECT name, data FROM api_event WHERE name IN ('preview-file:set-main', 'shot:update') ORDER BY created_at, id",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["data"]["preview_file_id"], json!(shown));
    assert_eq!(events[1]["data"]["shot_id"], json!(s.shot));
    // The cached breakdown shows the new thumbnail.
    let (_, shots) = app
        .get(
            &format!(
                "/data/shots/with-tasks?project_id={}",
                entity["project_id"].as_str().unwrap()
            ),
            &s.admin,
        )
        .await;
    assert_eq!(shots[0]["preview_file_id"], json!(shown));
    // A vendor working on the shot may.
    app.db
        .insert(
            "task_person_link",
            &[
                ("task_id", uuid(&s.layout)),
                ("person_id", uuid(s.person("vendor"))),
            ],
        )
        .await
        .unwrap();
    let (status, _) = app.put(&url, s.token("vendor"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .put(
            &format!("/actions/tasks/{}/set-main-preview", Uuid::now_v7()),
            &s.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_batch_is_checked_whole_and_skips_tasks_without_previews() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let shown = app.preview_file(&s.animation, 1, "ready", "png").await;
    let url = "/actions/tasks/set-main-preview";
    for (body, field) in [
        (json!({}), "task_ids"),
        (json!({"task_ids": []}), "task_ids"),
        (json!({"task_ids": [1]}), "task_ids.0"),
    ] {
        let (status, answer) = app.put(url, s.token("manager"), body).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer.to_string().contains(field), "{answer}");
    }
    // One unknown task: nothing changes.
    let (status, _) = app
        .put(
            url,
            s.token("manager"),
            json!({"task_ids": [s.animation, Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, shot) = app
        .get(&format!("/data/entities/{}", s.shot), &s.admin)
        .await;
    assert_eq!(shot["preview_file_id"], Json::Null);
    let (status, _) = app
        .put(url, s.token("client"), json!({"task_ids": [s.animation]}))
        .await;
    assert_eq!(status, 403);
    let (status, answer) = app
        .put(
            url,
            s.token("manager"),
            json!({"task_ids": [s.layout, s.animation]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer.as_array().unwrap().len(), 1);
    assert_eq!(answer[0]["preview_file_id"], json!(shown));
    assert_eq!(answer[0]["type"], "Entity");
}

#[tokio::test]
async fn a_chosen_preview_becomes_the_thumbnail_and_previews_change_places() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let mut takes = Vec::new();
    for position in 1..=3 {
        let take = Uuid::now_v7();
        let stamp = tusk::db::now();
        app.db
            .insert(
                "preview_file",
                &[
                    ("id", take.into()),
                    ("name", format!("take{position}").as_str().into()),
                    ("revision", tusk::db::Value::Int(1)),
                    ("position", tusk::db::Value::Int(position)),
                    ("extension", "png".into()),
                    ("status", "ready".into()),
                    ("validation_status", "neutral".into()),
                    ("task_id", uuid(&s.animation)),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await
            .unwrap();
        takes.push(take.to_string());
    }
    let main = format!("/actions/preview-files/{}/set-main-preview", takes[1]);
    for who in ["client", "outsider"] {
        assert_eq!(
            app.put(&main, s.token(who), json!({})).await.0,
            403,
            "{who}"
        );
    }
    let (status, entity) = app.put(&main, s.token("artist"), json!({})).await;
    assert_eq!(status, 200, "{entity}");
    assert_eq!(
        (
            &entity["id"],
            &entity["preview_file_id"],
            &entity["preview_file_status"]
        ),
        (&json!(s.shot), &json!(takes[1]), &json!("ready"))
    );
    let (status, refused) = app.put(&main, &s.admin, json!({"frame_number": 12})).await;
    assert_eq!(
        (status, &refused["message"]),
        (400, &json!("Can't use a given frame on non movie preview"))
    );
    let unknown = format!("/actions/preview-files/{}/set-main-preview", Uuid::now_v7());
    assert_eq!(app.put(&unknown, &s.admin, json!({})).await.0, 404);

    let moving = format!("/actions/preview-files/{}/update-position", takes[2]);
    let order = |files: &Json| -> Vec<(String, i64)> {
        files
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (id(f), f["position"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(
        app.put(&moving, s.token("outsider"), json!({"position": 1}))
            .await
            .0,
        403
    );
    let (status, files) = app
        .put(&moving, s.token("manager"), json!({"position": 1}))
        .await;
    assert_eq!(status, 200, "{files}");
    let moved = vec![
        (takes[2].clone(), 1),
        (takes[0].clone(), 2),
        (takes[1].clone(), 3),
    ];
    assert_eq!(order(&files), moved);
    let (_, unmoved) = app
        .put(&moving, s.token("manager"), json!({"position": 9}))
        .await;
    assert_eq!(order(&unmoved), moved, "out of range: nothing moves");
    let (status, back) = app
        .put(&moving, s.token("manager"), json!({"position": 3.0}))
        .await;
    assert_eq!(status, 200, "gazu sends floats: {back}");
    assert_eq!(back[2]["id"], json!(takes[2]));
    let (status, _) = app
        .put(&moving, s.token("manager"), json!({"position": -1}))
        .await;
    assert_eq!(status, 400);
}
