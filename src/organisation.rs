//! The studio's organisation record, which Zou creates on first read.

use crate::db::{now, Db, Value};
use crate::error::ApiResult;
use serde_json::{json, Value as Json};
use uuid::Uuid;

/// Chat credentials: only admins see them.
const ADMIN_ONLY_COLUMNS: [&str; 3] = [
    "chat_token_slack",
    "chat_webhook_mattermost",
    "chat_token_discord",
];

/// The organisation, created with Zou's defaults if there is none yet.
pub async fn current(db: &Db, for_admin: bool) -> ApiResult<Json> {
    let select = "SELECT * FROM organisation ORDER BY created_at LIMIT 1";
    let mut row = match db.fetch_optional(select, &[], Some("organisation")).await? {
        Some(row) => row,
        None => {
            let stamp = now();
            db.insert(
                "organisation",
                &[
                    ("id", Uuid::now_v7().into()),
                    ("name", "Kitsu".into()),
                    ("hours_by_day", Value::Float(8.0)),
                    ("has_avatar", false.into()),
                    ("use_original_file_name", false.into()),
                    ("timesheets_locked", false.into()),
                    ("format_duration_in_hours", false.into()),
                    ("hd_by_default", false.into()),
                    ("chat_token_slack", "".into()),
                    ("chat_webhook_mattermost", "".into()),
                    ("chat_token_discord", "".into()),
                    ("dark_theme_by_default", false.into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?
        }
    };
    if !for_admin {
        for column in ADMIN_ONLY_COLUMNS {
            row.remove(column);
        }
    }
    row.insert("type".into(), json!("Organisation"));
    Ok(Json::Object(row))
}
