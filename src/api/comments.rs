//! Commenting a task: the heart of the daily loop. A comment carries a
//! status, moves the task (dates, retakes), tells the people concerned,
//! feeds the news, and may set off the project's status automations.

use super::{text_of, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::scope::{self, task_action_access, team_role};
use crate::crud::{id_of, Ctx};
use crate::db::{now, parse_timestamp, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use crate::persons::Person;
use actix_multipart::Multipart;
use actix_web::http::Method;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Map, Value as Json};
use std::collections::HashSet;
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

/// Attachments of one comment may weigh this much in all.
const UPLOAD_LIMIT: usize = 512 * 1024 * 1024;
/// A JSON comment body may weigh this much.
pub(super) const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Status automations and hashtags can comment other tasks, which can set off
/// more automations: this deep at most.
const CASCADE_LIMIT: usize = 8;

pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::POST,
        "/actions/tasks/{task_id}/comment",
        "Comment a task, maybe changing its status",
        |r| r.to(comment),
    )]
}

/// A file sent with a comment.
pub(super) struct Upload {
    name: String,
    mimetype: String,
    bytes: Vec<u8>,
}

/// The request's fields and files: JSON, a form, or multipart with files.
pub(super) async fn read_request(
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(Map<String, Json>, Vec<Upload>)> {
    if req.content_type().starts_with("multipart/") {
        let mut form = Multipart::new(req.headers(), payload);
        let mut fields = Map::new();
        let mut uploads = Vec::new();
        let mut seen = HashSet::new();
        let mut total = 0;
        while let Some(part) = form.next().await {
            let mut part =
                part.map_err(|_| ApiError::bad_request("The multipart body could not be read."))?;
            let disposition = part.content_disposition().cloned();
            let field = disposition
                .as_ref()
                .and_then(|d| d.get_name())
                .unwrap_or_default()
                .to_string();
            let file_name = disposition
                .as_ref()
                .and_then(|d| d.get_filename())
                .map(str::to_string);
            let mimetype = part
                .content_type()
                .map(|m| m.to_string())
                .unwrap_or_default();
            let mut bytes = Vec::new();
            while let Some(chunk) = part.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::bad_request("The multipart body could not be read."))?;
                total += chunk.len();
                if total > UPLOAD_LIMIT {
                    return Err(ApiError::bad_request("The attachments are too large."));
                }
                bytes.extend_from_slice(&chunk);
            }
            match file_name {
                Some(name) if seen.insert(field.clone()) => uploads.push(Upload {
                    name,
                    mimetype,
                    bytes,
                }),
                Some(_) => {}
                None => {
                    fields.insert(
                        field,
                        Json::String(String::from_utf8_lossy(&bytes).into_owned()),
                    );
                }
            }
        }
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        for (key, value) in query {
            fields.entry(key).or_insert(Json::String(value));
        }
        return Ok((fields, uploads));
    }
    let body = payload
        .to_bytes_limited(BODY_LIMIT)
        .await
        .map_err(|_| ApiError::bad_request("The request body is too large."))?
        .map_err(|_| ApiError::bad_request("The request body could not be read."))?;
    Ok((super::body_fields(req, &body)?, Vec::new()))
}

/// What a comment says, validated.
struct Draft {
    status: String,
    text: String,
    person_id: Option<String>,
    created_at: Option<chrono::NaiveDateTime>,
    checklist: Json,
    links: Vec<String>,
    for_client: bool,
}

fn optional_text(fields: &Map<String, Json>, key: &str) -> ApiResult<Option<String>> {
    match fields.get(key) {
        None => Ok(None),
        Some(Json::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "Input should be a valid string",
        )),
    }
}

/// A list sent as JSON or, in a form, as a JSON string.
fn list(fields: &Map<String, Json>, key: &str) -> ApiResult<Vec<Json>> {
    match fields.get(key) {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => Ok(items.clone()),
        Some(Json::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
        Some(Json::String(text)) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Array(items)) => Ok(items),
            Ok(_) => Err(ApiError::invalid_field(key, "Input should be a valid list")),
            Err(error) => Err(ApiError::invalid_field(
                key,
                format!("Value error, {error}"),
            )),
        },
        Some(_) => Err(ApiError::invalid_field(key, "Input should be a valid list")),
    }
}

fn draft(fields: &Map<String, Json>) -> ApiResult<Draft> {
    let status = match fields.get("task_status_id") {
        Some(Json::String(status)) => status.clone(),
        None => return Err(ApiError::invalid_field("task_status_id", "Field required")),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "task_status_id",
                "Input should be a valid string",
            ))
        }
    };
    let for_client = match fields.get("for_client") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(flag)) => *flag,
        Some(Json::String(text)) => match text.to_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => true,
            "false" | "no" | "0" | "off" | "" => false,
            _ => {
                return Err(ApiError::invalid_field(
                    "for_client",
                    "Input should be a valid boolean, unable to interpret input",
                ))
            }
        },
        Some(_) => {
            return Err(ApiError::invalid_field(
                "for_client",
                "Input should be a valid boolean",
            ))
        }
    };
    Ok(Draft {
        status,
        text: optional_text(fields, "comment")?.unwrap_or_default(),
        person_id: optional_text(fields, "person_id")?.filter(|p| !p.is_empty()),
        created_at: match optional_text(fields, "created_at")?.filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => Some(parse_timestamp(&text).ok_or_else(|| {
                ApiError::invalid_field("created_at", "Input should be an ISO 8601 datetime")
            })?),
        },
        checklist: Json::Array(list(fields, "checklist")?),
        links: list(fields, "links")?
            .into_iter()
            .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
            .collect(),
        for_client,
    })
}

