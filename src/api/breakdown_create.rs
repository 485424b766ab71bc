//! Building a breakdown: creating episodes, sequences, shots, scenes, edits,
//! concepts and assets in a project; listing them per project and per parent;
//! an entity's tasks and task types; creating an entity's tasks.

use super::breakdown::Kind;
use super::entity_lists::{task_rows, EPISODE_SHOTS, SEQUENCE_SHOTS};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::entity_kind;
use crate::crud::scope::{self, team_role};
use crate::crud::{id_of, where_clause, Condition, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for kind in [
        Kind::Episode,
        Kind::Sequence,
        Kind::Shot,
        Kind::Scene,
        Kind::Edit,
        Kind::Concept,
    ] {
        let path = format!("/data/projects/{{project_id}}/{}", kind.route());
        routes.push(Route::new(
            Method::POST,
            path.clone(),
            format!("Create one of {}", kind.route()),
            move |r| {
                r.to(move |state, identity, p, req, body| {
                    create(kind, state, identity, p, req, body)
                })
            },
        ));
        routes.push(Route::new(
            Method::GET,
            path,
            format!("List the project's {}", kind.route()),
            move |r| {
                r.to(move |state, identity, p, req| project_list(kind, state, identity, p, req))
            },
        ));
    }
    routes.push(Route::new(
        Method::GET,
        "/data/projects/{project_id}/assets",
        "List the project's assets",
        |r| r.to(|state, identity, p, req| project_list(Kind::Asset, state, identity, p, req)),
    ));
    routes.push(Route::new(
        Method::POST,
        "/data/projects/{project_id}/asset-types/{asset_type_id}/assets/new",
        "Create an asset",
        |r| r.to(create_asset),
    ));
    routes.push(Route::new(
        Method::GET,
        "/data/projects/{project_id}/asset-types/{asset_type_id}/assets",
        "List the project's assets of a type",
        |r| r.to(assets_of_type),
    ));
    routes.push(Route::new(
        Method::GET,
        "/data/projects/{project_id}/asset-types",
        "List the project's asset types",
        |r| r.to(project_asset_types),
    ));
    for (path, parent, child) in [
        (
            "/data/episodes/{episode_id}/sequences",
            Kind::Episode,
            Kind::Sequence,
        ),
        (
            "/data/sequences/{sequence_id}/shots",
            Kind::Sequence,
            Kind::Shot,
        ),
        (
            "/data/episodes/{episode_id}/shots",
            Kind::Episode,
            Kind::Shot,
        ),
        (
            "/data/sequences/{sequence_id}/scenes",
            Kind::Sequence,
            Kind::Scene,
        ),
        (
            "/data/episodes/{episode_id}/edits",
            Kind::Episode,
            Kind::Edit,
        ),
    ] {
        routes.push(Route::new(
            Method::GET,
            path,
            format!("List the {} of one of {}", child.route(), parent.route()),
            move |r| {
                r.to(move |state, identity, id, req| {
                    children(parent, child, state, identity, id, req)
                })
            },
        ));
    }
    for kind in [
        Kind::Shot,
        Kind::Asset,
        Kind::Sequence,
        Kind::Episode,
        Kind::Edit,
        Kind::Concept,
        Kind::Scene,
    ] {
        let base = format!("/data/{}/{{{}_id}}", kind.route(), kind.event_prefix());
        routes.push(Route::new(
            Method::GET,
            format!("{base}/tasks"),
            format!("Get the tasks of one of {}", kind.route()),
            move |r| {
                r.to(move |state, identity, id, req| entity_tasks(kind, state, identity, id, req))
            },
        ));
        routes.push(Route::new(
            Method::GET,
            format!("{base}/task-types"),
            format!("Get the task types of one of {}", kind.route()),
            move |r| {
                r.to(move |state, identity, id, req| {
                    entity_task_types(kind, state, identity, id, req)
                })
            },
        ));
    }
    routes.push(Route::new(
        Method::POST,
        "/data/entities/{entity_id}/tasks",
        "Create tasks for an entity",
        |r| r.to(create_entity_tasks),
    ));
    routes
}

