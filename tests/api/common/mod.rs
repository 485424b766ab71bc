//! A real Tusk on port 0 with a database of its own, per test: SQLite in a
//! temporary folder, or a fresh PostgreSQL database when
//! `TUSK_TEST_DATABASE_URL` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
#![allow(dead_code)]

use reqwest::{Client, Method, Response};
use serde_json::{json, Value as Json};
use std::path::PathBuf;
use tusk::db::Db;
use tusk::persons::{self, NewPerson};
use tusk::{Application, Config, FirstAdmin};
use tusk_actors::role::Role;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password";
pub const PASSWORD: &str = "mysecretpassword";

/// The `id` of a row, as text.
pub fn id(value: &Json) -> String {
    value["id"].as_str().unwrap().to_string()
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub config: Config,
    pub db: Db,
    /// Set on the app that made its database and folder: they go with it.
    owns_storage: bool,
}

/// The whole suite runs in one process, where a finished test's server lives
/// on (actix workers, project actors on shared arbiters): dropping its
/// PostgreSQL database ends its connections, which would otherwise add up to
/// the server's limit, and its folder is removed.
impl Drop for TestApp {
    fn drop(&mut self) {
        if !self.owns_storage {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.config.data_dir);
        let Some(name) = self
            .config
            .database_url
            .strip_prefix("postgres")
            .and_then(|_| {
                self.config
                    .database_url
                    .rsplit_once('/')
                    .map(|(_, name)| name.to_string())
            })
        else {
            return;
        };
        let server = std::env::var("TUSK_TEST_DATABASE_URL").unwrap_or_default();
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // the drop gets a thread and a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::Executor::execute(&mut admin, drop.as_str()).await?;
                Ok::<_, sqlx::Error>(())
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("could not drop the test database: {error}");
        }
    }
}

/// A fresh database URL: a new PostgreSQL database, or a SQLite file in `dir`.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("TUSK_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            use sqlx::Connection;
            let name = format!("tusk_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .expect("TUSK_TEST_DATABASE_URL must reach PostgreSQL");
            sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create the test database");
            let base = server
                .rsplit_once('/')
                .map_or(server.as_str(), |(base, _)| base);
            format!("{base}/{name}")
        }
        _ => Config::sqlite_url(dir),
    }
}

pub fn test_config(data_dir: PathBuf, database_url: String) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        data_dir,
        database_url,
        secret_key: "test-secret-key".into(),
        bcrypt_cost: 4,
        min_password_length: 8,
        default_locale: "en_US".into(),
        default_timezone: "Europe/Paris".into(),
        public_url: "https://localhost:8080".into(),
    }
}

pub async fn spawn_app() -> TestApp {
    // Server logs show with `RUST_LOG=error cargo test -- --nocapture`.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let dir = std::env::temp_dir().join(format!("tusk-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = fresh_database(&dir).await;
    let mut app = spawn_with(test_config(dir, database_url)).await;
    app.owns_storage = true;
    app
}

