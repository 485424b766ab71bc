//! Avatars of persons, projects and the organisation: uploads turned into
//! 400×400 PNGs, who may upload and read them, and Zou's answers.

use crate::common::*;
use image::ImageFormat;
use serde_json::json;
use tusk_actors::role::Role;

/// The rows of a picture that are not fully transparent.
fn painted_rows(picture: &image::RgbaImage) -> std::ops::Range<u32> {
    let rows: Vec<u32> = (0..picture.height())
        .filter(|&y| (0..picture.width()).any(|x| picture.get_pixel(x, y)[3] > 0))
        .collect();
    rows[0]..rows[rows.len() - 1] + 1
}

#[tokio::test]
async fn a_person_uploads_their_avatar_and_everyone_sees_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let artist = app.person_with_role("artist@example.com", Role::User).await;
    app.person_with_role("other@example.com", Role::User).await;
    let token = app.token_for("artist@example.com", PASSWORD).await;
    let other = app.token_for("other@example.com", PASSWORD).await;
    let url = format!("/pictures/thumbnails/persons/{artist}");

    assert_eq!(
        app.download(&url, &token, &[]).await.status,
        404,
        "no avatar yet"
    );
    let (status, body) = app.upload(&url, &token, "me.txt", b"hello".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": true, "message": "Uploaded file is not a readable picture.", "data": null})
    );
    for bomb in [jpeg_bomb(19_000, 19_000), jpeg_bomb(30_000, 10)] {
        let (status, body) = app.upload(&url, &token, "me.jpg", bomb).await;
        assert_eq!(
            (status, &body["message"]),
            (400, &json!("Uploaded file is not a readable picture."))
        );
    }
    let (status, body) = app.post(&url, &token, json!({})).await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("File not provided."))
    );
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["has_avatar"], false, "nothing was stored");

    let upload = picture(64, 36, ImageFormat::Png);
    let (status, _) = app.upload(&url, &other, "me.png", upload.clone()).await;
    assert_eq!(status, 403, "not someone else's");
    let (status, body) = app.upload(&url, &token, "me.png", upload).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({"thumbnail_path": format!("pictures/thumbnails/persons/{artist}.png")})
    );
    let (_, person) = app.get(&format!("/data/persons/{artist}"), &admin).await;
    assert_eq!(person["has_avatar"], true);
    assert!(app
        .config
        .stored_file("pictures", "thumbnails", &artist)
        .exists());
    assert_eq!(
        app.event_data("person:update").await,
        vec![json!({"person_id": artist})]
    );
    assert_eq!(
        app.event_data("person:set-thumbnail").await,
        vec![json!({"person_id": artist})]
    );

    let upper_case = format!("/pictures/thumbnails/persons/{}.png", artist.to_uppercase());
    for path in [url.clone(), format!("{url}.png"), upper_case] {
        let avatar = app.download(&path, &other, &[]).await;
        assert_eq!(avatar.status, 200, "{path}");
        assert_eq!(avatar.header("cache-control"), "private, max-age=604800");
        assert_eq!(
            avatar.header("content-disposition"),
            "inline; filename=\"\""
        );
        assert!(!avatar.header("last-modified").is_empty());
        let picture = avatar.picture();
        assert_eq!(picture.dimensions(), (400, 400));
        assert_eq!(painted_rows(&picture), 87..312, "400×225, centred");
        assert_eq!(picture.get_pixel(0, 0)[3], 0);
    }

    let (status, _) = app
        .upload(
            &format!("{url}.png"),
            &admin,
            "big.jpg",
            picture(30, 60, ImageFormat::Jpeg),
        )
        .await;
    assert_eq!(status, 201, "admins upload for anyone, at either address");
    let picture = app.download(&url, &token, &[]).await.picture();
    assert_eq!(picture.get_pixel(99, 200)[3], 0, "200×400 now, at x=100");
    assert_eq!(picture.get_pixel(100, 200)[3], 255);

    let unknown = uuid::Uuid::new_v4();
    let (status, _) = app
        .upload(
            &format!("/pictures/thumbnails/persons/{unknown}"),
            &admin,
            "a.png",
            picture_bytes(),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.delete("/actions/user/clear-avatar", &token).await.0,
        204
    );
    assert_eq!(app.download(&url, &other, &[]).await.status, 404);
}

