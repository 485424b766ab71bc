//! A task's comment threads: reading them per role, deleting (the task is
//! rebuilt), acknowledging, replying, moving, the project list, batches.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn keys(value: &Json) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The keys of the first item (or the object) a sample answers.
fn sample_keys(file: &str) -> Vec<String> {
    let path = format!("/work/shared/reference/samples/{file}");
    let sample: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let response = &sample["response"];
    keys(if response.is_array() {
        &response[0]
    } else {
        response
    })
}

struct Team {
    admin: String,
    project: String,
    task: Json,
    sibling: Json,
    manager: String,
    manager_id: String,
    supervisor: String,
    artist: String,
    artist_id: String,
    other_artist: String,
    client: String,
    client_id: String,
    vendor: String,
    lone_vendor: String,
    outsider: String,
}

async fn status(app: &TestApp, admin: &str, short: &str) -> Json {
    app.get(&format!("/data/task-status?short_name={short}"), admin)
        .await
        .1[0]
        .clone()
}

async fn team(app: &TestApp) -> Team {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let asset = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let mut people = Vec::new();
    for (email, role, in_team) in [
        ("manager@example.com", Role::Manager, true),
        ("supervisor@example.com", Role::Supervisor, true),
        ("artist@example.com", Role::User, true),
        ("other@example.com", Role::User, true),
        ("client@example.com", Role::Client, true),
        ("vendor@example.com", Role::Vendor, true),
        ("lone-vendor@example.com", Role::Vendor, true),
        ("outsider@example.com", Role::User, false),
    ] {
        let person = app.person_with_role(email, role).await;
        if in_team {
            app.join_team(&project, &person, None).await;
        }
        people.push((person, app.token_for(email, PASSWORD).await));
    }
    let mut tasks = Vec::new();
    for (kind, assignees) in [
        ("Modeling", json!([people[2].0, people[5].0])),
        ("Rigging", json!([])),
    ] {
        let (_, types) = app
            .get(&format!("/data/task-types?name={kind}"), &admin)
            .await;
        let (code, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": types[0]["id"], "entity_id": asset["id"], "assignees": assignees}),
            )
            .await;
        assert_eq!(code, 201, "{task}");
        tasks.push(task);
    }
    let token = |n: usize| people[n].1.clone();
    Team {
        admin,
        project,
        task: tasks[0].clone(),
        sibling: tasks[1].clone(),
        manager: token(0),
        manager_id: people[0].0.clone(),
        supervisor: token(1),
        artist: token(2),
        artist_id: people[2].0.clone(),
        other_artist: token(3),
        client: token(4),
        client_id: people[4].0.clone(),
        vendor: token(5),
        lone_vendor: token(6),
        outsider: token(7),
    }
}

impl Team {
    fn comments(&self) -> String {
        format!("/data/tasks/{}/comments", id(&self.task))
    }

    fn comment(&self, comment: &Json) -> String {
        format!("{}/{}", self.comments(), id(comment))
    }

    async fn post(&self, app: &TestApp, token: &str, body: Json) -> Json {
        let (code, comment) = app
            .post(
                &format!("/actions/tasks/{}/comment", id(&self.task)),
                token,
                body,
            )
            .await;
        assert_eq!(code, 201, "{comment}");
        comment
    }
}

