//! Persons as the auth layer sees them, and the fields Zou never shows.

use crate::db::{now, Db, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use serde_json::{json, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

/// Columns that never leave the server.
pub const SECRET_COLUMNS: [&str; 12] = [
    "password",
    "totp_secret",
    "email_otp_secret",
    "otp_recovery_codes",
    "fido_credentials",
    "jti",
    "login_failed_attemps",
    "last_login_failed",
    "oidc_issuer",
    "oidc_subject",
    "saml_issuer",
    "saml_subject",
];

#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub role: Role,
    pub active: bool,
    pub is_bot: bool,
    /// The whole stored row, secrets included: serialise with [`Person::to_json`].
    pub row: Row,
}

impl Person {
    pub fn from_row(row: Row) -> ApiResult<Person> {
        let id = row
            .get("id")
            .and_then(Json::as_str)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| ApiError::internal("person row without id"))?;
        let role = row
            .get("role")
            .and_then(Json::as_str)
            .and_then(|role| role.parse().ok())
            .unwrap_or(Role::User);
        let flag = |column: &str| row.get(column).and_then(Json::as_bool).unwrap_or(false);
        Ok(Person {
            id,
            role,
            active: flag("active"),
            is_bot: flag("is_bot"),
            row,
        })
    }

    pub async fn find(db: &Db, id: Uuid) -> ApiResult<Option<Person>> {
        db.fetch_optional(
            "SELECT * FROM person WHERE id = $1",
            &[id.into()],
            Some("person"),
        )
        .await?
        .map(Person::from_row)
        .transpose()
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        self.row.get(column).and_then(Json::as_str)
    }

    pub fn int(&self, column: &str) -> i64 {
        self.row.get(column).and_then(Json::as_i64).unwrap_or(0)
    }

    /// A project's preview account: a read-only client login for outsiders.
    pub fn is_preview_account(&self) -> bool {
        self.text("preview_project_id").is_some()
    }

    /// When a preview account's window opened, if it is open now (tokens
    /// issued before that moment are void).
    pub fn preview_open_since(&self) -> Option<chrono::NaiveDateTime> {
        let stamp = |column: &str| self.text(column).and_then(crate::db::parse_timestamp);
        let until = stamp("preview_open_until")?;
        (until > now()).then(|| stamp("preview_opened_at").unwrap_or(until))
    }

    pub async fn department_ids(&self, db: &Db) -> ApiResult<Vec<String>> {
        let rows = db
            .fetch_all(
                "SELECT department_id FROM department_link WHERE person_id = $1 \
                 ORDER BY department_id",
                &[self.id.into()],
                None,
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut row| match row.remove("department_id") {
                Some(Json::String(id)) => Some(id),
                _ => None,
            })
            .collect())
    }

    /// The person as Zou shows it to themselves and to admins: no secrets, plus
    /// `full_name`, `type` and the department ids.
    pub fn to_json(&self, departments: Vec<String>) -> Json {
        let mut out = self.row.clone();
        hide_secrets(&mut out);
        let full_name = format!(
            "{} {}",
            self.text("first_name").unwrap_or(""),
            self.text("last_name").unwrap_or("")
        );
        out.insert("full_name".into(), json!(full_name.trim()));
        out.insert("type".into(), json!("Person"));
        out.insert("departments".into(), json!(departments));
        Json::Object(out)
    }
}

/// What is needed to create a person; everything else takes Zou's defaults.
pub struct NewPerson<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub password_hash: Option<String>,
    pub locale: &'a str,
    pub timezone: &'a str,
}

