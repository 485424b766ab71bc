//! Studio models with rules of their own: backgrounds, salary scales, days off.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

#[tokio::test]
async fn one_default_preview_background_with_a_unique_name() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, first) = app
        .post(
            "/data/preview-background-files",
            &admin,
            json!({"name": "Studio", "is_default": true}),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["file_size"], 0);
    let (_, second) = app
        .post(
            "/data/preview-background-files",
            &admin,
            json!({"name": "Sky", "is_default": true}),
        )
        .await;
    let (_, defaults) = app
        .get("/data/preview-background-files?is_default=true", &admin)
        .await;
    assert_eq!(defaults.as_array().unwrap().len(), 1);
    assert_eq!(defaults[0]["id"], second["id"]);
    assert_eq!(
        app.post(
            "/data/preview-background-files",
            &admin,
            json!({"name": "Sky"})
        )
        .await
        .1["message"],
        "A preview background file with similar name already exists"
    );
    app.person_with_role("vendor@example.com", Role::Vendor)
        .await;
    let vendor = app.token_for("vendor@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/data/preview-background-files", &vendor).await.0,
        200
    );
}

#[tokio::test]
async fn salary_scales_cover_every_department_and_are_only_edited() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, scales) = app.get("/data/salary-scales", &admin).await;
    assert_eq!(status, 200);
    assert_eq!(scales.as_array().unwrap().len(), 6 * 9);
    assert_eq!(
        app.get("/data/salary-scales", &admin)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        54,
        "made once"
    );
    assert_eq!(
        app.post("/data/salary-scales", &admin, json!({"salary": 1}))
            .await,
        (
            400,
            json!({"error": true, "message": "Salary scales cannot be created", "data": null})
        )
    );
    let id = scales[0]["id"].as_str().unwrap();
    let (_, updated) = app
        .put(
            &format!("/data/salary-scales/{id}"),
            &admin,
            json!({"salary": 300, "department_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(updated["salary"], 300);
    assert_eq!(
        updated["department_id"], scales[0]["department_id"],
        "department is fixed"
    );
    assert_eq!(
        app.put(
            &format!("/data/salary-scales/{id}"),
            &admin,
            json!({"seniority": "guru"})
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn days_off_belong_to_their_person_and_never_overlap() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist_id = app.person_with_role("artist@example.com", Role::User).await;
    let other_id = app.person_with_role("other@example.com", Role::User).await;
    let artist = app.token_for("artist@example.com", PASSWORD).await;
    let day_off = |person: &str, start: &str, end: &str| json!({"person_id": person, "date": start, "end_date": end, "description": "holidays"});
    let (status, created) = app
        .post(
            "/data/day-offs",
            &artist,
            day_off(&artist_id, "2026-08-01", "2026-08-15"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        app.post(
            "/data/day-offs",
            &artist,
            day_off(&other_id, "2026-09-01", "2026-09-02")
        )
        .await
        .0,
        403,
        "not for someone else"
    );
    assert_eq!(
        app.post(
            "/data/day-offs",
            &artist,
            day_off(&artist_id, "2026-08-10", "2026-08-20")
        )
        .await
        .1["message"],
        "Day off already exists for this period"
    );
    let (status, body) = app
        .post(
            "/data/day-offs",
            &artist,
            day_off(&artist_id, "2026-10-10", "2026-10-01"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        app.get("/data/day-offs", &artist).await.0,
        403,
        "the list is for admins"
    );
    let id = created["id"].as_str().unwrap();
    let (_, mine) = app.get(&format!("/data/day-offs/{id}"), &artist).await;
    assert_eq!(mine["description"], "holidays");
    let other = app.token_for("other@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/data/day-offs/{id}"), &other).await.0,
        403
    );
    let (_, listed) = app.get("/data/day-offs", &admin).await;
    let dates: Vec<&Json> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["date"])
        .collect();
    assert_eq!(dates, [&json!("2026-08-01")]);
    assert_eq!(
        app.delete(&format!("/data/day-offs/{id}"), &other).await.0,
        403
    );
    assert_eq!(
        app.delete(&format!("/data/day-offs/{id}"), &artist).await.0,
        204
    );
}
