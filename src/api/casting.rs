//! Casting: which assets appear in which shots, episodes or other entities
//! (`entity_link` rows), with the counts and readiness stats Zou keeps.

use super::{text_of, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{self, team_role};
use crate::crud::{id_of, Ctx};
use crate::db::{now, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    let p = "/data/projects/{project_id}";
    vec![
        Route::new(
            Method::GET,
            format!("{p}/entities/{{entity_id}}/casting"),
            "Get an entity's casting",
            |r| r.to(get_casting),
        ),
        Route::new(
            Method::PUT,
            format!("{p}/entities/{{entity_id}}/casting"),
            "Set an entity's casting",
            |r| r.to(put_casting),
        ),
        Route::new(
            Method::GET,
            format!("{p}/sequences/{{sequence_id}}/casting"),
            "Get the casting of a sequence's shots",
            |r| r.to(sequence_casting),
        ),
        Route::new(
            Method::GET,
            format!("{p}/sequences/all/casting"),
            "Get the casting of every shot",
            |r| r.to(all_shots_casting),
        ),
        Route::new(
            Method::GET,
            format!("{p}/episodes/casting"),
            "Get the casting of the project's entities",
            |r| r.to(episodes_casting),
        ),
        Route::new(
            Method::PUT,
            format!("{p}/entities/casting"),
            "Set the casting of several entities",
            |r| r.to(put_many_castings),
        ),
        Route::new(
            Method::PUT,
            format!("{p}/entities/casting/assets/{{asset_id}}"),
            "Cast one asset in several entities",
            |r| r.to(cast_asset_in),
        ),
        Route::new(
            Method::GET,
            format!("{p}/episodes/{{episode_id}}/sequences/all/casting"),
            "Get the casting of an episode's shots",
            |r| r.to(episode_shots_casting),
        ),
        Route::new(
            Method::GET,
            format!("{p}/asset-types/{{asset_type_id}}/casting"),
            "Get the casting of a type's assets",
            |r| r.to(asset_type_casting),
        ),
        Route::new(
            Method::GET,
            format!("{p}/entity-links"),
            "List the project's casting links",
            |r| r.to(entity_links),
        ),
        Route::new(
            Method::PUT,
            "/data/assets/{asset_id}/casting",
            "Set an asset's casting",
            |r| r.to(put_asset_casting),
        ),
        Route::new(
            Method::DELETE,
            format!("{p}/entity-links/{{entity_link_id}}"),
            "Remove a casting link",
            |r| r.to(delete_link),
        ),
        Route::new(
            Method::GET,
            "/data/shots/{shot_id}/assets",
            "Get the assets cast in a shot",
            |r| r.to(shot_assets),
        ),
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/assets",
            "Get the assets cast in an asset",
            |r| r.to(asset_assets),
        ),
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/cast-in",
            "Get where an asset is cast",
            |r| r.to(cast_in),
        ),
        Route::new(
            Method::GET,
            "/data/assets/{asset_id}/casting",
            "Get an asset's casting",
            |r| r.to(asset_casting),
        ),
    ]
}

const TEMPORAL: &str = crate::crud::models::entities::temporal_types_sql!();

