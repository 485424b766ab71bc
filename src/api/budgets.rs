//! A project's budgets and their entries, and the time and days off its
//! team logged (`/data/projects/{id}/budgets`, `/time-spents`, `/day-offs`).

use super::{typed, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{require_manager, team_role};
use crate::crud::{id_of, Ctx};
use crate::db::{now, parse_timestamp, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let b = "/data/projects/{project_id}/budgets";
    vec![
        Route::new(Method::GET, b, "List the project's budgets", |r| {
            r.to(list_budgets)
        }),
        // Before `{budget_id}`: the literal segment wins, as in Zou.
        Route::new(
            Method::GET,
            format!("{b}/time-spents"),
            "Time logged on the project per department, person and month",
            |r| r.to(time_spents_by_department),
        ),
        Route::new(Method::POST, b, "Create a budget", |r| r.to(create_budget)),
        Route::new(
            Method::GET,
            format!("{b}/{{budget_id}}"),
            "Get a budget",
            |r| r.to(get_budget),
        ),
        Route::new(
            Method::PUT,
            format!("{b}/{{budget_id}}"),
            "Update a budget",
            |r| r.to(update_budget),
        ),
        Route::new(
            Method::DELETE,
            format!("{b}/{{budget_id}}"),
            "Delete a budget",
            |r| r.to(delete_budget),
        ),
        Route::new(
            Method::GET,
            format!("{b}/{{budget_id}}/entries"),
            "List a budget's entries",
            |r| r.to(list_entries),
        ),
        Route::new(
            Method::POST,
            format!("{b}/{{budget_id}}/entries"),
            "Create a budget entry",
            |r| r.to(create_entry),
        ),
        Route::new(
            Method::GET,
            format!("{b}/{{budget_id}}/entries/{{entry_id}}"),
            "Get a budget entry",
            |r| r.to(get_entry),
        ),
        Route::new(
            Method::PUT,
            format!("{b}/{{budget_id}}/entries/{{entry_id}}"),
            "Update a budget entry",
            |r| r.to(update_entry),
        ),
        Route::new(
            Method::DELETE,
            format!("{b}/{{budget_id}}/entries/{{entry_id}}"),
            "Delete a budget entry",
            |r| r.to(delete_entry),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/time-spents",
            "Get the time logged on a project",
            |r| r.to(project_time_spents),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/task-types/{task_type_id}/time-spents",
            "Get the time logged on a project's task type, per person",
            |r| r.to(task_type_time_spents),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/day-offs",
            "Get the team's days off",
            |r| r.to(project_day_offs),
        ),
    ]
}

pub(super) fn uuid(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ApiError::bad_request("Wrong UUID format."))
}

/// Managers of the project, which must exist.
async fn managed(ctx: &Ctx<'_>, project: &str) -> ApiResult<Uuid> {
    let id = uuid(project)?;
    let exists = ctx
        .db()
        .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
        .await?
        .is_some();
    if !exists {
        return Err(ApiError::NotFound);
    }
    require_manager(ctx, Some(&json!(id))).await?;
    Ok(id)
}

