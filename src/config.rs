//! Settings, from flags or environment variables (see `main.rs`); Zou's own
//! variable names are accepted where Zou has one for the same thing.

use anyhow::Context;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on; port 0 picks a free port (tests).
    pub bind: String,
    /// Holds the SQLite database, the generated secret key and files.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Signs the JWTs: tokens stay valid across restarts as long as it is kept.
    pub secret_key: String,
    /// bcrypt cost for new password hashes (Zou's `BCRYPT_LOG_ROUNDS`).
    pub bcrypt_cost: u32,
    /// Zou's `MIN_PASSWORD_LENGTH`, checked when a password is changed.
    pub min_password_length: usize,
    /// Zou's `DEFAULT_LOCALE` and `DEFAULT_TIMEZONE`, given to new persons and to `/config`.
    pub default_locale: String,
    pub default_timezone: String,
    /// Where Kitsu is served, for the links Tusk hands out (password reset,
    /// invitations): Zou's `DOMAIN_PROTOCOL://DOMAIN_NAME`.
    pub public_url: String,
}

impl Config {
    /// Where a stored file lives, laid out as Zou's local storage does: its
    /// key `<prefix>-<id>` is split at the first dash into a folder and a
    /// name, `<data_dir>/<bucket>/<folder>/<name[0:3]>/<name[3:6]>/<name>`.
    /// A dash in the prefix moves the split: `thumbnails-square` files all
    /// live in `thumbnails/squ/are/`, as in an existing Zou folder.
    pub fn stored_file(&self, bucket: &str, prefix: &str, id: &str) -> PathBuf {
        let key = format!("{prefix}-{id}");
        let (folder, name) = key.split_once('-').unwrap_or((&key, ""));
        let part = |range: std::ops::Range<usize>| name.get(range).unwrap_or_default();
        self.data_dir
            .join(bucket)
            .join(folder)
            .join(part(0..3))
            .join(part(3..6))
            .join(name)
    }

    /// The default database: a SQLite file in the data folder.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("tusk.db").display())
    }

    /// A PostgreSQL URL from Zou's `DB_HOST`, `DB_PORT`, `DB_USERNAME`,
    /// `DB_PASSWORD` and `DB_DATABASE`, when `DB_HOST` is set.
    pub fn zou_database_url(var: impl Fn(&str) -> Option<String>) -> Option<String> {
        let host = var("DB_HOST")?;
        let port = var("DB_PORT").unwrap_or_else(|| "5432".into());
        let user = var("DB_USERNAME").unwrap_or_else(|| "postgres".into());
        let database = var("DB_DATABASE").unwrap_or_else(|| "zoudb".into());
        let credentials = match var("DB_PASSWORD") {
            Some(password) => format!("{user}:{password}"),
            None => user,
        };
        Some(format!("postgres://{credentials}@{host}:{port}/{database}"))
    }

    /// The secret in `<data_dir>/secret_key`, created with a random value on first use.
    pub fn stored_secret(data_dir: &Path) -> anyhow::Result<String> {
        let path = data_dir.join("secret_key");
        if let Ok(secret) = std::fs::read_to_string(&path) {
            if !secret.trim().is_empty() {
                return Ok(secret.trim().to_string());
            }
        }
        let secret = crate::auth::password::random_token(48);
        write_private(&path, &secret)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(secret)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_postgres_url_from_zou_variables() {
        let vars = |name: &str| match name {
            "DB_HOST" => Some("db.local".to_string()),
            "DB_PASSWORD" => Some("s3cret".to_string()),
            _ => None,
        };
        assert_eq!(
            Config::zou_database_url(vars).as_deref(),
            Some("postgres://postgres:s3cret@db.local:5432/zoudb")
        );
        assert_eq!(Config::zou_database_url(|_| None), None);
    }

    #[test]
    fn stored_files_are_where_zou_puts_them() {
        let config = Config {
            bind: String::new(),
            data_dir: PathBuf::from("/data"),
            database_url: String::new(),
            secret_key: String::new(),
            bcrypt_cost: 4,
            min_password_length: 8,
            default_locale: String::new(),
            default_timezone: String::new(),
            public_url: String::new(),
        };
        let id = "63e453f1-9655-4c1d-8a58-8e1bd2b4a1c2";
        let path = |bucket, prefix| config.stored_file(bucket, prefix, id);
        assert_eq!(
            path("pictures", "thumbnails"),
            PathBuf::from(format!("/data/pictures/thumbnails/63e/453/{id}"))
        );
        assert_eq!(
            path("files", "attachments"),
            PathBuf::from(format!("/data/files/attachments/63e/453/{id}"))
        );
        assert_eq!(
            path("pictures", "thumbnails-square"),
            PathBuf::from(format!("/data/pictures/thumbnails/squ/are/square-{id}"))
        );
    }

    #[test]
    fn the_stored_secret_is_created_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("tusk-secret-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = Config::stored_secret(&dir).unwrap();
        assert_eq!(first.len(), 48);
        assert_eq!(Config::stored_secret(&dir).unwrap(), first);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