/// An entity with its type name, or 404.
async fn entity(db: &crate::db::Db, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    db.fetch_optional(
        "SELECT e.*, t.name AS type_name FROM entity e JOIN entity_type t ON t.id = e.entity_type_id WHERE e.id = $1",
        &[id.into()],
        Some("entity"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

fn is_asset(entity: &Row) -> bool {
    !TEMPORAL.contains(&format!("'{}'", entity["type_name"].as_str().unwrap_or("")))
}

/// Team access to the project, vendors refused (casting is studio work).
async fn readers(ctx: &Ctx<'_>, project: &Json) -> ApiResult<Role> {
    let role = team_role(ctx, Some(project)).await?;
    if role == Role::Vendor {
        return Err(ApiError::Forbidden);
    }
    Ok(role)
}

/// The entity named in a project path, which must belong to that project.
async fn entity_in_project(ctx: &Ctx<'_>, project: &str, id: &str) -> ApiResult<Row> {
    let row = entity(ctx.db(), id).await?;
    if row["project_id"].as_str() != Some(project) {
        return Err(ApiError::Forbidden);
    }
    Ok(row)
}

/// Casting entries of one entity, as Kitsu's casting page reads them.
async fn casting_of(db: &crate::db::Db, entity: &Json) -> ApiResult<Vec<Json>> {
    let rows = db
        .fetch_all(
            "SELECT l.entity_out_id AS asset_id, a.name AS asset_name, t.name AS asset_type_name, a.ready_for, \
             a.source_id AS episode_id, a.preview_file_id, l.nb_occurences, l.label, a.is_shared, a.project_id \
             FROM entity_link l JOIN entity a ON a.id = l.entity_out_id JOIN entity_type t ON t.id = a.entity_type_id \
             WHERE l.entity_in_id = $1 AND a.canceled = FALSE ORDER BY t.name, a.name",
            &[id_of(entity)?],
            Some("entity"),
        )
        .await?;
    Ok(rows.into_iter().map(Json::Object).collect())
}

async fn get_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(path.0)).await?;
    let row = entity_in_project(&ctx, &path.0, &path.1).await?;
    Ok(HttpResponse::Ok().json(casting_of(&state.db, &row["id"]).await?))
}

/// One validated casting entry.
struct Entry {
    asset: Uuid,
    occurrences: i64,
    label: String,
}

/// Reads `[{asset_id, nb_occurences, label?}]`, checking every entry before anything is written.
fn entries(body: &[u8]) -> ApiResult<Vec<Entry>> {
    let list = match serde_json::from_slice::<Json>(body) {
        Ok(Json::Array(list)) => list,
        _ => return Err(ApiError::bad_request("Request body must be a JSON array.")),
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (index, item) in list.iter().enumerate() {
        let asset = item
            .get("asset_id")
            .and_then(Json::as_str)
            .and_then(|id| Uuid::parse_str(id).ok());
        let occurrences = match item.get("nb_occurences") {
            None | Some(Json::Null) => Some(1),
            Some(n) => n.as_i64().filter(|n| *n >= 0),
        };
        let label = match item.get("label") {
            None | Some(Json::Null) => Some(String::new()),
            Some(Json::String(label)) if label.chars().count() <= 80 => Some(label.clone()),
            Some(_) => None,
        };
        if asset.is_none() {
            errors.push((
                format!("{index}.asset_id"),
                "Input should be a valid UUID".to_string(),
            ));
        }
        if occurrences.is_none() {
            errors.push((
                format!("{index}.nb_occurences"),
                "Input should be an integer greater than or equal to 0".to_string(),
            ));
        }
        if label.is_none() {
            errors.push((
                format!("{index}.label"),
                "Input should be a string of at most 80 characters".to_string(),
            ));
        }
        if let (Some(asset), Some(occurrences), Some(label)) = (asset, occurrences, label) {
            out.push(Entry {
                asset,
                occurrences,
                label,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The episode a shot sits in (shot → sequence → episode), if any.
async fn episode_of_shot(tx: &mut Tx, shot: &Row) -> ApiResult<Option<Json>> {
    if shot["type_name"] != "Shot" || shot["parent_id"].is_null() {
        return Ok(None);
    }
    let sequence = tx
        .fetch_optional(
            "SELECT parent_id FROM entity WHERE id = $1",
            &[id_of(&shot["parent_id"])?],
            None,
        )
        .await?;
    Ok(sequence
        .map(|s| s["parent_id"].clone())
        .filter(|e| !e.is_null()))
}

fn event(name: &str, key: &str, id: &Json, project: &Json) -> Event {
    Event::new(name, key, id.as_str().unwrap_or_default())
        .in_project(scope::project_id(Some(project)))
}

async fn link_between(tx: &mut Tx, from: &Json, asset: Uuid) -> ApiResult<Option<Row>> {
    Ok(tx
        .fetch_optional(
            "SELECT * FROM entity_link WHERE entity_in_id = $1 AND entity_out_id = $2",
            &[id_of(from)?, asset.into()],
            Some("entity_link"),
        )
        .await?)
}

/// A shot's episode while the shot's casting changes: locked, with which of
/// the assets being cast it already has.
struct Episode {
    id: Json,
    has: HashSet<Uuid>,
}

impl Episode {
    async fn of(tx: &mut Tx, target: &Row, assets: &[Uuid]) -> ApiResult<Option<Episode>> {
        let Some(id) = episode_of_shot(tx, target).await? else {
            return Ok(None);
        };
        // The episode's row first: two shots of one episode cast at once would
        // otherwise both find its link missing and both add it (PostgreSQL
        // refuses the second; SQLite has one writer anyway).
        tx.execute(
            "UPDATE entity SET updated_at = updated_at WHERE id = $1",
            &[id_of(&id)?],
        )
        .await?;
        let assets: Vec<Value> = assets.iter().map(|asset| (*asset).into()).collect();
        let has = tx
            .fetch_in(
                "SELECT entity_out_id FROM entity_link WHERE entity_in_id = $1 \
                 AND entity_out_id IN ({ids})",
                &[id_of(&id)?],
                &assets,
                None,
            )
            .await?
            .iter()
            .filter_map(|link| link["entity_out_id"].as_str())
            .filter_map(|asset| Uuid::parse_str(asset).ok())
            .collect();
        Ok(Some(Episode { id, has }))
    }
}

/// Casts one asset into an entity, or updates its link (`existing`, its id);
/// a shot's episode gets the asset too (a link marked `auto`, dropped again
/// when no shot of it uses the asset). Returns the link's id.
async fn cast(
    tx: &mut Tx,
    author: Uuid,
    target: &Row,
    episode: Option<&mut Episode>,
    entry: &Entry,
    existing: Option<&Json>,
) -> ApiResult<Json> {
    let project = target["project_id"].clone();
    if let Some(existing) = existing {
        tx.execute(
            "UPDATE entity_link SET nb_occurences = $1, label = $2, updated_at = $3 WHERE id = $4",
            &[
                Value::Int(entry.occurrences),
                entry.label.clone().into(),
                now().into(),
                id_of(existing)?,
            ],
        )
        .await?;
        let mut update = event("entity-link:update", "entity_link_id", existing, &project);
        update
            .data
            .insert("nb_occurences".into(), json!(entry.occurrences));
        update.record(tx, author).await?;
        return Ok(existing.clone());
    }
    if let Some(episode) = episode.filter(|episode| !episode.has.contains(&entry.asset)) {
        episode.has.insert(entry.asset);
        insert_link(
            tx,
            &episode.id,
            entry.asset,
            1,
            &entry.label,
            json!({"auto": true}),
        )
        .await?;
        tx.execute(
            "UPDATE entity SET nb_entities_out = COALESCE(nb_entities_out, 0) + 1, updated_at = $1 WHERE id = $2",
            &[now().into(), id_of(&episode.id)?],
        )
        .await?;
        event("asset:update", "asset_id", &json!(entry.asset), &project)
            .record(tx, author)
            .await?;
    }
    let link = insert_link(
        tx,
        &target["id"],
        entry.asset,
        entry.occurrences,
        &entry.label,
        Json::Null,
    )
    .await?;
    let mut created = event("entity-link:new", "entity_link_id", &link, &project);
    created
        .data
        .insert("entity_in_id".into(), target["id"].clone());
    created
        .data
        .insert("entity_out_id".into(), json!(entry.asset));
    created
        .data
        .insert("nb_occurences".into(), json!(entry.occurrences));
    created.record(tx, author).await?;
    Ok(link)
}

/// Adds a link from an entity to an asset; returns its id.
async fn insert_link(
    tx: &mut Tx,
    from: &Json,
    asset: Uuid,
    occurrences: i64,
    label: &str,
    data: Json,
) -> ApiResult<Json> {
    let stamp = now();
    let link = tx
        .insert(
            "entity_link",
            &[
                ("id", Uuid::now_v7().into()),
                ("entity_in_id", id_of(from)?),
                ("entity_out_id", asset.into()),
                ("nb_occurences", Value::Int(occurrences)),
                ("label", label.into()),
                (
                    "data",
                    if data.is_null() {
                        Value::Null
                    } else {
                        Value::Json(data)
                    },
                ),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    Ok(link["id"].clone())
}

/// After a change to an entity's casting: its count, its tasks' readiness
/// stats (shots), its episode's auto links, and the event saying what changed.
async fn announce(
    tx: &mut Tx,
    author: Uuid,
    target: &Row,
    added: &[String],
    removed: &[String],
) -> ApiResult<()> {
    let id = id_of(&target["id"])?;
    let project = target["project_id"].clone();
    let count = tx
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM entity_link l JOIN entity a ON a.id = l.entity_out_id \
             WHERE l.entity_in_id = $1 AND a.canceled = FALSE",
            std::slice::from_ref(&id),
            None,
        )
        .await?
        .and_then(|r| r["n"].as_i64())
        .unwrap_or(0);
    tx.execute(
        "UPDATE entity SET nb_entities_out = $1, updated_at = $2 WHERE id = $3",
        &[Value::Int(count), now().into(), id.clone()],
    )
    .await?;
    let kind = target["type_name"].as_str().unwrap_or("");
    let (name, key) = match kind {
        "Shot" => ("shot:casting-update", "shot_id"),
        "Episode" => ("episode:casting-update", "episode_id"),
        _ => ("asset:casting-update", "asset_id"),
    };
    if kind == "Shot" {
        refresh_readiness(tx, target).await?;
    }
    let mut update = event(name, key, &target["id"], &project);
    update.data.insert("nb_entities_out".into(), json!(count));
    update.data.insert("added_asset_ids".into(), json!(added));
    update
        .data
        .insert("removed_asset_ids".into(), json!(removed));
    update.record(tx, author).await?;
    if kind == "Shot" && !removed.is_empty() {
        if let Some(episode) = episode_of_shot(tx, target).await? {
            for asset in removed {
                detach(tx, author, &episode, asset, &project).await?;
            }
        }
    }
    Ok(())
}

/// Drops an episode's auto link to an asset that none of its shots uses any more.
async fn detach(
    tx: &mut Tx,
    author: Uuid,
    episode: &Json,
    asset: &str,
    project: &Json,
) -> ApiResult<()> {
    let asset_id = Uuid::parse_str(asset).map_err(|_| ApiError::NotFound)?;
    let still_used = tx
        .fetch_optional(
            "SELECT l.id FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id JOIN entity sq ON sq.id = sh.parent_id \
             WHERE sq.parent_id = $1 AND l.entity_out_id = $2 LIMIT 1",
            &[id_of(episode)?, asset_id.into()],
            None,
        )
        .await?
        .is_some();
    let link = link_between(tx, episode, asset_id).await?;
    let auto = link
        .as_ref()
        .is_some_and(|l| l["data"].get("auto") == Some(&Json::Bool(true)));
    if still_used || !auto {
        return Ok(());
    }
    tx.execute(
        "DELETE FROM entity_link WHERE id = $1",
        &[id_of(&link.unwrap_or_default()["id"])?],
    )
    .await?;
    let count = tx
        .fetch_optional(
            "UPDATE entity SET nb_entities_out = CASE WHEN nb_entities_out > 0 THEN nb_entities_out - 1 ELSE 0 END, \
             updated_at = $1 WHERE id = $2 RETURNING nb_entities_out",
            &[now().into(), id_of(episode)?],
            None,
        )
        .await?
        .map_or(json!(0), |r| r["nb_entities_out"].clone());
    let mut update = event("episode:casting-update", "episode_id", episode, project);
    update.data.insert("nb_entities_out".into(), count);
    update.data.insert("added_asset_ids".into(), json!([]));
    update
        .data
        .insert("removed_asset_ids".into(), json!([asset]));
    update.record(tx, author).await?;
    event("asset:update", "asset_id", &json!(asset), project)
        .record(tx, author)
        .await?;
    Ok(())
}

/// How many cast assets are ready for each task of the shot: an asset is
/// ready for a task when its `ready_for` task type comes at or after the
/// task's type in the project's order (shared assets of other projects always are).
async fn refresh_readiness(tx: &mut Tx, shot: &Row) -> ApiResult<()> {
    let project = id_of(&shot["project_id"])?;
    let priorities: HashMap<String, i64> = tx
        .fetch_all(
            "SELECT l.task_type_id, l.priority FROM project_task_type_link l JOIN task_type t ON t.id = l.task_type_id \
             WHERE l.project_id = $1 AND t.for_entity = 'Shot'",
            std::slice::from_ref(&project),
            None,
        )
        .await?
        .into_iter()
        .map(|r| (r["task_type_id"].as_str().unwrap_or_default().to_string(), r["priority"].as_i64().unwrap_or(0)))
        .collect();
    let assets = tx
        .fetch_all(
            "SELECT a.canceled, a.is_shared, a.project_id, a.ready_for FROM entity_link l \
             JOIN entity a ON a.id = l.entity_out_id WHERE l.entity_in_id = $1",
            &[id_of(&shot["id"])?],
            Some("entity"),
        )
        .await?;
    let tasks = tx
        .fetch_all(
            "SELECT id, task_type_id FROM task WHERE entity_id = $1",
            &[id_of(&shot["id"])?],
            None,
        )
        .await?;
    let mut by_count: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    for task in tasks {
        let task_priority = priorities
            .get(task["task_type_id"].as_str().unwrap_or_default())
            .copied()
            .unwrap_or(0);
        let ready = assets
            .iter()
            .filter(|a| {
                if a["canceled"] == Json::Bool(true) {
                    return false;
                }
                if a["is_shared"] == Json::Bool(true) && a["project_id"] != shot["project_id"] {
                    return true;
                }
                a["ready_for"].as_str().is_some_and(|ready_for| {
                    let asset_priority = priorities
                        .get(ready_for)
                        .copied()
                        .filter(|p| *p > 0)
                        .unwrap_or(-1);
                    task_priority <= asset_priority
                })
            })
            .count();
        by_count.entry(ready).or_default().push(id_of(&task["id"])?);
    }
    for (ready, tasks) in by_count {
        tx.execute_in(
            "UPDATE task SET nb_assets_ready = $1 WHERE id IN ({ids})",
            &[Value::Int(ready as i64)],
            &tasks,
        )
        .await?;
    }
    Ok(())
}

/// Replaces an entity's whole casting.
async fn set_casting(tx: &mut Tx, author: Uuid, target: &Row, entries: &[Entry]) -> ApiResult<()> {
    let id = id_of(&target["id"])?;
    let assets: Vec<Uuid> = entries.iter().map(|entry| entry.asset).collect();
    let asked: Vec<Value> = assets.iter().map(|asset| (*asset).into()).collect();
    let known: HashSet<Json> = tx
        .fetch_in(
            &format!(
                "SELECT e.id FROM entity e JOIN entity_type t ON t.id = e.entity_type_id \
                 WHERE e.id IN ({{ids}}) AND t.name NOT IN {TEMPORAL}"
            ),
            &[],
            &asked,
            None,
        )
        .await?
        .into_iter()
        .map(|row| row["id"].clone())
        .collect();
    if let Some(missing) = assets.iter().find(|asset| !known.contains(&json!(asset))) {
        return Err(ApiError::bad_request(format!("Asset {missing} not found")));
    }
    let previous: BTreeSet<String> = tx
        .fetch_all(
            "SELECT entity_out_id FROM entity_link WHERE entity_in_id = $1",
            std::slice::from_ref(&id),
            None,
        )
        .await?
        .into_iter()
        .filter_map(|r| r["entity_out_id"].as_str().map(str::to_string))
        .collect();
    let wanted: BTreeSet<String> = assets.iter().map(Uuid::to_string).collect();
    let added: Vec<String> = wanted.difference(&previous).cloned().collect();
    let removed: Vec<String> = previous.difference(&wanted).cloned().collect();
    tx.execute("DELETE FROM entity_link WHERE entity_in_id = $1", &[id])
        .await?;
    let mut episode = Episode::of(tx, target, &assets).await?;
    // An asset named twice: its second entry updates the link the first made.
    let mut links: HashMap<Uuid, Json> = HashMap::new();
    for entry in entries {
        let existing = links.get(&entry.asset).cloned();
        let link = cast(
            tx,
            author,
            target,
            episode.as_mut(),
            entry,
            existing.as_ref(),
        )
        .await?;
        links.insert(entry.asset, link);
    }
    announce(tx, author, target, &added, &removed).await
}

async fn put_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(path.0))).await?;
    let target = entity_in_project(&ctx, &path.0, &path.1).await?;
    let entries = entries(&body)?;
    let mut tx = state.db.begin().await?;
    set_casting(&mut tx, identity.person.id, &target, &entries).await?;
    tx.commit().await?;
    refresh_casting(&state, &path.0, &[&target]).await?;
    Ok(HttpResponse::Ok().json(echo(&entries)))
}

/// Casting one asset in many entities may reach any shot of an episode:
/// the project's cache reloads.
async fn refresh(state: &AppState, project: &str) -> ApiResult<()> {
    state
        .projects
        .refresh(project, Touched::everything())
        .await
        .map_err(ApiError::internal)
}

/// A change to these entities' casting also changes their counts, their
/// tasks' readiness and, for shots, their episode's automatic links: the
/// project's cache reads those again, and only those.
async fn refresh_casting(state: &AppState, project: &str, targets: &[&Row]) -> ApiResult<()> {
    let mut owners = Vec::new();
    for target in targets {
        owners.push(text_of(&target["id"]));
        if target["type_name"] == "Shot" {
            let episode = state
                .db
                .fetch_optional(
                    "SELECT sq.parent_id FROM entity sq WHERE sq.id = $1 AND sq.parent_id IS NOT NULL",
                    &[id_of(&target["parent_id"]).unwrap_or(Value::Null)],
                    None,
                )
                .await?;
            owners.extend(episode.map(|e| text_of(&e["parent_id"])));
        }
    }
    owners.sort();
    owners.dedup();
    let touched = Touched {
        casting: owners,
        ..Default::default()
    };
    state
        .projects
        .refresh(project, touched)
        .await
        .map_err(ApiError::internal)
}

/// `{entity_in_id: [entries]}` for the links a condition selects, with the
/// parent's name as `sequence_name` when `with_sequence`.
async fn casting_map(
    ctx: &Ctx<'_>,
    condition: &str,
    params: Vec<Value>,
    with_sequence: bool,
) -> ApiResult<Map<String, Json>> {
    let rows = ctx
        .db()
        .fetch_all(
            &format!(
                "SELECT l.entity_in_id, l.entity_out_id AS asset_id, a.name AS asset_name, t.name AS asset_type_name, \
                 sq.name AS sequence_name, a.preview_file_id, l.nb_occurences, l.label, a.is_shared, a.project_id \
                 FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id LEFT JOIN entity sq ON sq.id = sh.parent_id \
                 JOIN entity a ON a.id = l.entity_out_id JOIN entity_type t ON t.id = a.entity_type_id \
                 WHERE a.canceled = FALSE AND {condition} ORDER BY sq.name, sh.name, t.name, a.name"
            ),
            &params,
            Some("entity"),
        )
        .await?;
    let mut map = Map::new();
    for mut row in rows {
        let owner = row
            .remove("entity_in_id")
            .and_then(|o| o.as_str().map(str::to_string))
            .unwrap_or_default();
        row.insert("name".into(), row["asset_name"].clone());
        if !with_sequence {
            row.remove("sequence_name");
        }
        if let Json::Array(list) = map.entry(owner).or_insert_with(|| json!([])) {
            list.push(Json::Object(row));
        }
    }
    Ok(map)
}

async fn sequence_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(path.0)).await?;
    let sequence = entity(&state.db, &path.1).await?;
    if sequence["type_name"] != "Sequence" {
        return Err(ApiError::NotFound);
    }
    if sequence["project_id"].as_str() != Some(path.0.as_str()) {
        return Err(ApiError::Forbidden);
    }
    super::remembered(
        &state,
        &identity,
        &req,
        casting_map(
            &ctx,
            "sh.parent_id = $1",
            vec![id_of(&sequence["id"])?],
            true,
        ),
    )
    .await
}

async fn all_shots_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(*path)).await?;
    let project = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    super::remembered(
        &state,
        &identity,
        &req,
        casting_map(
            &ctx,
            "sh.project_id = $1 AND sh.parent_id IS NOT NULL",
            vec![project.into()],
            true,
        ),
    )
    .await
}

async fn episodes_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(*path)).await?;
    let project = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    super::remembered(
        &state,
        &identity,
        &req,
        casting_map(&ctx, "sh.project_id = $1", vec![project.into()], false),
    )
    .await
}

