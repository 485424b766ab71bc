//! Parameters in, JSON rows out, for both backends.

use super::{ColumnKind, Table};
use chrono::{NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::Value as Json;
use sqlx::postgres::{PgArguments, PgTypeInfo};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Column, Postgres, Row as _, Sqlite, TypeInfo, ValueRef};
use uuid::Uuid;

/// A row as Zou serialises it: column name → JSON value.
pub type Row = serde_json::Map<String, Json>;

/// Zou's datetime format: UTC, no zone, no fraction.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";
pub const DATE_FORMAT: &str = "%Y-%m-%d";

/// The current time at the precision Zou shows (seconds).
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// A query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Uuid(Uuid),
    Timestamp(NaiveDateTime),
    Date(NaiveDate),
    Json(Json),
    Bytes(Vec<u8>),
    /// A text array column (native on PostgreSQL, a JSON array on SQLite).
    TextList(Vec<String>),
}

impl Value {
    /// Reads a JSON request value for a column of the given kind, as Zou's
    /// marshmallow-less models accept it: ids as UUID strings, datetimes as ISO
    /// 8601 strings, dates as `YYYY-MM-DD`. The error says what was expected.
    pub fn from_json(kind: ColumnKind, json: &Json) -> Result<Value, &'static str> {
        if json.is_null() {
            return Ok(Value::Null);
        }
        match kind {
            ColumnKind::Uuid => json
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .map(Value::Uuid)
                .ok_or("must be a UUID string"),
            ColumnKind::Timestamp => json
                .as_str()
                .and_then(parse_timestamp)
                .map(Value::Timestamp)
                .ok_or("must be an ISO 8601 datetime (YYYY-MM-DDTHH:MM:SS)"),
            ColumnKind::Date => json
                .as_str()
                .and_then(|s| parse_timestamp(s).map(|t| t.date()))
                .map(Value::Date)
                .ok_or("must be an ISO 8601 date (YYYY-MM-DD)"),
            ColumnKind::Bool => json.as_bool().map(Value::Bool).ok_or("must be a boolean"),
            ColumnKind::Int => json
                .as_i64()
                .or_else(|| json.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Value::Int)
                .ok_or("must be an integer"),
            ColumnKind::Float => json.as_f64().map(Value::Float).ok_or("must be a number"),
            ColumnKind::Text => json
                .as_str()
                .map(|s| Value::Text(s.to_string()))
                .ok_or("must be a string"),
            ColumnKind::Json => Ok(Value::Json(json.clone())),
            ColumnKind::TextArray => json
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                })
                .map(Value::TextList)
                .ok_or("must be a list of strings"),
            ColumnKind::Bytes => json
                .as_str()
                .map(|s| Value::Bytes(s.as_bytes().to_vec()))
                .ok_or("must be a string"),
            ColumnKind::Opaque => Err("cannot be set"),
        }
    }
}

/// Accepts `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` with an optional fraction and an
/// optional zone (converted to UTC), and a space instead of the `T`.
pub fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(with_zone) = chrono::DateTime::parse_from_rfc3339(text) {
        return with_zone.naive_utc().with_nanosecond(0);
    }
    let normalised = text.replacen(' ', "T", 1);
    NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, DATE_FORMAT)
                .ok()?
                .and_hms_opt(0, 0, 0)
        })
        .and_then(|t| t.with_nanosecond(0))
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_string())
    }
}
impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}
impl From<Uuid> for Value {
    fn from(value: Uuid) -> Self {
        Value::Uuid(value)
    }
}
impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}
impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(value: NaiveDateTime) -> Self {
        Value::Timestamp(value)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

fn bind_sqlite<'q>(
    query: Query<'q, Sqlite, SqliteArguments<'q>>,
    value: &Value,
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    match value.clone() {
        Value::Null => query.bind(None::<String>),
        Value::Bool(v) => query.bind(v),
        Value::Int(v) => query.bind(v),
        Value::Float(v) => query.bind(v),
        Value::Text(v) => query.bind(v),
        Value::Uuid(v) => query.bind(v.hyphenated().to_string()),
        Value::Timestamp(v) => query.bind(v.format(TIMESTAMP_FORMAT).to_string()),
        Value::Date(v) => query.bind(v.format(DATE_FORMAT).to_string()),
        Value::Json(v) => query.bind(v.to_string()),
        Value::Bytes(v) => query.bind(v),
        Value::TextList(v) => query.bind(Json::from(v).to_string()),
    }
}