/// A project that exists (404 otherwise).
pub(super) async fn project(state: &AppState, id: &str) -> ApiResult<Row> {
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

/// The request body: a JSON object, or the query string when there is none.
fn fields(req: &HttpRequest, body: &[u8]) -> ApiResult<Map<String, Json>> {
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Object(object)) => Ok(object),
        Ok(Json::Null) | Err(_)
            if body.trim_ascii().is_empty() || serde_json::from_slice::<Json>(body).is_err() =>
        {
            Ok(
                serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, Json::String(v)))
                    .collect(),
            )
        }
        _ => Err(ApiError::invalid_field(
            "",
            "Input should be a valid dictionary",
        )),
    }
}

fn name(fields: &Map<String, Json>) -> ApiResult<String> {
    match fields.get("name") {
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

/// An optional text field; `absent` is what an absent key becomes.
fn text(fields: &Map<String, Json>, key: &str, absent: Json) -> ApiResult<Json> {
    match fields.get(key) {
        None => Ok(absent),
        Some(value @ (Json::Null | Json::String(_))) => Ok(value.clone()),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

/// `data`: an object, stored as `{}` when absent or null.
fn data(fields: &Map<String, Json>) -> ApiResult<Json> {
    match fields.get("data") {
        None | Some(Json::Null) => Ok(json!({})),
        Some(value @ Json::Object(_)) => Ok(value.clone()),
        Some(_) => Err(ApiError::invalid_field(
            "data",
            "Input should be a valid dictionary",
        )),
    }
}

/// The concept folder of the project a new concept goes in (404 for anything else).
async fn concept_folder(
    state: &AppState,
    fields: &Map<String, Json>,
    project: &Row,
) -> ApiResult<Json> {
    let folder = match fields.get("parent_id") {
        None | Some(Json::Null) => return Ok(Json::Null),
        Some(Json::String(id)) => Uuid::parse_str(id).map_err(|_| {
            ApiError::invalid_field("parent_id", "Value error, must be a valid UUID")
        })?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "parent_id",
                "Input should be a valid string",
            ))
        }
    };
    let found = state
        .db
        .fetch_optional(
            "SELECT e.id FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
             WHERE e.id = $1 AND e.project_id = $2 AND et.name = 'ConceptFolder'",
            &[folder.into(), id_of(&project["id"])?],
            None,
        )
        .await?;
    found.map(|row| row["id"].clone()).ok_or(ApiError::NotFound)
}

/// The entities of the project a new concept shows: ids, bare or as
/// `{"id": ...}`; ids that name nothing there are skipped, as in Zou.
async fn concept_links(
    state: &AppState,
    fields: &Map<String, Json>,
    project: &Row,
) -> ApiResult<Vec<Uuid>> {
    let items = match fields.get("entity_concept_links") {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "entity_concept_links",
                "Input should be a valid list",
            ))
        }
    };
    let mut links = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let field = format!("entity_concept_links.{index}");
        let id = item
            .as_str()
            .or_else(|| item.get("id").and_then(Json::as_str));
        let id = id
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| ApiError::invalid_field(&field, "Input should be a valid UUID"))?;
        let known = state
            .db
            .fetch_optional(
                "SELECT id FROM entity WHERE id = $1 AND project_id = $2",
                &[id.into(), id_of(&project["id"])?],
                None,
            )
            .await?;
        if known.is_some() && !links.contains(&id) {
            links.push(id);
        }
    }
    Ok(links)
}

/// An optional id naming an entity of `kind` in the project (404 otherwise).
async fn parent(
    state: &AppState,
    fields: &Map<String, Json>,
    key: &str,
    kind: Kind,
    project: &Row,
) -> ApiResult<Json> {
    let value = match fields.get(key) {
        None | Some(Json::Null) => return Ok(Json::Null),
        Some(Json::String(id)) => Uuid::parse_str(id)
            .map_err(|_| ApiError::invalid_field(key, "Input should be a valid UUID"))?,
        Some(_) => return Err(ApiError::invalid_field(key, "Input should be a valid UUID")),
    };
    let (where_sql, params) = where_clause(&[
        Condition::new(
            "id = ? AND project_id = ?",
            vec![value.into(), id_of(&project["id"])?],
        ),
        kind.type_condition(),
    ]);
    let found = state
        .db
        .fetch_optional(&format!("SELECT id FROM entity{where_sql}"), &params, None)
        .await?;
    found.map(|row| row["id"].clone()).ok_or(ApiError::NotFound)
}

