//! Entity chats: joining, leaving, and the list of the caller's chats.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn participants(app: &TestApp, chat: &Json) -> usize {
    app.db
        .fetch_all(
            "SELECT person_id FROM chat_participant WHERE chat_id = $1",
            &[uuid::Uuid::parse_str(chat.as_str().unwrap())
                .unwrap()
                .into()],
            None,
        )
        .await
        .unwrap()
        .len()
}

async fn chat_count(app: &TestApp) -> usize {
    app.db
        .fetch_all("SELECT id FROM chat", &[], None)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_team_joins_and_leaves_entity_chats() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_tvshow(&admin, "Show").await;
    let (episode, _, shot) = app.create_episode_shot(&admin, &project).await;
    let hero = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let (status, loose) = app
        .post(
            &format!("/data/projects/{project}/shots"),
            &admin,
            json!({"name": "SH999"}),
        )
        .await;
    assert_eq!(status, 201, "{loose}");
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    for (email, role) in [
        ("client@example.com", Role::Client),
        ("idle@example.com", Role::Vendor),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&project, &person, None).await;
    }
    app.join_team(&project, &artist, None).await;
    app.join_team(&project, &vendor, None).await;
    app.person_with_role("outsider@example.com", Role::User)
        .await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let (status, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": animation[0]["id"], "entity_id": shot["id"], "assignees": [vendor]}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    let token = |email: &'static str| app.token_for(email, PASSWORD);
    let artist = token("artist@example.com").await;
    let vendor = token("vendor@example.com").await;
    let client = token("client@example.com").await;
    let idle = token("idle@example.com").await;
    let outsider = token("outsider@example.com").await;

    let join = |entity: &Json| format!("/actions/user/chats/{}/join", id(entity));
    let (status, chat) = app.post(&join(&shot), &artist, json!({})).await;
    assert_eq!(status, 200, "{chat}");
    assert_eq!(
        keys(&chat),
        [
            "created_at",
            "id",
            "last_message",
            "object_id",
            "object_type",
            "type",
            "updated_at"
        ]
    );
    assert_eq!(
        (
            &chat["object_id"],
            &chat["object_type"],
            &chat["type"],
            &chat["last_message"]
        ),
        (&shot["id"], &json!("entity"), &json!("Chat"), &Json::Null)
    );
    let (_, again) = app.post(&join(&shot), &artist, json!({})).await;
    assert_eq!(again["id"], chat["id"], "one chat per entity");
    assert_eq!(participants(&app, &chat["id"]).await, 1, "joined once");
    let (status, with_vendor) = app.post(&join(&shot), &vendor, json!({})).await;
    assert_eq!(
        (status, &with_vendor["id"]),
        (200, &chat["id"]),
        "a vendor on the shot"
    );
    assert_eq!(participants(&app, &chat["id"]).await, 2);
    assert_eq!(
        app.post(&join(&shot), &idle, json!({})).await.0,
        403,
        "a vendor without a task on it"
    );
    assert_eq!(app.post(&join(&shot), &outsider, json!({})).await.0, 403);
    assert_eq!(
        app.delete(&join(&shot), &outsider).await.0,
        403,
        "leaving asks the same"
    );
    let zero = json!({"id": "00000000-0000-0000-0000-000000000000"});
    assert_eq!(app.post(&join(&zero), &artist, json!({})).await.0, 404);
    assert_eq!(
        app.post("/actions/user/chats/bad/join", &artist, json!({}))
            .await
            .0,
        404
    );
    assert_eq!(app.post(&join(&hero), &client, json!({})).await.0, 200);
    assert_eq!(app.post(&join(&hero), &artist, json!({})).await.0, 200);
    assert_eq!(app.post(&join(&loose), &artist, json!({})).await.0, 200);

    let (status, chats) = app.get("/data/user/chats", &artist).await;
    assert_eq!(status, 200, "{chats}");
    assert_eq!(keys(&chats[0]), sample_keys("GET__data__user__chats"));
    let mut named: Vec<(String, &Json, &Json)> = chats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["entity_name"].as_str().unwrap().to_string(),
                &c["object_id"],
                &c["project_id"],
            )
        })
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let project_id = json!(project);
    assert_eq!(
        named,
        [
            ("Character / Hero".to_string(), &hero["id"], &project_id),
            ("E01 / SQ01 / SH010".to_string(), &shot["id"], &project_id),
            ("SH999".to_string(), &loose["id"], &project_id),
        ],
        "a shot without sequence is named alone"
    );
    let (_, chats) = app.get("/data/user/chats", &client).await;
    assert_eq!(chats.as_array().unwrap().len(), 1);

    assert_eq!(app.delete(&join(&shot), &artist).await.0, 204);
    assert_eq!(participants(&app, &chat["id"]).await, 1);
    assert_eq!(app.delete(&join(&shot), &artist).await.0, 204, "twice");
    let (_, chats) = app.get("/data/user/chats", &artist).await;
    assert_eq!(chats.as_array().unwrap().len(), 2);
    let before = chat_count(&app).await;
    assert_eq!(app.delete(&join(&episode), &artist).await.0, 204);
    assert_eq!(chat_count(&app).await, before, "leaving makes no chat");

    app.set_project_status(&project, "Closed").await;
    let (_, chats) = app.get("/data/user/chats", &artist).await;
    assert_eq!(chats, json!([]), "closed projects' chats are not listed");

    let bot = app.bot_token(&admin, Role::Admin).await;
    assert_eq!(app.get("/data/user/chats", &bot).await.0, 403);
    assert_eq!(app.post(&join(&hero), &bot, json!({})).await.0, 403);
}
