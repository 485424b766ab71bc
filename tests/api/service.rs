//! What a client reads first, the route table and Zou's generic errors.

use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn index_status_and_config_answer_at_the_root_and_under_api() {
    let app = spawn_app().await;
    for path in ["/", "/api", "/api/"] {
        assert_eq!(
            app.anonymous(Method::GET, path, None).await,
            (200, json!({"api": "Zou", "version": "1.0.97"})),
            "{path}"
        );
    }
    let head = app.request(Method::HEAD, "/api", None, None).await;
    assert_eq!(head.status(), 200, "GET routes answer HEAD");
    let (status, body) = app.anonymous(Method::GET, "/api/status", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["database-up"], true);
    assert_eq!(body["event-stream-up"], false);

    let response = app.request(Method::GET, "/status.txt", None, None).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("name: Tusk\nversion: 1.0.97\ndatabase-up: up\n"),
        "{text}"
    );

    let (status, body) = app.anonymous(Method::GET, "/config/", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["default_locale"], "en_US");
    assert_eq!(body["default_timezone"], "Europe/Paris");
    assert_eq!(body["is_self_hosted"], true);
}

#[tokio::test]
async fn openapi_documents_exactly_the_served_routes() {
    let app = spawn_app().await;
    let (status, body) = app.anonymous(Method::GET, "/openapi.json", None).await;
    assert_eq!(status, 200);
    let documented: usize = body["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let table = tusk::api::table();
    assert_eq!(documented, table.len());
    for route in &table {
        let method = route.method.as_str().to_lowercase();
        assert!(
            body["paths"][&route.path][&method]["summary"].is_string(),
            "{method} {} is served but not documented",
            route.path
        );
    }
    assert!(body["paths"]["/auth/login"]["post"].is_object());
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_zou_errors() {
    let app = spawn_app().await;
    let (status, body) = app
        .anonymous(Method::GET, "/data/no-such-model", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], true);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("404 Not Found"));

    let (status, body) = app.anonymous(Method::DELETE, "/api/auth/login", None).await;
    assert_eq!(
        (status, body),
        (
            405,
            json!({"error": true, "message": "The method is not allowed for the requested URL."})
        )
    );
}

#[tokio::test]
async fn admins_read_the_usage_counts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let (_, tasks) = app.shot_with_tasks(&admin, &project, &["Animation"]).await;
    let task = tasks[0]["id"].as_str().unwrap();
    app.preview_file(task, 1, "ready", "png").await;
    app.preview_file(task, 2, "ready", "mp4").await;
    app.preview_file(task, 3, "ready", "png").await;
    let (status, _) = app
        .post(
            &format!("/actions/tasks/{task}/comment"),
            &admin,
            json!({"task_status_id": tasks[0]["task_status_id"], "comment": "ok"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.get("/stats", &admin).await,
        (
            200,
            json!({"number_of_video_previews": 1, "number_of_picture_previews": 2,
                   "number_of_model_previews": 0, "number_of_comments": 1})
        )
    );
    app.person_with_role("manager@example.com", tusk_actors::role::Role::Manager)
        .await;
    let manager = app.token_for("manager@example.com", PASSWORD).await;
    assert_eq!(app.get("/stats", &manager).await.0, 403);
}

#[tokio::test]
async fn the_machine_s_load_is_reported_as_zou_reports_it() {
    let app = spawn_app().await;
    let (status, load) = app.anonymous(Method::GET, "/status/resources", None).await;
    assert_eq!(status, 200, "{load}");
    let cores = load["cpu"]["percent"].as_array().unwrap();
    assert!(!cores.is_empty());
    assert!(cores
        .iter()
        .all(|core| (0.0..=100.0).contains(&core.as_f64().unwrap())));
    for window in ["last 1 min", "last 5 min", "last 10 min"] {
        assert!(load["cpu"]["loadavg"][window].as_f64().unwrap() >= 0.0);
    }
    let memory = &load["memory"];
    let (total, available) = (
        memory["total"].as_u64().unwrap(),
        memory["available"].as_u64().unwrap(),
    );
    assert!(0 < available && available < total, "{memory}");
    assert!(memory["used"].as_u64().unwrap() < total);
    assert!((0.0..100.0).contains(&memory["percent"].as_f64().unwrap()));
    assert_eq!(load["jobs"], json!({"running_jobs": 0}));
    assert_eq!(load["date"].as_str().unwrap().len(), 26);
}
