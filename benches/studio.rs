//! A studio's day against a Zou-compatible server: builds a production of a
//! chosen size through the public HTTP API (phase by phase, timed), then
//! runs the calls the Kitsu UI makes on its main pages and a write mix at a
//! chosen concurrency, and reports requests/s, p50/p99, errors and the
//! server's memory.
//!
//! ```text
//! cargo bench --bench studio -- --tasks 100000 --clients 16
//! cargo bench --bench studio -- --postgres postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench studio -- --url http://127.0.0.1:5000 --email admin@example.com --password P --pid 1234
//! ```
//!
//! Without `--url`, a Tusk is started in this process on a fresh SQLite file
//! (or a fresh database on the `--postgres` server), so its memory is ours.

use clap::Parser;
use serde_json::{json, Value as Json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tusk::{Application, Config, FirstAdmin};
use uuid::Uuid;

const SHOT_TASK_TYPES: [&str; 4] = ["Layout", "Animation", "Lighting", "Compositing"];
const ASSET_TASK_TYPES: [&str; 4] = ["Concept", "Modeling", "Shading", "Rigging"];
const ARTIST_PASSWORD: &str = "bench-artist-password";

#[derive(Parser, Clone)]
struct Args {
    /// A running server (Tusk or Zou); without it, a Tusk starts in-process.
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value = "admin@example.com")]
    email: String,
    #[arg(long, default_value = "bench-password")]
    password: String,
    /// The server's process id, to report its memory (in-process: ours).
    #[arg(long)]
    pid: Option<u32>,
    /// For the in-process Tusk: a PostgreSQL server to create a fresh database on.
    #[arg(long)]
    postgres: Option<String>,
    /// The size of the production, in tasks (4 per shot and per asset).
    #[arg(long, default_value_t = 1000)]
    tasks: usize,
    /// Concurrent clients, while seeding and under load.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// How long each load scenario runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// For the in-process Tusk on SQLite: keep the data in this folder, and on
    /// a later run with the same folder reuse the production seeded there.
    #[arg(long)]
    keep: Option<std::path::PathBuf>,
    /// Run only the load scenarios whose label contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Seconds each scenario runs before it is measured.
    #[arg(long, default_value_t = 1)]
    warm_up: u64,
    /// Ignored: cargo bench passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

/// An HTTP session on the server under test.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<Api> {
        let client = reqwest::Client::new();
        let answer: Json = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = answer["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(Api {
            client,
            base: base.to_string(),
            token,
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> anyhow::Result<Json> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}/api{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
        Ok(serde_json::from_slice(&bytes).unwrap_or(Json::Null))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Json> {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Json) -> anyhow::Result<Json> {
        self.send(reqwest::Method::POST, path, Some(&body)).await
    }

    async fn put(&self, path: &str, body: Json) -> anyhow::Result<Json> {
        self.send(reqwest::Method::PUT, path, Some(&body)).await
    }
}

fn id(value: &Json) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

