//! `/data/persons`: who sees what of whom, and who may change what.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn keys(row: &Json) -> Vec<&str> {
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

async fn department_id(app: &TestApp, token: &str, name: &str) -> String {
    let (_, found) = app
        .get(&format!("/data/departments?name={name}"), token)
        .await;
    found[0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn admins_create_people_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let animation = department_id(&app, &admin, "Animation").await;
    let (status, created) = app
        .post(
            "/data/persons",
            &admin,
            json!({"first_name": "Ada", "last_name": "Lane", "email": " Ada@Studio.com",
                   "password": "long-enough", "departments": [animation], "role": "supervisor"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["email"], "ada@studio.com");
    assert_eq!(created["full_name"], "Ada Lane");
    assert_eq!(created["departments"], json!([animation]));
    assert_eq!(created["active"], true);
    assert_eq!(created["position"], "artist");
    assert_eq!(created["timezone"], "Europe/Paris");
    assert!(created.get("password").is_none());
    let (status, login) = app.login("ada@studio.com", "long-enough").await;
    assert_eq!(status, 200);
    assert_eq!(login["user"]["departments"], json!([animation]));

    let (_, in_department) = app
        .get(&format!("/data/persons?departments={animation}"), &admin)
        .await;
    assert_eq!(in_department.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn person_fields_are_validated_before_anything_is_written() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let person = |extra: Json| {
        let mut body = json!({"first_name": "A", "last_name": "B", "email": "a@b.com"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let message = |(status, body): (u16, Json)| (status, body["message"].clone());
    assert_eq!(
        message(
            app.post("/data/persons", &admin, person(json!({"role": "boss"})))
                .await
        ),
        (400, json!("Invalid role"))
    );
    assert_eq!(
        message(
            app.post("/data/persons", &admin, person(json!({"email": "nobody"})))
                .await
        ),
        (400, json!("An email address must have an @-sign."))
    );
    assert_eq!(
        message(
            app.post(
                "/data/persons",
                &admin,
                person(json!({"email": ADMIN_EMAIL.to_uppercase()}))
            )
            .await
        ),
        (400, json!("Email already in use."))
    );
    assert_eq!(
        message(
            app.post(
                "/data/persons",
                &admin,
                person(json!({"expiration_date": "2001-01-01"}))
            )
            .await
        ),
        (400, json!("Expiration date can't be in the past."))
    );
    let (status, body) = app
        .post("/data/persons", &admin, person(json!({"position": "boss"})))
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("position"));
    assert_eq!(
        message(
            app.post("/data/persons", &admin, json!({"last_name": "B"}))
                .await
        ),
        (400, json!("A required field is missing."))
    );
    let (_, everyone) = app.get("/data/persons", &admin).await;
    assert_eq!(everyone.as_array().unwrap().len(), 1, "nothing was created");
}

#[tokio::test]
async fn non_admins_see_a_name_card_and_cannot_probe_hidden_fields() {
    let app = spawn_app().await;
    app.person_with_role("artist@example.com", Role::User).await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let admin = app.admin_token().await;

    let (status, listed) = app.get("/data/persons", &artist).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(
        keys(&listed[0]),
        [
            "active",
            "departments",
            "desktop_login",
            "first_name",
            "full_name",
            "has_avatar",
            "id",
            "is_bot",
            "last_name",
            "role",
            "studio_id",
            "type"
        ]
    );
    let (status, body) = app.get("/data/persons?daily_salary=0", &artist).await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("Filtering on daily_salary is not allowed."))
    );
    let (_, found) = app
        .get("/data/persons?email=manager@example.com", &artist)
        .await;
    assert_eq!(
        found.as_array().unwrap().len(),
        1,
        "email may be filtered on"
    );
    let (status, body) = app.get("/data/persons?password=x", &admin).await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("Filtering on password is not allowed."))
    );

    let admin_id = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, as_manager) = app
        .get(&format!("/data/persons/{admin_id}"), &manager)
        .await;
    assert_eq!(
        as_manager["email"], ADMIN_EMAIL,
        "managers see one person's details"
    );
    assert!(as_manager.get("password").is_none());
    let (_, as_artist) = app.get(&format!("/data/persons/{admin_id}"), &artist).await;
    assert!(as_artist.get("email").is_none());
}

#[tokio::test]
async fn people_edit_themselves_within_limits() {
    let app = spawn_app().await;
    let id = app.person_with_role("artist@example.com", Role::User).await;
    let other = app.person_with_role("other@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let (status, updated) = app
        .put(
            &format!("/data/persons/{id}"),
            &artist,
            json!({"phone": "+33 1 23", "role": "admin", "active": false, "password": "x"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["phone"], "+33 1 23");
    assert_eq!(
        updated["role"], "user",
        "an artist cannot promote themselves"
    );
    assert_eq!(updated["active"], true);
    assert_eq!(updated["departments"], json!([]));
    assert_eq!(
        app.login("artist@example.com", PASSWORD).await.0,
        200,
        "password untouched"
    );
    assert_eq!(
        app.put(
            &format!("/data/persons/{other}"),
            &artist,
            json!({"phone": "1"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.delete(&format!("/data/persons/{other}"), &artist)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn bots_get_a_token_and_only_the_latest_works() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, bot) = app
        .post(
            "/data/persons",
            &admin,
            json!({"first_name": "Render", "last_name": "Bot", "is_bot": true, "role": "manager"}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let first = bot["access_token"].as_str().unwrap().to_string();
    let (status, me) = app.get("/auth/authenticated", &first).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["is_bot"], true);
    assert_eq!(
        app.get("/auth/logout", &first).await.0,
        403,
        "bots do not log out"
    );

    let id = bot["id"].as_str().unwrap();
    let (_, renewed) = app
        .put(
            &format!("/data/persons/{id}"),
            &admin,
            json!({"expiration_date": "2999-01-01"}),
        )
        .await;
    let second = renewed["access_token"].as_str().unwrap();
    assert_eq!(app.get("/auth/authenticated", second).await.0, 200);
    assert_eq!(
        app.get("/auth/authenticated", &first).await,
        (401, json!({"msg": "Token has been revoked"}))
    );
}

#[tokio::test]
async fn deleting_a_person_with_history_needs_force() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.person_with_role("leaver@example.com", Role::User).await;
    app.token_for("leaver@example.com", PASSWORD).await;
    let admin_id = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.1["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.delete(&format!("/data/persons/{admin_id}"), &admin)
            .await
            .0,
        403,
        "not yourself"
    );
    assert_eq!(
        app.delete(&format!("/data/persons/{id}"), &admin).await,
        (
            400,
            json!({"error": true, "message": "Some data are still linked to given person."})
        )
    );
    assert_eq!(
        app.delete(&format!("/data/persons/{id}?force=true"), &admin)
            .await
            .0,
        204
    );
    assert_eq!(app.get(&format!("/data/persons/{id}"), &admin).await.0, 404);
}
