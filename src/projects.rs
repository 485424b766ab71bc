//! The project actors' view of the database: what a project's cached
//! breakdown is made of, loaded whole or row by row.

use crate::db::{Db, Row, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use tusk_actors::project::{ProjectState, ProjectStore, Reloaded, Row as StateRow, Touched};
use uuid::Uuid;

pub use tusk_actors::project::ProjectRegistry;

/// Loads projects from Tusk's database.
pub struct DbStore {
    pub db: Db,
}

const ENTITIES: &str = "SELECT e.*, t.name AS entity_type_name FROM entity e \
     JOIN entity_type t ON t.id = e.entity_type_id";
const LINKS: &str = "SELECT l.* FROM entity_link l JOIN entity e ON e.id = l.entity_in_id";

fn id(text: &str) -> Result<Value, String> {
    Uuid::parse_str(text)
        .map(Value::Uuid)
        .map_err(|e| e.to_string())
}

fn keyed(rows: Vec<Row>) -> impl Iterator<Item = (String, StateRow)> {
    rows.into_iter()
        .map(|row| (row["id"].as_str().unwrap_or_default().to_string(), row))
}

impl DbStore {
    /// Tasks with their assignees, for a condition on `task` aliased `t`.
    async fn tasks(&self, condition: &str, key: Value) -> Result<Vec<Row>, String> {
        let mut tasks = self
            .db
            .fetch_all(
                &format!("SELECT t.* FROM task t WHERE {condition}"),
                std::slice::from_ref(&key),
                Some("task"),
            )
            .await
            .map_err(|e| e.to_string())?;
        let links = self
            .db
            .fetch_all(
                &format!(
                    "SELECT a.task_id, a.person_id FROM task_person_link a JOIN task t ON t.id = a.task_id \
                     WHERE {condition} ORDER BY a.person_id"
                ),
                &[key],
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut assignees = crate::db::grouped(&links, "task_id", "person_id");
        for task in tasks.iter_mut() {
            let people = assignees
                .remove(task["id"].as_str().unwrap_or_default())
                .unwrap_or_default();
            task.insert("assignees".into(), Json::Array(people));
        }
        Ok(tasks)
    }

    async fn one(&self, sql: &str, key: &str, table: &str) -> Result<Option<Row>, String> {
        self.db
            .fetch_optional(sql, &[id(key)?], Some(table))
            .await
            .map_err(|e| e.to_string())
    }
}

#[async_trait]
impl ProjectStore for DbStore {
    async fn load(&self, project: &str) -> Result<ProjectState, String> {
        let key = id(project)?;
        let entities = self
            .db
            .fetch_all(
                &format!("{ENTITIES} WHERE e.project_id = $1"),
                std::slice::from_ref(&key),
                Some("entity"),
            )
            .await
            .map_err(|e| e.to_string())?;
        let links = self
            .db
            .fetch_all(
                &format!("{LINKS} WHERE e.project_id = $1"),
                std::slice::from_ref(&key),
                Some("entity_link"),
            )
            .await
            .map_err(|e| e.to_string())?;
        let tasks = self.tasks("t.project_id = $1", key).await?;
        Ok(ProjectState::new(
            keyed(entities).collect(),
            keyed(tasks).collect(),
            keyed(links).collect(),
        ))
    }

    async fn reload(&self, project: &str, touched: &Touched) -> Result<Reloaded, String> {
        let mut reloaded = Reloaded::default();
        let in_project =
            |row: Option<Row>| row.filter(|row| row["project_id"].as_str() == Some(project));
        for entity in &touched.entities {
            let row = self
                .one(&format!("{ENTITIES} WHERE e.id = $1"), entity, "entity")
                .await?;
            reloaded.entities.push((entity.clone(), in_project(row)));
        }
        for task in &touched.tasks {
            let row = self.tasks("t.id = $1", id(task)?).await?.into_iter().next();
            reloaded.tasks.push((task.clone(), in_project(row)));
        }
        for owner in &touched.casting {
            let row = self
                .one(&format!("{ENTITIES} WHERE e.id = $1"), owner, "entity")
                .await?;
            let row = in_project(row);
            let here = row.is_some();
            reloaded.entities.push((owner.clone(), row));
            reloaded.casting.push(owner.clone());
            if !here {
                continue;
            }
            for task in self.tasks("t.entity_id = $1", id(owner)?).await? {
                let key = task["id"].as_str().unwrap_or_default().to_string();
                reloaded.tasks.push((key, in_project(Some(task))));
            }
            let links = self
                .db
                .fetch_all(
                    "SELECT * FROM entity_link WHERE entity_in_id = $1",
                    &[id(owner)?],
                    Some("entity_link"),
                )
                .await
                .map_err(|e| e.to_string())?;
            reloaded
                .links
                .extend(keyed(links).map(|(key, row)| (key, Some(row))));
        }
        for link in &touched.links {
            let row = self
                .one(
                    "SELECT l.*, e.project_id FROM entity_link l JOIN entity e ON e.id = l.entity_in_id WHERE l.id = $1", link, "entity_link")
                .await?;
            let row = in_project(row).map(|mut row| {
                row.remove("project_id");
                row
            });
            reloaded.links.push((link.clone(), row));
        }
        Ok(reloaded)
    }
}
