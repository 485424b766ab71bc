//! A task's comment threads after they are posted: reading them as each role
//! may, deleting them (the task is rebuilt from what remains), acknowledging,
//! replying, moving a comment to a sibling task, the project's comment list
//! and commenting many tasks at once.

use super::comments::{
    self, check_retakes, mentions, one, post, publish, read_request, record, refresh, replay,
    shown, Audience, Notice, Posting, Surroundings,
};
use super::{text_of, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::comments::{check_comment_access, COMMENTS};
use crate::crud::scope::{task_access, task_action_access, team_role};
use crate::crud::{id_of, read_rows, Ctx, ListOptions};
use crate::db::{now, Db, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value as Json};
use std::collections::{HashMap, HashSet};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/tasks/{task_id}/comments",
            "A task's comments, as the caller may see them",
            |r| r.to(task_comments),
        ),
        Route::new(
            Method::GET,
            "/data/tasks/{task_id}/comments/{comment_id}",
            "One comment of a task",
            |r| r.to(task_comment),
        ),
        Route::new(
            Method::DELETE,
            "/data/tasks/{task_id}/comments/{comment_id}",
            "Delete a comment; the task is rebuilt from its remaining history",
            |r| r.to(delete_comment),
        ),
        Route::new(
            Method::POST,
            "/data/tasks/{task_id}/comments/{comment_id}/ack",
            "Acknowledge a comment, or take the acknowledgement back",
            |r| r.to(acknowledge),
        ),
        Route::new(
            Method::POST,
            "/data/tasks/{task_id}/comments/{comment_id}/reply",
            "Reply to a comment",
            |r| r.to(reply),
        ),
        Route::new(
            Method::DELETE,
            "/data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}",
            "Delete one's reply",
            |r| r.to(delete_reply),
        ),
        Route::new(
            Method::POST,
            "/actions/tasks/{task_id}/comments/{comment_id}/move",
            "Move a comment to another task of the same entity",
            |r| r.to(move_comment),
        ),
        Route::new(
            Method::GET,
            "/data/projects/{project_id}/comments",
            "A project's comments, newest edits first",
            |r| r.to(project_comments),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/tasks/comment-many",
            "Comment many tasks of a project at once",
            |r| r.to(comment_many),
        ),
        Route::new(
            Method::POST,
            "/actions/projects/{project_id}/tasks/copy-client-comments",
            "Copy the last client comment of tasks as internal comments",
            |r| r.to(copy_client_comments),
        ),
    ]
}

/// A comment of the task named in the URL; `refusal` when it belongs to another.
pub(super) async fn comment_of(
    db: &Db,
    task_id: &str,
    comment_id: &str,
    refusal: ApiError,
) -> ApiResult<Row> {
    let comment = one(db, "comment", comment_id).await?;
    if comment["object_id"].as_str() != Some(task_id) {
        return Err(refusal);
    }
    Ok(comment)
}

pub(super) fn is_author(identity: &Identity, comment: &Row) -> bool {
    comment["person_id"].as_str() == Some(identity.person.id.to_string().as_str())
}

/// A task by an id from the URL: a malformed id is as unknown as a missing one.
fn task_id(id: &str) -> ApiResult<Json> {
    Uuid::parse_str(id)
        .map(|id| json!(id))
        .map_err(|_| ApiError::NotFound)
}

/// The project role, falling back on the studio role outside the team (as
/// Zou resolves it where no team membership is asked).
async fn role_or_studio(ctx: &Ctx<'_>, project: &Json) -> ApiResult<Role> {
    match team_role(ctx, Some(project)).await {
        Err(ApiError::Forbidden) => Ok(ctx.identity.person.role),
        other => other,
    }
}

fn plain(mut comment: Row) -> Json {
    comment.insert("type".into(), json!("Comment"));
    Json::Object(comment)
}

/// Name cards of people, with the role they hold in the project, by id.
async fn cards(db: &Db, project: &Json, ids: &HashSet<String>) -> ApiResult<HashMap<String, Row>> {
    let ids: Vec<Value> = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .map(Value::Uuid)
        .collect();
    let rows = db
        .clone()
        .fetch_in(
            "SELECT p.id, p.first_name, p.last_name, p.has_avatar, p.role, l.role AS project_role \
             FROM person p LEFT JOIN project_person_link l ON l.person_id = p.id AND l.project_id = $1 \
             WHERE p.id IN ({ids})",
            &[id_of(project)?],
            &ids,
            Some("person"),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (text_of(&row["id"]), row))
        .collect())
}

fn effective_role(card: &Row) -> Role {
    let parse = |value: &Json| value.as_str().and_then(|r| r.parse::<Role>().ok());
    parse(&card["role"])
        .unwrap_or(Role::User)
        .in_project(parse(&card["project_role"]))
}

