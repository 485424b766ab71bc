//! Project templates, project task type and status links, and their order.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn ids_named(app: &TestApp, token: &str, route: &str, names: &[&str]) -> Vec<Json> {
    let mut ids = Vec::new();
    for name in names {
        let (_, found) = app.get(&format!("{route}?name={name}"), token).await;
        ids.push(found[0]["id"].clone());
    }
    ids
}

#[tokio::test]
async fn projects_start_from_a_template() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, template) = app
        .post(
            "/data/project-templates",
            &admin,
            json!({"name": "Feature", "fps": "24", "ratio": "2.39", "bogus": 1,
                   "metadata_descriptors": [{"name": "Difficulty", "field_name": "difficulty",
                                             "entity_type": "Asset", "data_type": "string", "for_client": false}]}),
        )
        .await;
    assert_eq!(status, 201, "{template}");
    assert_eq!(template["fps"], "24");
    assert_eq!(template["homepage"], "assets");
    assert_eq!(
        app.post("/data/project-templates", &admin, json!({"fps": "24"}))
            .await,
        (400, json!({"message": "name is required"}))
    );
    let (status, project) = app
        .post(
            "/data/projects",
            &admin,
            json!({"name": "Film", "ratio": "1.85", "project_template_id": template["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{project}");
    assert_eq!(project["fps"], "24", "from the template");
    assert_eq!(project["ratio"], "1.85", "the request wins");
    let (_, read) = app
        .get(
            &format!("/data/projects/{}", project["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(read["descriptors"][0]["field_name"], "difficulty");
    app.person_with_role("sup@example.com", Role::Supervisor)
        .await;
    let supervisor = app.token_for("sup@example.com", PASSWORD).await;
    assert_eq!(app.get("/data/project-templates", &supervisor).await.0, 403);
}

#[tokio::test]
async fn task_type_links_are_upserted_and_reordered_by_project_managers() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let lead_id = app.person_with_role("lead@example.com", Role::User).await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &lead_id, Some(Role::Manager)).await;
    app.join_team(&project, &artist_id, None).await;
    let lead = app.token_for("lead@example.com", PASSWORD).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let types = ids_named(&app, &admin, "/data/task-types", &["Layout", "Animation"]).await;

    let (status, link) = app
        .post(
            "/data/task-type-links",
            &lead,
            json!({"project_id": project, "task_type_id": types[0], "priority": 3}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(
        (&link["priority"], &link["type"]),
        (&json!(3), &json!("ProjectTaskTypeLink"))
    );
    assert_eq!(link["is_client_visible"], true);
    let (_, again) = app
        .post(
            "/data/task-type-links",
            &lead,
            json!({"project_id": project, "task_type_id": types[0]}),
        )
        .await;
    assert_eq!(
        (&again["id"], &again["priority"]),
        (&link["id"], &json!(1)),
        "an upsert, priority reset"
    );
    app.post(
        "/data/task-type-links",
        &lead,
        json!({"project_id": project, "task_type_id": types[1]}),
    )
    .await;
    assert_eq!(
        app.post(
            "/data/task-type-links",
            &artist,
            json!({"project_id": project, "task_type_id": types[1]})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.post(
            "/data/task-type-links",
            &lead,
            json!({"project_id": project})
        )
        .await
        .1["message"],
        "Missing required parameter: task_type_id"
    );

    let url = format!("/actions/projects/{project}/task-type-links/reorder");
    let (status, ordered) = app
        .post(&url, &lead, json!({"task_type_ids": [types[1], types[0]]}))
        .await;
    assert_eq!(status, 200, "{ordered}");
    let order: Vec<(&Json, &Json)> = ordered
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (&l["task_type_id"], &l["priority"]))
        .collect();
    assert_eq!(order, [(&types[1], &json!(1)), (&types[0], &json!(2))]);
    assert_eq!(
        app.post(&url, &lead, json!({"ids": []})).await.1["message"],
        "Request body must be a JSON object with a 'task_type_ids' list."
    );
    let (_, read) = app.get(&format!("/data/projects/{project}"), &admin).await;
    assert_eq!(read["task_types_priority"][types[1].as_str().unwrap()], 1);
}

#[tokio::test]
async fn task_status_links_carry_board_roles() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let statuses = ids_named(&app, &admin, "/data/task-status", &["Work In Progress"]).await;
    let (status, link) = app
        .post(
            "/data/task-status-links",
            &admin,
            json!({"project_id": project, "task_status_id": statuses[0], "roles_for_board": "manager"}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["roles_for_board"], json!(["manager"]));
    let (status, body) = app
        .post(
            "/data/task-status-links",
            &admin,
            json!({"project_id": project, "task_status_id": statuses[0], "roles_for_board": ["user", "boss"]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, reordered) = app
        .post(
            &format!("/actions/projects/{project}/task-status-links/reorder"),
            &admin,
            json!({"task_status_ids": statuses}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        reordered[0]["roles_for_board"],
        json!(["manager"]),
        "reordering keeps board roles"
    );
}

#[tokio::test]
async fn admins_reorder_the_studio_task_types() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let types = ids_named(&app, &admin, "/data/task-types", &["Modeling", "Rigging"]).await;
    let (status, ordered) = app
        .post(
            "/actions/task-types/reorder",
            &admin,
            json!({"task_type_ids": [types[1], types[0]]}),
        )
        .await;
    assert_eq!(status, 200, "{ordered}");
    assert_eq!(ordered[0]["name"], "Rigging");
    assert_eq!(ordered[0]["priority"], 1);
    assert_eq!(ordered[1]["priority"], 2);
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    assert_eq!(
        app.post(
            "/actions/task-types/reorder",
            &manager,
            json!({"task_type_ids": []})
        )
        .await
        .0,
        403
    );
}
