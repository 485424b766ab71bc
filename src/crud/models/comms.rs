//! Chats, news, notifications, subscriptions and the event log: admin-only
//! through CRUD (people reach their own through `/data/user/*`).

use super::reference::AdminOnly;
use crate::crud::{Ctx, Hooks, Model, Relation};
use crate::db::Row;
use async_trait::async_trait;
use serde_json::{json, Value as Json};

const fn admin_model(route: &'static str, table: &'static str, type_name: &'static str) -> Model {
    Model {
        route,
        table,
        type_name,
        relations: &[],
        hooks: &AdminOnly,
        event: None,
    }
}

pub static CHAT_MESSAGES: Model = Model {
    relations: &[Relation {
        key: "attachment_files",
        table: "attachment_file",
        own: "chat_message_id",
        other: "id",
        writable: false,
    }],
    ..admin_model("chat-messages", "chat_message", "ChatMessage")
};

struct Chats;

#[async_trait]
impl Hooks for Chats {
    fn defaults(&self, _ctx: &Ctx<'_>) -> Vec<(&'static str, Json)> {
        vec![("object_type", json!("entity"))]
    }
}

pub static CHATS: Model = Model {
    relations: &[Relation {
        key: "participants",
        table: "chat_participant",
        own: "chat_id",
        other: "person_id",
        writable: true,
    }],
    hooks: &Chats,
    ..admin_model("chats", "chat", "Chat")
};

struct News;

#[async_trait]
impl Hooks for News {
    fn defaults(&self, _ctx: &Ctx<'_>) -> Vec<(&'static str, Json)> {
        vec![("change", json!(false))]
    }
}

pub static NEWS: Model = Model {
    hooks: &News,
    ..admin_model("news", "news", "News")
};

struct Notifications;

#[async_trait]
impl Hooks for Notifications {
    fn defaults(&self, _ctx: &Ctx<'_>) -> Vec<(&'static str, Json)> {
        vec![("read", json!(false)), ("change", json!(false))]
    }

    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[(
            "type",
            &["comment", "mention", "assignation", "reply", "reply-mention", "playlist-ready"],
        )]
    }

    /// The `type` column holds the kind of notification: Zou shows it as
    /// `notification_type`, since `type` names the model.
    fn present(&self, _ctx: &Ctx<'_>, mut row: Row) -> Row {
        if let Some(kind) = row.remove("type") {
            row.insert("notification_type".into(), kind);
        }
        row
    }
}

pub static NOTIFICATIONS: Model = Model {
    hooks: &Notifications,
    ..admin_model("notifications", "notification", "Notification")
};

pub static SUBSCRIPTIONS: Model = admin_model("subscriptions", "subscription", "Subscription");

struct Events;

/// An unpaginated event list stops at this many rows, the oldest first, as in Zou.
const EVENT_LIST_CAP: i64 = 1000;

#[async_trait]
impl Hooks for Events {
    fn list_cap(&self) -> Option<i64> {
        Some(EVENT_LIST_CAP)
    }
}

pub static EVENTS: Model = Model {
    hooks: &Events,
    ..admin_model("events", "api_event", "ApiEvent")
};
