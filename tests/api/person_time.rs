//! Other people's time, days off and desktop logins, and the studio's time tables.

use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use tusk_actors::role::Role;
use uuid::Uuid;

const UNKNOWN: &str = "0191e4e5-0000-7000-8000-000000000000";

/// The studio of persons-departments.md: two projects, two departments, a
/// task type in each, and people in various roles.
struct Studio {
    app: TestApp,
    admin: String,
    ids: HashMap<&'static str, String>,
    tokens: HashMap<&'static str, String>,
    p1: String,
    p2: String,
    d1: String,
    /// Tasks: P1-T1, P1-T2, P2-T1, P1-T0 (a task type without department).
    tasks: HashMap<&'static str, String>,
}

impl Studio {
    fn id(&self, name: &str) -> &str {
        &self.ids[name]
    }

    fn token(&self, name: &str) -> &str {
        &self.tokens[name]
    }

    async fn get(&self, who: &str, path: &str) -> (u16, Json) {
        self.app.get(path, self.token(who)).await
    }

    async fn log(&self, person: &str, task: &str, date: &str, minutes: f64) {
        let stamp = chrono::Utc::now().naive_utc();
        self.app
            .db
            .insert(
                "time_spent",
                &[
                    ("id", Uuid::now_v7().into()),
                    (
                        "person_id",
                        Uuid::parse_str(self.id(person)).unwrap().into(),
                    ),
                    (
                        "task_id",
                        Uuid::parse_str(&self.tasks[task]).unwrap().into(),
                    ),
                    (
                        "date",
                        tusk::db::Value::Date(
                            chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
                        ),
                    ),
                    ("duration", tusk::db::Value::Float(minutes)),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await
            .unwrap();
    }
}

/// A person of the studio: name, role, department, teams with their team role.
type Member<'a> = (
    &'static str,
    Role,
    Option<&'a String>,
    &'a [(&'a String, Option<Role>)],
);

async fn created(app: &TestApp, admin: &str, path: &str, body: Json) -> String {
    let (status, row) = app.post(path, admin, body).await;
    assert_eq!(status, 201, "{path}: {row}");
    row["id"].as_str().unwrap().to_string()
}

async fn studio() -> Studio {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let p1 = app.create_project(&admin, "P1").await;
    let p2 = app.create_project(&admin, "P2").await;
    let d1 = created(
        &app,
        &admin,
        "/data/departments",
        json!({"name": "D1", "color": "#000000"}),
    )
    .await;
    let d2 = created(
        &app,
        &admin,
        "/data/departments",
        json!({"name": "D2", "color": "#000000"}),
    )
    .await;
    let t1 = created(
        &app,
        &admin,
        "/data/task-types",
        json!({"name": "T1", "department_id": d1, "for_entity": "Asset"}),
    )
    .await;
    let t2 = created(
        &app,
        &admin,
        "/data/task-types",
        json!({"name": "T2", "department_id": d2, "for_entity": "Asset"}),
    )
    .await;
    let t0 = created(
        &app,
        &admin,
        "/data/task-types",
        json!({"name": "T0", "for_entity": "Asset"}),
    )
    .await;
    let a1 = app.create_asset(&admin, &p1, "Character", "Hero").await;
    let a2 = app.create_asset(&admin, &p2, "Character", "Villain").await;
    let mut tasks = HashMap::new();
    for (name, asset, task_type) in [
        ("P1-T1", &a1, &t1),
        ("P1-T2", &a1, &t2),
        ("P2-T1", &a2, &t1),
        ("P1-T0", &a1, &t0),
    ] {
        let id = created(
            &app,
            &admin,
            "/data/tasks",
            json!({"task_type_id": task_type, "entity_id": asset["id"]}),
        )
        .await;
        tasks.insert(name, id);
    }
    let people: [Member; 10] = [
        ("mgrin", Role::Manager, None, &[(&p1, None)]),
        ("mgrout", Role::Manager, None, &[]),
        ("supd1", Role::Supervisor, Some(&d1), &[(&p1, None)]),
        ("supd2", Role::Supervisor, Some(&d2), &[(&p1, None)]),
        ("supnod", Role::Supervisor, None, &[(&p1, None)]),
        ("usr1", Role::User, Some(&d1), &[(&p1, None), (&p2, None)]),
        ("usr2", Role::User, Some(&d2), &[(&p1, None)]),
        ("usrout", Role::User, Some(&d1), &[]),
        ("cli", Role::Client, None, &[(&p1, None)]),
        ("umgr", Role::User, None, &[(&p1, Some(Role::Manager))]),
    ];
    let mut ids = HashMap::new();
    let mut tokens = HashMap::new();
    for (name, role, department, teams) in people {
        let email = format!("{name}@example.com");
        let id = app.person_with_role(&email, role).await;
        let (status, _) = app
            .put(
                &format!("/data/persons/{id}"),
                &admin,
                json!({"first_name": name, "last_name": "zz", "departments": department.into_iter().collect::<Vec<_>>()}),
            )
            .await;
        assert_eq!(status, 200);
        for (project, team_role) in teams {
            app.join_team(project, &id, *team_role).await;
        }
        tokens.insert(name, app.token_for(&email, PASSWORD).await);
        ids.insert(name, id);
    }
    let studio = Studio {
        app,
        admin,
        ids,
        tokens,
        p1,
        p2,
        d1,
        tasks,
    };
    studio.log("usr1", "P1-T1", "2026-03-02", 60.0).await;
    studio.log("usr1", "P1-T2", "2026-03-02", 30.0).await;
    studio.log("usr1", "P2-T1", "2026-03-02", 45.0).await;
    studio.log("usr1", "P1-T1", "2026-03-03", 20.0).await;
    studio.log("usr1", "P1-T0", "2026-03-03", 5.0).await;
    studio.log("usr2", "P1-T2", "2026-03-02", 100.0).await;
    studio.log("usrout", "P1-T1", "2026-03-04", 10.0).await;
    studio
}

