//! Production schedule versions: copying plannings in and applying them.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Plan {
    admin: String,
    project: String,
    tasks: Vec<Json>,
    artist: String,
}

async fn plan(app: &TestApp) -> Plan {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let asset = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let mut tasks = Vec::new();
    for (name, start, estimation) in [
        ("Modeling", "2027-01-04T00:00:00", 3.0),
        ("Rigging", "2027-02-01T00:00:00", 5.0),
    ] {
        let (_, task_type) = app
            .get(&format!("/data/task-types?name={name}"), &admin)
            .await;
        let (status, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": task_type[0]["id"], "entity_id": asset["id"], "start_date": start,
                       "estimation": estimation, "assignees": [artist]}),
            )
            .await;
        assert_eq!(status, 201, "{task}");
        tasks.push(task);
    }
    Plan {
        admin,
        project,
        tasks,
        artist,
    }
}

async fn new_version(app: &TestApp, p: &Plan, name: &str) -> String {
    let (status, version) = app
        .post(
            "/data/production-schedule-versions",
            &p.admin,
            json!({"name": name, "project_id": p.project}),
        )
        .await;
    assert_eq!(status, 201, "{version}");
    id(&version)
}

#[tokio::test]
async fn a_version_copies_the_production_and_applies_back_to_it() {
    let app = spawn_app().await;
    let p = plan(&app).await;
    let v1 = new_version(&app, &p, "V1").await;
    let actions = format!("/actions/production-schedule-versions/{v1}");
    let (status, copied) = app
        .post(
            &format!("{actions}/set-task-links-from-production"),
            &p.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{copied}");
    assert_eq!(copied, json!({"success": true, "task_link_count": 2}));
    let links_url = format!("/data/production-schedule-versions/{v1}/task-links");
    let (_, links) = app
        .get(&format!("{links_url}?relations=true"), &p.admin)
        .await;
    assert_eq!(links.as_array().unwrap().len(), 2);
    assert_eq!(links[0]["assignees"], json!([p.artist]));
    assert_eq!(links[0]["type"], "ProductionScheduleVersionTaskLink");
    let (_, plain) = app.get(&links_url, &p.admin).await;
    assert!(plain[0].get("assignees").is_none());
    let modeling = p.tasks[0]["task_type_id"].as_str().unwrap();
    let (_, filtered) = app
        .get(&format!("{links_url}?task_type_id={modeling}"), &p.admin)
        .await;
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["estimation"], 3.0);
    assert_eq!(
        app.get(&format!("{links_url}?task_type_id=nope"), &p.admin)
            .await
            .0,
        400
    );

    let link = filtered[0]["id"].as_str().unwrap();
    app.put(
        &format!("/data/production-schedule-version-task-links/{link}"),
        &p.admin,
        json!({"estimation": 8.0, "start_date": "2027-03-01T00:00:00"}),
    )
    .await;
    let (status, applied) = app
        .post(
            &format!("{actions}/apply-to-production"),
            &p.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied, json!({"success": true, "task_count": 2}));
    let (_, task) = app
        .get(&format!("/data/tasks/{}", id(&p.tasks[0])), &p.admin)
        .await;
    assert_eq!(
        (&task["estimation"], &task["start_date"]),
        (&json!(8.0), &json!("2027-03-01T00:00:00"))
    );
    let (_, version) = app
        .get(
            &format!("/data/production-schedule-versions/{v1}"),
            &p.admin,
        )
        .await;
    assert_eq!(version["locked"], true);
    let (_, project) = app
        .get(&format!("/data/projects/{}", p.project), &p.admin)
        .await;
    assert_eq!(project["from_schedule_version_id"], json!(v1));
    let (_, view) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", p.project),
            &p.admin,
        )
        .await;
    let cached = view[0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == p.tasks[0]["id"])
        .unwrap()
        .clone();
    assert_eq!(cached["estimation"], 8.0, "the cache follows");
}

#[tokio::test]
async fn a_version_copies_another_of_its_project_and_only_managers_act() {
    let app = spawn_app().await;
    let p = plan(&app).await;
    let v1 = new_version(&app, &p, "V1").await;
    let v2 = new_version(&app, &p, "V2").await;
    app.post(
        &format!("/actions/production-schedule-versions/{v1}/set-task-links-from-production"),
        &p.admin,
        json!({}),
    )
    .await;
    let copy = format!(
        "/actions/production-schedule-versions/{v2}/set-task-links-from-production-schedule-version"
    );
    let (status, copied) = app
        .post(
            &copy,
            &p.admin,
            json!({"production_schedule_version_id": v1}),
        )
        .await;
    assert_eq!(status, 200, "{copied}");
    assert_eq!(copied["task_link_count"], 2);
    let (_, v2_links) = app
        .get(
            &format!("/data/production-schedule-versions/{v2}/task-links?relations=true"),
            &p.admin,
        )
        .await;
    assert_eq!(v2_links.as_array().unwrap().len(), 2);
    assert_eq!(v2_links[1]["assignees"], json!([p.artist]));
    let (_, version) = app
        .get(
            &format!("/data/production-schedule-versions/{v2}"),
            &p.admin,
        )
        .await;
    assert_eq!(version["production_schedule_from"], json!(v1));
    assert_eq!(
        app.post(
            &copy,
            &p.admin,
            json!({"production_schedule_version_id": v2})
        )
        .await
        .1["message"],
        "A production schedule version cannot be copied onto itself."
    );
    let other = app.create_project(&p.admin, "Other").await;
    let (_, v3) = app
        .post(
            "/data/production-schedule-versions",
            &p.admin,
            json!({"name": "V3", "project_id": other}),
        )
        .await;
    assert_eq!(
        app.post(
            &copy,
            &p.admin,
            json!({"production_schedule_version_id": v3["id"]})
        )
        .await
        .1["message"],
        "Production schedule versions must belong to the same project."
    );
    assert_eq!(app.post(&copy, &p.admin, json!({})).await.0, 400);

    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(
        app.get(
            &format!("/data/production-schedule-versions/{v2}/task-links"),
            &artist
        )
        .await
        .0,
        200
    );
    assert_eq!(app.post(&copy, &artist, json!({})).await.0, 403);
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.post(
            &format!("/actions/production-schedule-versions/{unknown}/apply-to-production"),
            &artist,
            json!({})
        )
        .await
        .0,
        404
    );
}