fn name_card(card: Option<&Row>, with_full_name: bool) -> Json {
    let Some(card) = card else {
        return Json::Null;
    };
    let mut shown = Map::new();
    for key in ["id", "first_name", "last_name", "has_avatar", "role"] {
        shown.insert(key.into(), card[key].clone());
    }
    if with_full_name {
        shown.insert("full_name".into(), json!(comments::full_name(card)));
    }
    Json::Object(shown)
}

/// `GET /data/tasks/{task_id}/comments`.
async fn task_comments(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let (role, task) = task_access(&ctx, &task_id(&path)?).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT c.* FROM comment c JOIN person p ON p.id = c.person_id \
             JOIN task_status s ON s.id = c.task_status_id WHERE c.object_id = $1 \
             ORDER BY c.created_at DESC, c.id DESC",
            &[id_of(&task["id"])?],
            Some("comment"),
        )
        .await?;
    let mut people = HashSet::new();
    for row in &rows {
        people.insert(text_of(&row["person_id"]));
        people.insert(text_of(&row["editor_id"]));
        for reply in row["replies"].as_array().into_iter().flatten() {
            people.insert(text_of(&reply["person_id"]));
        }
    }
    let people = cards(&state.db, &task["project_id"], &people).await?;
    let statuses: HashMap<String, Row> = state
        .db
        .fetch_all(
            "SELECT name, short_name, color, id FROM task_status WHERE id IN \
             (SELECT task_status_id FROM comment WHERE object_id = $1)",
            &[id_of(&task["id"])?],
            Some("task_status"),
        )
        .await?
        .into_iter()
        .map(|row| (text_of(&row["id"]), row))
        .collect();
    let mut previews: HashMap<String, Vec<Json>> = HashMap::new();
    for mut preview in state
        .db
        .fetch_all(
            "SELECT l.comment AS comment_id, p.id, p.task_id, p.revision, p.extension, p.width, p.height, \
             p.duration, p.status, p.validation_status, p.original_name, p.position, p.annotations \
             FROM comment_preview_link l JOIN preview_file p ON p.id = l.preview_file \
             JOIN comment c ON c.id = l.comment WHERE c.object_id = $1 ORDER BY p.revision, p.position, p.id",
            &[id_of(&task["id"])?],
            Some("preview_file"),
        )
        .await?
    {
        let owner = text_of(&preview.remove("comment_id").unwrap_or_default());
        for (key, default) in [("status", "ready"), ("validation_status", "neutral")] {
            if preview[key].is_null() {
                preview.insert(key.into(), json!(default));
            }
        }
        previews.entry(owner).or_default().push(Json::Object(preview));
    }
    let mut files: HashMap<String, Vec<Json>> = HashMap::new();
    for mut file in state
        .db
        .fetch_all(
            "SELECT a.comment_id, a.id, a.name, a.extension, a.reply_id, a.size FROM attachment_file a \
             JOIN comment c ON c.id = a.comment_id WHERE c.object_id = $1 ORDER BY a.created_at, a.id",
            &[id_of(&task["id"])?],
            Some("attachment_file"),
        )
        .await?
    {
        let owner = text_of(&file.remove("comment_id").unwrap_or_default());
        files.entry(owner).or_default().push(Json::Object(file));
    }
    let rows = read_rows(&ctx, &COMMENTS, rows, true).await?;
    let isolated = role == Role::Client
        && one(&state.db, "project", &text_of(&task["project_id"])).await?["is_clients_isolated"]
            == json!(true);
    let me = identity.person.id.to_string();
    let mut shown = Vec::new();
    for mut row in rows {
        let id = text_of(&row["id"]);
        let author = people.get(&text_of(&row["person_id"]));
        let by_client = author.is_some_and(|a| effective_role(a) == Role::Client);
        let mut own_previews = previews.remove(&id).unwrap_or_default();
        let mut own_files = files.remove(&id).unwrap_or_default();
        match role {
            Role::Admin | Role::Manager | Role::Supervisor => {}
            Role::User | Role::Vendor if by_client => continue,
            Role::User | Role::Vendor => {}
            Role::Client => {
                own_previews.retain(|p| p["validation_status"] != json!("rejected"));
                let for_client = row["for_client"] == json!(true);
                if !own_previews.is_empty() && !by_client && !for_client {
                    // The studio's comment on a preview shows the preview, not the words.
                    row.insert("text".into(), json!(""));
                    row.insert("checklist".into(), json!([]));
                    row.insert("replies".into(), json!([]));
                    own_files.clear();
                } else if !(for_client
                    || (isolated && text_of(&row["person_id"]) == me)
                    || (!isolated && by_client))
                {
                    continue;
                }
            }
        }
        row.insert("person".into(), name_card(author, true));
        if !row["editor_id"].is_null() {
            let editor = people.get(&text_of(&row["editor_id"]));
            row.insert("editor".into(), name_card(editor, false));
        }
        let status = statuses.get(&text_of(&row["task_status_id"])).cloned();
        row.insert(
            "task_status".into(),
            status.map_or(Json::Null, Json::Object),
        );
        row.insert("previews".into(), Json::Array(own_previews));
        row.insert("attachment_files".into(), Json::Array(own_files));
        if let Some(replies) = row.get_mut("replies").and_then(Json::as_array_mut) {
            for reply in replies.iter_mut() {
                let person = name_card(people.get(&text_of(&reply["person_id"])), true);
                reply["person"] = person;
            }
        }
        shown.push(Json::Object(row));
    }
    Ok(HttpResponse::Ok().json(shown))
}

