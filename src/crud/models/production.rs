//! Production planning and bookkeeping models, scoped to a project.

use crate::crud::id_of;
use crate::crud::scope::{self, require_manager, team_role};
use crate::crud::{Condition, Ctx, Fixed, Hooks, Model, Relation};
use crate::db::{ColumnKind, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;

fn not_vendor_or_client(role: Role) -> bool {
    !matches!(role, Role::Vendor | Role::Client)
}

/// Milestones: read by the team (vendors aside), written by its managers.
struct Milestones;

#[async_trait]
impl Hooks for Milestones {
    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        scope::require_role(ctx, row.get("project_id"), |role| role != Role::Vendor).await?;
        Ok(())
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        require_manager(ctx, data.get("project_id")).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }
}

pub static MILESTONES: Model = Model {
    hooks: &Milestones,
    ..Model::new("milestones", "milestone", "Milestone")
};

/// Schedule items: one per project, task type and scheduled object; the
/// supervisors of the task type's department may move them.
struct ScheduleItems;

#[async_trait]
impl Hooks for ScheduleItems {
    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        require_manager(ctx, data.get("project_id")).await
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        let mut conditions = Vec::new();
        for column in ["project_id", "task_type_id", "object_id"] {
            conditions.push(match data.get(column).filter(|v| !v.is_null()) {
                Some(value) => Condition::new(format!("{column} = ?"), vec![id_of(value)?]),
                None => Condition::new(format!("{column} IS NULL"), vec![]),
            });
        }
        let (where_sql, params) = crate::crud::where_clause(&conditions);
        if tx
            .fetch_optional(
                &format!("SELECT id FROM schedule_item{where_sql}"),
                &params,
                None,
            )
            .await?
            .is_some()
        {
            return Err(ApiError::bad_request(
                "A similar schedule item already exists",
            ));
        }
        Ok(())
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let role = team_role(ctx, row.get("project_id")).await?;
        let allowed = match role {
            Role::Admin | Role::Manager => true,
            Role::Supervisor => scope::supervises_task_type(ctx, &row["task_type_id"]).await?,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }
}

pub static SCHEDULE_ITEMS: Model = Model {
    hooks: &ScheduleItems,
    ..Model::new("schedule-items", "schedule_item", "ScheduleItem")
};

/// Production schedule versions: the studio's team reads those of a project
/// it asks for (clients and vendors aside); managers write them.
struct ScheduleVersions;

async fn project_readers_only(ctx: &Ctx<'_>, project: Option<&Json>) -> ApiResult<()> {
    scope::require_role(ctx, project, not_vendor_or_client).await?;
    Ok(())
}

/// A list asked for one project is open to its team; without one, to admins.
async fn list_of_asked_project(ctx: &Ctx<'_>) -> ApiResult<Option<Json>> {
    match ctx.param("project_id") {
        Some(project) => {
            let project = json!(project);
            if scope::project_id(Some(&project)).is_none() {
                return Err(ApiError::bad_request("Invalid project_id."));
            }
            project_readers_only(ctx, Some(&project)).await?;
            Ok(Some(project))
        }
        None => {
            ctx.identity.require_admin()?;
            Ok(None)
        }
    }
}

#[async_trait]
impl Hooks for ScheduleVersions {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        list_of_asked_project(ctx).await?;
        Ok(None)
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        project_readers_only(ctx, row.get("project_id")).await
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        require_manager(ctx, data.get("project_id")).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        require_manager(ctx, row.get("project_id")).await
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        tx.execute(
            "UPDATE production_schedule_version SET production_schedule_from = NULL \
             WHERE production_schedule_from = $1",
            std::slice::from_ref(&id),
        )
        .await?;
        tx.execute(
            "UPDATE project SET from_schedule_version_id = NULL WHERE from_schedule_version_id = $1",
            std::slice::from_ref(&id),
        )
        .await?;
        tx.execute(
            "DELETE FROM production_schedule_version_task_link WHERE production_schedule_version_id = $1",
            &[id],
        )
        .await?;
        Ok(())
    }
}

pub static PRODUCTION_SCHEDULE_VERSIONS: Model = Model {
    hooks: &ScheduleVersions,
    defaults: &[
        ("locked", Fixed::Bool(false)),
        ("canceled", Fixed::Bool(false)),
    ],
    ..Model::new(
        "production-schedule-versions",
        "production_schedule_version",
        "ProductionScheduleVersion",
    )
};

