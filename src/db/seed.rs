//! Zou's default data (what `zou init-data` creates) and the first admin.

use super::{now, Db, Value};
use crate::auth::password;
use crate::config::Config;
use crate::persons::{self, NewPerson};
use anyhow::{anyhow, Context};
use serde_json::{Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

/// The rows of Zou's `init-data`, by table, in an order where references resolve.
const INIT_DATA: &str = include_str!("init-data.json");
const TABLES: [&str; 5] = [
    "department",
    "entity_type",
    "project_status",
    "task_status",
    "task_type",
];

/// The columns that identify a default row: an existing row is left alone,
/// so running this again (or on a database imported from Zou) adds only what is missing.
fn identity_columns(table: &str) -> &'static [&'static str] {
    match table {
        "task_type" => &["name", "for_entity"],
        _ => &["name"],
    }
}

/// Inserts the default rows that are missing; returns how many were added.
pub async fn init_data(db: &Db) -> anyhow::Result<usize> {
    let data: Map<String, Json> = serde_json::from_str(INIT_DATA)?;
    let mut tx = db.begin().await?;
    let mut added = 0;
    for table in TABLES {
        let schema = db
            .schema()
            .table(table)
            .ok_or_else(|| anyhow!("table {table} is missing"))?
            .clone();
        for record in data[table].as_array().into_iter().flatten() {
            let mut record = record.as_object().cloned().unwrap_or_default();
            if let Some(department) = record.remove("department") {
                let department_id = match department.as_str() {
                    Some(name) => tx
                        .fetch_optional(
                            "SELECT id FROM department WHERE name = $1",
                            &[name.into()],
                            None,
                        )
                        .await?
                        .and_then(|row| row.get("id").cloned()),
                    None => None,
                };
                record.insert("department_id".into(), department_id.unwrap_or(Json::Null));
            }
            let keys = identity_columns(table);
            let conditions: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(n, column)| format!("{column} = ${}", n + 1))
                .collect();
            let params: Vec<Value> = keys
                .iter()
                .map(|column| Value::Text(record[*column].as_str().unwrap_or("").into()))
                .collect();
            let existing = tx
                .fetch_optional(
                    &format!("SELECT id FROM {table} WHERE {}", conditions.join(" AND ")),
                    &params,
                    None,
                )
                .await?;
            if existing.is_some() {
                continue;
            }
            let stamp = now();
            let mut values: Vec<(&str, Value)> = vec![
                ("id", Uuid::now_v7().into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ];
            for (column, kind) in &schema.columns {
                if let Some(json) = record.get(column) {
                    let value = Value::from_json(*kind, json)
                        .map_err(|error| anyhow!("init data {table}.{column} {error}"))?;
                    values.push((column.as_str(), value));
                }
            }
            tx.insert(table, &values).await?;
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// Creates an admin, or makes an existing person admin with this password
/// (what `zou create-admin` is for: getting back into a studio).
pub async fn create_admin(
    db: &Db,
    config: &Config,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let hash = password::hash(password, config.bcrypt_cost);
    let updated = db
        .execute(
            "UPDATE person SET role = 'admin', active = TRUE, password = $1, updated_at = $2 \
             WHERE lower(email) = lower($3) AND is_bot = FALSE",
            &[
                Value::Bytes(hash.clone().into_bytes()),
                now().into(),
                email.into(),
            ],
        )
        .await?;
    if updated == 0 {
        let mut tx = db.begin().await?;
        persons::insert(
            &mut tx,
            NewPerson {
                first_name: "Super",
                last_name: "Admin",
                email,
                role: Role::Admin,
                password_hash: Some(hash),
                locale: &config.default_locale,
                timezone: &config.default_timezone,
            },
        )
        .await
        .context("cannot create the admin")?;
        tx.commit().await?;
    }
    Ok(())
}

/// The first admin of a new studio: created when no active admin exists, from
/// `TUSK_ADMIN_EMAIL`/`TUSK_ADMIN_PASSWORD` or with a random password. Returns
/// the credentials to print, once.
pub async fn ensure_admin(
    db: &Db,
    config: &Config,
    email: Option<String>,
    password: Option<String>,
) -> anyhow::Result<Option<(String, String)>> {
    let admin = db
        .fetch_optional(
            "SELECT id FROM person WHERE role = 'admin' AND active = TRUE AND is_bot = FALSE LIMIT 1",
            &[],
            None,
        )
        .await?;
    if admin.is_some() {
        return Ok(None);
    }
    let email = email.unwrap_or_else(|| "admin@example.com".into());
    let password = password.unwrap_or_else(|| password::random_token(16));
    create_admin(db, config, &email, &password).await?;
    Ok(Some((email, password)))
}