pub(super) async fn type_id(tx: &mut Tx, name: &str) -> ApiResult<Json> {
    tx.fetch_optional(
        "SELECT id FROM entity_type WHERE name = $1",
        &[name.into()],
        None,
    )
    .await?
    .map(|row| row["id"].clone())
    .ok_or_else(|| ApiError::internal(format!("the {name} entity type is missing")))
}

fn typed(mut row: Row, kind: Kind) -> Json {
    row.insert("type".into(), json!(kind.type_name()));
    Json::Object(row)
}

pub(super) async fn refresh(state: &AppState, project: &Json, touched: Touched) -> ApiResult<()> {
    match scope::project_id(Some(project)) {
        Some(project) => state
            .projects
            .refresh(&project.to_string(), touched)
            .await
            .map_err(ApiError::internal),
        None => Ok(()),
    }
}

/// An entity to create, unless one of that name exists under that parent.
struct NewEntity {
    kind: Kind,
    /// The asset type of an asset; other kinds have their own type.
    entity_type: Option<Json>,
    values: Vec<(&'static str, Json)>,
    /// The column that, with the name, finds an existing entity (none: always create).
    lookup_parent: Option<&'static str>,
    /// What the creation event carries beyond the new id.
    event: Map<String, Json>,
    /// The entities a new concept shows.
    concept_links: Vec<Uuid>,
}

/// Creates an entity, or answers the one of that name under that parent
/// (assets excepted: Zou keeps homonyms apart).
async fn get_or_create(
    state: &AppState,
    identity: &Identity,
    project: &Row,
    new: NewEntity,
) -> ApiResult<HttpResponse> {
    let NewEntity {
        kind,
        entity_type,
        values,
        lookup_parent,
        event,
        concept_links,
    } = new;
    let mut tx = state.db.begin().await?;
    let entity_type = match entity_type {
        Some(id) => id,
        None => type_id(&mut tx, kind.type_name()).await?,
    };
    let values: Map<String, Json> = values
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    if let Some(parent_key) = lookup_parent {
        let parent = values.get(parent_key).cloned().unwrap_or(Json::Null);
        let parent_condition = if parent.is_null() {
            format!("{parent_key} IS NULL")
        } else {
            format!("{parent_key} = $4")
        };
        let mut params = vec![
            id_of(&entity_type)?,
            id_of(&project["id"])?,
            values["name"].as_str().unwrap_or("").into(),
        ];
        if !parent.is_null() {
            params.push(id_of(&parent)?);
        }
        let existing = tx
            .fetch_optional(
                &format!("SELECT * FROM entity WHERE entity_type_id = $1 AND project_id = $2 AND name = $3 AND {parent_condition}"),
                &params,
                Some("entity"),
            )
            .await?;
        if let Some(existing) = existing {
            return Ok(HttpResponse::Created().json(typed(existing, kind)));
        }
    }
    let stamp = now();
    let mut row: Vec<(&str, Value)> = vec![
        ("id", Uuid::now_v7().into()),
        ("project_id", id_of(&project["id"])?),
        ("entity_type_id", id_of(&entity_type)?),
        ("canceled", false.into()),
        ("nb_entities_out", Value::Int(0)),
        ("is_casting_standby", false.into()),
        ("created_by", identity.person.id.into()),
        ("created_at", stamp.into()),
        ("updated_at", stamp.into()),
    ];
    let schema = state
        .db
        .schema()
        .table("entity")
        .ok_or_else(|| ApiError::internal("entity table"))?;
    for (key, value) in &values {
        let kind = schema
            .kind(key)
            .ok_or_else(|| ApiError::internal(format!("entity.{key}")))?;
        row.push((
            key.as_str(),
            Value::from_json(kind, value).map_err(|e| ApiError::invalid_field(key, e))?,
        ));
    }
    if !values.contains_key("is_shared") {
        row.push(("is_shared", false.into()));
    }
    if !values.contains_key("status") {
        row.push(("status", "running".into()));
    }
    let mut created = tx.insert("entity", &row).await?;
    for link in &concept_links {
        tx.insert(
            "entity_concept_link",
            &[
                ("id", Uuid::now_v7().into()),
                ("entity_in_id", id_of(&created["id"])?),
                ("entity_out_id", (*link).into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    }
    if kind == Kind::Concept {
        created.insert("entity_concept_links".into(), json!(concept_links));
    }
    let prefix = kind.event_prefix();
    let mut announce = Event::new(
        format!("{prefix}:new"),
        &format!("{prefix}_id"),
        created["id"].as_str().unwrap_or_default(),
    )
    .in_project(scope::project_id(project.get("id")));
    announce.data.extend(event);
    announce.record(&mut tx, identity.person.id).await?;
    tx.commit().await?;
    let touched = Touched {
        entities: vec![created["id"].as_str().unwrap_or_default().to_string()],
        ..Default::default()
    };
    refresh(state, &project["id"], touched).await?;
    Ok(HttpResponse::Created().json(typed(created, kind)))
}

async fn create(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let fields = fields(&req, &body)?;
    let name = name(&fields)?;
    let project = project(&state, &p).await?;
    let ctx = Ctx::new(&state, &identity, &req);
    if kind == Kind::Concept {
        scope::require_role(&ctx, project.get("id"), |role| {
            !matches!(role, Role::Vendor | Role::Client)
        })
        .await?;
    } else {
        scope::require_manager(&ctx, project.get("id")).await?;
    }
    let mut event = Map::new();
    let (values, lookup): (Vec<(&'static str, Json)>, Option<&str>) = match kind {
        Kind::Episode => {
            let status = match fields.get("status") {
                Some(Json::String(s))
                    if ["running", "complete", "standby", "canceled"].contains(&s.as_str()) =>
                {
                    json!(s)
                }
                None | Some(Json::Null) | Some(Json::String(_)) => json!("running"),
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "status",
                        "Input should be a valid string",
                    ))
                }
            };
            (
                vec![
                    ("name", json!(name)),
                    ("status", status),
                    ("description", text(&fields, "description", json!(""))?),
                    ("data", data(&fields)?),
                ],
                Some("parent_id"),
            )
        }
        Kind::Sequence => {
            let episode = parent(&state, &fields, "episode_id", Kind::Episode, &project).await?;
            (
                vec![
                    ("name", json!(name)),
                    ("parent_id", episode),
                    ("description", text(&fields, "description", json!(""))?),
                    ("data", data(&fields)?),
                ],
                Some("parent_id"),
            )
        }
        Kind::Shot => {
            let sequence = parent(&state, &fields, "sequence_id", Kind::Sequence, &project).await?;
            let nb_frames = match fields.get("nb_frames") {
                None | Some(Json::Null) => Json::Null,
                Some(n) if n.as_i64().is_some() => n.clone(),
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "nb_frames",
                        "Input should be a valid integer",
                    ))
                }
            };
            let episode = match scope::project_id(Some(&sequence)) {
                Some(sequence) => state
                    .db
                    .fetch_optional(
                        "SELECT parent_id FROM entity WHERE id = $1",
                        &[sequence.into()],
                        None,
                    )
                    .await?
                    .map_or(Json::Null, |s| s["parent_id"].clone()),
                None => Json::Null,
            };
            event.insert("episode_id".into(), episode);
            (
                vec![
                    ("name", json!(name)),
                    ("parent_id", sequence),
                    ("nb_frames", nb_frames),
                    ("description", text(&fields, "description", Json::Null)?),
                    ("data", data(&fields)?),
                ],
                Some("parent_id"),
            )
        }
        Kind::Scene => {
            let sequence = parent(&state, &fields, "sequence_id", Kind::Sequence, &project).await?;
            (
                vec![
                    ("name", json!(name)),
                    ("parent_id", sequence),
                    ("data", json!({})),
                ],
                Some("parent_id"),
            )
        }
        Kind::Edit => {
            let episode = parent(&state, &fields, "episode_id", Kind::Episode, &project).await?;
            event.insert("parent_id".into(), episode.clone());
            (
                vec![
                    ("name", json!(name)),
                    ("parent_id", episode),
                    ("description", text(&fields, "description", json!(""))?),
                    ("data", data(&fields)?),
                ],
                Some("parent_id"),
            )
        }
        Kind::Concept => (
            vec![
                ("name", json!(name)),
                (
                    "parent_id",
                    concept_folder(&state, &fields, &project).await?,
                ),
                ("description", text(&fields, "description", Json::Null)?),
                ("data", data(&fields)?),
            ],
            None,
        ),
        Kind::Asset => unreachable!("assets are created under their type"),
    };
    if kind == Kind::Concept {
        // Zou finds concepts by name alone, whatever folder they are in.
        let mut tx = state.db.begin().await?;
        let concept_type = type_id(&mut tx, "Concept").await?;
        let existing = tx
            .fetch_optional(
                "SELECT * FROM entity WHERE entity_type_id = $1 AND project_id = $2 AND name = $3",
                &[
                    id_of(&concept_type)?,
                    id_of(&project["id"])?,
                    name.as_str().into(),
                ],
                Some("entity"),
            )
            .await?;
        drop(tx);
        if let Some(mut existing) = existing {
            let links = state
                .db
                .fetch_all(
                    "SELECT entity_out_id FROM entity_concept_link WHERE entity_in_id = $1 ORDER BY entity_out_id",
                    &[id_of(&existing["id"])?],
                    None,
                )
                .await?;
            let links: Vec<Json> = links
                .into_iter()
                .map(|l| l["entity_out_id"].clone())
                .collect();
            existing.insert("entity_concept_links".into(), json!(links));
            return Ok(HttpResponse::Created().json(typed(existing, kind)));
        }
    }
    let concept_links = match kind {
        Kind::Concept => concept_links(&state, &fields, &project).await?,
        _ => Vec::new(),
    };
    let new = NewEntity {
        kind,
        entity_type: None,
        values,
        lookup_parent: lookup,
        event,
        concept_links,
    };
    get_or_create(&state, &identity, &project, new).await
}

