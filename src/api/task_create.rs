//! The production pages' "add tasks" buttons: one task of a type on every
//! entity of a kind (or on a selection), written by one engine for the five
//! routes.

use super::breakdown::{batch_ids, Kind};
use super::breakdown_create::{asset_criteria, default_status, insert_main_task, project, refresh};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::ENTITIES;
use crate::crud::{column_filters, id_of, scope, where_clause, Condition, Ctx};
use crate::db::{Row, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let base = "/actions/projects/{project_id}/task-types/{task_type_id}";
    let mut routes: Vec<Route> = [Kind::Asset, Kind::Shot, Kind::Edit, Kind::Concept]
        .into_iter()
        .map(|kind| {
            Route::new(
                Method::POST,
                format!("{base}/{}/create-tasks", kind.route()),
                format!("Create tasks of a type on the project's {}", kind.route()),
                move |r| {
                    r.to(move |s, i, p: web::Path<(String, String)>, q, b| {
                        let (project, task_type) = p.into_inner();
                        create(s, i, Target::Kind(kind), project, task_type, q, b)
                    })
                },
            )
        })
        .collect();
    routes.push(Route::new(
        Method::POST,
        format!("{base}/create-tasks/{{entity_type}}"),
        "Create tasks of a type on the project's entities of a type",
        |r| {
            r.to(|s, i, p: web::Path<(String, String, String)>, q, b| {
                let (project, task_type, entity_type) = p.into_inner();
                create(s, i, Target::Named(entity_type), project, task_type, q, b)
            })
        },
    ));
    routes
}

enum Target {
    Kind(Kind),
    /// An entity type named in the URL, capitalised as Python does.
    Named(String),
}

/// `shot`, `SHOT` → `Shot`: Zou's `str.capitalize()`.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Managers of the project create tasks; on concepts, any team member who is
/// not a vendor or a client does.
async fn check_access(ctx: &Ctx<'_>, target: &Target, project_id: &str) -> ApiResult<()> {
    if matches!(target, Target::Kind(Kind::Concept)) {
        let project = project(ctx.state, project_id).await?;
        let role = scope::team_role(ctx, project.get("id")).await?;
        if matches!(role, Role::Vendor | Role::Client) {
            return Err(ApiError::Forbidden);
        }
        return Ok(());
    }
    if ctx.identity.is_admin() {
        return Ok(());
    }
    let project = project(ctx.state, project_id).await?;
    scope::require_manager(ctx, project.get("id")).await
}

/// The selection: a JSON array of entity ids; anything that is not one
/// (no body, `null`, `{}`) means "every entity the criteria give".
fn selection(body: &[u8]) -> ApiResult<Vec<String>> {
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Array(_)) => batch_ids(body),
        Err(_) | Ok(Json::Null) => Ok(Vec::new()),
        Ok(Json::Object(object)) if object.is_empty() => Ok(Vec::new()),
        Ok(_) => Err(ApiError::bad_request("Request body must be a JSON array.")),
    }
}

/// The entities a selection names: each must be of the route's kind (404
/// otherwise); those of other projects are left out.
async fn chosen(
    ctx: &Ctx<'_>,
    kind: Option<Kind>,
    project: &Value,
    ids: &[String],
) -> ApiResult<Vec<Row>> {
    let mut rows = Vec::new();
    for id in ids {
        let mut conditions = vec![Condition::new(
            "e.id = ?",
            vec![Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?.into()],
        )];
        if let Some(kind) = kind {
            let condition = kind.type_condition();
            conditions.push(Condition::new(
                condition.sql.replace("entity_type_id", "e.entity_type_id"),
                condition.params,
            ));
        }
        let row = select(ctx, &conditions, "")
            .await?
            .pop()
            .ok_or(ApiError::NotFound)?;
        if id_of(&row["project_id"])? == *project
            && !rows.iter().any(|r: &Row| r["id"] == row["id"])
        {
            rows.push(row);
        }
    }
    Ok(rows)
}

async fn select(ctx: &Ctx<'_>, conditions: &[Condition], order: &str) -> ApiResult<Vec<Row>> {
    let (where_sql, params) = where_clause(conditions);
    Ok(ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT e.id, e.project_id, et.name AS type_name FROM entity e \
                 JOIN entity_type et ON et.id = e.entity_type_id{where_sql}{order}"
            ),
            &params,
            None,
        )
        .await?)
}