/// `GET /data/tasks/{task_id}/comments/{comment_id}`.
async fn task_comment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task, comment) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let comment = comment_of(&state.db, &task, &comment, ApiError::NotFound).await?;
    check_comment_access(&ctx, &comment).await?;
    Ok(HttpResponse::Ok().json(plain(comment)))
}

/// Removes stored attachment files once their rows are gone for good.
pub(super) fn forget_files(state: &AppState, ids: &[Row]) {
    for row in ids {
        let path = comments::stored_path(&state.config, &text_of(&row["id"]));
        // A file already missing needs no removing.
        let _ = std::fs::remove_file(path);
    }
}

/// Deletes a comment's notifications and its news, telling of each news.
async fn unpublish(tx: &mut Tx, author: Uuid, comment: &Row, project: &Json) -> ApiResult<()> {
    tx.execute(
        "DELETE FROM notification WHERE comment_id = $1",
        &[id_of(&comment["id"])?],
    )
    .await?;
    let news = tx
        .fetch_all(
            "DELETE FROM news WHERE comment_id = $1 RETURNING id",
            &[id_of(&comment["id"])?],
            None,
        )
        .await?;
    for item in news {
        record(
            tx,
            author,
            "news:delete",
            "news_id",
            &item["id"],
            project,
            vec![],
        )
        .await?;
    }
    Ok(())
}

/// Tells that a rebuilt task changed status.
async fn status_changed(
    tx: &mut Tx,
    author: Uuid,
    task: &Row,
    status: &Json,
    person: &Json,
) -> ApiResult<()> {
    if status == &task["task_status_id"] {
        return Ok(());
    }
    record(
        tx,
        author,
        "task:status-changed",
        "task_id",
        &task["id"],
        &task["project_id"],
        vec![
            ("new_task_status_id", status.clone()),
            ("previous_task_status_id", task["task_status_id"].clone()),
            ("person_id", person.clone()),
        ],
    )
    .await
}

/// `DELETE /data/tasks/{task_id}/comments/{comment_id}`.
async fn delete_comment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let comment = comment_of(&state.db, &task_id, &comment_id, ApiError::NotFound).await?;
    let task = one(&state.db, "task", &task_id).await?;
    let manages = matches!(
        team_role(&ctx, Some(&task["project_id"])).await,
        Ok(Role::Admin | Role::Manager)
    );
    if !manages && !is_author(&identity, &comment) {
        return Err(ApiError::Forbidden);
    }
    let me = identity.person.id;
    let id = id_of(&comment["id"])?;
    let mut tx = state.db.begin().await?;
    unpublish(&mut tx, me, &comment, &task["project_id"]).await?;
    let files = tx
        .fetch_all(
            "DELETE FROM attachment_file WHERE comment_id = $1 RETURNING id",
            std::slice::from_ref(&id),
            None,
        )
        .await?;
    for statement in [
        "DELETE FROM comment_acknoledgments WHERE comment = $1",
        "DELETE FROM comment_mentions WHERE comment = $1",
        "DELETE FROM comment_department_mentions WHERE comment = $1",
        "DELETE FROM comment_preview_link WHERE comment = $1",
        "DELETE FROM comment WHERE id = $1",
    ] {
        tx.execute(statement, std::slice::from_ref(&id)).await?;
    }
    record(
        &mut tx,
        me,
        "comment:delete",
        "comment_id",
        &comment["id"],
        &task["project_id"],
        vec![("task_id", task["id"].clone())],
    )
    .await?;
    let status = replay(&mut tx, me, &task).await?;
    status_changed(&mut tx, me, &task, &status, &comment["person_id"]).await?;
    tx.commit().await?;
    forget_files(&state, &files);
    refresh(&state, &task["project_id"], vec![text_of(&task["id"])]).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A comment with its relations as id lists, read fresh.
