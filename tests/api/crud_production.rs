//! Project-scoped planning models: who of the team may read and write them.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Team {
    admin: String,
    project: String,
    manager: String,
    supervisor: String,
    artist: String,
    client: String,
    vendor: String,
    outsider: String,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let mut tokens = Vec::new();
    for (email, role) in [
        ("manager@example.com", Role::Manager),
        ("supervisor@example.com", Role::Supervisor),
        ("artist@example.com", Role::User),
        ("client@example.com", Role::Client),
        ("vendor@example.com", Role::Vendor),
    ] {
        let id = app.person_with_role(email, role).await;
        app.join_team(&project, &id, None).await;
        tokens.push(app.token_for(email, PASSWORD).await);
    }
    app.person_with_role("outsider@example.com", Role::Manager)
        .await;
    let outsider = app.token_for("outsider@example.com", PASSWORD).await;
    let [manager, supervisor, artist, client, vendor]: [String; 5] = tokens.try_into().unwrap();
    Team {
        admin,
        project,
        manager,
        supervisor,
        artist,
        client,
        vendor,
        outsider,
    }
}

#[tokio::test]
async fn milestones_are_read_by_the_team_and_set_by_managers() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let body = json!({"project_id": t.project, "name": "Delivery", "date": "2027-03-01"});
    assert_eq!(
        app.post("/data/milestones", &t.artist, body.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        app.post("/data/milestones", &t.outsider, body.clone())
            .await
            .0,
        403
    );
    let (status, milestone) = app.post("/data/milestones", &t.manager, body).await;
    assert_eq!(status, 201, "{milestone}");
    let id = milestone["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/data/milestones/{id}"), &t.client)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get(&format!("/data/milestones/{id}"), &t.vendor)
            .await
            .0,
        403
    );
    assert_eq!(
        app.get(&format!("/data/milestones/{id}"), &t.outsider)
            .await
            .0,
        403
    );
    assert_eq!(
        app.get("/data/milestones", &t.manager).await.0,
        403,
        "lists are for admins"
    );
    let (status, moved) = app
        .put(
            &format!("/data/milestones/{id}"),
            &t.manager,
            json!({"date": "2027-04-01"}),
        )
        .await;
    assert_eq!((status, &moved["date"]), (200, &json!("2027-04-01")));
    assert_eq!(
        app.put(
            &format!("/data/milestones/{id}"),
            &t.manager,
            json!({"date": "someday"})
        )
        .await
        .1["message"],
        "Invalid date format for 'date': 'someday'. Expected an ISO 8601 date or datetime."
    );
}

#[tokio::test]
async fn schedule_items_are_unique_per_task_type_and_object() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (_, layout) = app.get("/data/task-types?name=Layout", &t.admin).await;
    let body = json!({"project_id": t.project, "task_type_id": layout[0]["id"], "start_date": "2027-01-01"});
    let (status, item) = app
        .post("/data/schedule-items", &t.manager, body.clone())
        .await;
    assert_eq!(status, 201, "{item}");
    assert_eq!(
        app.post("/data/schedule-items", &t.manager, body).await.1["message"],
        "A similar schedule item already exists"
    );
    let id = item["id"].as_str().unwrap();
    assert_eq!(
        app.put(
            &format!("/data/schedule-items/{id}"),
            &t.supervisor,
            json!({"man_days": 4})
        )
        .await
        .0,
        200,
        "a supervisor without department moves schedules"
    );
    assert_eq!(
        app.put(
            &format!("/data/schedule-items/{id}"),
            &t.artist,
            json!({"man_days": 5})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.delete(&format!("/data/schedule-items/{id}"), &t.supervisor)
            .await
            .0,
        403
    );
    assert_eq!(
        app.delete(&format!("/data/schedule-items/{id}"), &t.manager)
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn schedule_versions_are_listed_per_project_for_the_studio_team() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (status, version) = app
        .post(
            "/data/production-schedule-versions",
            &t.manager,
            json!({"project_id": t.project, "name": "v1"}),
        )
        .await;
    assert_eq!(status, 201, "{version}");
    assert_eq!(version["locked"], false);
    let url = format!(
        "/data/production-schedule-versions?project_id={}",
        t.project
    );
    assert_eq!(
        app.get(&url, &t.artist).await.1.as_array().unwrap().len(),
        1
    );
    assert_eq!(app.get(&url, &t.client).await.0, 403);
    assert_eq!(app.get(&url, &t.outsider).await.0, 403);
    assert_eq!(
        app.get("/data/production-schedule-versions", &t.artist)
            .await
            .0,
        403
    );
    assert_eq!(
        app.get(
            "/data/production-schedule-versions?project_id=nope",
            &t.artist
        )
        .await
        .1["message"],
        "Invalid project_id."
    );
}

#[tokio::test]
async fn playlists_follow_roles_and_client_visibility() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (status, internal) = app
        .post(
            "/data/playlists",
            &t.supervisor,
            json!({"project_id": t.project, "name": "Dailies", "episode_id": "all"}),
        )
        .await;
    assert_eq!(status, 201, "{internal}");
    assert_eq!(internal["for_entity"], "shot");
    assert!(internal["episode_id"].is_null());
    let supervisor_id = app.login("supervisor@example.com", PASSWORD).await.1["user"]["id"].clone();
    assert_eq!(internal["created_by"], supervisor_id);
    let (_, review) = app
        .post(
            "/data/playlists",
            &t.manager,
            json!({"project_id": t.project, "name": "Review", "for_client": true}),
        )
        .await;
    assert_eq!(
        app.post(
            "/data/playlists",
            &t.manager,
            json!({"project_id": t.project, "name": "X", "for_entity": "prop"})
        )
        .await
        .1["message"],
        "for_entity must be one of shot, asset, sequence, edit, episode"
    );
    assert_eq!(
        app.post(
            "/data/playlists",
            &t.artist,
            json!({"project_id": t.project, "name": "Mine"})
        )
        .await
        .0,
        403
    );

    let names = |list: &Json| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&app.get("/data/playlists", &t.artist).await.1),
        ["Dailies", "Review"]
    );
    assert_eq!(
        names(&app.get("/data/playlists", &t.client).await.1),
        ["Review"]
    );
    assert_eq!(app.get("/data/playlists", &t.vendor).await.0, 403);
    assert_eq!(app.get("/data/playlists", &t.outsider).await.1, json!([]));
    let internal_id = internal["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/data/playlists/{internal_id}"), &t.client)
            .await
            .0,
        403
    );
    assert_eq!(
        app.get(
            &format!("/data/playlists/{}", review["id"].as_str().unwrap()),
            &t.client
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.delete(
            &format!("/data/playlists/{}", review["id"].as_str().unwrap()),
            &t.supervisor
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.delete(&format!("/data/playlists/{internal_id}"), &t.supervisor)
            .await
            .0,
        204
    );
}

#[tokio::test]
async fn descriptors_are_listed_per_role_and_validated() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let descriptor = |name: &str, for_client: bool| {
        json!({"project_id": t.project, "entity_type": "Asset", "name": name, "field_name": name,
               "data_type": "string", "for_client": for_client})
    };
    assert_eq!(
        app.post(
            "/data/metadata-descriptors",
            &t.admin,
            descriptor("difficulty", false)
        )
        .await
        .0,
        201
    );
    assert_eq!(
        app.post(
            "/data/metadata-descriptors",
            &t.admin,
            descriptor("budget", true)
        )
        .await
        .0,
        201
    );
    let mut bad = descriptor("x", false);
    bad["data_type"] = json!("colour");
    assert_eq!(
        app.post("/data/metadata-descriptors", &t.admin, bad)
            .await
            .1["message"],
        "Invalid data_type"
    );
    let count = |list: Json| list.as_array().unwrap().len();
    assert_eq!(
        count(app.get("/data/metadata-descriptors", &t.artist).await.1),
        2
    );
    assert_eq!(
        count(app.get("/data/metadata-descriptors", &t.client).await.1),
        1
    );
    assert_eq!(
        count(app.get("/data/metadata-descriptors", &t.outsider).await.1),
        0
    );
}

