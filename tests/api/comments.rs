//! Commenting tasks: who may, what a status change does, who hears of it.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Desk {
    admin: String,
    project: String,
    task: Json,
    artist: String,
    artist_id: String,
    other_artist: String,
    client: String,
    manager_id: String,
}

async fn status(app: &TestApp, admin: &str, short: &str) -> Json {
    app.get(&format!("/data/task-status?short_name={short}"), admin)
        .await
        .1[0]
        .clone()
}

async fn desk(app: &TestApp) -> Desk {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let asset = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let mut people = Vec::new();
    for (email, role) in [
        ("artist@example.com", Role::User),
        ("other@example.com", Role::User),
        ("client@example.com", Role::Client),
        ("manager@example.com", Role::Manager),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&project, &person, None).await;
        people.push((person, app.token_for(email, PASSWORD).await));
    }
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"], "assignees": [people[0].0]}),
        )
        .await;
    Desk {
        admin,
        project,
        task,
        artist: people[0].1.clone(),
        artist_id: people[0].0.clone(),
        other_artist: people[1].1.clone(),
        client: people[2].1.clone(),
        manager_id: people[3].0.clone(),
    }
}

#[tokio::test]
async fn a_comment_moves_its_task_and_tells_who_follows_it() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let url = format!("/actions/tasks/{}/comment", id(&d.task));
    let (wip, wfa, retake) = (
        status(&app, &d.admin, "wip").await,
        status(&app, &d.admin, "wfa").await,
        status(&app, &d.admin, "retake").await,
    );
    let (status_code, comment) = app
        .post(
            &url,
            &d.artist,
            json!({"task_status_id": wip["id"], "comment": "Started @Test manager"}),
        )
        .await;
    assert_eq!(status_code, 201, "{comment}");
    assert_eq!(
        (
            &comment["task_status"]["short_name"],
            &comment["person"]["id"],
            &comment["mentions"],
            &comment["type"]
        ),
        (
            &json!("wip"),
            &json!(d.artist_id),
            &json!([d.manager_id]),
            &json!("Comment")
        )
    );
    let task_url = format!("/data/tasks/{}", id(&d.task));
    let (_, task) = app.get(&task_url, &d.admin).await;
    assert_eq!(task["task_status_id"], wip["id"]);
    assert!(task["real_start_date"].is_string() && task["last_comment_date"].is_string());

    let (_, wfa_comment) = app
        .post(
            &url,
            &d.artist,
            json!({"task_status_id": wfa["id"], "comment": "Please check"}),
        )
        .await;
    assert_eq!(wfa_comment["task_status_id"], wfa["id"]);
    assert!(app.get(&task_url, &d.admin).await.1["end_date"].is_string());
    let (status_code, _) = app
        .post(
            &url,
            &d.admin,
            json!({"task_status_id": retake["id"], "comment": "Fix the hands"}),
        )
        .await;
    assert_eq!(status_code, 201);
    let (_, task) = app.get(&task_url, &d.admin).await;
    assert_eq!(
        (&task["retake_count"], &task["end_date"]),
        (&json!(1), &Json::Null)
    );

    let artist_bell = app
        .get("/data/user/notifications?type=comment", &d.artist)
        .await
        .1;
    assert_eq!(
        artist_bell.as_array().unwrap().len(),
        1,
        "the assignee hears of the admin's comment"
    );
    assert_eq!(artist_bell[0]["change"], true);
    let manager_token = app.token_for("manager@example.com", PASSWORD).await;
    let (_, mentioned) = app
        .get("/data/user/notifications?type=mention", &manager_token)
        .await;
    assert_eq!(mentioned.as_array().unwrap().len(), 1);
    let (_, news) = app
        .get(
            &format!(
                "/data/entities/{}/news",
                d.task["entity_id"].as_str().unwrap()
            ),
            &d.admin,
        )
        .await;
    assert_eq!(news["total"], 3);
    let events = app
        .db
        .fetch_all("SELECT name FROM api_event WHERE name LIKE 'task:%' OR name LIKE 'comment:%' ORDER BY created_at, id", &[], None)
        .await
        .unwrap();
    let names: Vec<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(
        names.contains(&"task:status-changed") && names.contains(&"task:to-review"),
        "{names:?}"
    );
    let (_, view) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", d.project),
            &d.admin,
        )
        .await;
    assert_eq!(
        view[0]["tasks"][0]["task_status_id"], retake["id"],
        "the cache follows"
    );
}