/// A budget of this project (404 otherwise: budgets are reached through their project only).
async fn budget(db: &crate::db::Db, project: Uuid, id: &str) -> ApiResult<Row> {
    db.fetch_optional(
        "SELECT * FROM budget WHERE id = $1 AND project_id = $2",
        &[uuid(id)?.into(), project.into()],
        Some("budget"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

fn one(mut row: Row, type_name: &str) -> Json {
    row.insert("type".into(), json!(type_name));
    Json::Object(row)
}

fn body(bytes: &[u8]) -> ApiResult<Map<String, Json>> {
    if bytes.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(body)) => Ok(body),
        _ => Err(ApiError::invalid_field(
            "",
            "Input should be a valid dictionary",
        )),
    }
}

fn optional_text(body: &Map<String, Json>, key: &str, max: usize) -> ApiResult<Option<Json>> {
    match body.get(key) {
        None => Ok(None),
        Some(Json::Null) => Ok(Some(Json::Null)),
        Some(Json::String(text)) if text.chars().count() <= max => Ok(Some(json!(text))),
        Some(Json::String(_)) => Err(ApiError::invalid_field(
            key,
            format!("String should have at most {max} characters"),
        )),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

async fn event(
    tx: &mut Tx,
    identity: &Identity,
    name: &str,
    data: Map<String, Json>,
    project: Uuid,
) -> ApiResult<()> {
    let mut event = Event::new(name, "project_id", &project.to_string()).in_project(Some(project));
    event.data.extend(data);
    event.record(tx, identity.person.id).await?;
    Ok(())
}

async fn list_budgets(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT id, project_id, revision, name, currency FROM budget WHERE project_id = $1 ORDER BY revision, created_at",
            &[project.into()],
            Some("budget"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn create_budget(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p).await?;
    let body = body(&b)?;
    let name = match body.get("name") {
        Some(Json::String(name)) if !name.is_empty() => name.clone(),
        Some(Json::String(_)) => {
            return Err(ApiError::invalid_field(
                "name",
                "String should have at least 1 character",
            ))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "name",
                "Input should be a valid string",
            ))
        }
        None => return Err(ApiError::invalid_field("name", "Field required")),
    };
    let currency = optional_text(&body, "currency", 3)?.unwrap_or(json!("USD"));
    let mut tx = state.db.begin().await?;
    let revision = tx
        .fetch_optional(
            "SELECT MAX(revision) AS top FROM budget WHERE project_id = $1",
            &[project.into()],
            None,
        )
        .await?
        .and_then(|r| r["top"].as_i64())
        .unwrap_or(0)
        + 1;
    let stamp = now();
    let row = tx
        .insert(
            "budget",
            &[
                ("id", Uuid::now_v7().into()),
                ("project_id", project.into()),
                ("revision", Value::Int(revision)),
                ("name", name.into()),
                (
                    "currency",
                    Value::from_json(crate::db::ColumnKind::Text, &currency).unwrap_or(Value::Null),
                ),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    let data = Map::from_iter([("budget_id".to_string(), row["id"].clone())]);
    event(&mut tx, &identity, "budget:create", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(one(row, "Budget")))
}

async fn get_budget(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    Ok(HttpResponse::Ok().json(one(budget(&state.db, project, &p.1).await?, "Budget")))
}

async fn update_budget(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let body = body(&b)?;
    let name = optional_text(&body, "name", 255)?.filter(|n| !n.is_null());
    let currency = optional_text(&body, "currency", 3)?.filter(|c| !c.is_null());
    let existing = budget(&state.db, project, &p.1).await?;
    let mut tx = state.db.begin().await?;
    let row = tx
        .fetch_optional(
            "UPDATE budget SET name = $1, currency = $2, updated_at = $3 WHERE id = $4 RETURNING *",
            &[
                Value::from_json(
                    crate::db::ColumnKind::Text,
                    name.as_ref().unwrap_or(&existing["name"]),
                )
                .unwrap_or(Value::Null),
                Value::from_json(
                    crate::db::ColumnKind::Text,
                    currency.as_ref().unwrap_or(&existing["currency"]),
                )
                .unwrap_or(Value::Null),
                now().into(),
                id_of(&existing["id"])?,
            ],
            Some("budget"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = Map::from_iter([("budget_id".to_string(), row["id"].clone())]);
    event(&mut tx, &identity, "budget:update", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(one(row, "Budget")))
}

async fn delete_budget(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    let id = id_of(&existing["id"])?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "DELETE FROM budget_entry WHERE budget_id = $1",
        std::slice::from_ref(&id),
    )
    .await?;
    tx.execute("DELETE FROM budget WHERE id = $1", &[id])
        .await?;
    let data = Map::from_iter([("budget_id".to_string(), existing["id"].clone())]);
    event(&mut tx, &identity, "budget:delete", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

const ENTRY_FIELDS: &str =
    "id, budget_id, department_id, person_id, start_date, months_duration, daily_salary, position, seniority, exceptions";

async fn list_entries(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    let rows = state
        .db
        .fetch_all(
            &format!("SELECT {ENTRY_FIELDS} FROM budget_entry WHERE budget_id = $1 ORDER BY start_date, created_at"),
            &[id_of(&existing["id"])?],
            Some("budget_entry"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn entry(db: &crate::db::Db, budget: &Row, id: &str) -> ApiResult<Row> {
    db.fetch_optional(
        "SELECT * FROM budget_entry WHERE id = $1 AND budget_id = $2",
        &[uuid(id)?.into(), id_of(&budget["id"])?],
        Some("budget_entry"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// An entry's fields, all required as the budget page sends them whole;
/// months over budget (`exceptions`) keep only positive whole numbers.
fn entry_values(body: &Map<String, Json>) -> ApiResult<Vec<(&'static str, Value)>> {
    let mut errors = Vec::new();
    let mut values = Vec::new();
    let id = |key: &'static str, required: bool, errors: &mut Vec<(String, String)>| -> Value {
        match body.get(key) {
            Some(Json::String(text)) => {
                Uuid::parse_str(text).map(Value::Uuid).unwrap_or_else(|_| {
                    errors.push((key.into(), "Input should be a valid UUID".into()));
                    Value::Null
                })
            }
            None | Some(Json::Null) if !required => Value::Null,
            _ => {
                errors.push((key.into(), "Field required".into()));
                Value::Null
            }
        }
    };
    values.push(("department_id", id("department_id", true, &mut errors)));
    values.push(("person_id", id("person_id", false, &mut errors)));
    match body
        .get("start_date")
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
    {
        Some(date) => values.push(("start_date", Value::Date(date.date()))),
        None => errors.push(("start_date".into(), "Input should be a valid date".into())),
    }
    match body.get("months_duration").and_then(Json::as_i64) {
        Some(months) => values.push(("months_duration", Value::Int(months))),
        None => errors.push((
            "months_duration".into(),
            "Input should be a valid integer".into(),
        )),
    }
    match body.get("daily_salary").and_then(Json::as_f64) {
        Some(salary) => values.push(("daily_salary", Value::Float(salary))),
        None => errors.push((
            "daily_salary".into(),
            "Input should be a valid number".into(),
        )),
    }
    for (key, choices, default) in [
        ("position", ["supervisor", "lead", "artist"], "artist"),
        ("seniority", ["senior", "mid", "junior"], "mid"),
    ] {
        match body.get(key) {
            None | Some(Json::Null) => values.push((key, default.into())),
            Some(Json::String(value)) if choices.contains(&value.as_str()) => {
                values.push((key, value.as_str().into()))
            }
            Some(_) => errors.push((
                key.into(),
                format!("Input should be one of {}", choices.join(", ")),
            )),
        }
    }
    let mut exceptions = Map::new();
    match body.get("exceptions") {
        None | Some(Json::Null) => {}
        Some(Json::Object(months)) => {
            for (month, days) in months {
                let days = days
                    .as_i64()
                    .or_else(|| days.as_f64().map(|f| f as i64))
                    .or_else(|| days.as_str().and_then(|s| s.parse().ok()));
                match days {
                    Some(days) if days > 0 => {
                        exceptions.insert(month.clone(), json!(days));
                    }
                    Some(_) => {}
                    None if months[month].is_null() => {}
                    None => errors.push((
                        format!("exceptions.{month}"),
                        "Input should be a valid integer".into(),
                    )),
                }
            }
        }
        Some(_) => errors.push((
            "exceptions".into(),
            "Input should be a valid dictionary".into(),
        )),
    }
    values.push(("exceptions", Value::Json(Json::Object(exceptions))));
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn create_entry(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    let mut values = entry_values(&body(&b)?)?;
    let stamp = now();
    values.extend([
        ("id", Uuid::now_v7().into()),
        ("budget_id", id_of(&existing["id"])?),
        ("created_at", stamp.into()),
        ("updated_at", stamp.into()),
    ]);
    let mut tx = state.db.begin().await?;
    let row = tx.insert("budget_entry", &values).await?;
    let data = Map::from_iter([
        ("budget_id".to_string(), existing["id"].clone()),
        ("budget_entry_id".to_string(), row["id"].clone()),
    ]);
    event(&mut tx, &identity, "budget-entry:create", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(one(row, "BudgetEntry")))
}

async fn get_entry(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    Ok(HttpResponse::Ok().json(one(entry(&state.db, &existing, &p.2).await?, "BudgetEntry")))
}

async fn update_entry(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String, String)>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    let current = entry(&state.db, &existing, &p.2).await?;
    let mut values = entry_values(&body(&b)?)?;
    values.push(("updated_at", now().into()));
    let mut tx = state.db.begin().await?;
    let row = tx
        .update("budget_entry", id_of(&current["id"])?, values)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = Map::from_iter([
        ("budget_id".to_string(), existing["id"].clone()),
        ("budget_entry_id".to_string(), row["id"].clone()),
    ]);
    event(&mut tx, &identity, "budget-entry:update", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(one(row, "BudgetEntry")))
}

async fn delete_entry(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let existing = budget(&state.db, project, &p.1).await?;
    let current = entry(&state.db, &existing, &p.2).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "DELETE FROM budget_entry WHERE id = $1",
        &[id_of(&current["id"])?],
    )
    .await?;
    let data = Map::from_iter([
        ("budget_id".to_string(), existing["id"].clone()),
        ("budget_entry_id".to_string(), current["id"].clone()),
    ]);
    event(&mut tx, &identity, "budget-entry:delete", data, project).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The team of an existing project, with the caller's role there.
async fn member(ctx: &Ctx<'_>, project: &str) -> ApiResult<(Uuid, Role)> {
    let id = Uuid::parse_str(project).map_err(|_| ApiError::NotFound)?;
    let exists = ctx
        .db()
        .fetch_optional("SELECT id FROM project WHERE id = $1", &[id.into()], None)
        .await?
        .is_some();
    if !exists {
        return Err(ApiError::NotFound);
    }
    Ok((id, team_role(ctx, Some(&json!(id))).await?))
}

async fn project_time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, role) = member(&ctx, &p).await?;
    if role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let rows = state
        .db
        .fetch_all(
            "SELECT ts.* FROM time_spent ts JOIN task t ON t.id = ts.task_id WHERE t.project_id = $1 ORDER BY ts.date, ts.id",
            &[project.into()],
            Some("time_spent"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(typed(rows, "TimeSpent")))
}

/// A date bound from the query string; a bad one names both bounds, as Zou does.
fn bounds(ctx: &Ctx<'_>) -> ApiResult<(Option<Value>, Option<Value>)> {
    let start = ctx.param("start_date");
    let end = ctx.param("end_date");
    let parse = |text: Option<&str>| -> Result<Option<Value>, ()> {
        match text {
            None => Ok(None),
            Some(text) => parse_timestamp(text)
                .map(|t| Some(Value::Date(t.date())))
                .ok_or(()),
        }
    };
    match (parse(start), parse(end)) {
        (Ok(start), Ok(end)) => Ok((start, end)),
        _ => Err(ApiError::bad_request(format!(
            "Wrong date format for {} and/or {}",
            start.unwrap_or("None"),
            end.unwrap_or("None")
        ))),
    }
}

async fn project_day_offs(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (project, role) = member(&ctx, &p).await?;
    if matches!(role, Role::Client | Role::Vendor) {
        return Err(ApiError::Forbidden);
    }
    let (start, end) = bounds(&ctx)?;
    let mut sql = String::from(
        "SELECT * FROM day_off WHERE person_id IN (SELECT person_id FROM project_person_link WHERE project_id = $1)",
    );
    let mut params = vec![Value::Uuid(project)];
    if let Some(start) = start {
        params.push(start);
        sql.push_str(&format!(" AND end_date >= ${}", params.len()));
    }
    if let Some(end) = end {
        params.push(end);
        sql.push_str(&format!(" AND date <= ${}", params.len()));
    }
    sql.push_str(" ORDER BY date, id");
    let rows = state.db.fetch_all(&sql, &params, Some("day_off")).await?;
    let sees_reasons = matches!(role, Role::Admin | Role::Manager);
    let me = identity.person.id.to_string();
    let rows = rows.into_iter().map(|mut row| {
        if !sees_reasons && row["person_id"].as_str() != Some(me.as_str()) {
            row.remove("description");
        }
        row
    });
    Ok(HttpResponse::Ok().json(by_person(rows, "DayOff")))
}

/// `{person_id: [row, …]}`, the shape of Zou's per-person reads.
fn by_person(rows: impl IntoIterator<Item = Row>, type_name: &str) -> Map<String, Json> {
    let mut grouped = Map::new();
    for mut row in rows {
        row.insert("type".into(), json!(type_name));
        let person = row["person_id"].as_str().unwrap_or_default().to_string();
        if let Json::Array(list) = grouped.entry(person).or_insert_with(|| json!([])) {
            list.push(Json::Object(row));
        }
    }
    grouped
}

async fn task_type_time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = managed(&ctx, &p.0).await?;
    let task_type = uuid(&p.1)?;
    let (start, end) = bounds(&ctx)?;
    let mut sql = String::from(
        "SELECT ts.* FROM time_spent ts JOIN task t ON t.id = ts.task_id WHERE t.project_id = $1 AND t.task_type_id = $2",
    );
    let mut params = vec![Value::Uuid(project), Value::Uuid(task_type)];
    if let Some(start) = start {
        params.push(start);
        sql.push_str(&format!(" AND ts.date >= ${}", params.len()));
    }
    if let Some(end) = end {
        params.push(end);
        sql.push_str(&format!(" AND ts.date <= ${}", params.len()));
    }
    sql.push_str(" ORDER BY ts.date DESC, ts.id");
    let rows = state
        .db
        .fetch_all(&sql, &params, Some("time_spent"))
        .await?;
    Ok(HttpResponse::Ok().json(by_person(rows, "TimeSpent")))
}

/// `{department_id: {"total": minutes, person_id: {"total": minutes, "YYYY-MM": minutes}}}`
/// over the project's tasks whose type has a department, as the budget page shows it.
async fn time_spents_by_department(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let project = uuid(&p)?;
    let rows = state
        .db
        .fetch_all(
            "SELECT tt.department_id, ts.person_id, ts.date, ts.duration FROM time_spent ts \
             JOIN task t ON t.id = ts.task_id JOIN task_type tt ON tt.id = t.task_type_id \
             JOIN department d ON d.id = tt.department_id WHERE t.project_id = $1 ORDER BY ts.date",
            &[project.into()],
            Some("time_spent"),
        )
        .await?;
    let mut departments: Map<String, Json> = Map::new();
    for row in rows {
        let (Some(department), Some(person), Some(date)) = (
            row["department_id"].as_str(),
            row["person_id"].as_str(),
            row["date"].as_str(),
        ) else {
            continue;
        };
        let minutes = row["duration"].as_f64().unwrap_or(0.0);
        let month = date.get(..7).unwrap_or(date).to_string();
        let department = departments
            .entry(department)
            .or_insert_with(|| json!({"total": 0.0}));
        add(&mut department["total"], minutes);
        let person = department
            .as_object_mut()
            .map(|d| d.entry(person).or_insert_with(|| json!({"total": 0.0})))
            .expect("a department total is an object");
        add(&mut person["total"], minutes);
        let slot = person
            .as_object_mut()
            .map(|p| p.entry(month).or_insert(json!(0.0)))
            .expect("an object");
        add(slot, minutes);
    }
    Ok(HttpResponse::Ok().json(departments))
}

fn add(total: &mut Json, minutes: f64) {
    *total = json!(total.as_f64().unwrap_or(0.0) + minutes);
}
