//! Zou's list filters, read from the query string and checked against the
//! model's columns: values are always bound parameters, never SQL text.

use super::{Condition, Ctx, Model};
use crate::db::{parse_timestamp, Backend, ColumnKind, Table, Value};
use crate::error::{ApiError, ApiResult};
use serde_json::Value as Json;
use uuid::Uuid;

/// What a list request asks for besides filters.
#[derive(Debug, Default)]
pub struct ListOptions {
    /// `?page=N`: None without it (a bare array answer).
    pub page: Option<i64>,
    pub limit: i64,
    pub relations: bool,
    pub fields: Option<Vec<String>>,
}

/// Zou's `NB_RECORDS_PER_PAGE`.
const DEFAULT_LIMIT: i64 = 100;

fn integer(pairs: &[(String, String)], name: &str) -> ApiResult<Option<i64>> {
    match first(pairs, name) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("{name} must be an integer."))),
    }
}

pub fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

impl ListOptions {
    pub fn read(pairs: &[(String, String)], relations_default: bool) -> ApiResult<ListOptions> {
        let page = integer(pairs, "page")?.filter(|page| *page != -1);
        let limit = match integer(pairs, "limit")?.unwrap_or(0) {
            0 => DEFAULT_LIMIT,
            limit if limit < 0 => {
                return Err(ApiError::bad_request("limit must be a positive integer."))
            }
            limit => limit,
        };
        let relations = first(pairs, "relations")
            .map(|value| value.eq_ignore_ascii_case("true"))
            .unwrap_or(relations_default);
        let fields = first(pairs, "fields")
            .filter(|fields| !fields.is_empty())
            .map(|fields| fields.split(',').map(|f| f.trim().to_string()).collect());
        Ok(ListOptions {
            page,
            limit,
            relations,
            fields,
        })
    }
}

/// A query-string value read as a value of the column's kind.
pub fn value_from_text(kind: ColumnKind, text: &str) -> Result<Value, String> {
    let invalid = || "One of the provided values has an invalid format.".to_string();
    match kind {
        ColumnKind::Bool => match text.to_ascii_lowercase().as_str() {
            "y" | "yes" | "t" | "true" | "on" | "1" => Ok(Value::Bool(true)),
            "n" | "no" | "f" | "false" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("Invalid boolean value: {text}")),
        },
        ColumnKind::Uuid => Uuid::parse_str(text)
            .map(Value::Uuid)
            .map_err(|_| format!("Invalid UUID value: {text}")),
        ColumnKind::Int => text.trim().parse().map(Value::Int).map_err(|_| invalid()),
        ColumnKind::Float => text.trim().parse().map(Value::Float).map_err(|_| invalid()),
        ColumnKind::Timestamp => parse_timestamp(text)
            .map(Value::Timestamp)
            .ok_or_else(invalid),
        ColumnKind::Date => parse_timestamp(text)
            .map(|t| Value::Date(t.date()))
            .ok_or_else(invalid),
        ColumnKind::Json => Ok(Value::Json(
            serde_json::from_str(text).unwrap_or(Json::String(text.to_string())),
        )),
        ColumnKind::Text => Ok(Value::Text(text.to_string())),
        ColumnKind::Bytes | ColumnKind::TextArray | ColumnKind::Opaque => Err(invalid()),
    }
}

/// The conditions a list request's filters make. Keys that are neither a
/// column nor a relation are ignored, as Zou ignores them; a column the caller
/// may not filter on is refused.
pub fn conditions(
    ctx: &Ctx<'_>,
    model: &Model,
    table: &Table,
    pairs: &[(String, String)],
) -> ApiResult<Vec<Condition>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (key, text) in pairs {
        if ["page", "relations", "fields", "limit"].contains(&key.as_str()) || !seen.insert(key) {
            continue;
        }
        if let Some(relation) = model.relations.iter().find(|r| r.key == key) {
            let id = value_from_text(ColumnKind::Uuid, text).map_err(ApiError::BadRequest)?;
            out.push(Condition::new(
                format!(
                    "id IN (SELECT {own} FROM {table} WHERE {other} = ?)",
                    own = relation.own,
                    table = relation.table,
                    other = relation.other
                ),
                vec![id],
            ));
            continue;
        }
        let Some(kind) = table.kind(key) else {
            continue;
        };
        if !model.hooks.may_filter_on(ctx, key)
            || matches!(kind, ColumnKind::Opaque | ColumnKind::Bytes)
        {
            return Err(ApiError::bad_request(format!(
                "Filtering on {key} is not allowed."
            )));
        }
        let bad = |message: String| ApiError::bad_request(message);
        if key == "name" {
            let operator = match ctx.state.db.backend() {
                Backend::Postgres => "ILIKE",
                Backend::Sqlite => "LIKE",
            };
            out.push(Condition::new(
                format!("name {operator} ?"),
                vec![text.as_str().into()],
            ));
        } else if text.starts_with('[') {
            let items: Vec<Json> = serde_json::from_str(text)
                .map_err(|_| bad(format!("Malformed list filter for field {key}.")))?;
            let values = items
                .iter()
                .map(|item| {
                    let text = match item {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    value_from_text(kind, &text).map_err(bad)
                })
                .collect::<ApiResult<Vec<_>>>()?;
            if values.is_empty() {
                out.push(Condition::new("1 = 0", vec![]));
            } else {
                let marks = vec!["?"; values.len()].join(", ");
                out.push(Condition::new(format!("{key} IN ({marks})"), values));
            }
        } else {
            let value = value_from_text(kind, text).map_err(bad)?;
            out.push(Condition::new(format!("{key} = ?"), vec![value]));
        }
    }
    Ok(out)
}
