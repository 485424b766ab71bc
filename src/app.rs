//! `Application::build`: the one way the server is assembled, by `main` and by
//! the tests alike (which bind port 0 and get their own database).

use crate::api;
use crate::auth::password;
use crate::config::Config;
use crate::db::{seed, Db};
use crate::error::ApiError;
use crate::organisation;
use actix_web::dev::{Server, Service};
use actix_web::middleware::{NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;
use tusk_actors::thumbnails::ThumbnailWorkers;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// `/openapi.json`, serialised once from the route table.
    pub openapi: String,
    /// A hash to verify against when a login names nobody, so that the answer
    /// takes as long as for a wrong password.
    pub dummy_hash: String,
    /// The per-project actors and their cached breakdowns.
    pub projects: crate::projects::ProjectRegistry,
    /// The breakdown pages' views, as written, while their project is unchanged.
    pub views: crate::api::ViewCache,
    /// Answers of read routes, while nothing is written.
    pub answers: crate::api::AnswerCache,
    /// Decode and resize uploaded pictures, off the HTTP worker threads.
    pub thumbnails: ThumbnailWorkers,
}

/// Memory the written breakdown views may hold.
const VIEW_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Memory the kept answers of read routes may hold.
const ANSWER_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// How long a project nobody asks about keeps its cache.
const PROJECT_IDLE: std::time::Duration = std::time::Duration::from_secs(300);

/// Picture jobs waiting for a thumbnail worker, beyond those running: each
/// holds only a received file's path until it runs.
const THUMBNAIL_QUEUE: usize = 64;

/// Largest request body read into memory (JSON and forms; uploads have their own limits).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    /// Set when this start created the first admin: print it once.
    pub first_admin: Option<(String, String)>,
}

/// Credentials for the first admin, when the database has none.
#[derive(Debug, Clone, Default)]
pub struct FirstAdmin {
    pub email: Option<String>,
    pub password: Option<String>,
}

impl Application {
    /// Migrates the database, seeds a new one, and binds the server.
    pub async fn build(config: Config, first_admin: FirstAdmin) -> anyhow::Result<Application> {
        let db = Db::connect(&config.database_url).await?;
        prepare(&db).await?;
        let first_admin =
            seed::ensure_admin(&db, &config, first_admin.email, first_admin.password).await?;

        crate::storage::sweep_uploads(&config.data_dir);
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let store = std::sync::Arc::new(crate::projects::DbStore { db: db.clone() });
        let state = web::Data::new(AppState {
            projects: crate::projects::ProjectRegistry::new(store, PROJECT_IDLE),
            views: crate::api::ViewCache::new(VIEW_CACHE_BYTES),
            answers: crate::api::AnswerCache::new(ANSWER_CACHE_BYTES),
            thumbnails: ThumbnailWorkers::new(
                std::thread::available_parallelism().map_or(2, usize::from),
                THUMBNAIL_QUEUE,
            )?,
            db,
            openapi: api::openapi().to_string(),
            dummy_hash: password::hash(&password::random_token(16), config.bcrypt_cost),
            config: Arc::new(config),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::bad_request("Malformed ID.").into()),
                )
                .wrap_fn(|req, service| {
                    let started = Instant::now();
                    let method = req.method().clone();
                    let path = req.path().to_string();
                    let response = service.call(req);
                    async move {
                        let response = response.await?;
                        tracing::info!(
                            %method,
                            %path,
                            status = response.status().as_u16(),
                            micros = started.elapsed().as_micros() as u64,
                            "request"
                        );
                        Ok(response)
                    }
                })
                .wrap(NormalizePath::new(TrailingSlash::Trim))
                .configure(api::configure)
                .default_service(web::to(not_found))
        })
        .listen(listener)?
        // On SIGTERM or SIGINT, requests in flight get this long to finish.
        .shutdown_timeout(30)
        .run();
        Ok(Application {
            port,
            server,
            first_admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// A database without any person is new: give it Zou's default data and the
/// organisation record.
pub async fn prepare(db: &Db) -> anyhow::Result<()> {
    let has_people = db
        .fetch_optional("SELECT id FROM person LIMIT 1", &[], None)
        .await?
        .is_some();
    if !has_people {
        let added = seed::init_data(db).await?;
        tracing::info!(added, "seeded Zou's default data");
    }
    organisation::current(db, true).await?;
    Ok(())
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
