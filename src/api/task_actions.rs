//! What a supervisor and an artist do to tasks day to day: assign and
//! unassign, re-prioritise, log time.

use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{self, team_role};
use crate::crud::{id_of, Ctx};
use crate::db::{grouped, keyed, now, Db, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeSet, HashMap, HashSet};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let spent = "/actions/tasks/{task_id}/time-spents";
    vec![
        Route::new(
            Method::PUT,
            "/actions/tasks/{task_id}/assign",
            "Assign a person to a task",
            |r| r.to(assign),
        ),
        Route::new(
            Method::PUT,
            "/actions/persons/{person_id}/assign",
            "Assign a person to tasks",
            |r| r.to(assign_many),
        ),
        Route::new(
            Method::PUT,
            "/actions/tasks/clear-assignation",
            "Unassign tasks",
            |r| r.to(clear_assignation),
        ),
        Route::new(
            Method::PUT,
            "/actions/tasks/set-priority",
            "Set the priority of tasks",
            |r| r.to(set_priority),
        ),
        Route::new(Method::GET, spent, "Get the time logged on a task", |r| {
            r.to(time_spents)
        }),
        Route::new(
            Method::GET,
            format!("{spent}/{{date}}"),
            "Get the time logged on a task on a day",
            |r| r.to(time_spents_on),
        ),
        Route::new(
            Method::POST,
            format!("{spent}/{{date}}/persons/{{person_id}}"),
            "Set the time a person logged on a task on a day",
            |r| r.to(|s, i, p, q, b| log_time(s, i, p, q, b, false)),
        ),
        Route::new(
            Method::POST,
            format!("{spent}/{{date}}/persons/{{person_id}}/add"),
            "Add to the time a person logged on a task on a day",
            |r| r.to(|s, i, p, q, b| log_time(s, i, p, q, b, true)),
        ),
        Route::new(
            Method::DELETE,
            format!("{spent}/{{date}}/persons/{{person_id}}"),
            "Delete the time a person logged on a task on a day",
            |r| r.to(delete_time),
        ),
    ]
}

/// The tasks with what the rules need: project, entity, and the type's department.
const TASKS_FOR_RULES: &str = "SELECT t.*, tt.department_id AS task_department_id FROM task t \
     JOIN task_type tt ON tt.id = t.task_type_id";

/// A task as [`tasks`] reads it.
async fn task(db: &Db, id: &str) -> ApiResult<Option<Row>> {
    Ok(tasks(db, &[id.to_string()]).await?.into_iter().next())
}

/// The tasks named, with what the rules need, each once and in the order
/// first named; ids of no task are left out.
async fn tasks(db: &Db, ids: &[String]) -> ApiResult<Vec<Row>> {
    let mut seen = HashSet::new();
    let ids: Vec<Value> = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .filter(|id| seen.insert(*id))
        .map(Value::Uuid)
        .collect();
    in_order(
        db,
        &format!("{TASKS_FOR_RULES} WHERE t.id IN ({{ids}})"),
        &ids,
    )
    .await
}

/// The tasks' rows as stored now, in the order given.
async fn current(db: &Db, tasks: &[Row]) -> ApiResult<Vec<Row>> {
    in_order(
        db,
        "SELECT * FROM task WHERE id IN ({ids})",
        &ids_of(tasks)?,
    )
    .await
}

/// The rows `sql` selects for `ids` (`{ids}` in it), in the order of `ids`;
/// ids of no row are left out.
async fn in_order(db: &Db, sql: &str, ids: &[Value]) -> ApiResult<Vec<Row>> {
    let rows = db.clone().fetch_in(sql, &[], ids, Some("task")).await?;
    let mut found: HashMap<String, Row> = keyed(rows).collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(&id_text(id)))
        .collect())
}

fn ids_of(rows: &[Row]) -> ApiResult<Vec<Value>> {
    rows.iter().map(|row| id_of(&row["id"])).collect()
}

fn id_text(id: &Value) -> String {
    match id {
        Value::Uuid(id) => id.to_string(),
        _ => String::new(),
    }
}

