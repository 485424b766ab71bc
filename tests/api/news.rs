//! The news of an entity's tasks.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn an_entity_news_name_the_entity_in_full_and_come_latest_first() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let (_, episode) = app
        .post(&format!("{base}/episodes"), &admin, json!({"name": "E01"}))
        .await;
    let (_, sequence) = app
        .post(
            &format!("{base}/sequences"),
            &admin,
            json!({"name": "SQ01", "episode_id": episode["id"]}),
        )
        .await;
    let (_, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH010", "sequence_id": sequence["id"]}),
        )
        .await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let (_, wip) = app.get("/data/task-status?short_name=wip", &admin).await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": shot["id"]}),
        )
        .await;
    let me = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"].clone();
    let (status, comment) = app
        .post(
            "/data/comments",
            &admin,
            json!({"object_id": task["id"], "object_type": "Task", "person_id": me["id"],
                   "task_status_id": wip[0]["id"], "text": "first pass"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    for (change, stamp, comment_id) in [
        (false, "2026-11-01T10:00:00", Json::Null),
        (true, "2026-11-02T10:00:00", comment["id"].clone()),
    ] {
        let (status, news) = app
            .post(
                "/data/news",
                &admin,
                json!({"change": change, "author_id": me["id"], "task_id": task["id"],
                       "comment_id": comment_id, "created_at": stamp}),
            )
            .await;
        assert_eq!(status, 201, "{news}");
    }
    let url = format!("/data/entities/{}/news", id(&shot));
    let (status, page) = app.get(&url, &admin).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (
            &page["total"],
            &page["nb_pages"],
            &page["limit"],
            &page["page"]
        ),
        (&json!(2), &json!(1), &json!(2000), &json!(1))
    );
    let latest = &page["data"][0];
    assert_eq!(
        (
            &latest["full_entity_name"],
            &latest["episode_id"],
            &latest["change"],
            &latest["task_status_id"],
            &latest["project_name"],
            &latest["type"]
        ),
        (
            &json!("E01 / SQ01 / SH010"),
            &episode["id"],
            &json!(true),
            &wip[0]["id"],
            &json!("Show"),
            &json!("News")
        )
    );
    assert_eq!(latest["person"]["full_name"], me["full_name"]);
    assert_eq!(page["data"][1]["task_status_id"], Json::Null);

    let outsider = app
        .person_with_role("outsider@example.com", Role::User)
        .await;
    assert!(!outsider.is_empty());
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &outsider).await.0, 403);
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!("{base}/asset-types/{}/assets/new", id(&types[0])),
            &admin,
            json!({"name": "Hero"}),
        )
        .await;
    let (_, empty) = app
        .get(&format!("/data/entities/{}/news", id(&asset)), &admin)
        .await;
    assert_eq!(
        (&empty["data"], &empty["total"], &empty["nb_pages"]),
        (&json!([]), &json!(0), &json!(0))
    );
}

#[tokio::test]
async fn a_project_news_feed_filters_pages_and_counts_status_changes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (shot, tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let people = app
        .crew(
            &project,
            "",
            &[
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::User, false),
            ],
        )
        .await;
    let token = |who: &str| people.iter().find(|m| m.who == who).unwrap().token.clone();
    let (_, wip) = app.get("/data/task-status?short_name=wip", &admin).await;
    let (_, done) = app.get("/data/task-status?short_name=done", &admin).await;
    for (task, status, text) in [
        (&tasks[0], &wip[0]["id"], "first pass"),
        (&tasks[0], &done[0]["id"], "approved"),
        (&tasks[1], &wip[0]["id"], "layout started"),
    ] {
        let (code, comment) = app
            .post(
                &format!("/actions/tasks/{}/comment", id(task)),
                &admin,
                json!({"task_status_id": status, "comment": text}),
            )
            .await;
        assert_eq!(code, 201, "{comment}");
    }
    let feed = format!("/data/projects/{project}/news");
    let (status, page) = app.get(&feed, &admin).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (
            &page["total"],
            &page["nb_pages"],
            &page["limit"],
            &page["page"]
        ),
        (&json!(3), &json!(1), &json!(50), &json!(1))
    );
    assert_eq!(
        page["stats"],
        json!({wip[0]["id"].as_str().unwrap(): 2, done[0]["id"].as_str().unwrap(): 1})
    );
    assert_eq!(page["data"][0]["task_id"], tasks[1]["id"], "latest first");
    assert_eq!(page["data"][0]["task_entity_id"], shot["id"]);

    let (_, done_only) = app
        .get(&format!("{feed}?task_status_id={}", id(&done[0])), &admin)
        .await;
    assert_eq!(done_only["total"], 1);
    assert_eq!(done_only["data"][0]["task_status_id"], done[0]["id"]);
    let (_, second) = app.get(&format!("{feed}?limit=2&page=2"), &admin).await;
    assert_eq!(
        (
            &second["nb_pages"],
            &second["offset"],
            second["data"].as_array().map(Vec::len)
        ),
        (&json!(2), &json!(2), Some(1))
    );
    assert_eq!(second["data"][0]["id"], page["data"][2]["id"]);
    let (status, _) = app.get(&format!("{feed}?after=yesterday"), &admin).await;
    assert_eq!(status, 400);
    let (_, later) = app.get(&format!("{feed}?after=2999-01-01"), &admin).await;
    assert_eq!(later["total"], 0);

    let one = format!("{feed}/{}", id(&page["data"][1]));
    let (status, item) = app.get(&one, &admin).await;
    assert_eq!((status, &item), (200, &page["data"][1]));
    let missing = format!("{feed}/{}", uuid::Uuid::new_v4());
    assert_eq!(app.get(&missing, &admin).await.0, 404);

    let (status, mine) = app.get("/data/projects/news", &token("artist")).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["total"], 3, "the artist's open projects' news");
    assert_eq!(app.get(&feed, &token("artist")).await.0, 200);
    let (_, none) = app.get("/data/projects/news", &token("outsider")).await;
    assert_eq!(none["total"], 0, "no team, no news");
    assert_eq!(app.get(&feed, &token("outsider")).await.0, 403);
    for who in ["client", "vendor"] {
        assert_eq!(app.get(&feed, &token(who)).await.0, 403, "{who}");
        assert_eq!(app.get(&one, &token(who)).await.0, 403, "{who}");
        assert_eq!(
            app.get("/data/projects/news", &token(who)).await.0,
            403,
            "{who}"
        );
    }
}
