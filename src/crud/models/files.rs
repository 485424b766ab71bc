//! Files a production makes: working files, output files, preview files and
//! comment attachments. (These routes manage the records; uploads have their own.)

use crate::crud::id_of;
use crate::crud::scope::{
    self, require_manager, task_access, task_action_access, team_projects, team_role,
};
use crate::crud::{Condition, Ctx, Embed, Fixed, Hooks, Model, Relation};
use crate::db::{Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;

fn refuse_vendors(ctx: &Ctx<'_>) -> ApiResult<()> {
    if ctx.identity.person.role == Role::Vendor {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// Rows whose entity is in a project of the caller's team.
fn entities_of_team(ctx: &Ctx<'_>, column: &str, open_only: bool) -> Option<Condition> {
    if ctx.identity.is_admin() {
        return None;
    }
    let projects = team_projects(ctx.identity.person.id, open_only);
    Some(Condition::new(
        format!(
            "{column} IN (SELECT id FROM entity WHERE project_id IN ({}))",
            projects.sql
        ),
        projects.params,
    ))
}

/// A choice column checked with Zou's own message (`Invalid <column>`).
fn check_choice(
    data: &Map<String, Json>,
    column: &str,
    allowed: &[&str],
    null_allowed: bool,
) -> ApiResult<()> {
    match data.get(column) {
        None => Ok(()),
        Some(Json::Null) if null_allowed => Ok(()),
        Some(Json::String(value)) if allowed.contains(&value.as_str()) => Ok(()),
        Some(_) => Err(ApiError::bad_request(format!("Invalid {column}"))),
    }
}

const VALIDATION_STATUSES: [&str; 3] = ["validated", "rejected", "neutral"];

struct WorkingFiles;

#[async_trait]
impl Hooks for WorkingFiles {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        refuse_vendors(ctx)?;
        Ok(entities_of_team(ctx, "entity_id", false))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        task_access(ctx, &row["task_id"]).await?;
        Ok(())
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        task_action_access(ctx, &row["task_id"]).await?;
        Ok(())
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_choice(data, "validation_status", &VALIDATION_STATUSES, false)
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_choice(data, "validation_status", &VALIDATION_STATUSES, false)
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        tx.execute(
            "UPDATE output_file SET source_file_id = NULL WHERE source_file_id = $1",
            &[id_of(&row["id"])?],
        )
        .await?;
        Ok(())
    }
}

pub static WORKING_FILES: Model = Model {
    relations: &[Relation {
        key: "outputs",
        table: "output_file",
        own: "source_file_id",
        other: "id",
        writable: false,
    }],
    hooks: &WorkingFiles,
    defaults: &[("validation_status", Fixed::Text("neutral"))],
    ..Model::new("working-files", "working_file", "WorkingFile")
};

struct OutputFiles;

#[async_trait]
impl Hooks for OutputFiles {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        refuse_vendors(ctx)?;
        Ok(entities_of_team(ctx, "entity_id", true))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let entity = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM entity WHERE id = $1",
                &[id_of(&row["entity_id"])?],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        let role = team_role(ctx, entity.get("project_id")).await?;
        if role == Role::Vendor && !scope::assigned_on_entity(ctx, &row["entity_id"]).await? {
            return Err(ApiError::Forbidden);
        }
        Ok(())
    }

    /// Managers of the project, or whoever works on the entity the file is for.
    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        if ctx.identity.is_admin() {
            return Ok(());
        }
        let entity = if row["temporal_entity_id"].is_null() {
            &row["entity_id"]
        } else {
            &row["temporal_entity_id"]
        };
        let project = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM entity WHERE id = $1",
                &[id_of(entity)?],
                None,
            )
            .await?
            .ok_or(ApiError::Forbidden)?;
        if require_manager(ctx, project.get("project_id"))
            .await
            .is_ok()
            || scope::assigned_on_entity(ctx, entity).await?
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_choice(data, "quality", &["low", "mid", "high"], true)
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_choice(data, "quality", &["low", "mid", "high"], true)
    }
}

pub static OUTPUT_FILES: Model = Model {
    hooks: &OutputFiles,
    embeds: &[Embed {
        key: "source_file",
        column: "source_file_id",
        table: "working_file",
        type_name: "WorkingFile",
    }],
    defaults: &[
        ("canceled", Fixed::Bool(false)),
        ("nb_elements", Fixed::Int(1)),
    ],
    ..Model::new("output-files", "output_file", "OutputFile")
};

