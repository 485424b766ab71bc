//! Persons: everyone may list them, but only admins see more than a name
//! card; a person edits their own record within limits; bots get API tokens.

use crate::auth::jwt::{self, Claims, TokenType};
use crate::auth::password;
use crate::crud::{where_clause, Condition, Ctx, Fixed, Hooks, Model, Relation, View};
use crate::db::{ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

/// What persons other than admins see of each other.
const MINIMAL: [&str; 12] = [
    "id",
    "type",
    "first_name",
    "last_name",
    "full_name",
    "has_avatar",
    "active",
    "departments",
    "studio_id",
    "role",
    "desktop_login",
    "is_bot",
];

/// What a client sees of their teammates.
const CLIENT_VIEW: [&str; 9] = [
    "id",
    "type",
    "first_name",
    "last_name",
    "full_name",
    "has_avatar",
    "active",
    "role",
    "is_bot",
];

/// Columns non-admins may filter on: they must not probe hidden fields.
const FILTERABLE_BY_ALL: [&str; 13] = [
    "id",
    "first_name",
    "last_name",
    "full_name",
    "has_avatar",
    "active",
    "departments",
    "studio_id",
    "role",
    "desktop_login",
    "email",
    "is_bot",
    "is_guest",
];

/// Never set through CRUD: secrets, 2FA state and the preview-account window.
const NEVER_WRITTEN: [&str; 12] = [
    "jti",
    "totp_enabled",
    "totp_secret",
    "email_otp_enabled",
    "email_otp_secret",
    "fido_enabled",
    "fido_credentials",
    "otp_recovery_codes",
    "preferred_two_factor_authentication",
    "preview_project_id",
    "preview_opened_at",
    "preview_open_until",
];

/// What a person may not change on their own record (an admin may).
const ADMIN_ONLY_FIELDS: [&str; 15] = [
    "role",
    "departments",
    "active",
    "is_bot",
    "archived",
    "login_failed_attemps",
    "last_login_failed",
    "is_generated_from_ldap",
    "ldap_uid",
    "oidc_issuer",
    "oidc_subject",
    "saml_issuer",
    "saml_subject",
    "last_presence",
    "studio_id",
];

const CONTRACT_TYPES: [&str; 6] = [
    "open-ended",
    "fixed-term",
    "short-term",
    "freelance",
    "apprentice",
    "internship",
];
const DATE_FORMATS: [&str; 3] = ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY"];

struct Persons;

fn text<'a>(data: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Json::as_str)
}

/// Zou's checks on a person's fields, in Zou's order, each its own 400.
fn validate(data: &mut Map<String, Json>, stored_expiration: Option<&str>) -> ApiResult<()> {
    if let Some(role) = data.get("role").filter(|v| !v.is_null()) {
        if role.as_str().and_then(|r| r.parse::<Role>().ok()).is_none() {
            return Err(ApiError::bad_request("Invalid role"));
        }
    }
    if let Some(contract) = data.get("contract_type").filter(|v| !v.is_null()) {
        if !contract
            .as_str()
            .is_some_and(|c| CONTRACT_TYPES.contains(&c))
        {
            return Err(ApiError::bad_request("Invalid contract_type"));
        }
    }
    if let Some(country) = text(data, "country").filter(|c| !c.is_empty()) {
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ApiError::bad_request(
                "Invalid country code, expected an ISO 3166-1 alpha-2 code.",
            ));
        }
        let upper = country.to_ascii_uppercase();
        data.insert("country".into(), json!(upper));
    }
    if let Some(locale) = data.get("locale").filter(|v| !v.is_null()) {
        if !locale.as_str().is_some_and(is_locale) {
            return Err(ApiError::bad_request(
                "Invalid locale, expected a name available in Python Babel (e.g. en_US, fr_FR).",
            ));
        }
    }
    if let Some(format) = data.get("display_date_format").filter(|v| !v.is_null()) {
        if !format.as_str().is_some_and(|f| DATE_FORMATS.contains(&f)) {
            return Err(ApiError::bad_request(
                "Invalid display_date_format, expected one of: YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY.",
            ));
        }
    }
    if let Some(expiration) = data.get("expiration_date").filter(|v| !v.is_null()) {
        let date = expiration
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .ok_or_else(|| ApiError::bad_request("Expiration date is not valid."))?;
        let unchanged = stored_expiration == expiration.as_str();
        if date < chrono::Utc::now().date_naive() && !unchanged {
            return Err(ApiError::bad_request(
                "Expiration date can't be in the past.",
            ));
        }
    }
    if let Some(email) = data.get("email").filter(|v| !v.is_null()) {
        let email = email
            .as_str()
            .ok_or_else(|| ApiError::bad_request("The email address must be a string."))?;
        let normalized = normalized_email(email)?;
        data.insert("email".into(), json!(normalized));
    }
    Ok(())
}