/// Runs `jobs` with `clients` requests in flight; prints the phase's rate.
async fn phase<F, Fut>(label: &str, clients: usize, jobs: Vec<F>) -> anyhow::Result<Vec<Json>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Json>> + Send + 'static,
{
    let started = Instant::now();
    let count = jobs.len();
    let queue = Arc::new(std::sync::Mutex::new(
        jobs.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let results = Arc::new(std::sync::Mutex::new(vec![Json::Null; count]));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (queue, results) = (queue.clone(), results.clone());
        workers.spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                let Some((index, job)) = next else { break };
                let answer = job().await?;
                results.lock().unwrap()[index] = answer;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "| {label} | {count} | {elapsed:.1} s | {:.0} |",
        count as f64 / elapsed.max(1e-9)
    );
    let results = std::mem::take(&mut *results.lock().unwrap());
    Ok(results)
}

/// What the load scenarios need to know of the seeded production.
#[derive(serde::Serialize, serde::Deserialize)]
struct Production {
    project: String,
    episodes: Vec<String>,
    sequences: Vec<String>,
    tasks: Vec<String>,
    artists: Vec<(String, String)>,
    statuses: Vec<String>,
}

async fn studio_ids(api: &Api, path: &str, names: &[&str]) -> anyhow::Result<Vec<String>> {
    let rows = api.get(path).await?;
    names
        .iter()
        .map(|name| {
            rows.as_array()
                .and_then(|rows| {
                    rows.iter()
                        .find(|r| r["name"] == json!(name) || r["short_name"] == json!(name))
                })
                .map(id)
                .ok_or_else(|| anyhow::anyhow!("no {name} in {path}"))
        })
        .collect()
}

/// The assets cast in shot `n` (of episode `n / 500`), as a series casts
/// them: 2 of the 20 recurring assets (the main characters) and 3 of the
/// episode's own (its sets and props), so that an episode shows a few hundred
/// assets, not all of them.
fn cast_in_shot(n: usize, episodes: usize, assets: usize) -> Vec<usize> {
    let recurring = assets.min(20);
    let per_episode = ((assets - recurring) / episodes.max(1)).max(1);
    let episode = n / 500;
    let mut cast: Vec<usize> = (0..2).map(|k| (n * 7 + k * 13) % recurring).collect();
    if assets > recurring {
        cast.extend((0..3).map(|k| {
            (recurring + episode * per_episode + (n * 7 + k * 13) % per_episode).min(assets - 1)
        }));
    }
    cast.sort_unstable();
    cast.dedup();
    cast
}

async fn seed(api: &Api, args: &Args) -> anyhow::Result<Production> {
    let c = args.clients;
    let shots = (args.tasks / 5).max(1);
    let assets = (args.tasks / 20).max(1);
    let people = (args.tasks / 300).clamp(10, 300);
    println!("\nSeeding {shots} shots and {assets} assets with 4 tasks each, {people} people, {c} clients\n");
    println!("| phase | requests | time | requests/s |\n|---|---|---|---|");
    let project = api
        .post(
            "/data/projects",
            json!({"name": format!("Bench {}", Uuid::new_v4().simple()), "production_type": "tvshow"}),
        )
        .await?;
    let p = id(&project);
    let shot_types = studio_ids(api, "/data/task-types", &SHOT_TASK_TYPES).await?;
    let asset_types = studio_ids(api, "/data/task-types", &ASSET_TASK_TYPES).await?;
    let statuses = studio_ids(
        api,
        "/data/task-status",
        &["todo", "wip", "wfa", "retake", "done"],
    )
    .await?;
    let character = studio_ids(api, "/data/entity-types", &["Character"])
        .await?
        .remove(0);
    let mut setup = Vec::new();
    for task_type in shot_types.iter().chain(&asset_types) {
        setup.push((
            format!("/data/projects/{p}/settings/task-types"),
            json!({"task_type_id": task_type}),
        ));
    }
    for status in &statuses {
        setup.push((
            format!("/data/projects/{p}/settings/task-status"),
            json!({"task_status_id": status}),
        ));
    }
    let jobs = setup
        .into_iter()
        .map(|(path, body)| {
            let api = api.clone();
            move || async move { api.post(&path, body).await }
        })
        .collect();
    phase("project settings", 1, jobs).await?;

    let jobs = (0..people)
        .map(|n| {
            let api = api.clone();
            let email = format!("artist{n}-{}@bench.example", &p[..8]);
            move || async move {
                api.post(
                    "/data/persons",
                    json!({"first_name": "Artist", "last_name": format!("{n:03}"), "email": email,
                           "role": "user", "password": ARTIST_PASSWORD}),
                )
                .await
            }
        })
        .collect();
    let persons = phase("people", c, jobs).await?;
    let jobs = persons
        .iter()
        .map(|person| {
            let (api, path, body) = (
                api.clone(),
                format!("/data/projects/{p}/team"),
                json!({"person_id": id(person)}),
            );
            move || async move { api.post(&path, body).await }
        })
        .collect();
    phase("team", c, jobs).await?;

    let episodes_count = shots.div_ceil(500);
    let jobs = (0..episodes_count)
        .map(|n| {
            let (api, path) = (api.clone(), format!("/data/projects/{p}/episodes"));
            move || async move {
                api.post(&path, json!({"name": format!("E{:03}", n + 1)}))
                    .await
            }
        })
        .collect();
    let episodes: Vec<String> = phase("episodes", c, jobs).await?.iter().map(id).collect();
    let sequences_count = shots.div_ceil(50);
    let jobs = (0..sequences_count)
        .map(|n| {
            let (api, path, episode) = (
                api.clone(),
                format!("/data/projects/{p}/sequences"),
                episodes[n * 50 / 500].clone(),
            );
            move || async move {
                api.post(
                    &path,
                    json!({"name": format!("SQ{:04}", n + 1), "episode_id": episode}),
                )
                .await
            }
        })
        .collect();
    let sequences: Vec<String> = phase("sequences", c, jobs).await?.iter().map(id).collect();
    let jobs = (0..shots)
        .map(|n| {
            let (api, path, sequence) = (api.clone(), format!("/data/projects/{p}/shots"), sequences[n / 50].clone());
            move || async move {
                api.post(&path, json!({"name": format!("SH{:04}", (n % 50 + 1) * 10), "sequence_id": sequence, "nb_frames": 48})).await
            }
        })
        .collect();
    let shot_rows: Vec<String> = phase("shots", c, jobs).await?.iter().map(id).collect();
    let jobs = (0..assets)
        .map(|n| {
            let (api, path) = (
                api.clone(),
                format!("/data/projects/{p}/asset-types/{character}/assets/new"),
            );
            move || async move {
                api.post(&path, json!({"name": format!("Asset {n:05}")}))
                    .await
            }
        })
        .collect();
    let asset_rows: Vec<String> = phase("assets", c, jobs).await?.iter().map(id).collect();

    let mut creations = Vec::new();
    for task_type in &shot_types {
        creations.push(format!(
            "/actions/projects/{p}/task-types/{task_type}/shots/create-tasks"
        ));
    }
    for task_type in &asset_types {
        creations.push(format!(
            "/actions/projects/{p}/task-types/{task_type}/assets/create-tasks"
        ));
    }
    let jobs = creations
        .into_iter()
        .map(|path| {
            let api = api.clone();
            move || async move { api.post(&path, json!([])).await }
        })
        .collect();
    let created = phase("tasks (one request per task type)", c, jobs).await?;
    let tasks: Vec<String> = created
        .iter()
        .flat_map(|list| list.as_array().cloned().unwrap_or_default())
        .map(|task| id(&task))
        .collect();

    let artists: Vec<String> = persons.iter().map(id).collect();
    let jobs = artists
        .iter()
        .enumerate()
        .map(|(n, artist)| {
            let mine: Vec<&String> = tasks.iter().skip(n).step_by(artists.len()).collect();
            let (api, path, body) = (
                api.clone(),
                format!("/actions/persons/{artist}/assign"),
                json!({"task_ids": mine}),
            );
            move || async move { api.put(&path, body).await }
        })
        .collect();
    phase("assignments (one request per person)", c, jobs).await?;

    let jobs = shot_rows
        .iter()
        .enumerate()
        .map(|(n, shot)| {
            let cast: Vec<Json> = cast_in_shot(n, episodes.len(), asset_rows.len())
                .into_iter()
                .map(|k| json!({"asset_id": asset_rows[k], "nb_occurences": 1}))
                .collect();
            let (api, path) = (
                api.clone(),
                format!("/data/projects/{p}/entities/{shot}/casting"),
            );
            move || async move { api.put(&path, json!(cast)).await }
        })
        .collect();
    phase("casting (5 assets per shot, per episode)", c, jobs).await?;

    let jobs = tasks
        .iter()
        .step_by(2)
        .enumerate()
        .map(|(n, task)| {
            let status = statuses[1 + n % 3].clone();
            let (api, path) = (api.clone(), format!("/actions/tasks/{task}/comment"));
            move || async move {
                api.post(
                    &path,
                    json!({"task_status_id": status, "comment": "Looks good, a few notes"}),
                )
                .await
            }
        })
        .collect();
    phase("comments with a status change (half the tasks)", c, jobs).await?;

    let jobs = tasks
        .iter()
        .enumerate()
        .step_by(3)
        .map(|(n, task)| {
            let artist = &artists[n % artists.len()];
            let (api, path) = (
                api.clone(),
                format!(
                    "/actions/tasks/{task}/time-spents/2026-11-{:02}/persons/{artist}",
                    1 + n % 28
                ),
            );
            move || async move { api.post(&path, json!({"duration": 240})).await }
        })
        .collect();
    phase("time spents (a third of the tasks)", c, jobs).await?;

    let artists = persons
        .iter()
        .map(|person| {
            (
                id(person),
                person["email"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok(Production {
        project: p,
        episodes,
        sequences,
        tasks,
        artists,
        statuses,
    })
}

/// The server's resident memory, from /proc (Linux): the given process, or
/// this one when the server runs in it (clients included).
fn memory(args: &Args) -> String {
    memory_mb(args).map_or("?".into(), |mb| format!("{mb:.0} MB"))
}

fn memory_mb(args: &Args) -> Option<f64> {
    let path = match (args.pid, &args.url) {
        (Some(pid), _) => format!("/proc/{pid}/status"),
        (None, None) => "/proc/self/status".to_string(),
        (None, Some(_)) => return None,
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One kind of request of the load, chosen afresh for each call.
type Call = Arc<dyn Fn(usize) -> (reqwest::Method, String, Option<Json>) + Send + Sync>;

/// Runs `call` from `clients` clients for `seconds`; prints one table row.
async fn scenario(api: &Api, label: &str, call: Call, args: &Args) -> anyhow::Result<()> {
    let (method, path, body) = call(0);
    if let Err(error) = api.send(method, &path, body.as_ref()).await {
        println!(
            "| {label} | not served: {} |  |  |  |  |",
            error.to_string().lines().next().unwrap_or_default()
        );
        return Ok(());
    }
    // The first second warms the server's caches up and is not counted: the
    // figures are of a server in use, not of one just started.
    let measured_from = Instant::now() + Duration::from_secs(args.warm_up);
    let deadline = measured_from + Duration::from_secs(args.seconds);
    let (counter, errors, bytes) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..args.clients {
        let (api, call, counter, errors, bytes) = (
            api.clone(),
            call.clone(),
            counter.clone(),
            errors.clone(),
            bytes.clone(),
        );
        clients.spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let (method, path, body) = call(counter.fetch_add(1, Ordering::Relaxed));
                let mut request = api
                    .client
                    .request(method, format!("{}/api{path}", api.base))
                    .bearer_auth(&api.token);
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let begun = Instant::now();
                let (size, failed) = match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        (response.bytes().await.map_or(0, |b| b.len()), false)
                    }
                    _ => (0, true),
                };
                if begun >= measured_from {
                    bytes.fetch_add(size, Ordering::Relaxed);
                    errors.fetch_add(usize::from(failed), Ordering::Relaxed);
                    times.push(begun.elapsed());
                }
            }
            times
        });
    }
    let mut times = Vec::new();
    while let Some(done) = clients.join_next().await {
        times.extend(done?);
    }
    let elapsed = (Instant::now() - measured_from).as_secs_f64();
    times.sort();
    if times.is_empty() {
        println!("| {label} | no request finished |  |  |  |  |");
        return Ok(());
    }
    let at =
        |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "| {label} | {:.0} | {:.1} ms | {:.1} ms | {} | {:.0} KB | {} |",
        times.len() as f64 / elapsed,
        at(0.5),
        at(0.99),
        errors.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed) as f64 / times.len().max(1) as f64 / 1024.0,
        memory(args),
    );
    Ok(())
}

