//! "What am I assigned to" (`/data/user/projects/{id}/sequences`,
//! `/data/user/shots/{id}/tasks`...): the entities, tasks and task types the
//! caller reaches through the tasks assigned to them in open projects. As in
//! Zou there is no team check: the assignment is the permission.

use super::breakdown::{mask_for_vendor, Kind};
use super::user_context::person_only;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::temporal_types_sql;
use crate::crud::scope::open_statuses_sql;
use crate::crud::{where_clause, Condition, Ctx};
use crate::db::Value;
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

/// What the path's ids are looked up as before listing (404 when they are not).
#[derive(Clone, Copy)]
enum Parent {
    Entity(Kind),
    Project,
    ProjectAssetType,
}

/// What a list holds.
#[derive(Clone, Copy)]
enum Answer {
    /// The tasks on the parent entity itself.
    Tasks,
    /// The types of those tasks.
    TaskTypes,
    /// A sequence's shots or scenes.
    Children(Kind),
    /// A project's sequences holding assigned shots.
    Sequences,
    /// A project's episodes holding such sequences.
    Episodes,
    AssetTypes,
    /// A project's assets of one asset type.
    Assets,
}

pub(super) fn routes() -> Vec<Route> {
    let project = "/data/user/projects/{project_id}";
    let mut lists = vec![
        (
            format!("{project}/asset-types"),
            "Get the asset types of the caller's assigned assets in a project".to_string(),
            Parent::Project,
            Answer::AssetTypes,
        ),
        (
            format!("{project}/asset-types/{{asset_type_id}}/assets"),
            "Get the caller's assigned assets of an asset type in a project".to_string(),
            Parent::ProjectAssetType,
            Answer::Assets,
        ),
        (
            format!("{project}/episodes"),
            "Get the episodes holding the caller's assigned shots".to_string(),
            Parent::Project,
            Answer::Episodes,
        ),
        (
            format!("{project}/sequences"),
            "Get the sequences holding the caller's assigned shots".to_string(),
            Parent::Project,
            Answer::Sequences,
        ),
    ];
    for child in [Kind::Shot, Kind::Scene] {
        lists.push((
            format!("/data/user/sequences/{{sequence_id}}/{}", child.route()),
            format!("Get the caller's assigned {} of a sequence", child.route()),
            Parent::Entity(Kind::Sequence),
            Answer::Children(child),
        ));
    }
    for kind in [Kind::Asset, Kind::Shot, Kind::Scene, Kind::Sequence] {
        let base = format!("/data/user/{}/{{{}}}", kind.route(), id_key(kind));
        let name = match kind {
            Kind::Asset => "an asset".to_string(),
            kind => format!("a {}", kind.event_prefix()),
        };
        lists.push((
            format!("{base}/tasks"),
            format!("Get the caller's assigned tasks of {name}"),
            Parent::Entity(kind),
            Answer::Tasks,
        ));
        lists.push((
            format!("{base}/task-types"),
            format!("Get the types of the caller's assigned tasks of {name}"),
            Parent::Entity(kind),
            Answer::TaskTypes,
        ));
    }
    lists
        .into_iter()
        .map(|(path, summary, parent, answer)| {
            Route::new(Method::GET, path, summary, move |r| {
                r.to(move |state, identity, req| list(parent, answer, state, identity, req))
            })
        })
        .collect()
}

/// The path parameter naming an entity of this kind (`shot_id`...).
fn id_key(kind: Kind) -> String {
    format!("{}_id", kind.event_prefix())
}

/// The caller's tasks in open projects (`$1` is the caller).
const ASSIGNED: &str = concat!(
    "SELECT ua.task_id FROM task_person_link ua JOIN task ut ON ut.id = ua.task_id \
     JOIN project up ON up.id = ut.project_id WHERE ua.person_id = $1 AND up.project_status_id IN (",
    open_statuses_sql!(),
    ")"
);

/// `column` names the entity type of `kind`.
fn of_type(column: &str, kind: Kind) -> String {
    format!(
        "{column} IN (SELECT id FROM entity_type WHERE name = '{}')",
        kind.type_name()
    )
}

fn uuid(text: &str) -> ApiResult<Value> {
    Uuid::parse_str(text)
        .map(Value::Uuid)
        .map_err(|_| ApiError::NotFound)
}