/// Task links of a schedule version: access follows the task's project.
struct ScheduleVersionTaskLinks;

async fn project_of_task(ctx: &Ctx<'_>, task: &Json) -> ApiResult<Json> {
    let row = ctx
        .db()
        .fetch_optional(
            "SELECT project_id FROM task WHERE id = $1",
            &[id_of(task)?],
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(row["project_id"].clone())
}

#[async_trait]
impl Hooks for ScheduleVersionTaskLinks {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        Ok(list_of_asked_project(ctx).await?.map(|project| {
            Condition::new(
                "production_schedule_version_id IN \
                 (SELECT id FROM production_schedule_version WHERE project_id = ?)",
                vec![id_of(&project).unwrap_or(Value::Null)],
            )
        }))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let project = project_of_task(ctx, &row["task_id"]).await?;
        project_readers_only(ctx, Some(&project)).await
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        for key in ["production_schedule_version_id", "task_id"] {
            if scope::project_id(data.get(key)).is_none() {
                return Err(ApiError::invalid_field(key, "Field required"));
            }
        }
        let version = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM production_schedule_version WHERE id = $1",
                &[id_of(&data["production_schedule_version_id"])?],
                None,
            )
            .await?
            .ok_or(ApiError::NotFound)?;
        let task_project = project_of_task(ctx, &data["task_id"]).await?;
        if version["project_id"] != task_project {
            return Err(ApiError::bad_request(
                "The task and the production schedule version must be in the same project.",
            ));
        }
        require_manager(ctx, Some(&task_project)).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        let project = project_of_task(ctx, &row["task_id"]).await?;
        require_manager(ctx, Some(&project)).await
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let project = project_of_task(ctx, &row["task_id"]).await?;
        require_manager(ctx, Some(&project)).await
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["task_id", "production_schedule_version_id"]
    }
}

pub static PRODUCTION_SCHEDULE_VERSION_TASK_LINKS: Model = Model {
    relations: &[Relation {
        key: "assignees",
        table: "production_schedule_version_task_link_person_link",
        own: "production_schedule_version_task_link_id",
        other: "person_id",
        writable: true,
    }],
    hooks: &ScheduleVersionTaskLinks,
    defaults: &[("estimation", Fixed::Float(0.0))],
    ..Model::new(
        "production-schedule-version-task-links",
        "production_schedule_version_task_link",
        "ProductionScheduleVersionTaskLink",
    )
};

/// Budgets: admins only through CRUD; the revision is the budget's own business.
struct Budgets;

#[async_trait]
impl Hooks for Budgets {
    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["revision"]
    }
}

pub static BUDGETS: Model = Model {
    hooks: &Budgets,
    defaults: &[("revision", Fixed::Int(1))],
    ..Model::new("budgets", "budget", "Budget")
};

struct BudgetEntries;

#[async_trait]
impl Hooks for BudgetEntries {
    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[
            ("position", &["supervisor", "lead", "artist"]),
            ("seniority", &["senior", "mid", "junior"]),
        ]
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["budget_id"]
    }
}

pub static BUDGET_ENTRIES: Model = Model {
    hooks: &BudgetEntries,
    defaults: &[
        ("position", Fixed::Text("artist")),
        ("seniority", Fixed::Text("mid")),
    ],
    ..Model::new("budget-entries", "budget_entry", "BudgetEntry")
};

/// Casting links: the cached breakdown of the casting shot's project follows them.
struct EntityLinks;

