//! The chats of entities the caller takes part in (`/data/user/chats`), and
//! joining or leaving an entity's chat.

use super::entity_lists::entity;
use super::news::full_name;
use super::user_context::person_only;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::{id_of, Ctx};
use crate::db::{now, Row, Tx};
use crate::error::ApiResult;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value as Json};
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/user/chats",
            "Get the chats the caller takes part in",
            |r| r.to(chats),
        ),
        Route::new(
            Method::POST,
            "/actions/user/chats/{entity_id}/join",
            "Join an entity's chat",
            |r| r.to(join),
        ),
        Route::new(
            Method::DELETE,
            "/actions/user/chats/{entity_id}/join",
            "Leave an entity's chat",
            |r| r.to(leave),
        ),
    ]
}

/// The caller's chats on entities of open projects, each named after its
/// entity (`E01 / SQ01 / SH010`, `Character / Hero`).
async fn chats(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let rows = state
        .db
        .fetch_all(
            concat!(
                "SELECT c.id, c.object_id, c.last_message, e.name AS entity_name, e.project_id, \
                 e.preview_file_id, e.source_id AS entity_source_id, e.id AS task_entity_id, \
                 et.name AS entity_type_name, par.id AS parent_id, par.name AS parent_name, \
                 gp.id AS grandparent_id, gp.name AS grandparent_name \
                 FROM chat c JOIN chat_participant cp ON cp.chat_id = c.id AND cp.person_id = $1 \
                 JOIN entity e ON e.id = c.object_id JOIN entity_type et ON et.id = e.entity_type_id \
                 JOIN project p ON p.id = e.project_id \
                 LEFT JOIN entity par ON par.id = e.parent_id LEFT JOIN entity gp ON gp.id = par.parent_id \
                 WHERE p.project_status_id IN (",
                crate::crud::scope::open_statuses_sql!(),
                ") ORDER BY c.created_at, c.id"
            ),
            &[identity.person.id.into()],
            Some("chat"),
        )
        .await?;
    let chats: Vec<Json> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row["id"],
                "object_id": row["object_id"],
                "last_message": row["last_message"],
                "entity_name": full_name(row).0,
                "project_id": row["project_id"],
                "preview_file_id": row["preview_file_id"],
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(chats))
}

async fn find_chat(tx: &mut Tx, entity: &Row) -> ApiResult<Option<Row>> {
    Ok(tx
        .fetch_optional(
            "SELECT * FROM chat WHERE object_id = $1 ORDER BY created_at, id LIMIT 1",
            &[id_of(&entity["id"])?],
            Some("chat"),
        )
        .await?)
}

/// The entity of the path, for a person who may read it (vendors: with a
/// task on it); leaving a chat asks the same as joining it.
async fn chat_entity(
    state: &AppState,
    identity: &Identity,
    id: &str,
    req: &HttpRequest,
) -> ApiResult<Row> {
    person_only(identity)?;
    entity(&Ctx::new(state, identity, req), id).await
}

/// The entity's chat, made on first join.
async fn join(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let entity = chat_entity(&state, &identity, &path, &req).await?;
    let mut tx = state.db.begin().await?;
    let mut chat = match find_chat(&mut tx, &entity).await? {
        Some(chat) => chat,
        None => {
            let stamp = now();
            tx.insert(
                "chat",
                &[
                    ("id", Uuid::now_v7().into()),
                    ("object_id", id_of(&entity["id"])?),
                    ("object_type", "entity".into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?
        }
    };
    tx.execute(
        "INSERT INTO chat_participant (chat_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[id_of(&chat["id"])?, identity.person.id.into()],
    )
    .await?;
    tx.commit().await?;
    chat.insert("type".into(), json!("Chat"));
    Ok(HttpResponse::Ok().json(chat))
}

/// An entity without a chat stays without one.
async fn leave(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let entity = chat_entity(&state, &identity, &path, &req).await?;
    let mut tx = state.db.begin().await?;
    if let Some(chat) = find_chat(&mut tx, &entity).await? {
        tx.execute(
            "DELETE FROM chat_participant WHERE chat_id = $1 AND person_id = $2",
            &[id_of(&chat["id"])?, identity.person.id.into()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