async fn create_asset(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let fields = fields(&req, &body)?;
    let name = name(&fields)?;
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(p.0))).await?;
    let project = project(&state, &p.0).await?;
    let asset_type = Uuid::parse_str(&p.1).map_err(|_| ApiError::NotFound)?;
    let asset_type = state
        .db
        .fetch_optional(
            concat!(
                "SELECT id FROM entity_type WHERE id = $1 AND name NOT IN ",
                crate::crud::models::entities::temporal_types_sql!()
            ),
            &[asset_type.into()],
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let episode = parent(&state, &fields, "episode_id", Kind::Episode, &project).await?;
    let is_shared = match fields.get("is_shared") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(shared)) => *shared,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "is_shared",
                "Input should be a valid boolean",
            ))
        }
    };
    let data = match fields.get("data") {
        None => json!({}),
        Some(value @ (Json::Null | Json::Object(_))) => value.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "data",
                "Input should be a valid dictionary",
            ))
        }
    };
    let mut event = Map::new();
    event.insert("asset_type".into(), asset_type["id"].clone());
    let values = vec![
        ("name", json!(name)),
        ("source_id", episode),
        ("description", text(&fields, "description", json!(""))?),
        ("data", data),
        ("is_shared", json!(is_shared)),
    ];
    let new = NewEntity {
        kind: Kind::Asset,
        entity_type: Some(asset_type["id"].clone()),
        values,
        lookup_parent: None,
        event,
        concept_links: Vec::new(),
    };
    get_or_create(&state, &identity, &project, new).await
}

