//! Uploading a preview's file (pictures, other files, refused movies and
//! formats) and reading its thumbnails, preview and original back.

use crate::common::*;
use image::ImageFormat;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

async fn setup(app: &TestApp) -> Production {
    let crew = [
        ("artist", Role::User, true),
        ("other", Role::User, true),
        ("client", Role::Client, true),
        ("vendor", Role::Vendor, true),
        ("outsider", Role::User, false),
        ("outside_vendor", Role::Vendor, false),
    ];
    app.production(&["Animation"], &crew).await
}

/// A comment on the task with a new (processing) preview, as Kitsu makes them.
async fn new_preview(app: &TestApp, s: &Production) -> (Json, Json) {
    let (_, wip) = app.get("/data/task-status?short_name=wip", &s.admin).await;
    let (status, comment) = app
        .post(
            &format!("/actions/tasks/{}/comment", s.task),
            s.token("artist"),
            json!({"task_status_id": wip[0]["id"], "comment": "take"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let (status, preview) = app
        .post(
            &format!(
                "/actions/tasks/{}/comments/{}/add-preview",
                s.task,
                id(&comment)
            ),
            s.token("artist"),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{preview}");
    assert_eq!(preview["status"], "processing");
    (comment, preview)
}

fn upload_url(preview: &Json) -> String {
    format!("/pictures/preview-files/{}", id(preview))
}

/// The rows of a picture that are not fully transparent.
fn painted_rows(picture: &image::RgbaImage) -> std::ops::Range<u32> {
    let rows: Vec<u32> = (0..picture.height())
        .filter(|&y| (0..picture.width()).any(|x| picture.get_pixel(x, y)[3] > 0))
        .collect();
    rows[0]..rows[rows.len() - 1] + 1
}

#[tokio::test]
async fn a_picture_becomes_an_original_a_preview_and_thumbnails() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (comment, preview) = new_preview(&app, &s).await;
    let pid = id(&preview);
    let thumbnail_url = format!("/pictures/thumbnails/preview-files/{pid}.png");
    let artist = s.token("artist");

    let waiting = app.download(&thumbnail_url, artist, &[]).await;
    assert_eq!(waiting.status, 404, "still processing");
    assert_eq!(waiting.header("cache-control"), "no-store");
    assert_eq!(
        serde_json::from_slice::<Json>(&waiting.bytes).unwrap(),
        json!({"error": true, "message": "Preview file was not found."})
    );
    let polled = app
        .download(&thumbnail_url, artist, &[("accept", "application/json")])
        .await;
    assert_eq!(polled.status, 202);
    assert_eq!(polled.header("retry-after"), "5");
    assert_eq!(
        serde_json::from_slice::<Json>(&polled.bytes).unwrap(),
        json!({"status": "processing", "preview_file_id": pid})
    );

    let upload = picture(64, 36, ImageFormat::Png);
    let (status, _) = app
        .upload(
            &upload_url(&preview),
            s.token("other"),
            "blocking.png",
            upload.clone(),
        )
        .await;
    assert_eq!(status, 403, "not assigned");
    let (status, body) = app.post(&upload_url(&preview), artist, json!({})).await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("File not provided."))
    );
    let (status, body) = app
        .upload(
            &upload_url(&preview),
            artist,
            "blocking.png",
            b"<svg/>".to_vec(),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Uploaded file is not a readable picture.");
    let (_, row) = app
        .get(&format!("/data/preview-files/{pid}"), &s.admin)
        .await;
    assert_eq!(
        (&row["status"], &row["original_name"]),
        (&json!("processing"), &Json::Null)
    );

    let (status, row) = app
        .upload(&upload_url(&preview), artist, "blocking.png", upload)
        .await;
    assert_eq!(status, 201, "{row}");
    let mut expected = sample_keys("GET__data__preview-files__{instance_id}");
    expected.retain(|key| key != "comments");
    assert_eq!(keys(&row), expected, "Zou's answer has no comments");
    assert_eq!(row["extension"], "png");
    assert_eq!(row["original_name"], "blocking");
    assert_eq!(
        (row["width"].clone(), row["height"].clone()),
        (json!(64), json!(36))
    );
    assert_eq!(row["status"], "ready");
    let original = app.config.stored_file("pictures", "original", &pid);
    assert_eq!(
        row["file_size"],
        json!(std::fs::metadata(&original).unwrap().len())
    );
    let square = app
        .config
        .stored_file("pictures", "thumbnails-square", &pid);
    assert!(square.ends_with(format!("thumbnails/squ/are/square-{pid}")));
    assert!(square.exists());

    let (status, body) = app
        .upload(
            &upload_url(&preview),
            artist,
            "again.png",
            picture(8, 8, ImageFormat::Png),
        )
        .await;
    assert_eq!(status, 400, "no second upload");
    assert_eq!(
        body,
        json!({"error": true, "message": "The browser (or proxy) sent a request that this server could not understand."})
    );
    let (_, task) = app.get(&format!("/data/tasks/{}", s.task), &s.admin).await;
    assert_eq!(task["last_preview_file_id"], json!(pid));
    assert_eq!(
        app.event_data("preview-file:update").await,
        vec![json!({"preview_file_id": pid, "status": "ready", "project_id": s.project})]
    );
    assert_eq!(
        app.event_data("preview-file:add-file").await,
        vec![json!({
            "comment_id": comment["id"], "task_id": s.task, "preview_file_id": pid,
            "revision": 1, "extension": "png", "status": "ready", "project_id": s.project,
        })]
    );
    assert_eq!(
        app.event_data("comment:update").await.last(),
        Some(&json!({
            "comment_id": comment["id"], "task_id": s.task, "person_id": s.crew[0].id,
            "for_client": false, "project_id": s.project,
        }))
    );
    assert!(
        app.event_data("preview-file:set-main").await.is_empty(),
        "not automated"
    );

    let thumbnail = app.download(&thumbnail_url, s.token("client"), &[]).await;
    assert_eq!(thumbnail.status, 200);
    assert_eq!(thumbnail.header("cache-control"), "private, max-age=604800");
    assert_eq!(
        thumbnail.header("content-disposition"),
        "inline; filename=\"\""
    );
    let picture = thumbnail.picture();
    assert_eq!(picture.dimensions(), (150, 100));
    assert_eq!(painted_rows(&picture), 8..92);
    let square = app
        .download(
            &format!("/pictures/thumbnails-square/preview-files/{pid}.png"),
            artist,
            &[],
        )
        .await
        .picture();
    assert_eq!(
        (square.dimensions(), painted_rows(&square)),
        ((100, 100), 22..78)
    );
    let preview_picture = app
        .download(
            &format!("/pictures/previews/preview-files/{pid}.png"),
            artist,
            &[],
        )
        .await
        .picture();
    assert_eq!(preview_picture.dimensions(), (1200, 675));
    let original = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}.png"),
            artist,
            &[],
        )
        .await;
    assert_eq!(original.picture().dimensions(), (64, 36));
    assert_eq!(json!(original.bytes.len()), row["file_size"]);

    let part = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}.png"),
            artist,
            &[("range", "bytes=0-7")],
        )
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, b"\x89PNG\r\n\x1a\n");
    let etag = original.header("etag").to_string();
    let again = app
        .download(&thumbnail_url, artist, &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 200, "another file's tag");
    let tag = thumbnail.header("etag").to_string();
    let again = app
        .download(&thumbnail_url, artist, &[("if-none-match", &tag)])
        .await;
    assert_eq!(again.status, 304);

    let jpg = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}.jpg"),
            artist,
            &[],
        )
        .await;
    assert_eq!(jpg.status, 404, "pictures are stored as PNG");
    let exe = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}.exe"),
            artist,
            &[],
        )
        .await;
    assert_eq!(exe.status, 400);
    assert_eq!(
        serde_json::from_slice::<Json>(&exe.bytes).unwrap()["message"],
        "Extension not allowed: exe"
    );
    let download = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}/download"),
            artist,
            &[],
        )
        .await;
    assert_eq!(download.status, 200);
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=film_q1_sh1_animation_v1.png"
    );
    assert_eq!(download.picture().dimensions(), (64, 36));

    for who in ["vendor", "outsider", "outside_vendor"] {
        for path in [
            thumbnail_url.clone(),
            format!("/pictures/previews/preview-files/{pid}.png"),
            format!("/pictures/originals/preview-files/{pid}/download"),
        ] {
            let refused = app.download(&path, s.token(who), &[]).await;
            assert_eq!(refused.status, 403, "{who} {path}");
        }
    }
    let unknown = uuid::Uuid::new_v4();
    let missing = app
        .download(
            &format!("/pictures/thumbnails/preview-files/{unknown}.png"),
            artist,
            &[],
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn an_automated_project_shows_the_picture_as_the_shot_thumbnail() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (status, _) = app
        .put(
            &format!("/data/projects/{}", s.project),
            &s.admin,
            json!({"is_set_preview_automated": true}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, preview) = new_preview(&app, &s).await;
    let pid = id(&preview);
    let (status, body) = app
        .upload(
            &upload_url(&preview),
            s.token("artist"),
            "photo.jpeg",
            picture(400, 300, ImageFormat::Jpeg),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["extension"], "png");
    assert_eq!(body["original_name"], "photo");
    let shot = id(&s.shot);
    let (_, entity) = app.get(&format!("/data/entities/{shot}"), &s.admin).await;
    assert_eq!(entity["preview_file_id"], json!(pid));
    assert_eq!(
        app.event_data("preview-file:set-main").await,
        vec![json!({
            "entity_id": shot, "preview_file_id": pid, "preview_file_status": "ready",
            "project_id": s.project,
        })]
    );
    assert_eq!(
        app.event_data("shot:update").await.last(),
        Some(&json!({"shot_id": shot, "project_id": s.project}))
    );

    let thumbnail = format!("/pictures/thumbnails/preview-files/{pid}.png");
    let previews = format!("/pictures/previews/preview-files/{pid}.png");
    assert_eq!(
        app.download(&thumbnail, s.token("outsider"), &[])
            .await
            .status,
        403
    );
    app.db
        .execute(
            "UPDATE entity SET is_shared = $1 WHERE id = $2",
            &[true.into(), uuid::Uuid::parse_str(&shot).unwrap().into()],
        )
        .await
        .unwrap();
    let shared = app.download(&thumbnail, s.token("outsider"), &[]).await;
    assert_eq!(shared.status, 200, "a shared shot's main preview");
    assert_eq!(shared.picture().dimensions(), (150, 100));
    assert_eq!(
        app.download(&previews, s.token("outsider"), &[])
            .await
            .status,
        403,
        "not its big preview"
    );
    assert_eq!(
        app.download(&thumbnail, s.token("outside_vendor"), &[])
            .await
            .status,
        403,
        "nor to vendors"
    );
    let preview_picture = app.download(&previews, s.token("artist"), &[]).await;
    assert_eq!(preview_picture.picture().dimensions(), (1200, 900));
}

#[tokio::test]
async fn other_files_are_kept_and_movies_and_unknown_formats_are_refused() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let artist = s.token("artist");
    let (_, preview) = new_preview(&app, &s).await;
    let pid = id(&preview);
    let pdf = b"%PDF-1.4 a storyboard".to_vec();
    let (status, row) = app
        .upload(&upload_url(&preview), artist, "board.v2.PDF", pdf.clone())
        .await;
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["extension"], "pdf");
    assert_eq!(row["original_name"], "board.v2");
    assert_eq!(row["file_size"], json!(pdf.len()));
    assert_eq!(row["status"], "ready");
    let (_, task) = app.get(&format!("/data/tasks/{}", s.task), &s.admin).await;
    assert_eq!(task["last_preview_file_id"], Json::Null, "not a picture");
    let file = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}.pdf"),
            artist,
            &[],
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "application/pdf");
    assert_eq!(file.bytes, pdf);
    let thumbnail = app
        .download(
            &format!("/pictures/thumbnails/preview-files/{pid}.png"),
            artist,
            &[],
        )
        .await;
    assert_eq!(thumbnail.status, 404);
    let organisation = tusk::organisation::current(&app.db, true).await.unwrap();
    app.db
        .execute(
            "UPDATE organisation SET use_original_file_name = $1 WHERE id = $2",
            &[
                true.into(),
                uuid::Uuid::parse_str(organisation["id"].as_str().unwrap())
                    .unwrap()
                    .into(),
            ],
        )
        .await
        .unwrap();
    let download = app
        .download(
            &format!("/pictures/originals/preview-files/{pid}/download"),
            artist,
            &[],
        )
        .await;
    assert_eq!(download.header("content-type"), "application/pdf");
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=board.v2.pdf"
    );

    let (_, movie) = new_preview(&app, &s).await;
    let (status, body) = app
        .upload(&upload_url(&movie), artist, "take.mov", b"moov".to_vec())
        .await;
    assert_eq!(status, 500);
    assert_eq!(body["message"], "Movie preview normalization failed.");
    assert!(body["data"]["reason"].as_str().unwrap().contains("ffmpeg"));
    let (status, _) = app
        .get(&format!("/data/preview-files/{}", id(&movie)), &s.admin)
        .await;
    assert_eq!(status, 404, "the preview is deleted");

    let (_, unknown) = new_preview(&app, &s).await;
    let (status, body) = app
        .upload(&upload_url(&unknown), artist, "notes.xyz", b"?".to_vec())
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": true, "message": "Wrong file format, extension: xyz", "data": null})
    );
    let (status, _) = app
        .get(&format!("/data/preview-files/{}", id(&unknown)), &s.admin)
        .await;
    assert_eq!(status, 404, "the preview is deleted");
    assert_eq!(app.event_data("preview-file:delete").await.len(), 2);
}

