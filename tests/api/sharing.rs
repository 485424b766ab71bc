//! Shared assets: sharing actions and the shared assets a project uses.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn asset(app: &TestApp, admin: &str, project: &str, name: &str) -> Json {
    let (_, types) = app.get("/data/entity-types?name=Prop", admin).await;
    let kind = types[0]["id"].as_str().unwrap();
    let (status, created) = app
        .post(
            &format!("/data/projects/{project}/asset-types/{kind}/assets/new"),
            admin,
            json!({"name": name}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test]
async fn projects_lend_shared_assets_to_others() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let library = app.create_project(&admin, "Library").await;
    let film = app.create_project(&admin, "Film").await;
    let lamp = asset(&app, &admin, &library, "Lamp").await;
    let chair = asset(&app, &admin, &library, "Chair").await;
    let (status, shared) = app
        .post(
            &format!("/actions/projects/{library}/assets/share"),
            &admin,
            json!({"asset_ids": [lamp["id"]]}),
        )
        .await;
    assert_eq!(status, 200, "{shared}");
    assert_eq!(shared.as_array().unwrap().len(), 1);
    assert_eq!(shared[0]["is_shared"], true);

    let (_, shot) = app
        .post(
            &format!("/data/projects/{film}/shots"),
            &admin,
            json!({"name": "SH010"}),
        )
        .await;
    let (_, sequence) = app
        .post(
            &format!("/data/projects/{film}/sequences"),
            &admin,
            json!({"name": "SQ01"}),
        )
        .await;
    app.put(
        &format!("/data/shots/{}", shot["id"].as_str().unwrap()),
        &admin,
        json!({"parent_id": sequence["id"]}),
    )
    .await;
    let casting = format!(
        "/data/projects/{film}/entities/{}/casting",
        shot["id"].as_str().unwrap()
    );
    app.put(
        &casting,
        &admin,
        json!([{"asset_id": lamp["id"]}, {"asset_id": chair["id"]}]),
    )
    .await;

    let (status, used) = app
        .get(&format!("/data/projects/{film}/assets/shared-used"), &admin)
        .await;
    assert_eq!(status, 200);
    let names: Vec<&Json> = used
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["name"])
        .collect();
    assert_eq!(
        names,
        [&json!("Lamp")],
        "only shared assets of other projects"
    );

    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    app.join_team(&library, &artist_id, None).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    assert_eq!(
        app.post(
            "/actions/assets/share",
            &artist,
            json!({"asset_ids": [chair["id"]]})
        )
        .await
        .0,
        403
    );
    let (_, unshared) = app
        .post(
            "/actions/assets/share",
            &admin,
            json!({"asset_ids": [lamp["id"]], "is_shared": false}),
        )
        .await;
    assert_eq!(unshared[0]["is_shared"], false);
    assert_eq!(
        app.get(&format!("/data/projects/{film}/assets/shared-used"), &admin)
            .await
            .1,
        json!([])
    );
    assert_eq!(
        app.post(
            "/actions/assets/share",
            &admin,
            json!({"is_shared": "perhaps"})
        )
        .await
        .0,
        400
    );
}