fn assigned_to_me(ctx: &Ctx<'_>) -> Condition {
    Condition::new(
        "id IN (SELECT t.entity_id FROM task t JOIN task_person_link a ON a.task_id = t.id WHERE a.person_id = ?)",
        vec![ctx.identity.person.id.into()],
    )
}

/// Entities of a kind matching the conditions, sorted by name, as the caller may see them.
async fn list(
    ctx: &Ctx<'_>,
    kind: Kind,
    mut conditions: Vec<Condition>,
    role: Role,
) -> ApiResult<Vec<Json>> {
    conditions.push(kind.type_condition());
    if role == Role::Vendor {
        conditions.push(assigned_to_me(ctx));
    }
    let (where_sql, params) = where_clause(&conditions);
    let mut rows = ctx
        .db()
        .fetch_all(
            &format!("SELECT * FROM entity{where_sql} ORDER BY name, id"),
            &params,
            Some("entity"),
        )
        .await?;
    super::breakdown::mask_for_vendor(ctx, &mut rows).await?;
    Ok(rows.into_iter().map(|row| typed(row, kind)).collect())
}

async fn project_list(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p).await?;
    let role = team_role(&ctx, project.get("id")).await?;
    if kind == Kind::Concept && matches!(role, Role::Vendor | Role::Client) {
        return Err(ApiError::Forbidden);
    }
    let mut conditions = vec![Condition::new(
        "project_id = ?",
        vec![id_of(&project["id"])?],
    )];
    if kind == Kind::Asset {
        conditions.extend(asset_criteria(&ctx)?);
    }
    Ok(HttpResponse::Ok().json(list(&ctx, kind, conditions, role).await?))
}