fn get(path: String) -> Call {
    Arc::new(move |_| (reqwest::Method::GET, path.clone(), None))
}

/// A GET whose path varies with the call number (one episode, task, person...).
fn get_each(paths: Vec<String>) -> Call {
    Arc::new(move |n| (reqwest::Method::GET, paths[n % paths.len()].clone(), None))
}

/// Serves `bytes` from memory on actix, in this process: the ceiling a
/// cached view is compared with.
async fn memory_server(bytes: actix_web::web::Bytes) -> anyhow::Result<String> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let server = HttpServer::new(move || {
        let bytes = bytes.clone();
        App::new().default_service(web::to(move || {
            let bytes = bytes.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(bytes)
            }
        }))
    })
    .bind("127.0.0.1:0")?;
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Ok(format!("http://127.0.0.1:{port}"))
}

async fn load(api: &Api, production: &Production, args: &Args) -> anyhow::Result<()> {
    let p = &production.project;
    let (artist_id, artist_email) = production.artists[0].clone();
    let artist = Api::login(&api.base, &artist_email, ARTIST_PASSWORD).await?;
    println!(
        "\nLoad: {} clients, {} s per scenario\n\n| call | requests/s | p50 | p99 | errors | bytes/answer | server memory |\n|---|---|---|---|---|---|---|",
        args.clients, args.seconds
    );
    let per_episode = |what: &str| {
        production
            .episodes
            .iter()
            .map(|e| format!("/data/{what}/with-tasks?project_id={p}&episode_id={e}"))
            .collect::<Vec<_>>()
    };
    let per_task = |what: &str| {
        production
            .tasks
            .iter()
            .map(|t| format!("/data/tasks/{t}{what}"))
            .collect::<Vec<_>>()
    };
    let reads: Vec<(&str, &Api, Call)> = vec![
        (
            "user context (artist)",
            &artist,
            get("/data/user/context".into()),
        ),
        ("my tasks (artist)", &artist, get("/data/user/tasks".into())),
        (
            "shots with tasks, one episode",
            api,
            get_each(per_episode("shots")),
        ),
        (
            "sequences with tasks, one episode",
            api,
            get_each(per_episode("sequences")),
        ),
        (
            "assets with tasks, one episode",
            api,
            get_each(per_episode("assets")),
        ),
        (
            "casting of one sequence",
            api,
            get_each(
                production
                    .sequences
                    .iter()
                    .map(|s| format!("/data/projects/{p}/sequences/{s}/casting"))
                    .collect(),
            ),
        ),
        ("task comments", api, get_each(per_task("/comments"))),
        ("task full", api, get_each(per_task("/full"))),
        (
            "open tasks (one page)",
            api,
            get(format!("/data/tasks/open-tasks?project_id={p}&limit=100")),
        ),
        (
            "open tasks stats",
            api,
            get("/data/tasks/open-tasks/stats".into()),
        ),
        (
            "one person's tasks",
            api,
            get(format!("/data/persons/{artist_id}/tasks")),
        ),
        ("persons", api, get("/data/persons".into())),
        (
            "retake stats",
            api,
            get(format!("/data/projects/{p}/episodes/retake-stats")),
        ),
        (
            "shots CSV export, one episode",
            api,
            get_each(
                production
                    .episodes
                    .iter()
                    .map(|e| format!("/export/csv/projects/{p}/shots.csv?episode_id={e}"))
                    .collect(),
            ),
        ),
        (
            "whole project: shots CSV export",
            api,
            get(format!("/export/csv/projects/{p}/shots.csv")),
        ),
        (
            "whole project: shots with tasks",
            api,
            get(format!("/data/shots/with-tasks?project_id={p}")),
        ),
    ];
    let chosen = |label: &str| {
        args.only
            .as_ref()
            .is_none_or(|only| label.contains(only.as_str()))
    };
    for (label, session, call) in reads.into_iter().filter(|(label, ..)| chosen(label)) {
        scenario(session, label, call, args).await?;
    }
    let ceiling_label = "ceiling: the same bytes from memory";
    if chosen(ceiling_label) {
        ceiling(api, p, ceiling_label, args).await?;
    }
    let (tasks, statuses) = (production.tasks.clone(), production.statuses.clone());
    let comment: Call = Arc::new(move |n| {
        let status = &statuses[1 + n % 3];
        (
            reqwest::Method::POST,
            format!("/actions/tasks/{}/comment", tasks[n % tasks.len()]),
            Some(json!({"task_status_id": status, "comment": "bench"})),
        )
    });
    let (tasks, artists) = (production.tasks.clone(), production.artists.clone());
    let assign: Call = Arc::new(move |n| {
        let person = &artists[n % artists.len()].0;
        (
            reqwest::Method::PUT,
            format!("/actions/tasks/{}/assign", tasks[n % tasks.len()]),
            Some(json!({"person_id": person})),
        )
    });
    let writes = [
        ("write: comment with a status change", comment),
        ("write: assignment", assign),
    ];
    for (label, call) in writes.into_iter().filter(|(label, _)| chosen(label)) {
        scenario(api, label, call, args).await?;
    }
    Ok(())
}