/// `ll` or `ll_CC` (Babel's names), at most 10 characters.
fn is_locale(locale: &str) -> bool {
    let mut parts = locale.split('_');
    let language = parts.next().unwrap_or("");
    let region = parts.next();
    locale.len() <= 10
        && (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()))
        && parts.next().is_none()
}

/// Lowercased and checked for the shape of an address, as Zou stores emails.
fn normalized_email(email: &str) -> ApiResult<String> {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return Err(ApiError::bad_request(
            "An email address must have an @-sign.",
        ));
    };
    if local.is_empty() || domain.is_empty() || email.contains(char::is_whitespace) {
        return Err(ApiError::bad_request("The email address is not valid."));
    }
    Ok(email.to_lowercase())
}

/// Emails identify people (they log in with them): unique among non-bots.
async fn check_email_free(
    tx: &mut Tx,
    data: &Map<String, Json>,
    except: Option<&Json>,
) -> ApiResult<()> {
    let is_bot = data.get("is_bot").and_then(Json::as_bool).unwrap_or(false);
    if let (Some(email), false) = (text(data, "email"), is_bot) {
        let owners = tx
            .fetch_all(
                "SELECT id FROM person WHERE lower(email) = lower($1) AND is_bot = FALSE",
                &[email.into()],
                None,
            )
            .await?;
        if owners.iter().any(|row| Some(&row["id"]) != except) {
            return Err(ApiError::bad_request("Email already in use."));
        }
    }
    Ok(())
}

fn strip(data: &mut Map<String, Json>, fields: &[&str]) {
    for field in fields {
        data.remove(*field);
    }
}