/// The query criteria Kitsu sends with asset lists (name, episode, columns).
pub(super) fn asset_criteria(ctx: &Ctx<'_>) -> ApiResult<Vec<Condition>> {
    let mut conditions = Vec::new();
    let pairs: Vec<(String, String)> = ctx
        .query
        .iter()
        .filter(|(key, _)| !["project_id", "episode_id", "page"].contains(&key.as_str()))
        .cloned()
        .collect();
    let table = ctx
        .db()
        .schema()
        .table("entity")
        .ok_or_else(|| ApiError::internal("entity table"))?;
    conditions.extend(crate::crud::column_filters(
        ctx,
        &crate::crud::models::entities::ENTITIES,
        table,
        &pairs,
    )?);
    if let Some(episode) = ctx.param("episode_id") {
        let episode = Uuid::parse_str(episode)
            .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {episode}")))?;
        conditions.push(Condition::new(
            "source_id = ? OR id IN (SELECT entity_out_id FROM entity_link WHERE entity_in_id = ?)",
            vec![episode.into(), episode.into()],
        ));
    }
    Ok(conditions)
}

async fn assets_of_type(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p.0).await?;
    let role = team_role(&ctx, project.get("id")).await?;
    let asset_type = Uuid::parse_str(&p.1)
        .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {}", p.1)))?;
    let mut conditions = vec![
        Condition::new("project_id = ?", vec![id_of(&project["id"])?]),
        Condition::new("entity_type_id = ?", vec![asset_type.into()]),
    ];
    conditions.extend(asset_criteria(&ctx)?);
    Ok(HttpResponse::Ok().json(list(&ctx, Kind::Asset, conditions, role).await?))
}

async fn project_asset_types(
    state: web::Data<AppState>,
    identity: Identity,
    p: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &p).await?;
    team_role(&ctx, project.get("id")).await?;
    let rows = state
        .db
        .fetch_all(
            concat!(
                "SELECT id, name, short_name, description, archived, created_at, updated_at FROM entity_type \
                 WHERE id IN (SELECT entity_type_id FROM entity WHERE project_id = $1) AND name NOT IN ",
                crate::crud::models::entities::temporal_types_sql!(),
                " ORDER BY name"
            ),
            &[id_of(&project["id"])?],
            Some("entity_type"),
        )
        .await?;
    let rows: Vec<Json> = super::typed(rows, "AssetType");
    Ok(HttpResponse::Ok().json(rows))
}

/// An entity of this kind (404 otherwise), readable by the caller; returns it and their role.
pub(super) async fn readable(ctx: &Ctx<'_>, kind: Kind, id: &str) -> ApiResult<(Row, Role)> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let (where_sql, params) = where_clause(&[
        Condition::new("id = ?", vec![id.into()]),
        kind.type_condition(),
    ]);
    let row = ctx
        .db()
        .fetch_optional(
            &format!("SELECT * FROM entity{where_sql}"),
            &params,
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = team_role(ctx, row.get("project_id")).await?;
    Ok((row, role))
}

async fn children(
    parent: Kind,
    child: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, parent, &id).await?;
    let key = id_of(&row["id"])?;
    let condition = if parent == Kind::Episode && child == Kind::Shot {
        Condition::new(
            "parent_id IN (SELECT id FROM entity WHERE parent_id = ?)",
            vec![key],
        )
    } else {
        Condition::new("parent_id = ?", vec![key])
    };
    let mut rows = list(&ctx, child, vec![condition], role).await?;
    if child == Kind::Shot && parent == Kind::Sequence {
        // A sequence's shots carry their sequence's and project's names.
        let project_name = name_in(&ctx, "project", &row["project_id"]).await?;
        for shot in rows.iter_mut() {
            shot["sequence_name"] = row["name"].clone();
            shot["project_name"] = project_name.clone();
        }
    }
    Ok(HttpResponse::Ok().json(rows))
}