pub(super) async fn with_relations(ctx: &Ctx<'_>, id: &Json) -> ApiResult<Json> {
    let comment = one(ctx.db(), "comment", &text_of(id)).await?;
    let mut rows = read_rows(ctx, &COMMENTS, vec![comment], true).await?;
    Ok(Json::Object(rows.remove(0)))
}

/// `POST /data/tasks/{task_id}/comments/{comment_id}/ack`.
async fn acknowledge(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (task, comment) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    task_access(&ctx, &task_id(&task)?).await?;
    let comment = comment_of(&state.db, &task, &comment, ApiError::NotFound).await?;
    check_comment_access(&ctx, &comment).await?;
    let key = [id_of(&comment["id"])?, identity.person.id.into()];
    let mut tx = state.db.begin().await?;
    let removed = tx
        .execute(
            "DELETE FROM comment_acknoledgments WHERE comment = $1 AND person = $2",
            &key,
        )
        .await?;
    if removed == 0 {
        tx.insert(
            "comment_acknoledgments",
            &[("comment", key[0].clone()), ("person", key[1].clone())],
        )
        .await?;
    }
    tx.execute(
        "UPDATE comment SET updated_at = $1 WHERE id = $2",
        &[now().into(), key[0].clone()],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(with_relations(&ctx, &comment["id"]).await?))
}

/// A task and its entity (with its type's name), as notices and news need them.
async fn task_and_entity(tx: &mut Tx, task: &Json) -> ApiResult<(Row, Row)> {
    let task = tx
        .fetch_optional(
            "SELECT * FROM task WHERE id = $1",
            &[id_of(task)?],
            Some("task"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let entity = comments::entity_of(tx, &task).await?;
    Ok((task, entity))
}

/// Who may reply: the author always; others as they may comment the task
/// (or were mentioned on it), clients only on what they may read; only
/// managers and clients in a client thread.
async fn check_reply(ctx: &Ctx<'_>, comment: &Row, task: &Row) -> ApiResult<()> {
    let role = if is_author(ctx.identity, comment) {
        role_or_studio(ctx, &task["project_id"]).await?
    } else {
        let role = match task_action_access(ctx, &task["id"]).await {
            Ok(role) => role,
            Err(ApiError::Forbidden) => {
                let role = team_role(ctx, Some(&task["project_id"])).await?;
                if role == Role::Vendor || !comments::mentioned_on(ctx, &task["id"]).await? {
                    return Err(ApiError::Forbidden);
                }
                role
            }
            Err(other) => return Err(other),
        };
        if role == Role::Client {
            check_comment_access(ctx, comment).await?;
            let both = ctx
                .db()
                .fetch_all(
                    "SELECT studio_id FROM person WHERE id IN ($1, $2)",
                    &[id_of(&comment["person_id"])?, ctx.identity.person.id.into()],
                    None,
                )
                .await?;
            if both.len() == 2 && both[0]["studio_id"] != both[1]["studio_id"] {
                let author = author_cards(ctx.db(), task, comment).await?;
                if author.is_some_and(|a| effective_role(&a) == Role::Client) {
                    return Err(ApiError::Forbidden);
                }
            }
        }
        role
    };
    if matches!(role, Role::Admin | Role::Manager | Role::Client) {
        return Ok(());
    }
    let by_client = author_cards(ctx.db(), task, comment)
        .await?
        .is_some_and(|a| effective_role(&a) == Role::Client);
    if comment["for_client"] == json!(true) || by_client {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

async fn author_cards(db: &Db, task: &Row, comment: &Row) -> ApiResult<Option<Row>> {
    let author = text_of(&comment["person_id"]);
    Ok(
        cards(db, &task["project_id"], &HashSet::from([author.clone()]))
            .await?
            .remove(&author),
    )
}

/// `POST /data/tasks/{task_id}/comments/{comment_id}/reply`.
async fn reply(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id) = path.into_inner();
    let ctx = Ctx::new(&state, &identity, &req);
    let comment = comment_of(&state.db, &task_id, &comment_id, ApiError::Forbidden).await?;
    let task = one(&state.db, "task", &task_id).await?;
    check_reply(&ctx, &comment, &task).await?;
    let (fields, uploads) = read_request(&req, payload).await?;
    let text = match fields.get("text") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(text)) => text.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "text",
                "Input should be a valid string",
            ))
        }
    };
    let me = json!(identity.person.id);
    let mut tx = state.db.begin().await?;
    let (task, entity) = task_and_entity(&mut tx, &task["id"]).await?;
    let (people, departments) = mentions(&mut tx, &task, &text).await?;
    let stamp = now();
    let date = json!(stamp.format("%Y-%m-%dT%H:%M:%S").to_string());
    let reply_id = json!(Uuid::new_v4());
    let written = json!({
        "id": reply_id,
        "date": date,
        "person_id": me,
        "text": text,
        "mentions": people,
        "department_mentions": departments,
        "created_at": date,
    });
    let mut replies = comment["replies"].as_array().cloned().unwrap_or_default();
    let mut repliers: Vec<Json> = replies.iter().map(|r| r["person_id"].clone()).collect();
    repliers.push(comment["person_id"].clone());
    replies.push(written.clone());
    tx.execute(
        "UPDATE comment SET replies = $1, updated_at = $2 WHERE id = $3",
        &[
            Value::Json(Json::Array(replies)),
            stamp.into(),
            id_of(&comment["id"])?,
        ],
    )
    .await?;
    let attachments =
        comments::attach(&state, &mut tx, &comment["id"], uploads, Some(&reply_id)).await?;
    record(
        &mut tx,
        identity.person.id,
        "comment:reply",
        "comment_id",
        &comment["id"],
        &task["project_id"],
        vec![
            ("task_id", task["id"].clone()),
            ("reply_id", reply_id.clone()),
        ],
    )
    .await?;
    let notice = Notice {
        author: &me,
        reply: Some(&reply_id),
        repliers,
        changed: false,
        mentions: &people,
        audience: Audience::read(&mut tx, &task, &entity, &departments).await?,
    };
    comments::notify(&mut tx, &task, &comment, notice)?;
    tx.commit().await?;
    let mut answer = written;
    if !attachments.is_empty() {
        answer["attachment_files"] = json!(attachments);
    }
    let me_card = cards(
        &state.db,
        &task["project_id"],
        &HashSet::from([identity.person.id.to_string()]),
    )
    .await?;
    answer["person"] = name_card(me_card.values().next(), true);
    Ok(HttpResponse::Ok().json(answer))
}