async fn event_names(app: &TestApp) -> Vec<String> {
    app.db
        .fetch_all(
            "SELECT name FROM api_event ORDER BY created_at, id",
            &[],
            None,
        )
        .await
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_role_reads_the_comments_zou_lets_it_read() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let internal = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "comment": "Internal note"}),
        )
        .await;
    let for_client = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "comment": "For the client", "for_client": true}),
        )
        .await;
    let by_artist = t
        .post(
            &app,
            &t.artist,
            json!({"task_status_id": wip["id"], "comment": "Done modeling"}),
        )
        .await;
    let by_client = t
        .post(
            &app,
            &t.client,
            json!({"task_status_id": wip["id"], "comment": "Warmer please"}),
        )
        .await;

    let (code, all) = app.get(&t.comments(), &t.manager).await;
    assert_eq!(code, 200, "{all}");
    let ids: Vec<String> = all.as_array().unwrap().iter().map(id).collect();
    assert_eq!(
        ids,
        [&by_client, &by_artist, &for_client, &internal].map(id),
        "newest first"
    );
    assert_eq!(
        keys(&all[0]),
        sample_keys("GET__data__tasks__{task_id}__comments.json")
    );
    assert_eq!(
        (
            &all[0]["person"]["full_name"],
            &all[0]["task_status"]["short_name"]
        ),
        (&json!("Test client"), &json!("wip"))
    );
    assert_eq!(app.get(&t.comments(), &t.supervisor).await.1, all);
    let (code, _) = app
        .put(
            &format!("/data/comments/{}", id(&internal)),
            &t.manager,
            json!({"text": "Internal note, edited"}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, all) = app.get(&t.comments(), &t.manager).await;
    assert_eq!(
        (&all[3]["editor"]["id"], keys(&all[3]["editor"])),
        (
            &json!(t.manager_id),
            ["first_name", "has_avatar", "id", "last_name", "role"]
                .map(String::from)
                .to_vec()
        )
    );
    assert!(all[0].get("editor").is_none());

    for artist in [&t.artist, &t.other_artist, &t.vendor] {
        let (code, seen) = app.get(&t.comments(), artist).await;
        assert_eq!(code, 200);
        let ids: Vec<String> = seen.as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [&by_artist, &for_client, &internal].map(id));
    }
    let (_, seen) = app.get(&t.comments(), &t.client).await;
    let ids: Vec<String> = seen.as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [&by_client, &for_client].map(id));
    for refused in [&t.lone_vendor, &t.outsider] {
        assert_eq!(app.get(&t.comments(), refused).await.0, 403);
    }
    assert_eq!(
        app.get("/data/tasks/not-a-task/comments", &t.admin).await.0,
        404
    );

    let (code, one) = app.get(&t.comment(&for_client), &t.client).await;
    assert_eq!((code, &one["text"]), (200, &json!("For the client")));
    assert_eq!(
        keys(&one),
        sample_keys("GET__data__tasks__{task_id}__comments__{comment_id}.json"),
        "the plain shape"
    );
    assert_eq!(app.get(&t.comment(&internal), &t.client).await.0, 403);
    assert_eq!(app.get(&t.comment(&by_client), &t.artist).await.0, 403);
    assert_eq!(app.get(&t.comment(&by_client), &t.supervisor).await.0, 200);
    assert_eq!(app.get(&t.comment(&internal), &t.lone_vendor).await.0, 403);
    let elsewhere = format!("/data/tasks/{}/comments/{}", id(&t.sibling), id(&internal));
    assert_eq!(app.get(&elsewhere, &t.admin).await.0, 404);
}

#[tokio::test]
async fn deleting_a_comment_rebuilds_the_task_from_what_remains() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (wip, wfa, retake, todo) = (
        status(&app, &t.admin, "wip").await,
        status(&app, &t.admin, "wfa").await,
        status(&app, &t.admin, "retake").await,
        status(&app, &t.admin, "todo").await,
    );
    let started = t
        .post(&app, &t.artist, json!({"task_status_id": wip["id"]}))
        .await;
    let asked = t
        .post(&app, &t.artist, json!({"task_status_id": wfa["id"]}))
        .await;
    let refused = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": retake["id"], "comment": "Again @Test user"}),
        )
        .await;
    let task_url = format!("/data/tasks/{}", id(&t.task));
    assert_eq!(app.get(&task_url, &t.admin).await.1["retake_count"], 1);

    assert_eq!(app.delete(&t.comment(&refused), &t.artist).await.0, 403);
    assert_eq!(app.delete(&t.comment(&refused), &t.supervisor).await.0, 403);
    let elsewhere = format!("/data/tasks/{}/comments/{}", id(&t.sibling), id(&refused));
    assert_eq!(app.delete(&elsewhere, &t.manager).await.0, 404);
    let (code, body) = app.delete(&t.comment(&refused), &t.manager).await;
    assert_eq!((code, body), (204, json!("")));
    let (_, task) = app.get(&task_url, &t.admin).await;
    assert_eq!(
        (
            &task["task_status_id"],
            &task["retake_count"],
            &task["last_comment_date"]
        ),
        (&wfa["id"], &json!(0), &asked["created_at"])
    );
    assert_eq!(task["end_date"], asked["created_at"]);
    assert_eq!(task["real_start_date"], started["created_at"]);
    assert_eq!(app.get(&t.comment(&refused), &t.admin).await.0, 404);
    let (_, bell) = app
        .get("/data/user/notifications?type=mention", &t.artist)
        .await;
    assert_eq!(bell, json!([]), "the comment's notifications are gone");
    let names = event_names(&app).await;
    let tail = &names[names.len() - 4..];
    assert_eq!(
        tail,
        [
            "news:delete",
            "comment:delete",
            "task:update",
            "task:status-changed"
        ]
    );

    // The author deletes their own comment; without feedback the end date goes.
    assert_eq!(app.delete(&t.comment(&asked), &t.artist).await.0, 204);
    let (_, task) = app.get(&task_url, &t.admin).await;
    assert_eq!(
        (&task["task_status_id"], &task["end_date"]),
        (&wip["id"], &Json::Null)
    );
    assert_eq!(app.delete(&t.comment(&started), &t.manager).await.0, 204);
    let (_, task) = app.get(&task_url, &t.admin).await;
    assert_eq!(
        (
            &task["task_status_id"],
            &task["real_start_date"],
            &task["last_comment_date"]
        ),
        (&todo["id"], &Json::Null, &Json::Null),
        "without comments the task is back in the default status"
    );
    let (_, view) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", t.project),
            &t.admin,
        )
        .await;
    let cached = view[0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["id"] == t.task["id"])
        .unwrap()
        .clone();
    assert_eq!(cached["task_status_id"], todo["id"], "the cache follows");
}