struct PreviewFiles;

const PREVIEW_STATUSES: [&str; 3] = ["processing", "ready", "broken"];

#[async_trait]
impl Hooks for PreviewFiles {
    /// Tasks and entities point at their previews: read the project again.
    async fn touched(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(uuid::Uuid, Touched)>> {
        let project = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM task WHERE id = $1",
                &[id_of(&row["task_id"])?],
                None,
            )
            .await?;
        Ok(project
            .and_then(|t| scope::project_id(t.get("project_id")))
            .map(|p| (p, Touched::everything())))
    }

    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if ctx.identity.is_admin() {
            return Ok(None);
        }
        let open_tasks =
            "task_id IN (SELECT t.id FROM task t JOIN project p ON p.id = t.project_id \
             JOIN project_status ps ON ps.id = p.project_status_id WHERE ps.name = 'Open')";
        let reach = if ctx.identity.person.role == Role::Vendor {
            Condition::new(
                "task_id IN (SELECT task_id FROM task_person_link WHERE person_id = ?)",
                vec![ctx.identity.person.id.into()],
            )
        } else {
            let projects = team_projects(ctx.identity.person.id, true);
            Condition::new(
                format!(
                    "task_id IN (SELECT id FROM task WHERE project_id IN ({}))",
                    projects.sql
                ),
                projects.params,
            )
        };
        Ok(Some(Condition::new(open_tasks, vec![]).and(reach)))
    }

    async fn extra_filters(
        &self,
        _ctx: &Ctx<'_>,
        query: &[(String, String)],
    ) -> ApiResult<Vec<Condition>> {
        let Some(project) = crate::crud::first(query, "project_id") else {
            return Ok(Vec::new());
        };
        let project = uuid::Uuid::parse_str(project)
            .map_err(|_| ApiError::bad_request("Invalid project_id."))?;
        Ok(vec![Condition::new(
            "task_id IN (SELECT id FROM task WHERE project_id = ?)",
            vec![project.into()],
        )])
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let task = scope::load_task(ctx, &row["task_id"]).await?;
        let role = team_role(ctx, task.get("project_id")).await?;
        if role == Role::Vendor && !scope::assigned_to(ctx, &row["task_id"]).await? {
            return Err(ApiError::Forbidden);
        }
        Ok(())
    }

    /// Managers, the task's assignees and the supervisors of its department.
    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let task = scope::load_task(ctx, &row["task_id"]).await?;
        let allowed = match team_role(ctx, task.get("project_id")).await? {
            Role::Admin | Role::Manager => true,
            _ if scope::assigned_to(ctx, &row["task_id"]).await? => true,
            Role::Supervisor => scope::supervises_task_type(ctx, &task["task_type_id"]).await?,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let task = scope::load_task(ctx, &row["task_id"]).await?;
        require_manager(ctx, task.get("project_id")).await
    }

    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("status", &PREVIEW_STATUSES),
            ("validation_status", &["neutral", "validated", "rejected"]),
        ]
    }

    /// A new revision number moves the revision's extra previews along, and
    /// may not take another revision's number.
    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        let Some(revision) = data.get("revision").and_then(Json::as_i64) else {
            return Ok(());
        };
        if row["position"].as_i64() != Some(1) || row["revision"].as_i64() == Some(revision) {
            return Ok(());
        }
        let task = id_of(&row["task_id"])?;
        check_revision_free(tx, &task, revision, &id_of(&row["id"])?).await?;
        tx.execute(
            "UPDATE preview_file SET revision = $1 WHERE task_id = $2 AND revision = $3 AND id <> $4",
            &[Value::Int(revision), task, Value::Int(row["revision"].as_i64().unwrap_or(0)), id_of(&row["id"])?],
        )
        .await?;
        Ok(())
    }

    /// A forced delete removes the preview's stored files too, as Zou does
    /// (they are kept otherwise), off the request's thread.
    fn deleted(&self, ctx: &Ctx<'_>, row: &Row, force: bool) {
        if !force {
            return;
        }
        let id = row["id"].as_str().unwrap_or_default().to_string();
        let files: Vec<std::path::PathBuf> = stored_files(row)
            .into_iter()
            .map(|(bucket, prefix)| ctx.state.config.stored_file(bucket, prefix, &id))
            .collect();
        actix_web::rt::spawn(actix_web::web::block(move || {
            files
                .iter()
                .for_each(|file| crate::storage::remove_quietly(file))
        }));
    }

    /// What pointed at the preview lets go of it; the task's last preview
    /// falls back to the newest remaining one.
    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        for statement in [
            "UPDATE entity SET preview_file_id = NULL WHERE preview_file_id = $1",
            "UPDATE news SET preview_file_id = NULL WHERE preview_file_id = $1",
            "UPDATE comment SET preview_file_id = NULL WHERE preview_file_id = $1",
            "DELETE FROM comment_preview_link WHERE preview_file = $1",
            "DELETE FROM preview_file_storage_state WHERE preview_file_id = $1",
        ] {
            tx.execute(statement, std::slice::from_ref(&id)).await?;
        }
        tx.execute(
            "UPDATE task SET last_preview_file_id = (SELECT p.id FROM preview_file p WHERE p.task_id = task.id \
             AND p.id <> $1 AND p.position = 1 AND p.status = 'ready' ORDER BY p.revision DESC, p.created_at DESC LIMIT 1) \
             WHERE last_preview_file_id = $1",
            &[id],
        )
        .await?;
        Ok(())
    }
}

