//! CSV exports: Zou's dialect, columns and rows, and who may download them.

use crate::common::{spawn_app, Member, TestApp};
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

/// A TV show `Golden TV` with E01 / SQ01 / SH010 (described, with frames and
/// a `Difficulty`), its Animation task assigned to the artist, who logged a
/// day on it, and the crew.
struct Show {
    admin: String,
    project: String,
    shot: Json,
    crew: Vec<Member>,
}

async fn show(app: &TestApp) -> Show {
    let admin = app.admin_token().await;
    let project = app.create_tvshow(&admin, "Golden TV").await;
    let (_, _, shot) = app.create_episode_shot(&admin, &project).await;
    let shot_id = shot["id"].as_str().unwrap();
    let (status, descriptor) = app
        .post(
            "/data/metadata-descriptors",
            &admin,
            json!({"project_id": project, "entity_type": "Shot", "name": "Difficulty",
                   "field_name": "difficulty", "data_type": "string"}),
        )
        .await;
    assert_eq!(status, 201, "{descriptor}");
    let (status, updated) = app
        .put(
            &format!("/data/entities/{shot_id}"),
            &admin,
            json!({"description": "Shot; one", "nb_frames": 48,
                   "data": {"frame_in": 1001, "fps": "24", "difficulty": "hard"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let crew = app
        .crew(
            &project,
            "",
            &[
                ("artist", Role::User, true),
                ("client", Role::Client, true),
                ("vendor", Role::Vendor, true),
                ("outsider", Role::User, false),
                ("manager", Role::Manager, false),
            ],
        )
        .await;
    let (_, types) = app.get("/data/task-types?name=Animation", &admin).await;
    let (status, tasks) = app
        .post(
            &format!(
                "/actions/projects/{project}/task-types/{}/shots/create-tasks",
                types[0]["id"].as_str().unwrap()
            ),
            &admin,
            json!([shot_id]),
        )
        .await;
    assert_eq!(status, 201, "{tasks}");
    let task = tasks[0]["id"].as_str().unwrap();
    let artist = &crew[0];
    let (status, _) = app
        .put(
            &format!("/actions/tasks/{task}/assign"),
            &admin,
            json!({"person_id": artist.id}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            &format!(
                "/actions/tasks/{task}/time-spents/2026-01-05/persons/{}",
                artist.id
            ),
            &artist.token,
            json!({"duration": 480}),
        )
        .await;
    assert_eq!(status, 201);
    Show {
        admin,
        project,
        shot,
        crew,
    }
}

/// Status, content type, disposition and body of a CSV download.
async fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, String, String) {
    let response = app
        .request(reqwest::Method::GET, path, Some(token), None)
        .await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status().as_u16();
    (status, kind, disposition, response.text().await.unwrap())
}

const SHOTS_HEADER: &str = "Project;Episode;Sequence;Name;Description;Time Spent;Frames;\
Frame In;Frame Out;FPS;Difficulty;Animation;Assignations\r\n";

#[tokio::test]
async fn shots_export_lists_the_shots_with_their_tasks_as_zou_writes_them() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let path = format!("/export/csv/projects/{}/shots.csv", s.project);
    let (status, kind, disposition, body) = download(&app, &path, &s.admin).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "text/csv");
    assert_eq!(
        disposition,
        "attachment; filename=kitsu_golden_tv_shots.csv"
    );
    assert_eq!(
        body,
        format!("{SHOTS_HEADER}Golden TV;E01;SQ01;SH010;\"Shot; one\";1.00;48;1001;;24;hard;todo;Test user\r\n")
    );
    // Clients see neither the time spent nor who works on what.
    let (status, _, _, body) = download(&app, &path, &s.crew[1].token).await;
    assert_eq!(status, 200);
    assert!(
        body.ends_with("SH010;\"Shot; one\";0.00;48;1001;;24;hard;todo;\r\n"),
        "{body}"
    );
    // Only the caller's tasks with `assigned_to`: none for the admin.
    let (_, _, _, body) = download(&app, &format!("{path}?assigned_to=1"), &s.admin).await;
    assert_eq!(
        body,
        "Project;Episode;Sequence;Name;Description;Time Spent;Frames;Frame In;Frame Out;FPS;Difficulty\r\n"
    );
    let (_, _, _, body) = download(&app, &format!("{path}?assigned_to=1"), &s.crew[0].token).await;
    assert!(body.contains("SH010"), "{body}");
    let other_episode = uuid::Uuid::new_v4();
    let (_, _, _, body) = download(
        &app,
        &format!("{path}?episode_id={other_episode}"),
        &s.admin,
    )
    .await;
    assert_eq!(body, SHOTS_HEADER.replace(";Animation;Assignations", ""));
    let (_, _, _, body) = download(
        &app,
        &format!("{path}?id={}", s.shot["id"].as_str().unwrap()),
        &s.admin,
    )
    .await;
    assert!(body.contains("SH010"));
}

#[tokio::test]
async fn project_exports_are_for_the_team_except_vendors() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let path = format!("/export/csv/projects/{}/assets.csv", s.project);
    for (member, expected) in s.crew.iter().zip([200, 200, 403, 403, 403]) {
        let (status, _, _, body) = download(&app, &path, &member.token).await;
        assert_eq!(status, expected, "{}: {body}", member.who);
    }
    let unknown = format!("/export/csv/projects/{}/shots.csv", uuid::Uuid::new_v4());
    assert_eq!(download(&app, &unknown, &s.admin).await.0, 404);
    let (status, _, _, body) = download(
        &app,
        &format!("/export/csv/projects/{}/shots.csv?id=bogus", s.project),
        &s.admin,
    )
    .await;
    assert_eq!(status, 400);
    let answer: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["message"], "Invalid UUID format for id: bogus");
}

