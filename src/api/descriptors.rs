//! A project's metadata descriptors: the custom columns of its breakdown
//! and task lists (`/data/projects/{id}/metadata-descriptors`).

use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let base = "/data/projects/{project_id}/metadata-descriptors";
    vec![
        Route::new(
            Method::GET,
            base,
            "List the project's metadata descriptors",
            |r| r.to(list),
        ),
        Route::new(Method::POST, base, "Create a metadata descriptor", |r| {
            r.to(create)
        }),
        Route::new(
            Method::POST,
            format!("{base}/reorder"),
            "Reorder metadata descriptors",
            |r| r.to(reorder),
        ),
        Route::new(
            Method::GET,
            format!("{base}/{{descriptor_id}}"),
            "Get a metadata descriptor",
            |r| r.to(get),
        ),
        Route::new(
            Method::PUT,
            format!("{base}/{{descriptor_id}}"),
            "Update a metadata descriptor",
            |r| r.to(update),
        ),
        Route::new(
            Method::DELETE,
            format!("{base}/{{descriptor_id}}"),
            "Delete a metadata descriptor",
            |r| r.to(delete),
        ),
        Route::new(
            Method::POST,
            "/data/metadata-descriptors/all-projects",
            "Create a metadata descriptor in every project one manages",
            |r| r.to(create_everywhere),
        ),
        Route::new(
            Method::PUT,
            "/data/metadata-descriptors/all-projects/{field_name}",
            "Update a metadata descriptor in every project one manages",
            |r| r.to(update_everywhere),
        ),
        Route::new(
            Method::DELETE,
            "/data/metadata-descriptors/all-projects/{field_name}",
            "Delete a metadata descriptor from every project one manages",
            |r| r.to(delete_everywhere),
        ),
        Route::new(
            Method::POST,
            "/actions/metadata-descriptors/all-projects/reorder",
            "Reorder metadata descriptors in every project one manages",
            |r| r.to(reorder_everywhere),
        ),
    ]
}

const ENTITY_TYPES: [&str; 7] = [
    "Asset", "Shot", "Edit", "Episode", "Sequence", "Project", "Task",
];
const DATA_TYPES: [&str; 10] = [
    "string",
    "number",
    "list",
    "taglist",
    "boolean",
    "checklist",
    "date",
    "url",
    "textarea",
    "person",
];
const WRONG_ENTITY_TYPE: &str =
    "Wrong entity type. Please select Asset, Shot, Sequence, Episode, Edit, Project, or Task.";

