//! The database as a new studio gets it: schema, default data, first admin,
//! the command line, and the permission API on top.

use crate::common::*;
use serde_json::Value as Json;
use tusk::auth::jwt::{Claims, TokenType};
use tusk::auth::Identity;
use tusk::db::{Backend, Db, Value};
use tusk::error::ApiError;
use tusk::persons::Person;
use tusk_actors::role::Role;
use uuid::Uuid;

#[test]
fn both_backends_carry_the_same_migrations() {
    let sqlite = Db::migration_versions(Backend::Sqlite);
    assert_eq!(sqlite, Db::migration_versions(Backend::Postgres));
    assert_eq!(sqlite[0], (1, "zou schema".to_string()));
}

/// The same statement run first with a NULL then with an integer in an
/// `integer` column: PostgreSQL must not reuse a statement typed by the NULL.
#[tokio::test]
async fn one_statement_takes_a_null_then_an_integer() {
    let app = spawn_app().await;
    let sql = "UPDATE task_type SET priority = $1 WHERE name = $2";
    // One transaction: one connection, whose statement cache is the one at stake.
    let mut tx = app.db.begin().await.unwrap();
    for priority in [Value::Null, Value::Int(7), Value::Null, Value::Int(8)] {
        tx.execute(sql, &[priority, Value::Text("Modeling".into())])
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let modeling = app
        .db
        .fetch_optional(
            "SELECT priority FROM task_type WHERE name = 'Modeling'",
            &[],
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(modeling["priority"], 8);
}

async fn count(db: &Db, table: &str) -> usize {
    db.fetch_all(&format!("SELECT id FROM {table}"), &[], None)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_new_database_has_zou_tables_and_default_data() {
    let app = spawn_app().await;
    let schema = app.db.schema();
    for table in [
        "person",
        "project",
        "task",
        "entity",
        "comment",
        "preview_file",
        "api_event",
    ] {
        assert!(schema.table(table).is_some(), "{table} is missing");
    }
    // Zou's 80 tables (its alembic table aside) and Tusk's revoked tokens and reset tokens,
    // beside sqlx's own bookkeeping.
    let tables = schema.table_names().filter(|name| !name.starts_with('_'));
    assert_eq!(tables.count(), 82);
    assert_eq!(count(&app.db, "department").await, 6);
    assert_eq!(count(&app.db, "project_status").await, 2);
    assert_eq!(count(&app.db, "task_type").await, 13);
    assert_eq!(count(&app.db, "task_status").await, 9);
    assert_eq!(count(&app.db, "entity_type").await, 11);

    let modeling = app
        .db
        .fetch_optional(
            "SELECT t.for_entity, t.allow_timelog, d.name AS department FROM task_type t \
             JOIN department d ON d.id = t.department_id WHERE t.name = 'Modeling'",
            &[],
            Some("task_type"),
        )
        .await
        .unwrap()
        .expect("Modeling belongs to the Modeling department");
    assert_eq!(modeling["for_entity"], "Asset");
    assert_eq!(modeling["allow_timelog"], true);
    let defaults = app
        .db
        .fetch_all(
            "SELECT short_name FROM task_status WHERE is_default = TRUE ORDER BY short_name",
            &[],
            Some("task_status"),
        )
        .await
        .unwrap();
    let defaults: Vec<&Json> = defaults.iter().map(|row| &row["short_name"]).collect();
    assert_eq!(defaults, ["neutral", "todo"]);

    // Running init-data again adds nothing.
    assert_eq!(tusk::db::seed::init_data(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_first_admin_is_created_once() {
    let app = spawn_app().await;
    let admins = app
        .db
        .fetch_all("SELECT email, role FROM person", &[], None)
        .await
        .unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["role"], "admin");
    let restarted = spawn_with(app.config.clone()).await;
    assert_eq!(count(&restarted.db, "person").await, 1);
    assert_eq!(count(&restarted.db, "organisation").await, 1);
}

fn tusk_command(data_dir: &std::path::Path, database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tusk"));
    command
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("BCRYPT_LOG_ROUNDS", "4")
        .arg("--data-dir")
        .arg(data_dir);
    command
}

#[tokio::test]
async fn the_command_line_migrates_seeds_and_creates_admins() {
    let app = spawn_app().await;
    let run = |args: &[&str]| {
        let output = tusk_command(&app.config.data_dir, &app.config.database_url)
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(run(&["migrate"]).contains("up to date"));
    assert!(run(&["init-data"]).contains("0 rows added"));
    run(&[
        "create-admin",
        "boss@example.com",
        "--password",
        "boss-password",
    ]);
    let (status, body) = app.login("boss@example.com", "boss-password").await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["role"], "admin");

    let routes = run(&["routes"]);
    assert!(routes
        .lines()
        .any(|line| line.starts_with("POST\t/auth/login\t")));
    assert_eq!(routes.lines().count(), tusk::api::table().len());
}

async fn identity(app: &TestApp, email: &str, role: Role) -> Identity {
    let id = app.person_with_role(email, role).await;
    let person = Person::find(&app.db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    Identity {
        claims: Claims::for_person(person.id, TokenType::Access, 0),
        person,
    }
}

async fn project_with_team(app: &TestApp, members: &[(&Identity, Option<Role>)]) -> Uuid {
    let project_id = Uuid::new_v4();
    app.db
        .insert(
            "project",
            &[
                ("id", project_id.into()),
                ("name", "Big Buck Bunny".into()),
                ("production_style", "2d3d".into()),
            ],
        )
        .await
        .unwrap();
    for (member, role) in members {
        app.db
            .insert(
                "project_person_link",
                &[
                    ("project_id", project_id.into()),
                    ("person_id", member.person.id.into()),
                    ("role", role.map(|r| r.as_str().to_string()).into()),
                ],
            )
            .await
            .unwrap();
    }
    project_id
}

fn forbidden<T: std::fmt::Debug>(result: Result<T, ApiError>) -> bool {
    matches!(result, Err(ApiError::Forbidden))
}

#[tokio::test]
async fn project_roles_follow_the_team_and_its_overrides() {
    let app = spawn_app().await;
    let admin = identity(&app, "a@example.com", Role::Admin).await;
    let manager = identity(&app, "m@example.com", Role::Manager).await;
    let promoted = identity(&app, "p@example.com", Role::User).await;
    let artist = identity(&app, "u@example.com", Role::User).await;
    let outsider = identity(&app, "o@example.com", Role::Manager).await;
    let project = project_with_team(
        &app,
        &[
            (&manager, None),
            (&promoted, Some(Role::Manager)),
            (&artist, None),
        ],
    )
    .await;
    let db = &app.db;

    assert_eq!(admin.project_role(db, project).await.unwrap(), Role::Admin);
    assert_eq!(
        manager.project_role(db, project).await.unwrap(),
        Role::Manager
    );
    assert_eq!(
        promoted.project_role(db, project).await.unwrap(),
        Role::Manager
    );
    assert_eq!(artist.project_role(db, project).await.unwrap(), Role::User);
    assert!(forbidden(outsider.project_role(db, project).await));

    assert!(promoted.require_project_manager(db, project).await.is_ok());
    assert!(forbidden(artist.require_project_manager(db, project).await));
    assert!(forbidden(
        outsider.require_project_manager(db, project).await
    ));
    assert!(admin.require_admin().is_ok());
    assert!(forbidden(manager.require_admin()));
    assert!(manager.require_manager().is_ok());
    assert!(
        forbidden(promoted.require_manager()),
        "the override is per project only"
    );
}

#[tokio::test]
async fn rows_decode_to_the_same_json_on_both_backends() {
    let app = spawn_app().await;
    let row = app
        .db
        .fetch_optional(
            "SELECT * FROM person WHERE email = $1",
            &[ADMIN_EMAIL.into()],
            Some("person"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(Uuid::parse_str(row["id"].as_str().unwrap()).is_ok());
    assert_eq!(row["active"], Json::Bool(true));
    assert_eq!(row["daily_salary"], 0);
    assert_eq!(row["data"], Json::Null);
    let created = row["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 19, "YYYY-MM-DDTHH:MM:SS: {created}");
    assert_eq!(&created[10..11], "T");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = std::env::temp_dir().join(format!("tusk-sigterm-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = fresh_database(&dir).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tusk_command(&dir, &database_url)
        .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_url = format!("http://127.0.0.1:{port}/status");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(&status_url)
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = server.wait().unwrap();
    assert!(exit.success(), "a clean exit on SIGTERM: {exit:?}");
    let mut stdout = String::new();
    std::io::Read::read_to_string(server.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("A first admin was created"), "{stdout}");
    assert!(
        reqwest::get(&status_url).await.is_err(),
        "no longer listening"
    );
}
