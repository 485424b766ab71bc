//! Asset instances (numbered copies of an asset placed in a scene or inside
//! another asset), the instance casting of shots, and the shots of a scene.

use super::breakdown::Kind;
use super::breakdown_create::{check_vendor, readable, refresh};
use super::{body_fields, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::require_manager;
use crate::crud::{id_of, where_clause, Condition, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::slug::slug_keep_case;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/asset-asset-instances",
            "Get the instances placed inside an asset",
            |r| r.to(instances_in_asset),
        ),
        Route::new(
            Method::POST,
            "/data/assets/{asset_id}/asset-asset-instances",
            "Place an instance of an asset inside an asset",
            |r| r.to(instantiate_in_asset),
        ),
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/scene-asset-instances",
            "Get an asset's instances, per scene",
            |r| r.to(scene_instances_of_asset),
        ),
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/shot-asset-instances",
            "Get an asset's instances, per shot casting them",
            |r| r.to(shot_instances_of_asset),
        ),
        Route::new(
            Method::GET,
            "/data/scenes/{scene_id}/asset-instances",
            "Get the instances placed in a scene",
            |r| r.to(|s, i, p, q| scene_instances(s, i, p, q, false)),
        ),
        Route::new(
            Method::POST,
            "/data/scenes/{scene_id}/asset-instances",
            "Place an instance of an asset in a scene",
            |r| r.to(instantiate_in_scene),
        ),
        Route::new(
            Method::GET,
            "/data/scenes/{scene_id}/camera-instances",
            "Get the camera instances placed in a scene",
            |r| r.to(|s, i, p, q| scene_instances(s, i, p, q, true)),
        ),
        Route::new(
            Method::GET,
            "/data/shots/{shot_id}/asset-instances",
            "Get the instances a shot casts",
            |r| r.to(shot_instances),
        ),
        Route::new(
            Method::POST,
            "/data/shots/{shot_id}/asset-instances",
            "Cast an instance in a shot",
            |r| r.to(add_to_shot),
        ),
        Route::new(
            Method::DELETE,
            "/data/shots/{shot_id}/asset-instances/{asset_instance_id}",
            "Remove an instance from a shot's casting",
            |r| r.to(remove_from_shot),
        ),
        Route::new(
            Method::GET,
            "/data/scenes/{scene_id}/shots",
            "Get the shots made from a scene",
            |r| r.to(scene_shots),
        ),
        Route::new(
            Method::POST,
            "/data/scenes/{scene_id}/shots",
            "Make a shot from a scene",
            |r| r.to(add_shot_to_scene),
        ),
        Route::new(
            Method::DELETE,
            "/data/scenes/{scene_id}/shots/{shot_id}",
            "Detach a shot from its scene",
            |r| r.to(remove_shot_from_scene),
        ),
    ]
}

/// An entity of this kind that the caller may change the breakdown of: managers of its project.
async fn writable(ctx: &Ctx<'_>, kind: Kind, id: &str) -> ApiResult<Row> {
    let (row, _) = readable(ctx, kind, id).await?;
    require_manager(ctx, row.get("project_id")).await?;
    Ok(row)
}

