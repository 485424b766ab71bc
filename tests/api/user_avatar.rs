//! Removing one's avatar.

use crate::common::*;
use serde_json::json;
use tusk_actors::role::Role;

#[tokio::test]
async fn a_person_clears_their_avatar_and_its_picture() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    let artist_id = uuid::Uuid::parse_str(&artist).unwrap();
    app.db
        .execute(
            "UPDATE person SET has_avatar = $1 WHERE id = $2",
            &[true.into(), artist_id.into()],
        )
        .await
        .unwrap();
    let picture = app.config.stored_file("pictures", "thumbnails", &artist);
    std::fs::create_dir_all(picture.parent().unwrap()).unwrap();
    std::fs::write(&picture, b"png").unwrap();
    let other = app
        .config
        .stored_file("pictures", "thumbnails", "0123456789");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, b"png").unwrap();
    let token = app.token_for("artist@example.com", PASSWORD).await;

    let (status, body) = app.delete("/actions/user/clear-avatar", &token).await;
    assert_eq!(status, 204, "{body}");
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["has_avatar"], false);
    assert!(!picture.exists(), "the picture is removed");
    assert!(other.exists(), "only theirs");
    assert_eq!(
        app.delete("/actions/user/clear-avatar", &token).await.0,
        204,
        "again, without a picture"
    );
    let events = app
        .db
        .fetch_all(
            "SELECT data, user_id FROM api_event WHERE name = 'person:update'",
            &[],
            Some("api_event"),
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "an event every time");
    assert_eq!(events[0]["data"], json!({"person_id": artist}));
    assert_eq!(events[0]["user_id"], json!(artist));

    let (status, _) = app
        .post("/actions/user/clear-avatar", &token, json!({}))
        .await;
    assert_eq!(status, 405);
    let bot = app.bot_token(&admin, Role::User).await;
    assert_eq!(app.delete("/actions/user/clear-avatar", &bot).await.0, 403);
}
