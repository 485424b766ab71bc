//! The Kitsu UI's boot payload, per role.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn the_context_shows_each_role_what_it_may_see() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let film = app.create_project(&admin, "Film").await;
    let other = app.create_project(&admin, "Other").await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    let stranger = app
        .person_with_role("stranger@example.com", Role::User)
        .await;
    app.join_team(&film, &artist, Some(Role::Supervisor)).await;
    app.join_team(&film, &client, None).await;
    app.join_team(&other, &stranger, None).await;

    let (status, context) = app.get("/data/user/context", &admin).await;
    assert_eq!(status, 200, "{context}");
    for key in [
        "asset_types",
        "custom_actions",
        "status_automations",
        "departments",
        "studios",
        "notification_count",
        "persons",
        "project_status",
        "project_roles",
        "projects",
        "task_types",
        "task_status",
        "search_filters",
        "search_filter_groups",
        "preview_background_files",
        "plugins",
    ] {
        assert!(context.get(key).is_some(), "{key} missing");
    }
    let names: Vec<&Json> = context["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, [&json!("Film"), &json!("Other")]);
    assert!(context["asset_types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "Character"));
    assert!(!context["asset_types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "Shot"));
    assert!(
        context["persons"][0].get("email").is_some(),
        "admins see the full card"
    );
    assert!(context["persons"][0].get("password").is_none());

    let artist_token = app.token_for("artist@example.com", PASSWORD).await;
    let (_, mine) = app.get("/data/user/context", &artist_token).await;
    assert_eq!(mine["projects"].as_array().unwrap().len(), 1);
    assert_eq!(mine["project_roles"], json!({film.clone(): "supervisor"}));
    assert_eq!(
        mine["persons"].as_array().unwrap().len(),
        4,
        "the whole studio"
    );
    assert!(mine["persons"][0].get("email").is_none(), "a short card");
    assert!(mine["persons"][0].get("departments").is_some());
    assert_eq!(mine["notification_count"], 0);

    let client_token = app.token_for("client@example.com", PASSWORD).await;
    let (_, theirs) = app.get("/data/user/context", &client_token).await;
    let people: Vec<&str> = theirs["persons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(people.contains(&artist.as_str()) && people.contains(&client.as_str()));
    assert!(
        !people.contains(&stranger.as_str()),
        "clients see their projects' teams only"
    );

    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "/data/projects/{film}/asset-types/{}/assets/new",
                types[0]["id"].as_str().unwrap()
            ),
            &admin,
            json!({"name": "Hero"}),
        )
        .await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &admin,
            json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"]}),
        )
        .await;
    app.put(
        &format!("/actions/tasks/{}/assign", task["id"].as_str().unwrap()),
        &admin,
        json!({"person_id": artist}),
    )
    .await;
    assert_eq!(
        app.get("/data/user/context", &artist_token).await.1["notification_count"],
        1
    );
    let (_, open) = app.get("/data/user/projects/open", &artist_token).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["name"], "Film");
}
