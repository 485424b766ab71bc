//! Comments through `/data/comments`: admins list and create them there (the
//! daily loop goes through the task routes); reads and edits follow Zou's
//! rules on who may see and touch whose comment.

use crate::crud::id_of;
use crate::crud::scope::{self, task_access, team_role};
use crate::crud::{Ctx, Fixed, Hooks, Model, Relation};
use crate::db::{ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use tusk_actors::role::Role;

pub(crate) async fn load(ctx: &Ctx<'_>, comment: &Json) -> ApiResult<Row> {
    ctx.db()
        .fetch_optional(
            "SELECT * FROM comment WHERE id = $1",
            &[id_of(comment)?],
            Some("comment"),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

/// The role the comment's author holds on the task's project.
async fn author_role(ctx: &Ctx<'_>, comment: &Row, project: &Json) -> ApiResult<Role> {
    let row = ctx
        .db()
        .fetch_optional(
            "SELECT p.role AS global_role, l.role AS project_role FROM person p \
             LEFT JOIN project_person_link l ON l.person_id = p.id AND l.project_id = $2 WHERE p.id = $1",
            &[id_of(&comment["person_id"])?, id_of(project)?],
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let parse = |value: &Json| value.as_str().and_then(|r| r.parse::<Role>().ok());
    let global = parse(&row["global_role"]).unwrap_or(Role::User);
    Ok(global.in_project(parse(&row["project_role"])))
}

fn is_mine(ctx: &Ctx<'_>, comment: &Row) -> bool {
    comment["person_id"].as_str() == Some(ctx.identity.person.id.to_string().as_str())
}

/// Who sees a comment: managers and supervisors all of them; clients those
/// of clients or meant for clients; artists and vendors all but clients'.
pub(crate) async fn check_comment_access(ctx: &Ctx<'_>, comment: &Row) -> ApiResult<()> {
    let (role, task) = task_access(ctx, &comment["object_id"]).await?;
    let allowed = match role {
        Role::Admin | Role::Manager | Role::Supervisor => true,
        Role::Client => {
            let isolated = ctx
                .db()
                .fetch_optional(
                    "SELECT is_clients_isolated FROM project WHERE id = $1",
                    &[id_of(&task["project_id"])?],
                    Some("project"),
                )
                .await?
                .is_some_and(|p| p["is_clients_isolated"] == Json::Bool(true));
            let for_client = comment["for_client"] == Json::Bool(true);
            if isolated {
                for_client || is_mine(ctx, comment)
            } else {
                for_client || author_role(ctx, comment, &task["project_id"]).await? == Role::Client
            }
        }
        Role::User | Role::Vendor => {
            author_role(ctx, comment, &task["project_id"]).await? != Role::Client
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

struct Comments;

#[async_trait]
impl Hooks for Comments {
    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        check_comment_access(ctx, row).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let task = scope::load_task(ctx, &row["object_id"]).await?;
        let role = team_role(ctx, task.get("project_id")).await?;
        if matches!(role, Role::Admin | Role::Manager) {
            return Ok(());
        }
        check_comment_access(ctx, row).await?;
        let changes = |key: &str| data.get(key).is_some_and(|value| value != &row[key]);
        let mine = is_mine(ctx, row);
        let refuse = changes("for_client")
            || (changes("pinned")
                && !(role == Role::Supervisor
                    && scope::supervises_task_type(ctx, &task["task_type_id"]).await?))
            || (changes("checklist")
                && !mine
                && !(scope::assigned_to(ctx, &task["id"]).await?
                    || (role == Role::Supervisor
                        && scope::supervises_task_type(ctx, &task["task_type_id"]).await?)))
            || (!mine && data.keys().any(|key| key != "pinned" && key != "checklist"))
            || changes("person_id")
            || changes("object_id");
        if refuse {
            return Err(ApiError::Forbidden);
        }
        if changes("task_status_id") {
            scope::task_action_access(ctx, &task["id"]).await?;
        }
        if let Some(status) = data.get("task_status_id").filter(|s| !s.is_null()) {
            let status = ctx
                .db()
                .fetch_optional(
                    "SELECT is_artist_allowed, is_client_allowed FROM task_status WHERE id = $1",
                    &[Value::from_json(ColumnKind::Uuid, status)
                        .map_err(|_| ApiError::NotFound)?],
                    Some("task_status"),
                )
                .await?
                .ok_or(ApiError::NotFound)?;
            let flag = match role {
                Role::User => Some("is_artist_allowed"),
                Role::Client => Some("is_client_allowed"),
                _ => None,
            };
            if flag.is_some_and(|flag| status[flag] != Json::Bool(true)) {
                return Err(ApiError::Forbidden);
            }
        }
        Ok(())
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let task = scope::load_task(ctx, &row["object_id"]).await?;
        if is_mine(ctx, row) {
            return Ok(());
        }
        scope::require_manager(ctx, task.get("project_id")).await
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["mentions", "department_mentions"]
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data.get("checklist").is_some_and(Json::is_null) {
            data.insert("checklist".into(), json!([]));
        }
        Ok(())
    }

    async fn before_update(
        &self,
        ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if data.get("checklist").is_some_and(Json::is_null) {
            data.insert("checklist".into(), json!([]));
        }
        data.insert("editor_id".into(), json!(ctx.identity.person.id));
        Ok(())
    }

    /// The author, as a name card, as Zou shows it with a comment.
    async fn extend_one(&self, ctx: &Ctx<'_>, row: &mut Row) -> ApiResult<()> {
        let author = ctx
            .db()
            .fetch_optional(
                "SELECT id, first_name, last_name, has_avatar, role FROM person WHERE id = $1",
                &[id_of(&row["person_id"])?],
                Some("person"),
            )
            .await?;
        let author = author.map_or(Json::Null, |mut person| {
            let full_name = format!(
                "{} {}",
                person["first_name"].as_str().unwrap_or(""),
                person["last_name"].as_str().unwrap_or("")
            );
            person.insert("full_name".into(), json!(full_name.trim()));
            Json::Object(person)
        });
        row.insert("person".into(), author);
        Ok(())
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        for statement in [
            "DELETE FROM notification WHERE comment_id = $1",
            "DELETE FROM news WHERE comment_id = $1",
            "DELETE FROM comment_acknoledgments WHERE comment = $1",
            "DELETE FROM comment_mentions WHERE comment = $1",
            "DELETE FROM comment_department_mentions WHERE comment = $1",
            "DELETE FROM comment_preview_link WHERE comment = $1",
            "DELETE FROM attachment_file WHERE comment_id = $1",
        ] {
            tx.execute(statement, std::slice::from_ref(&id)).await?;
        }
        Ok(())
    }
}

const fn link(key: &'static str, table: &'static str, other: &'static str) -> Relation {
    Relation {
        key,
        table,
        own: "comment",
        other,
        writable: true,
    }
}

pub static COMMENTS: Model = Model {
    relations: &[
        link("previews", "comment_preview_link", "preview_file"),
        link("mentions", "comment_mentions", "person"),
        link(
            "department_mentions",
            "comment_department_mentions",
            "department",
        ),
        link("acknowledgements", "comment_acknoledgments", "person"),
        Relation {
            key: "attachment_files",
            table: "attachment_file",
            own: "comment_id",
            other: "id",
            writable: false,
        },
    ],
    hooks: &Comments,
    defaults: &[
        ("replies", Fixed::EmptyList),
        ("checklist", Fixed::EmptyList),
        ("for_client", Fixed::Bool(false)),
    ],
    ..Model::new("comments", "comment", "Comment")
};
