//! `/data/projects`: creation defaults, team scoping, settings, delete rules.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn admins_create_projects_with_zou_defaults() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, project) = app
        .post(
            "/data/projects",
            &admin,
            json!({"name": "Big Buck Bunny", "fps": 24}),
        )
        .await;
    assert_eq!(status, 201, "{project}");
    assert_eq!(project["fps"], "24");
    assert_eq!(project["ratio"], "16:9");
    assert_eq!(project["resolution"], "1920x1080");
    assert_eq!(project["production_type"], "short");
    assert_eq!(project["production_style"], "2d3d");
    assert_eq!(project["homepage"], "assets");
    for relation in [
        "team",
        "asset_types",
        "task_types",
        "task_statuses",
        "status_automations",
    ] {
        assert_eq!(project[relation], json!([]), "{relation}");
    }
    let (_, open) = app.get("/data/project-status?name=Open", &admin).await;
    assert_eq!(project["project_status_id"], open[0]["id"]);
    assert_eq!(
        app.post("/data/projects", &admin, json!({"name": "Big Buck Bunny"}))
            .await,
        (
            400,
            json!({"message": "A record with the same unique values already exists."})
        )
    );
    assert_eq!(
        app.post(
            "/data/projects",
            &admin,
            json!({"name": "X", "production_style": "oil"})
        )
        .await
        .1["message"],
        "Invalid production_style"
    );
    assert_eq!(
        app.post(
            "/data/projects",
            &admin,
            json!({"name": "X", "resolution": "big"})
        )
        .await
        .1["message"],
        "Invalid resolution big. Expected format: '1920x1080' or 'x1080'."
    );
    let (status, body) = app
        .post(
            "/data/projects",
            &admin,
            json!({"name": "X", "hd_bitrate_compression": 5, "ld_bitrate_compression": 9}),
        )
        .await;
    assert_eq!(
        (status, &body["message"]),
        (
            400,
            &json!("The low definition bitrate (9) cannot exceed the high definition one (5).")
        )
    );
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    assert_eq!(
        app.post("/data/projects", &manager, json!({"name": "Mine"}))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn tv_shows_start_with_a_first_episode() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, show) = app
        .post(
            "/data/projects",
            &admin,
            json!({"name": "Show", "production_type": "tvshow"}),
        )
        .await;
    assert_eq!(status, 201, "{show}");
    let episode = show["first_episode_id"].as_str().expect("E01 made");
    let row = app
        .db
        .fetch_optional(
            "SELECT name FROM entity WHERE id = $1",
            &[uuid::Uuid::parse_str(episode).unwrap().into()],
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row["name"], "E01");
    let id = show["id"].as_str().unwrap();
    let (_, read) = app.get(&format!("/data/projects/{id}"), &admin).await;
    assert_eq!(read["first_episode_id"], episode);
}

#[tokio::test]
async fn people_see_the_open_projects_of_their_team() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let mine = app.create_project(&admin, "Mine").await;
    let closed = app.create_project(&admin, "Closed one").await;
    let other = app.create_project(&admin, "Other").await;
    app.join_team(&mine, &artist_id, None).await;
    app.join_team(&closed, &artist_id, None).await;
    app.set_project_status(&closed, "Closed").await;

    let (_, listed) = app.get("/data/projects", &artist).await;
    let names: Vec<&Json> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, [&json!("Mine")]);
    assert_eq!(
        app.get("/data/projects", &admin)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        app.get(&format!("/data/projects/{closed}"), &artist)
            .await
            .0,
        200,
        "closed but in team"
    );
    assert_eq!(
        app.get(&format!("/data/projects/{other}"), &artist).await.0,
        403
    );

    let (status, read) = app.get(&format!("/data/projects/{mine}"), &artist).await;
    assert_eq!(status, 200);
    assert_eq!(read["team"], json!([artist_id]));
    assert_eq!(read["project_status_name"], "Open");
    assert_eq!(read["descriptors"], json!([]));
    assert_eq!(read["task_type_links"], json!({}));
}

#[tokio::test]
async fn project_managers_update_their_project_settings() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let manager_id = app.person_with_role("lead@example.com", Role::User).await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let lead = app.token_for("lead@example.com", PASSWORD).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let project = app.create_project(&admin, "Film").await;
    app.join_team(&project, &manager_id, Some(Role::Manager))
        .await;
    app.join_team(&project, &artist_id, None).await;
    let (_, task_types) = app.get("/data/task-types?for_entity=Shot", &admin).await;
    let layout = task_types[0]["id"].clone();

    let (status, updated) = app
        .put(
            &format!("/data/projects/{project}"),
            &lead,
            json!({"fps": "30", "task_types": [layout], "team": [], "project_id": "x"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["fps"], "30");
    let (_, read) = app.get(&format!("/data/projects/{project}"), &admin).await;
    assert_eq!(read["task_types"], json!([layout]));
    assert_eq!(
        read["team"].as_array().unwrap().len(),
        2,
        "the team is not edited here"
    );
    assert_eq!(
        app.put(
            &format!("/data/projects/{project}"),
            &artist,
            json!({"fps": "1"})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn only_closed_projects_are_deleted_and_force_removes_their_data() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Old").await;
    assert_eq!(
        app.delete(&format!("/data/projects/{project}"), &admin)
            .await,
        (
            400,
            json!({"error": true, "message": "Only closed projects can be deleted"})
        )
    );
    app.set_project_status(&project, "Closed").await;
    let (status, _) = app
        .post(
            "/data/milestones",
            &admin,
            json!({"project_id": project, "name": "Delivery", "date": "2027-01-01"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .delete(&format!("/data/projects/{project}"), &admin)
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("force=true"));
    assert_eq!(
        app.delete(&format!("/data/projects/{project}?force=true"), &admin)
            .await
            .0,
        204
    );
    assert_eq!(
        app.get(&format!("/data/projects/{project}"), &admin)
            .await
            .0,
        404
    );
    assert_eq!(app.get("/data/milestones", &admin).await.1, json!([]));
}