async fn person(db: &Db, id: &str) -> ApiResult<Option<Row>> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(db
        .fetch_optional(
            "SELECT * FROM person WHERE id = $1",
            &[id.into()],
            Some("person"),
        )
        .await?)
}

async fn departments_of(db: &Db, person: &Json) -> ApiResult<Vec<Json>> {
    let rows = db
        .fetch_all(
            "SELECT department_id FROM department_link WHERE person_id = $1",
            &[id_of(person)?],
            None,
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| r["department_id"].clone())
        .collect())
}

/// The caller's standing on tasks, read once for a batch of them: their
/// departments and, per project, their role in its team.
struct Standing {
    departments: Vec<Json>,
    roles: HashMap<String, Option<Role>>,
}

impl Standing {
    async fn read(ctx: &Ctx<'_>) -> ApiResult<Standing> {
        Ok(Standing {
            departments: departments_of(ctx.db(), &json!(ctx.identity.person.id)).await?,
            roles: HashMap::new(),
        })
    }

    /// The caller's role on the task's project; None outside its team.
    async fn role(&mut self, ctx: &Ctx<'_>, task: &Row) -> Option<Role> {
        let project = task["project_id"].as_str().unwrap_or_default();
        if let Some(role) = self.roles.get(project) {
            return *role;
        }
        let role = team_role(ctx, task.get("project_id")).await.ok();
        self.roles.insert(project.to_string(), role);
        role
    }

    /// Whether the task's type belongs to one of the caller's departments.
    fn in_department(&self, task: &Row) -> bool {
        self.departments.contains(&task["task_department_id"])
    }

    /// Managers, and supervisors of the task's department (or of none).
    async fn supervises(&mut self, ctx: &Ctx<'_>, task: &Row) -> bool {
        match self.role(ctx, task).await {
            Some(Role::Admin | Role::Manager) => true,
            Some(Role::Supervisor) => self.departments.is_empty() || self.in_department(task),
            _ => false,
        }
    }
}

/// The person put on tasks, with their departments.
struct Assignee {
    row: Row,
    departments: Vec<Json>,
}

impl Assignee {
    async fn read(db: &Db, id: &str) -> ApiResult<Assignee> {
        let row = person(db, id).await?.ok_or_else(no_assignee)?;
        let departments = departments_of(db, &row["id"]).await?;
        Ok(Assignee { row, departments })
    }
}

/// Why the caller may not put the assignee on the task, if they may not.
/// Bots work on a project only when it welcomes them; preview accounts
/// never. Managers may assign anyone; supervisors anyone when they have no
/// department, else people sharing one of theirs on their departments'
/// tasks; artists and supervisors themselves on their departments' tasks.
async fn refusal(
    ctx: &Ctx<'_>,
    standing: &mut Standing,
    task: &Row,
    assignee: &Assignee,
) -> ApiResult<Option<ApiError>> {
    let target = &assignee.row;
    if target["is_bot"] == json!(true) && !bots_welcome(ctx.db(), task).await? {
        return Ok(Some(ApiError::Forbidden));
    }
    if !target["preview_project_id"].is_null() {
        return Ok(Some(ApiError::bad_request(
            "A preview account can't be assigned",
        )));
    }
    let is_self = target["id"] == json!(ctx.identity.person.id);
    let role = standing.role(ctx, task).await;
    let mine = &standing.departments;
    let allowed = match role {
        Some(Role::Admin | Role::Manager) => true,
        Some(Role::Supervisor) if mine.is_empty() => true,
        Some(Role::Supervisor) => {
            standing.in_department(task)
                && (is_self || assignee.departments.iter().any(|d| mine.contains(d)))
        }
        Some(Role::User) => standing.in_department(task) && is_self,
        _ => false,
    };
    Ok((!allowed).then_some(ApiError::Forbidden))
}

/// Who may unassign: managers; supervisors of the task's department (or of
/// none); anyone removing themselves.
async fn may_unassign(
    ctx: &Ctx<'_>,
    standing: &mut Standing,
    task: &Row,
    person: Option<&Json>,
) -> ApiResult<bool> {
    if standing.supervises(ctx, task).await {
        return Ok(true);
    }
    Ok(standing.role(ctx, task).await.is_some()
        && person == Some(&json!(ctx.identity.person.id))
        && scope::assigned_to(ctx, &task["id"]).await?)
}