/// The whole-project view's bytes served from memory by actix in this process.
async fn ceiling(api: &Api, p: &str, label: &str, args: &Args) -> anyhow::Result<()> {
    let whole = api
        .client
        .get(format!(
            "{}/api/data/shots/with-tasks?project_id={p}",
            api.base
        ))
        .bearer_auth(&api.token)
        .send()
        .await?
        .bytes()
        .await?;
    let ceiling = Api {
        base: memory_server(whole).await?,
        ..api.clone()
    };
    scenario(&ceiling, label, get("/any".into()), args).await
}

/// A Tusk in this process on a fresh database; returns its base URL.
async fn start_tusk(args: &Args) -> anyhow::Result<String> {
    let dir = args.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tusk-bench-{}", Uuid::new_v4().simple()))
    });
    std::fs::create_dir_all(&dir)?;
    let database_url = match &args.postgres {
        Some(server) => {
            use sqlx::Connection;
            let name = format!("tusk_bench_{}", Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(server).await?;
            sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str()).await?;
            format!(
                "{}/{name}",
                server
                    .rsplit_once('/')
                    .map_or(server.as_str(), |(base, _)| base)
            )
        }
        None => Config::sqlite_url(&dir),
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir,
        database_url,
        secret_key: "bench-secret".into(),
        bcrypt_cost: 4,
        min_password_length: 8,
        default_locale: "en_US".into(),
        default_timezone: "Europe/Paris".into(),
        public_url: "https://localhost:8080".into(),
    };
    let admin = FirstAdmin {
        email: Some(args.email.clone()),
        password: Some(args.password.clone()),
    };
    let app = Application::build(config, admin).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Ok(base)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = match &args.url {
        Some(url) => url
            .trim_end_matches('/')
            .trim_end_matches("/api")
            .to_string(),
        None => start_tusk(&args).await?,
    };
    let api = Api::login(&base, &args.email, &args.password).await?;
    let saved = args.keep.as_ref().map(|dir| dir.join("production.json"));
    let production = match saved.as_ref().filter(|file| file.exists()) {
        Some(file) => serde_json::from_slice(&std::fs::read(file)?)?,
        None => {
            let started = Instant::now();
            let production = seed(&api, &args).await?;
            println!(
                "\nSeeded {} tasks in {:.1} s; server memory {}",
                production.tasks.len(),
                started.elapsed().as_secs_f64(),
                memory(&args)
            );
            if let Some(file) = &saved {
                std::fs::write(file, serde_json::to_vec(&production)?)?;
            }
            production
        }
    };
    load(&api, &production, &args).await
}
