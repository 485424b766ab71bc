//! "What am I assigned to": the caller's assigned entities, tasks and task types.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

/// The `name` of each row, sorted.
fn names(rows: &Json) -> Vec<String> {
    let mut names: Vec<String> = rows
        .as_array()
        .unwrap_or_else(|| panic!("a list: {rows}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

struct Show {
    project: String,
    episode: Json,
    sequence: Json,
    shots: Vec<Json>,
    scene: Json,
    hero: Json,
    tree: Json,
    character: String,
}

async fn task_type(app: &TestApp, admin: &str, name: &str) -> Json {
    app.get(&format!("/data/task-types?name={name}"), admin)
        .await
        .1[0]["id"]
        .clone()
}

async fn task(app: &TestApp, admin: &str, kind: &str, entity: &Json, people: &[&str]) -> Json {
    let (status, task) = app
        .post(
            "/data/tasks",
            admin,
            json!({"task_type_id": task_type(app, admin, kind).await, "entity_id": entity["id"],
                   "assignees": people}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    task
}

async fn show(app: &TestApp, admin: &str) -> Show {
    let project = app.create_tvshow(admin, "Show").await;
    let (episode, sequence, first_shot) = app.create_episode_shot(admin, &project).await;
    let base = format!("/data/projects/{project}");
    let (status, second_shot) = app
        .post(
            &format!("{base}/shots"),
            admin,
            json!({"name": "SH020", "sequence_id": sequence["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{second_shot}");
    let shots = vec![first_shot, second_shot];
    let (status, scene) = app
        .post(
            &format!("{base}/scenes"),
            admin,
            json!({"name": "SC1", "sequence_id": sequence["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{scene}");
    for (name, for_entity) in [("Blocking", "Scene"), ("Beats", "Sequence")] {
        let (status, created) = app
            .post(
                "/data/task-types",
                admin,
                json!({"name": name, "for_entity": for_entity}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
    }
    let hero = app.create_asset(admin, &project, "Character", "Hero").await;
    let tree = app.create_asset(admin, &project, "Prop", "Tree").await;
    Show {
        project,
        episode,
        character: hero["entity_type_id"].as_str().unwrap().to_string(),
        sequence,
        shots,
        scene,
        hero,
        tree,
    }
}

#[tokio::test]
async fn an_artist_sees_what_they_are_assigned_to_and_nothing_else() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s = show(&app, &admin).await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let other = app.person_with_role("other@example.com", Role::User).await;
    for person in [&artist, &other] {
        app.join_team(&s.project, person, None).await;
    }
    let animation = task(&app, &admin, "Animation", &s.shots[0], &[&artist]).await;
    let layout = task(&app, &admin, "Layout", &s.shots[0], &[&artist, &other]).await;
    task(&app, &admin, "Animation", &s.shots[1], &[&other]).await;
    task(&app, &admin, "Modeling", &s.hero, &[&artist]).await;
    task(&app, &admin, "Modeling", &s.tree, &[&other]).await;
    let scene_task = task(&app, &admin, "Blocking", &s.scene, &[&artist]).await;
    let token = app.token_for("artist@example.com", PASSWORD).await;
    let project = &s.project;

    let (status, sequences) = app
        .get(&format!("/data/user/projects/{project}/sequences"), &token)
        .await;
    assert_eq!(status, 200, "{sequences}");
    assert_eq!(names(&sequences), ["SQ01"]);
    assert_eq!(sequences[0]["type"], "Sequence");
    assert_eq!(sequences[0]["parent_id"], s.episode["id"]);
    assert_eq!(
        keys(&sequences[0]),
        sample_keys("GET__data__user__projects__{project_id}__sequences")
    );
    let (_, episodes) = app
        .get(&format!("/data/user/projects/{project}/episodes"), &token)
        .await;
    assert_eq!(
        (names(&episodes), &episodes[0]["type"]),
        (vec!["E01".to_string()], &json!("Episode"))
    );
    let (_, asset_types) = app
        .get(
            &format!("/data/user/projects/{project}/asset-types"),
            &token,
        )
        .await;
    assert_eq!(names(&asset_types), ["Character"], "not Prop, not Shot");
    assert_eq!(
        keys(&asset_types[0]),
        sample_keys("GET__data__user__projects__{project_id}__asset-types")
    );
    let (_, assets) = app
        .get(
            &format!(
                "/data/user/projects/{project}/asset-types/{}/assets",
                s.character
            ),
            &token,
        )
        .await;
    assert_eq!(
        (names(&assets), &assets[0]["type"]),
        (vec!["Hero".to_string()], &json!("Asset"))
    );

    let sequence = id(&s.sequence);
    let (_, shots) = app
        .get(&format!("/data/user/sequences/{sequence}/shots"), &token)
        .await;
    assert_eq!(names(&shots), ["SH010"], "not the shot of someone else");
    assert_eq!(
        keys(&shots[0]),
        sample_keys("GET__data__user__sequences__{sequence_id}__shots")
    );
    assert_eq!(shots[0]["type"], "Shot");
    let (_, scenes) = app
        .get(&format!("/data/user/sequences/{sequence}/scenes"), &token)
        .await;
    assert_eq!(
        (names(&scenes), &scenes[0]["type"]),
        (vec!["SC1".to_string()], &json!("Scene"))
    );

    let shot = id(&s.shots[0]);
    let (_, tasks) = app
        .get(&format!("/data/user/shots/{shot}/tasks"), &token)
        .await;
    let mut ids: Vec<&Json> = tasks.as_array().unwrap().iter().map(|t| &t["id"]).collect();
    ids.sort_by_key(|v| v.as_str().unwrap().to_string());
    let mut expected = vec![&animation["id"], &layout["id"]];
    expected.sort_by_key(|v| v.as_str().unwrap().to_string());
    assert_eq!(ids, expected);
    assert_eq!(tasks[0]["type"], "Task");
    assert_eq!(
        keys(&tasks[0]),
        sample_keys("GET__data__user__shots__{shot_id}__tasks")
    );
    let (_, types) = app
        .get(&format!("/data/user/shots/{shot}/task-types"), &token)
        .await;
    assert_eq!(names(&types), ["Animation", "Layout"]);
    assert_eq!(types[0]["type"], "TaskType");
    assert_eq!(
        keys(&types[0]),
        sample_keys("GET__data__user__shots__{shot_id}__task-types")
    );
    let (_, types) = app
        .get(
            &format!("/data/user/assets/{}/task-types", id(&s.hero)),
            &token,
        )
        .await;
    assert_eq!(names(&types), ["Modeling"]);
    let (_, tasks) = app
        .get(&format!("/data/user/assets/{}/tasks", id(&s.tree)), &token)
        .await;
    assert_eq!(tasks, json!([]), "someone else's task");
    let (_, tasks) = app
        .get(&format!("/data/user/scenes/{}/tasks", id(&s.scene)), &token)
        .await;
    assert_eq!(tasks[0]["id"], scene_task["id"]);
    let (_, types) = app
        .get(
            &format!("/data/user/scenes/{}/task-types", id(&s.scene)),
            &token,
        )
        .await;
    assert_eq!(names(&types), ["Blocking"]);
    let (_, tasks) = app
        .get(&format!("/data/user/sequences/{sequence}/tasks"), &token)
        .await;
    assert_eq!(tasks, json!([]), "a sequence's own tasks only");

    // A task on the sequence itself: listed there, but it does not make the
    // sequence one of the project's (only shots do).
    let other_token = app.token_for("other@example.com", PASSWORD).await;
    let on_sequence = task(&app, &admin, "Beats", &s.sequence, &[&artist]).await;
    let (_, tasks) = app
        .get(&format!("/data/user/sequences/{sequence}/tasks"), &token)
        .await;
    assert_eq!(tasks[0]["id"], on_sequence["id"]);
    let (_, types) = app
        .get(
            &format!("/data/user/sequences/{sequence}/task-types"),
            &token,
        )
        .await;
    assert_eq!(names(&types), ["Beats"]);
    let (_, sequences) = app
        .get(
            &format!("/data/user/projects/{project}/sequences"),
            &other_token,
        )
        .await;
    assert_eq!(names(&sequences), ["SQ01"], "through SH020");

    // Admins are not special: they see what is assigned to them.
    let (_, sequences) = app
        .get(&format!("/data/user/projects/{project}/sequences"), &admin)
        .await;
    assert_eq!(sequences, json!([]));

    // A closed project's assignments are not listed.
    app.set_project_status(project, "Closed").await;
    let (_, shots) = app
        .get(&format!("/data/user/sequences/{sequence}/shots"), &token)
        .await;
    assert_eq!(shots, json!([]));
}

#[tokio::test]
async fn assignments_are_the_permission_and_vendors_see_only_their_departments_data() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s = show(&app, &admin).await;
    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    let client = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    let outsider = app
        .person_with_role("outsider@example.com", Role::User)
        .await;
    app.join_team(&s.project, &vendor, None).await;
    app.join_team(&s.project, &client, None).await;
    task(
        &app,
        &admin,
        "Animation",
        &s.shots[0],
        &[&vendor, &outsider],
    )
    .await;
    // A field restricted to a department the vendor is not in.
    let (_, departments) = app.get("/data/departments?name=Modeling", &admin).await;
    let (status, descriptor) = app
        .post(
            &format!("/data/projects/{}/metadata-descriptors", s.project),
            &admin,
            json!({"name": "Secret", "entity_type": "Shot", "departments": [departments[0]["id"]]}),
        )
        .await;
    assert_eq!(status, 201, "{descriptor}");
    let field = descriptor["field_name"].as_str().unwrap();
    app.put(
        &format!("/data/shots/{}", id(&s.shots[0])),
        &admin,
        json!({"data": {field: "hidden", "open": "shown"}}),
    )
    .await;

    let sequence = id(&s.sequence);
    let shots_path = format!("/data/user/sequences/{sequence}/shots");
    let vendor_token = app.token_for("vendor@example.com", PASSWORD).await;
    let (_, shots) = app.get(&shots_path, &vendor_token).await;
    assert_eq!(names(&shots), ["SH010"]);
    assert_eq!(shots[0]["data"], json!({"open": "shown"}), "{shots}");
    let (_, tasks) = app
        .get(
            &format!("/data/user/shots/{}/tasks", id(&s.shots[0])),
            &vendor_token,
        )
        .await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);

    let client_token = app.token_for("client@example.com", PASSWORD).await;
    let (status, shots) = app.get(&shots_path, &client_token).await;
    assert_eq!((status, shots), (200, json!([])), "nothing assigned");

    // Someone outside the team still reads what they are assigned to.
    let outsider_token = app.token_for("outsider@example.com", PASSWORD).await;
    let (status, shots) = app.get(&shots_path, &outsider_token).await;
    assert_eq!(status, 200);
    assert_eq!(names(&shots), ["SH010"]);
    assert_eq!(
        shots[0]["data"][field], "hidden",
        "Zou does not mask for others"
    );
}

#[tokio::test]
async fn unknown_ids_and_ids_of_another_kind_are_not_found() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s = show(&app, &admin).await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&s.project, &artist, None).await;
    let token = app.token_for("artist@example.com", PASSWORD).await;
    let zero = "00000000-0000-0000-0000-000000000000";
    let shot = id(&s.shots[0]);
    let sequence = id(&s.sequence);
    let (_, shot_type) = app.get("/data/entity-types?name=Shot", &admin).await;
    for path in [
        format!("/data/user/shots/{sequence}/tasks"),
        "/data/user/shots/bad/task-types".to_string(),
        format!("/data/user/assets/{shot}/tasks"),
        format!("/data/user/scenes/{shot}/task-types"),
        format!("/data/user/sequences/{shot}/shots"),
        format!("/data/user/sequences/{zero}/scenes"),
        format!("/data/user/sequences/{}/tasks", id(&s.episode)),
        format!("/data/user/projects/{zero}/sequences"),
        "/data/user/projects/bad/episodes".to_string(),
        format!("/data/user/projects/{shot}/asset-types"),
        format!(
            "/data/user/projects/{}/asset-types/{}/assets",
            s.project,
            id(&shot_type[0])
        ),
        format!(
            "/data/user/projects/{}/asset-types/{zero}/assets",
            s.project
        ),
        format!(
            "/data/user/projects/{zero}/asset-types/{}/assets",
            s.character
        ),
    ] {
        let (status, body) = app.get(&path, &token).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"], true);
    }
    // A bot has no assignments to read.
    let bot = app.bot_token(&admin, Role::User).await;
    let (status, _) = app
        .get(
            &format!("/data/user/projects/{}/sequences", s.project),
            &bot,
        )
        .await;
    assert_eq!(status, 403);
}