fn no_assignee() -> ApiError {
    ApiError::Body(
        StatusCode::BAD_REQUEST,
        json!({"error": "Assignee doesn't exist in database."}),
    )
}

async fn record(
    tx: &mut Tx,
    identity: &Identity,
    name: &str,
    task: &Row,
    extra: Option<(&str, Json)>,
) -> ApiResult<()> {
    let mut event = Event::new(name, "task_id", task["id"].as_str().unwrap_or_default())
        .in_project(scope::project_id(task.get("project_id")));
    if let Some((key, value)) = extra {
        event.data.insert(key.into(), value);
    }
    event.record(tx, identity.person.id).await?;
    Ok(())
}

/// Puts the person on the tasks (and in their projects' teams); the caller
/// becomes their assigner. A new assignee is told, unless they assigned themselves.
async fn put_on(tx: &mut Tx, identity: &Identity, tasks: &[Row], target: &Row) -> ApiResult<()> {
    let person_id = id_of(&target["id"])?;
    let ids = ids_of(tasks)?;
    let linked: HashSet<Json> = tx
        .fetch_in(
            "SELECT task_id FROM task_person_link WHERE person_id = $1 AND task_id IN ({ids})",
            std::slice::from_ref(&person_id),
            &ids,
            None,
        )
        .await?
        .into_iter()
        .map(|link| link["task_id"].clone())
        .collect();
    let new: Vec<&Row> = tasks
        .iter()
        .filter(|task| !linked.contains(&task["id"]))
        .collect();
    let stamp = now();
    for task in &new {
        tx.insert_at_commit(
            "task_person_link",
            vec![
                ("task_id", id_of(&task["id"])?),
                ("person_id", person_id.clone()),
            ],
        );
    }
    if target["id"] != json!(identity.person.id) {
        for task in &new {
            tx.insert_at_commit(
                "notification",
                vec![
                    ("id", Uuid::now_v7().into()),
                    ("type", "assignation".into()),
                    ("person_id", person_id.clone()),
                    ("author_id", identity.person.id.into()),
                    ("task_id", id_of(&task["id"])?),
                    ("read", false.into()),
                    ("change", false.into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            );
        }
    }
    tx.execute_in(
        "UPDATE task SET assigner_id = $1, updated_at = $2 WHERE id IN ({ids})",
        &[identity.person.id.into(), stamp.into()],
        &ids,
    )
    .await?;
    for task in tasks {
        if !linked.contains(&task["id"]) {
            let person = Some(("person_id", target["id"].clone()));
            record(tx, identity, "task:assign", task, person).await?;
        }
        record(tx, identity, "task:update", task, None).await?;
    }
    join_teams(tx, identity, tasks, &person_id).await
}

/// Puts the person in the teams of the tasks' projects they are not in yet.
async fn join_teams(
    tx: &mut Tx,
    identity: &Identity,
    tasks: &[Row],
    person_id: &Value,
) -> ApiResult<()> {
    let projects: BTreeSet<&str> = tasks
        .iter()
        .filter_map(|task| task["project_id"].as_str())
        .collect();
    for project_id in projects {
        let project_json = json!(project_id);
        let project = id_of(&project_json)?;
        let member = tx
            .fetch_optional(
                "SELECT person_id FROM project_person_link WHERE project_id = $1 AND person_id = $2",
                &[project.clone(), person_id.clone()],
                None,
            )
            .await?;
        if member.is_some() {
            continue;
        }
        tx.insert(
            "project_person_link",
            &[
                ("project_id", project.clone()),
                ("person_id", person_id.clone()),
            ],
        )
        .await?;
        tx.execute(
            "UPDATE project SET updated_at = $1 WHERE id = $2",
            &[now().into(), project],
        )
        .await?;
        Event::new("project:update", "project_id", project_id)
            .in_project(scope::project_id(Some(&project_json)))
            .record(tx, identity.person.id)
            .await?;
    }
    Ok(())
}

/// The tasks as the assignment routes answer them: their rows and assignees.
async fn with_assignees(db: &Db, tasks: &[Row]) -> ApiResult<Vec<Json>> {
    let links = db
        .clone()
        .fetch_in(
            "SELECT task_id, person_id FROM task_person_link WHERE task_id IN ({ids}) \
             ORDER BY person_id",
            &[],
            &ids_of(tasks)?,
            None,
        )
        .await?;
    let mut assignees = grouped(&links, "task_id", "person_id");
    Ok(current(db, tasks)
        .await?
        .into_iter()
        .map(|mut row| {
            let people = assignees
                .remove(row["id"].as_str().unwrap_or_default())
                .unwrap_or_default();
            row.insert("assignees".into(), Json::Array(people));
            row.insert("type".into(), json!("Task"));
            Json::Object(row)
        })
        .collect())
}

async fn refresh(state: &AppState, tasks: &[Row]) -> ApiResult<()> {
    let mut by_project: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for task in tasks {
        by_project
            .entry(task["project_id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(task["id"].as_str().unwrap_or_default().to_string());
    }
    for (project, tasks) in by_project {
        state
            .projects
            .refresh(
                &project,
                Touched {
                    tasks,
                    ..Default::default()
                },
            )
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}

fn required_text(fields: &Map<String, Json>, key: &str) -> ApiResult<String> {
    match fields.get(key) {
        Some(Json::String(text)) if !text.is_empty() => Ok(text.clone()),
        Some(Json::String(_)) => Err(ApiError::invalid_field(
            key,
            "String should have at least 1 character",
        )),
        None => Err(ApiError::invalid_field(key, "Field required")),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

/// `task_ids`: a list of at least one string.
pub(super) fn task_ids(fields: &Map<String, Json>) -> ApiResult<Vec<String>> {
    let items = match fields.get("task_ids") {
        Some(Json::Array(items)) => items,
        None => return Err(ApiError::invalid_field("task_ids", "Field required")),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "task_ids",
                "Input should be a valid list",
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid_field(
            "task_ids",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            item.as_str().map(str::to_string).ok_or_else(|| {
                ApiError::invalid_field(&format!("task_ids.{n}"), "Input should be a valid string")
            })
        })
        .collect()
}

async fn assign(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let target_id = required_text(&body_fields(&req, &body)?, "person_id")?;
    let task = task(&state.db, &path).await?.ok_or(ApiError::NotFound)?;
    let assignee = Assignee::read(&state.db, &target_id).await?;
    let mut standing = Standing::read(&ctx).await?;
    if let Some(refused) = refusal(&ctx, &mut standing, &task, &assignee).await? {
        return Err(refused);
    }
    let chosen = [task];
    let mut tx = state.db.begin().await?;
    put_on(&mut tx, &identity, &chosen, &assignee.row).await?;
    tx.commit().await?;
    refresh(&state, &chosen).await?;
    let answer = with_assignees(&state.db, &chosen).await?.into_iter().next();
    Ok(HttpResponse::Ok().json(answer.ok_or(ApiError::NotFound)?))
}

/// Tasks the caller may not assign, or that do not exist, are skipped.
async fn assign_many(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let found = tasks(&state.db, &task_ids(&body_fields(&req, &body)?)?).await?;
    if found.is_empty() {
        return Ok(HttpResponse::Ok().json(json!([])));
    }
    let assignee = Assignee::read(&state.db, &path).await?;
    let mut standing = Standing::read(&ctx).await?;
    let mut chosen = Vec::new();
    for task in found {
        if refusal(&ctx, &mut standing, &task, &assignee)
            .await?
            .is_none()
        {
            chosen.push(task);
        }
    }
    let mut tx = state.db.begin().await?;
    put_on(&mut tx, &identity, &chosen, &assignee.row).await?;
    tx.commit().await?;
    refresh(&state, &chosen).await?;
    Ok(HttpResponse::Ok().json(with_assignees(&state.db, &chosen).await?))
}

/// Removes everyone, or one person, from each task the caller may clear;
/// answers the ids of the tasks handled.
async fn clear_assignation(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let fields = body_fields(&req, &body)?;
    let ids = task_ids(&fields)?;
    let person = match fields.get("person_id") {
        None | Some(Json::Null) => None,
        Some(Json::String(id)) => Some(json!(Uuid::parse_str(id)
            .map_err(|_| ApiError::invalid_field("person_id", "Input should be a valid UUID"))?)),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "person_id",
                "Input should be a valid string",
            ))
        }
    };
    let mut standing = Standing::read(&ctx).await?;
    let mut touched = Vec::new();
    for task in tasks(&state.db, &ids).await? {
        if may_unassign(&ctx, &mut standing, &task, person.as_ref()).await? {
            touched.push(task);
        }
    }
    let task_ids = ids_of(&touched)?;
    let mut fixed = Vec::new();
    let mut only = String::new();
    if let Some(person) = &person {
        fixed.push(id_of(person)?);
        only.push_str(" AND person_id = $1");
    }
    let mut tx = state.db.begin().await?;
    let removed = tx
        .fetch_in(
            &format!(
                "SELECT task_id, person_id FROM task_person_link WHERE task_id IN ({{ids}}){only}"
            ),
            &fixed,
            &task_ids,
            None,
        )
        .await?;
    tx.execute_in(
        &format!("DELETE FROM task_person_link WHERE task_id IN ({{ids}}){only}"),
        &fixed,
        &task_ids,
    )
    .await?;
    tx.execute_in(
        "UPDATE task SET updated_at = $1 WHERE id IN ({ids})",
        &[now().into()],
        &task_ids,
    )
    .await?;
    let mut removed_from = grouped(&removed, "task_id", "person_id");
    for task in &touched {
        let id = task["id"].as_str().unwrap_or_default();
        for person in removed_from.remove(id).unwrap_or_default() {
            let person = Some(("person_id", person));
            record(&mut tx, &identity, "task:unassign", task, person).await?;
        }
        record(&mut tx, &identity, "task:update", task, None).await?;
    }
    tx.commit().await?;
    refresh(&state, &touched).await?;
    let handled: Vec<&Json> = touched.iter().map(|task| &task["id"]).collect();
    Ok(HttpResponse::Ok().json(handled))
}

/// A priority from 0 up, for the tasks the caller may edit.
async fn set_priority(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let fields = body_fields(&req, &body)?;
    let ids = task_ids(&fields)?;
    let priority = match fields.get("priority") {
        None => return Err(ApiError::invalid_field("priority", "Field required")),
        Some(Json::Bool(flag)) => i64::from(*flag),
        Some(Json::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(n), _) => n,
            (None, Some(f)) if f.fract() == 0.0 => f as i64,
            _ => {
                return Err(ApiError::invalid_field(
                    "priority",
                    "Input should be a valid integer, got a number with a fractional part",
                ))
            }
        },
        Some(Json::String(text)) => text.trim().parse().map_err(|_| {
            ApiError::invalid_field(
                "priority",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        })?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "priority",
                "Input should be a valid integer",
            ))
        }
    };
    if priority < 0 {
        return Err(ApiError::invalid_field(
            "priority",
            "Input should be greater than or equal to 0",
        ));
    }
    if priority > i64::from(i32::MAX) {
        return Err(ApiError::invalid_field(
            "priority",
            "Input should be less than or equal to 2147483647",
        ));
    }
    let mut standing = Standing::read(&ctx).await?;
    let mut chosen = Vec::new();
    for task in tasks(&state.db, &ids).await? {
        if standing.supervises(&ctx, &task).await {
            chosen.push(task);
        }
    }
    let mut tx = state.db.begin().await?;
    tx.execute_in(
        "UPDATE task SET priority = $1, updated_at = $2 WHERE id IN ({ids})",
        &[Value::Int(priority), now().into()],
        &ids_of(&chosen)?,
    )
    .await?;
    for task in &chosen {
        record(&mut tx, &identity, "task:update", task, None).await?;
    }
    tx.commit().await?;
    refresh(&state, &chosen).await?;
    Ok(HttpResponse::Ok().json(super::typed(current(&state.db, &chosen).await?, "Task")))
}

/// `{"total": minutes, person_id: [time spent, ...]}` for a task (one day of it).
async fn logged(
    state: &AppState,
    identity: &Identity,
    req: &HttpRequest,
    task: &str,
    day: Option<&str>,
) -> ApiResult<Json> {
    let ctx = Ctx::new(state, identity, req);
    let task = Uuid::parse_str(task).map_err(|_| ApiError::NotFound)?;
    let (_, task) = scope::task_access(&ctx, &json!(task)).await?;
    let mut sql = String::from("SELECT * FROM time_spent WHERE task_id = $1");
    let mut params = vec![id_of(&task["id"])?];
    if let Some(day) = day {
        params.push(Value::Date(parse_day(day)?));
        sql.push_str(" AND date = $2");
    }
    sql.push_str(" ORDER BY date, person_id");
    let rows = state
        .db
        .fetch_all(&sql, &params, Some("time_spent"))
        .await?;
    let total: f64 = rows.iter().filter_map(|r| r["duration"].as_f64()).sum();
    let mut answer = Map::new();
    answer.insert(
        "total".into(),
        if rows.is_empty() {
            json!(0)
        } else {
            json!(total)
        },
    );
    for row in super::typed(rows, "TimeSpent") {
        let person = row["person_id"].as_str().unwrap_or_default().to_string();
        if let Json::Array(list) = answer.entry(person).or_insert_with(|| json!([])) {
            list.push(row);
        }
    }
    Ok(Json::Object(answer))
}

fn parse_day(text: &str) -> ApiResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("Invalid date format."))
}