async fn exists(ctx: &Ctx<'_>, table: &str, conditions: &[Condition]) -> ApiResult<()> {
    let (where_sql, params) = where_clause(conditions);
    ctx.db()
        .fetch_optional(&format!("SELECT id FROM {table}{where_sql}"), &params, None)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// The path's ids, each checked to name a row of the expected kind.
async fn lookup(ctx: &Ctx<'_>, parent: Parent, req: &HttpRequest) -> ApiResult<Vec<Value>> {
    let path_id = |key: &str| uuid(req.match_info().get(key).unwrap_or_default());
    let by_id = |id: &Value| Condition::new("id = ?", vec![id.clone()]);
    match parent {
        Parent::Entity(kind) => {
            let id = path_id(&id_key(kind))?;
            exists(ctx, "entity", &[by_id(&id), kind.type_condition()]).await?;
            Ok(vec![id])
        }
        Parent::Project => {
            let id = path_id("project_id")?;
            exists(ctx, "project", &[by_id(&id)]).await?;
            Ok(vec![id])
        }
        Parent::ProjectAssetType => {
            let project = path_id("project_id")?;
            exists(ctx, "project", &[by_id(&project)]).await?;
            let asset_type = path_id("asset_type_id")?;
            let asset_types =
                Condition::new(concat!("name NOT IN ", temporal_types_sql!()), vec![]);
            exists(ctx, "entity_type", &[by_id(&asset_type), asset_types]).await?;
            Ok(vec![project, asset_type])
        }
    }
}

/// The query of a list: SQL reading `$1` (the caller) and `$2`, `$3` (the
/// path's ids), the table its rows are typed from, and their `type`.
fn query(answer: Answer) -> (String, &'static str, &'static str) {
    let on_assigned = format!("id IN (SELECT entity_id FROM task WHERE id IN ({ASSIGNED}))");
    let assigned_shots = format!(
        "SELECT sh.id FROM entity sh WHERE {} AND sh.id IN (SELECT entity_id FROM task WHERE id IN ({ASSIGNED}))",
        of_type("sh.entity_type_id", Kind::Shot)
    );
    match answer {
        Answer::Tasks => (
            format!("SELECT * FROM task WHERE entity_id = $2 AND id IN ({ASSIGNED}) ORDER BY created_at, id"),
            "task",
            "Task",
        ),
        Answer::TaskTypes => (
            format!(
                "SELECT * FROM task_type WHERE id IN \
                 (SELECT task_type_id FROM task WHERE entity_id = $2 AND id IN ({ASSIGNED})) ORDER BY name, id"
            ),
            "task_type",
            "TaskType",
        ),
        Answer::Children(kind) => (
            format!(
                "SELECT * FROM entity WHERE parent_id = $2 AND {} AND {on_assigned} ORDER BY name, id",
                of_type("entity_type_id", kind)
            ),
            "entity",
            kind.type_name(),
        ),
        Answer::Sequences => (
            format!(
                "SELECT * FROM entity WHERE project_id = $2 AND {} AND id IN \
                 (SELECT parent_id FROM entity WHERE id IN ({assigned_shots})) ORDER BY name, id",
                of_type("entity_type_id", Kind::Sequence)
            ),
            "entity",
            "Sequence",
        ),
        Answer::Episodes => (
            format!(
                "SELECT * FROM entity WHERE project_id = $2 AND {} AND id IN \
                 (SELECT sq.parent_id FROM entity sq JOIN entity shot ON shot.parent_id = sq.id \
                  WHERE shot.id IN ({assigned_shots})) ORDER BY name, id",
                of_type("entity_type_id", Kind::Episode)
            ),
            "entity",
            "Episode",
        ),
        Answer::AssetTypes => (
            format!(
                concat!(
                    "SELECT * FROM entity_type WHERE name NOT IN ",
                    temporal_types_sql!(),
                    " AND id IN (SELECT entity_type_id FROM entity WHERE project_id = $2 AND {}) ORDER BY name, id"
                ),
                on_assigned
            ),
            "entity_type",
            "AssetType",
        ),
        Answer::Assets => (
            format!(
                "SELECT * FROM entity WHERE project_id = $2 AND entity_type_id = $3 AND {on_assigned} \
                 ORDER BY name, id"
            ),
            "entity",
            "Asset",
        ),
    }
}

async fn list(
    parent: Parent,
    answer: Answer,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let ctx = Ctx::new(&state, &identity, &req);
    let ids = lookup(&ctx, parent, &req).await?;
    let (sql, table, type_name) = query(answer);
    let mut params = vec![Value::Uuid(identity.person.id)];
    params.extend(ids);
    let mut rows = state.db.fetch_all(&sql, &params, Some(table)).await?;
    if table == "entity" {
        // Zou shows a vendor every metadata field here; Tusk hides those of
        // other departments, as on the breakdown lists.
        mask_for_vendor(&ctx, &mut rows).await?;
    }
    Ok(HttpResponse::Ok().json(super::typed(rows, type_name)))
}