/// Where a preview's files are stored, by the kind of its upload: a
/// picture's variants, a movie's encodings and the pictures cut from its
/// first frame, or the file as it came.
fn stored_files(preview: &Row) -> Vec<(&'static str, &'static str)> {
    const PICTURES: [&str; 4] = ["original", "thumbnails", "thumbnails-square", "previews"];
    let pictures = PICTURES.iter().map(|prefix| ("pictures", *prefix));
    match preview["extension"].as_str() {
        Some("png") => pictures.collect(),
        Some("mp4") => ["previews", "lowdef", "source"]
            .iter()
            .map(|prefix| ("movies", *prefix))
            .chain(pictures)
            .chain([("pictures", "tiles")])
            .collect(),
        _ => vec![("files", "previews")],
    }
}

/// A task's revision opens with one file (position 1): refuses `revision`
/// when another preview than `except` already opens it.
pub(crate) async fn check_revision_free(
    tx: &mut Tx,
    task: &Value,
    revision: i64,
    except: &Value,
) -> ApiResult<()> {
    let taken = tx
        .fetch_optional(
            "SELECT id FROM preview_file WHERE task_id = $1 AND revision = $2 AND position = 1 \
             AND id IS DISTINCT FROM $3",
            &[task.clone(), Value::Int(revision), except.clone()],
            None,
        )
        .await?;
    match taken {
        Some(_) => Err(ApiError::refused(format!(
            "Revision {revision} already exists for this task. Choose a different revision number, \
             or omit it to let the revision auto-increment."
        ))),
        None => Ok(()),
    }
}

pub static PREVIEW_FILES: Model = Model {
    relations: &[Relation {
        key: "comments",
        table: "comment_preview_link",
        own: "preview_file",
        other: "comment",
        writable: false,
    }],
    hooks: &PreviewFiles,
    defaults: &[
        ("revision", Fixed::Int(1)),
        ("position", Fixed::Int(1)),
        ("file_size", Fixed::Int(0)),
        ("status", Fixed::Text("processing")),
        ("validation_status", Fixed::Text("neutral")),
        ("width", Fixed::Int(0)),
        ("height", Fixed::Int(0)),
        ("duration", Fixed::Float(0.0)),
        ("is_movie", Fixed::Bool(false)),
    ],
    ..Model::new("preview-files", "preview_file", "PreviewFile")
};

/// Attachments are read by those who may read the comment they belong to.
struct AttachmentFiles;

#[async_trait]
impl Hooks for AttachmentFiles {
    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        if ctx.identity.is_admin() {
            return Ok(());
        }
        if row["comment_id"].is_null() {
            return Err(ApiError::Forbidden);
        }
        let comment = crate::crud::models::comments::load(ctx, &row["comment_id"]).await?;
        crate::crud::models::comments::check_comment_access(ctx, &comment).await
    }
}

pub static ATTACHMENT_FILES: Model = Model {
    hooks: &AttachmentFiles,
    embeds: &[
        Embed {
            key: "comment",
            column: "comment_id",
            table: "comment",
            type_name: "Comment",
        },
        Embed {
            key: "chat_message",
            column: "chat_message_id",
            table: "chat_message",
            type_name: "ChatMessage",
        },
    ],
    defaults: &[("size", Fixed::Int(1))],
    ..Model::new("attachment-files", "attachment_file", "AttachmentFile")
};
