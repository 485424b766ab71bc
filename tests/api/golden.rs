//! Golden tests: Tusk's answers have the shape of Zou's recorded ones
//! (`tests/golden/shapes.json`, extracted from `reference/samples/` by
//! `tools/extract-shapes.py`): the same keys, nesting and JSON types.

use crate::common::*;
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;

fn shapes() -> Map<String, Json> {
    serde_json::from_str(include_str!("../golden/shapes.json")).unwrap()
}

fn shape(value: &Json) -> Json {
    match value {
        Json::Object(object) => {
            Json::Object(object.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Json::Array(items) => Json::Array(items.first().map(shape).into_iter().collect()),
        Json::Null => json!("null"),
        Json::Bool(_) => json!("bool"),
        Json::Number(_) => json!("number"),
        Json::String(_) => json!("string"),
    }
}

/// Objects keyed by ids (`{task_type_id: {...}}`, maybe with a `total`) are
/// maps: only their values have a shape.
fn is_map(object: &Map<String, Json>) -> bool {
    object.keys().any(|key| is_id(key)) && object.keys().all(|key| is_id(key) || key == "total")
}

fn is_id(key: &str) -> bool {
    uuid::Uuid::parse_str(key).is_ok()
}

/// The first value of a map that is under an id.
fn first_entry(map: &Map<String, Json>) -> Option<&Json> {
    map.iter()
        .find(|(key, _)| is_id(key))
        .map(|(_, value)| value)
}

/// Where `actual` differs from `expected`; a null on either side matches
/// anything, as do `data` documents (free-form) and abridged samples.
fn differences(expected: &Json, actual: &Json, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Json::String(e), _) if e == "null" => {}
        (_, Json::String(a)) if a == "null" => {}
        _ if path.ends_with(".data") || path.ends_with("_data") => {}
        (Json::Object(e), _) if e.contains_key("...abridged_keys") => {}
        (Json::Object(e), Json::Object(a)) if is_map(e) || (e.is_empty() && is_map(a)) => {
            if let (Some(e), Some(a)) = (first_entry(e), first_entry(a)) {
                differences(e, a, &format!("{path}.{{id}}"), out);
            }
        }
        (Json::Object(e), Json::Object(a)) => {
            for key in e.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{key} missing"));
            }
            for key in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}.{key} extra"));
            }
            for (key, value) in e {
                if let Some(other) = a.get(key) {
                    differences(value, other, &format!("{path}.{key}"), out);
                }
            }
        }
        (Json::Array(e), Json::Array(a)) => {
            if let (Some(e), Some(a)) = (e.first(), a.first()) {
                differences(e, a, &format!("{path}[]"), out);
            }
        }
        (e, a) if e != a => out.push(format!("{path}: Zou has {e}, Tusk {a}")),
        _ => {}
    }
}

/// The recorded shape for `METHOD__data__<route>` with an id or without.
fn sample<'a>(
    shapes: &'a Map<String, Json>,
    method: &str,
    route: &str,
    with_id: bool,
) -> Option<&'a Json> {
    let prefix = format!("{method}__data__{route}");
    shapes.iter().find_map(|(name, shape)| {
        let rest = name.strip_prefix(&prefix)?;
        let matches = if with_id {
            rest.starts_with("__{") && rest.matches("__").count() == 1
        } else {
            rest.is_empty()
        };
        matches.then_some(shape)
    })
}

struct Checker {
    shapes: Map<String, Json>,
    failures: Vec<String>,
}

impl Checker {
    fn check_named(&mut self, name: &str, actual: &Json) {
        let Some(expected) = self.shapes.get(name).cloned() else {
            self.failures.push(format!("no sample {name}"));
            return;
        };
        let mut out = Vec::new();
        differences(&expected, &shape(actual), "", &mut out);
        self.failures
            .extend(out.into_iter().map(|d| format!("{name}: {d}")));
    }

    fn check(&mut self, method: &str, route: &str, with_id: bool, actual: &Json) {
        let Some(expected) = sample(&self.shapes, method, route, with_id) else {
            self.failures
                .push(format!("no sample for {method} {route} (id: {with_id})"));
            return;
        };
        let expected = expected.clone();
        let mut out = Vec::new();
        differences(&expected, &shape(actual), "", &mut out);
        for difference in out {
            self.failures.push(format!(
                "{method} /data/{route}{}: {difference}",
                if with_id { "/{id}" } else { "" }
            ));
        }
    }
}

