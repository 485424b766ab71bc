//! The previews of a comment: adding one (revision and position as Zou picks
//! them), a further file of the same revision, deleting one, and who may.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

fn comment_url(s: &Production, comment: &Json) -> String {
    format!("/actions/tasks/{}/comments/{}", s.task, id(comment))
}

async fn setup(app: &TestApp) -> Production {
    let crew = [
        ("artist", Role::User, true),
        ("other", Role::User, true),
        ("client", Role::Client, true),
        ("manager", Role::Manager, true),
    ];
    app.production(&["Animation"], &crew).await
}

async fn comment(app: &TestApp, s: &Production, token: &str) -> Json {
    let (_, wip) = app.get("/data/task-status?short_name=wip", &s.admin).await;
    let (status, comment) = app
        .post(
            &format!("/actions/tasks/{}/comment", s.task),
            token,
            json!({"task_status_id": wip[0]["id"], "comment": "take"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    comment
}

#[tokio::test]
async fn a_comment_preview_opens_the_next_revision_and_more_files_join_it() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let artist = s.token("artist");
    let first = comment(&app, &s, artist).await;

    let (status, preview) = app
        .post(
            &format!("{}/add-preview", comment_url(&s, &first)),
            artist,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{preview}");
    assert_eq!(preview["revision"], 1);
    assert_eq!(preview["position"], 1);
    assert_eq!(preview["status"], "processing");
    assert_eq!(preview["extension"], "mp4");
    assert_eq!(preview["task_id"], json!(s.task));
    assert_eq!(preview["person_id"], json!(s.crew[0].id));
    assert_eq!(preview["comments"], json!([first["id"]]));
    assert_eq!(preview["type"], "PreviewFile");
    assert_eq!(preview["name"].as_str().unwrap().len(), 13);
    assert_eq!(
        keys(&preview),
        sample_keys("POST__actions__tasks__{task_id}__comments__{comment_id}__add-preview")
    );

    // A second file for the same comment joins its revision.
    let (status, second) = app
        .post(
            &format!("{}/add-preview", comment_url(&s, &first)),
            artist,
            json!({}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        (second["revision"].clone(), second["position"].clone()),
        (json!(1), json!(2))
    );

    // The extra-file route takes the revision of the preview named.
    let (status, third) = app
        .post(
            &format!("{}/preview-files/{}", comment_url(&s, &first), id(&preview)),
            artist,
            Json::Null,
        )
        .await;
    assert_eq!(status, 201, "{third}");
    assert_eq!(
        (third["revision"].clone(), third["position"].clone()),
        (json!(1), json!(3))
    );
    assert_ne!(third["id"], preview["id"]);

    // A later comment's preview opens revision 2.
    let later = comment(&app, &s, artist).await;
    let (_, next) = app
        .post(
            &format!("{}/add-preview", comment_url(&s, &later)),
            artist,
            json!({}),
        )
        .await;
    assert_eq!(
        (next["revision"].clone(), next["position"].clone()),
        (json!(2), json!(1))
    );

    // The comment lists its previews; the news of the comment points at the last one.
    let (_, read) = app
        .get(
            &format!("/data/comments/{}?relations=true", id(&first)),
            &s.admin,
        )
        .await;
    assert_eq!(read["previews"].as_array().unwrap().len(), 3);
    let news = app
        .db
        .fetch_all(
            "SELECT preview_file_id FROM news WHERE comment_id = $1",
            &[uuid::Uuid::parse_str(&id(&first)).unwrap().into()],
            None,
        )
        .await
        .unwrap();
    assert_eq!(news[0]["preview_file_id"], third["id"]);
    let events = app.event_data("preview-file:new").await;
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["preview_file_id"], preview["id"]);
    assert_eq!(events[0]["comment_id"], first["id"]);
}

#[tokio::test]
async fn an_asked_revision_must_be_free_and_some_projects_keep_one_file_per_revision() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let artist = s.token("artist");
    let first = comment(&app, &s, artist).await;
    let url = format!("{}/add-preview", comment_url(&s, &first));

    let (status, body) = app.post(&url, artist, json!({"revision": -1})).await;
    assert_eq!(status, 400);
    assert_eq!(body["data"]["errors"][0]["field"], "revision");
    let (status, _) = app.post(&url, artist, json!({"revision": "two"})).await;
    assert_eq!(status, 400);

    let (status, preview) = app.post(&url, artist, json!({"revision": 5})).await;
    assert_eq!(status, 201);
    assert_eq!(
        (preview["revision"].clone(), preview["position"].clone()),
        (json!(5), json!(1))
    );

    // Revision 5 is taken: another comment cannot open it again.
    let other = comment(&app, &s, artist).await;
    let (status, body) = app
        .post(
            &format!("{}/add-preview", comment_url(&s, &other)),
            artist,
            json!({"revision": 5}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Revision 5 already exists"),
        "{body}"
    );

    let (status, _) = app
        .put(
            &format!("/data/projects/{}", s.project),
            &s.admin,
            json!({"is_single_preview_per_revision": true}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.post(&url, artist, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Only one preview file is allowed per revision for this project."
    );
    let (_, read) = app
        .get(&format!("/data/tasks/{}/previews", s.task), &s.admin)
        .await;
    assert_eq!(read.as_array().map(Vec::len), Some(1), "{read}");
}

#[tokio::test]
async fn only_those_who_may_act_on_the_task_add_previews() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let first = comment(&app, &s, s.token("artist")).await;
    let url = format!("{}/add-preview", comment_url(&s, &first));
    let (status, _) = app.post(&url, s.token("other"), json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = app.post(&url, s.token("manager"), json!({})).await;
    assert_eq!(status, 201);
    // A comment of another task is not found through this one.
    let (status, _) = app
        .post(
            &format!(
                "/actions/tasks/{}/comments/{}/add-preview",
                uuid::Uuid::new_v4(),
                id(&first)
            ),
            &s.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &format!(
                "/actions/tasks/{}/comments/{}/add-preview",
                s.task,
                uuid::Uuid::new_v4()
            ),
            &s.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deleting_a_comment_preview_unlinks_it_and_falls_back_to_the_previous_one() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let artist = s.token("artist");
    let first = comment(&app, &s, artist).await;
    let url = format!("{}/add-preview", comment_url(&s, &first));
    let (_, kept) = app.post(&url, artist, json!({})).await;
    let (_, extra) = app.post(&url, artist, json!({})).await;
    let extra_url = format!("{}/preview-files/{}", comment_url(&s, &first), id(&extra));

    // Someone who may not act on the task, or force without managing: refused.
    let (status, _) = app.delete(&extra_url, s.token("other")).await;
    assert_eq!(status, 403);
    let (status, _) = app.delete(&format!("{extra_url}?force=true"), artist).await;
    assert_eq!(status, 403);
    // A preview not linked to this comment is not found through it.
    let later = comment(&app, &s, artist).await;
    let (status, _) = app
        .delete(
            &format!("{}/preview-files/{}", comment_url(&s, &later), id(&extra)),
            artist,
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = app.delete(&extra_url, artist).await;
    assert_eq!(status, 204);
    let (status, _) = app
        .get(&format!("/data/preview-files/{}", id(&extra)), &s.admin)
        .await;
    assert_eq!(status, 404);
    let (_, read) = app
        .get(
            &format!("/data/comments/{}?relations=true", id(&first)),
            &s.admin,
        )
        .await;
    assert_eq!(read["previews"], json!([kept["id"]]));
    let (status, _) = app.delete(&extra_url, artist).await;
    assert_eq!(status, 404);
    assert_eq!(app.event_data("preview-file:delete").await.len(), 1);
}