#[async_trait]
impl Hooks for EntityLinks {
    async fn touched(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(uuid::Uuid, Touched)>> {
        let entity = ctx
            .db()
            .fetch_optional(
                "SELECT project_id FROM entity WHERE id = $1",
                &[id_of(&row["entity_in_id"])?],
                None,
            )
            .await?;
        Ok(entity
            .and_then(|e| scope::project_id(e.get("project_id")))
            .map(|project| {
                let id = row["id"].as_str().unwrap_or_default().to_string();
                (
                    project,
                    Touched {
                        links: vec![id],
                        ..Default::default()
                    },
                )
            }))
    }
}

pub static ENTITY_LINKS: Model = Model {
    hooks: &EntityLinks,
    defaults: &[("nb_occurences", Fixed::Int(1)), ("label", Fixed::Text(""))],
    ..Model::new("entity-links", "entity_link", "EntityLink")
};

/// Metadata descriptors: each team member lists those of their open
/// projects that their role there may see.
struct MetadataDescriptors;

const DATA_TYPES: [&str; 10] = [
    "string",
    "number",
    "list",
    "taglist",
    "boolean",
    "checklist",
    "date",
    "url",
    "textarea",
    "person",
];

fn check_data_type(data: &Map<String, Json>) -> ApiResult<()> {
    match data.get("data_type") {
        Some(Json::String(kind)) if !DATA_TYPES.contains(&kind.as_str()) => {
            Err(ApiError::bad_request("Invalid data_type"))
        }
        Some(Json::String(_)) | Some(Json::Null) | None => Ok(()),
        Some(_) => Err(ApiError::bad_request("Invalid data_type")),
    }
}

#[async_trait]
impl Hooks for MetadataDescriptors {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if ctx.identity.is_admin() {
            return Ok(None);
        }
        // The role held on each project decides: clients see descriptors meant
        // for clients, vendors those of no department or of theirs.
        let me = ctx.identity.person.id;
        let role = ctx.identity.person.role.as_str();
        let open_with_role = concat!(
            "SELECT l.project_id FROM project_person_link l JOIN project p ON p.id = l.project_id \
             WHERE l.person_id = ? AND p.project_status_id IN (",
            scope::open_statuses_sql!(),
            ") AND COALESCE(l.role, ?) "
        );
        Ok(Some(Condition::new(
            format!(
                "project_id IN ({open_with_role} NOT IN ('client', 'vendor')) \
                 OR (for_client = TRUE AND project_id IN ({open_with_role} = 'client')) \
                 OR (project_id IN ({open_with_role} = 'vendor') AND (\
                     NOT EXISTS (SELECT 1 FROM department_metadata_descriptor_link d \
                                 WHERE d.metadata_descriptor_id = metadata_descriptor.id) \
                     OR EXISTS (SELECT 1 FROM department_metadata_descriptor_link d \
                                JOIN department_link mine ON mine.department_id = d.department_id \
                                WHERE d.metadata_descriptor_id = metadata_descriptor.id AND mine.person_id = ?)))"
            ),
            vec![
                me.into(),
                role.into(),
                me.into(),
                role.into(),
                me.into(),
                role.into(),
                me.into(),
            ],
        )))
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_data_type(data)
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_data_type(data)
    }

    fn relations_after_update(&self) -> bool {
        true
    }

    fn relations_in_lists(&self) -> bool {
        true
    }
}

pub static METADATA_DESCRIPTORS: Model = Model {
    relations: &[Relation {
        key: "departments",
        table: "department_metadata_descriptor_link",
        own: "metadata_descriptor_id",
        other: "department_id",
        writable: true,
    }],
    hooks: &MetadataDescriptors,
    defaults: &[("for_client", Fixed::Bool(false))],
    ..Model::new(
        "metadata-descriptors",
        "metadata_descriptor",
        "MetadataDescriptor",
    )
};

/// Asset instances: the team of the asset's project reads and edits them
/// (a vendor only on assets they work on); admins list, create and delete.
struct AssetInstances;

async fn check_asset_access(ctx: &Ctx<'_>, asset: &Json) -> ApiResult<()> {
    if ctx.identity.is_admin() {
        return Ok(());
    }
    let asset_id = id_of(asset)?;
    let project = ctx
        .db()
        .fetch_optional(
            "SELECT project_id FROM entity WHERE id = $1",
            std::slice::from_ref(&asset_id),
            None,
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = team_role(ctx, project.get("project_id")).await?;
    if role == Role::Vendor {
        let assigned = ctx
            .db()
            .fetch_optional(
                "SELECT t.id FROM task t JOIN task_person_link a ON a.task_id = t.id \
                 WHERE t.entity_id = $1 AND a.person_id = $2 LIMIT 1",
                &[asset_id, ctx.identity.person.id.into()],
                None,
            )
            .await?;
        if assigned.is_none() {
            return Err(ApiError::Forbidden);
        }
    }
    Ok(())
}

#[async_trait]
impl Hooks for AssetInstances {
    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        check_asset_access(ctx, &row["asset_id"]).await
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        check_asset_access(ctx, &row["asset_id"]).await
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["number"]
    }
}