/// `DELETE /data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}`.
async fn delete_reply(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (task_id, comment_id, reply_id) = path.into_inner();
    let comment = comment_of(&state.db, &task_id, &comment_id, ApiError::NotFound).await?;
    let mut replies = comment["replies"].as_array().cloned().unwrap_or_default();
    let at = replies
        .iter()
        .position(|r| r["id"].as_str() == Some(reply_id.as_str()))
        .ok_or(ApiError::NotFound)?;
    if replies[at]["person_id"].as_str() != Some(identity.person.id.to_string().as_str())
        && !identity.is_admin()
    {
        return Err(ApiError::Forbidden);
    }
    let reply = replies.remove(at);
    let mut tx = state.db.begin().await?;
    let files = tx
        .fetch_all(
            "DELETE FROM attachment_file WHERE comment_id = $1 AND reply_id = $2 RETURNING id",
            &[id_of(&comment["id"])?, id_of(&reply["id"])?],
            None,
        )
        .await?;
    tx.execute(
        "DELETE FROM notification WHERE reply_id = $1",
        &[id_of(&reply["id"])?],
    )
    .await?;
    tx.execute(
        "UPDATE comment SET replies = $1, updated_at = $2 WHERE id = $3",
        &[
            Value::Json(Json::Array(replies)),
            now().into(),
            id_of(&comment["id"])?,
        ],
    )
    .await?;
    tx.commit().await?;
    forget_files(&state, &files);
    let comment = one(&state.db, "comment", &comment_id).await?;
    Ok(HttpResponse::Ok().json(plain(comment)))
}