#[tokio::test]
async fn a_forced_delete_removes_the_stored_pictures_and_a_plain_one_keeps_them() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let mut stored = Vec::new();
    for _ in 0..2 {
        let (_, preview) = new_preview(&app, &s).await;
        let upload = picture(64, 36, ImageFormat::Png);
        let (status, answer) = app
            .upload(&upload_url(&preview), s.token("artist"), "take.png", upload)
            .await;
        assert_eq!(status, 201, "{answer}");
        let files: Vec<_> = ["original", "previews", "thumbnails", "thumbnails-square"]
            .iter()
            .map(|prefix| app.config.stored_file("pictures", prefix, &id(&preview)))
            .collect();
        assert!(files.iter().all(|file| file.exists()));
        stored.push((preview, files));
    }
    let (kept, forced) = (&stored[0], &stored[1]);
    let url = |preview: &Json| format!("/data/preview-files/{}", id(preview));
    assert_eq!(app.delete(&url(&kept.0), &s.admin).await.0, 204);
    let forced_url = format!("{}?force=true", url(&forced.0));
    assert_eq!(app.delete(&forced_url, &s.admin).await.0, 204);
    // The files go off the request's thread: give it a moment.
    for _ in 0..50 {
        if forced.1.iter().all(|file| !file.exists()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(forced.1.iter().all(|file| !file.exists()));
    assert!(kept.1.iter().all(|file| file.exists()));
}
