//! The project actors' view of the database: what a project's cached
//! breakdown is made of, loaded whole or row by row.

use crate::db::{keyed, Db, Read, Row, Value};
use async_trait::async_trait;
use serde_json::Value as Json;
use std::collections::HashMap;
use tusk_actors::project::{ProjectState, ProjectStore, Reloaded, Touched};
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

fn ids<'a>(texts: impl IntoIterator<Item = &'a String>) -> Result<Vec<Value>, String> {
    texts.into_iter().map(|text| id(text)).collect()
}

/// Names each row by its id.
fn by_id(rows: Vec<Row>) -> HashMap<String, Row> {
    keyed(rows).collect()
}

impl DbStore {
    /// Rows of `sql` for all of `ids` (`{ids}` in `sql`), asked in chunks.
    async fn fetch_in(&self, sql: &str, ids: &[Value], table: &str) -> Result<Vec<Row>, String> {
        self.db
            .clone()
            .fetch_in(sql, &[], ids, Some(table))
            .await
            .map_err(|e| e.to_string())
    }

    /// Tasks with their assignees, for a condition on `task` aliased `t`
    /// where `{ids}` stands for the list `ids`.
    async fn tasks(&self, condition: &str, ids: &[Value]) -> Result<Vec<Row>, String> {
        let mut tasks = self
            .fetch_in(
                &format!("SELECT t.* FROM task t WHERE {condition}"),
                ids,
                "task",
            )
            .await?;
        let links = self
            .fetch_in(
                &format!(
                    "SELECT a.task_id, a.person_id FROM task_person_link a JOIN task t ON t.id = a.task_id \
                     WHERE {condition} ORDER BY a.person_id"
                ),
                ids,
                "task_person_link",
            )
            .await?;
        let mut assignees = crate::db::grouped(&links, "task_id", "person_id");
        for task in tasks.iter_mut() {
            let people = assignees
                .remove(task["id"].as_str().unwrap_or_default())
                .unwrap_or_default();
            task.insert("assignees".into(), Json::Array(people));
        }
        Ok(tasks)
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
        let tasks = self.tasks("t.project_id IN ({ids})", &[key]).await?;
        Ok(ProjectState::new(
            keyed(entities).collect(),
            keyed(tasks).collect(),
            keyed(links).collect(),
        ))
    }

    /// Reads the touched rows back in a few queries, however many there are
    /// (the actor reads the refreshes of many writes at once).
    async fn reload(&self, project: &str, touched: &Touched) -> Result<Reloaded, String> {
        let here = |row: &Row| row["project_id"].as_str() == Some(project);
        let mut reloaded = Reloaded {
            casting: touched.casting.clone(),
            ..Reloaded::default()
        };
        let mut named: Vec<&String> = touched.entities.iter().chain(&touched.casting).collect();
        named.sort();
        named.dedup();
        let mut entities = by_id(
            self.fetch_in(
                &format!("{ENTITIES} WHERE e.id IN ({{ids}})"),
                &ids(named.iter().copied())?,
                "entity",
            )
            .await?,
        );
        entities.retain(|_, row| here(row));
        let owners: Vec<&String> = touched
            .casting
            .iter()
            .filter(|owner| entities.contains_key(*owner))
            .collect();
        for entity in named {
            reloaded
                .entities
                .push((entity.clone(), entities.get(entity).cloned()));
        }

        let mut tasks = by_id(self.tasks("t.id IN ({ids})", &ids(&touched.tasks)?).await?);
        for task in &touched.tasks {
            let row = tasks.remove(task).filter(here);
            reloaded.tasks.push((task.clone(), row));
        }
        let of_owners = self
            .tasks("t.entity_id IN ({ids})", &ids(owners.iter().copied())?)
            .await?;
        reloaded
            .tasks
            .extend(keyed(of_owners).map(|(key, row)| (key, Some(row).filter(here))));

        let links = self
            .fetch_in(
                "SELECT * FROM entity_link WHERE entity_in_id IN ({ids})",
                &ids(owners.iter().copied())?,
                "entity_link",
            )
            .await?;
        reloaded
            .links
            .extend(keyed(links).map(|(key, row)| (key, Some(row))));
        let mut links = by_id(
            self.fetch_in(
                "SELECT l.*, e.project_id FROM entity_link l JOIN entity e ON e.id = l.entity_in_id \
                 WHERE l.id IN ({ids})",
                &ids(&touched.links)?,
                "entity_link",
            )
            .await?,
        );
        for link in &touched.links {
            let row = links.remove(link).filter(here).map(|mut row| {
                row.remove("project_id");
                row
            });
            reloaded.links.push((link.clone(), row));
        }
        Ok(reloaded)
    }
}
