//! Comments and file records through the generic routes.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Setup {
    admin: String,
    project: String,
    task: Json,
    artist_id: String,
    artist: String,
    client_id: String,
    client: String,
    vendor: String,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (_, asset) = app
        .post(
            "/data/entities",
            &admin,
            json!({"name": "Bunny", "project_id": project, "entity_type_id": types[0]["id"]}),
        )
        .await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let client_id = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    let vendor_id = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    for id in [&artist_id, &client_id, &vendor_id] {
        app.join_team(&project, id, None).await;
    }
    let (_, task) = app
        .post("/data/tasks", &admin, json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"], "assignees": [artist_id]}))
        .await;
    Setup {
        artist: app.token_for("artist@example.com", PASSWORD).await,
        client: app.token_for("client@example.com", PASSWORD).await,
        vendor: app.token_for("vendor@example.com", PASSWORD).await,
        admin,
        project,
        task,
        artist_id,
        client_id,
    }
}

async fn comment(app: &TestApp, s: &Setup, author: &str, text: &str, for_client: bool) -> Json {
    let (status, comment) = app
        .post(
            "/data/comments",
            &s.admin,
            json!({"object_id": s.task["id"], "object_type": "Task", "person_id": author,
                   "text": text, "for_client": for_client, "task_status_id": s.task["task_status_id"]}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    comment
}

#[tokio::test]
async fn comments_are_read_by_who_zou_lets_read_them() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let from_artist = comment(&app, &s, &s.artist_id, "wip", false).await;
    assert_eq!(from_artist["replies"], json!([]));
    assert_eq!(from_artist["checklist"], json!([]));
    assert_eq!(from_artist["mentions"], json!([]));
    let from_client = comment(&app, &s, &s.client_id, "more red", false).await;
    let url = |c: &Json| format!("/data/comments/{}", c["id"].as_str().unwrap());
    assert_eq!(app.get(&url(&from_artist), &s.artist).await.0, 200);
    assert_eq!(
        app.get(&url(&from_artist), &s.client).await.0,
        403,
        "internal studio talk"
    );
    assert_eq!(app.get(&url(&from_client), &s.client).await.0, 200);
    assert_eq!(app.get(&url(&from_client), &s.artist).await.0, 403);
    assert_eq!(
        app.get(&url(&from_artist), &s.vendor).await.0,
        403,
        "vendor not on this entity"
    );
    assert_eq!(app.get("/data/comments", &s.artist).await.0, 403);
}

#[tokio::test]
async fn authors_edit_their_comments_and_others_only_tick_or_pin() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let mine = comment(&app, &s, &s.artist_id, "first", false).await;
    let url = format!("/data/comments/{}", mine["id"].as_str().unwrap());
    let (status, edited) = app.put(&url, &s.artist, json!({"text": "second"})).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "second");
    assert_eq!(edited["editor_id"], json!(s.artist_id));
    assert_eq!(
        app.put(&url, &s.artist, json!({"for_client": true}))
            .await
            .0,
        403
    );
    let theirs = comment(&app, &s, &s.client_id, "client note", true).await;
    let their_url = format!("/data/comments/{}", theirs["id"].as_str().unwrap());
    assert_eq!(
        app.put(&their_url, &s.artist, json!({"text": "rewritten"}))
            .await
            .0,
        403
    );
    assert_eq!(app.delete(&their_url, &s.artist).await.0, 403);
    assert_eq!(app.delete(&url, &s.artist).await.0, 204);
}

#[tokio::test]
async fn preview_records_validate_status_and_revisions() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let preview = |revision: i64| json!({"task_id": s.task["id"], "name": format!("v{revision}"), "revision": revision});
    let (status, first) = app.post("/data/preview-files", &s.admin, preview(1)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "processing");
    assert_eq!(first["comments"], json!([]));
    app.post("/data/preview-files", &s.admin, preview(2)).await;
    let mut bad = preview(3);
    bad["status"] = json!("bogus");
    assert_eq!(app.post("/data/preview-files", &s.admin, bad).await.0, 400);
    let url = format!("/data/preview-files/{}", first["id"].as_str().unwrap());
    let (status, body) = app.put(&url, &s.artist, json!({"revision": 2})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Revision 2 already exists"));
    assert_eq!(
        app.put(&url, &s.artist, json!({"revision": 5})).await.0,
        200,
        "assignees may"
    );
    assert_eq!(
        app.put(&url, &s.client, json!({"revision": 6})).await.0,
        403
    );
    let (_, mine) = app
        .get(
            &format!("/data/preview-files?project_id={}", s.project),
            &s.artist,
        )
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_eq!(app.get("/data/preview-files", &s.vendor).await.1, json!([]));
    assert_eq!(app.delete(&url, &s.artist).await.0, 403);
    assert_eq!(app.delete(&url, &s.admin).await.0, 204);
}

#[tokio::test]
async fn working_files_check_their_validation_status() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (status, file) = app
        .post(
            "/data/working-files",
            &s.admin,
            json!({"task_id": s.task["id"], "name": "scene", "revision": 1}),
        )
        .await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["validation_status"], "neutral");
    assert_eq!(
        app.post(
            "/data/working-files",
            &s.admin,
            json!({"task_id": s.task["id"], "validation_status": "great"})
        )
        .await
        .1["message"],
        "Invalid validation_status"
    );
    let url = format!("/data/working-files/{}", file["id"].as_str().unwrap());
    assert_eq!(
        app.put(&url, &s.artist, json!({"comment": "ok"})).await.0,
        200
    );
    assert_eq!(app.get("/data/working-files", &s.vendor).await.0, 403);
}
