//! Zou's events: every mutation is recorded in `api_event`, in the same
//! transaction as the change it describes, for `/data/events` to read.

use crate::db::{now, Tx, Value};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

pub struct Event {
    pub name: String,
    pub data: Map<String, Json>,
    pub project_id: Option<Uuid>,
}

impl Event {
    /// An event named `name` (`task-type:new`...) whose payload carries `key: id`.
    pub fn new(name: impl Into<String>, key: &str, id: &str) -> Event {
        let mut data = Map::new();
        data.insert(key.to_string(), Json::String(id.to_string()));
        Event {
            name: name.into(),
            data,
            project_id: None,
        }
    }

    /// Zou adds the project to the payload of events about project data.
    pub fn in_project(mut self, project_id: Option<Uuid>) -> Event {
        if let Some(project_id) = project_id {
            self.data
                .insert("project_id".into(), Json::String(project_id.to_string()));
        }
        self.project_id = project_id;
        self
    }

    /// Records the event with the transaction's other writes; it is written
    /// when the transaction commits (nothing reads events before).
    pub async fn record(self, tx: &mut Tx, author: Uuid) -> sqlx::Result<()> {
        let stamp = now();
        tx.insert_at_commit(
            "api_event",
            vec![
                ("id", Uuid::now_v7().into()),
                ("name", self.name.into()),
                ("user_id", author.into()),
                ("project_id", self.project_id.into()),
                ("data", Value::Json(Json::Object(self.data))),
                ("created_at", stamp.into()),
                ("updated_at", stamp.into()),
            ],
        );
        Ok(())
    }
}