#[tokio::test]
async fn who_may_comment_and_with_which_status() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let url = format!("/actions/tasks/{}/comment", id(&d.task));
    let (wip, done) = (
        status(&app, &d.admin, "wip").await,
        status(&app, &d.admin, "done").await,
    );
    let done_path = format!("/data/task-status/{}", id(&done));
    let (code, _) = app
        .put(&done_path, &d.admin, json!({"is_artist_allowed": false}))
        .await;
    assert_eq!(code, 200);
    let settings = format!("/data/projects/{}/settings/task-status", d.project);
    let (code, _) = app
        .post(&settings, &d.admin, json!({"task_status_id": wip["id"]}))
        .await;
    assert_eq!(code, 201);
    let (code, _) = app
        .put(
            &format!("{settings}/{}", id(&wip)),
            &d.admin,
            json!({"is_client_allowed": false}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        app.post(
            &url,
            &d.other_artist,
            json!({"task_status_id": wip["id"], "comment": "me too"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post(&url, &d.artist, json!({"task_status_id": done["id"]}))
            .await
            .0,
        403,
        "done is not an artist's status"
    );
    assert_eq!(
        app.post(&url, &d.client, json!({"task_status_id": wip["id"]}))
            .await
            .0,
        403,
        "nor a client's"
    );
    assert_eq!(
        app.post(&url, &d.artist, json!({"comment": "no status"}))
            .await
            .0,
        400
    );
    assert_eq!(
        app.post(
            &url,
            &d.artist,
            json!({"task_status_id": uuid::Uuid::new_v4()})
        )
        .await
        .0,
        404
    );

    let (_, as_manager) = app
        .post(
            &url,
            &d.admin,
            json!({"task_status_id": wip["id"], "comment": "for the artist", "person_id": d.manager_id,
                   "created_at": "2026-01-01T10:00:00", "for_client": true}),
        )
        .await;
    assert_eq!(
        (
            &as_manager["person_id"],
            &as_manager["created_at"],
            &as_manager["for_client"]
        ),
        (
            &json!(d.manager_id),
            &json!("2026-01-01T10:00:00"),
            &json!(true)
        )
    );
    let (_, artist_says) = app
        .post(
            &url,
            &d.artist,
            json!({"task_status_id": wip["id"], "person_id": d.manager_id, "for_client": true}),
        )
        .await;
    assert_eq!(
        (&artist_says["person_id"], &artist_says["for_client"]),
        (&json!(d.artist_id), &json!(false))
    );
    let (code, error) = app
        .post(
            &url,
            &d.admin,
            json!({"task_status_id": wip["id"], "created_at": "last tuesday"}),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(error["data"]["errors"][0]["field"], "created_at");

    let (_, other) = app
        .get("/data/persons?email=other@example.com", &d.admin)
        .await;
    let other_name = format!(
        "@{} {}",
        other[0]["first_name"].as_str().unwrap(),
        other[0]["last_name"].as_str().unwrap()
    );
    app.post(
        &url,
        &d.artist,
        json!({"task_status_id": wip["id"], "comment": format!("{other_name} can you look")}),
    )
    .await;
    assert_eq!(
        app.post(
            &url,
            &d.other_artist,
            json!({"task_status_id": wip["id"], "comment": "sure"})
        )
        .await
        .0,
        201,
        "mentioned on the task, they may answer"
    );
    assert_eq!(
        app.post(&url, &d.other_artist, json!({"task_status_id": done["id"]}))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn comments_carry_attachments_and_set_off_status_automations() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let (wip, done, todo) = (
        status(&app, &d.admin, "wip").await,
        status(&app, &d.admin, "done").await,
        status(&app, &d.admin, "todo").await,
    );
    let (_, rigging) = app.get("/data/task-types?name=Rigging", &d.admin).await;
    let (_, rig_task) = app
        .post(
            "/data/tasks",
            &d.admin,
            json!({"task_type_id": rigging[0]["id"], "entity_id": d.task["entity_id"]}),
        )
        .await;
    let (status_code, automation) = app
        .post(
            "/data/status-automations",
            &d.admin,
            json!({"entity_type": "asset", "in_task_type_id": d.task["task_type_id"], "in_task_status_id": done["id"],
                   "out_field_type": "status", "out_task_type_id": rigging[0]["id"], "out_task_status_id": wip["id"]}),
        )
        .await;
    assert_eq!(status_code, 201, "{automation}");
    app.post(
        &format!("/data/projects/{}/settings/status-automations", d.project),
        &d.admin,
        json!({"status_automation_id": automation["id"]}),
    )
    .await;
    let url = format!("/actions/tasks/{}/comment", id(&d.task));
    assert_eq!(
        app.post(
            &url,
            &d.admin,
            json!({"task_status_id": done["id"], "comment": "Approved"})
        )
        .await
        .0,
        201
    );
    let (_, rig) = app
        .get(&format!("/data/tasks/{}", id(&rig_task)), &d.admin)
        .await;
    assert_eq!(
        rig["task_status_id"], wip["id"],
        "the automation moved the rigging task"
    );
    assert_ne!(rig["task_status_id"], todo["id"]);

    let (code, _) = app
        .post(
            &url,
            &d.artist,
            json!({"task_status_id": todo["id"], "comment": "Joints are off #Rigging #layout"}),
        )
        .await;
    assert_eq!(code, 201);
    let (_, copies) = app
        .get(
            &format!("/data/comments?object_id={}", id(&rig_task)),
            &d.admin,
        )
        .await;
    let copy = copies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person_id"] == json!(d.artist_id))
        .expect("the #Rigging hashtag copied the comment to the rigging task");
    assert_eq!(
        (&copy["text"], &copy["task_status_id"]),
        (
            &json!("Joints are off #Rigging #layout\n\n____\nFrom Modeling task"),
            &wip["id"]
        ),
        "the copy keeps the rigging task's own status"
    );

    let form = reqwest::multipart::Form::new()
        .text("task_status_id", wip["id"].as_str().unwrap().to_string())
        .text("comment", "See the sketch")
        .text("checklist", r#"[{"text": "hands", "checked": false}]"#)
        .part(
            "file-0",
            reqwest::multipart::Part::bytes(b"sketch bytes".to_vec())
                .file_name("sketch.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let response = app
        .client
        .post(format!("{}{url}", app.address))
        .bearer_auth(&d.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status_code, with_file) = read(response).await;
    assert_eq!(status_code, 201, "{with_file}");
    assert_eq!(
        (
            &with_file["attachment_files"][0]["name"],
            &with_file["attachment_files"][0]["size"],
            &with_file["checklist"][0]["text"]
        ),
        (&json!("sketch.png"), &json!(12), &json!("hands"))
    );
    let attachment = id(&with_file["attachment_files"][0]);
    let stored = app
        .config
        .data_dir
        .join("files/attachments")
        .join(&attachment[0..3])
        .join(&attachment[3..6])
        .join(&attachment);
    assert_eq!(std::fs::read(stored).unwrap(), b"sketch bytes");
}
