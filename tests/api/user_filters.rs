//! Saved searches: a person's filters and filter groups, and those shared by managers.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn filters_are_personal_unless_a_manager_shares_them_in_a_group() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let mut tokens = Vec::new();
    for (email, role) in [
        ("manager@example.com", Role::Manager),
        ("artist@example.com", Role::User),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&project, &person, None).await;
        tokens.push(app.token_for(email, PASSWORD).await);
    }
    app.person_with_role("outsider@example.com", Role::User)
        .await;
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;
    let (manager, artist) = (&tokens[0], &tokens[1]);

    let (status, group) = app
        .post(
            "/data/user/filter-groups",
            manager,
            json!({"name": "Anim", "color": "#FF0000", "list_type": "shots", "project_id": project, "is_shared": true}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(
        (&group["is_shared"], &group["type"]),
        (&json!(true), &json!("SearchFilterGroup"))
    );
    let (status, shared) = app
        .post(
            "/data/user/filters",
            manager,
            json!({"name": "Anim WIP", "query": "animation=wip", "list_type": "shots", "entity_type": "Shot",
                   "project_id": project, "is_shared": true, "search_filter_group_id": group["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{shared}");
    assert_eq!(shared["search_query"], "animation=wip");

    let (status, mine) = app
        .post(
            "/data/user/filters",
            artist,
            json!({"name": "Mine", "query": "x", "project_id": project, "is_shared": true}),
        )
        .await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(
        (&mine["is_shared"], &mine["list_type"]),
        (&json!(false), &json!("todo")),
        "artists do not share"
    );
    assert_eq!(
        app.post(
            "/data/user/filters",
            artist,
            json!({"name": "In group", "query": "x", "project_id": project, "search_filter_group_id": group["id"]})
        )
        .await
        .1["message"],
        "A search filter should have the same value for is_shared than its search filter group."
    );
    assert_eq!(
        app.post("/data/user/filters", artist, json!({"name": "No query"}))
            .await
            .0,
        400
    );

    let (_, seen) = app.get("/data/user/filters", artist).await;
    let names: Vec<&Json> = seen["shots"][&project]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["name"])
        .collect();
    assert_eq!(names, [&json!("Anim WIP")]);
    assert_eq!(seen["todo"][&project][0]["name"], "Mine");
    assert_eq!(
        app.get("/data/user/filters", &outsider).await.1,
        json!({}),
        "shared within the team only"
    );
    let (_, groups) = app.get("/data/user/filter-groups", artist).await;
    assert_eq!(groups["shots"][&project][0]["id"], group["id"]);

    let filter_url = format!("/data/user/filters/{}", id(&shared));
    assert_eq!(
        app.put(&filter_url, artist, json!({"name": "Hijack"}))
            .await
            .0,
        404,
        "not theirs"
    );
    let (status, renamed) = app
        .put(&filter_url, manager, json!({"name": "Anim in progress"}))
        .await;
    assert_eq!(
        (status, &renamed["name"]),
        (200, &json!("Anim in progress"))
    );
    let group_url = format!("/data/user/filter-groups/{}", id(&group));
    let (_, unshared) = app
        .put(&group_url, manager, json!({"is_shared": false}))
        .await;
    assert_eq!(unshared["is_shared"], false);
    let (_, seen) = app.get("/data/user/filters", artist).await;
    assert!(
        seen.get("shots").is_none(),
        "the group's filters follow it: {seen}"
    );
    assert_eq!(app.delete(&group_url, manager).await.0, 204);
    assert_eq!(
        app.get(&filter_url.replace("filters", "filter-groups"), manager)
            .await
            .0,
        404
    );
    assert_eq!(
        app.delete(&filter_url, manager).await.0,
        404,
        "deleted with its group"
    );
}
