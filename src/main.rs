//! The `tusk` command: serve (the default), migrate, init-data, create-admin, routes.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tusk::db::{seed, Db};
use tusk::{Application, Config, FirstAdmin};

#[derive(Parser)]
#[command(
    name = "tusk",
    version,
    about = "A production-tracking server that speaks Zou's API"
)]
struct Cli {
    /// Address to listen on.
    #[arg(
        long,
        env = "TUSK_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    bind: String,
    /// Folder for the SQLite database, the generated secret key and files.
    #[arg(long, env = "TUSK_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; default: a SQLite file in the data folder,
    /// or Zou's DB_HOST/DB_PORT/DB_USERNAME/DB_PASSWORD/DB_DATABASE when DB_HOST is set.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Key that signs the tokens; default: one generated and kept in the data folder.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true, global = true)]
    secret_key: Option<String>,
    /// bcrypt cost of new password hashes.
    #[arg(long, env = "BCRYPT_LOG_ROUNDS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(4..=31), global = true)]
    bcrypt_log_rounds: u32,
    /// Shortest password accepted when a password is changed.
    #[arg(long, env = "MIN_PASSWORD_LENGTH", default_value_t = 8, global = true)]
    min_password_length: usize,
    #[arg(long, env = "DEFAULT_LOCALE", default_value = "en_US", global = true)]
    default_locale: String,
    #[arg(
        long,
        env = "DEFAULT_TIMEZONE",
        default_value = "Europe/Paris",
        global = true
    )]
    default_timezone: String,
    /// Host (and port) of the Kitsu UI, in the links Tusk hands out.
    #[arg(
        long,
        env = "DOMAIN_NAME",
        default_value = "localhost:8080",
        global = true
    )]
    domain_name: String,
    #[arg(long, env = "DOMAIN_PROTOCOL", default_value = "https", global = true)]
    domain_protocol: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default): migrates, seeds a new database, creates a first admin.
    Serve {
        /// Email of the first admin, when the database has none.
        #[arg(long, env = "TUSK_ADMIN_EMAIL")]
        admin_email: Option<String>,
        /// Password of the first admin; default: a random one, printed once.
        #[arg(long, env = "TUSK_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Add Zou's default data (task statuses, task types, asset types...) that is missing.
    InitData,
    /// Create an admin, or make an existing person admin with this password.
    CreateAdmin {
        email: String,
        #[arg(long, env = "TUSK_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Print the served routes.
    Routes,
}

impl Cli {
    fn config(&self) -> anyhow::Result<Config> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let database_url = self
            .database_url
            .clone()
            .or_else(|| Config::zou_database_url(|name| std::env::var(name).ok()))
            .unwrap_or_else(|| Config::sqlite_url(&self.data_dir));
        let secret_key = match &self.secret_key {
            Some(key) => key.clone(),
            None => Config::stored_secret(&self.data_dir)?,
        };
        Ok(Config {
            bind: self.bind.clone(),
            data_dir: self.data_dir.clone(),
            database_url,
            secret_key,
            bcrypt_cost: self.bcrypt_log_rounds,
            min_password_length: self.min_password_length,
            default_locale: self.default_locale.clone(),
            default_timezone: self.default_timezone.clone(),
            public_url: format!("{}://{}", self.domain_protocol, self.domain_name),
        })
    }
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::Routes) = cli.command {
        for route in tusk::api::table() {
            println!("{}\t{}\t{}", route.method, route.path, route.summary);
        }
        return Ok(());
    }
    let config = cli.config()?;
    actix_web::rt::System::new().block_on(run(cli.command, config))
}

async fn run(command: Option<Command>, config: Config) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve {
        admin_email: std::env::var("TUSK_ADMIN_EMAIL").ok(),
        admin_password: std::env::var("TUSK_ADMIN_PASSWORD").ok(),
    }) {
        Command::Serve {
            admin_email,
            admin_password,
        } => serve(config, admin_email, admin_password).await,
        Command::Migrate => {
            Db::connect(&config.database_url).await?;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::InitData => {
            let db = Db::connect(&config.database_url).await?;
            let added = seed::init_data(&db).await?;
            println!("Default data: {added} rows added.");
            Ok(())
        }
        Command::CreateAdmin { email, password } => {
            let db = Db::connect(&config.database_url).await?;
            tusk::app::prepare(&db).await?;
            seed::create_admin(&db, &config, &email, &password).await?;
            println!("Admin {email} is ready.");
            Ok(())
        }
        Command::Routes => unreachable!("handled before the runtime starts"),
    }
}

async fn serve(
    config: Config,
    email: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let app = Application::build(config, FirstAdmin { email, password }).await?;
    if let Some((email, password)) = &app.first_admin {
        println!("\nA first admin was created. Log in with:\n  email:    {email}\n  password: {password}\n(shown once: change it with POST /auth/change-password)\n");
    }
    let address = bind
        .rsplit_once(':')
        .map_or(bind.clone(), |(host, _)| format!("{host}:{}", app.port()));
    println!("Tusk is listening on http://{address} (API also under /api)");
    tracing::info!(%address, "listening");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
