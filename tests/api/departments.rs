//! Departments: their hardware and software links (admins only), and their members.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

const UNKNOWN: &str = "0191e4e5-0000-7000-8000-000000000000";

async fn created(app: &TestApp, admin: &str, path: &str, body: Json) -> String {
    let (status, row) = app.post(path, admin, body).await;
    assert_eq!(status, 201, "{path}: {row}");
    row["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn admins_link_hardware_and_software_to_departments() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let dept = created(
        &app,
        &admin,
        "/data/departments",
        json!({"name": "Lighting", "color": "#000000"}),
    )
    .await;
    let other = created(
        &app,
        &admin,
        "/data/departments",
        json!({"name": "Rigging", "color": "#000000"}),
    )
    .await;
    let workstation = created(
        &app,
        &admin,
        "/data/hardware-items",
        json!({"name": "Workstation", "short_name": "ws", "monthly_cost": 100}),
    )
    .await;
    let maya = created(
        &app,
        &admin,
        "/data/softwares",
        json!({"name": "Maya", "short_name": "ma", "file_extension": ".ma"}),
    )
    .await;

    let hardware = format!("/data/departments/{dept}/hardware-items");
    let (status, link) = app
        .post(&hardware, &admin, json!({"hardware_item_id": workstation}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(link["type"], "HardwareItemDepartmentLink");
    assert_eq!(
        (&link["department_id"], &link["hardware_item_id"]),
        (&json!(dept), &json!(workstation))
    );
    // Linking again answers the same link.
    let (status, again) = app
        .post(&hardware, &admin, json!({"hardware_item_id": workstation}))
        .await;
    assert_eq!((status, &again["id"]), (201, &link["id"]));
    let software = format!("/data/departments/{dept}/software-licenses");
    let (status, link) = app
        .post(&software, &admin, json!({"software_id": maya}))
        .await;
    assert_eq!(
        (status, link["type"].as_str()),
        (201, Some("SoftwareDepartmentLink"))
    );

    // Input and existence checks, in Zou's order.
    let (status, body) = app.post(&hardware, &admin, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"][0]["field"], "hardware_item_id");
    assert_eq!(body["data"]["errors"][0]["message"], "Field required");
    let (status, body) = app
        .post(&hardware, &admin, json!({"hardware_item_id": "abc"}))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Validation error."))
    );
    let (status, body) = app
        .post(
            "/data/departments/abc/hardware-items",
            &admin,
            json!({"hardware_item_id": workstation}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Wrong UUID format."))
    );
    let unknown_dept = format!("/data/departments/{UNKNOWN}/hardware-items");
    assert_eq!(
        app.post(
            &unknown_dept,
            &admin,
            json!({"hardware_item_id": workstation})
        )
        .await
        .0,
        404
    );
    // A software is no hardware item.
    assert_eq!(
        app.post(&hardware, &admin, json!({"hardware_item_id": maya}))
            .await
            .0,
        404
    );
    assert_eq!(
        app.post(
            &hardware,
            &manager,
            json!({"hardware_item_id": workstation})
        )
        .await
        .0,
        403
    );

    let (status, map) = app.get("/data/departments/hardware-items", &admin).await;
    assert_eq!(status, 200);
    assert_eq!(map.as_object().unwrap().len(), 1);
    assert_eq!(map[&dept][0]["name"], "Workstation");
    assert_eq!(map[&dept][0]["type"], "HardwareItem");
    assert_eq!(map[&dept][0]["monthly_cost"], 100);
    let (_, map) = app.get("/data/departments/software-licenses", &admin).await;
    assert_eq!(map[&dept][0]["name"], "Maya");
    assert_eq!(map[&dept][0]["type"], "Software");
    assert_eq!(
        app.get("/data/departments/hardware-items", &manager)
            .await
            .0,
        403
    );

    // One linked item: the item when linked to that department, else 404.
    let (status, item) = app
        .get(
            &format!("/data/departments/{dept}/software-licenses/{maya}"),
            &admin,
        )
        .await;
    assert_eq!(
        (status, item["file_extension"].as_str()),
        (200, Some(".ma"))
    );
    let (status, item) = app
        .get(
            &format!("/data/departments/{dept}/hardware-items/{workstation}"),
            &admin,
        )
        .await;
    assert_eq!((status, item["short_name"].as_str()), (200, Some("ws")));
    assert_eq!(
        app.get(
            &format!("/data/departments/{other}/hardware-items/{workstation}"),
            &admin
        )
        .await
        .0,
        404
    );
    let (status, body) = app
        .get(
            &format!("/data/departments/{dept}/software-licenses/nope"),
            &admin,
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Wrong UUID format."))
    );
    assert_eq!(
        app.get(
            &format!("/data/departments/{dept}/software-licenses/{maya}"),
            &manager
        )
        .await
        .0,
        403
    );

    // Unlinking: 204, also when there is no link; unknown ids give 404.
    let one = format!("/data/departments/{dept}/hardware-items/{workstation}");
    assert_eq!(app.delete(&one, &manager).await.0, 403);
    assert_eq!(app.delete(&one, &admin).await.0, 204);
    assert_eq!(app.delete(&one, &admin).await.0, 204);
    assert_eq!(app.get(&one, &admin).await.0, 404);
    assert_eq!(
        app.delete(
            &format!("/data/departments/{dept}/hardware-items/{UNKNOWN}"),
            &admin
        )
        .await
        .0,
        404
    );
    let (_, map) = app.get("/data/departments/hardware-items", &admin).await;
    assert_eq!(map, json!({}));
    assert_eq!(
        app.delete(
            &format!("/data/departments/{dept}/software-licenses/{maya}"),
            &admin
        )
        .await
        .0,
        204
    );
    let (_, map) = app.get("/data/departments/software-licenses", &admin).await;
    assert_eq!(map, json!({}));
}

#[tokio::test]
async fn department_members_are_whole_for_admins_and_name_cards_for_the_studio() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let dept = created(
        &app,
        &admin,
        "/data/departments",
        json!({"name": "Stop Motion", "color": "#000000"}),
    )
    .await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let vendor = app
        .person_with_role("vendor@example.com", Role::Vendor)
        .await;
    app.person_with_role("client@example.com", Role::Client)
        .await;
    for (person, first_name) in [(&artist, "Zoe"), (&vendor, "Adam")] {
        let (status, _) = app
            .put(
                &format!("/data/persons/{person}"),
                &admin,
                json!({"first_name": first_name, "departments": [dept]}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let url = format!("/data/departments/{dept}/persons");
    let (status, members) = app.get(&url, &admin).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Adam", "Zoe"]);
    assert_eq!(members[1]["email"], "artist@example.com");
    assert_eq!(members[1]["departments"], json!([dept]));
    assert_eq!(members[1]["type"], "Person");
    assert!(members[1].get("password").is_none());

    let token = app.token_for("vendor@example.com", PASSWORD).await;
    let (status, members) = app.get(&url, &token).await;
    assert_eq!(status, 200);
    let card = members[1].as_object().unwrap();
    assert_eq!(card.len(), 12, "{card:?}");
    assert_eq!(card["full_name"], "Zoe user");
    assert_eq!(card["departments"], json!([dept]));
    assert!(card.get("email").is_none());

    let client = app.token_for("client@example.com", PASSWORD).await;
    assert_eq!(app.get(&url, &client).await.0, 403);
    let (status, body) = app.get("/data/departments/xyz/persons", &token).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Wrong UUID format."))
    );
    assert_eq!(
        app.get(&format!("/data/departments/{UNKNOWN}/persons"), &token)
            .await
            .0,
        404
    );
}
