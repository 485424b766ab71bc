//! A project's team and settings: `/data/projects/{id}/team`, `/settings/*`, `/open`, `/all`.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn first_id(app: &TestApp, token: &str, route: &str) -> Json {
    app.get(route, token).await.1[0]["id"].clone()
}

#[tokio::test]
async fn managers_build_the_team_and_set_roles() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let lead_id = app.person_with_role("lead@example.com", Role::User).await;
    let (status, answer) = app
        .post(
            &format!("/data/projects/{project}/team"),
            &admin,
            json!({"person_id": lead_id, "role": "manager"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["type"], "Project");
    assert!(answer.get("team").is_none());
    let lead = app.token_for("lead@example.com", PASSWORD).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let (status, _) = app
        .post(
            &format!("/data/projects/{project}/team"),
            &lead,
            json!({"person_id": artist_id}),
        )
        .await;
    assert_eq!(status, 201, "the project manager adds people");
    assert_eq!(
        app.post(
            &format!("/data/projects/{project}/team"),
            &artist,
            json!({"person_id": lead_id})
        )
        .await
        .0,
        403
    );
    let stranger = uuid::Uuid::new_v4();
    assert_eq!(
        app.post(
            &format!("/data/projects/{project}/team"),
            &lead,
            json!({"person_id": stranger})
        )
        .await
        .1["message"],
        format!("Person with id {stranger} not found")
    );

    let (status, role) = app
        .put(
            &format!("/data/projects/{project}/team/{artist_id}"),
            &lead,
            json!({"role": "supervisor"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        role,
        json!({"project_id": project, "person_id": artist_id, "role": "supervisor"})
    );
    let (_, team) = app
        .get(&format!("/data/projects/{project}/team"), &lead)
        .await;
    let roles: Vec<(&Json, &Json)> = team
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["id"], &p["project_role"]))
        .collect();
    assert!(roles.contains(&(&json!(artist_id), &json!("supervisor"))));
    assert!(
        team[0].get("email").is_some(),
        "managers see the whole record"
    );
    let (_, as_artist) = app
        .get(&format!("/data/projects/{project}/team"), &artist)
        .await;
    assert!(as_artist[0].get("email").is_none());
    assert_eq!(as_artist[0]["departments"], json!([]));

    assert_eq!(
        app.delete(&format!("/data/projects/{project}/team/{artist_id}"), &lead)
            .await
            .0,
        204
    );
    assert_eq!(
        app.get(&format!("/data/projects/{project}/team"), &artist)
            .await
            .0,
        403
    );
    let events = app
        .db
        .fetch_all(
            "SELECT name FROM api_event WHERE name = 'project:update'",
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        5,
        "two for the add with a role, one add, one role, one removal"
    );
}

#[tokio::test]
async fn settings_link_types_and_statuses_to_the_project() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let character = first_id(&app, &admin, "/data/entity-types?name=Character").await;
    let animation = first_id(&app, &admin, "/data/task-types?name=Animation").await;
    let wip = first_id(&app, &admin, "/data/task-status?short_name=wip").await;
    let base = format!("/data/projects/{project}");

    assert_eq!(
        app.post(
            &format!("{base}/settings/asset-types"),
            &admin,
            json!({"asset_type_id": character})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        app.post(
            &format!("{base}/settings/task-types"),
            &admin,
            json!({"task_type_id": animation, "priority": 2, "ld_bitrate_compression": 4})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        app.post(
            &format!("{base}/settings/task-status"),
            &admin,
            json!({"task_status_id": wip})
        )
        .await
        .0,
        201
    );
    let (_, read) = app.get(&base, &admin).await;
    assert_eq!(read["asset_types"], json!([character]));
    assert_eq!(read["task_types"], json!([animation]));
    assert_eq!(
        read["task_type_links"][animation.as_str().unwrap()]["priority"],
        2
    );
    assert_eq!(
        read["task_type_links"][animation.as_str().unwrap()]["ld_bitrate_compression"],
        4
    );
    let (_, task_types) = app.get(&format!("{base}/task-types"), &admin).await;
    assert_eq!(task_types[0]["name"], "Animation");
    let (_, statuses) = app
        .get(&format!("{base}/settings/task-status"), &admin)
        .await;
    assert_eq!(statuses[0]["short_name"], "wip");

    let (status, link) = app
        .put(
            &format!("{base}/settings/task-status/{}", wip.as_str().unwrap()),
            &admin,
            json!({"is_client_allowed": false}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&link["is_client_allowed"], &link["type"]),
        (&json!(false), &json!("ProjectTaskStatusLink"))
    );
    assert_eq!(
        app.post(
            &format!("{base}/settings/task-types"),
            &admin,
            json!({"task_type_id": "x"})
        )
        .await
        .1["message"],
        "task_type_id is required and must be a valid UUID"
    );
    assert_eq!(
        app.post(&format!("{base}/settings/asset-types"), &admin, json!({}))
            .await
            .1["data"]["errors"][0]["field"],
        "asset_type_id"
    );
    assert_eq!(
        app.delete(
            &format!("{base}/settings/task-types/{}", animation.as_str().unwrap()),
            &admin
        )
        .await
        .0,
        204
    );
    assert_eq!(
        app.get(&format!("{base}/task-types"), &admin).await.1,
        json!([])
    );
}

#[tokio::test]
async fn open_and_all_projects_differ_on_closed_ones() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let open = app.create_project(&admin, "Open one").await;
    let closed = app.create_project(&admin, "Closed one").await;
    app.set_project_status(&closed, "Closed").await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&open, &artist_id, None).await;
    app.join_team(&closed, &artist_id, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let names = |list: &Json| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, opened) = app.get("/data/projects/open", &artist).await;
    assert_eq!(names(&opened), ["Open one"]);
    assert_eq!(opened[0]["team"], json!([artist_id]));
    assert!(opened[0]["task_types_priority"].is_object());
    assert_eq!(
        names(&app.get("/data/projects/all", &artist).await.1),
        ["Closed one", "Open one"]
    );
    assert_eq!(
        names(
            &app.get("/data/projects/all?name=closed%20ONE", &artist)
                .await
                .1
        ),
        ["Closed one"]
    );
    assert_eq!(
        app.get("/data/projects/all?name=nothing", &artist).await.0,
        404
    );
    let milestone = app
        .get(&format!("/data/projects/{open}/milestones"), &artist)
        .await;
    assert_eq!(milestone, (200, json!([])));
}