#[tokio::test]
async fn acknowledging_toggles_for_those_who_may_read() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let internal = t
        .post(&app, &t.manager, json!({"task_status_id": wip["id"]}))
        .await;
    let ack = format!("{}/ack", t.comment(&internal));
    let (code, acked) = app.post(&ack, &t.artist, json!({})).await;
    assert_eq!(code, 200, "{acked}");
    assert_eq!(acked["acknowledgements"], json!([t.artist_id]));
    assert_eq!(
        keys(&acked),
        sample_keys("POST__data__tasks__{task_id}__comments__{comment_id}__ack.json")
    );
    let (_, crud) = app
        .get(
            &format!("/data/comments/{}?relations=true", id(&internal)),
            &t.admin,
        )
        .await;
    assert_eq!(crud["acknowledgements"], json!([t.artist_id]));
    let (_, again) = app.post(&ack, &t.artist, json!({})).await;
    assert_eq!(again["acknowledgements"], json!([]), "a toggle");
    assert_eq!(app.post(&ack, &t.client, json!({})).await.0, 403);
    assert_eq!(app.post(&ack, &t.lone_vendor, json!({})).await.0, 403);
    assert_eq!(app.post(&ack, &t.outsider, json!({})).await.0, 403);
    let elsewhere = format!(
        "/data/tasks/{}/comments/{}/ack",
        id(&t.sibling),
        id(&internal)
    );
    assert_eq!(app.post(&elsewhere, &t.admin, json!({})).await.0, 404);
}