/// Inserts a person with the defaults Zou's model gives (those live in Python,
/// not in Zou's schema, so Tusk sets them here).
pub async fn insert(tx: &mut Tx, new: NewPerson<'_>) -> sqlx::Result<Row> {
    let stamp = now();
    let text = |value: &str| Value::Text(value.to_string());
    tx.insert(
        "person",
        &[
            ("id", Uuid::now_v7().into()),
            ("first_name", text(new.first_name)),
            ("last_name", text(new.last_name)),
            ("email", text(&new.email.to_lowercase())),
            ("phone", text("")),
            ("contract_type", text("open-ended")),
            ("active", true.into()),
            ("archived", false.into()),
            ("desktop_login", text("")),
            ("login_failed_attemps", Value::Int(0)),
            (
                "password",
                new.password_hash
                    .map(|h| Value::Bytes(h.into_bytes()))
                    .into(),
            ),
            ("totp_enabled", false.into()),
            ("email_otp_enabled", false.into()),
            ("fido_enabled", false.into()),
            ("timezone", text(new.timezone)),
            ("locale", text(new.locale)),
            ("use_12_hour_clock", false.into()),
            ("display_date_format", text("YYYY-MM-DD")),
            ("role", text(new.role.as_str())),
            ("position", text("artist")),
            ("seniority", text("mid")),
            ("daily_salary", Value::Int(0)),
            ("has_avatar", false.into()),
            ("notifications_enabled", false.into()),
            ("notifications_slack_enabled", false.into()),
            ("notifications_slack_userid", text("")),
            ("notifications_mattermost_enabled", false.into()),
            ("notifications_mattermost_userid", text("")),
            ("notifications_discord_enabled", false.into()),
            ("notifications_discord_userid", text("")),
            ("is_bot", false.into()),
            ("is_guest", false.into()),
            ("is_generated_from_ldap", false.into()),
            ("created_at", stamp.into()),
            ("updated_at", stamp.into()),
        ],
    )
    .await
}

/// Removes the columns that never leave the server.
pub fn hide_secrets(row: &mut Row) {
    for column in SECRET_COLUMNS {
        row.remove(column);
    }
}

/// What a forced person delete clears first, as Zou does: their own records
/// go, the records they only touched keep their data without them.
pub async fn remove_traces(tx: &mut Tx, id: Value) -> ApiResult<()> {
    let own_comments = "SELECT id FROM comment WHERE person_id = $1";
    let statements = [
        format!("DELETE FROM comment_acknoledgments WHERE person = $1 OR comment IN ({own_comments})"),
        format!("DELETE FROM comment_mentions WHERE person = $1 OR comment IN ({own_comments})"),
        format!("DELETE FROM comment_department_mentions WHERE comment IN ({own_comments})"),
        format!("DELETE FROM comment_preview_link WHERE comment IN ({own_comments})"),
        format!("DELETE FROM attachment_file WHERE comment_id IN ({own_comments})"),
        format!("DELETE FROM news WHERE author_id = $1 OR comment_id IN ({own_comments})"),
        format!("DELETE FROM notification WHERE person_id = $1 OR author_id = $1 OR comment_id IN ({own_comments})"),
        "DELETE FROM comment WHERE person_id = $1".to_string(),
        "UPDATE comment SET editor_id = NULL WHERE editor_id = $1".to_string(),
        "DELETE FROM chat_participant WHERE person_id = $1".to_string(),
        "DELETE FROM chat_message WHERE person_id = $1".to_string(),
        "DELETE FROM day_off WHERE person_id = $1".to_string(),
        "DELETE FROM desktop_login_log WHERE person_id = $1".to_string(),
        "DELETE FROM login_log WHERE person_id = $1".to_string(),
        "DELETE FROM project_person_link WHERE person_id = $1".to_string(),
        "DELETE FROM search_filter WHERE person_id = $1".to_string(),
        "DELETE FROM search_filter_group WHERE person_id = $1".to_string(),
        "DELETE FROM subscription WHERE person_id = $1".to_string(),
        "DELETE FROM task_person_link WHERE person_id = $1".to_string(),
        "DELETE FROM time_spent WHERE person_id = $1".to_string(),
        "DELETE FROM playlist_share_link WHERE created_by = $1".to_string(),
        "UPDATE api_event SET user_id = NULL WHERE user_id = $1".to_string(),
        "UPDATE budget_entry SET person_id = NULL WHERE person_id = $1".to_string(),
        "UPDATE entity SET created_by = NULL WHERE created_by = $1".to_string(),
        "UPDATE entity_version SET person_id = NULL WHERE person_id = $1".to_string(),
        "UPDATE output_file SET person_id = NULL WHERE person_id = $1".to_string(),
        "UPDATE playlist SET created_by = NULL WHERE created_by = $1".to_string(),
        "UPDATE preview_file SET person_id = NULL WHERE person_id = $1".to_string(),
        "UPDATE task SET assigner_id = NULL WHERE assigner_id = $1".to_string(),
        "UPDATE working_file SET person_id = NULL WHERE person_id = $1".to_string(),
    ];
    for statement in statements {
        tx.execute(&statement, std::slice::from_ref(&id)).await?;
    }
    Ok(())
}