#[tokio::test]
async fn a_batch_sets_task_types_statuses_and_asset_types_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let layout = first_id(&app, &admin, "/data/task-types?name=Layout").await;
    let animation = first_id(&app, &admin, "/data/task-types?name=Animation").await;
    let wip = first_id(&app, &admin, "/data/task-status?short_name=wip").await;
    let character = first_id(&app, &admin, "/data/entity-types?name=Character").await;
    let url = format!("/data/projects/{project}/settings/batch");
    let (status, answer) = app
        .post(
            &url,
            &admin,
            json!({"task_types": [{"task_type_id": layout, "priority": 1}, {"task_type_id": animation, "priority": 2},
                                  {"task_type_id": uuid::Uuid::new_v4()}],
                   "task_status_ids": [wip], "asset_type_ids": [character]}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (_, read) = app.get(&format!("/data/projects/{project}"), &admin).await;
    assert_eq!(read["task_types"].as_array().unwrap().len(), 2);
    assert_eq!(read["task_types_priority"][animation.as_str().unwrap()], 2);
    assert_eq!(read["task_statuses"], json!([wip]));
    assert_eq!(read["asset_types"], json!([character]));
    app.post(
        &url,
        &admin,
        json!({"task_types": [{"task_type_id": animation}], "replace_task_types": true}),
    )
    .await;
    let (_, read) = app.get(&format!("/data/projects/{project}"), &admin).await;
    assert_eq!(read["task_types"], json!([animation]));
    assert_eq!(
        read["task_types_priority"][animation.as_str().unwrap()],
        2,
        "a missing priority keeps it"
    );
    let (status, _) = app
        .post(&url, &admin, json!({"task_status_ids": ["nope"]}))
        .await;
    assert_eq!(status, 400);
}