#[tokio::test]
async fn assets_and_casting_exports_follow_the_casting() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let hero = app
        .create_asset(&s.admin, &s.project, "Character", "Hero")
        .await;
    let sword = app
        .create_asset(&s.admin, &s.project, "Prop", "Sword")
        .await;
    let cast = |owner: &Json, asset: &Json, occurrences: i64, label: &str| {
        let url = format!(
            "/data/projects/{}/entities/{}/casting",
            s.project,
            owner["id"].as_str().unwrap()
        );
        let body = json!([{"asset_id": asset["id"], "nb_occurences": occurrences, "label": label}]);
        (url, body)
    };
    for (url, body) in [
        cast(&s.shot, &hero, 2, "animate"),
        cast(&hero, &sword, 1, ""),
    ] {
        let (status, answer) = app.put(&url, &s.admin, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let base = format!("/export/csv/projects/{}", s.project);
    let (status, _, disposition, body) =
        download(&app, &format!("{base}/assets.csv"), &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition,
        "attachment; filename=kitsu_golden_tv_assets.csv"
    );
    assert_eq!(
        body,
        "Project;Type;Name;Description;Time Spent\r\n\
         Golden TV;Character;Hero;;0.00\r\nGolden TV;Prop;Sword;;0.00\r\n"
    );
    let header = "Episode;Parent;Name;Asset Type;Asset;Occurences;Label\r\n";
    let (_, _, _, body) = download(
        &app,
        &format!("{base}/casting.csv?is_shot_casting=true"),
        &s.admin,
    )
    .await;
    assert_eq!(
        body,
        format!("{header}E01;SQ01;SH010;Character;Hero;2;animate\r\n")
    );
    let (_, _, _, body) = download(&app, &format!("{base}/casting.csv"), &s.admin).await;
    assert_eq!(body, format!("{header}MP;Character;Hero;Prop;Sword;1;\r\n"));
}

#[tokio::test]
async fn studio_exports_are_for_admins_and_managers() {
    let app = spawn_app().await;
    let s = show(&app).await;
    let (status, kind, disposition, body) =
        download(&app, "/export/csv/tasks.csv", &s.crew[4].token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=kitsu_tasks_export.csv");
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "Project;Task Type;Episode;Sequence;Entity Type;Entity;Assigner;Assignees;Duration;\
         Estimation;Start date;Due date;WIP date;Validation date;Task Status"
    );
    assert!(
        lines[1].starts_with("Golden TV;Animation;E01;SQ01;Shot;SH010;"),
        "{body}"
    );
    assert!(
        lines[1].ends_with(";Test user;480.0;0.0;;;;;Todo"),
        "{body}"
    );
    let (_, _, disposition, body) = download(&app, "/export/csv/time-spents.csv", &s.admin).await;
    assert!(disposition.ends_with("_open_projects_time_spents_export.csv"));
    assert_eq!(
        body,
        "Project;Person;Entity Type Name;Entity;Task Type;Date;Time spent\r\n\
         Golden TV;Test user;Shot;E01 / SQ01 / SH010;Animation;2026-01-05;480.0\r\n"
    );
    let (_, _, _, body) = download(&app, "/export/csv/projects.csv", &s.admin).await;
    assert_eq!(body, "Name;Status\r\nGolden TV;Open\r\n");
    let (_, _, _, body) = download(&app, "/export/csv/task-types.csv", &s.admin).await;
    assert!(body.starts_with("Department;Name\r\n"), "{body}");
    assert!(body.contains("\r\nAnimation;Animation\r\n"), "{body}");
    let (_, _, _, body) = download(&app, "/export/csv/persons.csv", &s.admin).await;
    assert!(
        body.contains("\r\nTest;user;artist@example.com;;user;;;;"),
        "{body}"
    );
    for member in &s.crew[..4] {
        for route in ["persons", "projects", "task-types", "tasks", "time-spents"] {
            let path = format!("/export/csv/{route}.csv");
            assert_eq!(download(&app, &path, &member.token).await.0, 403);
        }
    }
}