/// Without a selection: the project's entities of the kind, narrowed by the
/// query string's criteria (Kitsu creates one entity's task with `?id=`).
async fn all_of(ctx: &Ctx<'_>, target: &Target, project: &Value) -> ApiResult<Vec<Row>> {
    let mut conditions = vec![Condition::new("e.project_id = ?", vec![project.clone()])];
    let mut criteria = Vec::new();
    match target {
        Target::Kind(Kind::Asset) => criteria.extend(asset_criteria(ctx)?),
        Target::Kind(kind) => {
            let pairs: Vec<(String, String)> = ctx
                .query
                .iter()
                .filter(|(key, _)| !["project_id", "page"].contains(&key.as_str()))
                .cloned()
                .collect();
            let table = ctx
                .db()
                .schema()
                .table("entity")
                .ok_or_else(|| ApiError::internal("entity table"))?;
            criteria.extend(column_filters(ctx, &ENTITIES, table, &pairs)?);
            criteria.push(kind.type_condition());
            if *kind == Kind::Shot {
                criteria.push(Condition::new(
                    "parent_id IN (SELECT s.id FROM entity s JOIN entity_type st \
                     ON st.id = s.entity_type_id WHERE st.name = 'Sequence')",
                    vec![],
                ));
            }
        }
        Target::Named(name) => {
            criteria.push(Condition::new(
                "entity_type_id IN (SELECT id FROM entity_type WHERE name = ?)",
                vec![capitalised(name).into()],
            ));
            if let Some(episode) = ctx.param("episode_id").filter(|e| !e.is_empty()) {
                let episode = Uuid::parse_str(episode)
                    .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {episode}")))?;
                criteria.push(Condition::new("parent_id = ?", vec![episode.into()]));
            }
        }
    }
    if matches!(target, Target::Kind(Kind::Asset)) {
        criteria.push(Kind::Asset.type_condition());
    }
    // The criteria are written against `entity`, unaliased.
    if let Some(criteria) = criteria.into_iter().reduce(Condition::and) {
        conditions.push(Condition::new(
            format!("e.id IN (SELECT id FROM entity WHERE {})", criteria.sql),
            criteria.params,
        ));
    }
    select(ctx, &conditions, " ORDER BY lower(e.name), e.name, e.id").await
}

async fn create(
    state: web::Data<AppState>,
    identity: Identity,
    target: Target,
    project_id: String,
    task_type_id: String,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    check_access(&ctx, &target, &project_id).await?;
    let task_type = state
        .db
        .fetch_optional(
            "SELECT * FROM task_type WHERE id = $1",
            &[Uuid::parse_str(&task_type_id)
                .map_err(|_| ApiError::NotFound)?
                .into()],
            Some("task_type"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Target::Named(name) = &target {
        state
            .db
            .fetch_optional(
                "SELECT id FROM entity_type WHERE name = $1",
                &[capitalised(name).into()],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
    }
    let ids = selection(&body)?;
    let Ok(project) = Uuid::parse_str(&project_id) else {
        return Ok(HttpResponse::Created().json(json!([])));
    };
    let project = Value::from(project);
    let entities = if ids.is_empty() {
        all_of(&ctx, &target, &project).await?
    } else {
        let kind = match &target {
            Target::Kind(kind) => Some(*kind),
            Target::Named(_) => None,
        };
        chosen(&ctx, kind, &project, &ids).await?
    };
    let Some(first) = entities.first() else {
        return Ok(HttpResponse::Created().json(json!([])));
    };
    let mut tx = state.db.begin().await?;
    let status = default_status(&mut tx, first["type_name"] == json!("Concept")).await?;
    let with_task: Vec<Json> = tx
        .fetch_all(
            "SELECT entity_id FROM task WHERE project_id = $1 AND task_type_id = $2",
            &[project.clone(), id_of(&task_type["id"])?],
            None,
        )
        .await?
        .into_iter()
        .map(|r| r["entity_id"].clone())
        .collect();
    let mut created = Vec::new();
    let mut touched = Touched::default();
    for entity in entities.iter().filter(|e| !with_task.contains(&e["id"])) {
        let mut task = insert_main_task(
            &mut tx,
            identity.person.id,
            &project,
            id_of(&entity["id"])?,
            id_of(&task_type["id"])?,
            id_of(&status["id"])?,
        )
        .await?;
        let id = task["id"].as_str().unwrap_or_default().to_string();
        touched.tasks.push(id);
        task.insert("type".into(), json!("Task"));
        task.insert("assignees".into(), json!([]));
        for (key, value) in [
            ("task_status_name", &status["name"]),
            ("task_status_short_name", &status["short_name"]),
            ("task_status_color", &status["color"]),
            ("task_type_name", &task_type["name"]),
            ("task_type_color", &task_type["color"]),
            ("task_type_priority", &task_type["priority"]),
        ] {
            task.insert(key.into(), value.clone());
        }
        created.push(Json::Object(task));
    }
    tx.commit().await?;
    if !touched.tasks.is_empty() {
        refresh(&state, &first["project_id"], touched).await?;
    }
    Ok(HttpResponse::Created().json(created))
}