/// A NULL whose type PostgreSQL infers from where it is used (parameter type 0),
/// so one `Value::Null` fits a uuid, a timestamp or a text column alike.
struct UntypedNull;

impl sqlx::Type<Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0))
    }
}

impl sqlx::Encode<'_, Postgres> for UntypedNull {
    fn encode_by_ref(
        &self,
        _buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        Ok(sqlx::encode::IsNull::Yes)
    }
}

/// The query for PostgreSQL. sqlx keeps one prepared statement per SQL text and
/// per connection, typed by the first call's parameters; a NULL lets PostgreSQL
/// infer a type (an `integer` column gives int4) that a later call binding an i64
/// would not fit ("incorrect binary data format"). A call with a NULL therefore
/// prepares its own unnamed statement instead of sharing the cached one.
fn pg_query<'q>(sql: &'q str, params: &[Value]) -> Query<'q, Postgres, PgArguments> {
    let shareable = !params.contains(&Value::Null);
    params
        .iter()
        .fold(sqlx::query(sql), bind_pg)
        .persistent(shareable)
}

fn bind_pg<'q>(
    query: Query<'q, Postgres, PgArguments>,
    value: &Value,
) -> Query<'q, Postgres, PgArguments> {
    match value.clone() {
        Value::Null => query.bind(UntypedNull),
        Value::Bool(v) => query.bind(v),
        Value::Int(v) => query.bind(v),
        Value::Float(v) => query.bind(v),
        Value::Text(v) => query.bind(v),
        Value::Uuid(v) => query.bind(v),
        Value::Timestamp(v) => query.bind(v),
        Value::Date(v) => query.bind(v),
        Value::Json(v) => query.bind(sqlx::types::Json(v)),
        Value::Bytes(v) => query.bind(v),
        Value::TextList(v) => query.bind(v),
    }
}

pub(super) async fn sqlite_fetch<'e, E>(
    executor: E,
    sql: &str,
    params: &[Value],
    table: Option<&Table>,
) -> sqlx::Result<Vec<Row>>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let query = params.iter().fold(sqlx::query(sql), bind_sqlite);
    let rows = query.fetch_all(executor).await?;
    rows.iter().map(|row| decode_sqlite(row, table)).collect()
}

pub(super) async fn sqlite_execute<'e, E>(
    executor: E,
    sql: &str,
    params: &[Value],
) -> sqlx::Result<u64>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let query = params.iter().fold(sqlx::query(sql), bind_sqlite);
    Ok(query.execute(executor).await?.rows_affected())
}

pub(super) async fn pg_fetch<'e, E>(
    executor: E,
    sql: &str,
    params: &[Value],
) -> sqlx::Result<Vec<Row>>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let rows = pg_query(sql, params).fetch_all(executor).await?;
    rows.iter().map(decode_pg).collect()
}

pub(super) async fn pg_execute<'e, E>(executor: E, sql: &str, params: &[Value]) -> sqlx::Result<u64>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    Ok(pg_query(sql, params)
        .execute(executor)
        .await?
        .rows_affected())
}

