//! Avatars of persons, projects and the organisation: uploading one (turned
//! into a 400×400 PNG by the thumbnail workers) and reading it.

use super::comments::one;
use super::pictures::{self, Disposition};
use super::{text, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::db::{now, Row};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::{Method, StatusCode};
use actix_web::{mime, web, HttpRequest, HttpResponse};
use serde_json::json;
use tusk_actors::thumbnails;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq)]
enum Owner {
    Person,
    Project,
    Organisation,
}

impl Owner {
    fn table(self) -> &'static str {
        match self {
            Owner::Person => "person",
            Owner::Project => "project",
            Owner::Organisation => "organisation",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Owner::Person => "persons",
            Owner::Project => "projects",
            Owner::Organisation => "organisations",
        }
    }
}

pub(super) fn routes() -> Vec<Route> {
    let mut routes = Vec::new();
    for owner in [Owner::Person, Owner::Project, Owner::Organisation] {
        for suffix in ["", ".png"] {
            let path = format!("/pictures/thumbnails/{}/{{id}}{suffix}", owner.plural());
            let table = owner.table();
            routes.push(Route::new(
                Method::GET,
                &path,
                format!("The avatar of a {table}"),
                move |r| {
                    r.to(
                        move |state: web::Data<AppState>,
                              identity: Identity,
                              path: web::Path<String>,
                              req: HttpRequest| {
                            read(state, identity, path, req, owner)
                        },
                    )
                },
            ));
            let upload = move |r: actix_web::Route| {
                r.to(
                    move |state: web::Data<AppState>,
                          identity: Identity,
                          path: web::Path<String>,
                          req: HttpRequest,
                          payload: web::Payload| {
                        upload(state, identity, path, req, payload, owner)
                    },
                )
            };
            if owner == Owner::Project && suffix == ".png" {
                routes.push(Route::new(
                    Method::POST,
                    &path,
                    "Refused: project avatars are uploaded without the extension",
                    |r| r.to(project_upload_with_extension),
                ));
            } else {
                routes.push(Route::new(
                    Method::POST,
                    &path,
                    format!("Upload the avatar of a {table}"),
                    upload,
                ));
            }
        }
    }
    routes
}

/// The row the avatar belongs to: the person or project named (404 when
/// unknown), or the one organisation whatever the id, as in Zou.
async fn owner_row(state: &AppState, owner: Owner, id: &str) -> ApiResult<Row> {
    match owner {
        Owner::Organisation => match crate::organisation::current(&state.db, true).await? {
            serde_json::Value::Object(row) => Ok(row),
            _ => Err(ApiError::internal("the organisation is not a record")),
        },
        _ => one(&state.db, owner.table(), id).await,
    }
}

/// The UUID an id of the URL names (404 when it names none).
fn canonical(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound)
}

/// Persons change their own avatar, project managers their project's, and
/// admins any.
async fn check_upload(
    state: &AppState,
    identity: &Identity,
    owner: Owner,
    id: &str,
) -> ApiResult<()> {
    if identity.is_admin() {
        return Ok(());
    }
    match owner {
        Owner::Person if identity.person.id.to_string() == id => Ok(()),
        Owner::Project => {
            let project = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
            identity
                .require_project_manager(&state.db, project)
                .await
                .map(|_| ())
        }
        _ => Err(ApiError::Forbidden),
    }
}

async fn upload(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
    owner: Owner,
) -> ApiResult<HttpResponse> {
    let asked = path.into_inner();
    let row = owner_row(&state, owner, &asked).await?;
    let id = text(&row, "id");
    check_upload(&state, &identity, owner, &id).await?;
    let received = pictures::receive(&state, &req, payload).await?;
    let avatar = pictures::make_pictures(&state, &received, thumbnails::avatar).await?;
    // Zou stores the file before it finds the organisation has another id.
    if canonical(&asked)?.to_string() != id {
        return Err(ApiError::NotFound);
    }
    let stored = state.config.stored_file("pictures", "thumbnails", &id);
    pictures::store_pictures(vec![(stored.clone(), avatar)]).await?;
    if let Err(error) = flag_avatar(&state, identity.person.id, owner, &id).await {
        // A previous avatar was replaced by the new one, which may as well stay.
        if row["has_avatar"] != json!(true) {
            pictures::remove_all([stored.as_path()]);
        }
        return Err(error);
    }
    Ok(HttpResponse::Created().json(json!({
        "thumbnail_path": format!("pictures/thumbnails/{}/{asked}.png", owner.plural()),
    })))
}

/// Only once the picture is stored does the row say there is one.
async fn flag_avatar(state: &AppState, author: Uuid, owner: Owner, id: &str) -> ApiResult<()> {
    let key = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let table = owner.table();
    let mut tx = state.db.begin().await?;
    tx.execute(
        &format!("UPDATE {table} SET has_avatar = $1, updated_at = $2 WHERE id = $3"),
        &[true.into(), now().into(), key.into()],
    )
    .await?;
    let project = (owner == Owner::Project).then_some(key);
    for change in ["update", "set-thumbnail"] {
        Event::new(format!("{table}:{change}"), &format!("{table}_id"), id)
            .in_project(project)
            .record(&mut tx, author)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Zou refuses project avatars sent to the `.png` address with a 405 of its own.
async fn project_upload_with_extension(_identity: Identity) -> ApiResult<HttpResponse> {
    Err(ApiError::Body(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({
            "error": true,
            "message": "Upload project thumbnails on the url without extension: /pictures/thumbnails/projects/<project_id>.",
        }),
    ))
}

/// Anyone signed in reads avatars, except a project's: its team, and studio
/// managers.
async fn read(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    owner: Owner,
) -> ApiResult<HttpResponse> {
    let row = owner_row(&state, owner, &path).await?;
    if row["has_avatar"] != json!(true) {
        return Err(ApiError::NotFound);
    }
    // The organisation's is read under the id asked, whatever the organisation's.
    let id = canonical(&path)?;
    if owner == Owner::Project && !identity.person.role.is_manager_or_above() {
        identity.project_role(&state.db, id).await?;
    }
    pictures::serve(
        &req,
        state
            .config
            .stored_file("pictures", "thumbnails", &id.to_string()),
        mime::IMAGE_PNG,
        &row["updated_at"],
        Disposition::Inline,
        None,
    )
    .await
}