/// An id in the body naming an entity of `kind` in `project` (404 otherwise).
async fn named(
    ctx: &Ctx<'_>,
    fields: &Map<String, Json>,
    key: &str,
    kind: Kind,
    project: &Json,
) -> ApiResult<Row> {
    let id = match fields.get(key) {
        None | Some(Json::Null) => return Err(ApiError::invalid_field(key, "Field required")),
        Some(Json::String(id)) => Uuid::parse_str(id)
            .map_err(|_| ApiError::invalid_field(key, "Input should be a valid UUID"))?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                key,
                "UUID input should be a string, bytes or UUID object",
            ))
        }
    };
    let (where_sql, params) = where_clause(&[
        Condition::new(
            "id = ? AND project_id = ?",
            vec![id.into(), id_of(project)?],
        ),
        kind.type_condition(),
    ]);
    ctx.db()
        .fetch_optional(
            &format!("SELECT * FROM entity{where_sql}"),
            &params,
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// Instances grouped under a key of each row, in the rows' order.
fn grouped(rows: Vec<Row>, key: &str) -> Map<String, Json> {
    let mut groups = Map::new();
    for mut row in rows {
        row.insert("type".into(), json!("AssetInstance"));
        let group = row[key].as_str().unwrap_or_default().to_string();
        if let Json::Array(list) = groups.entry(group).or_insert_with(|| json!([])) {
            list.push(Json::Object(row));
        }
    }
    groups
}

async fn instances(ctx: &Ctx<'_>, sql: &str, id: &Json) -> ApiResult<Vec<Row>> {
    Ok(ctx
        .db()
        .fetch_all(sql, &[id_of(id)?], Some("asset_instance"))
        .await?)
}

async fn instances_in_asset(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (asset, _) = readable(&ctx, Kind::Asset, &id).await?;
    let sql = "SELECT * FROM asset_instance WHERE target_asset_id = $1 ORDER BY asset_id, number";
    Ok(HttpResponse::Ok().json(grouped(
        instances(&ctx, sql, &asset["id"]).await?,
        "asset_id",
    )))
}

async fn scene_instances_of_asset(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (asset, _) = readable(&ctx, Kind::Asset, &id).await?;
    let sql = "SELECT * FROM asset_instance WHERE asset_id = $1 AND scene_id IS NOT NULL ORDER BY number, id";
    Ok(HttpResponse::Ok().json(grouped(
        instances(&ctx, sql, &asset["id"]).await?,
        "scene_id",
    )))
}

async fn shot_instances_of_asset(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (asset, _) = readable(&ctx, Kind::Asset, &id).await?;
    let sql = "SELECT ai.*, l.entity_id AS shot_id FROM asset_instance ai \
               JOIN asset_instance_link l ON l.asset_instance_id = ai.id \
               WHERE ai.asset_id = $1 ORDER BY ai.number, l.entity_id";
    let rows = instances(&ctx, sql, &asset["id"]).await?;
    let mut groups = grouped(rows, "shot_id");
    for list in groups.values_mut().filter_map(Json::as_array_mut) {
        for row in list.iter_mut().filter_map(Json::as_object_mut) {
            row.remove("shot_id");
        }
    }
    Ok(HttpResponse::Ok().json(groups))
}

/// A scene's instances; cameras only, those of assets of the `Camera` type.
async fn scene_instances(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    cameras: bool,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (scene, role) = readable(&ctx, Kind::Scene, &id).await?;
    check_vendor(&ctx, role, &scene).await?;
    let camera_only = if cameras {
        " AND asset_id IN (SELECT e.id FROM entity e JOIN entity_type et ON et.id = e.entity_type_id \
         WHERE lower(et.name) = 'camera')"
    } else {
        ""
    };
    let sql = format!(
        "SELECT * FROM asset_instance WHERE scene_id = $1{camera_only} ORDER BY asset_id, number"
    );
    Ok(HttpResponse::Ok().json(grouped(
        instances(&ctx, &sql, &scene["id"]).await?,
        "asset_id",
    )))
}

async fn shot_instances(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (shot, role) = readable(&ctx, Kind::Shot, &id).await?;
    check_vendor(&ctx, role, &shot).await?;
    let sql = "SELECT ai.* FROM asset_instance ai JOIN asset_instance_link l ON l.asset_instance_id = ai.id \
               WHERE l.entity_id = $1 ORDER BY ai.asset_id, ai.number";
    Ok(HttpResponse::Ok().json(grouped(
        instances(&ctx, sql, &shot["id"]).await?,
        "asset_id",
    )))
}

/// Where a new instance goes: a scene or inside an asset.
enum Place<'a> {
    Scene(&'a Row),
    Asset(&'a Row),
}

/// Creates the next numbered instance of `asset` in `place`.
async fn instantiate(
    tx: &mut Tx,
    identity: &Identity,
    asset: &Row,
    place: Place<'_>,
    description: Json,
) -> ApiResult<Row> {
    let (column, container) = match place {
        Place::Scene(scene) => ("scene_id", scene),
        Place::Asset(target) => ("target_asset_id", target),
    };
    let container_id = id_of(&container["id"])?;
    let top = tx
        .fetch_optional(
            &format!("SELECT MAX(number) AS top FROM asset_instance WHERE asset_id = $1 AND {column} = $2"),
            &[id_of(&asset["id"])?, container_id.clone()],
            None,
        )
        .await?
        .and_then(|row| row["top"].as_i64())
        .unwrap_or(0);
    let number = top + 1;
    let name = format!(
        "{}_{number:04}",
        slug_keep_case(asset["name"].as_str().unwrap_or_default())
    );
    if name.chars().count() > 80 {
        return Err(ApiError::bad_request(
            "The asset name is too long to name its instances.",
        ));
    }
    let stamp = now();
    let row = tx
        .insert(
            "asset_instance",
            &[
                ("id", Uuid::now_v7().into()),
                ("asset_id", id_of(&asset["id"])?),
                (column, container_id),
                ("number", Value::Int(number)),
                ("name", name.into()),
                (
                    "description",
                    description.as_str().map(str::to_string).into(),
                ),
                ("active", Value::Bool(true)),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    let project = container["project_id"]
        .as_str()
        .and_then(|p| Uuid::parse_str(p).ok());
    let mut event = Event::new(
        "asset_instance:new",
        "asset_instance_id",
        row["id"].as_str().unwrap_or_default(),
    )
    .in_project(project);
    match place {
        Place::Scene(_) => {
            event
                .data
                .insert("scene_id".into(), container["id"].clone());
            event.data.insert("asset_id".into(), asset["id"].clone());
        }
        Place::Asset(_) => {
            event
                .data
                .insert("asset_id".into(), container["id"].clone());
            event
                .data
                .insert("asset_instantiated".into(), asset["id"].clone());
        }
    }
    event.record(tx, identity.person.id).await?;
    Ok(row)
}

fn description(fields: &Map<String, Json>) -> ApiResult<Json> {
    match fields.get("description") {
        None | Some(Json::Null) => Ok(Json::Null),
        Some(Json::String(text)) if text.chars().count() <= 200 => Ok(json!(text)),
        Some(Json::String(_)) => Err(ApiError::invalid_field(
            "description",
            "String should have at most 200 characters",
        )),
        Some(_) => Err(ApiError::invalid_field(
            "description",
            "Input should be a valid string",
        )),
    }
}

fn instance(mut row: Row) -> Json {
    row.insert("type".into(), json!("AssetInstance"));
    Json::Object(row)
}

async fn instantiate_in_asset(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let target = writable(&ctx, Kind::Asset, &id).await?;
    let fields = body_fields(&req, &body)?;
    let description = description(&fields)?;
    let asset = named(
        &ctx,
        &fields,
        "asset_to_instantiate_id",
        Kind::Asset,
        &target["project_id"],
    )
    .await?;
    let mut tx = state.db.begin().await?;
    let row = instantiate(
        &mut tx,
        &identity,
        &asset,
        Place::Asset(&target),
        description,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(instance(row)))
}

async fn instantiate_in_scene(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let scene = writable(&ctx, Kind::Scene, &id).await?;
    let fields = body_fields(&req, &body)?;
    let description = description(&fields)?;
    let asset = named(&ctx, &fields, "asset_id", Kind::Asset, &scene["project_id"]).await?;
    let mut tx = state.db.begin().await?;
    let row = instantiate(
        &mut tx,
        &identity,
        &asset,
        Place::Scene(&scene),
        description,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(instance(row)))
}

/// An instance of the project (404 otherwise).
async fn project_instance(ctx: &Ctx<'_>, id: &str, project: &Json) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    ctx.db()
        .fetch_optional(
            "SELECT ai.* FROM asset_instance ai JOIN entity e ON e.id = ai.asset_id \
             WHERE ai.id = $1 AND e.project_id = $2",
            &[id.into(), id_of(project)?],
            Some("asset_instance"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// Marks a shot changed and records `name` about it; returns the shot as it now is.
async fn touch_shot(tx: &mut Tx, identity: &Identity, shot: &Row, event: Event) -> ApiResult<Row> {
    let changed = tx
        .fetch_optional(
            "UPDATE entity SET updated_at = $1 WHERE id = $2 RETURNING *",
            &[now().into(), id_of(&shot["id"])?],
            Some("entity"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    event.record(tx, identity.person.id).await?;
    Ok(changed)
}

fn project_of(row: &Row) -> Option<Uuid> {
    row.get("project_id")
        .and_then(Json::as_str)
        .and_then(|p| Uuid::parse_str(p).ok())
}

/// Casting an instance already cast answers the shot unchanged.
async fn add_to_shot(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let shot = writable(&ctx, Kind::Shot, &id).await?;
    let fields = body_fields(&req, &body)?;
    let instance_id = match fields.get("asset_instance_id") {
        Some(Json::String(id)) => id.clone(),
        None | Some(Json::Null) => {
            return Err(ApiError::invalid_field(
                "asset_instance_id",
                "Field required",
            ))
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                "asset_instance_id",
                "UUID input should be a string, bytes or UUID object",
            ))
        }
    };
    if Uuid::parse_str(&instance_id).is_err() {
        return Err(ApiError::invalid_field(
            "asset_instance_id",
            "Input should be a valid UUID",
        ));
    }
    let instance = project_instance(&ctx, &instance_id, &shot["project_id"]).await?;
    let link = [id_of(&shot["id"])?, id_of(&instance["id"])?];
    let mut tx = state.db.begin().await?;
    let linked = tx
        .fetch_optional(
            "SELECT entity_id FROM asset_instance_link WHERE entity_id = $1 AND asset_instance_id = $2",
            &link,
            None,
        )
        .await?
        .is_some();
    if linked {
        return Ok(HttpResponse::Created().json(entity(shot)));
    }
    tx.insert(
        "asset_instance_link",
        &[
            ("entity_id", link[0].clone()),
            ("asset_instance_id", link[1].clone()),
        ],
    )
    .await?;
    let mut event = Event::new(
        "asset_instance:add-to-shot",
        "shot_id",
        shot["id"].as_str().unwrap_or_default(),
    )
    .in_project(project_of(&shot));
    event
        .data
        .insert("asset_instance_id".into(), instance["id"].clone());
    let changed = touch_shot(&mut tx, &identity, &shot, event).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(entity(changed)))
}

async fn remove_from_shot(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let shot = writable(&ctx, Kind::Shot, &path.0).await?;
    let instance = project_instance(&ctx, &path.1, &shot["project_id"]).await?;
    let mut tx = state.db.begin().await?;
    let removed = tx
        .execute(
            "DELETE FROM asset_instance_link WHERE entity_id = $1 AND asset_instance_id = $2",
            &[id_of(&shot["id"])?, id_of(&instance["id"])?],
        )
        .await?;
    if removed == 0 {
        return Err(ApiError::NotFound);
    }
    let mut event = Event::new(
        "asset_instance:remove-from-shot",
        "shot_id",
        shot["id"].as_str().unwrap_or_default(),
    )
    .in_project(project_of(&shot));
    event
        .data
        .insert("asset_instance_id".into(), instance["id"].clone());
    touch_shot(&mut tx, &identity, &shot, event).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An entity as these routes answer it (Zou types it `Entity`).
fn entity(mut row: Row) -> Json {
    row.insert("type".into(), json!("Entity"));
    Json::Object(row)
}

async fn scene_shots(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (scene, role) = readable(&ctx, Kind::Scene, &id).await?;
    check_vendor(&ctx, role, &scene).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT s.*, p.name AS project_name, q.name AS sequence_name FROM entity s \
             JOIN entity q ON q.id = s.parent_id JOIN project p ON p.id = s.project_id \
             WHERE s.source_id = $1 ORDER BY lower(s.name), s.id",
            &[id_of(&scene["id"])?],
            Some("entity"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(super::typed(rows, "Shot")))
}

/// Points a shot at a scene (or at none), with Zou's two events.
async fn set_scene(
    state: &AppState,
    identity: &Identity,
    shot: &Row,
    scene: &Row,
    source: Value,
    action: &str,
) -> ApiResult<Row> {
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE entity SET source_id = $1 WHERE id = $2",
        &[source, id_of(&shot["id"])?],
    )
    .await?;
    let shot_id = shot["id"].as_str().unwrap_or_default();
    let update = Event::new("shot:update", "shot_id", shot_id).in_project(project_of(shot));
    let changed = touch_shot(&mut tx, identity, shot, update).await?;
    let mut event = Event::new(action, "shot_id", shot_id).in_project(project_of(shot));
    event.data.insert("scene_id".into(), scene["id"].clone());
    event.record(&mut tx, identity.person.id).await?;
    tx.commit().await?;
    let touched = Touched {
        entities: vec![shot_id.to_string()],
        ..Default::default()
    };
    refresh(state, &shot["project_id"], touched).await?;
    Ok(changed)
}

async fn add_shot_to_scene(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let scene = writable(&ctx, Kind::Scene, &id).await?;
    let fields = body_fields(&req, &body)?;
    let shot = named(&ctx, &fields, "shot_id", Kind::Shot, &scene["project_id"]).await?;
    let changed = set_scene(
        &state,
        &identity,
        &shot,
        &scene,
        id_of(&scene["id"])?,
        "shot:add-to-scene",
    )
    .await?;
    Ok(HttpResponse::Created().json(entity(changed)))
}

/// Only a shot made from this scene is detached from it.
async fn remove_shot_from_scene(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let scene = writable(&ctx, Kind::Scene, &path.0).await?;
    let (shot, _) = readable(&ctx, Kind::Shot, &path.1).await?;
    if shot["source_id"] != scene["id"] {
        return Err(ApiError::NotFound);
    }
    set_scene(
        &state,
        &identity,
        &shot,
        &scene,
        Value::Null,
        "shot:remove-from-scene",
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