#[tokio::test]
async fn replies_tell_the_thread_and_who_they_name() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let comment = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "comment": "Check the hands"}),
        )
        .await;
    let for_client = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "for_client": true}),
        )
        .await;
    let url = format!("{}/reply", t.comment(&comment));
    let (code, reply) = app
        .post(&url, &t.artist, json!({"text": "On it @Test supervisor"}))
        .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        keys(&reply),
        sample_keys("POST__data__tasks__{task_id}__comments__{comment_id}__reply.json")
    );
    assert_eq!(
        (
            &reply["text"],
            &reply["person_id"],
            &reply["person"]["full_name"],
            &reply["date"]
        ),
        (
            &json!("On it @Test supervisor"),
            &json!(t.artist_id),
            &json!("Test user"),
            &reply["created_at"]
        )
    );
    assert_eq!(reply["mentions"].as_array().unwrap().len(), 1);
    let (_, heard) = app
        .get("/data/user/notifications?type=reply", &t.manager)
        .await;
    assert_eq!(
        (heard.as_array().unwrap().len(), &heard[0]["reply_text"]),
        (1, &json!("On it @Test supervisor")),
        "the comment's author hears of the reply"
    );
    let (_, named) = app
        .get("/data/user/notifications?type=reply-mention", &t.supervisor)
        .await;
    assert_eq!(named.as_array().unwrap().len(), 1);
    let (_, thread) = app.get(&t.comments(), &t.artist).await;
    let stored = thread
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == comment["id"])
        .unwrap()
        .clone();
    assert_eq!(stored["replies"][0]["person"]["id"], json!(t.artist_id));
    assert_eq!(
        keys(&stored["replies"][0]),
        [
            "created_at",
            "date",
            "department_mentions",
            "id",
            "mentions",
            "person",
            "person_id",
            "text"
        ]
    );

    // The supervisor, now a replier, hears of the next reply.
    let (code, _) = app
        .post(&url, &t.supervisor, json!({"text": "Thanks"}))
        .await;
    assert_eq!(code, 200);
    let (_, heard) = app
        .get("/data/user/notifications?type=reply", &t.artist)
        .await;
    assert_eq!(heard.as_array().unwrap().len(), 1);

    assert_eq!(
        app.post(&url, &t.other_artist, json!({"text": "x"}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.post(&url, &t.outsider, json!({"text": "x"})).await.0,
        403
    );
    let client_thread = format!("{}/reply", t.comment(&for_client));
    assert_eq!(
        app.post(&client_thread, &t.supervisor, json!({"text": "x"}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.post(&url, &t.client, json!({"text": "x"})).await.0,
        403,
        "a client replies only to what it may read"
    );
    assert_eq!(
        app.post(&client_thread, &t.client, json!({"text": "ok"}))
            .await
            .0,
        200
    );
    let (code, error) = app.post(&url, &t.artist, json!({"text": 3})).await;
    assert_eq!(
        (code, &error["data"]["errors"][0]["field"]),
        (400, &json!("text"))
    );
    let wrong_task = format!(
        "/data/tasks/{}/comments/{}/reply",
        id(&t.sibling),
        id(&comment)
    );
    assert_eq!(
        app.post(&wrong_task, &t.admin, json!({"text": "x"}))
            .await
            .0,
        403
    );

    // Named in a reply, a team member may join the thread.
    let (code, _) = app
        .post(&url, &t.artist, json!({"text": "@Test user see this"}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        app.post(&url, &t.other_artist, json!({"text": "Seen"}))
            .await
            .0,
        200
    );

    let delete = format!("{}/{}", url, id(&reply));
    assert_eq!(
        app.delete(&delete, &t.manager).await.0,
        403,
        "only admins delete others' replies"
    );
    let (code, left) = app.delete(&delete, &t.admin).await;
    assert_eq!(code, 200);
    assert_eq!(left["replies"].as_array().unwrap().len(), 3);
    assert!(left.get("person").is_none(), "the plain comment");
    assert_eq!(app.delete(&delete, &t.admin).await.0, 404);
    let (_, named) = app
        .get("/data/user/notifications?type=reply-mention", &t.supervisor)
        .await;
    assert_eq!(named, json!([]), "the reply's notifications are gone");
}

#[tokio::test]
async fn a_manager_moves_a_comment_to_a_sibling_task() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (wip, retake, todo) = (
        status(&app, &t.admin, "wip").await,
        status(&app, &t.admin, "retake").await,
        status(&app, &t.admin, "todo").await,
    );
    t.post(&app, &t.artist, json!({"task_status_id": wip["id"]}))
        .await;
    let misplaced = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": retake["id"], "comment": "Rig is off"}),
        )
        .await;
    let url = format!(
        "/actions/tasks/{}/comments/{}/move",
        id(&t.task),
        id(&misplaced)
    );
    let target = json!({"target_task_id": t.sibling["id"]});
    assert_eq!(app.post(&url, &t.artist, target.clone()).await.0, 403);
    assert_eq!(app.post(&url, &t.supervisor, target.clone()).await.0, 403);
    let (code, error) = app.post(&url, &t.manager, json!({})).await;
    assert_eq!(
        (code, &error["data"]["errors"][0]["message"]),
        (400, &json!("Field required"))
    );
    let (code, error) = app
        .post(&url, &t.manager, json!({"target_task_id": t.task["id"]}))
        .await;
    assert_eq!(
        (code, &error["message"]),
        (400, &json!("Source and target tasks must be different."))
    );
    let other_asset = app
        .create_asset(&t.admin, &t.project, "Character", "Villain")
        .await;
    let (_, types) = app.get("/data/task-types?name=Modeling", &t.admin).await;
    let (_, far) = app
        .post(
            "/data/tasks",
            &t.admin,
            json!({"task_type_id": types[0]["id"], "entity_id": other_asset["id"]}),
        )
        .await;
    let (code, error) = app
        .post(&url, &t.manager, json!({"target_task_id": far["id"]}))
        .await;
    assert_eq!(
        (code, &error["message"]),
        (
            400,
            &json!("A comment can only be moved between tasks of the same entity.")
        )
    );

    let (code, moved) = app.post(&url, &t.manager, target.clone()).await;
    assert_eq!(code, 200, "{moved}");
    assert_eq!(moved["object_id"], t.sibling["id"]);
    assert_eq!(
        keys(&moved),
        sample_keys("POST__actions__tasks__{task_id}__comments__{comment_id}__move.json")
    );
    let (_, source) = app
        .get(&format!("/data/tasks/{}", id(&t.task)), &t.admin)
        .await;
    let (_, sibling) = app
        .get(&format!("/data/tasks/{}", id(&t.sibling)), &t.admin)
        .await;
    assert_eq!(
        (&source["task_status_id"], &source["retake_count"]),
        (&wip["id"], &json!(0))
    );
    assert_eq!(
        (&sibling["task_status_id"], &sibling["retake_count"]),
        (&retake["id"], &json!(1))
    );
    assert_ne!(sibling["task_status_id"], todo["id"]);
    let names = event_names(&app).await;
    assert!(
        names.ends_with(&[
            "comment:delete".to_string(),
            "comment:new".into(),
            "news:new".into()
        ]),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| *n == "task:status-changed").count(),
        4,
        "two from the comments, one for each task the move changed"
    );
    let (code, error) = app.post(&url, &t.manager, target).await;
    assert_eq!(
        (code, &error["message"]),
        (400, &json!("Comment does not belong to the given task."))
    );
}

#[tokio::test]
async fn the_project_list_pages_and_hides_client_comments_from_artists() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    for token in [&t.manager, &t.artist, &t.client] {
        t.post(&app, token, json!({"task_status_id": wip["id"]}))
            .await;
    }
    let url = format!("/data/projects/{}/comments", t.project);
    let (code, all) = app.get(&url, &t.manager).await;
    assert_eq!((code, all.as_array().unwrap().len()), (200, 3));
    assert_eq!(
        keys(&all[0]),
        sample_keys("GET__data__projects__{project_id}__comments.json")
    );
    let (_, seen) = app.get(&url, &t.artist).await;
    assert!(seen
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["person_id"] != json!(t.client_id)));
    assert_eq!(seen.as_array().unwrap().len(), 2);
    for refused in [&t.client, &t.vendor, &t.outsider] {
        assert_eq!(app.get(&url, refused).await.0, 403);
    }
    let (_, page) = app.get(&format!("{url}?page=2&limit=2"), &t.manager).await;
    assert_eq!(
        (
            &page["total"],
            &page["nb_pages"],
            &page["offset"],
            page["data"].as_array().unwrap().len()
        ),
        (&json!(3), &json!(2), &json!(2), 1)
    );
    assert_eq!(page["data"][0]["id"], all[2]["id"]);
    let (code, error) = app.get(&format!("{url}?page=1&limit=-1"), &t.manager).await;
    assert_eq!(
        (code, &error["message"]),
        (400, &json!("limit must be a positive integer."))
    );
    assert_eq!(
        app.get("/data/projects/nope/comments", &t.admin).await.0,
        404
    );
}

