//! A project's metadata descriptors and the values they name.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn descriptors_name_their_fields_and_carry_values_on_rename() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}/metadata-descriptors");
    let (status, descriptor) = app
        .post(
            &base,
            &admin,
            json!({"name": "Rig Notes", "entity_type": "Asset", "data_type": "string"}),
        )
        .await;
    assert_eq!(status, 201, "{descriptor}");
    assert_eq!(
        (&descriptor["field_name"], &descriptor["type"]),
        (&json!("rig_notes"), &json!("MetadataDescriptor"))
    );
    assert_eq!(
        app.post(&base, &admin, json!({"name": "rig-notes"}))
            .await
            .1["message"],
        "Metadata descriptor already exists."
    );
    assert_eq!(
        app.post(&base, &admin, json!({"name": "X", "entity_type": "Camera"}))
            .await
            .0,
        400
    );
    assert_eq!(
        app.post(&base, &admin, json!({"name": "X", "data_type": "colour"}))
            .await
            .1["message"],
        "Invalid data_type"
    );

    let (_, types) = app.get("/data/entity-types?name=Character", &admin).await;
    let (_, asset) = app
        .post(
            &format!(
                "/data/projects/{project}/asset-types/{}/assets/new",
                types[0]["id"].as_str().unwrap()
            ),
            &admin,
            json!({"name": "Bunny", "data": {"rig_notes": "two bones"}}),
        )
        .await;
    let id = descriptor["id"].as_str().unwrap();
    let (status, renamed) = app
        .put(&format!("{base}/{id}"), &admin, json!({"name": "Rigging"}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["field_name"], "rigging");
    let (_, moved) = app
        .get(
            &format!("/data/entities/{}", asset["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(moved["data"], json!({"rigging": "two bones"}));
    let (_, view) = app
        .get(
            &format!("/data/assets/with-tasks?project_id={project}"),
            &admin,
        )
        .await;
    assert_eq!(
        view[0]["data"],
        json!({"rigging": "two bones"}),
        "the cache follows"
    );

    assert_eq!(app.delete(&format!("{base}/{id}"), &admin).await.0, 204);
    let (_, cleared) = app
        .get(
            &format!("/data/entities/{}", asset["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(cleared["data"], json!({}));
}

#[tokio::test]
async fn descriptors_follow_roles_and_departments() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let base = format!("/data/projects/{project}/metadata-descriptors");
    let (_, modeling) = app.get("/data/departments?name=Modeling", &admin).await;
    let modeling = modeling[0]["id"].clone();
    let client_id = app
        .person_with_role("client@example.com", Role::Client)
        .await;
    let supervisor_id = app
        .person_with_role("sup@example.com", Role::Supervisor)
        .await;
    for id in [&client_id, &supervisor_id] {
        app.join_team(&project, id, None).await;
    }
    app.db
        .execute(
            "INSERT INTO department_link (person_id, department_id) VALUES ($1, $2)",
            &[
                uuid::Uuid::parse_str(&supervisor_id).unwrap().into(),
                uuid::Uuid::parse_str(modeling.as_str().unwrap())
                    .unwrap()
                    .into(),
            ],
        )
        .await
        .unwrap();
    let client = app.token_for("client@example.com", PASSWORD).await;
    let supervisor = app.token_for("sup@example.com", PASSWORD).await;
    app.post(&base, &admin, json!({"name": "Budget", "for_client": true}))
        .await;
    app.post(&base, &admin, json!({"name": "Internal"})).await;
    let names = |list: Json| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(app.get(&base, &client).await.1), ["Budget"]);
    assert_eq!(
        app.post(&base, &supervisor, json!({"name": "Topology"}))
            .await
            .0,
        403,
        "needs departments"
    );
    let (status, own) = app
        .post(
            &base,
            &supervisor,
            json!({"name": "Topology", "departments": [modeling]}),
        )
        .await;
    assert_eq!(status, 201, "{own}");
    assert_eq!(own["departments"], json!([modeling]));

    let ids: Vec<Json> = app
        .get(&base, &admin)
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    let (status, ordered) = app
        .post(
            &format!("{base}/reorder"),
            &admin,
            json!({"entity_type": "Asset", "descriptor_ids": [ids[2], ids[0]]}),
        )
        .await;
    assert_eq!(status, 200, "{ordered}");
    let positions: Vec<(&Json, &Json)> = ordered
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (&d["id"], &d["position"]))
        .collect();
    assert_eq!(
        positions,
        [
            (&ids[2], &json!(1)),
            (&ids[0], &json!(2)),
            (&ids[1], &json!(3))
        ]
    );
    assert_eq!(
        app.post(
            &format!("{base}/reorder"),
            &supervisor,
            json!({"entity_type": "Asset", "descriptor_ids": [ids[0]]})
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn descriptors_are_shared_across_the_open_projects_one_manages() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let film = app.create_project(&admin, "Film").await;
    let show = app.create_project(&admin, "Show").await;
    let archive = app.create_project(&admin, "Archive").await;
    app.set_project_status(&archive, "Closed").await;
    let manager = app
        .person_with_role("manager@example.com", Role::Manager)
        .await;
    app.join_team(&film, &manager, None).await;
    app.join_team(&show, &manager, Some(Role::User)).await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let supervisor = app
        .person_with_role("supervisor@example.com", Role::Supervisor)
        .await;
    app.join_team(&film, &supervisor, Some(Role::Manager)).await;
    let supervisor = app.token_for("supervisor@example.com", PASSWORD).await;

    let all = "/data/metadata-descriptors/all-projects";
    let body = json!({"name": "Rig Notes", "entity_type": "Shot"});
    assert_eq!(app.post(all, &supervisor, body.clone()).await.0, 403);
    let (status, mine) = app.post(all, &manager, body.clone()).await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "Show is not theirs to manage"
    );
    assert_eq!(mine[0]["project_id"], json!(film));
    let (status, rest) = app.post(all, &admin, body).await;
    assert_eq!(status, 201, "{rest}");
    assert_eq!(
        rest.as_array().unwrap().len(),
        1,
        "Film has it, Archive is closed"
    );
    assert_eq!(rest[0]["project_id"], json!(show));
    assert_eq!(
        app.post(all, &admin, json!({"name": "X", "entity_type": "Task"}))
            .await
            .1["message"],
        "Wrong entity type. Please select Asset, Shot, Sequence, Episode, Edit, or Project."
    );

    let (_, sequence) = app
        .post(
            &format!("/data/projects/{film}/sequences"),
            &admin,
            json!({"name": "Q1"}),
        )
        .await;
    let (_, shot) = app
        .post(
            &format!("/data/projects/{film}/shots"),
            &admin,
            json!({"name": "SH1", "sequence_id": sequence["id"], "data": {"rig_notes": "ok"}}),
        )
        .await;
    let (status, renamed) = app
        .put(
            &format!("{all}/rig_notes"),
            &admin,
            json!({"entity_type": "Shot", "name": "Rigging"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed.as_array().unwrap().len(), 2);
    assert!(renamed
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["field_name"] == "rigging"));
    let shot_url = format!("/data/entities/{}", shot["id"].as_str().unwrap());
    assert_eq!(
        app.get(&shot_url, &admin).await.1["data"],
        json!({"rigging": "ok"})
    );

    app.post(
        all,
        &admin,
        json!({"name": "Budget Code", "entity_type": "Shot"}),
    )
    .await;
    let (status, ordered) = app
        .post(
            "/actions/metadata-descriptors/all-projects/reorder",
            &admin,
            json!({"entity_type": "Shot", "field_order": ["budget_code", "unknown"]}),
        )
        .await;
    assert_eq!(status, 200, "{ordered}");
    let film_order: Vec<&Json> = ordered
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["project_id"] == json!(film))
        .map(|d| &d["field_name"])
        .collect();
    assert_eq!(film_order, [&json!("budget_code"), &json!("rigging")]);

    let (status, deleted) = app
        .delete(&format!("{all}/rigging?entity_type=Shot"), &admin)
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted.as_array().unwrap().len(), 2);
    assert_eq!(app.get(&shot_url, &admin).await.1["data"], json!({}));
    assert_eq!(
        app.delete(&format!("{all}/rigging"), &admin).await.0,
        400,
        "the entity type is required"
    );
}