pub(super) async fn one(db: &crate::db::Db, table: &str, id: &str) -> ApiResult<Row> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    db.fetch_optional(
        &format!("SELECT * FROM {table} WHERE id = $1"),
        &[id.into()],
        Some(table),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// Whether the caller was mentioned on the task (by name or department):
/// that lets a team member who may not act on it post without changing its status.
pub(super) async fn mentioned_on(ctx: &Ctx<'_>, task: &Json) -> ApiResult<bool> {
    let mentioned = ctx
        .db()
        .fetch_optional(
            "SELECT c.id FROM comment c WHERE c.object_id = $1 AND (\
             c.id IN (SELECT comment FROM comment_mentions WHERE person = $2) OR \
             c.id IN (SELECT comment FROM comment_department_mentions WHERE department IN \
             (SELECT department_id FROM department_link WHERE person_id = $2))) LIMIT 1",
            &[id_of(task)?, ctx.identity.person.id.into()],
            None,
        )
        .await?;
    if mentioned.is_some() {
        return Ok(true);
    }
    let me = json!(ctx.identity.person.id);
    let departments: Vec<Json> = ctx
        .identity
        .person
        .department_ids(ctx.db())
        .await?
        .into_iter()
        .map(Json::String)
        .collect();
    let threads = ctx
        .db()
        .fetch_all(
            "SELECT replies FROM comment WHERE object_id = $1",
            &[id_of(task)?],
            Some("comment"),
        )
        .await?;
    let named = |reply: &Json, key: &str, wanted: &Json| {
        reply[key]
            .as_array()
            .is_some_and(|ids| ids.contains(wanted))
    };
    Ok(threads
        .iter()
        .filter_map(|thread| thread["replies"].as_array())
        .flatten()
        .any(|reply| {
            named(reply, "mentions", &me)
                || departments
                    .iter()
                    .any(|d| named(reply, "department_mentions", d))
        }))
}

/// Who may post this comment, and as whom: the task-action rule, or a
/// mention for a same-status comment; artists and clients only with the
/// statuses allowed them.
pub(super) async fn check(ctx: &Ctx<'_>, task: &Row, status: &Row) -> ApiResult<Role> {
    let role = match task_action_access(ctx, &task["id"]).await {
        Ok(role) => role,
        Err(ApiError::Forbidden) => {
            let role = team_role(ctx, task.get("project_id")).await?;
            if role == Role::Vendor
                || !mentioned_on(ctx, &task["id"]).await?
                || status["id"] != task["task_status_id"]
            {
                return Err(ApiError::Forbidden);
            }
            role
        }
        Err(other) => return Err(other),
    };
    let allowed = match role {
        Role::User => status["is_artist_allowed"] == json!(true),
        Role::Client => {
            let link = ctx
                .db()
                .fetch_optional(
                    "SELECT is_client_allowed FROM project_task_status_link WHERE project_id = $1 AND task_status_id = $2",
                    &[id_of(&task["project_id"])?, id_of(&status["id"])?],
                    Some("project_task_status_link"),
                )
                .await?;
            match link.map(|l| l["is_client_allowed"].clone()) {
                Some(Json::Bool(allowed)) => allowed,
                _ => status["is_client_allowed"] == json!(true),
            }
        }
        _ => true,
    };
    if allowed {
        Ok(role)
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A comment to write: its task, author, status and words.
pub(super) struct Posting<'a> {
    pub(super) task: &'a Row,
    pub(super) author: &'a Row,
    pub(super) status: &'a Row,
    pub(super) text: String,
    pub(super) checklist: Json,
    pub(super) links: Vec<String>,
    pub(super) for_client: bool,
    pub(super) created_at: chrono::NaiveDateTime,
    pub(super) uploads: Vec<Upload>,
    /// Whether `#task-type` words copy the comment to the entity's other tasks.
    pub(super) cross_post: bool,
    pub(super) surroundings: Surroundings,
}

/// What a comment needs to know of its task's surroundings: the entity, the
/// people and departments the text names, who hears of it, and the status
/// automations it sets off. The comment route reads it before it takes the
/// transaction, which then holds SQLite's single writer only to write.
pub(super) struct Surroundings {
    entity: Row,
    mentions: Vec<Json>,
    departments: Vec<Json>,
    audience: Audience,
    automations: Vec<Row>,
}

impl Surroundings {
    pub(super) async fn read(
        r: &mut impl Read,
        task: &Row,
        status: &Row,
        text: &str,
    ) -> ApiResult<Surroundings> {
        let entity = entity_of(r, task).await?;
        let (mentions, departments) = mentions(r, task, text).await?;
        let audience = Audience::read(r, task, &entity, &departments).await?;
        let automations = r
            .fetch_all(
                "SELECT a.* FROM status_automation a JOIN project_status_automation_link l ON l.status_automation_id = a.id \
                 WHERE l.project_id = $1 AND (a.archived IS NULL OR a.archived = FALSE) \
                 AND a.in_task_type_id = $2 AND a.in_task_status_id = $3",
                &[id_of(&task["project_id"])?, id_of(&task["task_type_id"])?, id_of(&status["id"])?],
                Some("status_automation"),
            )
            .await?;
        Ok(Surroundings {
            entity,
            mentions,
            departments,
            audience,
            automations,
        })
    }
}

/// What a posting wrote, for the answer and the caches.
pub(super) struct Written {
    pub(super) comment: Row,
    pub(super) mentions: Vec<Json>,
    pub(super) department_mentions: Vec<Json>,
    pub(super) attachments: Vec<Json>,
    pub(super) tasks: Vec<String>,
}

pub(super) fn full_name(person: &Row) -> String {
    let part = |key: &str| person.get(key).and_then(Json::as_str).unwrap_or_default();
    format!("{} {}", part("first_name"), part("last_name"))
        .trim()
        .to_string()
}

/// Whether `@name` stands in the text, followed by a space or the end.
fn names(text: &str, name: &str) -> bool {
    let needle = format!("@{name}");
    text.match_indices(&needle).any(|(at, _)| {
        let rest = &text[at + needle.len()..];
        rest.is_empty() || rest.starts_with(' ')
    })
}

/// The people of the team and the departments the text mentions.
pub(super) async fn mentions(
    tx: &mut impl Read,
    task: &Row,
    text: &str,
) -> ApiResult<(Vec<Json>, Vec<Json>)> {
    if !text.contains('@') {
        return Ok((Vec::new(), Vec::new()));
    }
    let team = tx
        .fetch_all(
            "SELECT p.id, p.first_name, p.last_name FROM person p JOIN project_person_link l ON l.person_id = p.id \
             WHERE l.project_id = $1 AND p.preview_project_id IS NULL ORDER BY p.id",
            &[id_of(&task["project_id"])?],
            Some("person"),
        )
        .await?;
    let people = team
        .iter()
        .filter(|p| names(text, &full_name(p)))
        .map(|p| p["id"].clone())
        .collect();
    let departments = tx
        .fetch_all(
            "SELECT id, name FROM department ORDER BY id",
            &[],
            Some("department"),
        )
        .await?;
    let teams = departments
        .iter()
        .filter(|d| names(text, d["name"].as_str().unwrap_or_default()))
        .map(|d| d["id"].clone())
        .collect();
    Ok((people, teams))
}

/// Stores a file durably under the data folder.
fn store(config: &crate::config::Config, id: &str, bytes: &[u8]) -> ApiResult<()> {
    crate::storage::write_durably(&stored_path(config, id), bytes).map_err(ApiError::internal)
}

/// Stores files on a comment (or on one of its replies), refusing them all
/// before anything is written when one name cannot be stored.
pub(super) async fn attach(
    state: &AppState,
    tx: &mut Tx,
    comment: &Json,
    uploads: Vec<Upload>,
    reply: Option<&Json>,
) -> ApiResult<Vec<Json>> {
    if let Some(upload) = uploads
        .iter()
        .find(|u| extension(&u.name).chars().count() > 6 || u.name.chars().count() > 250)
    {
        return Err(ApiError::bad_request(format!(
            "The attachment {} has too long a name or extension.",
            upload.name
        )));
    }
    let stamp = now();
    let mut attachments = Vec::new();
    for upload in uploads {
        let id = Uuid::now_v7();
        let kind = extension(&upload.name);
        store(&state.config, &id.to_string(), &upload.bytes)?;
        tx.insert(
            "attachment_file",
            &[
                ("id", id.into()),
                ("name", upload.name.as_str().into()),
                ("extension", kind.as_str().into()),
                ("mimetype", upload.mimetype.into()),
                ("size", Value::Int(upload.bytes.len() as i64)),
                ("comment_id", id_of(comment)?),
                ("reply_id", reply.map_or(Ok(Value::Null), id_of)?),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
        let mut shown =
            json!({"id": id, "name": upload.name, "extension": kind, "size": upload.bytes.len()});
        if let Some(reply) = reply {
            shown["reply_id"] = reply.clone();
        }
        attachments.push(shown);
    }
    Ok(attachments)
}

/// Where an attachment's bytes live, as Zou lays them out.
pub(super) fn stored_path(config: &crate::config::Config, id: &str) -> std::path::PathBuf {
    config.stored_file("files", "attachments", id)
}

fn extension(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_lowercase()
}

pub(super) async fn record(
    tx: &mut Tx,
    author: Uuid,
    name: &str,
    key: &str,
    id: &Json,
    project: &Json,
    extra: Vec<(&str, Json)>,
) -> ApiResult<()> {
    let mut event = Event::new(name, key, id.as_str().unwrap_or_default())
        .in_project(scope::project_id(Some(project)));
    for (key, value) in extra {
        event.data.insert(key.into(), value);
    }
    event.record(tx, author).await?;
    Ok(())
}

/// Moves the task with its new last comment: status, last comment date,
/// and, on a change of status, retakes and the start, feedback and done dates.
async fn move_task(
    tx: &mut Tx,
    author: Uuid,
    task: &Row,
    status: &Row,
    comment: &Row,
) -> ApiResult<bool> {
    let changed = task["task_status_id"] != status["id"];
    let stamp = now();
    let flag = |key: &str| status[key] == json!(true);
    let mut sets: Vec<(&str, Value)> = vec![
        ("task_status_id", id_of(&status["id"])?),
        (
            "last_comment_date",
            Value::from_json(crate::db::ColumnKind::Timestamp, &comment["created_at"])
                .unwrap_or(Value::Null),
        ),
        ("updated_at", stamp.into()),
    ];
    if changed {
        if flag("is_retake") {
            sets.push((
                "retake_count",
                Value::Int(task["retake_count"].as_i64().unwrap_or(0) + 1),
            ));
        }
        if flag("is_wip") && task["real_start_date"].is_null() {
            sets.push(("real_start_date", stamp.into()));
        }
        if flag("is_feedback_request") {
            sets.push(("end_date", stamp.into()));
        } else if !flag("is_done") {
            sets.push(("end_date", Value::Null));
        }
        sets.push((
            "done_date",
            if flag("is_done") {
                stamp.into()
            } else {
                Value::Null
            },
        ));
    }
    tx.update("task", id_of(&task["id"])?, sets).await?;
    let project = &task["project_id"];
    record(
        tx,
        author,
        "task:update",
        "task_id",
        &task["id"],
        project,
        vec![],
    )
    .await?;
    if changed {
        let extra = vec![
            ("new_task_status_id", status["id"].clone()),
            ("previous_task_status_id", task["task_status_id"].clone()),
            ("person_id", json!(author)),
        ];
        record(
            tx,
            author,
            "task:status-changed",
            "task_id",
            &task["id"],
            project,
            extra.clone(),
        )
        .await?;
        if flag("is_feedback_request") {
            let mut extra = extra;
            extra.push(("comment_id", comment["id"].clone()));
            record(
                tx,
                author,
                "task:to-review",
                "task_id",
                &task["id"],
                project,
                extra,
            )
            .await?;
        }
    }
    Ok(changed)
}

/// What to tell about a comment or a reply, and by whom.
pub(super) struct Notice<'a> {
    pub(super) author: &'a Json,
    /// The reply's id, when telling of a reply.
    pub(super) reply: Option<&'a Json>,
    /// Who else hears of it: the comment's author and earlier repliers.
    pub(super) repliers: Vec<Json>,
    pub(super) changed: bool,
    pub(super) mentions: &'a [Json],
    pub(super) audience: Audience,
}

/// Who hears of a comment or reply besides those it names: the task's
/// assignees and followers (and those of its sequence's tasks of that type),
/// and the team members of the departments it names.
pub(super) struct Audience {
    followers: Vec<Json>,
    department_members: Vec<Json>,
}

impl Audience {
    pub(super) async fn read(
        r: &mut impl Read,
        task: &Row,
        entity: &Row,
        departments: &[Json],
    ) -> ApiResult<Audience> {
        let followers = r
            .fetch_all(
                "SELECT person_id FROM task_person_link WHERE task_id = $1 \
                 UNION SELECT person_id FROM subscription WHERE task_id = $1 \
                 UNION SELECT person_id FROM subscription WHERE entity_id = $2 AND task_type_id = $3",
                &[
                    id_of(&task["id"])?,
                    id_of(&entity["parent_id"]).unwrap_or(Value::Null),
                    id_of(&task["task_type_id"])?,
                ],
                None,
            )
            .await?;
        let mut department_members = Vec::new();
        for department in departments {
            let members = r
                .fetch_all(
                    "SELECT d.person_id FROM department_link d JOIN project_person_link l ON l.person_id = d.person_id \
                     WHERE d.department_id = $1 AND l.project_id = $2",
                    &[id_of(department)?, id_of(&task["project_id"])?],
                    None,
                )
                .await?;
            department_members.extend(members.into_iter().map(|m| m["person_id"].clone()));
        }
        Ok(Audience {
            followers: followers
                .into_iter()
                .map(|f| f["person_id"].clone())
                .collect(),
            department_members,
        })
    }
}

/// Tells the audience of the comment or reply, and the people it names.
pub(super) fn notify(tx: &mut Tx, task: &Row, comment: &Row, notice: Notice<'_>) -> ApiResult<()> {
    let Notice {
        author,
        reply,
        repliers,
        changed,
        mentions,
        audience,
    } = notice;
    let (kind, mention_kind) = match reply {
        Some(_) => ("reply", "reply-mention"),
        None => ("comment", "mention"),
    };
    let mut told = Vec::new();
    let mut heard = HashSet::new();
    for person in audience
        .followers
        .into_iter()
        .chain(repliers)
        .filter(|p| p != author)
    {
        if heard.insert(person.to_string()) {
            told.push((person, kind, changed));
        }
    }
    let named = mentions.iter().cloned().chain(audience.department_members);
    let mut once = HashSet::new();
    for person in named.filter(|p| p != author) {
        if once.insert(person.to_string()) {
            told.push((person, mention_kind, false));
        }
    }
    let stamp = now();
    // Nothing reads them before the commit: written then, in one statement.
    for (person, kind, change) in told {
        tx.insert_at_commit(
            "notification",
            vec![
                ("id", Uuid::now_v7().into()),
                ("type", kind.into()),
                ("person_id", id_of(&person)?),
                ("author_id", id_of(author)?),
                ("comment_id", id_of(&comment["id"])?),
                ("task_id", id_of(&task["id"])?),
                ("reply_id", reply.map_or(Ok(Value::Null), id_of)?),
                ("read", false.into()),
                ("change", change.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        );
    }
    Ok(())
}

/// The task's entity, with its type's name (which says whether it is a concept).
pub(super) async fn entity_of(tx: &mut impl Read, task: &Row) -> ApiResult<Row> {
    tx.fetch_optional(
        "SELECT e.*, et.name AS entity_type_name FROM entity e JOIN entity_type et ON et.id = e.entity_type_id WHERE e.id = $1",
        &[id_of(&task["entity_id"])?],
        Some("entity"),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// The news of a comment (concepts have none), dated as the comment.
pub(super) async fn publish(
    tx: &mut Tx,
    task: &Row,
    entity: &Row,
    comment: &Row,
    changed: bool,
) -> ApiResult<()> {
    if entity["entity_type_name"] == json!("Concept") {
        return Ok(());
    }
    let author = Uuid::parse_str(&text_of(&comment["person_id"])).map_err(ApiError::internal)?;
    let news = Uuid::now_v7();
    tx.insert_at_commit(
        "news",
        vec![
            ("id", news.into()),
            ("author_id", author.into()),
            ("comment_id", id_of(&comment["id"])?),
            ("task_id", id_of(&task["id"])?),
            ("change", changed.into()),
            (
                "created_at",
                Value::from_json(crate::db::ColumnKind::Timestamp, &comment["created_at"])
                    .unwrap_or(Value::Null),
            ),
            ("updated_at", now().into()),
        ],
    );
    let extra = vec![
        ("task_status_id", comment["task_status_id"].clone()),
        ("task_type_id", task["task_type_id"].clone()),
    ];
    record(
        tx,
        author,
        "news:new",
        "news_id",
        &json!(news),
        &task["project_id"],
        extra,
    )
    .await
}

/// Writes a comment and everything it sets off, in the caller's transaction.
pub(super) fn post<'a>(
    state: &'a AppState,
    tx: &'a mut Tx,
    posting: Posting<'a>,
    depth: usize,
) -> futures_util::future::BoxFuture<'a, ApiResult<Written>> {
    Box::pin(async move {
        let Posting {
            task,
            author,
            status,
            text,
            checklist,
            links,
            for_client,
            created_at,
            uploads,
            cross_post,
            surroundings,
        } = posting;
        let Surroundings {
            entity,
            mentions: people,
            departments,
            audience,
            automations,
        } = surroundings;
        let author_id = Uuid::parse_str(author["id"].as_str().unwrap_or_default())
            .map_err(ApiError::internal)?;
        let stamp = now();
        let comment = tx
            .insert(
                "comment",
                &[
                    ("id", Uuid::now_v7().into()),
                    ("object_id", id_of(&task["id"])?),
                    ("object_type", "Task".into()),
                    ("person_id", author_id.into()),
                    ("task_status_id", id_of(&status["id"])?),
                    ("text", text.as_str().into()),
                    ("checklist", Value::Json(checklist)),
                    ("links", Value::TextList(links)),
                    ("for_client", for_client.into()),
                    ("replies", Value::Json(json!([]))),
                    ("created_at", created_at.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?;
        let links = [
            ("comment_mentions", "person", &people),
            ("comment_department_mentions", "department", &departments),
        ];
        for (table, column, mentioned) in links {
            for one in mentioned {
                tx.insert(
                    table,
                    &[("comment", id_of(&comment["id"])?), (column, id_of(one)?)],
                )
                .await?;
            }
        }
        let attachments = attach(state, tx, &comment["id"], uploads, None).await?;
        let project = &task["project_id"];
        record(
            tx,
            author_id,
            "comment:new",
            "comment_id",
            &comment["id"],
            project,
            vec![
                ("task_id", task["id"].clone()),
                ("task_status_id", status["id"].clone()),
                ("person_id", json!(author_id)),
                ("for_client", json!(for_client)),
            ],
        )
        .await?;
        let is_last = task["last_comment_date"]
            .as_str()
            .is_none_or(|last| last <= comment["created_at"].as_str().unwrap_or_default());
        let changed = if is_last {
            move_task(tx, author_id, task, status, &comment).await?
        } else {
            replay(tx, author_id, task).await?;
            false
        };
        let notice = Notice {
            author: &comment["person_id"],
            reply: None,
            repliers: Vec::new(),
            changed,
            mentions: &people,
            audience,
        };
        notify(tx, task, &comment, notice)?;
        publish(tx, task, &entity, &comment, changed).await?;
        let mut written = Written {
            comment,
            mentions: people,
            department_mentions: departments,
            attachments,
            tasks: vec![text_of(&task["id"])],
        };
        if cross_post {
            let hashtags = hashtags(&text);
            if !hashtags.is_empty() {
                written
                    .tasks
                    .extend(cross_post_to(state, tx, task, author, &text, &hashtags).await?);
            }
        }
        if depth < CASCADE_LIMIT {
            written.tasks.extend(
                automate(state, tx, task, &entity, status, author, automations, depth).await?,
            );
        }
        Ok(written)
    })
}

/// The `#words` of a comment, lowercased, as Zou reads them: letters only,
/// and `#all` alone when present.
fn hashtags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for (index, _) in text.match_indices('#') {
        let tag: String = text[index + 1..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.iter().any(|tag| tag == "all") {
        return vec!["all".into()];
    }
    tags
}

/// Copies a comment to the entity's other tasks whose type its hashtags
/// name (all of them for `#all`), each keeping its own status. As in Zou,
/// the author needs no rights on those tasks: they were named on purpose.
async fn cross_post_to(
    state: &AppState,
    tx: &mut Tx,
    task: &Row,
    author: &Row,
    text: &str,
    hashtags: &[String],
) -> ApiResult<Vec<String>> {
    let siblings = tx
        .fetch_all(
            "SELECT t.*, tt.name AS task_type_name FROM task t JOIN task_type tt ON tt.id = t.task_type_id \
             WHERE t.entity_id = $1 AND t.task_type_id <> $2 ORDER BY t.created_at, t.id",
            &[id_of(&task["entity_id"])?, id_of(&task["task_type_id"])?],
            Some("task"),
        )
        .await?;
    let origin = tx
        .fetch_optional(
            "SELECT name FROM task_type WHERE id = $1",
            &[id_of(&task["task_type_id"])?],
            None,
        )
        .await?
        .map(|row| text_of(&row["name"]))
        .unwrap_or_default();
    let mut touched = Vec::new();
    for sibling in siblings {
        let type_name = text_of(&sibling["task_type_name"]).to_lowercase();
        if hashtags[0] != "all" && !hashtags.contains(&type_name) {
            continue;
        }
        let status = one(
            &state.db,
            "task_status",
            &text_of(&sibling["task_status_id"]),
        )
        .await?;
        let text = format!("{text}\n\n____\nFrom {origin} task");
        let surroundings = Surroundings::read(tx, &sibling, &status, &text).await?;
        let posting = Posting {
            task: &sibling,
            author,
            status: &status,
            text,
            checklist: json!([]),
            links: Vec::new(),
            for_client: false,
            created_at: now(),
            uploads: Vec::new(),
            cross_post: false,
            surroundings,
        };
        touched.extend(post(state, tx, posting, 0).await?.tasks);
    }
    Ok(touched)
}

/// Rebuilds a task from its comments with a status, oldest first (a comment
/// posted in the past, deleted or moved away changes its history). Unlike
/// Zou, the feedback and done dates are cleared when the task no longer is
/// in feedback or done. Returns the task's status afterwards.
pub(super) async fn replay(tx: &mut Tx, author: Uuid, task: &Row) -> ApiResult<Json> {
    let comments = tx
        .fetch_all(
            "SELECT c.created_at, s.id AS status_id, s.is_retake, s.is_wip, s.is_feedback_request, s.is_done \
             FROM comment c JOIN task_status s ON s.id = c.task_status_id WHERE c.object_id = $1 ORDER BY c.created_at, c.id",
            &[id_of(&task["id"])?],
            Some("task_status"),
        )
        .await?;
    let (mut retakes, mut in_retake) = (0, false);
    let (mut started, mut ended, mut done) = (Json::Null, Json::Null, Json::Null);
    let yes = |row: &Row, key: &str| row[key] == json!(true) || row[key] == json!(1);
    for comment in &comments {
        if yes(comment, "is_retake") && !in_retake {
            retakes += 1;
        }
        in_retake = yes(comment, "is_retake");
        if yes(comment, "is_wip") && started.is_null() {
            started = comment["created_at"].clone();
        }
        if yes(comment, "is_feedback_request") && ended.is_null() {
            ended = comment["created_at"].clone();
        }
        if yes(comment, "is_done") {
            done = comment["created_at"].clone();
        }
    }
    let last = comments.last();
    let status = match last {
        Some(comment) => {
            if !yes(comment, "is_feedback_request") && !yes(comment, "is_done") {
                ended = Json::Null;
            }
            if !yes(comment, "is_done") {
                done = Json::Null;
            }
            comment["status_id"].clone()
        }
        None => {
            ended = Json::Null;
            done = Json::Null;
            // A task without comments is back in the default status (the
            // concepts' own for a concept task).
            tx.fetch_optional(
                "SELECT s.id FROM task_status s WHERE s.is_default = TRUE ORDER BY CASE WHEN \
                 COALESCE(s.for_concept, FALSE) = (SELECT et.name = 'Concept' FROM task t JOIN entity e ON e.id = t.entity_id \
                 JOIN entity_type et ON et.id = e.entity_type_id WHERE t.id = $1) THEN 0 ELSE 1 END, s.created_at, s.id LIMIT 1",
                &[id_of(&task["id"])?],
                None,
            )
            .await?
            .map_or(task["task_status_id"].clone(), |row| row["id"].clone())
        }
    };
    let timestamp = |value: &Json| {
        Value::from_json(crate::db::ColumnKind::Timestamp, value).unwrap_or(Value::Null)
    };
    tx.execute(
        "UPDATE task SET task_status_id = $1, retake_count = $2, real_start_date = $3, end_date = $4, done_date = $5, \
         last_comment_date = $6, updated_at = $7, \
         duration = (SELECT COALESCE(SUM(duration), 0) FROM time_spent WHERE task_id = $8) WHERE id = $8",
        &[
            id_of(&status)?,
            Value::Int(retakes),
            timestamp(&started),
            timestamp(&ended),
            timestamp(&done),
            timestamp(&last.map_or(Json::Null, |c| c["created_at"].clone())),
            now().into(),
            id_of(&task["id"])?,
        ],
    )
    .await?;
    record(
        tx,
        author,
        "task:update",
        "task_id",
        &task["id"],
        &task["project_id"],
        vec![],
    )
    .await?;
    Ok(status)
}

/// The project's status automations this status sets off on the entity: a
/// status for another of its tasks, or what an asset is ready for.
#[allow(clippy::too_many_arguments)]
async fn automate(
    state: &AppState,
    tx: &mut Tx,
    task: &Row,
    entity: &Row,
    status: &Row,
    author: &Row,
    rules: Vec<Row>,
    depth: usize,
) -> ApiResult<Vec<String>> {
    let kind = crate::crud::models::entities::entity_kind(
        entity["entity_type_name"].as_str().unwrap_or_default(),
    )
    .to_string();
    let mut touched = Vec::new();
    for rule in rules {
        let wanted = rule["entity_type"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        if wanted != kind.to_lowercase() {
            continue;
        }
        match rule["out_field_type"].as_str() {
            Some("ready_for") if kind == "Asset" => {
                tx.execute(
                    "UPDATE entity SET ready_for = $1, updated_at = $2 WHERE id = $3",
                    &[
                        id_of(&rule["out_task_type_id"])?,
                        now().into(),
                        id_of(&entity["id"])?,
                    ],
                )
                .await?;
                let author_id = Uuid::parse_str(author["id"].as_str().unwrap_or_default())
                    .map_err(ApiError::internal)?;
                record(
                    tx,
                    author_id,
                    "asset:update",
                    "asset_id",
                    &entity["id"],
                    &task["project_id"],
                    vec![("data", json!({"ready_for": rule["out_task_type_id"]}))],
                )
                .await?;
            }
            Some("status") => {
                if rolls_back(tx, task, &rule, &kind).await? {
                    continue;
                }
                let target = tx
                    .fetch_optional(
                        "SELECT * FROM task WHERE entity_id = $1 AND task_type_id = $2 ORDER BY created_at, id LIMIT 1",
                        &[id_of(&entity["id"])?, id_of(&rule["out_task_type_id"])?],
                        Some("task"),
                    )
                    .await?;
                let out_status = tx
                    .fetch_optional(
                        "SELECT * FROM task_status WHERE id = $1",
                        &[id_of(&rule["out_task_status_id"])?],
                        Some("task_status"),
                    )
                    .await?;
                let (Some(target), Some(out_status)) = (target, out_status) else {
                    continue;
                };
                let names = tx
                    .fetch_optional(
                        "SELECT name FROM task_type WHERE id = $1",
                        &[id_of(&task["task_type_id"])?],
                        None,
                    )
                    .await?
                    .map_or(Json::Null, |r| r["name"].clone());
                let text = format!(
                    "Change triggered by {} set to {}",
                    names.as_str().unwrap_or_default(),
                    status["name"].as_str().unwrap_or_default()
                );
                let surroundings = Surroundings::read(tx, &target, &out_status, &text).await?;
                let posting = Posting {
                    task: &target,
                    author,
                    status: &out_status,
                    text,
                    checklist: json!([]),
                    links: Vec::new(),
                    for_client: false,
                    created_at: now(),
                    uploads: Vec::new(),
                    cross_post: false,
                    surroundings,
                };
                touched.extend(post(state, tx, posting, depth + 1).await?.tasks);
            }
            _ => {}
        }
    }
    Ok(touched)
}

/// A status automation that would move work back along the project's task
/// types (by their priority for this kind of entity) does not fire.
async fn rolls_back(tx: &mut Tx, task: &Row, rule: &Row, kind: &str) -> ApiResult<bool> {
    let rows = tx
        .fetch_all(
            "SELECT l.task_type_id, l.priority FROM project_task_type_link l JOIN task_type t ON t.id = l.task_type_id \
             WHERE l.project_id = $1 AND t.for_entity = $2 AND l.task_type_id IN ($3, $4)",
            &[id_of(&task["project_id"])?, kind.into(), id_of(&rule["in_task_type_id"])?, id_of(&rule["out_task_type_id"])?],
            Some("project_task_type_link"),
        )
        .await?;
    let of = |id: &Json| {
        rows.iter()
            .find(|r| &r["task_type_id"] == id)
            .and_then(|r| r["priority"].as_i64())
    };
    Ok(
        matches!((of(&rule["in_task_type_id"]), of(&rule["out_task_type_id"])), (Some(from), Some(to)) if from > to),
    )
}

/// `POST /actions/tasks/{task_id}/comment`.
async fn comment(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (fields, uploads) = read_request(&req, payload).await?;
    let draft = draft(&fields)?;
    let ctx = Ctx::new(&state, &identity, &req);
    let task = one(&state.db, "task", &path).await?;
    let status = one(&state.db, "task_status", &draft.status).await?;
    let role = check(&ctx, &task, &status).await?;
    let manages = matches!(role, Role::Admin | Role::Manager);
    let author_id = match (&draft.person_id, manages) {
        (Some(person), true) => person.clone(),
        _ => identity.person.id.to_string(),
    };
    let author = one(&state.db, "person", &author_id).await?;
    let (created_at, for_client) = if manages {
        (draft.created_at.unwrap_or_else(now), draft.for_client)
    } else {
        (now(), false)
    };
    if status["is_retake"] == json!(true) {
        check_retakes(&state, &task).await?;
    }
    let surroundings =
        Surroundings::read(&mut state.db.clone(), &task, &status, &draft.text).await?;
    let mut tx = state.db.begin().await?;
    let posting = Posting {
        task: &task,
        author: &author,
        status: &status,
        text: draft.text,
        checklist: draft.checklist,
        links: draft.links,
        for_client,
        created_at,
        uploads,
        cross_post: true,
        surroundings,
    };
    let written = post(&state, &mut tx, posting, 0).await?;
    tx.commit().await?;
    refresh(&state, &task["project_id"], written.tasks.clone()).await?;
    Ok(HttpResponse::Created().json(shown(written, &status, author, None)?))
}

/// Tells the project's actor which tasks a committed write changed.
pub(super) async fn refresh(state: &AppState, project: &Json, tasks: Vec<String>) -> ApiResult<()> {
    state
        .projects
        .refresh(
            project.as_str().unwrap_or_default(),
            Touched {
                tasks,
                ..Default::default()
            },
        )
        .await
        .map_err(ApiError::internal)
}

/// A project (or one of its entities) may cap the retakes of a task.
pub(super) async fn check_retakes(state: &AppState, task: &Row) -> ApiResult<()> {
    let project = one(
        &state.db,
        "project",
        task["project_id"].as_str().unwrap_or_default(),
    )
    .await?;
    let project_cap = project["max_retakes"].as_i64().unwrap_or(0);
    if project_cap <= 0 {
        return Ok(());
    }
    let entity = one(
        &state.db,
        "entity",
        task["entity_id"].as_str().unwrap_or_default(),
    )
    .await?;
    let cap = entity["data"]
        .get("max_retakes")
        .and_then(Json::as_i64)
        .unwrap_or(project_cap);
    if task["retake_count"].as_i64().unwrap_or(0) >= cap {
        return Err(ApiError::bad_request(
            "No more retakes allowed on this task",
        ));
    }
    Ok(())
}

/// A new comment as its author sees it: relations, its status, its author
/// (with their departments when the author was looked up by id, as Zou does).
pub(super) fn shown(
    written: Written,
    status: &Row,
    author: Row,
    departments: Option<Vec<String>>,
) -> ApiResult<Json> {
    let mut answer = written.comment;
    answer.insert("previews".into(), json!([]));
    answer.insert("type".into(), json!("Comment"));
    answer.insert("mentions".into(), json!(written.mentions));
    answer.insert(
        "department_mentions".into(),
        json!(written.department_mentions),
    );
    answer.insert("acknowledgements".into(), json!([]));
    answer.insert("attachment_files".into(), json!(written.attachments));
    let mut shown_status = status.clone();
    shown_status.insert("type".into(), json!("TaskStatus"));
    answer.insert("task_status".into(), Json::Object(shown_status));
    let person = Person::from_row(author)?;
    let with_departments = departments.is_some();
    let mut shown_person = person.to_json(departments.unwrap_or_default());
    if let Some(card) = shown_person.as_object_mut().filter(|_| !with_departments) {
        card.remove("departments");
    }
    answer.insert("person".into(), shown_person);
    Ok(Json::Object(answer))
}
