//! Deleting tasks in bulk, with everything on them; the thumbnails they gave.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

fn uuid(text: &str) -> tusk::db::Value {
    Uuid::parse_str(text).unwrap().into()
}

struct Studio {
    admin: String,
    project: String,
    shot: String,
    animation: String,
    layout: String,
    /// The shot's Animation and Layout tasks.
    tasks: Vec<Json>,
    people: Vec<Member>,
}

impl Studio {
    fn token(&self, who: &str) -> &str {
        &self.people.iter().find(|m| m.who == who).unwrap().token
    }
}

/// A project with a shot and two tasks on it, and its team.
async fn studio(app: &TestApp, name: &str) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, name).await;
    let (shot, tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let animation = tasks[0]["task_type_id"].as_str().unwrap().to_string();
    let layout = tasks[1]["task_type_id"].as_str().unwrap().to_string();
    let people = app
        .crew(
            &project,
            &format!("-{name}"),
            &[
                ("manager", Role::Manager, true),
                ("supervisor", Role::Supervisor, true),
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::Manager, false),
            ],
        )
        .await;
    Studio {
        admin,
        project,
        shot: id(&shot),
        animation,
        layout,
        tasks,
        people,
    }
}

async fn show(app: &TestApp, entity: &str, preview: &str) {
    app.db
        .execute(
            "UPDATE entity SET preview_file_id = $1 WHERE id = $2",
            &[uuid(preview), uuid(entity)],
        )
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str, key: &str) -> usize {
    app.db
        .fetch_all(sql, &[uuid(key)], None)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_selection_goes_with_its_comments_time_previews_and_thumbnail() {
    let app = spawn_app().await;
    let s = studio(&app, "Film").await;
    let other = studio(&app, "Other").await;
    let task = &s.tasks[0];
    let task_id = id(task);
    let (status, comment) = app
        .post(
            &format!("/actions/tasks/{task_id}/comment"),
            &s.admin,
            json!({"task_status_id": task["task_status_id"], "comment": "first pass"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let stamp = tusk::db::now();
    let admin_id = app
        .db
        .fetch_optional(
            "SELECT id FROM person WHERE email = $1",
            &[ADMIN_EMAIL.into()],
            None,
        )
        .await
        .unwrap()
        .unwrap()["id"]
        .clone();
    app.db
        .insert(
            "time_spent",
            &[
                ("id", Uuid::now_v7().into()),
                ("task_id", uuid(&task_id)),
                ("person_id", uuid(admin_id.as_str().unwrap())),
                ("date", tusk::db::Value::Date(stamp.date())),
                ("duration", tusk::db::Value::Float(60.0)),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await
        .unwrap();
    let picture = app
        .preview_file(task["id"].as_str().unwrap(), 1, "ready", "png")
        .await;
    show(&app, &s.shot, &picture).await;
    let url = format!("/actions/projects/{}/delete-tasks", s.project);
    for who in ["supervisor", "artist", "client", "vendor", "outsider"] {
        let (status, _) = app.post(&url, s.token(who), json!([task_id])).await;
        assert_eq!(status, 403, "{who}");
    }
    for (body, message) in [
        (json!({}), "Request body must be a JSON array."),
        (
            json!(["bad"]),
            "Request body must only contain valid UUIDs.",
        ),
    ] {
        let (status, answer) = app.post(&url, s.token("manager"), body).await;
        assert_eq!(status, 400);
        assert_eq!(answer["message"], message);
    }
    let elsewhere = id(&other.tasks[0]);
    let unknown = Uuid::now_v7().to_string();
    let sent = json!([task_id, elsewhere, unknown]);
    let (status, answer) = app.post(&url, s.token("manager"), sent.clone()).await;
    assert_eq!((status, answer), (200, sent));
    let (status, _) = app.get(&format!("/data/tasks/{task_id}"), &s.admin).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/data/tasks/{elsewhere}"), &s.admin).await;
    assert_eq!(status, 200, "another project's task stays");
    for table in [
        "comment WHERE object_id",
        "time_spent WHERE task_id",
        "preview_file WHERE task_id",
        "news WHERE task_id",
        "notification WHERE task_id",
        "subscription WHERE task_id",
    ] {
        assert_eq!(
            count(&app, &format!("SELECT id FROM {table} = $1"), &task_id).await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        app.event_data("task:delete").await,
        vec![
            json!({"task_id": task_id, "entity_id": s.shot, "task_type_id": s.animation, "project_id": s.project})
        ]
    );
    assert_eq!(app.event_data("news:delete").await.len(), 1);
    assert_eq!(
        app.event_data("preview-file:set-main").await,
        vec![
            json!({"entity_id": s.shot, "preview_file_id": null, "preview_file_status": null, "project_id": s.project})
        ]
    );
    assert_eq!(app.event_data("shot:update").await.len(), 1);
    let (_, shot) = app
        .get(&format!("/data/entities/{}", s.shot), &s.admin)
        .await;
    assert_eq!(shot["preview_file_id"], Json::Null);
    // The cached breakdown lost it.
    let (_, shots) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={}", s.project),
            &s.admin,
        )
        .await;
    let listed: Vec<&Json> = shots[0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(listed, vec![&s.tasks[1]["id"]]);
}

#[tokio::test]
async fn an_automated_project_shows_the_newest_remaining_preview() {
    let app = spawn_app().await;
    let s = studio(&app, "Film").await;
    let (status, _) = app
        .put(
            &format!("/data/projects/{}", s.project),
            &s.admin,
            json!({"is_set_preview_automated": true}),
        )
        .await;
    assert_eq!(status, 200);
    let gone = app
        .preview_file(s.tasks[0]["id"].as_str().unwrap(), 1, "ready", "png")
        .await;
    let kept = app
        .preview_file(s.tasks[1]["id"].as_str().unwrap(), 2, "ready", "png")
        .await;
    show(&app, &s.shot, &gone).await;
    let (status, _) = app
        .post(
            &format!("/actions/projects/{}/delete-tasks", s.project),
            &s.admin,
            json!([s.tasks[0]["id"]]),
        )
        .await;
    assert_eq!(status, 200);
    let (_, shot) = app
        .get(&format!("/data/entities/{}", s.shot), &s.admin)
        .await;
    assert_eq!(shot["preview_file_id"], json!(kept));
    assert_eq!(
        app.event_data("preview-file:set-main").await[0]["preview_file_status"],
        "ready"
    );
}

#[tokio::test]
async fn a_forced_delete_of_one_task_takes_its_news_and_gives_back_the_thumbnail() {
    let app = spawn_app().await;
    let s = studio(&app, "Film").await;
    app.put(
        &format!("/data/projects/{}", s.project),
        &s.admin,
        json!({"is_set_preview_automated": true}),
    )
    .await;
    let task_id = id(&s.tasks[0]);
    let (status, _) = app
        .post(
            &format!("/actions/tasks/{task_id}/comment"),
            &s.admin,
            json!({"task_status_id": s.tasks[0]["task_status_id"], "comment": "first pass"}),
        )
        .await;
    assert_eq!(status, 201);
    let gone = app.preview_file(&task_id, 1, "ready", "png").await;
    let kept = app
        .preview_file(s.tasks[1]["id"].as_str().unwrap(), 2, "ready", "png")
        .await;
    show(&app, &s.shot, &gone).await;
    let views = format!("/data/shots/with-tasks?project_id={}", s.project);
    app.get(&views, &s.admin).await;

    let (status, _) = app
        .delete(&format!("/data/tasks/{task_id}?force=true"), &s.admin)
        .await;
    assert_eq!(status, 204);
    assert_eq!(app.event_data("news:delete").await.len(), 1);
    assert_eq!(app.event_data("task:delete").await.len(), 1);
    let (_, shot) = app
        .get(&format!("/data/entities/{}", s.shot), &s.admin)
        .await;
    assert_eq!(shot["preview_file_id"], json!(kept));
    let (_, view) = app.get(&views, &s.admin).await;
    assert_eq!(
        view[0]["preview_file_id"],
        json!(kept),
        "the cached view follows"
    );
}

#[tokio::test]
async fn admins_delete_every_task_of_a_type_in_a_project() {
    let app = spawn_app().await;
    let s = studio(&app, "Film").await;
    let other = studio(&app, "Other").await;
    let url = format!(
        "/actions/projects/{}/task-types/{}/delete-tasks",
        s.project, s.layout
    );
    for who in [
        "manager",
        "supervisor",
        "artist",
        "client",
        "vendor",
        "outsider",
    ] {
        let (status, _) = app.delete(&url, s.token(who)).await;
        assert_eq!(status, 403, "{who}");
    }
    let (status, _) = app
        .delete(
            &format!(
                "/actions/projects/{}/task-types/{}/delete-tasks",
                Uuid::now_v7(),
                s.layout
            ),
            &s.admin,
        )
        .await;
    assert_eq!(status, 404);
    let (status, answer) = app
        .delete(
            &format!(
                "/actions/projects/{}/task-types/bad/delete-tasks",
                s.project
            ),
            &s.admin,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = app.delete(&url, &s.admin).await;
    assert_eq!(status, 204);
    let (_, left) = app
        .get(&format!("/data/tasks?project_id={}", s.project), &s.admin)
        .await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["task_type_id"], json!(s.animation));
    let (_, theirs) = app
        .get(
            &format!("/data/tasks?project_id={}", other.project),
            &s.admin,
        )
        .await;
    assert_eq!(
        theirs.as_array().unwrap().len(),
        2,
        "other projects keep theirs"
    );
}