#[tokio::test]
async fn time_spents_keep_the_task_duration_exact() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (_, types) = app.get("/data/entity-types?name=Character", &t.admin).await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &t.admin).await;
    let (_, asset) = app
        .post(
            "/data/entities",
            &t.admin,
            json!({"name": "Bunny", "project_id": t.project, "entity_type_id": types[0]["id"]}),
        )
        .await;
    let artist_id = app.login("artist@example.com", PASSWORD).await.1["user"]["id"].clone();
    let (_, task) = app
        .post("/data/tasks", &t.admin, json!({"task_type_id": modeling[0]["id"], "entity_id": asset["id"], "assignees": [artist_id]}))
        .await;
    let log = |date: &str, duration: f64| json!({"task_id": task["id"], "person_id": artist_id, "date": date, "duration": duration});
    let (status, first) = app
        .post("/data/time-spents", &t.admin, log("2027-01-04", 120.0))
        .await;
    assert_eq!(status, 201, "{first}");
    app.post("/data/time-spents", &t.admin, log("2027-01-05", 60.0))
        .await;
    let task_url = format!("/data/tasks/{}", task["id"].as_str().unwrap());
    assert_eq!(app.get(&task_url, &t.admin).await.1["duration"], 180.0);
    assert_eq!(
        app.post("/data/time-spents", &t.admin, log("2027-01-06", 0.0))
            .await,
        (
            400,
            json!({"message": "The data conflicts with database integrity rules."})
        )
    );
    let (_, range) = app
        .get(
            "/data/time-spents?start_date=2027-01-05&end_date=2027-01-31",
            &t.admin,
        )
        .await;
    assert_eq!(range.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/data/time-spents?start_date=2027-01-05", &t.admin)
            .await
            .0,
        400
    );
    let id = first["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/data/time-spents/{id}"), &t.manager)
            .await
            .0,
        204
    );
    assert_eq!(app.get(&task_url, &t.admin).await.1["duration"], 60.0);
}

#[tokio::test]
async fn budgets_are_for_admins_and_keep_their_revision() {
    let app = spawn_app().await;
    let t = team(&app).await;
    assert_eq!(app.get("/data/budgets", &t.manager).await.0, 403);
    let (status, budget) = app
        .post(
            "/data/budgets",
            &t.admin,
            json!({"project_id": t.project, "name": "Main", "currency": "EUR"}),
        )
        .await;
    assert_eq!(status, 201, "{budget}");
    assert_eq!(budget["revision"], 1);
    let id = budget["id"].as_str().unwrap();
    let (_, updated) = app
        .put(
            &format!("/data/budgets/{id}"),
            &t.admin,
            json!({"revision": 7, "name": "Final"}),
        )
        .await;
    assert_eq!(
        (&updated["revision"], &updated["name"]),
        (&json!(1), &json!("Final"))
    );
    let (_, animation) = app.get("/data/departments?name=Animation", &t.admin).await;
    let (status, entry) = app
        .post(
            "/data/budget-entries",
            &t.admin,
            json!({"budget_id": id, "department_id": animation[0]["id"], "start_date": "2027-01-01",
                   "months_duration": 3, "daily_salary": 300, "seniority": "guru"}),
        )
        .await;
    assert_eq!(status, 400, "{entry}");
    assert_eq!(app.get("/data/budget-entries", &t.admin).await.1, json!([]));
}
