//! Assigning, unassigning, re-prioritising tasks and logging time on them.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Studio {
    admin: String,
    project: String,
    /// A Modeling task (department Modeling) and an Animation task (department Animation).
    modeling: Json,
    animation: Json,
    manager: String,
    supervisor: String,
    artist: String,
    artist_id: String,
    animator_id: String,
    client: String,
}

async fn department_of(app: &TestApp, admin: &str, task_type: &str) -> String {
    let (_, types) = app
        .get(&format!("/data/task-types?name={task_type}"), admin)
        .await;
    types[0]["department_id"].as_str().unwrap().to_string()
}

async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}");
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!("{base}/asset-types/{}/assets/new", id(&types[0])),
            &admin,
            json!({"name": "Hero"}),
        )
        .await;
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "Q1"}))
        .await;
    let (_, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH1", "sequence_id": sequence["id"]}),
        )
        .await;
    let mut tasks = Vec::new();
    for (name, entity) in [("Modeling", &asset), ("Animation", &shot)] {
        let (_, task_type) = app
            .get(&format!("/data/task-types?name={name}"), &admin)
            .await;
        let (status, task) = app
            .post(
                "/data/tasks",
                &admin,
                json!({"task_type_id": task_type[0]["id"], "entity_id": entity["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{task}");
        tasks.push(task);
    }
    let modeling_department = department_of(app, &admin, "Modeling").await;
    let animation_department = department_of(app, &admin, "Animation").await;
    let mut people = Vec::new();
    for (email, role, department) in [
        ("manager@example.com", Role::Manager, None),
        (
            "supervisor@example.com",
            Role::Supervisor,
            Some(&modeling_department),
        ),
        ("artist@example.com", Role::User, Some(&modeling_department)),
        (
            "animator@example.com",
            Role::User,
            Some(&animation_department),
        ),
        (
            "client@example.com",
            Role::Client,
            Some(&modeling_department),
        ),
    ] {
        let person = app.person_with_role(email, role).await;
        if email != "animator@example.com" {
            app.join_team(&project, &person, None).await;
        }
        if let Some(department) = department {
            app.db
                .insert(
                    "department_link",
                    &[
                        ("person_id", uuid::Uuid::parse_str(&person).unwrap().into()),
                        (
                            "department_id",
                            uuid::Uuid::parse_str(department).unwrap().into(),
                        ),
                    ],
                )
                .await
                .unwrap();
        }
        people.push((person, app.token_for(email, PASSWORD).await));
    }
    let mut people = people.into_iter();
    let mut next = || people.next().unwrap();
    let (_, manager) = next();
    let (_, supervisor) = next();
    let (artist_id, artist) = next();
    let (animator_id, _) = next();
    let (_, client) = next();
    let animation = tasks.pop().unwrap();
    let modeling = tasks.pop().unwrap();
    Studio {
        admin,
        project,
        modeling,
        animation,
        manager,
        supervisor,
        artist,
        artist_id,
        animator_id,
        client,
    }
}

#[tokio::test]
async fn tasks_are_assigned_by_the_rules_of_departments() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let modeling = format!("/actions/tasks/{}/assign", id(&s.modeling));
    let (status, task) = app
        .put(&modeling, &s.supervisor, json!({"person_id": s.artist_id}))
        .await;
    assert_eq!(status, 200, "{task}");
    assert_eq!(task["assignees"], json!([s.artist_id]));
    assert_eq!(task["type"], "Task");
    let notified = app
        .db
        .fetch_all(
            "SELECT type, person_id FROM notification WHERE task_id = $1",
            &[uuid::Uuid::parse_str(&id(&s.modeling)).unwrap().into()],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (notified.len(), &notified[0]["type"]),
        (1, &json!("assignation"))
    );

    assert_eq!(
        app.put(
            &modeling,
            &s.supervisor,
            json!({"person_id": s.animator_id})
        )
        .await
        .0,
        403,
        "the animator shares no department with the supervisor"
    );
    let (status, pulled_in) = app
        .put(&modeling, &s.manager, json!({"person_id": s.animator_id}))
        .await;
    assert_eq!(status, 200, "{pulled_in}");
    let (_, team) = app
        .get(&format!("/data/projects/{}/team", s.project), &s.admin)
        .await;
    assert!(
        team.to_string().contains(&s.animator_id),
        "assigning brings into the team"
    );

    let animation = format!("/actions/tasks/{}/assign", id(&s.animation));
    assert_eq!(
        app.put(&animation, &s.artist, json!({"person_id": s.artist_id}))
            .await
            .0,
        403,
        "not their department"
    );
    let client_id = app.login("client@example.com", PASSWORD).await.1["user"]["id"].clone();
    assert_eq!(
        app.put(&modeling, &s.client, json!({"person_id": client_id}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.put(
            &modeling,
            &s.manager,
            json!({"person_id": uuid::Uuid::new_v4()})
        )
        .await,
        (400, json!({"error": "Assignee doesn't exist in database."}))
    );

    let batch = format!("/actions/persons/{}/assign", s.artist_id);
    let (status, assigned) = app
        .put(
            &batch,
            &s.manager,
            json!({"task_ids": [id(&s.modeling), id(&s.animation), "nope"]}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned.as_array().unwrap().len(), 2);
    assert_eq!(
        app.put(&batch, &s.manager, json!({"task_ids": []})).await.0,
        400
    );
}

/// How many rows of `table` match `filter` (SQL on the test's own connection).
async fn count(app: &TestApp, table: &str, filter: &str) -> usize {
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}");
    let rows = app.db.fetch_all(&sql, &[], None).await.unwrap();
    rows[0]["n"].as_i64().unwrap() as usize
}

#[tokio::test]
async fn a_batch_assignment_answers_in_order_and_tells_each_new_assignee_once() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let batch = format!("/actions/persons/{}/assign", s.animator_id);
    let ids = json!([id(&s.animation), id(&s.modeling), id(&s.animation)]);
    let (status, assigned) = app
        .put(&batch, &s.manager, json!({"task_ids": ids.clone()}))
        .await;
    assert_eq!(status, 200, "{assigned}");
    let answered: Vec<(&Json, &Json, &Json)> = assigned
        .as_array()
        .unwrap()
        .iter()
        .map(|task| (&task["id"], &task["assignees"], &task["type"]))
        .collect();
    let animator = json!([s.animator_id]);
    assert_eq!(
        answered,
        [
            (&s.animation["id"], &animator, &json!("Task")),
            (&s.modeling["id"], &animator, &json!("Task")),
        ],
        "each task once, in the order asked"
    );
    assert_ne!(assigned[0]["assigner_id"], Json::Null);
    let person = format!("person_id = '{}'", s.animator_id);
    assert_eq!(count(&app, "notification", &person).await, 2);
    assert_eq!(count(&app, "task_person_link", &person).await, 2);
    assert_eq!(
        count(&app, "project_person_link", &person).await,
        1,
        "in the team once"
    );
    let events = |name: &str| format!("name = '{name}'");
    assert_eq!(count(&app, "api_event", &events("task:assign")).await, 2);
    assert_eq!(count(&app, "api_event", &events("project:update")).await, 1);

    let (status, again) = app
        .put(&batch, &s.manager, json!({"task_ids": ids.clone()}))
        .await;
    assert_eq!((status, again.as_array().unwrap().len()), (200, 2));
    assert_eq!(
        count(&app, "notification", &person).await,
        2,
        "nobody is told twice"
    );
    assert_eq!(count(&app, "api_event", &events("task:assign")).await, 2);
    assert_eq!(count(&app, "task_person_link", &person).await, 2);

    let clear = "/actions/tasks/clear-assignation";
    let (_, cleared) = app.put(clear, &s.manager, json!({"task_ids": ids})).await;
    assert_eq!(cleared, json!([id(&s.animation), id(&s.modeling)]));
    assert_eq!(count(&app, "task_person_link", &person).await, 0);
    assert_eq!(count(&app, "api_event", &events("task:unassign")).await, 2);
}

#[tokio::test]
async fn assignations_are_cleared_and_priorities_set_by_who_may() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let batch = format!("/actions/persons/{}/assign", s.artist_id);
    app.put(
        &batch,
        &s.manager,
        json!({"task_ids": [id(&s.modeling), id(&s.animation)]}),
    )
    .await;
    let clear = "/actions/tasks/clear-assignation";
    let (_, refused) = app
        .put(clear, &s.artist, json!({"task_ids": [id(&s.animation)]}))
        .await;
    assert_eq!(refused, json!([]), "an artist clears only themselves");
    let (_, cleared) = app
        .put(
            clear,
            &s.artist,
            json!({"task_ids": [id(&s.animation)], "person_id": s.artist_id}),
        )
        .await;
    assert_eq!(cleared, json!([id(&s.animation)]));
    let (_, all) = app
        .put(
            clear,
            &s.supervisor,
            json!({"task_ids": [id(&s.modeling), id(&s.animation)]}),
        )
        .await;
    assert_eq!(
        all,
        json!([id(&s.modeling)]),
        "a supervisor clears their department's tasks"
    );
    let (_, task) = app
        .get(&format!("/data/tasks/{}", id(&s.modeling)), &s.admin)
        .await;
    assert_eq!(task["assignees"], json!([]));

    let priority = "/actions/tasks/set-priority";
    let (status, set) = app
        .put(
            priority,
            &s.supervisor,
            json!({"task_ids": [id(&s.modeling), id(&s.animation)], "priority": "3"}),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set.as_array().unwrap().len(), 1);
    assert_eq!(
        (&set[0]["id"], &set[0]["priority"]),
        (&s.modeling["id"], &json!(3))
    );
    assert_eq!(
        app.put(
            priority,
            &s.artist,
            json!({"task_ids": [id(&s.modeling)], "priority": 1})
        )
        .await
        .1,
        json!([])
    );
    assert_eq!(
        app.put(
            priority,
            &s.manager,
            json!({"task_ids": [id(&s.modeling)], "priority": -1})
        )
        .await
        .0,
        400
    );
    let (_, view) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={}", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(view[0]["tasks"][0]["priority"], 3, "the cache follows");
}

#[tokio::test]
async fn assignees_log_their_time_and_managers_log_it_for_them() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let task = id(&s.modeling);
    app.put(
        &format!("/actions/tasks/{task}/assign"),
        &s.manager,
        json!({"person_id": s.artist_id}),
    )
    .await;
    let url = |date: &str, person: &str| {
        format!("/actions/tasks/{task}/time-spents/{date}/persons/{person}")
    };
    let (status, logged) = app
        .post(
            &url("2027-01-04", &s.artist_id),
            &s.artist,
            json!({"duration": 60}),
        )
        .await;
    assert_eq!(status, 201, "{logged}");
    assert_eq!(
        (&logged["duration"], &logged["type"]),
        (&json!(60.0), &json!("TimeSpent"))
    );
    let (_, added) = app
        .post(
            &format!("{}/add", url("2027-01-04", &s.artist_id)),
            &s.manager,
            json!({"duration": 30}),
        )
        .await;
    assert_eq!(added["duration"], 90.0);
    app.post(
        &url("2027-01-05", &s.artist_id),
        &s.artist,
        json!({"duration": 15}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/data/tasks/{task}"), &s.admin).await.1["duration"],
        105.0
    );
    let (_, all) = app
        .get(&format!("/actions/tasks/{task}/time-spents"), &s.artist)
        .await;
    assert_eq!(all["total"], 105.0);
    assert_eq!(all[&s.artist_id].as_array().unwrap().len(), 2);
    let (_, one_day) = app
        .get(
            &format!("/actions/tasks/{task}/time-spents/2027-01-06"),
            &s.artist,
        )
        .await;
    assert_eq!(one_day, json!({"total": 0}));

    assert_eq!(
        app.post(
            &url("2027-01-04", &s.animator_id),
            &s.manager,
            json!({"duration": 60})
        )
        .await
        .0,
        403,
        "the animator is not on the task"
    );
    assert_eq!(
        app.post(
            &url("2027-01-04", &s.artist_id),
            &s.supervisor,
            json!({"duration": 60})
        )
        .await
        .0,
        403,
        "supervisors do not log for others"
    );
    assert_eq!(
        app.post(
            &url("2027-02-30", &s.artist_id),
            &s.artist,
            json!({"duration": 60})
        )
        .await
        .1["message"],
        "Invalid date format."
    );
    assert_eq!(
        app.post(
            &url("2027-01-04", &s.artist_id),
            &s.artist,
            json!({"duration": 0})
        )
        .await
        .0,
        400
    );

    let (status, deleted) = app
        .delete(&url("2027-01-05", &s.artist_id), &s.artist)
        .await;
    assert_eq!((status, &deleted["duration"]), (201, &json!(0)));
    assert_eq!(
        app.delete(&url("2027-01-05", &s.artist_id), &s.artist)
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&format!("/data/tasks/{task}"), &s.admin).await.1["duration"],
        90.0
    );
}