pub static ASSET_INSTANCES: Model = Model {
    relations: &[Relation {
        key: "shots",
        table: "asset_instance_link",
        own: "asset_instance_id",
        other: "entity_id",
        writable: false,
    }],
    hooks: &AssetInstances,
    defaults: &[("active", Fixed::Bool(true))],
    ..Model::new("asset-instances", "asset_instance", "AssetInstance")
};

/// Time spents: admins manage them through CRUD; each change keeps the
/// task's total duration exact.
struct TimeSpents;

async fn refresh_task_duration(ctx: &Ctx<'_>, tx: &mut Tx, task: &Json) -> ApiResult<()> {
    if task.is_null() {
        return Ok(());
    }
    let task_id = id_of(task)?;
    let updated = tx
        .fetch_optional(
            "UPDATE task SET duration = (SELECT COALESCE(SUM(duration), 0) FROM time_spent WHERE task_id = $1), \
             updated_at = $2 WHERE id = $1 RETURNING project_id",
            &[task_id, crate::db::now().into()],
            None,
        )
        .await?;
    if let Some(row) = updated {
        crate::events::Event::new("task:update", "task_id", task.as_str().unwrap_or_default())
            .in_project(scope::project_id(row.get("project_id")))
            .record(tx, ctx.identity.person.id)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl Hooks for TimeSpents {
    /// The task's duration changed with it.
    async fn touched(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(uuid::Uuid, Touched)>> {
        if row["task_id"].is_null() {
            return Ok(None);
        }
        let task = scope::load_task(ctx, &row["task_id"]).await?;
        Ok(scope::project_id(task.get("project_id")).map(|project| {
            let id = row["task_id"].as_str().unwrap_or_default().to_string();
            (
                project,
                Touched {
                    tasks: vec![id],
                    ..Default::default()
                },
            )
        }))
    }

    async fn extra_filters(
        &self,
        _ctx: &Ctx<'_>,
        query: &[(String, String)],
    ) -> ApiResult<Vec<Condition>> {
        let start = crate::crud::first(query, "start_date");
        let end = crate::crud::first(query, "end_date");
        match (start, end) {
            (None, None) => Ok(Vec::new()),
            (Some(start), Some(end)) => {
                let date = |text: &str| {
                    crate::crud::value_from_text(ColumnKind::Date, text).map_err(ApiError::BadRequest)
                };
                Ok(vec![Condition::new("date BETWEEN ? AND ?", vec![date(start)?, date(end)?])])
            }
            _ => Err(ApiError::bad_request(
                "If querying for a range of dates, both a `start_date` and an `end_date` must be given.",
            )),
        }
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        let assigned = ctx
            .db()
            .fetch_optional(
                "SELECT t.project_id FROM task t JOIN task_person_link a ON a.task_id = t.id \
                 WHERE t.id = $1 AND a.person_id = $2",
                &[id_of(&row["task_id"])?, id_of(&row["person_id"])?],
                None,
            )
            .await?
            .ok_or(ApiError::Forbidden)?;
        let own = row["person_id"].as_str() == Some(ctx.identity.person.id.to_string().as_str());
        if own {
            Ok(())
        } else {
            require_manager(ctx, assigned.get("project_id")).await
        }
    }

    async fn after_create(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        refresh_task_duration(ctx, tx, &answer["task_id"]).await
    }

    async fn after_update(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        refresh_task_duration(ctx, tx, &answer["task_id"]).await
    }

    async fn after_delete(&self, ctx: &Ctx<'_>, tx: &mut Tx, row: &Row) -> ApiResult<()> {
        refresh_task_duration(ctx, tx, &row["task_id"]).await
    }
}

pub static TIME_SPENTS: Model = Model {
    hooks: &TimeSpents,
    ..Model::new("time-spents", "time_spent", "TimeSpent")
};

/// Playlists: the team reads them (clients those meant for clients, vendors
/// none); managers and supervisors make them.
struct Playlists;

const PLAYLIST_ENTITIES: [&str; 5] = ["shot", "asset", "sequence", "edit", "episode"];

fn check_for_entity(data: &Map<String, Json>) -> ApiResult<()> {
    match data.get("for_entity") {
        None | Some(Json::Null) => Ok(()),
        Some(Json::String(kind)) if PLAYLIST_ENTITIES.contains(&kind.as_str()) => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "for_entity must be one of shot, asset, sequence, edit, episode",
        )),
    }
}

/// Playlist entries keep an entity and the preview pinned for it.
fn normalize_shots(data: &mut Map<String, Json>) {
    if let Some(Json::Array(entries)) = data.get("shots") {
        let normalized: Vec<Json> = entries
            .iter()
            .filter_map(|entry| {
                let entity = entry
                    .get("entity_id")
                    .or_else(|| entry.get("id"))?
                    .as_str()?;
                let preview = entry
                    .get("preview_file_id")
                    .and_then(Json::as_str)
                    .map(str::to_lowercase);
                Some(json!({"entity_id": entity, "preview_file_id": preview}))
            })
            .collect();
        data.insert("shots".into(), Json::Array(normalized));
    }
}

async fn may_edit_playlist(ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
    let role = team_role(ctx, row.get("project_id")).await?;
    let creator = row["created_by"].as_str();
    let own = creator.is_none() || creator == Some(ctx.identity.person.id.to_string().as_str());
    match role {
        Role::Admin | Role::Manager => Ok(()),
        Role::Supervisor if own => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

#[async_trait]
impl Hooks for Playlists {
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if ctx.identity.is_admin() {
            return Ok(None);
        }
        if ctx.identity.person.role == Role::Vendor {
            return Err(ApiError::Forbidden);
        }
        let me = ctx.identity.person.id;
        let role = ctx.identity.person.role.as_str();
        let team_with_role =
            "SELECT l.project_id FROM project_person_link l WHERE l.person_id = ? AND COALESCE(l.role, ?) ";
        Ok(Some(Condition::new(
            format!(
                "project_id IN ({team_with_role} NOT IN ('client', 'vendor')) \
                 OR (for_client = TRUE AND project_id IN ({team_with_role} = 'client'))"
            ),
            vec![me.into(), role.into(), me.into(), role.into()],
        )))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        match team_role(ctx, row.get("project_id")).await? {
            Role::Vendor => Err(ApiError::Forbidden),
            Role::Client if row["for_client"] != Json::Bool(true) => Err(ApiError::Forbidden),
            _ => Ok(()),
        }
    }

    async fn check_create(&self, ctx: &Ctx<'_>, data: &Map<String, Json>) -> ApiResult<()> {
        if ctx.identity.is_admin() {
            return Ok(());
        }
        scope::require_role(ctx, data.get("project_id"), |role| {
            matches!(role, Role::Manager | Role::Supervisor)
        })
        .await?;
        Ok(())
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        may_edit_playlist(ctx, row).await
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        may_edit_playlist(ctx, row).await
    }

    async fn before_create(
        &self,
        ctx: &Ctx<'_>,
        _tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_for_entity(data)?;
        if matches!(
            data.get("episode_id").and_then(Json::as_str),
            Some("all" | "main")
        ) {
            data.insert("episode_id".into(), Json::Null);
        }
        if data
            .get("task_type_id")
            .is_some_and(|t| scope::project_id(Some(t)).is_none())
        {
            data.insert("task_type_id".into(), Json::Null);
        }
        normalize_shots(data);
        data.insert("created_by".into(), json!(ctx.identity.person.id));
        Ok(())
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_for_entity(data)?;
        normalize_shots(data);
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
        for table in ["notification", "build_job", "playlist_share_link"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE playlist_id = $1"),
                std::slice::from_ref(&id),
            )
            .await?;
        }
        Ok(())
    }
}

pub static PLAYLISTS: Model = Model {
    relations: &[Relation {
        key: "build_jobs",
        table: "build_job",
        own: "playlist_id",
        other: "id",
        writable: false,
    }],
    hooks: &Playlists,
    defaults: &[
        ("for_client", Fixed::Bool(false)),
        ("for_entity", Fixed::Text("shot")),
        ("is_for_all", Fixed::Bool(false)),
    ],
    ..Model::new("playlists", "playlist", "Playlist")
};