async fn project(state: &AppState, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    state
        .db
        .fetch_optional(
            "SELECT * FROM project WHERE id = $1",
            &[id.into()],
            Some("project"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

async fn role_in(ctx: &Ctx<'_>, project: &Row) -> ApiResult<Role> {
    crate::crud::scope::team_role(ctx, project.get("id")).await
}

/// Descriptors of the project, with their departments, by position then name.
async fn descriptors(db: &crate::db::Db, project: &Json, one: Option<Uuid>) -> ApiResult<Vec<Row>> {
    let mut sql = String::from("SELECT * FROM metadata_descriptor WHERE project_id = $1");
    let mut params = vec![id_of(project)?];
    if let Some(one) = one {
        sql.push_str(" AND id = $2");
        params.push(one.into());
    }
    sql.push_str(" ORDER BY position IS NULL, position, name");
    let mut rows = db
        .fetch_all(&sql, &params, Some("metadata_descriptor"))
        .await?;
    let links = db
        .fetch_all(
            "SELECT l.metadata_descriptor_id, l.department_id FROM department_metadata_descriptor_link l \
             JOIN metadata_descriptor d ON d.id = l.metadata_descriptor_id WHERE d.project_id = $1 ORDER BY l.department_id",
            &[id_of(project)?],
            None,
        )
        .await?;
    for row in rows.iter_mut() {
        let departments: Vec<Json> = links
            .iter()
            .filter(|l| l["metadata_descriptor_id"] == row["id"])
            .map(|l| l["department_id"].clone())
            .collect();
        row.insert("departments".into(), Json::Array(departments));
        row.insert("type".into(), json!("MetadataDescriptor"));
    }
    Ok(rows)
}

/// Whether the caller's role on the project lets them see this descriptor.
fn visible(role: Role, descriptor: &Row, mine: &[String]) -> bool {
    match role {
        Role::Client => descriptor["for_client"] == Json::Bool(true),
        Role::Vendor => {
            let departments = descriptor["departments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            departments.is_empty()
                || departments
                    .iter()
                    .any(|d| d.as_str().is_some_and(|d| mine.iter().any(|m| m == d)))
        }
        _ => true,
    }
}

async fn list(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p).await?;
    let role = role_in(&ctx, &project).await?;
    let mine = identity.person.department_ids(&state.db).await?;
    let rows: Vec<Row> = descriptors(&state.db, &project["id"], None)
        .await?
        .into_iter()
        .filter(|d| visible(role, d, &mine))
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

async fn one(state: &AppState, project: &Row, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    descriptors(&state.db, &project["id"], Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)
}

async fn get(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p.0).await?;
    let role = role_in(&ctx, &project).await?;
    let descriptor = one(&state, &project, &p.1).await?;
    if !visible(
        role,
        &descriptor,
        &identity.person.department_ids(&state.db).await?,
    ) {
        return Err(ApiError::Forbidden);
    }
    Ok(HttpResponse::Ok().json(descriptor))
}

/// Managers may change any descriptor; supervisors those whose departments
/// cover all of their own.
async fn check_departments(ctx: &Ctx<'_>, project: &Row, departments: &[String]) -> ApiResult<()> {
    match role_in(ctx, project).await? {
        Role::Admin | Role::Manager => Ok(()),
        Role::Supervisor => {
            let mine = ctx.identity.person.department_ids(ctx.db()).await?;
            if !departments.is_empty() && mine.iter().all(|d| departments.contains(d)) {
                Ok(())
            } else {
                Err(ApiError::Forbidden)
            }
        }
        _ => Err(ApiError::Forbidden),
    }
}

fn body(bytes: &[u8]) -> ApiResult<Map<String, Json>> {
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(body)) => Ok(body),
        _ => Err(ApiError::invalid_field(
            "",
            "Input should be a valid dictionary",
        )),
    }
}

/// `for_client` of an update: false when absent (the update replaces).
fn for_client(body: &Map<String, Json>) -> ApiResult<Value> {
    match body.get("for_client") {
        None => Ok(Value::Bool(false)),
        Some(Json::Null) => Ok(Value::Null),
        Some(Json::Bool(flag)) => Ok(Value::Bool(*flag)),
        Some(_) => Err(ApiError::invalid_field(
            "for_client",
            "Input should be a valid boolean",
        )),
    }
}

fn strings(body: &Map<String, Json>, key: &str) -> ApiResult<Vec<String>> {
    match body.get(key) {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(n, item)| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::invalid_field(&format!("{key}.{n}"), "Input should be a valid string")
                })
            })
            .collect(),
        Some(_) => Err(ApiError::invalid_field(key, "Input should be a valid list")),
    }
}

fn data_type(body: &Map<String, Json>) -> ApiResult<String> {
    let kind = match body.get("data_type") {
        None => "string".to_string(),
        Some(Json::String(kind)) if !kind.is_empty() => kind.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "data_type",
                "Input should be a valid string",
            ))
        }
    };
    if DATA_TYPES.contains(&kind.as_str()) {
        Ok(kind)
    } else {
        Err(ApiError::bad_request("Invalid data_type"))
    }
}