async fn time_spents(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(logged(&state, &identity, &req, &path, None).await?))
}

async fn time_spents_on(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(logged(&state, &identity, &req, &path.0, Some(&path.1)).await?))
}

/// The person must be on the task; they log for themselves, managers for them.
async fn may_log(ctx: &Ctx<'_>, task: &Row, target: &Row, bots_welcome: bool) -> ApiResult<()> {
    if target["is_bot"] == json!(true) && !bots_welcome {
        return Err(ApiError::Forbidden);
    }
    let assigned = ctx
        .db()
        .fetch_optional(
            "SELECT task_id FROM task_person_link WHERE task_id = $1 AND person_id = $2",
            &[id_of(&task["id"])?, id_of(&target["id"])?],
            None,
        )
        .await?
        .is_some();
    let is_self = target["id"] == json!(ctx.identity.person.id);
    let manages = scope::require_manager(ctx, task.get("project_id"))
        .await
        .is_ok();
    if assigned && (is_self || manages) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn bots_welcome(db: &Db, task: &Row) -> ApiResult<bool> {
    let project = db
        .fetch_optional(
            "SELECT is_bot_collaboration_enabled FROM project WHERE id = $1",
            &[id_of(&task["project_id"])?],
            Some("project"),
        )
        .await?;
    Ok(project.is_some_and(|p| p["is_bot_collaboration_enabled"] == json!(true)))
}

/// Keeps the task's duration the sum of its time spents, and the person's last presence.
async fn after_logging(tx: &mut Tx, identity: &Identity, task: &Row) -> ApiResult<()> {
    tx.execute(
        "UPDATE task SET duration = (SELECT COALESCE(SUM(duration), 0) FROM time_spent WHERE task_id = $1), \
         updated_at = $2 WHERE id = $1",
        &[id_of(&task["id"])?, now().into()],
    )
    .await?;
    record(tx, identity, "task:update", task, None).await
}

fn time_event(name: &str, row: &Row, task: &Row) -> Event {
    Event::new(
        name,
        "time_spent_id",
        row["id"].as_str().unwrap_or_default(),
    )
    .in_project(scope::project_id(task.get("project_id")))
}

/// Sets (or adds to) the minutes a person logged on a task on a day.
async fn log_time(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
    body: web::Bytes,
    add: bool,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (task_id, day, person_id) = path.into_inner();
    let task = task(&state.db, &task_id).await?.ok_or(ApiError::NotFound)?;
    let target = person(&state.db, &person_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let fields = body_fields(&req, &body)?;
    let duration = match fields.get("duration") {
        None => return Err(ApiError::invalid_field("duration", "Field required")),
        Some(Json::Bool(flag)) => f64::from(u8::from(*flag)),
        Some(Json::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Json::String(text)) => text.trim().parse().map_err(|_| {
            ApiError::invalid_field(
                "duration",
                "Input should be a valid number, unable to parse string as a number",
            )
        })?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "duration",
                "Input should be a valid number",
            ))
        }
    };
    if !(duration > 0.0 && duration.is_finite()) {
        return Err(ApiError::invalid_field(
            "duration",
            "Input should be greater than 0",
        ));
    }
    may_log(&ctx, &task, &target, bots_welcome(&state.db, &task).await?).await?;
    let day = parse_day(&day)?;
    let key = [id_of(&task["id"])?, id_of(&target["id"])?, Value::Date(day)];
    let mut tx = state.db.begin().await?;
    let existing = tx
        .fetch_optional(
            "SELECT * FROM time_spent WHERE task_id = $1 AND person_id = $2 AND date = $3",
            &key,
            Some("time_spent"),
        )
        .await?;
    let stamp = now();
    let row = match existing {
        Some(row) => {
            let minutes = if add {
                row["duration"].as_f64().unwrap_or(0.0) + duration
            } else {
                duration
            };
            let updated = tx
                .fetch_optional(
                    "UPDATE time_spent SET duration = $1, updated_at = $2 WHERE id = $3 RETURNING *",
                    &[Value::Float(minutes), stamp.into(), id_of(&row["id"])?],
                    Some("time_spent"),
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            time_event("time-spent:update", &updated, &task)
                .record(&mut tx, identity.person.id)
                .await?;
            updated
        }
        None => {
            let [task_key, person_key, date] = key;
            let created = tx
                .insert(
                    "time_spent",
                    &[
                        ("id", Uuid::now_v7().into()),
                        ("task_id", task_key),
                        ("person_id", person_key.clone()),
                        ("date", date),
                        ("duration", Value::Float(duration)),
                        ("created_at", stamp.into()),
                        ("updated_at", stamp.into()),
                    ],
                )
                .await?;
            tx.execute(
                "UPDATE person SET last_presence = (SELECT MAX(date) FROM time_spent WHERE person_id = $1) WHERE id = $1",
                std::slice::from_ref(&person_key),
            )
            .await?;
            Event::new(
                "person:update",
                "person_id",
                target["id"].as_str().unwrap_or_default(),
            )
            .record(&mut tx, identity.person.id)
            .await?;
            time_event("time-spent:new", &created, &task)
                .record(&mut tx, identity.person.id)
                .await?;
            created
        }
    };
    after_logging(&mut tx, &identity, &task).await?;
    tx.commit().await?;
    refresh(&state, std::slice::from_ref(&task)).await?;
    Ok(HttpResponse::Created().json(super::typed(vec![row], "TimeSpent").remove(0)))
}

/// Deletes a person's time on a task on a day; answers it with no minutes left.
async fn delete_time(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (task_id, day, person_id) = path.into_inner();
    let target = person(&state.db, &person_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let task = task(&state.db, &task_id).await?.ok_or(ApiError::NotFound)?;
    may_log(&ctx, &task, &target, bots_welcome(&state.db, &task).await?).await?;
    let day = parse_day(&day)?;
    let mut tx = state.db.begin().await?;
    let mut row = tx
        .fetch_optional(
            "SELECT * FROM time_spent WHERE task_id = $1 AND person_id = $2 AND date = $3",
            &[id_of(&task["id"])?, id_of(&target["id"])?, Value::Date(day)],
            Some("time_spent"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.execute(
        "DELETE FROM time_spent WHERE id = $1",
        &[id_of(&row["id"])?],
    )
    .await?;
    time_event("time-spent:delete", &row, &task)
        .record(&mut tx, identity.person.id)
        .await?;
    after_logging(&mut tx, &identity, &task).await?;
    tx.commit().await?;
    refresh(&state, std::slice::from_ref(&task)).await?;
    row.insert("duration".into(), json!(0));
    Ok(HttpResponse::Created().json(super::typed(vec![row], "TimeSpent").remove(0)))
}
