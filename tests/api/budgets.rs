//! A project's budgets and entries, and the time and days off its team logged.

use crate::common::*;
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;

struct Team {
    admin: String,
    manager: String,
    supervisor: String,
    artist: String,
    artist_id: String,
    client: String,
    vendor: String,
    project: String,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.admin_token().await;
    let project = app.create_project(&admin, "Film").await;
    let mut tokens = Vec::new();
    let mut artist_id = String::new();
    for (email, role) in [
        ("manager@example.com", Role::Manager),
        ("supervisor@example.com", Role::Supervisor),
        ("artist@example.com", Role::User),
        ("client@example.com", Role::Client),
        ("vendor@example.com", Role::Vendor),
    ] {
        let id = app.person_with_role(email, role).await;
        app.join_team(&project, &id, None).await;
        if role == Role::User {
            artist_id = id;
        }
        tokens.push(app.token_for(email, PASSWORD).await);
    }
    let mut tokens = tokens.into_iter();
    let mut next = || tokens.next().unwrap();
    Team {
        manager: next(),
        supervisor: next(),
        artist: next(),
        client: next(),
        vendor: next(),
        admin,
        project,
        artist_id,
    }
}

#[tokio::test]
async fn budgets_are_revised_per_project_and_managed_by_managers_only() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let base = format!("/data/projects/{}/budgets", t.project);
    let (status, first) = app.post(&base, &t.manager, json!({"name": "V1"})).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (&first["revision"], &first["currency"], &first["type"]),
        (&json!(1), &json!("USD"), &json!("Budget"))
    );
    let (_, second) = app
        .post(&base, &t.manager, json!({"name": "V2", "currency": "EUR"}))
        .await;
    assert_eq!(second["revision"], 2);
    let (_, list) = app.get(&base, &t.admin).await;
    let names: Vec<&Json> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["name"])
        .collect();
    assert_eq!(names, [&json!("V1"), &json!("V2")]);

    let (status, error) = app
        .post(&base, &t.manager, json!({"currency": "EUR"}))
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        app.post(&base, &t.manager, json!({"name": "V3", "currency": "EURO"}))
            .await
            .0,
        400
    );
    for token in [&t.supervisor, &t.artist, &t.client, &t.vendor] {
        assert_eq!(app.get(&base, token).await.0, 403);
        assert_eq!(app.post(&base, token, json!({"name": "X"})).await.0, 403);
    }

    let url = format!("{base}/{}", id(&first));
    let (status, renamed) = app
        .put(&url, &t.manager, json!({"name": "Draft", "revision": 9}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (&renamed["name"], &renamed["revision"], &renamed["currency"]),
        (&json!("Draft"), &json!(1), &json!("USD"))
    );
    assert_eq!(app.get(&url, &t.manager).await.1["name"], "Draft");

    let other = app.create_project(&t.admin, "Other").await;
    let elsewhere = format!("/data/projects/{other}/budgets/{}", id(&first));
    assert_eq!(app.get(&elsewhere, &t.admin).await.0, 404);
    assert_eq!(
        app.put(&elsewhere, &t.admin, json!({"name": "Moved"}))
            .await
            .0,
        404
    );
    assert_eq!(app.get(&format!("{base}/nope"), &t.admin).await.0, 400);
}