fn durations(rows: &Json) -> Vec<f64> {
    let mut out: Vec<f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["duration"].as_f64().unwrap())
        .collect();
    out.sort_by(|a, b| a.partial_cmp(b).unwrap());
    out
}

#[tokio::test]
async fn time_spents_are_read_with_zous_rules() {
    let s = studio().await;
    let usr1 = s.id("usr1").to_string();
    let day = format!("/data/persons/{usr1}/time-spents/2026-03-02");
    let (status, rows) = s.app.get(&day, &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(durations(&rows), [30.0, 45.0, 60.0]);
    assert_eq!(rows[0]["type"], "TimeSpent");
    let expected: [(&str, Option<&[f64]>); 9] = [
        ("usr1", Some(&[30.0, 45.0, 60.0])),
        ("mgrin", Some(&[30.0, 60.0])),
        ("mgrout", Some(&[])),
        ("supd1", Some(&[60.0])),
        ("supd2", Some(&[30.0])),
        ("supnod", Some(&[30.0, 60.0])),
        ("usr2", None),
        ("cli", None),
        ("umgr", None),
    ];
    for (who, seen) in expected {
        let (status, rows) = s.get(who, &day).await;
        match seen {
            Some(seen) => assert_eq!((status, durations(&rows)), (200, seen.to_vec()), "{who}"),
            None => assert_eq!(status, 403, "{who}"),
        }
    }
    // A task type without department is hidden from supervisors with departments.
    let (_, rows) = s
        .get(
            "supd1",
            &format!("/data/persons/{usr1}/time-spents/2026-03-03"),
        )
        .await;
    assert_eq!(durations(&rows), [20.0]);
    let (_, rows) = s
        .get(
            "supnod",
            &format!("/data/persons/{usr1}/time-spents/2026-03-03"),
        )
        .await;
    assert_eq!(durations(&rows), [5.0, 20.0]);
    // Managers read time of people outside the team, on their projects.
    let (_, rows) = s
        .get(
            "mgrin",
            &format!("/data/persons/{}/time-spents/2026-03-04", s.id("usrout")),
        )
        .await;
    assert_eq!(durations(&rows), [10.0]);
    let (status, body) = s
        .app
        .get(
            &format!("/data/persons/{usr1}/time-spents/2026-02-30"),
            &s.admin,
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Invalid month or year."))
    );
    let (status, rows) = s
        .app
        .get(
            &format!("/data/persons/{usr1}/time-spents/20260302"),
            &s.admin,
        )
        .await;
    assert_eq!((status, rows.as_array().unwrap().len()), (200, 3));
    assert_eq!(
        s.app
            .get(
                &format!("/data/persons/{UNKNOWN}/time-spents/2026-03-02"),
                s.token("usr2")
            )
            .await
            .0,
        404
    );

    // The range route.
    let range =
        format!("/data/persons/{usr1}/time-spents?start_date=2026-03-01&end_date=2026-03-02");
    let (_, rows) = s.get("mgrin", &range).await;
    assert_eq!(durations(&rows), [30.0, 60.0]);
    assert_eq!(rows[0]["project_id"], json!(s.p1));
    assert!(rows[0]["task_type_id"].is_string());
    let (_, rows) = s
        .get("usr1", &format!("/data/persons/{usr1}/time-spents"))
        .await;
    assert_eq!(rows, json!([]));
    let (status, body) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents?start_date=2026-03-01"),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("If querying for a range"));
    let (_, body) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents?start_date=bad&end_date=2026-03-01"),
        )
        .await;
    assert_eq!(
        body["message"],
        "Wrong date format for bad and/or 2026-03-01"
    );

    // Time per task, with the names Kitsu shows.
    let month = format!("/data/persons/{usr1}/time-spents/month/2026/3");
    let (status, rows) = s.app.get(&month, &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(durations(&rows), [5.0, 30.0, 45.0, 80.0]);
    let first = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["duration"] == 80.0)
        .unwrap();
    assert_eq!(first["project_name"], "P1");
    assert_eq!(first["entity_name"], "Hero");
    assert_eq!(first["entity_type_name"], "Character");
    assert_eq!(first["task_id"], json!(s.tasks["P1-T1"]));
    assert_eq!(first["sequence_name"], json!(null));
    let (_, rows) = s.get("supd1", &month).await;
    assert_eq!(durations(&rows), [80.0]);
    let (_, rows) = s
        .app
        .get(&format!("{month}?project_id={}", s.p2), &s.admin)
        .await;
    assert_eq!(durations(&rows), [45.0]);
    assert_eq!(
        s.get("mgrin", &format!("{month}?project_id={}", s.p2))
            .await
            .0,
        403
    );
    assert_eq!(
        s.get("mgrin", &format!("{month}?project_id=nope")).await.0,
        403
    );
    assert_eq!(
        s.app
            .get(&format!("{month}?project_id=nope"), &s.admin)
            .await
            .0,
        400
    );
    let (_, rows) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents/day/2026/3/3"),
        )
        .await;
    assert_eq!(durations(&rows), [5.0, 20.0]);
    let (_, rows) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents/week/2026/10"),
        )
        .await;
    assert_eq!(durations(&rows), [5.0, 30.0, 45.0, 80.0]);
    let (_, rows) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents/week/2026/9"),
        )
        .await;
    assert_eq!(rows, json!([]));
    let (_, rows) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents/year/2026"),
        )
        .await;
    assert_eq!(durations(&rows).len(), 4);
    for (path, message) in [
        ("year/abc", "Invalid date format."),
        ("month/2026/13", "Invalid date format."),
        ("week/2026/54", "Invalid month or year."),
        ("day/2026/2/30", "Invalid month or year."),
    ] {
        let (status, body) = s
            .get("usr1", &format!("/data/persons/{usr1}/time-spents/{path}"))
            .await;
        assert_eq!(
            (status, body["message"].as_str()),
            (400, Some(message)),
            "{path}"
        );
    }
    assert_eq!(s.get("usr2", &month).await.0, 403);

    // Every row of a month, for the person and admins only.
    let all = format!("/data/persons/{usr1}/time-spents/month/all/2026/3");
    let (status, rows) = s.get("usr1", &all).await;
    assert_eq!((status, rows.as_array().unwrap().len()), (200, 5));
    assert!(rows[0].get("project_id").is_none());
    assert_eq!(s.app.get(&all, &s.admin).await.0, 200);
    assert_eq!(s.get("mgrin", &all).await.0, 403);
    let (_, body) = s
        .get(
            "usr1",
            &format!("/data/persons/{usr1}/time-spents/month/all/2026/13"),
        )
        .await;
    assert_eq!(body["message"], "Invalid month or year.");

    // Bots are out of reach, admins included.
    s.app
        .db
        .execute(
            "UPDATE person SET is_bot = TRUE WHERE id = $1",
            &[Uuid::parse_str(s.id("usr2")).unwrap().into()],
        )
        .await
        .unwrap();
    assert_eq!(
        s.app
            .get(
                &format!("/data/persons/{}/time-spents/2026-03-02", s.id("usr2")),
                &s.admin
            )
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn days_off_are_read_whole_or_as_dates_by_role() {
    let s = studio().await;
    for (who, date, end) in [
        ("usr1", "2026-02-27", "2026-03-01"),
        ("usr2", "2026-03-10", "2026-03-11"),
        ("usrout", "2026-03-12", "2026-03-12"),
    ] {
        let (status, _) = s
            .app
            .post("/data/day-offs", &s.admin, json!({"person_id": s.id(who), "date": date, "end_date": end, "description": "away"}))
            .await;
        assert_eq!(status, 201);
    }
    let usr1 = s.id("usr1").to_string();
    let list = format!("/data/persons/{usr1}/day-offs");
    let (status, rows) = s.get("mgrin", &list).await;
    assert_eq!(status, 200);
    assert_eq!(rows[0]["description"], "away");
    assert_eq!(rows[0]["type"], "DayOff");
    assert_eq!(rows[0]["end_date"], "2026-03-01");
    for (who, sight) in [
        ("usr1", Some(true)),
        ("umgr", Some(true)),
        ("mgrout", None),
        ("supd1", Some(false)),
        ("supd2", None),
        ("supnod", Some(false)),
        ("usr2", None),
        ("cli", None),
    ] {
        let (status, rows) = s.get(who, &list).await;
        match sight {
            Some(full) => {
                assert_eq!(status, 200, "{who}");
                assert_eq!(rows[0].get("description").is_some(), full, "{who}");
                assert_eq!(rows[0]["date"], "2026-02-27");
            }
            None => assert_eq!(status, 403, "{who}"),
        }
    }
    assert_eq!(
        s.get(
            "mgrin",
            &format!("/data/persons/{}/day-offs", s.id("usrout"))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        s.get("supd2", &format!("/data/persons/{}/day-offs", s.id("usr2")))
            .await
            .0,
        200
    );

    // Periods select the days off overlapping them.
    for (period, count) in [
        ("month/2026/2", 1),
        ("month/2026/3", 1),
        ("month/2026/4", 0),
        ("week/2026/9", 1),
        ("week/2026/10", 0),
        ("year/2026", 1),
        ("year/2025", 0),
    ] {
        let (status, rows) = s.get("usr1", &format!("{list}/{period}")).await;
        assert_eq!(
            (status, rows.as_array().unwrap().len()),
            (200, count),
            "{period}"
        );
    }
    let (status, body) = s.get("usr1", &format!("{list}/month/2026/13")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Invalid date format."))
    );
    assert_eq!(s.get("usr1", &format!("{list}/week/2025/53")).await.0, 400);
    let (_, row) = s.get("supd1", &format!("{list}/2026-02-28")).await;
    assert_eq!(row["end_date"], "2026-03-01");
    assert!(row.get("description").is_none());
    let (_, row) = s.get("usr1", &format!("{list}/2026-3-2")).await;
    assert_eq!(row, json!({}));
    let (status, body) = s.get("usr1", &format!("{list}/tomorrow")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Invalid date format."))
    );
    assert_eq!(s.get("usr2", &format!("{list}/tomorrow")).await.0, 403);

    // The days off of a year or month that the caller may see.
    let whose = |rows: &Json| -> Vec<(String, bool)> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["person_id"].as_str().unwrap().to_string(),
                    r.get("description").is_some(),
                )
            })
            .collect()
    };
    let (_, rows) = s.app.get("/data/persons/day-offs/2026", &s.admin).await;
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let (_, rows) = s.get("mgrin", "/data/persons/day-offs/2026").await;
    assert_eq!(
        whose(&rows),
        [(usr1.clone(), true), (s.id("usr2").to_string(), true)]
    );
    let (_, rows) = s.get("supd1", "/data/persons/day-offs/2026/3").await;
    assert_eq!(whose(&rows), [(usr1.clone(), false)]);
    let (_, rows) = s.get("usr2", "/data/persons/day-offs/2026/3").await;
    assert_eq!(whose(&rows), [(s.id("usr2").to_string(), true)]);
    let (_, rows) = s.get("cli", "/data/persons/day-offs/2026").await;
    assert_eq!(rows, json!([]));
    let (_, rows) = s.get("usr1", "/data/persons/day-offs/2026/4").await;
    assert_eq!(rows, json!([]));
    assert_eq!(s.get("usr1", "/data/persons/day-offs/abc").await.0, 400);
    assert_eq!(s.get("usr1", "/data/persons/day-offs/2026/13").await.0, 400);
}

