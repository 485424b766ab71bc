//! Creating a task type's tasks on a project's assets, shots, edits,
//! concepts or entities of a named type.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Studio {
    admin: String,
    project: String,
    sequence: String,
    shot: String,
    hero: String,
    prop: String,
    edit: String,
    concept: String,
    manager_id: String,
    /// manager, supervisor, artist, client, vendor, outsider (a manager out of the team).
    people: Vec<Member>,
}

impl Studio {
    fn token(&self, who: &str) -> &str {
        &self.people.iter().find(|m| m.who == who).unwrap().token
    }
}

const CREW: &[(&str, Role, bool)] = &[
    ("manager", Role::Manager, true),
    ("supervisor", Role::Supervisor, true),
    ("artist", Role::User, true),
    ("client", Role::Client, true),
    ("vendor", Role::Vendor, true),
    ("outsider", Role::Manager, false),
];

async fn task_type(app: &TestApp, admin: &str, name: &str) -> String {
    let (_, types) = app
        .get(&format!("/data/task-types?name={name}"), admin)
        .await;
    id(&types[0])
}

async fn studio(app: &TestApp) -> Studio {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}");
    let (_, sequence) = app
        .post(&format!("{base}/sequences"), &admin, json!({"name": "Q1"}))
        .await;
    let (status, shot) = app
        .post(
            &format!("{base}/shots"),
            &admin,
            json!({"name": "SH1", "sequence_id": sequence["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{shot}");
    let hero = app
        .create_asset(&admin, &project, "Character", "Hero")
        .await;
    let prop = app.create_asset(&admin, &project, "Prop", "Axe").await;
    let (status, edit) = app
        .post(&format!("{base}/edits"), &admin, json!({"name": "Cut"}))
        .await;
    assert_eq!(status, 201, "{edit}");
    let (status, concept) = app
        .post(&format!("{base}/concepts"), &admin, json!({"name": "Mood"}))
        .await;
    assert_eq!(status, 201, "{concept}");
    let people = app.crew(&project, "", CREW).await;
    let manager_id = people[0].id.clone();
    Studio {
        admin,
        project,
        sequence: id(&sequence),
        shot: id(&shot),
        hero: id(&hero),
        prop: id(&prop),
        edit: id(&edit),
        concept: id(&concept),
        manager_id,
        people,
    }
}

#[tokio::test]
async fn a_manager_creates_a_type_s_tasks_on_every_shot_once() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let animation = task_type(&app, &s.admin, "Animation").await;
    let url = format!(
        "/actions/projects/{}/task-types/{animation}/shots/create-tasks",
        s.project
    );
    let (status, created) = app.post(&url, s.token("manager"), json!([])).await;
    assert_eq!(status, 201, "{created}");
    let created = created.as_array().unwrap();
    assert_eq!(created.len(), 1);
    let task = &created[0];
    assert_eq!(task["entity_id"], json!(s.shot));
    assert_eq!(task["name"], "main");
    assert_eq!(task["type"], "Task");
    assert_eq!(task["assignees"], json!([]));
    assert_eq!(task["assigner_id"], json!(s.manager_id));
    assert_eq!(task["duration"], json!(0.0));
    assert_eq!(task["difficulty"], 3);
    assert_eq!(task["task_status_short_name"], "todo");
    assert_eq!(task["task_type_name"], "Animation");
    for key in [
        "task_status_name",
        "task_status_color",
        "task_type_color",
        "task_type_priority",
    ] {
        assert!(task.get(key).is_some(), "{key}");
    }
    assert_eq!(
        app.event_data("task:new").await,
        vec![json!({"task_id": task["id"], "project_id": s.project})]
    );
    // The cached breakdown shows it at once.
    let (_, shots) = app
        .get(
            &format!("/data/shots/with-tasks?project_id={}", s.project),
            &s.admin,
        )
        .await;
    assert_eq!(shots[0]["tasks"][0]["id"], task["id"]);
    // Again: the shot has its task of that type already.
    let (status, again) = app.post(&url, s.token("manager"), json!([])).await;
    assert_eq!((status, again), (201, json!([])));
}

#[tokio::test]
async fn selections_name_entities_of_the_route_s_kind() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let modeling = task_type(&app, &s.admin, "Modeling").await;
    let base = format!("/actions/projects/{}/task-types/{modeling}", s.project);
    let assets = format!("{base}/assets/create-tasks");
    // A shot on the assets route, an unknown id: 404, nothing written.
    for wrong in [s.shot.clone(), uuid::Uuid::now_v7().to_string()] {
        let (status, _) = app.post(&assets, &s.admin, json!([s.hero, wrong])).await;
        assert_eq!(status, 404);
    }
    for (body, message) in [
        (
            json!(["nope"]),
            "Request body must only contain valid UUIDs.",
        ),
        (json!([1]), "Request body must only contain valid UUIDs."),
        (json!("x"), "Request body must be a JSON array."),
    ] {
        let (status, answer) = app.post(&assets, &s.admin, body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["message"], message);
    }
    assert!(app.event_data("task:new").await.is_empty());
    // The same id twice makes one task.
    let (status, created) = app.post(&assets, &s.admin, json!([s.hero, s.hero])).await;
    assert_eq!(status, 201);
    assert_eq!(created.as_array().unwrap().len(), 1);
    assert_eq!(created[0]["entity_id"], json!(s.hero));
    // Kitsu's one-entity creation: `?id=` with an empty object.
    let (status, created) = app
        .post(&format!("{assets}?id={}", s.prop), &s.admin, json!({}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(created[0]["entity_id"], json!(s.prop));
    let (status, answer) = app
        .post(&format!("{assets}?id=bad"), &s.admin, json!({}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(answer["message"], "Invalid UUID value: bad");
    // Entities of another project are left out.
    let other = app.create_project(&s.admin, "Other").await;
    let (status, created) = app
        .post(
            &format!("/actions/projects/{other}/task-types/{modeling}/assets/create-tasks"),
            &s.admin,
            json!([s.hero]),
        )
        .await;
    assert_eq!((status, created), (201, json!([])));
    // Edits, by name.
    let edit = task_type(&app, &s.admin, "Edit").await;
    let (status, created) = app
        .post(
            &format!(
                "/actions/projects/{}/task-types/{edit}/edits/create-tasks",
                s.project
            ),
            &s.admin,
            Json::Null,
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created[0]["entity_id"], json!(s.edit));
    // Unknown task type.
    let (status, _) = app
        .post(
            &format!(
                "/actions/projects/{}/task-types/{}/edits/create-tasks",
                s.project,
                uuid::Uuid::now_v7()
            ),
            &s.admin,
            json!([]),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn project_managers_create_and_artists_too_on_concepts() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let animation = task_type(&app, &s.admin, "Animation").await;
    let concept_type = task_type(&app, &s.admin, "Concept&for_entity=Concept").await;
    let base = format!("/actions/projects/{}/task-types", s.project);
    let shots = format!("{base}/{animation}/shots/create-tasks");
    for who in ["supervisor", "artist", "client", "vendor", "outsider"] {
        let (status, _) = app.post(&shots, s.token(who), json!([])).await;
        assert_eq!(status, 403, "{who}");
    }
    let concepts = format!("{base}/{concept_type}/concepts/create-tasks");
    for who in ["client", "vendor", "outsider"] {
        let (status, _) = app.post(&concepts, s.token(who), json!([])).await;
        assert_eq!(status, 403, "{who}");
    }
    let (status, created) = app.post(&concepts, s.token("artist"), json!([])).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created[0]["entity_id"], json!(s.concept));
    assert_eq!(created[0]["task_status_short_name"], "neutral");
    // An unknown project: 404 for those who are not admins.
    let (status, _) = app
        .post(
            &format!(
                "/actions/projects/{}/task-types/{animation}/shots/create-tasks",
                uuid::Uuid::now_v7()
            ),
            s.token("manager"),
            json!([]),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_named_type_route_capitalises_and_filters_on_the_parent() {
    let app = spawn_app().await;
    let s = studio(&app).await;
    let layout = task_type(&app, &s.admin, "Layout").await;
    let base = format!("/actions/projects/{}/task-types/{layout}", s.project);
    let (status, created) = app
        .post(
            &format!("{base}/create-tasks/SEQUENCE"),
            s.token("manager"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created[0]["entity_id"], json!(s.sequence));
    let (status, _) = app
        .post(&format!("{base}/create-tasks/asset"), &s.admin, json!([]))
        .await;
    assert_eq!(status, 404);
    let (status, answer) = app
        .post(
            &format!("{base}/create-tasks/shot?episode_id=bad"),
            &s.admin,
            json!([]),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    // Shots sit under sequences, not episodes: nothing under this "episode".
    let (status, created) = app
        .post(
            &format!("{base}/create-tasks/shot?episode_id={}", s.project),
            &s.admin,
            json!([]),
        )
        .await;
    assert_eq!((status, created), (201, json!([])));
    // An explicit list takes any kind of entity.
    let (status, created) = app
        .post(
            &format!("{base}/create-tasks/character"),
            &s.admin,
            json!([s.shot]),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created[0]["entity_id"], json!(s.shot));
    // Character is an asset type: its assets get theirs.
    let (status, created) = app
        .post(
            &format!("{base}/create-tasks/character"),
            &s.admin,
            json!([]),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created[0]["entity_id"], json!(s.hero));
}