#[tokio::test]
async fn batches_comment_the_tasks_the_caller_may_act_on() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (wip, done) = (
        status(&app, &t.admin, "wip").await,
        status(&app, &t.admin, "done").await,
    );
    let url = format!("/actions/projects/{}/tasks/comment-many", t.project);
    let (code, error) = app.post(&url, &t.artist, json!({"a": 1})).await;
    assert_eq!(
        (code, &error["message"]),
        (400, &json!("Request body must be a JSON array."))
    );
    let (code, error) = app.post(&url, &t.artist, json!([{"object_id": "x"}])).await;
    assert_eq!(
        (code, &error["data"]["errors"][0]["field"]),
        (400, &json!("0.object_id"))
    );
    let items = json!([
        {"object_id": t.task["id"], "task_status_id": wip["id"], "comment": "Mine"},
        {"object_id": t.sibling["id"], "task_status_id": wip["id"], "comment": "Not mine"},
        {"object_id": t.task["id"], "task_status_id": wip["id"]},
    ]);
    let (code, made) = app.post(&url, &t.artist, items).await;
    assert_eq!(code, 201, "{made}");
    assert_eq!(made.as_array().unwrap().len(), 1);
    assert_eq!(
        (&made[0]["text"], &made[0]["object_id"]),
        (&json!("Mine"), &t.task["id"])
    );
    assert!(made[0]["person"]["departments"].is_array());
    let (code, _) = app
        .put(
            &format!("/data/task-status/{}", id(&done)),
            &t.admin,
            json!({"is_artist_allowed": false}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, refused) = app
        .post(
            &url,
            &t.artist,
            json!([{"object_id": t.task["id"], "task_status_id": done["id"], "comment": "Done?"}]),
        )
        .await;
    assert_eq!(code, 403, "artists may not use done: {refused}");
    let (_, made) = app
        .post(
            &url,
            &t.manager,
            json!([{"object_id": t.sibling["id"], "task_status_id": wip["id"], "comment": "Go"}]),
        )
        .await;
    assert_eq!(made[0]["task_status"]["short_name"], "wip");
    let gazu = json!([{"object_id": t.sibling["id"], "task_status_id": wip["id"], "comment": "From gazu"}]);
    let (code, made) = upload(
        &app,
        &url,
        &t.manager,
        &[],
        &[("comments", &gazu.to_string())],
    )
    .await;
    assert_eq!(
        (code, &made[0]["text"]),
        (201, &json!("From gazu")),
        "gazu's form"
    );
    let elsewhere = app.create_project(&t.admin, "Other").await;
    let foreign = app
        .create_asset(&t.admin, &elsewhere, "Character", "Stranger")
        .await;
    let (_, types) = app.get("/data/task-types?name=Modeling", &t.admin).await;
    let (_, foreign_task) = app
        .post(
            "/data/tasks",
            &t.admin,
            json!({"task_type_id": types[0]["id"], "entity_id": foreign["id"]}),
        )
        .await;
    let (code, _) = app
        .post(
            &url,
            &t.manager,
            json!([{"object_id": foreign_task["id"], "task_status_id": wip["id"], "comment": "x"}]),
        )
        .await;
    assert_eq!(code, 400, "a task of another project");

    let copy = format!("/actions/projects/{}/tasks/copy-client-comments", t.project);
    let (code, error) = app.post(&copy, &t.manager, json!({"task_ids": []})).await;
    assert_eq!(
        (code, &error["data"]["errors"][0]["field"]),
        (400, &json!("task_ids"))
    );
    t.post(
        &app,
        &t.client,
        json!({"task_status_id": wip["id"], "comment": "Warmer"}),
    )
    .await;
    let body = json!({"task_ids": [t.task["id"], t.sibling["id"]], "prefix": "Client says"});
    assert_eq!(app.post(&copy, &t.supervisor, body.clone()).await.0, 403);
    let (code, copied) = app.post(&copy, &t.manager, body).await;
    assert_eq!(code, 201, "{copied}");
    assert_eq!(copied.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            &copied[0]["text"],
            &copied[0]["person_id"],
            &copied[0]["for_client"]
        ),
        (
            &json!("Client says\n\nWarmer"),
            &json!(t.manager_id),
            &json!(false)
        )
    );
}

