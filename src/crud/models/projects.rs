//! Projects: admins create them, their managers run them, their team reads
//! them; a closed project can be deleted, with everything in it on `force`.

use crate::crud::id_of;
use crate::crud::scope::{self, require_manager, team_projects, team_role};
use crate::crud::{Condition, Ctx, Fixed, Hooks, Model, Relation};
use crate::db::{now, ColumnKind, Read, Row, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use tusk_actors::project::Touched;
use tusk_actors::role::Role;
use uuid::Uuid;

struct Projects;

const PRODUCTION_STYLES: [&str; 15] = [
    "2d",
    "2dpaper",
    "3d",
    "2d3d",
    "ar",
    "vfx",
    "stop-motion",
    "motion-design",
    "archviz",
    "commercial",
    "catalog",
    "immersive",
    "nft",
    "video-game",
    "vr",
];
/// The highest bitrate a preview movie may be encoded at (Mbit/s), as Zou's config.
const MAX_BITRATE: i64 = 28;
const DEFAULT_LOW_BITRATE: i64 = 6;

/// `1920x1080` or `x1080`.
fn is_resolution(text: &str) -> bool {
    let digits =
        |part: &str| (3..=4).contains(&part.len()) && part.chars().all(|c| c.is_ascii_digit());
    match text.split_once('x') {
        Some(("", height)) => digits(height),
        Some((width, height)) => digits(width) && digits(height),
        None => false,
    }
}

/// Zou's checks on production settings (projects and templates alike).
pub(super) fn check_settings(data: &mut Map<String, Json>, stored: Option<&Row>) -> ApiResult<()> {
    if data.get("production_style").is_some_and(Json::is_null) {
        data.insert("production_style".into(), json!("2d3d"));
    }
    if let Some(style) = data.get("production_style") {
        if !style
            .as_str()
            .is_some_and(|s| PRODUCTION_STYLES.contains(&s))
        {
            return Err(ApiError::bad_request("Invalid production_style"));
        }
    }
    if let Some(resolution) = data
        .get("resolution")
        .and_then(Json::as_str)
        .filter(|r| !r.is_empty())
    {
        if !is_resolution(resolution) {
            return Err(ApiError::bad_request(format!(
                "Invalid resolution {resolution}. Expected format: '1920x1080' or 'x1080'."
            )));
        }
    }
    let bitrate = |key: &str, fallback: i64| -> ApiResult<i64> {
        match data.get(key) {
            Some(value) if !value.is_null() => match value.as_i64() {
                Some(rate) if (1..=MAX_BITRATE).contains(&rate) && !value.is_boolean() => Ok(rate),
                _ => Err(ApiError::bad_request(format!(
                    "Invalid bitrate {value}. Expected an integer number of Mbit/s between 1 and {MAX_BITRATE}."
                ))),
            },
            _ => Ok(stored
                .and_then(|row| row.get(key))
                .and_then(Json::as_i64)
                .unwrap_or(fallback)),
        }
    };
    let high = bitrate("hd_bitrate_compression", MAX_BITRATE)?;
    let low = bitrate("ld_bitrate_compression", DEFAULT_LOW_BITRATE)?;
    if low > high {
        return Err(ApiError::bad_request(format!(
            "The low definition bitrate ({low}) cannot exceed the high definition one ({high})."
        )));
    }
    Ok(())
}

/// The id of the project status named `name`, created if missing (as Zou does for `Open`).
async fn status_id(tx: &mut Tx, name: &str) -> ApiResult<Json> {
    if let Some(row) = tx
        .fetch_optional(
            "SELECT id FROM project_status WHERE name = $1",
            &[name.into()],
            None,
        )
        .await?
    {
        return Ok(row["id"].clone());
    }
    let stamp = now();
    let row = tx
        .insert(
            "project_status",
            &[
                ("id", Uuid::now_v7().into()),
                ("name", name.into()),
                ("color", "#000000".into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    Ok(row["id"].clone())
}

/// A TV show always has a first episode: the first running one by name, else the first.
async fn first_episode(tx: &mut impl Read, project: &Row) -> ApiResult<Option<Json>> {
    let episodes = tx
        .fetch_all(
            "SELECT e.id, e.status FROM entity e JOIN entity_type t ON t.id = e.entity_type_id \
             WHERE e.project_id = $1 AND t.name = 'Episode' ORDER BY e.name",
            &[id_of(&project["id"])?],
            None,
        )
        .await?;
    let running = episodes.iter().find(|e| e["status"] == "running");
    Ok(running.or(episodes.first()).map(|e| e["id"].clone()))
}

/// Creates episode E01 for a TV show that has none.
async fn ensure_first_episode(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    project: &Row,
) -> ApiResult<Option<Json>> {
    if project["production_type"] != "tvshow" {
        return Ok(None);
    }
    if let Some(existing) = first_episode(tx, project).await? {
        return Ok(Some(existing));
    }
    let episode_type = tx
        .fetch_optional(
            "SELECT id FROM entity_type WHERE name = 'Episode'",
            &[],
            None,
        )
        .await?
        .ok_or_else(|| ApiError::internal("the Episode entity type is missing"))?;
    let stamp = now();
    let project_id = id_of(&project["id"])?;
    let episode = tx
        .insert(
            "entity",
            &[
                ("id", Uuid::now_v7().into()),
                ("name", "E01".into()),
                ("project_id", project_id.clone()),
                ("entity_type_id", id_of(&episode_type["id"])?),
                ("canceled", false.into()),
                ("nb_entities_out", Value::Int(0)),
                ("is_casting_standby", false.into()),
                ("is_shared", false.into()),
                ("status", "running".into()),
                ("created_by", ctx.identity.person.id.into()),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        )
        .await?;
    let id = episode["id"].as_str().unwrap_or_default();
    Event::new("episode:new", "episode_id", id)
        .in_project(scope::project_id(project.get("id")))
        .record(tx, ctx.identity.person.id)
        .await?;
    Ok(Some(episode["id"].clone()))
}

/// What a role may see of a project's metadata descriptors.
fn descriptor_visible(role: Role, descriptor: &Row, my_departments: &[String]) -> bool {
    match role {
        Role::Client => descriptor["for_client"] == Json::Bool(true),
        Role::Vendor => {
            let departments = descriptor["departments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            departments.is_empty()
                || departments.iter().any(|d| {
                    d.as_str()
                        .is_some_and(|d| my_departments.iter().any(|m| m == d))
                })
        }
        _ => true,
    }
}

/// What Kitsu reads with a project: its descriptors, task type and status
/// settings, its status name and (TV shows) its first episode.
pub async fn project_settings(ctx: &Ctx<'_>, row: &mut Row, role: Role) -> ApiResult<()> {
    let id = id_of(&row["id"])?;
    let db = ctx.db();
    let mut descriptors = db
        .fetch_all(
            "SELECT id, name, field_name, data_type, choices, for_client, entity_type, task_type_id, position \
             FROM metadata_descriptor WHERE project_id = $1 ORDER BY position, name",
            std::slice::from_ref(&id),
            Some("metadata_descriptor"),
        )
        .await?;
    let links = db
        .fetch_all(
            "SELECT l.metadata_descriptor_id, l.department_id FROM department_metadata_descriptor_link l \
             JOIN metadata_descriptor d ON d.id = l.metadata_descriptor_id WHERE d.project_id = $1",
            std::slice::from_ref(&id),
            None,
        )
        .await?;
    let my_departments = ctx.identity.person.department_ids(db).await?;
    for descriptor in descriptors.iter_mut() {
        let departments: Vec<Json> = links
            .iter()
            .filter(|l| l["metadata_descriptor_id"] == descriptor["id"])
            .map(|l| l["department_id"].clone())
            .collect();
        descriptor.insert("departments".into(), Json::Array(departments));
        if descriptor["for_client"].is_null() {
            descriptor.insert("for_client".into(), json!(false));
        }
    }
    descriptors.retain(|d| descriptor_visible(role, d, &my_departments));
    row.insert("descriptors".into(), json!(descriptors));

    let type_links = db
        .fetch_all(
            "SELECT task_type_id, priority, hd_bitrate_compression, ld_bitrate_compression, is_client_visible \
             FROM project_task_type_link WHERE project_id = $1",
            std::slice::from_ref(&id),
            Some("project_task_type_link"),
        )
        .await?;
    let mut task_type_links = Map::new();
    let mut priorities = Map::new();
    for mut link in type_links {
        let key = link
            .remove("task_type_id")
            .and_then(|k| k.as_str().map(str::to_string))
            .unwrap_or_default();
        priorities.insert(key.clone(), link["priority"].clone());
        task_type_links.insert(key, Json::Object(link));
    }
    row.insert("task_type_links".into(), Json::Object(task_type_links));
    row.insert("task_types_priority".into(), Json::Object(priorities));

    let status_links = db
        .fetch_all(
            "SELECT task_status_id, priority, roles_for_board, is_client_allowed \
             FROM project_task_status_link WHERE project_id = $1",
            std::slice::from_ref(&id),
            Some("project_task_status_link"),
        )
        .await?;
    let mut task_statuses_link = Map::new();
    for mut link in status_links {
        let key = link
            .remove("task_status_id")
            .and_then(|k| k.as_str().map(str::to_string))
            .unwrap_or_default();
        task_statuses_link.insert(key, Json::Object(link));
    }
    row.insert(
        "task_statuses_link".into(),
        Json::Object(task_statuses_link),
    );

    if row["production_type"] == "tvshow" {
        if let Some(episode) = first_episode(&mut db.clone(), row).await? {
            row.insert("first_episode_id".into(), episode);
        }
    }
    let status = db
        .fetch_optional(
            "SELECT name FROM project_status WHERE id = $1",
            &[
                Value::from_json(ColumnKind::Uuid, &row["project_status_id"])
                    .unwrap_or(Value::Null),
            ],
            None,
        )
        .await?;
    row.insert(
        "project_status_name".into(),
        status.map_or(Json::Null, |s| s["name"].clone()),
    );
    Ok(())
}

#[async_trait]
impl Hooks for Projects {
    /// A deleted project's cache is emptied (its settings are not cached).
    async fn touched(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<Option<(Uuid, Touched)>> {
        let still_there = ctx
            .db()
            .fetch_optional(
                "SELECT id FROM project WHERE id = $1",
                &[id_of(&row["id"])?],
                None,
            )
            .await?
            .is_some();
        Ok(scope::project_id(row.get("id"))
            .filter(|_| !still_there)
            .map(|project| (project, Touched::everything())))
    }

    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if ctx.identity.is_admin() {
            return Ok(None);
        }
        let projects = team_projects(ctx.identity.person.id, true);
        Ok(Some(Condition::new(
            format!("id IN ({})", projects.sql),
            projects.params,
        )))
    }

    async fn check_read(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        team_role(ctx, row.get("id")).await?;
        Ok(())
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        require_manager(ctx, row.get("id")).await
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, row: &Row) -> ApiResult<()> {
        ctx.identity.require_admin()?;
        let status = ctx
            .db()
            .fetch_optional(
                "SELECT name FROM project_status WHERE id = $1",
                &[
                    Value::from_json(ColumnKind::Uuid, &row["project_status_id"])
                        .unwrap_or(Value::Null),
                ],
                None,
            )
            .await?;
        if status.is_some_and(|s| s["name"] == "Open") {
            return Err(ApiError::refused("Only closed projects can be deleted"));
        }
        Ok(())
    }

    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(template) = data
            .get("project_template_id")
            .filter(|t| !t.is_null())
            .cloned()
        {
            let template = super::templates::load(tx, &template).await?;
            super::templates::fill_project(tx, &template, data).await?;
        }
        check_settings(data, None)?;
        if data.get("project_status_id").is_none_or(Json::is_null) {
            data.insert("project_status_id".into(), status_id(tx, "Open").await?);
        }
        if let Some(default_background) = data
            .get("default_preview_background_file_id")
            .filter(|v| !v.is_null())
        {
            let listed = data
                .get("preview_background_files")
                .and_then(Json::as_array)
                .is_some_and(|files| files.contains(default_background));
            if !listed {
                return Err(ApiError::bad_request(
                    "Invalid default_preview_background_file_id",
                ));
            }
        }
        Ok(())
    }

    fn request_only(&self) -> &'static [&'static str] {
        &["project_template_id"]
    }

    async fn after_create(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        data: &Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(template) = data.get("project_template_id").filter(|t| !t.is_null()) {
            let template = super::templates::load(tx, template).await?;
            super::templates::add_descriptors(tx, &template, &answer["id"]).await?;
        }
        if let Some(episode) = ensure_first_episode(ctx, tx, answer).await? {
            answer.insert("first_episode_id".into(), episode);
        }
        Ok(())
    }

    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        vec!["team"]
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        row: &Row,
        data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        check_settings(data, Some(row))
    }

    async fn after_update(
        &self,
        ctx: &Ctx<'_>,
        tx: &mut Tx,
        answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        if let Some(episode) = ensure_first_episode(ctx, tx, answer).await? {
            answer.insert("first_episode_id".into(), episode);
        }
        Ok(())
    }

    async fn extend_one(&self, ctx: &Ctx<'_>, row: &mut Row) -> ApiResult<()> {
        let role = team_role(ctx, row.get("id")).await?;
        project_settings(ctx, row, role).await
    }

    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        tx: &mut Tx,
        row: &Row,
        force: bool,
    ) -> ApiResult<()> {
        let id = id_of(&row["id"])?;
        let preview_accounts = tx
            .fetch_all(
                "SELECT id FROM person WHERE preview_project_id = $1",
                std::slice::from_ref(&id),
                None,
            )
            .await?;
        for account in preview_accounts {
            let account = id_of(&account["id"])?;
            crate::persons::remove_traces(tx, account.clone()).await?;
            tx.execute(
                "DELETE FROM department_link WHERE person_id = $1",
                std::slice::from_ref(&account),
            )
            .await?;
            tx.execute("DELETE FROM person WHERE id = $1", &[account])
                .await?;
        }
        if force {
            remove_project_data(tx, id).await?;
        }
        Ok(())
    }

    fn still_referenced(&self) -> ApiError {
        ApiError::bad_request(
            "The project still holds production data; delete it with force=true to remove everything in it.",
        )
    }
}

/// Everything a project holds, children before parents.
async fn remove_project_data(tx: &mut Tx, project: Value) -> ApiResult<()> {
    let tasks = "SELECT id FROM task WHERE project_id = $1";
    let entities = "SELECT id FROM entity WHERE project_id = $1";
    let comments = format!("SELECT id FROM comment WHERE object_id IN ({tasks})");
    let previews = format!("SELECT id FROM preview_file WHERE task_id IN ({tasks})");
    let playlists = "SELECT id FROM playlist WHERE project_id = $1";
    let working_files = format!(
        "SELECT id FROM working_file WHERE task_id IN ({tasks}) OR entity_id IN ({entities})"
    );
    let output_files = format!(
        "SELECT id FROM output_file WHERE entity_id IN ({entities}) OR temporal_entity_id IN ({entities}) \
         OR source_file_id IN ({working_files})"
    );
    let instances = format!(
        "SELECT id FROM asset_instance WHERE asset_id IN ({entities}) OR entity_id IN ({entities}) \
         OR scene_id IN ({entities}) OR target_asset_id IN ({entities})"
    );
    let versions = "SELECT id FROM production_schedule_version WHERE project_id = $1";
    let statements = [
        "UPDATE project SET from_schedule_version_id = NULL WHERE id = $1".to_string(),
        "UPDATE entity SET preview_file_id = NULL, parent_id = NULL, source_id = NULL WHERE project_id = $1".to_string(),
        format!("UPDATE entity SET preview_file_id = NULL WHERE preview_file_id IN ({previews})"),
        format!("UPDATE comment SET preview_file_id = NULL WHERE object_id IN ({tasks})"),
        format!("DELETE FROM comment_acknoledgments WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_mentions WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_department_mentions WHERE comment IN ({comments})"),
        format!("DELETE FROM comment_preview_link WHERE comment IN ({comments}) OR preview_file IN ({previews})"),
        format!("DELETE FROM attachment_file WHERE comment_id IN ({comments})"),
        format!("DELETE FROM news WHERE task_id IN ({tasks}) OR comment_id IN ({comments}) OR preview_file_id IN ({previews})"),
        format!("DELETE FROM notification WHERE task_id IN ({tasks}) OR comment_id IN ({comments}) OR playlist_id IN ({playlists})"),
        format!("DELETE FROM comment WHERE object_id IN ({tasks})"),
        format!("DELETE FROM preview_file_storage_state WHERE preview_file_id IN ({previews})"),
        format!("DELETE FROM preview_file WHERE task_id IN ({tasks})"),
        format!("DELETE FROM time_spent WHERE task_id IN ({tasks})"),
        format!("DELETE FROM subscription WHERE task_id IN ({tasks}) OR entity_id IN ({entities})"),
        format!("DELETE FROM task_person_link WHERE task_id IN ({tasks})"),
        format!("DELETE FROM production_schedule_version_task_link WHERE task_id IN ({tasks}) OR production_schedule_version_id IN ({versions})"),
        format!("UPDATE preview_file SET source_file_id = NULL WHERE source_file_id IN ({output_files})"),
        format!("DELETE FROM output_file WHERE id IN ({output_files}) OR asset_instance_id IN ({instances})"),
        format!("DELETE FROM working_file WHERE id IN ({working_files})"),
        "DELETE FROM task WHERE project_id = $1".to_string(),
        format!("DELETE FROM entity_link WHERE entity_in_id IN ({entities}) OR entity_out_id IN ({entities})"),
        format!("DELETE FROM entity_concept_link WHERE entity_in_id IN ({entities}) OR entity_out_id IN ({entities})"),
        format!("DELETE FROM asset_instance_link WHERE entity_id IN ({entities}) OR asset_instance_id IN ({instances})"),
        format!("DELETE FROM asset_instance WHERE id IN ({instances})"),
        format!("DELETE FROM entity_version WHERE entity_id IN ({entities})"),
        format!("DELETE FROM build_job WHERE playlist_id IN ({playlists})"),
        format!("DELETE FROM playlist_share_link WHERE playlist_id IN ({playlists})"),
        format!("DELETE FROM playlist WHERE project_id = $1 OR episode_id IN ({entities})"),
        "DELETE FROM entity WHERE project_id = $1".to_string(),
        "DELETE FROM budget_entry WHERE budget_id IN (SELECT id FROM budget WHERE project_id = $1)".to_string(),
        "DELETE FROM budget WHERE project_id = $1".to_string(),
        "DELETE FROM department_metadata_descriptor_link WHERE metadata_descriptor_id IN \
         (SELECT id FROM metadata_descriptor WHERE project_id = $1)".to_string(),
        "DELETE FROM metadata_descriptor WHERE project_id = $1".to_string(),
        "DELETE FROM milestone WHERE project_id = $1".to_string(),
        "DELETE FROM schedule_item WHERE project_id = $1".to_string(),
        format!("UPDATE production_schedule_version SET production_schedule_from = NULL WHERE production_schedule_from IN ({versions})"),
        "DELETE FROM production_schedule_version WHERE project_id = $1".to_string(),
        "DELETE FROM search_filter WHERE project_id = $1".to_string(),
        "DELETE FROM search_filter_group WHERE project_id = $1".to_string(),
        "DELETE FROM api_event WHERE project_id = $1".to_string(),
    ];
    for statement in statements {
        tx.execute(&statement, std::slice::from_ref(&project))
            .await?;
    }
    Ok(())
}

const fn link(key: &'static str, table: &'static str, other: &'static str) -> Relation {
    Relation {
        key,
        table,
        own: "project_id",
        other,
        writable: true,
    }
}

pub static PROJECTS: Model = Model {
    relations: &[
        link("team", "project_person_link", "person_id"),
        link("asset_types", "project_asset_type_link", "asset_type_id"),
        link(
            "task_statuses",
            "project_task_status_link",
            "task_status_id",
        ),
        link("task_types", "project_task_type_link", "task_type_id"),
        link(
            "status_automations",
            "project_status_automation_link",
            "status_automation_id",
        ),
        link(
            "preview_background_files",
            "project_preview_background_file_link",
            "preview_background_file_id",
        ),
    ],
    hooks: &Projects,
    defaults: &[
        ("has_avatar", Fixed::Bool(false)),
        ("fps", Fixed::Text("25")),
        ("ratio", Fixed::Text("16:9")),
        ("resolution", Fixed::Text("1920x1080")),
        ("production_type", Fixed::Text("short")),
        ("production_style", Fixed::Text("2d3d")),
        ("nb_episodes", Fixed::Int(0)),
        ("episode_span", Fixed::Int(0)),
        ("max_retakes", Fixed::Int(0)),
        ("is_clients_isolated", Fixed::Bool(false)),
        ("is_client_stats_visible", Fixed::Bool(true)),
        ("is_client_task_list_visible", Fixed::Bool(true)),
        ("is_client_task_panel_visible", Fixed::Bool(true)),
        ("is_preview_download_allowed", Fixed::Bool(false)),
        ("is_set_preview_automated", Fixed::Bool(false)),
        ("homepage", Fixed::Text("assets")),
        ("is_publish_default_for_artists", Fixed::Bool(false)),
        ("is_bot_collaboration_enabled", Fixed::Bool(false)),
        ("is_single_preview_per_revision", Fixed::Bool(false)),
        ("is_frame_in_numbering", Fixed::Bool(false)),
        ("revision_padding", Fixed::Int(0)),
    ],
    ..Model::new("projects", "project", "Project")
};

#[cfg(test)]
mod tests {
    use super::is_resolution;

    #[test]
    fn resolutions_are_width_by_height_or_height_only() {
        assert!(is_resolution("1920x1080"));
        assert!(is_resolution("x1080"));
        assert!(!is_resolution("1920"));
        assert!(!is_resolution("19201x1080"));
        assert!(!is_resolution("axb"));
    }
}
