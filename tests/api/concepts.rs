//! Concept folders, moving concepts, and concepts with their tasks.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Board {
    admin: String,
    project: String,
    concepts: Vec<String>,
}

async fn board(app: &TestApp) -> Board {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let mut concepts = Vec::new();
    for name in ["Hero sketch", "Forest mood"] {
        let (status, concept) = app
            .post(
                &format!("/data/projects/{project}/concepts"),
                &admin,
                json!({"name": name}),
            )
            .await;
        assert_eq!(status, 201, "{concept}");
        concepts.push(id(&concept));
    }
    Board {
        admin,
        project,
        concepts,
    }
}

#[tokio::test]
async fn folders_are_made_once_renamed_and_deleted_with_their_concepts_kept() {
    let app = spawn_app().await;
    let b = board(&app).await;
    let folders = format!("/data/projects/{}/concept-folders", b.project);
    let (status, characters) = app
        .post(&folders, &b.admin, json!({"name": "Characters"}))
        .await;
    assert_eq!(status, 201, "{characters}");
    assert_eq!(
        (
            &characters["type"],
            &characters["data"],
            &characters["parent_id"]
        ),
        (&json!("ConceptFolder"), &Json::Null, &Json::Null)
    );
    let (status, again) = app
        .post(&folders, &b.admin, json!({"name": "Characters"}))
        .await;
    assert_eq!(
        (status, &again["id"]),
        (201, &characters["id"]),
        "get or create"
    );
    let (_, sets) = app.post(&folders, &b.admin, json!({"name": "Sets"})).await;
    assert_eq!(app.post(&folders, &b.admin, json!({})).await.0, 400);
    let (_, listed) = app.get(&folders, &b.admin).await;
    let names: Vec<&Json> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["name"])
        .collect();
    assert_eq!(names, [&json!("Characters"), &json!("Sets")]);

    let sets_url = format!("/data/concept-folders/{}", id(&sets));
    assert_eq!(
        app.put(&sets_url, &b.admin, json!({"name": "Characters"}))
            .await
            .1["message"],
        "A concept folder with this name already exists."
    );
    let (status, renamed) = app
        .put(&sets_url, &b.admin, json!({"name": "Places"}))
        .await;
    assert_eq!((status, &renamed["name"]), (200, &json!("Places")));

    let moving = "/actions/projects/{p}/move-concepts".replace("{p}", &b.project);
    let (status, moved) = app
        .post(
            &moving,
            &b.admin,
            json!({"concept_ids": [b.concepts[1], b.concepts[0], id(&sets)], "concept_folder_id": sets["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        moved,
        json!([b.concepts[1], b.concepts[0]]),
        "the folder is no concept"
    );
    let concept_url = format!("/data/concepts/{}", b.concepts[0]);
    assert_eq!(
        app.get(&concept_url, &b.admin).await.1["parent_id"],
        sets["id"]
    );

    assert_eq!(app.delete(&sets_url, &b.admin).await.0, 204);
    assert_eq!(
        app.get(&concept_url, &b.admin).await.1["parent_id"],
        Json::Null
    );
    assert_eq!(app.delete(&sets_url, &b.admin).await.0, 404);
    let concept_as_folder = format!("/data/concept-folders/{}", b.concepts[0]);
    assert_eq!(app.delete(&concept_as_folder, &b.admin).await.0, 404);
}

#[tokio::test]
async fn folders_are_the_studio_s_and_organised_by_supervisors() {
    let app = spawn_app().await;
    let b = board(&app).await;
    let folders = format!("/data/projects/{}/concept-folders", b.project);
    let mut tokens = Vec::new();
    for (email, role) in [
        ("supervisor@example.com", Role::Supervisor),
        ("artist@example.com", Role::User),
        ("client@example.com", Role::Client),
    ] {
        let person = app.person_with_role(email, role).await;
        app.join_team(&b.project, &person, None).await;
        tokens.push(app.token_for(email, PASSWORD).await);
    }
    let (supervisor, artist, client) = (&tokens[0], &tokens[1], &tokens[2]);
    assert_eq!(
        app.post(&folders, supervisor, json!({"name": "Props"}))
            .await
            .0,
        201
    );
    assert_eq!(
        app.post(&folders, artist, json!({"name": "X"})).await.0,
        403
    );
    assert_eq!(app.get(&folders, artist).await.0, 200);
    assert_eq!(app.get(&folders, client).await.0, 403);
    let moving = format!("/actions/projects/{}/move-concepts", b.project);
    assert_eq!(
        app.post(&moving, artist, json!({"concept_ids": []}))
            .await
            .0,
        403
    );
    assert_eq!(
        app.post(&moving, &b.admin, json!({"concept_ids": ["nope"]}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn concepts_are_listed_with_their_tasks_and_what_they_show() {
    let app = spawn_app().await;
    let b = board(&app).await;
    let (_, types) = app
        .get("/data/task-types?for_entity=Concept", &b.admin)
        .await;
    let (_, task) = app
        .post(
            "/data/tasks",
            &b.admin,
            json!({"task_type_id": types[0]["id"], "entity_id": b.concepts[0]}),
        )
        .await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&b.project, &artist, None).await;
    app.put(
        &format!("/data/tasks/{}", id(&task)),
        &b.admin,
        json!({"assignees": [artist]}),
    )
    .await;
    let (_, character) = app.get("/data/entity-types?name=Character", &b.admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "/data/projects/{}/asset-types/{}/assets/new",
                b.project,
                id(&character[0])
            ),
            &b.admin,
            json!({"name": "Hero"}),
        )
        .await;
    app.put(
        &format!("/data/entities/{}", b.concepts[0]),
        &b.admin,
        json!({"entity_concept_links": [asset["id"]]}),
    )
    .await;
    let url = format!("/data/concepts/with-tasks?project_id={}", b.project);
    let (status, rows) = app.get(&url, &b.admin).await;
    assert_eq!(status, 200, "{rows}");
    let names: Vec<&Json> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["name"])
        .collect();
    assert_eq!(names, [&json!("Forest mood"), &json!("Hero sketch")]);
    let hero = &rows[1];
    assert_eq!(
        (
            &hero["type"],
            &hero["project_name"],
            &hero["data"],
            &hero["entity_concept_links"],
            &hero["tasks"][0]["id"],
            &hero["tasks"][0]["assignees"],
            &hero["tasks"][0]["is_subscribed"],
        ),
        (
            &json!("Concept"),
            &json!("Film"),
            &json!({}),
            &json!([asset["id"]]),
            &task["id"],
            &json!([artist]),
            &json!(false)
        )
    );
    let artist_token = app.token_for("artist@example.com", PASSWORD).await;
    let (_, mine) = app
        .get(&format!("{url}&assigned_to=yes"), &artist_token)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, admin_mine) = app.get(&format!("{url}&assigned_to=1"), &b.admin).await;
    assert_eq!(admin_mine, json!([]));
    assert_eq!(
        app.get("/data/concepts/with-tasks", &artist_token).await.0,
        403
    );
    assert_eq!(
        app.get("/data/concepts/with-tasks?project_id=nope", &b.admin)
            .await
            .1["message"],
        "Invalid UUID format for project_id: nope"
    );
}

#[tokio::test]
async fn a_new_concept_goes_in_its_folder_and_shows_its_entities() {
    let app = spawn_app().await;
    let b = board(&app).await;
    let (_, folder) = app
        .post(
            &format!("/data/projects/{}/concept-folders", b.project),
            &b.admin,
            json!({"name": "Characters"}),
        )
        .await;
    let (_, character) = app.get("/data/entity-types?name=Character", &b.admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "/data/projects/{}/asset-types/{}/assets/new",
                b.project,
                id(&character[0])
            ),
            &b.admin,
            json!({"name": "Hero"}),
        )
        .await;
    let unknown = uuid::Uuid::new_v4();
    let concepts = format!("/data/projects/{}/concepts", b.project);
    let (status, concept) = app
        .post(
            &concepts,
            &b.admin,
            json!({"name": "Hero pose", "parent_id": folder["id"],
                   "entity_concept_links": [{"id": asset["id"]}, unknown]}),
        )
        .await;
    assert_eq!(status, 201, "{concept}");
    assert_eq!(
        (&concept["parent_id"], &concept["entity_concept_links"]),
        (&folder["id"], &json!([asset["id"]]))
    );
    let (_, again) = app
        .post(&concepts, &b.admin, json!({"name": "Hero pose"}))
        .await;
    assert_eq!(again["entity_concept_links"], json!([asset["id"]]));
    assert_eq!(
        app.post(
            &concepts,
            &b.admin,
            json!({"name": "Elsewhere", "parent_id": b.concepts[0]})
        )
        .await
        .0,
        404,
        "a concept is no folder"
    );
    assert_eq!(
        app.delete(&format!("/data/concepts/{}", id(&concept)), &b.admin)
            .await
            .0,
        204,
        "its links go with it"
    );
}