/// `POST /actions/tasks/{task_id}/comments/{comment_id}/move`.
async fn move_comment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    identity.require_manager()?;
    let (source_id, comment_id) = path.into_inner();
    let fields = super::body_fields(&req, &body)?;
    let target_id = match fields.get("target_task_id") {
        None => return Err(ApiError::invalid_field("target_task_id", "Field required")),
        Some(Json::String(target)) => target.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "target_task_id",
                "Input should be a valid string",
            ))
        }
    };
    let ctx = Ctx::new(&state, &identity, &req);
    task_access(&ctx, &task_id(&source_id)?).await?;
    task_access(&ctx, &task_id(&target_id)?).await?;
    let comment = one(&state.db, "comment", &comment_id).await?;
    if comment["object_id"].as_str() != Some(source_id.as_str()) {
        return Err(ApiError::bad_request(
            "Comment does not belong to the given task.",
        ));
    }
    let source = one(&state.db, "task", &source_id).await?;
    let target = one(&state.db, "task", &target_id).await?;
    if source["id"] == target["id"] {
        return Err(ApiError::bad_request(
            "Source and target tasks must be different.",
        ));
    }
    if source["entity_id"] != target["entity_id"] {
        return Err(ApiError::bad_request(
            "A comment can only be moved between tasks of the same entity.",
        ));
    }
    let previewed = !comment["preview_file_id"].is_null()
        || state
            .db
            .fetch_optional(
                "SELECT comment FROM comment_preview_link WHERE comment = $1",
                &[id_of(&comment["id"])?],
                None,
            )
            .await?
            .is_some();
    if previewed {
        return Err(ApiError::bad_request(
            "A comment attached to a preview revision cannot be moved.",
        ));
    }
    let me = identity.person.id;
    let id = id_of(&comment["id"])?;
    let project = &source["project_id"];
    let mut tx = state.db.begin().await?;
    unpublish(&mut tx, me, &comment, project).await?;
    tx.execute(
        "UPDATE comment SET object_id = $1, updated_at = $2 WHERE id = $3",
        &[id_of(&target["id"])?, now().into(), id.clone()],
    )
    .await?;
    for task in [&source, &target] {
        let status = replay(&mut tx, me, task).await?;
        status_changed(&mut tx, me, task, &status, &comment["person_id"]).await?;
    }
    record(
        &mut tx,
        me,
        "comment:delete",
        "comment_id",
        &comment["id"],
        project,
        vec![("task_id", source["id"].clone())],
    )
    .await?;
    record(
        &mut tx,
        me,
        "comment:new",
        "comment_id",
        &comment["id"],
        project,
        vec![
            ("task_id", target["id"].clone()),
            ("task_status_id", comment["task_status_id"].clone()),
            ("person_id", comment["person_id"].clone()),
            ("for_client", comment["for_client"].clone()),
        ],
    )
    .await?;
    let (target_now, entity) = task_and_entity(&mut tx, &target["id"]).await?;
    let moved = tx
        .fetch_optional(
            "SELECT * FROM comment WHERE id = $1",
            std::slice::from_ref(&id),
            Some("comment"),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let named = |table: &str, column: &str| {
        format!("SELECT {column} AS id FROM {table} WHERE comment = $1 ORDER BY {column}")
    };
    let mut lists = Vec::new();
    for (table, column) in [
        ("comment_mentions", "person"),
        ("comment_department_mentions", "department"),
    ] {
        let rows = tx
            .fetch_all(&named(table, column), std::slice::from_ref(&id), None)
            .await?;
        lists.push(
            rows.into_iter()
                .map(|r| r["id"].clone())
                .collect::<Vec<_>>(),
        );
    }
    let notice = Notice {
        author: &moved["person_id"],
        reply: None,
        repliers: Vec::new(),
        changed: false,
        mentions: &lists[0],
        audience: Audience::read(&mut tx, &target_now, &entity, &lists[1]).await?,
    };
    comments::notify(&mut tx, &target_now, &moved, notice)?;
    publish(&mut tx, &target_now, &entity, &moved, false).await?;
    tx.commit().await?;
    refresh(
        &state,
        project,
        vec![text_of(&source["id"]), text_of(&target["id"])],
    )
    .await?;
    Ok(HttpResponse::Ok().json(with_relations(&ctx, &comment["id"]).await?))
}

/// `GET /data/projects/{project_id}/comments`.
async fn project_comments(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let project = one(&state.db, "project", &path).await?;
    let role = team_role(&ctx, Some(&project["id"])).await?;
    if matches!(role, Role::Client | Role::Vendor) {
        return Err(ApiError::Forbidden);
    }
    let options = ListOptions::read(&ctx.query, false)?;
    // Artists do not see the clients' comments here either.
    let hidden = if role == Role::User {
        " AND COALESCE(l.role, p.role) <> 'client'"
    } else {
        ""
    };
    let from = format!(
        "FROM comment c JOIN task t ON t.id = c.object_id JOIN person p ON p.id = c.person_id \
         LEFT JOIN project_person_link l ON l.person_id = c.person_id AND l.project_id = t.project_id \
         WHERE t.project_id = $1{hidden}"
    );
    let params = [id_of(&project["id"])?];
    let select =
        |window: &str| format!("SELECT c.* {from} ORDER BY c.updated_at DESC, c.id DESC{window}");
    let Some(page) = options.page.filter(|page| *page >= 1) else {
        let rows = state
            .db
            .fetch_all(&select(""), &params, Some("comment"))
            .await?;
        return Ok(HttpResponse::Ok().json(read_rows(&ctx, &COMMENTS, rows, true).await?));
    };
    let total = state
        .db
        .fetch_optional(&format!("SELECT COUNT(*) AS total {from}"), &params, None)
        .await?
        .and_then(|row| row["total"].as_i64())
        .unwrap_or(0);
    let offset = (page - 1) * options.limit;
    let rows = state
        .db
        .fetch_all(
            &select(&format!(" LIMIT {} OFFSET {offset}", options.limit)),
            &params,
            Some("comment"),
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": read_rows(&ctx, &COMMENTS, rows, true).await?,
        "total": total,
        "nb_pages": (total + options.limit - 1) / options.limit,
        "limit": options.limit,
        "offset": offset,
        "page": page,
    })))
}