async fn post(app: &TestApp, token: &str, checker: &mut Checker, route: &str, body: Json) -> Json {
    let (status, created) = app.post(&format!("/data/{route}"), token, body).await;
    assert_eq!(status, 201, "POST {route}: {created}");
    checker.check("POST", route, false, &created);
    created
}

async fn read_back(app: &TestApp, token: &str, checker: &mut Checker, route: &str, id: &Json) {
    let id = id.as_str().unwrap();
    let (status, one) = app.get(&format!("/data/{route}/{id}"), token).await;
    assert_eq!(status, 200, "GET {route}/{id}: {one}");
    checker.check("GET", route, true, &one);
    let (status, updated) = app
        .put(&format!("/data/{route}/{id}"), token, json!({}))
        .await;
    assert_eq!(status, 200, "PUT {route}/{id}: {updated}");
    checker.check("PUT", route, true, &updated);
    let (status, list) = app.get(&format!("/data/{route}"), token).await;
    assert_eq!(status, 200, "GET {route}: {list}");
    checker.check("GET", route, false, &list);
}

#[tokio::test]
async fn crud_answers_have_zou_shapes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut c = Checker {
        shapes: shapes(),
        failures: Vec::new(),
    };
    let first = |list: Json| list[0]["id"].clone();
    let department = first(app.get("/data/departments", &admin).await.1);
    let task_status = first(app.get("/data/task-status?short_name=todo", &admin).await.1);
    let character = first(app.get("/data/entity-types?name=Character", &admin).await.1);
    let modeling = first(app.get("/data/task-types?name=Modeling", &admin).await.1);

    let mut made: Vec<(&str, Json)> = Vec::new();
    for (route, body) in [
        (
            "departments",
            json!({"name": "Lighting", "color": "#FFAA00"}),
        ),
        ("studios", json!({"name": "North", "color": "#FFAA00"})),
        ("file-status", json!({"name": "Final", "color": "#FFAA00"})),
        (
            "output-types",
            json!({"name": "Cache", "short_name": "cch"}),
        ),
        (
            "softwares",
            json!({"name": "Blender", "short_name": "bl", "file_extension": "blend"}),
        ),
        (
            "hardware-items",
            json!({"name": "Tablet", "short_name": "tab"}),
        ),
        (
            "custom-actions",
            json!({"name": "Publish", "url": "http://x"}),
        ),
        (
            "status-automations",
            json!({"in_task_status_id": task_status}),
        ),
        (
            "task-status",
            json!({"name": "Waiting", "short_name": "wait", "color": "#000000"}),
        ),
        ("task-types", json!({"name": "Grooming"})),
        ("entity-types", json!({"name": "Vehicle"})),
        (
            "project-status",
            json!({"name": "Paused", "color": "#000000"}),
        ),
        (
            "persons",
            json!({"first_name": "Ada", "last_name": "Lane", "email": "ada@example.com"}),
        ),
        ("project-templates", json!({"name": "Feature"})),
        (
            "plugins",
            json!({"plugin_id": "p", "name": "P", "version": "1", "maintainer_name": "M", "license": "MIT"}),
        ),
        ("preview-background-files", json!({"name": "Sky"})),
        (
            "search-filter-groups",
            json!({"list_type": "asset", "name": "Mine"}),
        ),
        ("events", json!({"name": "custom:test"})),
    ] {
        let created = post(&app, &admin, &mut c, route, body).await;
        made.push((route, created["id"].clone()));
    }
    let person = made
        .iter()
        .find(|(r, _)| *r == "persons")
        .unwrap()
        .1
        .clone();
    let project = post(
        &app,
        &admin,
        &mut c,
        "projects",
        json!({"name": "Film", "production_type": "tvshow"}),
    )
    .await;
    let project_id = project["id"].clone();
    made.push(("projects", project_id.clone()));
    let asset = post(
        &app,
        &admin,
        &mut c,
        "entities",
        json!({"name": "Bunny", "project_id": project_id, "entity_type_id": character}),
    )
    .await;
    let other = post(
        &app,
        &admin,
        &mut c,
        "entities",
        json!({"name": "Bird", "project_id": project_id, "entity_type_id": character}),
    )
    .await;
    made.push(("entities", asset["id"].clone()));
    let task = post(
        &app,
        &admin,
        &mut c,
        "tasks",
        json!({"task_type_id": modeling, "entity_id": asset["id"], "assignees": [person]}),
    )
    .await;
    made.push(("tasks", task["id"].clone()));
    let version = post(
        &app,
        &admin,
        &mut c,
        "production-schedule-versions",
        json!({"project_id": project_id, "name": "v1"}),
    )
    .await;
    let budget = post(
        &app,
        &admin,
        &mut c,
        "budgets",
        json!({"project_id": project_id, "name": "Main"}),
    )
    .await;
    let chat = post(
        &app,
        &admin,
        &mut c,
        "chats",
        json!({"object_id": asset["id"]}),
    )
    .await;
    let comment = post(
        &app,
        &admin,
        &mut c,
        "comments",
        json!({"object_id": task["id"], "object_type": "Task",
        "person_id": person, "text": "ok", "task_status_id": task_status}),
    )
    .await;
    let working = post(
        &app,
        &admin,
        &mut c,
        "working-files",
        json!({"task_id": task["id"], "entity_id": asset["id"], "name": "scene", "revision": 1}),
    )
    .await;
    let file_status = made
        .iter()
        .find(|(r, _)| *r == "file-status")
        .unwrap()
        .1
        .clone();
    for (route, id) in [
        ("production-schedule-versions", version["id"].clone()),
        ("budgets", budget["id"].clone()),
        ("chats", chat["id"].clone()),
        ("comments", comment["id"].clone()),
        ("working-files", working["id"].clone()),
    ] {
        made.push((route, id));
    }
    for (route, body) in [
        (
            "metadata-descriptors",
            json!({"project_id": project_id, "entity_type": "Asset", "name": "Level", "field_name": "level"}),
        ),
        (
            "milestones",
            json!({"project_id": project_id, "name": "Delivery", "date": "2027-01-01"}),
        ),
        (
            "schedule-items",
            json!({"project_id": project_id, "task_type_id": modeling}),
        ),
        (
            "production-schedule-version-task-links",
            json!({"production_schedule_version_id": version["id"], "task_id": task["id"]}),
        ),
        (
            "budget-entries",
            json!({"budget_id": budget["id"], "department_id": department, "start_date": "2027-01-01", "months_duration": 2, "daily_salary": 200}),
        ),
        (
            "entity-links",
            json!({"entity_in_id": asset["id"], "entity_out_id": other["id"]}),
        ),
        (
            "asset-instances",
            json!({"asset_id": asset["id"], "name": "bunny_1", "number": 1}),
        ),
        (
            "time-spents",
            json!({"task_id": task["id"], "person_id": person, "date": "2027-01-04", "duration": 60}),
        ),
        (
            "preview-files",
            json!({"task_id": task["id"], "name": "v1", "revision": 1}),
        ),
        (
            "attachment-files",
            json!({"comment_id": comment["id"], "name": "notes.txt"}),
        ),
        (
            "output-files",
            json!({"entity_id": asset["id"], "name": "cache", "revision": 1, "file_status_id": file_status, "source_file_id": working["id"]}),
        ),
        (
            "playlists",
            json!({"project_id": project_id, "name": "Dailies"}),
        ),
        (
            "notifications",
            json!({"type": "comment", "person_id": person, "author_id": person, "comment_id": comment["id"], "task_id": task["id"]}),
        ),
        (
            "news",
            json!({"author_id": person, "task_id": task["id"], "comment_id": comment["id"]}),
        ),
        (
            "subscriptions",
            json!({"person_id": person, "task_id": task["id"]}),
        ),
        (
            "chat-messages",
            json!({"chat_id": chat["id"], "person_id": person, "text": "hi"}),
        ),
        (
            "day-offs",
            json!({"person_id": person, "date": "2027-02-01", "end_date": "2027-02-02"}),
        ),
        (
            "search-filters",
            json!({"list_type": "asset", "name": "Mine", "search_query": "bunny"}),
        ),
    ] {
        let created = post(&app, &admin, &mut c, route, body).await;
        made.push((route, created["id"].clone()));
    }
    let organisation = first(app.get("/data/organisations", &admin).await.1);
    made.push(("organisations", organisation));
    let salary_scale = first(app.get("/data/salary-scales", &admin).await.1);
    made.push(("salary-scales", salary_scale));
    for (route, id) in &made {
        read_back(&app, &admin, &mut c, route, id).await;
    }
    let _ = Role::Admin;
    assert!(
        c.failures.is_empty(),
        "{} differences:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

#[tokio::test]
async fn breakdown_answers_have_zou_shapes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut c = Checker {
        shapes: shapes(),
        failures: Vec::new(),
    };
    let project = app.create_project(&admin, "Show").await;
    let type_id = |name: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.get(&format!("/data/entity-types?name={name}"), &admin)
                .await
                .1[0]["id"]
                .clone()
        }
    };
    let make = |name: &'static str, kind: Json, parent: Json| {
        let app = &app;
        let admin = admin.clone();
        let project = project.clone();
        async move {
            let (status, created) = app
                .post("/data/entities", &admin, json!({"name": name, "project_id": project, "entity_type_id": kind,
                                                        "parent_id": parent, "data": {"frame_in": 1, "frame_out": 9}}))
                .await;
            assert_eq!(status, 201, "{created}");
            created["id"].clone()
        }
    };
    let episode = make("E01", type_id("Episode").await, Json::Null).await;
    let sequence = make("SQ01", type_id("Sequence").await, episode.clone()).await;
    let shot = make("SH010", type_id("Shot").await, sequence.clone()).await;
    let scene = make("SC01", type_id("Scene").await, sequence.clone()).await;
    let asset = make("Bunny", type_id("Character").await, Json::Null).await;
    let edit = make("Trailer", type_id("Edit").await, Json::Null).await;
    let concept = make("Look", type_id("Concept").await, Json::Null).await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    app.post(
        "/data/tasks",
        &admin,
        json!({"task_type_id": animation[0]["id"], "entity_id": shot}),
    )
    .await;
    app.post(
        "/data/tasks",
        &admin,
        json!({"task_type_id": modeling[0]["id"], "entity_id": asset}),
    )
    .await;
    for (route, id, listed) in [
        ("shots", &shot, true),
        ("sequences", &sequence, true),
        ("episodes", &episode, true),
        ("scenes", &scene, false),
        ("assets", &asset, true),
        ("edits", &edit, true),
        ("concepts", &concept, true),
    ] {
        let (status, one) = app
            .get(&format!("/data/{route}/{}", id.as_str().unwrap()), &admin)
            .await;
        assert_eq!(status, 200, "{route}: {one}");
        c.check("GET", route, true, &one);
        if listed {
            let (status, list) = app
                .get(&format!("/data/{route}?project_id={project}"), &admin)
                .await;
            assert_eq!(status, 200, "{route}: {list}");
            c.check("GET", route, false, &list);
        }
    }
    for route in [
        "shots",
        "assets",
        "sequences",
        "episodes",
        "scenes",
        "edits",
    ] {
        let (status, view) = app
            .get(
                &format!("/data/{route}/with-tasks?project_id={project}"),
                &admin,
            )
            .await;
        assert_eq!(status, 200, "{route}: {view}");
        assert!(!view.as_array().unwrap().is_empty(), "{route}");
        c.check_named(&format!("GET__data__{route}__with-tasks"), &view);
    }
    let (_, updated) = app
        .put(
            &format!("/data/shots/{}", shot.as_str().unwrap()),
            &admin,
            json!({"nb_frames": 9}),
        )
        .await;
    c.check("PUT", "shots", true, &updated);
    assert!(
        c.failures.is_empty(),
        "{} differences:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

#[tokio::test]
async fn project_lists_budgets_and_instances_have_zou_shapes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut c = Checker {
        shapes: shapes(),
        failures: Vec::new(),
    };
    let project = app.create_project(&admin, "Show").await;
    let base = format!("/data/projects/{project}");
    let me = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"].clone();
    app.join_team(&project, me.as_str().unwrap(), None).await;
    app.put(
        &format!("/data/projects/{project}"),
        &admin,
        json!({"production_type": "tvshow"}),
    )
    .await;
    let post = |path: String, body: Json| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let (status, created) = app.post(&path, &admin, body).await;
            assert!(status == 200 || status == 201, "{path}: {created}");
            created
        }
    };
    let episode = post(format!("{base}/episodes"), json!({"name": "E01"})).await;
    let sequence = post(
        format!("{base}/sequences"),
        json!({"name": "SQ01", "episode_id": episode["id"]}),
    )
    .await;
    let shot = post(
        format!("{base}/shots"),
        json!({"name": "SH010", "sequence_id": sequence["id"], "nb_frames": 48}),
    )
    .await;
    let scene = post(
        format!("{base}/scenes"),
        json!({"name": "SC01", "sequence_id": sequence["id"]}),
    )
    .await;
    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let asset = post(
        format!(
            "{base}/asset-types/{}/assets/new",
            types[0]["id"].as_str().unwrap()
        ),
        json!({"name": "Bunny", "episode_id": episode["id"]}),
    )
    .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &admin).await;
    let (_, animation) = app.get("/data/task-types?name=Animation", &admin).await;
    let (_, wip) = app.get("/data/task-status?short_name=wip", &admin).await;
    let mut tasks = Vec::new();
    for (task_type, entity) in [(&modeling, &asset), (&animation, &shot)] {
        let task = post(
            "/data/tasks".into(),
            json!({"task_type_id": task_type[0]["id"], "entity_id": entity["id"],
                   "task_status_id": wip[0]["id"], "assignees": [me]}),
        )
        .await;
        tasks.push(task);
    }
    post(
        "/data/time-spents".into(),
        json!({"task_id": tasks[0]["id"], "person_id": me, "date": "2026-11-20", "duration": 60.0}),
    )
    .await;
    post(
        "/data/day-offs".into(),
        json!({"person_id": me, "date": "2026-12-01", "end_date": "2026-12-02", "description": "rest"}),
    )
    .await;
    let budget = post(format!("{base}/budgets"), json!({"name": "V1"})).await;
    c.check_named("POST__data__projects__{project_id}__budgets", &budget);
    let budget_url = format!("{base}/budgets/{}", budget["id"].as_str().unwrap());
    let (_, departments) = app.get("/data/departments", &admin).await;
    let entry = post(
        format!("{budget_url}/entries"),
        json!({"department_id": departments[0]["id"], "person_id": me, "start_date": "2026-11-01",
               "months_duration": 2, "daily_salary": 300, "position": "artist", "seniority": "mid"}),
    )
    .await;
    c.check_named(
        "POST__data__projects__{project_id}__budgets__{budget_id}__entries",
        &entry,
    );
    let instance = post(
        format!(
            "/data/scenes/{}/asset-instances",
            scene["id"].as_str().unwrap()
        ),
        json!({"asset_id": asset["id"], "description": "front"}),
    )
    .await;
    c.check_named("POST__data__scenes__{scene_id}__asset-instances", &instance);
    let nested = post(
        format!(
            "/data/assets/{}/asset-asset-instances",
            asset["id"].as_str().unwrap()
        ),
        json!({"asset_to_instantiate_id": asset["id"], "description": "mirror"}),
    )
    .await;
    c.check_named(
        "POST__data__assets__{asset_id}__asset-asset-instances",
        &nested,
    );
    let cast = post(
        format!(
            "/data/shots/{}/asset-instances",
            shot["id"].as_str().unwrap()
        ),
        json!({"asset_instance_id": instance["id"]}),
    )
    .await;
    c.check_named("POST__data__shots__{shot_id}__asset-instances", &cast);
    let linked = post(
        format!("/data/scenes/{}/shots", scene["id"].as_str().unwrap()),
        json!({"shot_id": shot["id"]}),
    )
    .await;
    c.check_named("POST__data__scenes__{scene_id}__shots", &linked);

    let id = |v: &Json| v["id"].as_str().unwrap().to_string();
    app.post(
        &format!("{base}/settings/task-types"),
        &admin,
        json!({"task_type_id": modeling[0]["id"]}),
    )
    .await;
    app.put(
        &format!("/data/entities/{}", id(&shot)),
        &admin,
        json!({"name": "SH010b"}),
    )
    .await;
    post(
        format!("{base}/edits"),
        json!({"name": "Trailer", "episode_id": episode["id"]}),
    )
    .await;
    for (name, position) in [("blocking", 1), ("blocking2", 2)] {
        post(
            "/data/preview-files".into(),
            json!({"name": name, "original_name": name, "task_id": tasks[1]["id"], "person_id": me,
                   "revision": 1, "position": position, "extension": "png", "width": 64, "height": 36,
                   "status": "ready"}),
        )
        .await;
    }
    app.put(
        &format!("{base}/entities/{}/casting", id(&shot)),
        &admin,
        json!([{"asset_id": asset["id"], "nb_occurences": 1}]),
    )
    .await;
    let schedule = post(
        "/data/production-schedule-versions".into(),
        json!({"name": "V1", "project_id": project}),
    )
    .await;
    let schedule_id = id(&schedule);
    post(
        format!(
            "/actions/production-schedule-versions/{schedule_id}/set-task-links-from-production"
        ),
        json!({}),
    )
    .await;
    app.put(
        &format!("/actions/tasks/{}/assign", id(&tasks[1])),
        &admin,
        json!({"person_id": me}),
    )
    .await;
    app.put(
        &format!("/data/tasks/{}", id(&tasks[1])),
        &admin,
        json!({"real_start_date": "2026-11-27T09:00:00", "end_date": "2026-11-27T10:00:00"}),
    )
    .await;
    post(
        "/data/comments".into(),
        json!({"object_id": tasks[1]["id"], "object_type": "Task", "person_id": me, "text": "ok",
               "task_status_id": wip[0]["id"]}),
    )
    .await;
    for (name, url) in [
        ("GET__data__user__tasks", "/data/user/tasks".to_string()),
        (
            "GET__data__persons__{person_id}__tasks",
            format!("/data/persons/{}/tasks", me.as_str().unwrap()),
        ),
    ] {
        let (_, rows) = app.get(&url, &admin).await;
        let shot_row: Vec<&Json> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"] == tasks[1]["id"])
            .collect();
        assert_eq!(shot_row.len(), 1, "{url}: {rows}");
        c.check_named(name, &json!(shot_row));
    }
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let (_, group) = app
        .post(
            "/data/user/filter-groups",
            &artist,
            json!({"name": "Mine", "color": "#FF0000", "list_type": "shots", "entity_type": "Shot", "project_id": project}),
        )
        .await;
    app.post(
        "/data/user/filters",
        &artist,
        json!({"name": "Anim", "query": "animation=wip", "list_type": "shots", "entity_type": "Shot",
               "project_id": project, "search_filter_group_id": group["id"]}),
    )
    .await;
    let (_, context) = app.get("/data/user/context", &artist).await;
    c.check_named("GET__data__user__context", &context);
    let (_, filters) = app.get("/data/user/filters", &artist).await;
    c.check_named("GET__data__user__filters", &filters);
    let artist_id = app.login("artist@example.com", PASSWORD).await.1["user"]["id"].clone();
    app.put(
        &format!("/actions/tasks/{}/assign", id(&tasks[1])),
        &admin,
        json!({"person_id": artist_id}),
    )
    .await;
    let (_, bell) = app.get("/data/user/notifications", &artist).await;
    assert!(!bell.as_array().unwrap().is_empty());
    c.check_named("GET__data__user__notifications", &bell);
    let (_, open) = app.get("/data/user/projects/open", &artist).await;
    c.check_named("GET__data__user__projects__open", &open);
    let (status, comment) = app
        .post(
            &format!("/actions/tasks/{}/comment", id(&tasks[1])),
            &artist,
            json!({"task_status_id": wip[0]["id"], "comment": "Done @Ada", "links": ["https://example.com"],
                   "checklist": [{"text": "eyes", "checked": true}]}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    c.check_named("POST__actions__tasks__{task_id}__comment", &comment);
    let concept = post(format!("{base}/concepts"), json!({"name": "Look"})).await;
    let folder = post(
        format!("{base}/concept-folders"),
        json!({"name": "Characters"}),
    )
    .await;
    c.check_named(
        "POST__data__projects__{project_id}__concept-folders",
        &folder,
    );
    app.put(
        &format!("/data/entities/{}", id(&concept)),
        &admin,
        json!({"entity_concept_links": [asset["id"]]}),
    )
    .await;
    post(
        "/data/news".into(),
        json!({"change": false, "author_id": me, "task_id": tasks[1]["id"]}),
    )
    .await;
    let software = post(
        "/data/softwares".into(),
        json!({"name": "Blender", "short_name": "bl", "file_extension": "blend"}),
    )
    .await;
    let software_link = post(
        format!("{base}/task-types/{}/softwares", id(&modeling[0])),
        json!({"software_id": software["id"]}),
    )
    .await;
    c.check_named(
        "POST__data__projects__{project_id}__task-types__{task_type_id}__softwares",
        &software_link,
    );
    let entry_url = format!("{budget_url}/entries/{}", id(&entry));
    let task_type_id = id(&modeling[0]);
    for (name, url) in [
        (
            "GET__data__projects__{project_id}__budgets",
            format!("{base}/budgets"),
        ),
        (
            "GET__data__projects__{project_id}__budgets__{budget_id}",
            budget_url.clone(),
        ),
        (
            "GET__data__projects__{project_id}__budgets__{budget_id}__entries",
            format!("{budget_url}/entries"),
        ),
        (
            "GET__data__projects__{project_id}__budgets__{budget_id}__entries__{entry_id}",
            entry_url,
        ),
        (
            "GET__data__projects__{project_id}__budgets__time-spents",
            format!("{base}/budgets/time-spents"),
        ),
        (
            "GET__data__projects__{project_id}__time-spents",
            format!("{base}/time-spents"),
        ),
        (
            "GET__data__projects__{project_id}__task-types__{task_type_id}__time-spents",
            format!("{base}/task-types/{task_type_id}/time-spents"),
        ),
        (
            "GET__data__projects__{project_id}__day-offs",
            format!("{base}/day-offs"),
        ),
        (
            "GET__data__episodes__{episode_id}__asset-tasks",
            format!("/data/episodes/{}/asset-tasks", id(&episode)),
        ),
        (
            "GET__data__episodes__{episode_id}__shot-tasks",
            format!("/data/episodes/{}/shot-tasks", id(&episode)),
        ),
        (
            "GET__data__sequences__{sequence_id}__shot-tasks",
            format!("/data/sequences/{}/shot-tasks", id(&sequence)),
        ),
        (
            "GET__data__entities__{entity_id}__time-spents",
            format!("/data/entities/{}/time-spents", id(&asset)),
        ),
        (
            "GET__data__assets__{asset_id}__asset-asset-instances",
            format!("/data/assets/{}/asset-asset-instances", id(&asset)),
        ),
        (
            "GET__data__assets__{asset_id}__scene-asset-instances",
            format!("/data/assets/{}/scene-asset-instances", id(&asset)),
        ),
        (
            "GET__data__assets__{asset_id}__shot-asset-instances",
            format!("/data/assets/{}/shot-asset-instances", id(&asset)),
        ),
        (
            "GET__data__scenes__{scene_id}__asset-instances",
            format!("/data/scenes/{}/asset-instances", id(&scene)),
        ),
        (
            "GET__data__shots__{shot_id}__asset-instances",
            format!("/data/shots/{}/asset-instances", id(&shot)),
        ),
        (
            "GET__data__scenes__{scene_id}__shots",
            format!("/data/scenes/{}/shots", id(&scene)),
        ),
        (
            "GET__data__projects__{project_id}__task-type-softwares",
            format!("{base}/task-type-softwares"),
        ),
        (
            "GET__data__entities__{entity_id}__preview-files",
            format!("/data/entities/{}/preview-files", id(&shot)),
        ),
        (
            "GET__data__production-schedule-versions__{production_schedule_version_id}__task-links",
            format!("/data/production-schedule-versions/{schedule_id}/task-links"),
        ),
        (
            "GET__data__projects__{project_id}__quotas__{task_type_id}",
            format!("{base}/quotas/{}", id(&animation[0])),
        ),
        (
            "GET__data__projects__{project_id}__quotas__persons__{person_id}",
            format!("{base}/quotas/persons/{}", me.as_str().unwrap()),
        ),
        (
            "GET__data__tasks__{task_id}__full",
            format!("/data/tasks/{}/full", id(&tasks[1])),
        ),
        (
            "GET__data__tasks__{task_id}__previews",
            format!("/data/tasks/{}/previews", id(&tasks[1])),
        ),
        (
            "GET__data__entities__{entity_id}__task-types__{task_type_id}__tasks",
            format!(
                "/data/entities/{}/task-types/{}/tasks",
                id(&shot),
                id(&animation[0])
            ),
        ),
        (
            "GET__data__shots__{shot_id}__preview-files",
            format!("/data/shots/{}/preview-files", id(&shot)),
        ),
        (
            "GET__data__shots__{shot_id}__asset-types",
            format!("/data/shots/{}/asset-types", id(&shot)),
        ),
        (
            "GET__data__projects__{project_id}__concept-folders",
            format!("{base}/concept-folders"),
        ),
        (
            "GET__data__concepts__with-tasks",
            format!("/data/concepts/with-tasks?project_id={project}"),
        ),
        (
            "GET__data__entities__{entity_id}__news",
            format!("/data/entities/{}/news", id(&shot)),
        ),
        (
            "GET__data__shots__{shot_id}__versions",
            format!("/data/shots/{}/versions", id(&shot)),
        ),
        (
            "GET__data__episodes__{episode_id}__edits",
            format!("/data/episodes/{}/edits", id(&episode)),
        ),
        (
            "GET__data__entities__{entity_id}__entities-linked__with-tasks",
            format!("/data/entities/{}/entities-linked/with-tasks", id(&asset)),
        ),
        (
            "GET__data__projects__{project_id}__schedule-items__task-types",
            format!("{base}/schedule-items/task-types"),
        ),
        (
            "GET__data__projects__{project_id}__schedule-items__{task_type_id}__asset-types",
            format!("{base}/schedule-items/{task_type_id}/asset-types"),
        ),
        (
            "GET__data__projects__{project_id}__schedule-items__{task_type_id}__episodes",
            format!("{base}/schedule-items/{task_type_id}/episodes"),
        ),
        (
            "GET__data__projects__{project_id}__schedule-items__{task_type_id}__sequences",
            format!("{base}/schedule-items/{task_type_id}/sequences"),
        ),
    ] {
        let (status, answer) = app.get(&url, &admin).await;
        assert_eq!(status, 200, "{url}: {answer}");
        assert!(
            answer.as_array().is_none_or(|a| !a.is_empty())
                && answer.as_object().is_none_or(|o| !o.is_empty()),
            "{url} is empty"
        );
        c.check_named(name, &answer);
    }
    let (_, updated) = app.put(&budget_url, &admin, json!({"name": "V1b"})).await;
    c.check_named(
        "PUT__data__projects__{project_id}__budgets__{budget_id}",
        &updated,
    );
    assert!(
        c.failures.is_empty(),
        "{} differences:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

#[tokio::test]
async fn task_lists_have_zou_shapes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut c = Checker {
        shapes: shapes(),
        failures: Vec::new(),
    };
    let project = app.create_project(&admin, "Show").await;
    let me = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"].clone();
    let me = me.as_str().unwrap();
    app.join_team(&project, me, None).await;
    let (_, tasks) = app
        .shot_with_tasks(&admin, &project, &["Animation", "Layout"])
        .await;
    let task = &tasks[0];
    let task_id = task["id"].as_str().unwrap();
    let (status, _) = app
        .put(
            &format!("/actions/tasks/{task_id}/assign"),
            &admin,
            json!({"person_id": me}),
        )
        .await;
    assert_eq!(status, 200);
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&project, &artist, None).await;
    let (status, _) = app
        .put(
            &format!("/actions/tasks/{task_id}/assign"),
            &admin,
            json!({"person_id": artist}),
        )
        .await;
    assert_eq!(status, 200);
    app.put(
        &format!("/data/tasks/{task_id}"),
        &admin,
        json!({"start_date": "2026-01-05T00:00:00", "due_date": "2026-01-20T00:00:00", "estimation": 3}),
    )
    .await;
    app.db
        .execute(
            "UPDATE task SET done_date = start_date WHERE id = $1",
            &[uuid::Uuid::parse_str(task_id).unwrap().into()],
        )
        .await
        .unwrap();
    let (status, _) = app
        .post(
            &format!("/actions/user/tasks/{task_id}/subscribe"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    app.preview_file(task_id, 1, "ready", "png").await;
    let task_type = task["task_type_id"].as_str().unwrap();
    for (name, url) in [
        (
            "GET__data__tasks__open-tasks",
            "/data/tasks/open-tasks".to_string(),
        ),
        (
            "GET__data__tasks__open-tasks__stats",
            "/data/tasks/open-tasks/stats".into(),
        ),
        (
            "GET__data__tasks__open-tasks__burndown",
            "/data/tasks/open-tasks/burndown".into(),
        ),
        (
            "GET__data__projects__{project_id}__tasks",
            format!("/data/projects/{project}/tasks"),
        ),
        (
            "GET__data__projects__{project_id}__notifications",
            format!("/data/projects/{project}/notifications"),
        ),
        (
            "GET__data__projects__{project_id}__subscriptions",
            format!("/data/projects/{project}/subscriptions"),
        ),
        (
            "GET__data__projects__{project_id}__preview-files",
            format!("/data/projects/{project}/preview-files"),
        ),
        (
            "GET__data__persons__task-dates",
            "/data/persons/task-dates".into(),
        ),
        (
            "GET__data__persons__{person_id}__related-tasks__{task_type_id}",
            format!("/data/persons/{me}/related-tasks/{task_type}"),
        ),
    ] {
        let (status, answer) = app.get(&url, &admin).await;
        assert_eq!(status, 200, "{url}: {answer}");
        assert!(
            answer.as_array().is_none_or(|a| !a.is_empty())
                && answer.as_object().is_none_or(|o| !o.is_empty()),
            "{url} is empty"
        );
        c.check_named(name, &answer);
    }
    assert!(
        c.failures.is_empty(),
        "{} differences:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}