/// SQLite keeps every value as integer, real, text or blob: the column's kind in
/// the schema says what the value means (a boolean, a JSON document...).
fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, table: Option<&Table>) -> sqlx::Result<Row> {
    let mut out = Row::new();
    for (index, column) in row.columns().iter().enumerate() {
        let name = column.name();
        let kind = table.and_then(|t| t.kind(name));
        let raw = row.try_get_raw(index)?;
        let storage = if raw.is_null() {
            "NULL".to_string()
        } else {
            raw.type_info().name().to_string()
        };
        let value = match (storage.as_str(), kind) {
            ("NULL", _) => Json::Null,
            ("INTEGER", Some(ColumnKind::Bool)) | ("BOOLEAN", _) => {
                Json::Bool(row.try_get_unchecked::<i64, _>(index)? != 0)
            }
            ("INTEGER", Some(ColumnKind::Float)) => {
                Json::from(row.try_get_unchecked::<i64, _>(index)? as f64)
            }
            ("INTEGER", _) => Json::from(row.try_get_unchecked::<i64, _>(index)?),
            ("REAL", _) => Json::from(row.try_get_unchecked::<f64, _>(index)?),
            ("TEXT", Some(ColumnKind::Json | ColumnKind::TextArray)) => {
                let text: String = row.try_get_unchecked(index)?;
                serde_json::from_str(&text).unwrap_or(Json::String(text))
            }
            ("BLOB", _) => {
                let bytes: Vec<u8> = row.try_get_unchecked(index)?;
                Json::String(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => Json::String(row.try_get_unchecked::<String, _>(index)?),
        };
        out.insert(name.to_string(), value);
    }
    Ok(out)
}

fn decode_pg(row: &sqlx::postgres::PgRow) -> sqlx::Result<Row> {
    let mut out = Row::new();
    for (index, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(index)?;
        let value = if raw.is_null() {
            Json::Null
        } else {
            match column.type_info().name() {
                "UUID" => Json::String(row.try_get::<Uuid, _>(index)?.hyphenated().to_string()),
                "TIMESTAMP" => Json::String(
                    row.try_get::<NaiveDateTime, _>(index)?
                        .format(TIMESTAMP_FORMAT)
                        .to_string(),
                ),
                "DATE" => Json::String(
                    row.try_get::<NaiveDate, _>(index)?
                        .format(DATE_FORMAT)
                        .to_string(),
                ),
                "BOOL" => Json::Bool(row.try_get(index)?),
                "INT2" => Json::from(row.try_get::<i16, _>(index)?),
                "INT4" => Json::from(row.try_get::<i32, _>(index)?),
                "INT8" => Json::from(row.try_get::<i64, _>(index)?),
                "FLOAT4" => Json::from(row.try_get::<f32, _>(index)?),
                "FLOAT8" => Json::from(row.try_get::<f64, _>(index)?),
                "JSON" | "JSONB" => row.try_get::<Json, _>(index)?,
                "BYTEA" => Json::String(
                    String::from_utf8_lossy(&row.try_get::<Vec<u8>, _>(index)?).into_owned(),
                ),
                "VARCHAR[]" | "TEXT[]" => Json::from(row.try_get::<Vec<String>, _>(index)?),
                "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Json::String(row.try_get(index)?),
                _ => Json::Null,
            }
        };
        out.insert(column.name().to_string(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_datetime_forms_clients_send() {
        let expected = NaiveDate::from_ymd_opt(2026, 3, 4)
            .unwrap()
            .and_hms_opt(5, 6, 7)
            .unwrap();
        for text in [
            "2026-03-04T05:06:07",
            "2026-03-04 05:06:07",
            "2026-03-04T05:06:07.123456",
            "2026-03-04T06:06:07+01:00",
            "2026-03-04T05:06:07Z",
        ] {
            assert_eq!(parse_timestamp(text), Some(expected), "{text}");
        }
        assert_eq!(
            parse_timestamp("2026-03-04"),
            NaiveDate::from_ymd_opt(2026, 3, 4)
                .unwrap()
                .and_hms_opt(0, 0, 0)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn json_values_are_checked_against_the_column_kind() {
        let id = Uuid::now_v7();
        assert_eq!(
            Value::from_json(ColumnKind::Uuid, &Json::from(id.to_string())),
            Ok(Value::Uuid(id))
        );
        assert_eq!(
            Value::from_json(ColumnKind::Uuid, &Json::from("nope")),
            Err("must be a UUID string")
        );
        assert_eq!(
            Value::from_json(ColumnKind::Int, &Json::from(3.0)),
            Ok(Value::Int(3))
        );
        assert_eq!(
            Value::from_json(ColumnKind::Text, &Json::from(3)),
            Err("must be a string")
        );
        assert_eq!(
            Value::from_json(ColumnKind::Bool, &Json::Null),
            Ok(Value::Null)
        );
    }
}
