//! Endpoint load: a release Tusk on SQLite serving a production of 10,000
//! shots (40,000 tasks): the breakdown page's `/data/shots/with-tasks` (from
//! the project actor's cache) cold and warm, under concurrent clients, next to
//! the database-backed `/data/shots` list.
//!
//! `cargo bench --bench load` (set `TUSK_BENCH_SHOTS` for another size)

use serde_json::{json, Value as Json};
use std::time::{Duration, Instant};
use tusk::db::{now, Db, Value};
use tusk::{Application, Config, FirstAdmin};
use uuid::Uuid;

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "bench-password";

/// Inserts `shots` shots in sequences of 100 and episodes of 1,000, with 4 tasks each.
async fn seed(db: &Db, project: Uuid, shots: usize) -> anyhow::Result<()> {
    let type_of = |name: &'static str| async move {
        let row = db
            .fetch_optional(
                "SELECT id FROM entity_type WHERE name = $1",
                &[name.into()],
                None,
            )
            .await?;
        anyhow::Ok(Uuid::parse_str(
            row.and_then(|r| r["id"].as_str().map(str::to_string))
                .unwrap_or_default()
                .as_str(),
        )?)
    };
    let (episode_type, sequence_type, shot_type) = (
        type_of("Episode").await?,
        type_of("Sequence").await?,
        type_of("Shot").await?,
    );
    let task_types: Vec<Uuid> = db
        .fetch_all(
            "SELECT id FROM task_type WHERE for_entity = 'Shot' ORDER BY name LIMIT 4",
            &[],
            None,
        )
        .await?
        .iter()
        .filter_map(|r| r["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .collect();
    let status = db
        .fetch_optional(
            "SELECT id FROM task_status WHERE is_default = TRUE",
            &[],
            None,
        )
        .await?;
    let status = Uuid::parse_str(
        status
            .and_then(|r| r["id"].as_str().map(str::to_string))
            .unwrap_or_default()
            .as_str(),
    )?;
    let stamp = now();
    let mut tx = db.begin().await?;
    let entity = |id: Uuid, name: String, kind: Uuid, parent: Option<Uuid>| {
        vec![
            ("id", Value::from(id)),
            ("name", name.into()),
            ("project_id", project.into()),
            ("entity_type_id", kind.into()),
            ("parent_id", parent.into()),
            ("canceled", false.into()),
            ("nb_entities_out", Value::Int(0)),
            ("is_casting_standby", false.into()),
            ("is_shared", false.into()),
            ("status", "running".into()),
            ("nb_frames", Value::Int(48)),
            ("data", Value::Json(json!({"frame_in": 1, "frame_out": 48}))),
            ("created_at", stamp.into()),
            ("updated_at", stamp.into()),
        ]
    };
    let (mut episode, mut sequence) = (Uuid::nil(), Uuid::nil());
    for n in 0..shots {
        if n % 1000 == 0 {
            episode = Uuid::now_v7();
            tx.insert(
                "entity",
                &entity(episode, format!("E{:02}", n / 1000), episode_type, None),
            )
            .await?;
        }
        if n % 100 == 0 {
            sequence = Uuid::now_v7();
            tx.insert(
                "entity",
                &entity(
                    sequence,
                    format!("SQ{:03}", n / 100),
                    sequence_type,
                    Some(episode),
                ),
            )
            .await?;
        }
        let shot = Uuid::now_v7();
        tx.insert(
            "entity",
            &entity(shot, format!("SH{n:05}"), shot_type, Some(sequence)),
        )
        .await?;
        for task_type in &task_types {
            tx.insert(
                "task",
                &[
                    ("id", Uuid::now_v7().into()),
                    ("name", "main".into()),
                    ("project_id", project.into()),
                    ("entity_id", shot.into()),
                    ("task_type_id", (*task_type).into()),
                    ("task_status_id", status.into()),
                    ("priority", Value::Int(0)),
                    ("duration", Value::Float(0.0)),
                    ("estimation", Value::Float(0.0)),
                    ("completion_rate", Value::Int(0)),
                    ("retake_count", Value::Int(0)),
                    ("sort_order", Value::Int(0)),
                    ("nb_assets_ready", Value::Int(0)),
                    ("nb_drawings", Value::Int(0)),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let body = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    Ok((started.elapsed(), body.len()))
}

async fn sequential(
    client: &reqwest::Client,
    label: &str,
    url: &str,
    token: &str,
    runs: usize,
) -> anyhow::Result<()> {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let (time, bytes) = get(client, url, token).await?;
        times.push(time);
        size = bytes;
    }
    times.sort();
    println!(
        "{label:<44} p50 {:>8.1?}  p95 {:>8.1?}  max {:>8.1?}  ({:.1} MB)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1],
        size as f64 / 1e6
    );
    Ok(())
}

async fn concurrent(
    client: &reqwest::Client,
    label: &str,
    url: &str,
    token: &str,
    clients: usize,
    each: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (client, url, token) = (client.clone(), url.to_string(), token.to_string());
        handles.push(tokio::spawn(async move {
            for _ in 0..each {
                get(&client, &url, &token).await?;
            }
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "{label:<44} {} requests in {:.2?}: {:.1} requests/s",
        clients * each,
        elapsed,
        (clients * each) as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let shots: usize = std::env::var("TUSK_BENCH_SHOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("tusk-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        database_url: Config::sqlite_url(&dir),
        secret_key: "bench-secret".into(),
        bcrypt_cost: 4,
        min_password_length: 8,
        default_locale: "en_US".into(),
        default_timezone: "Europe/Paris".into(),
        public_url: "https://localhost:8080".into(),
    };
    let admin = FirstAdmin {
        email: Some(EMAIL.into()),
        password: Some(PASSWORD.into()),
    };
    let app = Application::build(config.clone(), admin).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let login: Json = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let project: Json = client
        .post(format!("{base}/api/data/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Big Show"}))
        .send()
        .await?
        .json()
        .await?;
    let project_id = Uuid::parse_str(project["id"].as_str().unwrap_or_default())?;
    let db = Db::connect(&config.database_url).await?;
    let seeding = Instant::now();
    seed(&db, project_id, shots).await?;
    println!(
        "seeded {shots} shots and {} tasks in {:.1?}",
        shots * 4,
        seeding.elapsed()
    );

    let view = format!("{base}/api/data/shots/with-tasks?project_id={project_id}");
    let (cold, bytes) = get(&client, &view, &token).await?;
    println!(
        "{:<44} {cold:>8.1?}  ({:.1} MB)",
        "shots/with-tasks, cold (actor loads)",
        bytes as f64 / 1e6
    );
    sequential(&client, "shots/with-tasks, warm", &view, &token, 30).await?;
    concurrent(&client, "shots/with-tasks, 8 clients", &view, &token, 8, 5).await?;
    let list = format!("{base}/api/data/shots?project_id={project_id}");
    sequential(&client, "shots (database list)", &list, &token, 30).await?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