/// An API token for a bot or for a person's scripts: only the latest one
/// works (its jti is kept on the person), and it lasts until the end of the
/// expiration date, or forever without one.
async fn issue_api_token(ctx: &Ctx<'_>, tx: &mut Tx, answer: &mut Row) -> ApiResult<()> {
    let id = answer["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok());
    let id = id.ok_or_else(|| ApiError::internal("person without id"))?;
    let now = chrono::Utc::now().timestamp();
    let mut claims = Claims::for_person(id, TokenType::Access, now);
    let is_bot = answer["is_bot"].as_bool().unwrap_or(false);
    claims.identity_type = Some(if is_bot { "bot" } else { "person_api" }.into());
    claims.exp = answer["expiration_date"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|end| end.and_utc().timestamp());
    tx.execute(
        "UPDATE person SET jti = $1 WHERE id = $2",
        &[claims.jti.clone().into(), id.into()],
    )
    .await?;
    answer.insert(
        "access_token".into(),
        json!(jwt::encode(&claims, &ctx.state.config.secret_key)),
    );
    Ok(())
}

/// Teammates of a client: people in the teams of the open projects the client is in.
fn client_teammates(client: Uuid) -> Condition {
    Condition::new(
        "id IN (SELECT team.person_id FROM project_person_link mine \
         JOIN project p ON p.id = mine.project_id \
         JOIN project_status ps ON ps.id = p.project_status_id \
         JOIN project_person_link team ON team.project_id = p.id \
         WHERE mine.person_id = ? AND ps.name = 'Open')",
        vec![client.into()],
    )
}

#[async_trait]
impl Hooks for Persons {
    /// A person's departure (forced delete) changes the assignees of tasks
    /// in any project: every cached project is read again on next use.
    async fn touched(
        &self,
        ctx: &Ctx<'_>,
        _row: &Row,
    ) -> ApiResult<Option<(Uuid, tusk_actors::project::Touched)>> {
        if ctx.forced() {
            ctx.state.projects.forget_all();
        }
        Ok(None)
    }

    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        let not_preview = Condition::new("preview_project_id IS NULL", vec![]);
        Ok(Some(match ctx.identity.person.role {
            Role::Client => not_preview.and(client_teammates(ctx.identity.person.id)),
            _ => not_preview,
        }))
    }

    fn may_filter_on(&self, ctx: &Ctx<'_>, column: &str) -> bool {
        if ctx.identity.is_admin() {
            !crate::persons::SECRET_COLUMNS.contains(&column)
        } else {
            FILTERABLE_BY_ALL.contains(&column)
        }
    }

    /// `full_name` is not a column: it is the first and last names joined.
    async fn extra_filters(
        &self,
        _ctx: &Ctx<'_>,
        query: &[(String, String)],
    ) -> ApiResult<Vec<Condition>> {
        Ok(crate::crud::first(query, "full_name")
            .map(|name| {
                Condition::new(
                    "TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) = ?",
                    vec![name.trim().into()],
                )
            })
            .into_iter()
            .collect())
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        if ctx.identity.person.role != Role::Client {
            return Ok(());
        }
        let id = Value::from_json(ColumnKind::Uuid, &row["id"]).map_err(ApiError::internal)?;
        let (where_sql, params) = where_clause(&[
            Condition::new("id = ?", vec![id]),
            client_teammates(ctx.identity.person.id),
        ]);
        let visible = ctx
            .db()
            .fetch_optional(&format!("SELECT id FROM person{where_sql}"), &params, None)
            .await?
            .is_some();
        if visible {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let is_self = row["id"].as_str() == Some(ctx.identity.person.id.to_string().as_str());
        if !ctx.identity.is_admin() && !is_self {
            return Err(ApiError::Forbidden);
        }
        if !row["preview_project_id"].is_null() {
            return Err(ApiError::Forbidden);
        }
        Ok(())
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        if row["id"].as_str() == Some(ctx.identity.person.id.to_string().as_str()) {
            return Err(ApiError::Forbidden);
        }
        ctx.identity.require_admin()
    }

    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("position", &["supervisor", "lead", "artist"]),
            ("seniority", &["senior", "mid", "junior"]),
        ]
    }

    async fn before_create(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        validate(data, None)?;
        check_email_free(tx, data, None).await?;
        strip(data, &NEVER_WRITTEN);
        if let Some(password) = data.remove("password").filter(|p| !p.is_null()) {
            let password = password.as_str().ok_or_else(|| {
                ApiError::invalid_field("password", "Input should be a valid string")
            })?;
            let hash = password::hash(password, ctx.state.config.bcrypt_cost);
            data.insert("password".into(), json!(hash));
        }
        let config = &ctx.state.config;
        data.entry("timezone")
            .or_insert(json!(config.default_timezone));
        data.entry("locale").or_insert(json!(config.default_locale));
        Ok(())
    }

    async fn after_create(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        if answer["is_bot"].as_bool() == Some(true) {
            issue_api_token(ctx, tx, answer).await?;
        }
        Ok(())
    }

    fn protected_on_update(&self, ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        let mut protected: Vec<&'static str> = NEVER_WRITTEN.to_vec();
        protected.push("password");
        if !ctx.identity.is_admin() {
            protected.extend(ADMIN_ONLY_FIELDS);
            if !ctx.identity.is_person_token() {
                protected.push("expiration_date");
            }
        }
        protected
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        validate(data, row["expiration_date"].as_str())?;
        let mut identity = data.clone();
        identity.entry("is_bot").or_insert(row["is_bot"].clone());
        check_email_free(tx, &identity, row.get("id")).await
    }

    fn relations_after_update(&self) -> bool {
        true
    }

    async fn after_update(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let wants_token = match data.get("expiration_date") {
            Some(Json::Null) => true,
            Some(Json::String(date)) => NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .is_ok_and(|d| d >= chrono::Utc::now().date_naive()),
            _ => false,
        };
        if wants_token {
            issue_api_token(ctx, tx, answer).await?;
        }
        Ok(())
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        force: bool,
    ) -> ApiResult<()> {
        if !force {
            return Ok(());
        }
        let id = Value::from_json(ColumnKind::Uuid, &row["id"]).map_err(ApiError::internal)?;
        crate::persons::remove_traces(tx, id).await
    }

    fn still_referenced(&self) -> ApiError {
        ApiError::refused("Some data are still linked to given person.")
    }

    fn present(&self, ctx: &Ctx<'_>, mut row: Row, view: View) -> Row {
        let full_name = format!(
            "{} {}",
            row["first_name"].as_str().unwrap_or(""),
            row["last_name"].as_str().unwrap_or("")
        );
        row.insert("full_name".into(), json!(full_name.trim()));
        let role = ctx.identity.person.role;
        let is_self = row["id"].as_str() == Some(ctx.identity.person.id.to_string().as_str());
        let sees_all =
            role == Role::Admin || (role == Role::Manager && view == View::One) || is_self;
        if sees_all {
            crate::persons::hide_secrets(&mut row);
            return row;
        }
        if role == Role::Client {
            row.retain(|key, _| CLIENT_VIEW.contains(&key.as_str()));
            return row;
        }
        name_card(row)
    }
}