fn picture_bytes() -> Vec<u8> {
    picture(8, 8, ImageFormat::Png)
}

#[tokio::test]
async fn project_managers_upload_the_project_avatar_and_its_team_reads_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let crew = app
        .crew(
            &project,
            "",
            &[
                ("artist", Role::User, true),
                ("supervisor", Role::Supervisor, true),
                ("manager", Role::Manager, true),
                ("outsider", Role::User, false),
                ("studio_manager", Role::Manager, false),
            ],
        )
        .await;
    let token = |who: &str| crew.iter().find(|m| m.who == who).unwrap().token.clone();
    let url = format!("/pictures/thumbnails/projects/{project}");

    let (status, body) = app
        .upload(
            &format!("{url}.png"),
            &token("manager"),
            "a.png",
            picture_bytes(),
        )
        .await;
    assert_eq!(status, 405);
    assert_eq!(
        body,
        json!({"error": true, "message": "Upload project thumbnails on the url without extension: /pictures/thumbnails/projects/<project_id>."})
    );
    for who in ["supervisor", "artist", "studio_manager"] {
        let (status, _) = app
            .upload(&url, &token(who), "a.png", picture_bytes())
            .await;
        assert_eq!(status, 403, "{who}");
    }
    let (status, body) = app
        .upload(&url, &token("manager"), "a.png", picture_bytes())
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["thumbnail_path"],
        json!(format!("pictures/thumbnails/projects/{project}.png"))
    );
    assert_eq!(
        app.event_data("project:update").await.last(),
        Some(&json!({"project_id": project}))
    );
    assert_eq!(
        app.event_data("project:set-thumbnail").await,
        vec![json!({"project_id": project})]
    );
    for who in ["artist", "studio_manager"] {
        for path in [url.clone(), format!("{url}.png")] {
            let avatar = app.download(&path, &token(who), &[]).await;
            assert_eq!(avatar.status, 200, "{who} {path}");
            assert_eq!(avatar.picture().dimensions(), (400, 400));
        }
    }
    assert_eq!(
        app.download(&url, &token("outsider"), &[]).await.status,
        403
    );
}

#[tokio::test]
async fn admins_upload_the_organisation_avatar() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.person_with_role("manager@example.com", Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    let organisation = tusk::organisation::current(&app.db, true).await.unwrap();
    let id = organisation["id"].as_str().unwrap();
    let url = format!("/pictures/thumbnails/organisations/{id}");

    let (status, _) = app.upload(&url, &manager, "a.png", picture_bytes()).await;
    assert_eq!(status, 403);
    let other = format!(
        "/pictures/thumbnails/organisations/{}",
        uuid::Uuid::new_v4()
    );
    let (status, _) = app.upload(&other, &admin, "a.png", picture_bytes()).await;
    assert_eq!(status, 404, "another id");
    assert_eq!(app.download(&url, &manager, &[]).await.status, 404);
    let (status, body) = app
        .upload(&format!("{url}.png"), &admin, "a.png", picture_bytes())
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["thumbnail_path"],
        json!(format!("pictures/thumbnails/organisations/{id}.png"))
    );
    assert_eq!(
        app.event_data("organisation:set-thumbnail").await,
        vec![json!({"organisation_id": id})]
    );
    let avatar = app.download(&format!("{url}.png"), &manager, &[]).await;
    assert_eq!(avatar.picture().dimensions(), (400, 400));
    assert_eq!(
        app.download(&other, &manager, &[]).await.status,
        404,
        "no such file"
    );
}
