//! The review queue: tasks waiting for feedback, by the reviewer's role.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

/// The `entity_name` of each row, in order.
fn entities(rows: &Json) -> Vec<&str> {
    rows.as_array()
        .unwrap_or_else(|| panic!("a list: {rows}"))
        .iter()
        .map(|r| r["entity_name"].as_str().unwrap())
        .collect()
}

struct Studio {
    app: TestApp,
    admin: String,
    project: String,
    other_project: String,
    episode: Json,
    artist: String,
    modeling_type: Json,
    statuses: (Json, Json),
}

async fn lookup(app: &TestApp, admin: &str, path: &str) -> Json {
    app.get(path, admin).await.1[0]["id"].clone()
}

async fn task(s: &Studio, kind: &Json, entity: &Json, people: &[&str], fields: Json) -> Json {
    let (status, task) = s
        .app
        .post(
            "/data/tasks",
            &s.admin,
            json!({"task_type_id": kind, "entity_id": entity["id"], "assignees": people}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    let (status, task) = s
        .app
        .put(&format!("/data/tasks/{}", id(&task)), &s.admin, fields)
        .await;
    assert_eq!(status, 200, "{task}");
    task
}

/// Two open projects; in the first, an artist's modeling and animation
/// tasks wait for feedback and another is in progress; in the second, an
/// unassigned task waits.
async fn studio() -> Studio {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_tvshow(&admin, "Alpha").await;
    let other_project = app.create_project(&admin, "Beta").await;
    let (episode, _, shot) = app.create_episode_shot(&admin, &project).await;
    let hero = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let tree = app
        .create_asset(&admin, &other_project, "Prop", "Tree")
        .await;
    let modeling = lookup(&app, &admin, "/data/departments?name=Modeling").await;
    let modeling_type = lookup(&app, &admin, "/data/task-types?name=Modeling").await;
    let (status, updated) = app
        .put(
            &format!("/data/task-types/{}", modeling_type.as_str().unwrap()),
            &admin,
            json!({"department_id": modeling}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let animation_type = lookup(&app, &admin, "/data/task-types?name=Animation").await;
    let wfa = lookup(&app, &admin, "/data/task-status?short_name=wfa").await;
    let wip = lookup(&app, &admin, "/data/task-status?short_name=wip").await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    for (email, role) in [
        ("manager@example.com", Role::Manager),
        ("modeler@example.com", Role::Supervisor),
        ("super@example.com", Role::Supervisor),
        ("client@example.com", Role::Client),
        ("vendor@example.com", Role::Vendor),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&project, &person, None).await;
        if email == "modeler@example.com" {
            app.db
                .insert(
                    "department_link",
                    &[
                        ("person_id", uuid::Uuid::parse_str(&person).unwrap().into()),
                        (
                            "department_id",
                            uuid::Uuid::parse_str(modeling.as_str().unwrap())
                                .unwrap()
                                .into(),
                        ),
                    ],
                )
                .await
                .unwrap();
        }
    }
    app.join_team(&project, &artist, None).await;
    let s = Studio {
        app,
        admin,
        project,
        other_project,
        episode,
        artist,
        modeling_type,
        statuses: (wfa, wip),
    };
    let (wfa, wip) = &s.statuses;
    task(
        &s,
        &s.modeling_type,
        &hero,
        &[&s.artist],
        json!({"task_status_id": wfa, "duration": 120, "due_date": "2026-12-10T00:00:00"}),
    )
    .await;
    task(
        &s,
        &animation_type,
        &shot,
        &[&s.artist],
        json!({"task_status_id": wfa, "duration": 60, "priority": 2, "due_date": "2026-12-20T00:00:00"}),
    )
    .await;
    task(
        &s,
        &s.modeling_type,
        &tree,
        &[],
        json!({"task_status_id": wfa}),
    )
    .await;
    let rig = s
        .app
        .create_asset(&s.admin, &s.project, "Character", "Villain")
        .await;
    task(
        &s,
        &s.modeling_type,
        &rig,
        &[&s.artist],
        json!({"task_status_id": wip}),
    )
    .await;
    s
}

#[tokio::test]
async fn the_queue_follows_the_reviewer_s_studio_role() {
    let s = studio().await;
    let app = &s.app;
    let queue = "/data/user/tasks-to-check";
    let (status, all) = app.get(queue, &s.admin).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        entities(&all),
        ["Hero", "SH010", "Tree"],
        "every open project"
    );

    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let (_, rows) = app.get(queue, &manager).await;
    assert_eq!(entities(&rows), ["Hero", "SH010"], "their team's projects");
    let row = &rows[1];
    assert_eq!(
        (
            &row["type"],
            &row["project_name"],
            &row["sequence_name"],
            &row["episode_name"],
            &row["episode_id"],
            &row["task_type_name"],
            &row["task_status_short_name"],
            &row["assignees"],
            &row["task_duration"],
            &row["last_comment"],
        ),
        (
            &json!("Task"),
            &json!("Alpha"),
            &json!("SQ01"),
            &json!("E01"),
            &s.episode["id"],
            &json!("Animation"),
            &json!("wfa"),
            &json!([s.artist]),
            &json!(60.0),
            &json!({}),
        )
    );
    assert_eq!(keys(row), sample_keys("GET__data__user__tasks-to-check"));
    assert!(row.get("episode_ids").is_none(), "{row}");

    let modeler = app.token_for("modeler@example.com", PASSWORD).await;
    let (_, rows) = app.get(queue, &modeler).await;
    assert_eq!(entities(&rows), ["Hero"], "their department's task types");
    let supervisor = app.token_for("super@example.com", PASSWORD).await;
    let (_, rows) = app.get(queue, &supervisor).await;
    assert_eq!(
        entities(&rows),
        ["Hero", "SH010"],
        "no department, no filter"
    );
    for email in [
        "artist@example.com",
        "client@example.com",
        "vendor@example.com",
    ] {
        let token = app.token_for(email, PASSWORD).await;
        assert_eq!(app.get(queue, &token).await, (200, json!([])), "{email}");
        let (_, paged) = app.get(&format!("{queue}?page=1"), &token).await;
        assert_eq!(
            paged,
            json!({"data": [], "stats": {"total": 0, "total_duration": 0, "total_estimation": 0},
                   "page": 1, "limit": 100, "is_more": false})
        );
    }

    // A closed project leaves the queue.
    app.set_project_status(&s.other_project, "Closed").await;
    let (_, rows) = app.get(queue, &s.admin).await;
    assert_eq!(entities(&rows), ["Hero", "SH010"]);
}

#[tokio::test]
async fn the_queue_filters_orders_and_pages() {
    let s = studio().await;
    let app = &s.app;
    let get = |query: String| {
        let app = &s.app;
        let admin = s.admin.clone();
        async move {
            let (status, body) = app
                .get(&format!("/data/user/tasks-to-check?{query}"), &admin)
                .await;
            assert_eq!(status, 200, "{query}: {body}");
            body
        }
    };
    let rows = get(format!("project_id={}", s.other_project)).await;
    assert_eq!(entities(&rows), ["Tree"]);
    let rows = get(format!(
        "task_type_id={}",
        s.modeling_type.as_str().unwrap()
    ))
    .await;
    assert_eq!(entities(&rows), ["Hero", "Tree"]);
    let rows = get(format!("task_status_id={}", s.statuses.1.as_str().unwrap())).await;
    assert_eq!(rows, json!([]), "in progress is not waiting for feedback");
    let rows = get(format!("episode_id={}", id(&s.episode))).await;
    assert_eq!(entities(&rows), ["SH010"]);
    let rows = get("person_id=unassigned".into()).await;
    assert_eq!(entities(&rows), ["Tree"]);
    let zero = "00000000-0000-0000-0000-000000000000";
    let rows = get(format!("person_id={zero},{}", s.artist)).await;
    assert_eq!(entities(&rows), ["Hero", "SH010"]);
    let rows = get("due_date_since=2026-12-15".into()).await;
    assert_eq!(entities(&rows), ["SH010"]);
    let rows = get("due_date_until=2026-12-10T00:00:00".into()).await;
    assert_eq!(entities(&rows), ["Hero"], "inclusive");
    let rows = get("order_by=priority".into()).await;
    assert_eq!(entities(&rows), ["SH010", "Hero", "Tree"]);
    let rows = get("order_by=due_date".into()).await;
    assert_eq!(entities(&rows), ["Hero", "SH010", "Tree"]);

    let paged = get("page=1&limit=2".into()).await;
    assert_eq!(entities(&paged["data"]), ["Hero", "SH010"]);
    assert_eq!(
        (
            &paged["stats"],
            &paged["page"],
            &paged["limit"],
            &paged["is_more"]
        ),
        (
            &json!({"total": 3, "total_duration": 180.0, "total_estimation": 0}),
            &json!(1),
            &json!(2),
            &json!(true)
        )
    );
    let paged = get("page=2&limit=2".into()).await;
    assert_eq!(
        (entities(&paged["data"]), &paged["is_more"]),
        (vec!["Tree"], &json!(false))
    );
    let paged = get("page=0&limit=-5".into()).await;
    assert_eq!(
        (&paged["page"], &paged["limit"], entities(&paged["data"])),
        (&json!(1), &json!(1), vec!["Hero"])
    );
    let paged = get("page=9".into()).await;
    assert_eq!(
        (&paged["data"], &paged["stats"]["total"]),
        (&json!([]), &json!(3))
    );

    for (query, message) in [
        ("project_id=bad", "Wrong UUID format."),
        ("episode_id=", "Wrong UUID format."),
        ("person_id=unassigned,bad", "Wrong UUID format."),
        (
            "due_date_since=soon",
            "Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05",
        ),
        ("page=first", "Wrong value for parameter page."),
        ("limit=1.5", "Wrong value for parameter limit."),
    ] {
        let (status, body) = app
            .get(&format!("/data/user/tasks-to-check?{query}"), &s.admin)
            .await;
        assert_eq!((status, &body["message"]), (400, &json!(message)), "{query}");
    }
}

#[tokio::test]
async fn filter_values_list_what_the_queue_holds() {
    let s = studio().await;
    let app = &s.app;
    let path = "/data/user/tasks-to-check/filter-values";
    let modeler = app.token_for("modeler@example.com", PASSWORD).await;
    let (status, values) = app.get(path, &modeler).await;
    assert_eq!(status, 200, "{values}");
    assert_eq!(
        values,
        json!({"project_ids": [s.project], "task_type_ids": [s.modeling_type],
               "task_status_ids": [s.statuses.0], "episode_ids": [], "person_ids": [s.artist]})
    );
    let (_, values) = app.get(path, &s.admin).await;
    let mut projects = vec![s.project.clone(), s.other_project.clone()];
    projects.sort();
    assert_eq!(values["project_ids"], json!(projects));
    assert_eq!(values["episode_ids"], json!([s.episode["id"]]));
    assert_eq!(values["task_type_ids"].as_array().unwrap().len(), 2);
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(
        app.get(path, &artist).await.1,
        json!({"project_ids": [], "task_type_ids": [], "task_status_ids": [], "episode_ids": [],
               "person_ids": []})
    );
}