/// A person as the studio sees a colleague who is not themselves.
pub(crate) fn name_card(mut row: Row) -> Row {
    row.entry("departments").or_insert(json!([]));
    row.retain(|key, _| MINIMAL.contains(&key.as_str()));
    row
}

pub static PERSONS: Model = Model {
    relations: &[Relation {
        key: "departments",
        table: "department_link",
        own: "person_id",
        other: "department_id",
        writable: true,
    }],
    hooks: &Persons,
    defaults: &[
        ("contract_type", Fixed::Text("open-ended")),
        ("active", Fixed::Bool(true)),
        ("archived", Fixed::Bool(false)),
        ("login_failed_attemps", Fixed::Int(0)),
        ("totp_enabled", Fixed::Bool(false)),
        ("email_otp_enabled", Fixed::Bool(false)),
        ("fido_enabled", Fixed::Bool(false)),
        ("use_12_hour_clock", Fixed::Bool(false)),
        ("display_date_format", Fixed::Text("YYYY-MM-DD")),
        ("role", Fixed::Text("user")),
        ("position", Fixed::Text("artist")),
        ("seniority", Fixed::Text("mid")),
        ("daily_salary", Fixed::Int(0)),
        ("has_avatar", Fixed::Bool(false)),
        ("notifications_enabled", Fixed::Bool(false)),
        ("notifications_slack_enabled", Fixed::Bool(false)),
        ("notifications_slack_userid", Fixed::Text("")),
        ("notifications_mattermost_enabled", Fixed::Bool(false)),
        ("notifications_mattermost_userid", Fixed::Text("")),
        ("notifications_discord_enabled", Fixed::Bool(false)),
        ("notifications_discord_userid", Fixed::Text("")),
        ("is_bot", Fixed::Bool(false)),
        ("is_guest", Fixed::Bool(false)),
        ("is_generated_from_ldap", Fixed::Bool(false)),
    ],
    ..Model::new("persons", "person", "Person")
};
