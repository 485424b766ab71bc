//! Chats, news, notifications, subscriptions and the event log: admin-only
//! through CRUD (people reach their own through `/data/user/*`).

use crate::crud::{Ctx, Fixed, Hooks, Model, Relation, View};
use crate::db::Row;
use async_trait::async_trait;

pub static CHAT_MESSAGES: Model = Model {
    relations: &[Relation {
        key: "attachment_files",
        table: "attachment_file",
        own: "chat_message_id",
        other: "id",
        writable: false,
    }],
    ..Model::new("chat-messages", "chat_message", "ChatMessage")
};

pub static CHATS: Model = Model {
    relations: &[Relation {
        key: "participants",
        table: "chat_participant",
        own: "chat_id",
        other: "person_id",
        writable: true,
    }],
    defaults: &[("object_type", Fixed::Text("entity"))],
    ..Model::new("chats", "chat", "Chat")
};

pub static NEWS: Model = Model {
    defaults: &[("change", Fixed::Bool(false))],
    ..Model::new("news", "news", "News")
};

struct Notifications;

#[async_trait]
impl Hooks for Notifications {
    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[(
            "type",
            &[
                "comment",
                "mention",
                "assignation",
                "reply",
                "reply-mention",
                "playlist-ready",
            ],
        )]
    }

    /// The `type` column holds the kind of notification: Zou shows it as
    /// `notification_type`, since `type` names the model.
    fn present(&self, _ctx: &Ctx<'_>, mut row: Row, _view: View) -> Row {
        if let Some(kind) = row.remove("type") {
            row.insert("notification_type".into(), kind);
        }
        row
    }
}

pub static NOTIFICATIONS: Model = Model {
    hooks: &Notifications,
    defaults: &[("read", Fixed::Bool(false)), ("change", Fixed::Bool(false))],
    ..Model::new("notifications", "notification", "Notification")
};

pub static SUBSCRIPTIONS: Model = Model::new("subscriptions", "subscription", "Subscription");

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
    ..Model::new("events", "api_event", "ApiEvent")
};