#[tokio::test]
async fn time_tables_add_up_what_each_role_may_see() {
    let s = studio().await;
    let (usr1, usr2, usrout) = (
        s.id("usr1").to_string(),
        s.id("usr2").to_string(),
        s.id("usrout").to_string(),
    );
    let table = "/data/persons/time-spents/day-table/2026/3";
    let (status, body) = s.app.get(table, &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"2": {&usr1: 135.0, &usr2: 100.0}, "3": {&usr1: 25.0}, "4": {&usrout: 10.0}})
    );
    let (_, body) = s.get("mgrin", table).await;
    assert_eq!(
        body,
        json!({"2": {&usr1: 90.0, &usr2: 100.0}, "3": {&usr1: 25.0}, "4": {&usrout: 10.0}})
    );
    let (_, body) = s.get("supd1", table).await;
    assert_eq!(
        body,
        json!({"2": {&usr1: 60.0}, "3": {&usr1: 20.0}, "4": {&usrout: 10.0}})
    );
    let (_, body) = s.get("supd2", table).await;
    assert_eq!(body, json!({"2": {&usr1: 30.0, &usr2: 100.0}}));
    let (_, body) = s.get("usr1", table).await;
    assert_eq!(body, json!({"2": {&usr1: 135.0}, "3": {&usr1: 25.0}}));
    for who in ["mgrout", "cli", "umgr"] {
        assert_eq!(s.get(who, table).await.1, json!({}), "{who}");
    }
    // Filters: a project, a department, a studio.
    let (_, body) = s
        .app
        .get(&format!("{table}?project_id={}", s.p2), &s.admin)
        .await;
    assert_eq!(body, json!({"2": {&usr1: 45.0}}));
    assert_eq!(
        s.get("mgrin", &format!("{table}?project_id={}", s.p2))
            .await
            .0,
        403
    );
    let (_, body) = s
        .app
        .get(&format!("{table}?department_id={}", s.d1), &s.admin)
        .await;
    assert_eq!(
        body,
        json!({"2": {&usr1: 105.0}, "3": {&usr1: 20.0}, "4": {&usrout: 10.0}})
    );
    let (status, body) = s
        .get("supd2", &format!("{table}?department_id={}", s.d1))
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("Supervisor not allowed to access this department")
        )
    );
    assert_eq!(
        s.get("supnod", &format!("{table}?department_id={}", s.d1))
            .await
            .0,
        400
    );
    assert_eq!(
        s.app
            .get(&format!("{table}?studio_id={UNKNOWN}"), &s.admin)
            .await
            .1,
        json!({})
    );
    assert_eq!(
        s.app.get(&format!("{table}?studio_id=x"), &s.admin).await.0,
        400
    );

    let (_, body) = s
        .get("usr1", "/data/persons/time-spents/week-table/2026")
        .await;
    assert_eq!(body, json!({"10": {&usr1: 160.0}}));
    let (_, body) = s
        .get("usr1", "/data/persons/time-spents/month-table/2026")
        .await;
    assert_eq!(body, json!({"3": {&usr1: 160.0}}));
    let (_, body) = s.get("usr1", "/data/persons/time-spents/year-table").await;
    assert_eq!(body, json!({"2026": {&usr1: 160.0}}));
    // Weeks are cut by calendar year and keyed by ISO week, as in Zou.
    s.log("usr1", "P1-T1", "2025-12-29", 7.0).await;
    let (_, body) = s
        .get("usr1", "/data/persons/time-spents/week-table/2025")
        .await;
    assert_eq!(body, json!({"1": {&usr1: 7.0}}));
    let (status, body) = s
        .get("usr1", "/data/persons/time-spents/day-table/2026/13")
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Invalid month or year."))
    );
    assert_eq!(
        s.get("usr1", "/data/persons/time-spents/month-table/abc")
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn desktop_logins_and_the_presence_sheet() {
    let s = studio().await;
    let usr1 = s.id("usr1").to_string();
    let logs = format!("/data/persons/{usr1}/desktop-login-logs");
    let (status, row) = s.get("usr1", &logs).await;
    assert_eq!((status, row), (200, json!([])));
    let (status, row) = s
        .app
        .post(&logs, &s.admin, json!({"date": "2026-03-02T09:00:00"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        (row["date"].as_str(), row["type"].as_str()),
        (Some("2026-03-02T09:00:00"), Some("DesktopLoginLog"))
    );
    assert_eq!(row["person_id"], json!(usr1));
    let (status, _) = s
        .app
        .post(&logs, s.token("usr1"), json!({"date": "2026-03-04"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(s.app.post(&logs, s.token("mgrin"), json!({})).await.0, 403);
    for bad in [
        json!("2026-03-02 09:00:00"),
        json!("2026-03-02T09:00:00Z"),
        json!(12),
    ] {
        let (status, body) = s
            .app
            .post(&logs, s.token("usr2"), json!({ "date": bad }))
            .await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(
            body["data"]["errors"][0]["message"],
            "Value error, Wrong date format. Expected: 2020-01-05T13:23:10 or 2020-01-05"
        );
    }
    assert_eq!(
        s.app
            .post(
                &format!("/data/persons/{UNKNOWN}/desktop-login-logs"),
                &s.admin,
                json!({})
            )
            .await
            .0,
        404
    );
    let (_, person) = s.app.get(&format!("/data/persons/{usr1}"), &s.admin).await;
    // The latest logged time (03-03) is earlier than the latest login.
    assert_eq!(person["last_presence"], "2026-03-04");

    let (status, rows) = s.get("mgrout", &logs).await;
    assert_eq!(status, 200);
    let dates: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-03-04T00:00:00", "2026-03-02T09:00:00"]);
    assert_eq!(s.get("supd1", &logs).await.0, 403);
    assert_eq!(s.get("usr2", &logs).await.0, 403);
    assert_eq!(
        s.get(
            "mgrin",
            &format!("/data/persons/{UNKNOWN}/desktop-login-logs")
        )
        .await
        .0,
        404
    );

    let response = s
        .app
        .request(
            Method::GET,
            "/data/persons/presence-logs/2026-03",
            Some(&s.admin),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=kitsu_export.csv"
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    let header: Vec<String> = std::iter::once("2026".to_string())
        .chain((1..=31).map(|d| d.to_string()))
        .collect();
    assert_eq!(lines[0], header.join(";"));
    let line = lines.iter().find(|l| l.starts_with("usr1 zz;")).unwrap();
    let marks: Vec<&str> = line.split(';').skip(1).collect();
    assert_eq!(marks.len(), 31);
    assert_eq!((marks[1], marks[3], marks[0]), ("X", "X", ""));
    assert!(lines.iter().any(|l| l.starts_with("cli zz;")));
    assert_eq!(
        s.get("mgrin", "/data/persons/presence-logs/2026-03")
            .await
            .0,
        403
    );
    let (status, body) = s
        .app
        .get("/data/persons/presence-logs/2026-13", &s.admin)
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Invalid month or year."))
    );
    assert_eq!(
        s.app
            .get("/data/persons/presence-logs/2026-03-01", &s.admin)
            .await
            .0,
        400
    );
}