async fn delete_link(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(path.0))).await?;
    let id = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    let mut link = state
        .db
        .fetch_optional(
            "SELECT * FROM entity_link WHERE id = $1",
            &[id.into()],
            Some("entity_link"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let target = entity_in_project(
        &ctx,
        &path.0,
        link["entity_in_id"].as_str().unwrap_or_default(),
    )
    .await?;
    let mut tx = state.db.begin().await?;
    tx.execute("DELETE FROM entity_link WHERE id = $1", &[id.into()])
        .await?;
    let removed = vec![link["entity_out_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()];
    announce(&mut tx, identity.person.id, &target, &[], &removed).await?;
    tx.commit().await?;
    refresh_casting(&state, &path.0, &[&target]).await?;
    link.insert("type".into(), json!("EntityLink"));
    Ok(HttpResponse::Ok().json(link))
}

/// An entity the caller may read (team, and vendors only where they work).
async fn readable(ctx: &Ctx<'_>, id: &str, asset: bool) -> ApiResult<Row> {
    let row = entity(ctx.db(), id).await?;
    let wanted = if asset {
        is_asset(&row)
    } else {
        row["type_name"] == "Shot"
    };
    if !wanted {
        return Err(ApiError::NotFound);
    }
    let role = team_role(ctx, row.get("project_id")).await?;
    if role == Role::Vendor && !scope::assigned_on_entity(ctx, &row["id"]).await? {
        return Err(ApiError::Forbidden);
    }
    Ok(row)
}

async fn cast_entities(ctx: &Ctx<'_>, owner: &Json) -> ApiResult<Vec<Json>> {
    let rows = ctx
        .db()
        .fetch_all(
            "SELECT a.* FROM entity_link l JOIN entity a ON a.id = l.entity_out_id WHERE l.entity_in_id = $1 \
             ORDER BY l.created_at, a.name",
            &[id_of(owner)?],
            Some("entity"),
        )
        .await?;
    Ok(super::typed(rows, "Asset"))
}

async fn shot_assets(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let shot = readable(&ctx, &id, false).await?;
    Ok(HttpResponse::Ok().json(cast_entities(&ctx, &shot["id"]).await?))
}

async fn asset_assets(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let asset = readable(&ctx, &id, true).await?;
    Ok(HttpResponse::Ok().json(cast_entities(&ctx, &asset["id"]).await?))
}

async fn asset_casting(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let asset = readable(&ctx, &id, true).await?;
    Ok(HttpResponse::Ok().json(casting_of(&state.db, &asset["id"]).await?))
}

/// Where an asset is cast: shots (with their sequence and episode), then assets.
async fn cast_in(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let asset = readable(&ctx, &id, true).await?;
    let key = id_of(&asset["id"])?;
    let shots = state
        .db
        .fetch_all(
            "SELECT sh.id AS shot_id, sh.name AS shot_name, sq.name AS sequence_name, ep.id AS episode_id, \
             ep.name AS episode_name, sh.preview_file_id, l.nb_occurences \
             FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id JOIN entity sq ON sq.id = sh.parent_id \
             LEFT JOIN entity ep ON ep.id = sq.parent_id \
             WHERE l.entity_out_id = $1 AND sh.canceled = FALSE \
             ORDER BY ep.name IS NULL, ep.name, sq.name, sh.name",
            std::slice::from_ref(&key),
            Some("entity"),
        )
        .await?;
    let assets = state
        .db
        .fetch_all(
            &format!(
                "SELECT c.id AS asset_id, c.name AS asset_name, t.name AS asset_type_name, c.preview_file_id, l.nb_occurences \
                 FROM entity_link l JOIN entity c ON c.id = l.entity_in_id JOIN entity_type t ON t.id = c.entity_type_id \
                 WHERE l.entity_out_id = $1 AND c.canceled = FALSE AND c.parent_id IS NULL AND t.name NOT IN {TEMPORAL} \
                 ORDER BY t.name, c.name"
            ),
            &[key],
            Some("entity"),
        )
        .await?;
    let all: Vec<Json> = shots.into_iter().chain(assets).map(Json::Object).collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Casts (or, with 0 occurrences, uncasts) one asset in several entities,
/// keeping their other assets; answers each entity's casting.
async fn cast_asset_in(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let body: Map<String, Json> = match serde_json::from_slice::<Json>(&body) {
        Ok(Json::Object(body)) => body,
        _ => {
            return Err(ApiError::invalid_field(
                "",
                "Input should be a valid dictionary",
            ))
        }
    };
    let ids: Vec<Uuid> = match body.get("entity_ids") {
        Some(Json::Array(ids)) if !ids.is_empty() => ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                id.as_str()
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .ok_or_else(|| {
                        ApiError::invalid_field(
                            &format!("entity_ids.{n}"),
                            "Input should be a valid UUID",
                        )
                    })
            })
            .collect::<ApiResult<_>>()?,
        Some(Json::Array(_)) => {
            return Err(ApiError::invalid_field(
                "entity_ids",
                "List should have at least 1 item after validation, not 0",
            ))
        }
        _ => return Err(ApiError::invalid_field("entity_ids", "Field required")),
    };
    let occurrences = match body.get("nb_occurences") {
        None | Some(Json::Null) => None,
        Some(n) => Some(n.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::invalid_field(
                "nb_occurences",
                "Input should be greater than or equal to 0",
            )
        })?),
    };
    let label = match body.get("label") {
        None | Some(Json::Null) => None,
        Some(Json::String(label)) if label.chars().count() <= 80 => Some(label.clone()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "label",
                "Input should be a valid string",
            ))
        }
    };
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(path.0))).await?;
    let asset = entity(&state.db, &path.1).await?;
    if !is_asset(&asset) {
        return Err(ApiError::NotFound);
    }
    let asset_id =
        Uuid::parse_str(asset["id"].as_str().unwrap_or_default()).map_err(ApiError::internal)?;
    let mut targets = Vec::new();
    for id in &ids {
        targets.push(entity_in_project(&ctx, &path.0, &id.to_string()).await?);
    }
    let mut tx = state.db.begin().await?;
    for target in &targets {
        let existing = link_between(&mut tx, &target["id"], asset_id).await?;
        if occurrences == Some(0) {
            if existing.is_some() {
                if target["type_name"] == "Episode" {
                    remove_from_episode_shots(&mut tx, identity.person.id, target, asset_id)
                        .await?;
                }
                tx.execute(
                    "DELETE FROM entity_link WHERE entity_in_id = $1 AND entity_out_id = $2",
                    &[id_of(&target["id"])?, asset_id.into()],
                )
                .await?;
                announce(
                    &mut tx,
                    identity.person.id,
                    target,
                    &[],
                    &[asset_id.to_string()],
                )
                .await?;
            }
            continue;
        }
        let entry = Entry {
            asset: asset_id,
            occurrences: occurrences
                .or_else(|| existing.as_ref().and_then(|l| l["nb_occurences"].as_i64()))
                .unwrap_or(1),
            label: label
                .clone()
                .or_else(|| {
                    existing
                        .as_ref()
                        .and_then(|l| l["label"].as_str().map(str::to_string))
                })
                .unwrap_or_default(),
        };
        let mut episode = Episode::of(&mut tx, target, &[asset_id]).await?;
        let existing = existing.as_ref().map(|link| &link["id"]);
        cast(
            &mut tx,
            identity.person.id,
            target,
            episode.as_mut(),
            &entry,
            existing,
        )
        .await?;
        if target["type_name"] == "Episode" {
            event(
                "asset:update",
                "asset_id",
                &json!(asset_id),
                &target["project_id"],
            )
            .record(&mut tx, identity.person.id)
            .await?;
        }
        let added = if existing.is_none() {
            vec![asset_id.to_string()]
        } else {
            Vec::new()
        };
        announce(&mut tx, identity.person.id, target, &added, &[]).await?;
    }
    tx.commit().await?;
    refresh(&state, &path.0).await?;
    let mut answer = Map::new();
    for target in &targets {
        answer.insert(
            target["id"].as_str().unwrap_or_default().to_string(),
            Json::Array(casting_of(&state.db, &target["id"]).await?),
        );
    }
    Ok(HttpResponse::Ok().json(answer))
}

