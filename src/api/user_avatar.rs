//! Removing the caller's avatar (`/actions/user/clear-avatar`).

use super::user_context::person_only;
use super::Route;
use crate::app::AppState;
use crate::auth::Identity;
use crate::db::now;
use crate::error::ApiResult;
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};

pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::DELETE,
        "/actions/user/clear-avatar",
        "Remove the caller's avatar",
        |r| r.to(clear_avatar),
    )]
}

/// The flag is cleared and the event recorded every time; the picture,
/// stored where Zou keeps avatars, is removed when there is one.
async fn clear_avatar(state: web::Data<AppState>, identity: Identity) -> ApiResult<HttpResponse> {
    person_only(&identity)?;
    let person = identity.person.id;
    let mut tx = state.db.begin().await?;
    tx.execute(
        "UPDATE person SET has_avatar = $1, updated_at = $2 WHERE id = $3",
        &[false.into(), now().into(), person.into()],
    )
    .await?;
    Event::new("person:update", "person_id", &person.to_string())
        .record(&mut tx, person)
        .await?;
    tx.commit().await?;
    let picture = state
        .config
        .stored_file("pictures", "thumbnails", &person.to_string());
    // The person no longer shows an avatar whatever becomes of the file.
    crate::storage::remove_quietly(&picture);
    Ok(HttpResponse::NoContent().finish())
}