/// Starts a server on an existing configuration (a restart, when the database is reused).
pub async fn spawn_with(config: Config) -> TestApp {
    let first_admin = FirstAdmin {
        email: Some(ADMIN_EMAIL.into()),
        password: Some(ADMIN_PASSWORD.into()),
    };
    let app = Application::build(config.clone(), first_admin)
        .await
        .expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = Db::connect(&config.database_url).await.unwrap();
    TestApp {
        address,
        client: Client::builder().build().unwrap(),
        config,
        db,
        owns_storage: false,
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Json>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is answered")
    }

    /// GET: status and JSON body.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Json) {
        read(self.request(Method::GET, path, Some(token), None).await).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Json) -> (u16, Json) {
        read(
            self.request(Method::POST, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Json) -> (u16, Json) {
        read(
            self.request(Method::PUT, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (u16, Json) {
        read(self.request(Method::DELETE, path, Some(token), None).await).await
    }

    pub async fn anonymous(&self, method: Method, path: &str, body: Option<Json>) -> (u16, Json) {
        read(self.request(method, path, None, body).await).await
    }

    /// Logs in as a script does; returns the whole answer.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Json) {
        self.anonymous(
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let (status, body) = self.login(email, password).await;
        assert_eq!(status, 200, "login of {email}: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.token_for(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates a person with this role and [`PASSWORD`]; returns their id.
    pub async fn person_with_role(&self, email: &str, role: Role) -> String {
        let mut tx = self.db.begin().await.unwrap();
        let row = persons::insert(
            &mut tx,
            NewPerson {
                first_name: "Test",
                last_name: role.as_str(),
                email,
                role,
                password_hash: Some(tusk::auth::password::hash(PASSWORD, 4)),
                locale: "en_US",
                timezone: "Europe/Paris",
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row["id"].as_str().unwrap().to_string()
    }
}

impl TestApp {
    /// Creates a project as admin; returns its id.
    pub async fn create_project(&self, admin: &str, name: &str) -> String {
        let (status, project) = self
            .post("/data/projects", admin, json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{project}");
        project["id"].as_str().unwrap().to_string()
    }

    /// Creates an asset of a stock asset type (`Character`, `Props`...) as admin.
    pub async fn create_asset(
        &self,
        admin: &str,
        project: &str,
        asset_type: &str,
        name: &str,
    ) -> Json {
        let (_, types) = self
            .get(&format!("/data/entity-types?name={asset_type}"), admin)
            .await;
        let type_id = types[0]["id"].as_str().unwrap();
        let (status, asset) = self
            .post(
                &format!("/data/projects/{project}/asset-types/{type_id}/assets/new"),
                admin,
                json!({"name": name}),
            )
            .await;
        assert_eq!(status, 201, "{asset}");
        asset
    }

    /// Creates a TV show project as admin; returns its id.
    pub async fn create_tvshow(&self, admin: &str, name: &str) -> String {
        let (status, project) = self
            .post(
                "/data/projects",
                admin,
                json!({"name": name, "production_type": "tvshow"}),
            )
            .await;
        assert_eq!(status, 201, "{project}");
        project["id"].as_str().unwrap().to_string()
    }

    /// Creates a bot (an API key) with this studio role; returns its token.
    pub async fn bot_token(&self, admin: &str, role: Role) -> String {
        let (status, bot) = self
            .post(
                "/data/persons",
                admin,
                json!({"first_name": "Bot", "last_name": role.as_str(), "is_bot": true,
                       "role": role.as_str()}),
            )
            .await;
        assert_eq!(status, 201, "{bot}");
        bot["access_token"].as_str().unwrap().to_string()
    }

    /// Creates episode `E01`, its sequence `SQ01` and the sequence's shot
    /// `SH010` in a project, as admin; returns the three.
    pub async fn create_episode_shot(&self, admin: &str, project: &str) -> (Json, Json, Json) {
        let base = format!("/data/projects/{project}");
        let (status, episode) = self
            .post(&format!("{base}/episodes"), admin, json!({"name": "E01"}))
            .await;
        assert_eq!(status, 201, "{episode}");
        let (status, sequence) = self
            .post(
                &format!("{base}/sequences"),
                admin,
                json!({"name": "SQ01", "episode_id": episode["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{sequence}");
        let (status, shot) = self
            .post(
                &format!("{base}/shots"),
                admin,
                json!({"name": "SH010", "sequence_id": sequence["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{shot}");
        (episode, sequence, shot)
    }

    /// Puts a person in a project's team, with a project role or none.
    pub async fn join_team(&self, project: &str, person: &str, role: Option<Role>) {
        self.db
            .insert(
                "project_person_link",
                &[
                    ("project_id", uuid::Uuid::parse_str(project).unwrap().into()),
                    ("person_id", uuid::Uuid::parse_str(person).unwrap().into()),
                    ("role", role.map(|r| r.as_str().to_string()).into()),
                ],
            )
            .await
            .unwrap();
    }

    /// Sets a project's status (`Open` or `Closed`).
    pub async fn set_project_status(&self, project: &str, status: &str) {
        self.db
            .execute(
                "UPDATE project SET project_status_id = (SELECT id FROM project_status WHERE name = $1) \
                 WHERE id = $2",
                &[status.into(), uuid::Uuid::parse_str(project).unwrap().into()],
            )
            .await
            .unwrap();
    }
}

pub async fn read(response: Response) -> (u16, Json) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Json::String(text));
    (status, body)
}

/// The keys of a recorded Zou answer (the first row of a list), from
/// `tests/golden/shapes.json`, sorted: to compare with an answer's keys.
pub fn sample_keys(name: &str) -> Vec<String> {
    let shapes: Json = serde_json::from_str(include_str!("../../golden/shapes.json")).unwrap();
    let shape = &shapes[name];
    let row = if shape.is_array() { &shape[0] } else { shape };
    let mut keys: Vec<String> = row
        .as_object()
        .unwrap_or_else(|| panic!("no sample {name}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The keys of an answer's row, sorted.
pub fn keys(row: &Json) -> Vec<String> {
    let mut keys: Vec<String> = row.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// Someone on a project's crew (or outside it), logged in.
pub struct Member {
    pub who: &'static str,
    pub token: String,
    pub id: String,
}

/// A project with one shot and its tasks, a crew (see [`TestApp::crew`]),
/// and the crew's first member assigned to the first task.
pub struct Production {
    pub admin: String,
    pub project: String,
    pub shot: Json,
    /// The first task's id.
    pub task: String,
    pub crew: Vec<Member>,
}

impl Production {
    pub fn member(&self, who: &str) -> &Member {
        self.crew.iter().find(|m| m.who == who).unwrap()
    }

    pub fn token(&self, who: &str) -> &str {
        &self.member(who).token
    }
}

impl TestApp {
    pub async fn production(
        &self,
        task_types: &[&str],
        people: &[(&'static str, Role, bool)],
    ) -> Production {
        let admin = self.admin_token().await;
        let project = self.create_project(&admin, "Film").await;
        let (shot, tasks) = self.shot_with_tasks(&admin, &project, task_types).await;
        let task = id(&tasks[0]);
        let crew = self.crew(&project, "", people).await;
        let (status, _) = self
            .put(
                &format!("/actions/tasks/{task}/assign"),
                &admin,
                json!({"person_id": crew[0].id}),
            )
            .await;
        assert_eq!(status, 200);
        Production {
            admin,
            project,
            shot,
            task,
            crew,
        }
    }
}

impl TestApp {
    /// Creates each `(who, role, in_team)` as `who<suffix>@example.com`, in the
    /// project's team or not, logged in.
    pub async fn crew(
        &self,
        project: &str,
        suffix: &str,
        people: &[(&'static str, Role, bool)],
    ) -> Vec<Member> {
        let mut crew = Vec::new();
        for (who, role, in_team) in people {
            let email = format!("{who}{suffix}@example.com");
            let id = self.person_with_role(&email, *role).await;
            if *in_team {
                self.join_team(project, &id, None).await;
            }
            let token = self.token_for(&email, PASSWORD).await;
            crew.push(Member { who, token, id });
        }
        crew
    }

    /// The payloads of the recorded events of that name, oldest first.
    pub async fn event_data(&self, name: &str) -> Vec<Json> {
        self.db
            .fetch_all(
                "SELECT data FROM api_event WHERE name = $1 ORDER BY created_at, id",
                &[name.into()],
                Some("api_event"),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|row| row["data"].clone())
            .collect()
    }
}

impl TestApp {
    /// A preview file of the task, first position, as the upload worker leaves it; returns its id.
    pub async fn preview_file(
        &self,
        task: &str,
        revision: i64,
        status: &str,
        extension: &str,
    ) -> String {
        let id = uuid::Uuid::now_v7();
        let stamp = tusk::db::now();
        self.db
            .insert(
                "preview_file",
                &[
                    ("id", id.into()),
                    ("name", "take".into()),
                    ("revision", tusk::db::Value::Int(revision)),
                    ("position", tusk::db::Value::Int(1)),
                    ("extension", extension.into()),
                    ("status", status.into()),
                    ("validation_status", "neutral".into()),
                    ("task_id", uuid::Uuid::parse_str(task).unwrap().into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await
            .unwrap();
        id.to_string()
    }
}

impl TestApp {
    /// A sequence `Q1` with a shot `SH1` in the project, and the shot's tasks
    /// of these task types (made by the create-tasks route); returns the shot and the tasks.
    pub async fn shot_with_tasks(
        &self,
        admin: &str,
        project: &str,
        task_types: &[&str],
    ) -> (Json, Vec<Json>) {
        let base = format!("/data/projects/{project}");
        let (_, sequence) = self
            .post(&format!("{base}/sequences"), admin, json!({"name": "Q1"}))
            .await;
        let (status, shot) = self
            .post(
                &format!("{base}/shots"),
                admin,
                json!({"name": "SH1", "sequence_id": sequence["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{shot}");
        let mut tasks = Vec::new();
        for name in task_types {
            let (_, types) = self
                .get(&format!("/data/task-types?name={name}"), admin)
                .await;
            let (status, created) = self
                .post(
                    &format!(
                        "/actions/projects/{project}/task-types/{}/shots/create-tasks",
                        types[0]["id"].as_str().unwrap()
                    ),
                    admin,
                    json!([shot["id"]]),
                )
                .await;
            assert_eq!(status, 201, "{created}");
            tasks.push(created[0].clone());
        }
        (shot, tasks)
    }
}

/// A `width`×`height` picture of one colour, encoded as `format`.
pub fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_pixel(width, height, image::Rgb([200, 40, 10]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

/// A small JPEG whose header claims `width`×`height`: a decompression bomb.
pub fn jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = picture(8, 8, image::ImageFormat::Jpeg);
    // The baseline frame header: FF C0, length (2), precision (1), height (2), width (2).
    let frame = jpeg.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    jpeg[frame + 5..frame + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[frame + 7..frame + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A file as a stored answer: status, headers, bytes.
pub struct Download {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Download {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }

    /// The PNG answered, decoded.
    pub fn picture(&self) -> image::RgbaImage {
        assert_eq!(self.header("content-type"), "image/png");
        image::load_from_memory_with_format(&self.bytes, image::ImageFormat::Png)
            .unwrap()
            .into_rgba8()
    }
}

impl TestApp {
    /// Posts `bytes` as the multipart part `file`, named `file_name`.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Json) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// GET of a file, with extra request headers.
    pub async fn download(&self, path: &str, token: &str, headers: &[(&str, &str)]) -> Download {
        let mut request = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        Download {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.unwrap().to_vec(),
        }
    }
}