async fn name_in(ctx: &Ctx<'_>, table: &str, id: &Json) -> ApiResult<Json> {
    if id.is_null() {
        return Ok(Json::Null);
    }
    Ok(ctx
        .db()
        .fetch_optional(
            &format!("SELECT name FROM {table} WHERE id = $1"),
            &[id_of(id)?],
            None,
        )
        .await?
        .map_or(Json::Null, |r| r["name"].clone()))
}

/// Vendors reach an entity's tasks only where they are assigned.
pub(super) async fn check_vendor(ctx: &Ctx<'_>, role: Role, row: &Row) -> ApiResult<()> {
    if role == Role::Vendor && !scope::assigned_on_entity(ctx, &row["id"]).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

async fn entity_tasks(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, kind, &id).await?;
    check_vendor(&ctx, role, &row).await?;
    if kind == Kind::Concept && role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let relations = !matches!(kind, Kind::Episode | Kind::Scene);
    let tasks = task_rows(&ctx, role, "SELECT $1", &row["id"], relations).await?;
    Ok(HttpResponse::Ok().json(tasks))
}

async fn entity_task_types(
    kind: Kind,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (row, role) = readable(&ctx, kind, &id).await?;
    check_vendor(&ctx, role, &row).await?;
    // Containers list the task types of what they contain, as Zou does.
    let entities = match kind {
        Kind::Sequence => SEQUENCE_SHOTS,
        Kind::Episode => EPISODE_SHOTS,
        _ => "SELECT $1",
    };
    let rows = state
        .db
        .fetch_all(
            &format!("SELECT * FROM task_type WHERE id IN (SELECT task_type_id FROM task WHERE entity_id IN ({entities})) ORDER BY priority, name"),
            &[id_of(&row["id"])?],
            Some("task_type"),
        )
        .await?;
    let rows: Vec<Json> = super::typed(rows, "TaskType");
    Ok(HttpResponse::Ok().json(rows))
}