#[tokio::test]
async fn budget_entries_are_validated_whole_and_go_with_their_budget() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let base = format!("/data/projects/{}/budgets", t.project);
    let (_, budget) = app.post(&base, &t.manager, json!({"name": "V1"})).await;
    let entries = format!("{base}/{}/entries", id(&budget));
    let (_, departments) = app.get("/data/departments", &t.admin).await;
    let department = id(&departments[0]);
    let entry = json!({
        "department_id": department,
        "person_id": t.artist_id,
        "start_date": "2027-01-01",
        "months_duration": 6,
        "daily_salary": 300.5,
        "position": "lead",
        "exceptions": {"2027-02": 10, "2027-03": 0},
    });
    let (status, created) = app.post(&entries, &t.manager, entry.clone()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        (
            &created["position"],
            &created["seniority"],
            &created["daily_salary"],
            &created["exceptions"],
            &created["type"]
        ),
        (
            &json!("lead"),
            &json!("mid"),
            &json!(300.5),
            &json!({"2027-02": 10}),
            &json!("BudgetEntry")
        )
    );

    let mut bad = entry.clone();
    bad["position"] = json!("director");
    let (status, error) = app.post(&entries, &t.manager, bad).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error.to_string().contains("supervisor, lead, artist"),
        "{error}"
    );
    let (status, _) = app
        .post(&entries, &t.manager, json!({"department_id": department}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        app.get(&entries, &t.manager)
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let url = format!("{entries}/{}", id(&created));
    let mut changed = entry.clone();
    changed["months_duration"] = json!(3);
    changed["seniority"] = json!("senior");
    let (status, updated) = app.put(&url, &t.manager, changed).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (&updated["months_duration"], &updated["seniority"]),
        (&json!(3), &json!("senior"))
    );
    let (status, _) = app
        .put(&url, &t.manager, json!({"months_duration": 2}))
        .await;
    assert_eq!(status, 400, "a partial entry is refused, not half written");
    assert_eq!(app.get(&url, &t.manager).await.1["months_duration"], 3);
    assert_eq!(app.get(&url, &t.supervisor).await.0, 403);

    let (_, other_budget) = app.post(&base, &t.manager, json!({"name": "V2"})).await;
    let foreign = format!("{base}/{}/entries/{}", id(&other_budget), id(&created));
    assert_eq!(app.get(&foreign, &t.manager).await.0, 404);
    assert_eq!(app.delete(&foreign, &t.manager).await.0, 404);

    app.post(&entries, &t.manager, entry).await;
    let budget_url = format!("{base}/{}", id(&budget));
    assert_eq!(app.delete(&budget_url, &t.manager).await.0, 204);
    assert_eq!(app.get(&budget_url, &t.manager).await.0, 404);
    assert_eq!(app.get(&url, &t.manager).await.0, 404);
    let (_, left) = app.get(&base, &t.manager).await;
    assert_eq!(left.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn time_spent_reads_sum_and_group_the_team_logs() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let (_, types) = app.get("/data/entity-types?name=Character", &t.admin).await;
    let (_, asset) = app
        .post(
            "/data/entities",
            &t.admin,
            json!({"name": "Bunny", "project_id": t.project, "entity_type_id": types[0]["id"]}),
        )
        .await;
    let (_, modeling) = app.get("/data/task-types?name=Modeling", &t.admin).await;
    let modeling = &modeling[0];
    let (_, task) = app
        .post(
            "/data/tasks",
            &t.admin,
            json!({"task_type_id": modeling["id"], "entity_id": asset["id"]}),
        )
        .await;
    for (date, minutes) in [
        ("2027-01-04", 60.0),
        ("2027-01-20", 30.5),
        ("2027-02-01", 10.0),
    ] {
        let log = json!({"task_id": task["id"], "person_id": t.artist_id, "date": date, "duration": minutes});
        assert_eq!(app.post("/data/time-spents", &t.admin, log).await.0, 201);
    }

    let project = format!("/data/projects/{}", t.project);
    let (status, logs) = app.get(&format!("{project}/time-spents"), &t.vendor).await;
    assert_eq!(status, 200, "{logs}");
    assert_eq!(logs.as_array().unwrap().len(), 3);
    assert_eq!(logs[0]["type"], "TimeSpent");
    assert_eq!(
        app.get(&format!("{project}/time-spents"), &t.client)
            .await
            .0,
        403
    );

    let per_type = format!("{project}/task-types/{}/time-spents", id(modeling));
    let (status, grouped) = app
        .get(&format!("{per_type}?start_date=2027-01-10"), &t.manager)
        .await;
    assert_eq!(status, 200, "{grouped}");
    let dates: Vec<&Json> = grouped[&t.artist_id]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| &log["date"])
        .collect();
    assert_eq!(dates, [&json!("2027-02-01"), &json!("2027-01-20")]);
    assert_eq!(
        app.get(&format!("{per_type}?start_date=nope"), &t.manager)
            .await,
        (
            400,
            json!({"error": true, "data": null, "message": "Wrong date format for nope and/or None"})
        )
    );
    assert_eq!(app.get(&per_type, &t.supervisor).await.0, 403);

    let department = modeling["department_id"].as_str().unwrap();
    let (status, budget) = app
        .get(&format!("{project}/budgets/time-spents"), &t.admin)
        .await;
    assert_eq!(status, 200, "{budget}");
    assert_eq!(
        budget,
        json!({department: {"total": 100.5, &t.artist_id: {"total": 100.5, "2027-01": 90.5, "2027-02": 10.0}}})
    );
    assert_eq!(
        app.get(&format!("{project}/budgets/time-spents"), &t.manager)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn day_offs_are_grouped_by_person_and_their_reasons_kept_private() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let supervisor_id = app.login("supervisor@example.com", PASSWORD).await.1["user"]["id"].clone();
    for (person, date, end) in [
        (json!(t.artist_id), "2027-03-01", "2027-03-05"),
        (supervisor_id.clone(), "2027-04-01", "2027-04-02"),
    ] {
        let day_off =
            json!({"person_id": person, "date": date, "end_date": end, "description": "family"});
        assert_eq!(app.post("/data/day-offs", &t.admin, day_off).await.0, 201);
    }
    let url = format!("/data/projects/{}/day-offs", t.project);
    let (status, all) = app.get(&url, &t.manager).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all[&t.artist_id][0]["description"], "family");
    assert_eq!(all[&t.artist_id][0]["type"], "DayOff");

    let (_, seen_by_artist) = app.get(&url, &t.artist).await;
    assert_eq!(seen_by_artist[&t.artist_id][0]["description"], "family");
    let theirs = seen_by_artist[supervisor_id.as_str().unwrap()][0]
        .as_object()
        .unwrap();
    assert!(!theirs.contains_key("description"), "{theirs:?}");

    let (_, april) = app
        .get(
            &format!("{url}?start_date=2027-03-10&end_date=2027-04-30"),
            &t.manager,
        )
        .await;
    assert_eq!(april.as_object().unwrap().len(), 1);
    assert!(april.get(&t.artist_id).is_none());
    assert_eq!(
        app.get(&format!("{url}?end_date=2027-13-01"), &t.manager)
            .await
            .1["message"],
        "Wrong date format for None and/or 2027-13-01"
    );
    for token in [&t.client, &t.vendor] {
        assert_eq!(app.get(&url, token).await.0, 403);
    }
}