/// Sends files (name, content type, bytes) and form fields as multipart.
async fn upload(
    app: &TestApp,
    url: &str,
    token: &str,
    files: &[(&str, &str, &[u8])],
    fields: &[(&str, &str)],
) -> (u16, Json) {
    let mut form = reqwest::multipart::Form::new();
    for (n, (name, mime, bytes)) in files.iter().enumerate() {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec())
            .file_name(name.to_string())
            .mime_str(mime)
            .unwrap();
        form = form.part(format!("file-{n}"), part);
    }
    for (key, value) in fields {
        form = form.text(key.to_string(), value.to_string());
    }
    let response = app
        .client
        .post(format!("{}{url}", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    read(response).await
}

#[tokio::test]
async fn attachments_are_added_read_and_removed_by_who_may() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let comment = t
        .post(
            &app,
            &t.artist,
            json!({"task_status_id": wip["id"], "comment": "Refs"}),
        )
        .await;
    let add = format!(
        "/actions/tasks/{}/comments/{}/add-attachment",
        id(&t.task),
        id(&comment)
    );
    let (code, added) = upload(
        &app,
        &add,
        &t.artist,
        &[
            ("ref.png", "image/png", b"png bytes"),
            ("page.html", "text/html", b"<b>hi</b>"),
        ],
        &[],
    )
    .await;
    assert_eq!(code, 201, "{added}");
    assert_eq!(
        (
            &added[0]["name"],
            &added[0]["extension"],
            &added[0]["size"],
            &added[1]["extension"]
        ),
        (&json!("ref.png"), &json!("png"), &json!(9), &json!("html"))
    );
    assert_eq!(
        keys(&added[0]),
        sample_keys("POST__actions__tasks__{task_id}__comments__{comment_id}__add-attachment.json")
    );
    let (code, by_manager) = upload(
        &app,
        &add,
        &t.manager,
        &[("a.txt", "text/plain", b"a")],
        &[],
    )
    .await;
    assert_eq!((code, by_manager.as_array().unwrap().len()), (201, 1));
    for refused in [&t.other_artist, &t.supervisor, &t.vendor] {
        let (code, _) = upload(&app, &add, refused, &[("b.txt", "text/plain", b"b")], &[]).await;
        assert_eq!(code, 403);
    }
    let (code, none) = app.post(&add, &t.artist, json!({})).await;
    assert_eq!((code, none), (201, json!([])));
    let (code, error) = upload(
        &app,
        &add,
        &t.artist,
        &[("notes.markdown", "text/markdown", b"x")],
        &[],
    )
    .await;
    assert_eq!(code, 400, "{error}");
    let (code, _) = upload(
        &app,
        &add,
        &t.artist,
        &[("c.txt", "text/plain", b"c")],
        &[("reply_id", "nope")],
    )
    .await;
    assert_eq!(code, 400, "reply_id must name a reply of the comment");

    // A reply with a file; add-attachment honours a reply's id too.
    let reply_url = format!("{}/reply", t.comment(&comment));
    let (code, reply) = upload(
        &app,
        &reply_url,
        &t.artist,
        &[("fix.jpg", "image/jpeg", b"jpg")],
        &[("text", "Fixed")],
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        (&reply["text"], &reply["attachment_files"][0]["reply_id"]),
        (&json!("Fixed"), &reply["id"])
    );
    let (_, listed) = app.get(&t.comments(), &t.artist).await;
    assert_eq!(listed[0]["attachment_files"].as_array().unwrap().len(), 4);
    assert_eq!(
        keys(&listed[0]["attachment_files"][0]),
        ["extension", "id", "name", "reply_id", "size"]
    );

    let file = format!("/data/attachment-files/{}/file/ref.png", id(&added[0]));
    let response = app
        .request(reqwest::Method::GET, &file, Some(&t.other_artist), None)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"png bytes");
    let html = format!("/data/attachment-files/{}/file/x", id(&added[1]));
    let response = app
        .request(reqwest::Method::GET, &html, Some(&t.artist), None)
        .await;
    assert_eq!(
        headers_of(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert!(headers_of(&response, "content-disposition").starts_with("attachment;"));
    assert_eq!(
        app.get(&file, &t.client).await.0,
        403,
        "an internal comment's file"
    );
    assert_eq!(app.get(&file, &t.lone_vendor).await.0, 403);
    assert_eq!(
        app.get("/data/attachment-files/nope/file/x", &t.admin)
            .await
            .0,
        404
    );

    let task_list = format!("/data/tasks/{}/attachment-files", id(&t.task));
    let (code, all) = app.get(&task_list, &t.admin).await;
    assert_eq!((code, all.as_array().unwrap().len()), (200, 4));
    assert_eq!(
        keys(&all[0]),
        sample_keys("GET__data__tasks__{task_id}__attachment-files.json")
    );
    assert_eq!(all[0]["comment"]["id"], comment["id"]);
    assert_eq!(
        keys(&all[0]["comment"]),
        sample_keys("GET__data__tasks__{task_id}__comments__{comment_id}.json"),
        "the plain comment"
    );
    let project_list = format!("/data/projects/{}/attachment-files", t.project);
    assert_eq!(app.get(&project_list, &t.admin).await.1, all);
    assert_eq!(app.get(&task_list, &t.manager).await.0, 403);
    assert_eq!(
        app.get("/data/tasks/nope/attachment-files", &t.admin)
            .await
            .0,
        404
    );

    let remove = format!("{}/attachments/{}", t.comment(&comment), id(&added[0]));
    for refused in [&t.other_artist, &t.supervisor, &t.client] {
        assert_eq!(app.delete(&remove, refused).await.0, 403);
    }
    let stored = |file: &Json| {
        let id = id(file);
        app.config
            .data_dir
            .join("files/attachments")
            .join(&id[0..3])
            .join(&id[3..6])
            .join(&id)
    };
    assert!(stored(&added[0]).exists());
    assert_eq!(app.delete(&remove, &t.artist).await.0, 204);
    assert!(!stored(&added[0]).exists(), "the file goes with its row");
    assert_eq!(app.delete(&remove, &t.artist).await.0, 404);
    assert_eq!(app.get(&file, &t.artist).await.0, 404);
    let other_comment = t
        .post(&app, &t.artist, json!({"task_status_id": wip["id"]}))
        .await;
    let mismatched = format!(
        "{}/attachments/{}",
        t.comment(&other_comment),
        id(&added[1])
    );
    assert_eq!(app.delete(&mismatched, &t.admin).await.0, 403);

    // Deleting the comment removes its files.
    assert_eq!(app.delete(&t.comment(&comment), &t.artist).await.0, 204);
    assert_eq!(app.get(&html, &t.admin).await.0, 404);
    assert!(!stored(&added[1]).exists());
    assert_eq!(app.get(&task_list, &t.admin).await.1, json!([]));
}

fn headers_of(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

#[tokio::test]
async fn clients_see_the_previews_of_studio_comments_but_not_their_words() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let on_preview = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "comment": "Internal words"}),
        )
        .await;
    let mut previews = Vec::new();
    for (revision, validation) in [(1, "neutral"), (2, "rejected")] {
        let (code, preview) = app
            .post(
                "/data/preview-files",
                &t.admin,
                json!({"task_id": t.task["id"], "name": format!("v{revision}"), "revision": revision,
                       "validation_status": validation, "extension": "png"}),
            )
            .await;
        assert_eq!(code, 201, "{preview}");
        previews.push(preview["id"].clone());
    }
    let (code, linked) = app
        .put(
            &format!("/data/comments/{}", id(&on_preview)),
            &t.admin,
            json!({"previews": previews}),
        )
        .await;
    assert_eq!(code, 200, "{linked}");
    let (_, seen) = app.get(&t.comments(), &t.manager).await;
    assert_eq!(seen[0]["previews"].as_array().unwrap().len(), 2);
    assert_eq!(
        keys(&seen[0]["previews"][0]),
        [
            "annotations",
            "duration",
            "extension",
            "height",
            "id",
            "original_name",
            "position",
            "revision",
            "status",
            "task_id",
            "validation_status",
            "width"
        ]
    );
    let (_, seen) = app.get(&t.comments(), &t.client).await;
    assert_eq!(
        (
            &seen[0]["text"],
            &seen[0]["previews"].as_array().unwrap().len(),
            &seen[0]["previews"][0]["id"]
        ),
        (&json!(""), &1, &previews[0]),
        "the words are emptied and the rejected preview is gone"
    );
    assert_eq!(app.get(&t.comment(&on_preview), &t.client).await.0, 403);
    let (code, error) = app
        .post(
            &format!(
                "/actions/tasks/{}/comments/{}/move",
                id(&t.task),
                id(&on_preview)
            ),
            &t.manager,
            json!({"target_task_id": t.sibling["id"]}),
        )
        .await;
    assert_eq!(
        (code, &error["message"]),
        (
            400,
            &json!("A comment attached to a preview revision cannot be moved.")
        )
    );
}