/// Removing an asset from an episode removes it from the episode's shots.
async fn remove_from_episode_shots(
    tx: &mut Tx,
    author: Uuid,
    episode: &Row,
    asset: Uuid,
) -> ApiResult<()> {
    let shots = tx
        .fetch_all(
            "SELECT sh.*, t.name AS type_name FROM entity_link l JOIN entity sh ON sh.id = l.entity_in_id \
             JOIN entity_type t ON t.id = sh.entity_type_id JOIN entity sq ON sq.id = sh.parent_id \
             WHERE sq.parent_id = $1 AND l.entity_out_id = $2",
            &[id_of(&episode["id"])?, asset.into()],
            Some("entity"),
        )
        .await?;
    for shot in shots {
        tx.execute(
            "DELETE FROM entity_link WHERE entity_in_id = $1 AND entity_out_id = $2",
            &[id_of(&shot["id"])?, asset.into()],
        )
        .await?;
        announce(tx, author, &shot, &[], &[asset.to_string()]).await?;
    }
    Ok(())
}

/// `{entity_id: [entries]}`: every entity and entry is checked before any casting changes.
async fn put_many_castings(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let refused = || {
        ApiError::bad_request(
            "Request body must be a JSON object mapping entity ids to casting arrays",
        )
    };
    let body: Map<String, Json> = match serde_json::from_slice::<Json>(&body) {
        Ok(Json::Object(body)) => body,
        _ => return Err(refused()),
    };
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(*path))).await?;
    let mut plan = Vec::new();
    for (id, list) in &body {
        if !list.is_array() {
            return Err(refused());
        }
        let target = entity_in_project(&ctx, &path, id).await?;
        plan.push((target, entries(list.to_string().as_bytes())?));
    }
    let mut tx = state.db.begin().await?;
    let mut answer = Map::new();
    for (target, entries) in &plan {
        set_casting(&mut tx, identity.person.id, target, entries).await?;
        answer.insert(
            target["id"].as_str().unwrap_or_default().to_string(),
            json!(echo(entries)),
        );
    }
    tx.commit().await?;
    let targets: Vec<&Row> = plan.iter().map(|(target, _)| target).collect();
    refresh_casting(&state, &path, &targets).await?;
    Ok(HttpResponse::Ok().json(answer))
}