fn uuid_field(item: &Map<String, Json>, index: usize, key: &str) -> ApiResult<Option<String>> {
    match item.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) if Uuid::parse_str(text).is_ok() => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::invalid_field(
            &format!("{index}.{key}"),
            "Input should be a valid UUID",
        )),
    }
}

/// One item of a comment-many body, validated.
struct Item {
    task: Option<String>,
    status: Option<String>,
    text: Option<String>,
    links: Vec<String>,
}

fn item(index: usize, value: &Json) -> ApiResult<Item> {
    let Some(item) = value.as_object() else {
        return Err(ApiError::invalid_field(
            &index.to_string(),
            "Input should be a valid dictionary",
        ));
    };
    let text = match item.get("comment") {
        None | Some(Json::Null) => None,
        Some(Json::String(text)) => Some(text.clone()),
        Some(_) => {
            return Err(ApiError::invalid_field(
                &format!("{index}.comment"),
                "Input should be a valid string",
            ))
        }
    };
    let links = match item.get("links") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(links)) if links.iter().all(Json::is_string) => {
            links.iter().map(text_of).collect()
        }
        Some(_) => {
            return Err(ApiError::invalid_field(
                &format!("{index}.links"),
                "Input should be a valid list of strings",
            ))
        }
    };
    Ok(Item {
        // gazu's `create_multiple_comments` names the task `task_id`.
        task: match uuid_field(item, index, "object_id")? {
            Some(task) => Some(task),
            None => uuid_field(item, index, "task_id")?,
        },
        status: uuid_field(item, index, "task_status_id")?,
        text,
        links,
    })
}

/// The comment-many body: a JSON array, or gazu's form with the array in
/// its `comments` field.
async fn many_body(req: &HttpRequest, payload: web::Payload) -> ApiResult<Vec<Json>> {
    let refused = || ApiError::bad_request("Request body must be a JSON array.");
    let (fields, _) = if actix_web::HttpMessage::content_type(req).starts_with("multipart/") {
        read_request(req, payload).await?
    } else {
        let body = payload
            .to_bytes_limited(comments::BODY_LIMIT)
            .await
            .map_err(|_| ApiError::bad_request("The request body is too large."))?
            .map_err(|_| ApiError::bad_request("The request body could not be read."))?;
        return match serde_json::from_slice(&body) {
            Ok(Json::Array(items)) => Ok(items),
            _ => Err(refused()),
        };
    };
    match fields
        .get("comments")
        .and_then(Json::as_str)
        .map(serde_json::from_str)
    {
        Some(Ok(Json::Array(items))) => Ok(items),
        _ => Err(refused()),
    }
}

/// Everything one comment of a batch needs, checked before any is written.
struct Planned {
    task: Row,
    status: Row,
    text: String,
    links: Vec<String>,
}

/// Posts planned comments by the caller in one transaction; answers them
/// with the author's departments, as Zou does for batches.
async fn post_all(
    state: &AppState,
    identity: &Identity,
    project: &Json,
    planned: Vec<Planned>,
) -> ApiResult<HttpResponse> {
    let author = one(&state.db, "person", &identity.person.id.to_string()).await?;
    let departments = identity.person.department_ids(&state.db).await?;
    let mut surroundings = Vec::new();
    for plan in &planned {
        let mut db = state.db.clone();
        surroundings.push(Surroundings::read(&mut db, &plan.task, &plan.status, &plan.text).await?);
    }
    let mut tx = state.db.begin().await?;
    let mut answers = Vec::new();
    let mut touched = Vec::new();
    for (plan, surroundings) in planned.iter().zip(surroundings) {
        let posting = Posting {
            task: &plan.task,
            author: &author,
            status: &plan.status,
            text: plan.text.clone(),
            checklist: json!([]),
            links: plan.links.clone(),
            for_client: false,
            created_at: now(),
            uploads: Vec::new(),
            cross_post: true,
            surroundings,
        };
        let written = post(state, &mut tx, posting, 0).await?;
        touched.extend(written.tasks.clone());
        answers.push(shown(
            written,
            &plan.status,
            author.clone(),
            Some(departments.clone()),
        )?);
    }
    tx.commit().await?;
    let mut by_project: HashMap<String, Vec<String>> = HashMap::new();
    by_project
        .entry(text_of(project))
        .or_default()
        .extend(touched);
    for plan in &planned {
        by_project
            .entry(text_of(&plan.task["project_id"]))
            .or_default()
            .push(text_of(&plan.task["id"]));
    }
    for (project, tasks) in by_project {
        refresh(state, &json!(project), tasks).await?;
    }
    Ok(HttpResponse::Created().json(answers))
}

