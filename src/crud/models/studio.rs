//! Studio-level models beyond reference data: plugins, preview backgrounds,
//! saved searches, salary scales and days off.

use crate::crud::id_of;
use crate::crud::{Condition, Ctx, Fixed, Hooks, Model, View};
use crate::db::{now, ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub static PLUGINS: Model = Model {
    defaults: &[
        ("frontend_project_enabled", Fixed::Bool(false)),
        ("frontend_studio_enabled", Fixed::Bool(false)),
    ],
    ..Model::new("plugins", "plugin", "Plugin")
};

pub static SEARCH_FILTERS: Model = Model {
    defaults: &[
        ("name", Fixed::Text("")),
        ("search_query", Fixed::Text("")),
        ("is_shared", Fixed::Bool(false)),
    ],
    ..Model::new("search-filters", "search_filter", "SearchFilter")
};

pub static SEARCH_FILTER_GROUPS: Model = Model {
    defaults: &[
        ("name", Fixed::Text("")),
        ("color", Fixed::Text("")),
        ("is_shared", Fixed::Bool(false)),
    ],
    ..Model::new(
        "search-filter-groups",
        "search_filter_group",
        "SearchFilterGroup",
    )
};

/// Preview backgrounds: unique names, one default.
struct PreviewBackgrounds;

const SIMILAR_BACKGROUND: &str = "A preview background file with similar name already exists";

async fn background_name_taken(tx: &mut Tx, name: &str, except: Option<&Json>) -> ApiResult<bool> {
    let rows = tx
        .fetch_all(
            "SELECT id FROM preview_background_file WHERE name = $1",
            &[name.into()],
            None,
        )
        .await?;
    Ok(rows.iter().any(|row| Some(&row["id"]) != except))
}

/// Keeps a single default background: the row just written, when it is one.
async fn keep_single_default(tx: &mut Tx, row: &Row) -> ApiResult<()> {
    if row["is_default"] == Json::Bool(true) {
        tx.execute(
            "UPDATE preview_background_file SET is_default = FALSE WHERE is_default = TRUE AND id <> $1",
            &[id_of(&row["id"])?],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl Hooks for PreviewBackgrounds {
    fn readable_by_all(&self) -> bool {
        true
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(name) = data.get("name").and_then(Json::as_str) {
            if background_name_taken(tx, name, None).await? {
                return Err(ApiError::bad_request(SIMILAR_BACKGROUND));
            }
        }
        Ok(())
    }

    async fn after_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        keep_single_default(tx, answer).await
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(name) = data.get("name").and_then(Json::as_str) {
            if background_name_taken(tx, name, row.get("id")).await? {
                return Err(ApiError::bad_request(SIMILAR_BACKGROUND));
            }
        }
        Ok(())
    }

    async fn after_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        keep_single_default(tx, answer).await
    }
}

pub static PREVIEW_BACKGROUND_FILES: Model = Model {
    hooks: &PreviewBackgrounds,
    defaults: &[
        ("archived", Fixed::Bool(false)),
        ("is_default", Fixed::Bool(false)),
        ("file_size", Fixed::Int(0)),
    ],
    ..Model::new(
        "preview-background-files",
        "preview_background_file",
        "PreviewBackgroundFile",
    )
};

/// Salary scales: one row per department, position and seniority, made on
/// demand; they are edited, never created or moved to another department.
struct SalaryScales;

const POSITIONS: [&str; 3] = ["supervisor", "lead", "artist"];
const SENIORITIES: [&str; 3] = ["senior", "mid", "junior"];

#[async_trait]
impl Hooks for SalaryScales {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        ctx.identity.require_admin()?;
        Ok(None)
    }

    /// Every department has a scale for each position and seniority, at 0
    /// until someone sets it.
    async fn before_list(&self, ctx: &Ctx<'_>) -> ApiResult<()> {
        let mut tx = ctx.db().begin().await?;
        let departments = tx.fetch_all("SELECT id FROM department", &[], None).await?;
        let existing = tx
            .fetch_all(
                "SELECT department_id, position, seniority FROM salary_scale",
                &[],
                None,
            )
            .await?;
        let stamp = now();
        for department in &departments {
            for position in POSITIONS {
                for seniority in SENIORITIES {
                    let present = existing.iter().any(|row| {
                        row["department_id"] == department["id"]
                            && row["position"] == position
                            && row["seniority"] == seniority
                    });
                    if !present {
                        tx.insert(
                            "salary_scale",
                            &[
                                ("id", Uuid::now_v7().into()),
                                ("department_id", id_of(&department["id"])?),
                                ("position", position.into()),
                                ("seniority", seniority.into()),
                                ("salary", Value::Int(0)),
                                ("created_at", stamp.into()),
                                ("updated_at", stamp.into()),
                            ],
                        )
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn check_create(&self, ctx: &Ctx<'_>, _data: &Map<String, Json>) -> ApiResult<()> {
        ctx.identity.require_admin()?;
        Err(ApiError::bad_request("Salary scales cannot be created"))
    }

    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[("position", &POSITIONS), ("seniority", &SENIORITIES)]
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["department_id"]
    }
}

pub static SALARY_SCALES: Model = Model {
    hooks: &SalaryScales,
    ..Model::new("salary-scales", "salary_scale", "SalaryScale")
};

/// Days off: a person's own, or any for admins; they clear the time logged
/// over the period they cover.
struct DaysOff;

fn is_owner(ctx: &Ctx<'_>, person_id: Option<&Json>) -> bool {
    person_id.and_then(Json::as_str) == Some(ctx.identity.person.id.to_string().as_str())
}

fn required_date(data: &Map<String, Json>, key: &str) -> ApiResult<Value> {
    let value = data
        .get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::invalid_field(key, "Field required"))?;
    Value::from_json(ColumnKind::Date, value)
        .map_err(|error| ApiError::invalid_field(key, format!("It {error}.")))
}

/// Refuses a period overlapping another day off of the same person.
async fn check_no_overlap(
    tx: &mut Tx,
    data: &Map<String, Json>,
    except: Option<&Json>,
) -> ApiResult<()> {
    let person = data
        .get("person_id")
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::invalid_field("person_id", "Field required"))?;
    let person = Value::from_json(ColumnKind::Uuid, person)
        .map_err(|error| ApiError::invalid_field("person_id", format!("It {error}.")))?;
    let (start, end) = (
        required_date(data, "date")?,
        required_date(data, "end_date")?,
    );
    let overlapping = tx
        .fetch_all(
            "SELECT id FROM day_off WHERE person_id = $1 AND end_date >= $2 AND date <= $3",
            &[person, start, end],
            None,
        )
        .await?;
    if overlapping.iter().any(|row| Some(&row["id"]) != except) {
        return Err(ApiError::bad_request(
            "Day off already exists for this period",
        ));
    }
    Ok(())
}

/// Time logged on a day off did not happen: it goes.
async fn clear_time_spent(tx: &mut Tx, row: &Row) -> ApiResult<()> {
    if row["person_id"].is_null() {
        return Ok(());
    }
    tx.execute(
        "DELETE FROM time_spent WHERE person_id = $1 AND date >= $2 AND date <= $3",
        &[
            id_of(&row["person_id"])?,
            Value::from_json(ColumnKind::Date, &row["date"]).map_err(ApiError::internal)?,
            Value::from_json(ColumnKind::Date, &row["end_date"]).map_err(ApiError::internal)?,
        ],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Hooks for DaysOff {
    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        if ctx.identity.is_admin() || is_owner(ctx, row.get("person_id")) {
            return Ok(());
        }
        // Managers and supervisors see the days off of the people they work with.
        let shared = ctx
            .db()
            .fetch_optional(
                "SELECT mine.project_id FROM project_person_link mine \
                 JOIN project_person_link theirs ON theirs.project_id = mine.project_id \
                 WHERE mine.person_id = $1 AND theirs.person_id = $2 LIMIT 1",
                &[ctx.identity.person.id.into(), id_of(&row["person_id"])?],
                None,
            )
            .await?
            .is_some();
        match ctx.identity.person.role {
            Role::Manager | Role::Supervisor if shared => Ok(()),
            _ => Err(ApiError::Forbidden),
        }
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        if ctx.identity.is_admin() || is_owner(ctx, data.get("person_id")) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let moves = data
            .get("person_id")
            .is_some_and(|p| p != &row["person_id"]);
        if ctx.identity.is_admin() || (is_owner(ctx, row.get("person_id")) && !moves) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        if ctx.identity.is_admin() || is_owner(ctx, row.get("person_id")) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_no_overlap(tx, data, None).await
    }

    async fn after_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        clear_time_spent(tx, answer).await
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        let mut merged = row.clone();
        merged.extend(data.clone());
        check_no_overlap(tx, &merged, row.get("id")).await
    }

    async fn after_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        clear_time_spent(tx, answer).await
    }

    /// Supervisors see when a colleague is away, not why.
    fn present(&self, ctx: &Ctx<'_>, mut row: Row, _view: View) -> Row {
        let privileged = matches!(ctx.identity.person.role, Role::Admin | Role::Manager);
        if !privileged && !is_owner(ctx, row.get("person_id")) {
            row.remove("description");
        }
        row
    }
}

pub static DAY_OFFS: Model = Model {
    hooks: &DaysOff,
    ..Model::new("day-offs", "day_off", "DayOff")
};