fn echo(entries: &[Entry]) -> Vec<Json> {
    entries
        .iter()
        .map(|e| json!({"asset_id": e.asset, "nb_occurences": e.occurrences, "label": e.label}))
        .collect()
}

async fn put_asset_casting(
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let entries = entries(&body)?;
    let asset = entity(&state.db, &id).await?;
    if !is_asset(&asset) {
        return Err(ApiError::NotFound);
    }
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, asset.get("project_id")).await?;
    let mut tx = state.db.begin().await?;
    set_casting(&mut tx, identity.person.id, &asset, &entries).await?;
    tx.commit().await?;
    refresh_casting(&state, &text_of(&asset["project_id"]), &[&asset]).await?;
    Ok(HttpResponse::Ok().json(echo(&entries)))
}

async fn episode_shots_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(path.0)).await?;
    if path.1 == "main" {
        return Ok(HttpResponse::Ok().json(json!({})));
    }
    let project = Uuid::parse_str(&path.0).map_err(|_| ApiError::NotFound)?;
    let episode = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    super::remembered(
        &state,
        &identity,
        &req,
        casting_map(
            &ctx,
            "sh.project_id = $1 AND sq.parent_id = $2",
            vec![project.into(), episode.into()],
            true,
        ),
    )
    .await
}