/// A new `main` task with Zou's defaults, its assigner the author, and its event.
pub(super) async fn insert_main_task(
    tx: &mut Tx,
    author: Uuid,
    project: &Value,
    entity: Value,
    task_type: Value,
    status: Value,
) -> ApiResult<Row> {
    let stamp = now();
    let task = tx
        .insert(
            "task",
            &[
                ("id", Uuid::now_v7().into()),
                ("name", "main".into()),
                ("project_id", project.clone()),
                ("entity_id", entity),
                ("task_type_id", task_type),
                ("task_status_id", status),
                ("assigner_id", author.into()),
                ("priority", Value::Int(0)),
                ("difficulty", Value::Int(3)),
                ("duration", Value::Float(0.0)),
                ("estimation", Value::Float(0.0)),
                ("completion_rate", Value::Int(0)),
                ("retake_count", Value::Int(0)),
                ("sort_order", Value::Int(0)),
                ("nb_assets_ready", Value::Int(0)),
                ("nb_drawings", Value::Int(0)),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    let project_id = match project {
        Value::Uuid(id) => Some(*id),
        _ => None,
    };
    Event::new(
        "task:new",
        "task_id",
        task["id"].as_str().unwrap_or_default(),
    )
    .in_project(project_id)
    .record(tx, author)
    .await?;
    Ok(task)
}

/// The status new tasks start in: the default one for concepts (`Neutral`)
/// or for everything else (`Todo`); any default one when that kind has none.
pub(super) async fn default_status(tx: &mut Tx, concept: bool) -> ApiResult<Row> {
    let status = tx
        .fetch_optional(
            "SELECT * FROM task_status WHERE is_default = TRUE AND for_concept = $1 ORDER BY created_at LIMIT 1",
            &[concept.into()],
            Some("task_status"),
        )
        .await?;
    match status {
        Some(status) => Ok(status),
        None => tx
            .fetch_optional(
                "SELECT * FROM task_status WHERE is_default = TRUE ORDER BY created_at LIMIT 1",
                &[],
                Some("task_status"),
            )
            .await?
            .ok_or_else(|| ApiError::internal("no default task status")),
    }
}

/// Creates an entity's `main` tasks for the given task types, or for every
/// task type the project uses for this kind of entity.
async fn create_entity_tasks(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let entity_id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let entity = state
        .db
        .fetch_optional(
            "SELECT e.*, t.name AS type_name FROM entity e JOIN entity_type t ON t.id = e.entity_type_id WHERE e.id = $1",
            &[entity_id.into()],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = team_role(&ctx, entity.get("project_id")).await?;
    check_vendor(&ctx, role, &entity).await?;
    if matches!(role, Role::Vendor | Role::Client) {
        return Err(ApiError::Forbidden);
    }
    let fields = fields(&req, &body)?;
    let wanted: Vec<Uuid> = match fields.get("task_type_ids") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(ids)) => {
            let mut wanted = Vec::new();
            for id in ids {
                let id = id
                    .as_str()
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .ok_or(ApiError::NotFound)?;
                if !wanted.contains(&id) {
                    wanted.push(id);
                }
            }
            wanted
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "task_type_ids",
                "Input should be a valid list",
            ))
        }
    };
    let kind = entity_kind(entity["type_name"].as_str().unwrap_or("")).to_string();
    let project = id_of(&entity["project_id"])?;
    let enabled: Vec<Row> = state
        .db
        .fetch_all(
            "SELECT t.id, t.for_entity FROM task_type t JOIN project_task_type_link l ON l.task_type_id = t.id \
             WHERE l.project_id = $1 ORDER BY l.priority, t.priority, t.name",
            std::slice::from_ref(&project),
            None,
        )
        .await?;
    let workflow: Vec<String> = state
        .db
        .fetch_all(
            "SELECT task_type_id FROM task_type_asset_type_link WHERE asset_type_id = $1",
            &[id_of(&entity["entity_type_id"])?],
            None,
        )
        .await?
        .into_iter()
        .filter_map(|r| r["task_type_id"].as_str().map(str::to_string))
        .collect();
    let fits = |for_entity: &Json| {
        for_entity
            .as_str()
            .is_none_or(|f| f.is_empty() || f == kind)
    };
    let mut chosen: Vec<String> = Vec::new();
    if wanted.is_empty() {
        for task_type in &enabled {
            let id = task_type["id"].as_str().unwrap_or_default().to_string();
            let in_workflow = kind != "Asset" || workflow.is_empty() || workflow.contains(&id);
            if in_workflow && fits(&task_type["for_entity"]) {
                chosen.push(id);
            }
        }
    } else {
        for task_type_id in wanted {
            let task_type = state
                .db
                .fetch_optional(
                    "SELECT id, for_entity FROM task_type WHERE id = $1",
                    &[task_type_id.into()],
                    None,
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            let id = task_type_id.to_string();
            if !fits(&task_type["for_entity"]) {
                return Err(ApiError::bad_request(format!(
                    "Task type {id} is for {} entities, got {kind}.",
                    task_type["for_entity"].as_str().unwrap_or_default()
                )));
            }
            if !enabled
                .iter()
                .any(|t| t["id"].as_str() == Some(id.as_str()))
            {
                return Err(ApiError::bad_request(format!(
                    "Task type {id} is not enabled in project {}.",
                    entity["project_id"].as_str().unwrap_or_default()
                )));
            }
            if kind == "Asset" && !workflow.is_empty() && !workflow.contains(&id) {
                return Err(ApiError::bad_request(format!(
                    "Task type {id} is not in the workflow of asset type {}.",
                    entity["entity_type_id"].as_str().unwrap_or_default()
                )));
            }
            chosen.push(id);
        }
    }
    let mut tx = state.db.begin().await?;
    let status = default_status(&mut tx, kind == "Concept").await?;
    let mut created = Vec::new();
    let mut touched = Touched::default();
    for task_type in chosen {
        let task_type = Uuid::parse_str(&task_type).map_err(ApiError::internal)?;
        let exists = tx
            .fetch_optional(
                "SELECT id FROM task WHERE entity_id = $1 AND task_type_id = $2 AND name = 'main'",
                &[entity_id.into(), task_type.into()],
                None,
            )
            .await?
            .is_some();
        if exists {
            continue;
        }
        let mut task = insert_main_task(
            &mut tx,
            identity.person.id,
            &project,
            entity_id.into(),
            task_type.into(),
            id_of(&status["id"])?,
        )
        .await?;
        touched
            .tasks
            .push(task["id"].as_str().unwrap_or_default().to_string());
        task.insert("assignees".into(), json!([]));
        task.insert("type".into(), json!("Task"));
        created.push(Json::Object(task));
    }
    tx.commit().await?;
    refresh(&state, &entity["project_id"], touched).await?;
    Ok(HttpResponse::Created().json(created))
}
