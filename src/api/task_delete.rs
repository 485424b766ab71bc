//! Deleting tasks in bulk (a selection, or every task of a type in a
//! project), with everything that hangs off them, in one transaction.

use super::breakdown::batch_ids;
use super::breakdown_create::project;
use super::task_preview::{announce_main_preview, SHOWABLE_PREVIEW};
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::entities::remove_task_data;
use crate::crud::{id_of, scope, Ctx};
use crate::db::{now, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use tusk_actors::project::Touched;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/delete-tasks",
            "Delete the selected tasks of a project",
            |r| r.to(delete_selected),
        ),
        Route::new(
            Method::DELETE,
            "/actions/projects/{project_id}/task-types/{task_type_id}/delete-tasks",
            "Delete every task of a type in a project",
            |r| r.to(delete_of_type),
        ),
    ]
}

/// Deletes the tasks with everything that hangs off them (see
/// [`remove_task_belongings`]). Answers the entities whose thumbnail changed.
async fn remove_tasks(
    tx: &mut Tx,
    identity: &Identity,
    project: &Row,
    tasks: &[Row],
) -> ApiResult<Vec<String>> {
    let entities = remove_task_belongings(tx, identity, project, tasks).await?;
    for task in tasks {
        tx.execute("DELETE FROM task WHERE id = $1", &[id_of(&task["id"])?])
            .await?;
        let mut event = Event::new(
            "task:delete",
            "task_id",
            task["id"].as_str().unwrap_or_default(),
        )
        .in_project(scope::project_id(task.get("project_id")));
        for key in ["entity_id", "task_type_id"] {
            event.data.insert(key.into(), task[key].clone());
        }
        event.record(tx, identity.person.id).await?;
    }
    Ok(entities)
}

/// Removes what hangs off the tasks (comments, previews, files, time,
/// notifications, subscriptions, assignments) and their news, which the
/// clients are told of; entities whose thumbnail came from them take the
/// newest remaining one when the project picks them automatically, else
/// none. The tasks themselves stay. Answers the entities whose thumbnail changed.
pub(crate) async fn remove_task_belongings(
    tx: &mut Tx,
    identity: &Identity,
    project: &Row,
    tasks: &[Row],
) -> ApiResult<Vec<String>> {
    let mut orphaned: Vec<Row> = Vec::new();
    for task in tasks {
        let id = id_of(&task["id"])?;
        let shown = tx
            .fetch_all(
                "SELECT e.id, e.project_id, et.name AS type_name FROM entity e \
                 JOIN entity_type et ON et.id = e.entity_type_id \
                 WHERE e.preview_file_id IN (SELECT id FROM preview_file WHERE task_id = $1)",
                std::slice::from_ref(&id),
                None,
            )
            .await?;
        for entity in shown {
            if !orphaned.iter().any(|e| e["id"] == entity["id"]) {
                orphaned.push(entity);
            }
        }
        let news = tx
            .fetch_all(
                "SELECT id FROM news WHERE task_id = $1 \
                 OR comment_id IN (SELECT id FROM comment WHERE object_id = $1)",
                std::slice::from_ref(&id),
                None,
            )
            .await?;
        let in_project = scope::project_id(task.get("project_id"));
        for row in news {
            Event::new(
                "news:delete",
                "news_id",
                row["id"].as_str().unwrap_or_default(),
            )
            .in_project(in_project)
            .record(tx, identity.person.id)
            .await?;
        }
        remove_task_data(tx, "SELECT id FROM task WHERE id = $1", id).await?;
    }
    let automated = project["is_set_preview_automated"] == json!(true);
    let mut entities = Vec::new();
    for entity in orphaned {
        let preview = if automated {
            tx.fetch_optional(
                &SHOWABLE_PREVIEW.replace("{tasks}", "SELECT id FROM task WHERE entity_id = $1"),
                &[id_of(&entity["id"])?],
                None,
            )
            .await?
        } else {
            None
        };
        tx.execute(
            "UPDATE entity SET preview_file_id = $1, updated_at = $2 WHERE id = $3",
            &[
                preview
                    .as_ref()
                    .map_or(Ok(Value::Null), |p| id_of(&p["id"]))?,
                now().into(),
                id_of(&entity["id"])?,
            ],
        )
        .await?;
        announce_main_preview(tx, identity.person.id, &entity, preview.as_ref()).await?;
        entities.push(entity["id"].as_str().unwrap_or_default().to_string());
    }
    Ok(entities)
}

async fn refresh(
    state: &AppState,
    project: &Row,
    tasks: &[Row],
    entities: Vec<String>,
) -> ApiResult<()> {
    let touched = Touched {
        tasks: tasks
            .iter()
            .map(|t| t["id"].as_str().unwrap_or_default().to_string())
            .collect(),
        entities,
        ..Default::default()
    };
    if touched.is_empty() {
        return Ok(());
    }
    super::breakdown_create::refresh(state, &project["id"], touched).await
}

/// `POST /actions/projects/{id}/delete-tasks`: project managers delete the
/// selected tasks of their project (others' ids are ignored); the answer
/// echoes the selection, as Zou's does.
async fn delete_selected(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = project(&state, &path).await?;
    scope::require_manager(&ctx, project.get("id")).await?;
    let ids = batch_ids(&body)?;
    let sent: Json = serde_json::from_slice(&body).map_err(ApiError::internal)?;
    let mut tasks = Vec::new();
    for id in &ids {
        let id = Uuid::parse_str(id).map_err(ApiError::internal)?;
        if let Some(task) = state
            .db
            .fetch_optional(
                "SELECT id, project_id, entity_id, task_type_id FROM task WHERE id = $1 AND project_id = $2",
                &[id.into(), id_of(&project["id"])?],
                Some("task"),
            )
            .await?
        {
            tasks.push(task);
        }
    }
    let mut tx = state.db.begin().await?;
    let entities = remove_tasks(&mut tx, &identity, &project, &tasks).await?;
    tx.commit().await?;
    refresh(&state, &project, &tasks, entities).await?;
    Ok(HttpResponse::Ok().json(sent))
}

/// `DELETE /actions/projects/{id}/task-types/{id}/delete-tasks`: studio
/// admins only, as in Zou.
async fn delete_of_type(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let project = project(&state, &path.0).await?;
    let task_type = Uuid::parse_str(&path.1)
        .map_err(|_| ApiError::bad_request(format!("Invalid UUID value: {}", path.1)))?;
    let tasks = state
        .db
        .fetch_all(
            "SELECT id, project_id, entity_id, task_type_id FROM task \
             WHERE project_id = $1 AND task_type_id = $2 ORDER BY created_at, id",
            &[id_of(&project["id"])?, task_type.into()],
            Some("task"),
        )
        .await?;
    let mut tx = state.db.begin().await?;
    let entities = remove_tasks(&mut tx, &identity, &project, &tasks).await?;
    tx.commit().await?;
    refresh(&state, &project, &tasks, entities).await?;
    Ok(HttpResponse::NoContent().finish())
}