async fn asset_type_casting(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    readers(&ctx, &json!(path.0)).await?;
    let project = Uuid::parse_str(&path.0).map_err(|_| ApiError::NotFound)?;
    let asset_type = Uuid::parse_str(&path.1).map_err(|_| ApiError::NotFound)?;
    let known = state
        .db
        .fetch_optional(
            &format!("SELECT id FROM entity_type WHERE id = $1 AND name NOT IN {TEMPORAL}"),
            &[asset_type.into()],
            None,
        )
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound);
    }
    let mut map = casting_map(
        &ctx,
        "sh.project_id = $1 AND sh.entity_type_id = $2",
        vec![project.into(), asset_type.into()],
        false,
    )
    .await?;
    for entries in map.values_mut() {
        if let Json::Array(entries) = entries {
            for entry in entries.iter_mut().filter_map(Json::as_object_mut) {
                entry.remove("is_shared");
                entry.remove("project_id");
            }
        }
    }
    Ok(HttpResponse::Ok().json(map))
}

/// The project's casting links (managers), as a list or in pages.
async fn entity_links(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    scope::require_manager(&ctx, Some(&json!(*path))).await?;
    let project = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let options = crate::crud::ListOptions::read(&ctx.query, false)?;
    let from = "FROM entity_link l JOIN entity e ON e.id = l.entity_in_id WHERE e.project_id = $1";
    let typed = |rows: Vec<Row>| -> Vec<Json> { super::typed(rows, "EntityLink") };
    let Some(page) = options.page.filter(|page| *page >= 1) else {
        let rows = state
            .db
            .fetch_all(
                &format!("SELECT l.* {from} ORDER BY l.created_at, l.id"),
                &[project.into()],
                Some("entity_link"),
            )
            .await?;
        return Ok(HttpResponse::Ok().json(typed(rows)));
    };
    let total = state
        .db
        .fetch_optional(
            &format!("SELECT COUNT(*) AS n {from}"),
            &[project.into()],
            None,
        )
        .await?
        .and_then(|r| r["n"].as_i64())
        .unwrap_or(0);
    let offset = (page - 1) * options.limit;
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT l.* {from} ORDER BY l.created_at, l.id LIMIT {} OFFSET {offset}",
                options.limit
            ),
            &[project.into()],
            Some("entity_link"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": typed(rows),
        "total": total,
        "nb_pages": (total + options.limit - 1) / options.limit,
        "limit": options.limit,
        "offset": offset,
        "page": page,
    })))
}