#[tokio::test]
async fn project_roles_decide_who_is_a_client_and_isolated_clients_see_their_own() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let wip = status(&app, &t.admin, "wip").await;
    let artcli_id = app.person_with_role("artcli@example.com", Role::User).await;
    app.join_team(&t.project, &artcli_id, Some(Role::Client))
        .await;
    let artcli = app.token_for("artcli@example.com", PASSWORD).await;
    let by_artcli = t
        .post(
            &app,
            &artcli,
            json!({"task_status_id": wip["id"], "comment": "As client"}),
        )
        .await;
    let by_client = t
        .post(&app, &t.client, json!({"task_status_id": wip["id"]}))
        .await;
    let for_client = t
        .post(
            &app,
            &t.manager,
            json!({"task_status_id": wip["id"], "for_client": true}),
        )
        .await;
    let seen = |list: Json| -> Vec<String> { list.as_array().unwrap().iter().map(id).collect() };
    assert_eq!(
        seen(app.get(&t.comments(), &t.artist).await.1),
        [id(&for_client)],
        "a client by project role is a client"
    );
    assert_eq!(
        seen(app.get(&t.comments(), &artcli).await.1),
        [&for_client, &by_client, &by_artcli].map(id)
    );
    let (code, _) = app
        .put(
            &format!("/data/projects/{}", t.project),
            &t.admin,
            json!({"is_clients_isolated": true}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        seen(app.get(&t.comments(), &artcli).await.1),
        [&for_client, &by_artcli].map(id)
    );
    assert_eq!(
        seen(app.get(&t.comments(), &t.client).await.1),
        [&for_client, &by_client].map(id)
    );
    assert_eq!(app.get(&t.comment(&by_client), &artcli).await.0, 403);
}