/// Department ids that exist (malformed ones are 404, unknown ones dropped, as in Zou).
async fn departments(tx: &mut Tx, ids: &[String]) -> ApiResult<Vec<Uuid>> {
    let mut out = Vec::new();
    for id in ids {
        let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
        let exists = tx
            .fetch_optional(
                "SELECT id FROM department WHERE id = $1",
                &[id.into()],
                None,
            )
            .await?
            .is_some();
        if exists && !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

async fn set_departments(tx: &mut Tx, descriptor: Uuid, departments: &[Uuid]) -> ApiResult<()> {
    tx.execute(
        "DELETE FROM department_metadata_descriptor_link WHERE metadata_descriptor_id = $1",
        &[descriptor.into()],
    )
    .await?;
    for department in departments {
        tx.execute(
            "INSERT INTO department_metadata_descriptor_link (metadata_descriptor_id, department_id) VALUES ($1, $2)",
            &[descriptor.into(), (*department).into()],
        )
        .await?;
    }
    Ok(())
}

fn already_exists() -> ApiError {
    ApiError::bad_request("Metadata descriptor already exists.")
}

/// Whether another descriptor of the same scope has this name or field name.
async fn taken(
    tx: &mut Tx,
    project: &Json,
    entity_type: &str,
    task_type: &Json,
    name: &str,
    field: &str,
    except: Option<Uuid>,
) -> ApiResult<bool> {
    let rows = tx
        .fetch_all(
            "SELECT id, task_type_id FROM metadata_descriptor WHERE project_id = $1 AND entity_type = $2 \
             AND (name = $3 OR field_name = $4)",
            &[id_of(project)?, entity_type.into(), name.into(), field.into()],
            None,
        )
        .await?;
    Ok(rows.iter().any(|r| {
        &r["task_type_id"] == task_type
            && r["id"].as_str() != except.map(|e| e.to_string()).as_deref()
    }))
}

async fn event(
    tx: &mut Tx,
    identity: &Identity,
    action: &str,
    descriptor: &Json,
    project: &Json,
) -> ApiResult<()> {
    Event::new(
        format!("metadata-descriptor:{action}"),
        "metadata_descriptor_id",
        descriptor.as_str().unwrap_or_default(),
    )
    .in_project(crate::crud::scope::project_id(Some(project)))
    .record(tx, identity.person.id)
    .await?;
    Ok(())
}

fn required_name(body: &Map<String, Json>) -> ApiResult<String> {
    match body.get("name") {
        Some(Json::String(name)) if !name.is_empty() => Ok(name.clone()),
        Some(Json::String(_)) => Err(ApiError::invalid_field(
            "name",
            "String should have at least 1 character",
        )),
        Some(_) => Err(ApiError::invalid_field(
            "name",
            "Input should be a valid string",
        )),
        None => Err(ApiError::invalid_field("name", "Field required")),
    }
}

/// The field a name stores its values under; both are at most 120 characters.
fn field_name(name: &str) -> ApiResult<String> {
    let field = crate::slug::slug(name);
    if name.chars().count() > 120 || field.len() > 120 {
        return Err(ApiError::bad_request(
            "Metadata descriptor name is too long.",
        ));
    }
    Ok(field)
}

/// A descriptor to create, validated.
struct Spec {
    entity_type: String,
    task_type: Json,
    name: String,
    field: String,
    data_type: String,
    choices: Vec<String>,
    for_client: Value,
    departments: Vec<Uuid>,
}

/// Creates a descriptor in a project, unless its name is taken there.
async fn insert(tx: &mut Tx, identity: &Identity, project: &Json, spec: &Spec) -> ApiResult<Uuid> {
    if taken(
        tx,
        project,
        &spec.entity_type,
        &spec.task_type,
        &spec.name,
        &spec.field,
        None,
    )
    .await?
    {
        return Err(already_exists());
    }
    let id = Uuid::now_v7();
    let stamp = now();
    tx.insert(
        "metadata_descriptor",
        &[
            ("id", id.into()),
            ("project_id", id_of(project)?),
            ("entity_type", spec.entity_type.as_str().into()),
            (
                "task_type_id",
                Value::from_json(crate::db::ColumnKind::Uuid, &spec.task_type)
                    .unwrap_or(Value::Null),
            ),
            ("name", spec.name.as_str().into()),
            ("field_name", spec.field.as_str().into()),
            ("data_type", spec.data_type.as_str().into()),
            ("choices", Value::Json(json!(spec.choices))),
            ("for_client", spec.for_client.clone()),
            ("created_at", stamp.into()),
            ("updated_at", stamp.into()),
        ],
    )
    .await?;
    set_departments(tx, id, &spec.departments).await?;
    event(tx, identity, "new", &json!(id), project).await?;
    Ok(id)
}

/// A descriptor's new state: everything but its name is replaced; a name renames it.
struct Change {
    name: Option<String>,
    data_type: String,
    choices: Vec<String>,
    for_client: Value,
    departments: Vec<Uuid>,
}

/// Rewrites a descriptor, moving its values when a rename changes its field
/// name; says whether values moved.
async fn rewrite(
    tx: &mut Tx,
    identity: &Identity,
    descriptor: &Row,
    change: &Change,
) -> ApiResult<bool> {
    let id = Uuid::parse_str(descriptor["id"].as_str().unwrap_or_default())
        .map_err(ApiError::internal)?;
    let mut data_moved = false;
    let (name, field) = match &change.name {
        Some(name) => {
            let field = field_name(name)?;
            let entity_type = descriptor["entity_type"].as_str().unwrap_or("");
            let project = &descriptor["project_id"];
            if taken(
                tx,
                project,
                entity_type,
                &descriptor["task_type_id"],
                name,
                &field,
                Some(id),
            )
            .await?
            {
                return Err(already_exists());
            }
            if descriptor["field_name"].as_str() != Some(field.as_str()) {
                data_moved = move_values(tx, descriptor, Some(&field)).await?;
            }
            (name.clone(), field)
        }
        None => (
            descriptor["name"].as_str().unwrap_or("").to_string(),
            descriptor["field_name"].as_str().unwrap_or("").to_string(),
        ),
    };
    tx.execute(
        "UPDATE metadata_descriptor SET name = $1, field_name = $2, data_type = $3, choices = $4, for_client = $5, \
         updated_at = $6 WHERE id = $7",
        &[
            name.into(),
            field.into(),
            change.data_type.as_str().into(),
            Value::Json(json!(change.choices)),
            change.for_client.clone(),
            now().into(),
            id.into(),
        ],
    )
    .await?;
    set_departments(tx, id, &change.departments).await?;
    event(
        tx,
        identity,
        "update",
        &json!(id),
        &descriptor["project_id"],
    )
    .await?;
    Ok(data_moved)
}

/// Deletes a descriptor and its values; says whether values went.
async fn remove(tx: &mut Tx, identity: &Identity, descriptor: &Row) -> ApiResult<bool> {
    let id = id_of(&descriptor["id"])?;
    let data_moved = move_values(tx, descriptor, None).await?;
    tx.execute(
        "DELETE FROM department_metadata_descriptor_link WHERE metadata_descriptor_id = $1",
        std::slice::from_ref(&id),
    )
    .await?;
    tx.execute("DELETE FROM metadata_descriptor WHERE id = $1", &[id])
        .await?;
    event(
        tx,
        identity,
        "delete",
        &descriptor["id"],
        &descriptor["project_id"],
    )
    .await?;
    Ok(data_moved)
}

/// Numbers `all` (one project's descriptors of one entity type): the listed
/// ids first, in order (a repeated id counts where last listed), the others after them by name.
async fn apply_order(tx: &mut Tx, all: &[Row], ids: &[String]) -> ApiResult<()> {
    let mut order: Vec<String> = Vec::new();
    for id in ids {
        order.retain(|o| o != id);
        order.push(id.clone());
    }
    let mut rest: Vec<&Row> = all
        .iter()
        .filter(|d| !order.iter().any(|o| d["id"].as_str() == Some(o)))
        .collect();
    rest.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    order.extend(
        rest.iter()
            .map(|d| d["id"].as_str().unwrap_or_default().to_string()),
    );
    for (index, id) in order.iter().enumerate() {
        tx.execute(
            "UPDATE metadata_descriptor SET position = $1, updated_at = $2 WHERE id = $3",
            &[
                Value::Int(index as i64 + 1),
                now().into(),
                id_of(&json!(id))?,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn create(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let body = body(&b)?;
    let name = required_name(&body)?;
    let choices = strings(&body, "choices")?;
    let wanted_departments = strings(&body, "departments")?;
    let project = project(&state, &p).await?;
    check_departments(&ctx, &project, &wanted_departments).await?;
    let entity_type = body
        .get("entity_type")
        .and_then(Json::as_str)
        .unwrap_or("Asset")
        .to_string();
    if !ENTITY_TYPES.contains(&entity_type.as_str()) {
        return Err(ApiError::bad_request(WRONG_ENTITY_TYPE));
    }
    let task_type = body.get("task_type_id").cloned().unwrap_or(Json::Null);
    if entity_type == "Task" {
        let task_type = task_type.as_str().ok_or_else(|| {
            ApiError::bad_request("Task metadata descriptors require a task_type_id.")
        })?;
        let id = Uuid::parse_str(task_type)
            .map_err(|_| ApiError::bad_request("Task type not found."))?;
        let known = state
            .db
            .fetch_optional("SELECT id FROM task_type WHERE id = $1", &[id.into()], None)
            .await?;
        if known.is_none() {
            return Err(ApiError::bad_request("Task type not found."));
        }
    } else if !task_type.is_null() {
        return Err(ApiError::bad_request(
            "task_type_id only applies to Task metadata descriptors.",
        ));
    }
    let data_type = data_type(&body)?;
    let field = field_name(&name)?;
    let for_client = Value::Bool(
        body.get("for_client")
            .and_then(Json::as_bool)
            .unwrap_or(false),
    );
    let mut tx = state.db.begin().await?;
    let departments = departments(&mut tx, &wanted_departments).await?;
    let spec = Spec {
        entity_type,
        task_type,
        name,
        field,
        data_type,
        choices,
        for_client,
        departments,
    };
    let id = insert(&mut tx, &identity, &project["id"], &spec).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(one(&state, &project, &id.to_string()).await?))
}

/// The rows a descriptor's values live in, and their `data`.
async fn governed(tx: &mut Tx, descriptor: &Row) -> ApiResult<(&'static str, Vec<Row>)> {
    let project = id_of(&descriptor["project_id"])?;
    let temporal = crate::crud::models::entities::temporal_types_sql!();
    let (table, sql, params) = match descriptor["entity_type"].as_str().unwrap_or("") {
        "Project" => ("project", "SELECT id, data FROM project WHERE id = $1".to_string(), vec![project]),
        "Task" => (
            "task",
            "SELECT id, data FROM task WHERE project_id = $1 AND task_type_id = $2".to_string(),
            vec![project, id_of(&descriptor["task_type_id"])?],
        ),
        "Asset" => (
            "entity",
            format!("SELECT id, data FROM entity WHERE project_id = $1 AND entity_type_id NOT IN (SELECT id FROM entity_type WHERE name IN {temporal})"),
            vec![project],
        ),
        kind => (
            "entity",
            "SELECT id, data FROM entity WHERE project_id = $1 AND entity_type_id IN (SELECT id FROM entity_type WHERE name = $2)".to_string(),
            vec![project, kind.into()],
        ),
    };
    let rows = tx.fetch_all(&sql, &params, Some(table)).await?;
    Ok((table, rows))
}

/// Moves (`to` = Some) or removes (`to` = None) a descriptor's values in the rows it governs.
async fn move_values(tx: &mut Tx, descriptor: &Row, to: Option<&str>) -> ApiResult<bool> {
    let from = descriptor["field_name"].as_str().unwrap_or("").to_string();
    let (table, rows) = governed(tx, descriptor).await?;
    let mut changed = false;
    for row in rows {
        let Json::Object(mut data) = row["data"].clone() else {
            continue;
        };
        let Some(value) = data.get(&from).cloned() else {
            continue;
        };
        match to {
            Some(to) if !value.is_null() => {
                data.remove(&from);
                data.insert(to.to_string(), value);
            }
            Some(_) => continue,
            None => {
                data.remove(&from);
            }
        }
        tx.execute(
            &format!("UPDATE {table} SET data = $1, updated_at = $2 WHERE id = $3"),
            &[
                Value::Json(Json::Object(data)),
                now().into(),
                id_of(&row["id"])?,
            ],
        )
        .await?;
        changed = true;
    }
    Ok(changed)
}

async fn update(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let body = body(&b)?;
    let choices = strings(&body, "choices")?;
    let wanted_departments = strings(&body, "departments")?;
    let project = project(&state, &p.0).await?;
    let descriptor = one(&state, &project, &p.1).await?;
    let mut scope: Vec<String> = descriptor["departments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_string))
        .collect();
    scope.extend(wanted_departments.iter().cloned());
    check_departments(&ctx, &project, &scope).await?;
    let name = match body.get("name") {
        None | Some(Json::Null) => None,
        Some(Json::String(name)) if name.is_empty() => {
            return Err(ApiError::bad_request("Name cannot be empty."))
        }
        Some(Json::String(name)) => Some(name.clone()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "name",
                "Input should be a valid string",
            ))
        }
    };
    let data_type = data_type(&body)?;
    let for_client = for_client(&body)?;
    let mut tx = state.db.begin().await?;
    let departments = departments(&mut tx, &wanted_departments).await?;
    let change = Change {
        name,
        data_type,
        choices,
        for_client,
        departments,
    };
    let data_moved = rewrite(&mut tx, &identity, &descriptor, &change).await?;
    tx.commit().await?;
    let id = descriptor["id"].as_str().unwrap_or_default().to_string();
    if data_moved {
        refresh(&state, &project).await?;
    }
    Ok(HttpResponse::Ok().json(one(&state, &project, &id).await?))
}

async fn refresh(state: &AppState, project: &Row) -> ApiResult<()> {
    state
        .projects
        .refresh(
            project["id"].as_str().unwrap_or_default(),
            Touched::everything(),
        )
        .await
        .map_err(ApiError::internal)
}

async fn delete(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p.0).await?;
    let descriptor = one(&state, &project, &p.1).await?;
    let scope: Vec<String> = descriptor["departments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_string))
        .collect();
    check_departments(&ctx, &project, &scope).await?;
    let mut tx = state.db.begin().await?;
    let data_moved = remove(&mut tx, &identity, &descriptor).await?;
    tx.commit().await?;
    if data_moved {
        refresh(&state, &project).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Puts the listed descriptors first, in order, and the others after them by name.
async fn reorder(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let body = body(&b)?;
    let entity_type = match body.get("entity_type") {
        Some(Json::String(kind)) if !kind.is_empty() => kind.clone(),
        _ => return Err(ApiError::invalid_field("entity_type", "Field required")),
    };
    let ids = strings(&body, "descriptor_ids")?;
    if ids.is_empty() {
        return Err(ApiError::invalid_field(
            "descriptor_ids",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    let project = project(&state, &p).await?;
    if !matches!(role_in(&ctx, &project).await?, Role::Admin | Role::Manager) {
        return Err(ApiError::Forbidden);
    }
    if !ENTITY_TYPES.contains(&entity_type.as_str()) {
        return Err(ApiError::bad_request(WRONG_ENTITY_TYPE));
    }
    let all: Vec<Row> = descriptors(&state.db, &project["id"], None)
        .await?
        .into_iter()
        .filter(|d| d["entity_type"] == entity_type.as_str())
        .collect();
    for id in &ids {
        if !all.iter().any(|d| d["id"].as_str() == Some(id.as_str())) {
            return Err(ApiError::Body(
                StatusCode::BAD_REQUEST,
                json!({"error": true, "message": format!("Descriptor {id} not found for project {} and entity type {entity_type}", *p), "data": null}),
            ));
        }
    }
    let mut tx = state.db.begin().await?;
    apply_order(&mut tx, &all, &ids).await?;
    tx.commit().await?;
    let rows: Vec<Row> = descriptors(&state.db, &project["id"], None)
        .await?
        .into_iter()
        .filter(|d| d["entity_type"] == entity_type.as_str())
        .collect();
    Ok(HttpResponse::Ok().json(rows))
}

const WRONG_SHARED_ENTITY_TYPE: &str =
    "Wrong entity type. Please select Asset, Shot, Sequence, Episode, Edit, or Project.";

/// The entity types a descriptor shared by all projects may describe (not tasks:
/// task types differ between projects).
fn shared_entity_type(value: Option<&str>) -> ApiResult<String> {
    match value {
        Some(kind) if kind != "Task" && ENTITY_TYPES.contains(&kind) => Ok(kind.to_string()),
        _ => Err(ApiError::bad_request(WRONG_SHARED_ENTITY_TYPE)),
    }
}

fn required_entity_type(body: &Map<String, Json>) -> ApiResult<String> {
    match body.get("entity_type") {
        Some(Json::String(kind)) if !kind.is_empty() => shared_entity_type(Some(kind)),
        Some(Json::String(_)) => Err(ApiError::invalid_field(
            "entity_type",
            "String should have at least 1 character",
        )),
        Some(_) => Err(ApiError::invalid_field(
            "entity_type",
            "Input should be a valid string",
        )),
        None => Err(ApiError::invalid_field("entity_type", "Field required")),
    }
}

/// The open projects the caller manages (all open ones for admins), by name;
/// the all-projects routes need studio manager rights first.
async fn managed_open_projects(ctx: &Ctx<'_>) -> ApiResult<Vec<Row>> {
    ctx.identity.require_manager()?;
    let open = concat!(
        "SELECT p.* FROM project p WHERE p.project_status_id IN (",
        crate::crud::scope::open_statuses_sql!(),
        ")"
    );
    let rows = if ctx.identity.is_admin() {
        ctx.db()
            .fetch_all(
                &format!("{open} ORDER BY p.name, p.id"),
                &[],
                Some("project"),
            )
            .await?
    } else {
        ctx.db()
            .fetch_all(
                &format!(
                    "{open} AND p.id IN (SELECT project_id FROM project_person_link \
                     WHERE person_id = $1 AND COALESCE(role, $2) = 'manager') ORDER BY p.name, p.id"
                ),
                &[
                    ctx.identity.person.id.into(),
                    ctx.identity.person.role.as_str().into(),
                ],
                Some("project"),
            )
            .await?
    };
    Ok(rows)
}

/// The descriptors of each project with this entity type and field name.
async fn named_everywhere(
    state: &AppState,
    projects: &[Row],
    entity_type: &str,
    field: &str,
) -> ApiResult<Vec<Row>> {
    let mut found = Vec::new();
    for project in projects {
        found.extend(
            descriptors(&state.db, &project["id"], None)
                .await?
                .into_iter()
                .filter(|d| d["entity_type"] == entity_type && d["field_name"] == field),
        );
    }
    Ok(found)
}

/// The projects whose values moved, for their actors to reload.
fn moved_in<'a>(projects: &'a [Row], descriptor: &Row) -> impl Iterator<Item = &'a Row> {
    let project = descriptor["project_id"].clone();
    projects.iter().filter(move |p| p["id"] == project)
}

async fn refresh_all(state: &AppState, projects: &[&Row]) -> ApiResult<()> {
    for project in projects {
        refresh(state, project).await?;
    }
    Ok(())
}

/// Creates the descriptor in each managed open project that lacks it; all or nothing.
async fn create_everywhere(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let projects = managed_open_projects(&ctx).await?;
    let body = body(&b)?;
    let name = required_name(&body)?;
    let choices = strings(&body, "choices")?;
    let wanted_departments = strings(&body, "departments")?;
    let entity_type = shared_entity_type(Some(
        body.get("entity_type")
            .and_then(Json::as_str)
            .unwrap_or("Asset"),
    ))?;
    let data_type = data_type(&body)?;
    let field = field_name(&name)?;
    let for_client = Value::Bool(
        body.get("for_client")
            .and_then(Json::as_bool)
            .unwrap_or(false),
    );
    let existing = named_everywhere(&state, &projects, &entity_type, &field).await?;
    let mut tx = state.db.begin().await?;
    let departments = departments(&mut tx, &wanted_departments).await?;
    let spec = Spec {
        entity_type,
        task_type: Json::Null,
        name,
        field,
        data_type,
        choices,
        for_client,
        departments,
    };
    let mut created = Vec::new();
    for project in &projects {
        if existing.iter().any(|d| d["project_id"] == project["id"]) {
            continue;
        }
        let id = insert(&mut tx, &identity, &project["id"], &spec).await?;
        created.push((project, id));
    }
    tx.commit().await?;
    let mut answer = Vec::new();
    for (project, id) in created {
        answer.extend(descriptors(&state.db, &project["id"], Some(id)).await?);
    }
    Ok(HttpResponse::Created().json(answer))
}

/// Rewrites the descriptor of this field name in each managed open project;
/// one refusal (a name taken somewhere) and nothing changes.
async fn update_everywhere(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let projects = managed_open_projects(&ctx).await?;
    let body = body(&b)?;
    let entity_type = required_entity_type(&body)?;
    let name = match body.get("name") {
        None | Some(Json::Null) => None,
        Some(Json::String(name)) => Some(name.clone()).filter(|n| !n.is_empty()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "name",
                "Input should be a valid string",
            ))
        }
    };
    let choices = strings(&body, "choices")?;
    let wanted_departments = strings(&body, "departments")?;
    let data_type = data_type(&body)?;
    let for_client = for_client(&body)?;
    let targets = named_everywhere(&state, &projects, &entity_type, &path).await?;
    let mut tx = state.db.begin().await?;
    let departments = departments(&mut tx, &wanted_departments).await?;
    let change = Change {
        name,
        data_type,
        choices,
        for_client,
        departments,
    };
    let mut moved = Vec::new();
    for descriptor in &targets {
        if rewrite(&mut tx, &identity, descriptor, &change).await? {
            moved.extend(moved_in(&projects, descriptor));
        }
    }
    tx.commit().await?;
    refresh_all(&state, &moved).await?;
    let mut answer = Vec::new();
    for descriptor in &targets {
        let id = Uuid::parse_str(descriptor["id"].as_str().unwrap_or_default())
            .map_err(ApiError::internal)?;
        answer.extend(descriptors(&state.db, &descriptor["project_id"], Some(id)).await?);
    }
    Ok(HttpResponse::Ok().json(answer))
}

/// Deletes the descriptor of this field name (`?entity_type=`) from each managed open project.
async fn delete_everywhere(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let projects = managed_open_projects(&ctx).await?;
    let entity_type = shared_entity_type(ctx.param("entity_type"))?;
    let targets = named_everywhere(&state, &projects, &entity_type, &path).await?;
    let mut tx = state.db.begin().await?;
    let mut moved = Vec::new();
    for descriptor in &targets {
        if remove(&mut tx, &identity, descriptor).await? {
            moved.extend(moved_in(&projects, descriptor));
        }
    }
    tx.commit().await?;
    refresh_all(&state, &moved).await?;
    let ids: Vec<&Json> = targets.iter().map(|d| &d["id"]).collect();
    Ok(HttpResponse::Ok().json(ids))
}

/// Orders the descriptors named in `field_order` first in each managed open
/// project that has any of them; answers those projects' lists.
async fn reorder_everywhere(
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
    b: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let projects = managed_open_projects(&ctx).await?;
    let body = body(&b)?;
    let entity_type = required_entity_type(&body)?;
    let fields = strings(&body, "field_order")?;
    if fields.is_empty() {
        return Err(ApiError::invalid_field(
            "field_order",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    let mut tx = state.db.begin().await?;
    let mut reordered = Vec::new();
    for project in &projects {
        let all: Vec<Row> = descriptors(&state.db, &project["id"], None)
            .await?
            .into_iter()
            .filter(|d| d["entity_type"] == entity_type.as_str())
            .collect();
        let ids: Vec<String> = fields
            .iter()
            .filter_map(|field| all.iter().find(|d| d["field_name"] == field.as_str()))
            .filter_map(|d| d["id"].as_str().map(str::to_string))
            .collect();
        if !ids.is_empty() {
            apply_order(&mut tx, &all, &ids).await?;
            reordered.push(project);
        }
    }
    tx.commit().await?;
    let mut answer = Vec::new();
    for project in reordered {
        answer.extend(
            descriptors(&state.db, &project["id"], None)
                .await?
                .into_iter()
                .filter(|d| d["entity_type"] == entity_type.as_str()),
        );
    }
    Ok(HttpResponse::Ok().json(answer))
}