/// `POST /actions/projects/{project_id}/tasks/comment-many`.
async fn comment_many(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let items = many_body(&req, payload).await?;
    let items: Vec<Item> = items
        .iter()
        .enumerate()
        .map(|(index, value)| item(index, value))
        .collect::<ApiResult<_>>()?;
    let ctx = Ctx::new(&state, &identity, &req);
    let project = one(&state.db, "project", &path).await?;
    let mut planned = Vec::new();
    for item in items {
        let (Some(task), Some(status), Some(text)) = (item.task, item.status, item.text) else {
            continue;
        };
        let task = one(&state.db, "task", &task).await?;
        if task["project_id"] != project["id"] {
            return Err(ApiError::bad_request(format!(
                "Task {} is not in this project.",
                text_of(&task["id"])
            )));
        }
        let status = one(&state.db, "task_status", &status).await?;
        // As on one comment, except that a batch skips the tasks the caller
        // may not act on, as Zou does.
        match comments::check(&ctx, &task, &status).await {
            Ok(_) => {}
            Err(ApiError::Forbidden) if task_action_access(&ctx, &task["id"]).await.is_err() => {
                continue
            }
            Err(other) => return Err(other),
        }
        if status["is_retake"] == json!(true) {
            check_retakes(&state, &task).await?;
        }
        planned.push(Planned {
            task,
            status,
            text,
            links: item.links,
        });
    }
    post_all(&state, &identity, &project["id"], planned).await
}

/// `POST /actions/projects/{project_id}/tasks/copy-client-comments`.
async fn copy_client_comments(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let fields = super::body_fields(&req, &body)?;
    let tasks = match fields.get("task_ids") {
        None => return Err(ApiError::invalid_field("task_ids", "Field required")),
        Some(Json::Array(ids)) if ids.is_empty() => {
            return Err(ApiError::invalid_field(
                "task_ids",
                "List should have at least 1 item after validation, not 0",
            ))
        }
        Some(Json::Array(ids)) => ids
            .iter()
            .enumerate()
            .map(|(index, id)| match id.as_str().map(Uuid::parse_str) {
                Some(Ok(id)) => Ok(Value::Uuid(id)),
                _ => Err(ApiError::invalid_field(
                    &format!("task_ids.{index}"),
                    "Input should be a valid UUID",
                )),
            })
            .collect::<ApiResult<Vec<_>>>()?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "task_ids",
                "Input should be a valid list",
            ))
        }
    };
    let prefix = match fields.get("prefix") {
        None => String::new(),
        Some(Json::String(prefix)) => prefix.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "prefix",
                "Input should be a valid string",
            ))
        }
    };
    let project = one(&state.db, "project", &path).await?;
    let project_id = Uuid::parse_str(&text_of(&project["id"])).map_err(ApiError::internal)?;
    identity
        .require_project_manager(&state.db, project_id)
        .await?;
    let latest = state
        .db
        .clone()
        .fetch_in(
            "SELECT c.object_id, c.text FROM comment c JOIN task t ON t.id = c.object_id \
             JOIN person p ON p.id = c.person_id \
             LEFT JOIN project_person_link l ON l.person_id = p.id AND l.project_id = t.project_id \
             WHERE t.project_id = $1 AND c.object_id IN ({ids}) AND COALESCE(l.role, p.role) = 'client' \
             ORDER BY c.object_id, c.created_at DESC, c.id DESC",
            &[Value::Uuid(project_id)],
            &tasks,
            Some("comment"),
        )
        .await?;
    let mut planned: Vec<Planned> = Vec::new();
    for comment in latest {
        let task_id = text_of(&comment["object_id"]);
        if planned
            .last()
            .is_some_and(|p| text_of(&p.task["id"]) == task_id)
        {
            continue;
        }
        let task = one(&state.db, "task", &task_id).await?;
        let status = one(&state.db, "task_status", &text_of(&task["task_status_id"])).await?;
        let words = text_of(&comment["text"]);
        planned.push(Planned {
            task,
            status,
            text: if prefix.is_empty() {
                words
            } else {
                format!("{prefix}\n\n{words}")
            },
            links: Vec::new(),
        });
    }
    post_all(&state, &identity, &project["id"], planned).await
}
