//! The tables and column kinds of the connected database, read from the database
//! itself at start, so decoding and validation always follow the migrations.

use super::Pools;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Uuid,
    Timestamp,
    Date,
    Bool,
    Int,
    Float,
    Text,
    Json,
    Bytes,
    /// A PostgreSQL text array; SQLite stores the same values as a JSON array.
    TextArray,
    /// Arrays of secrets (recovery codes, FIDO credentials): never decoded.
    Opaque,
}

impl ColumnKind {
    /// Maps a SQLite declared type or a PostgreSQL `udt_name` to its kind.
    fn from_declared(declared: &str) -> ColumnKind {
        let declared = declared.to_ascii_lowercase();
        let base = declared.split('(').next().unwrap_or("").trim();
        match base {
            "uuid" => ColumnKind::Uuid,
            "timestamp" => ColumnKind::Timestamp,
            "date" => ColumnKind::Date,
            "boolean" | "bool" => ColumnKind::Bool,
            "integer" | "bigint" | "int2" | "int4" | "int8" => ColumnKind::Int,
            "double precision" | "float4" | "float8" => ColumnKind::Float,
            "jsonb" | "json" => ColumnKind::Json,
            "bytea" => ColumnKind::Bytes,
            "_varchar" | "_text" => ColumnKind::TextArray,
            _ if base.starts_with('_') => ColumnKind::Opaque,
            _ => ColumnKind::Text,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// Columns in their table order.
    pub columns: Vec<(String, ColumnKind)>,
}

impl Table {
    pub fn kind(&self, column: &str) -> Option<ColumnKind> {
        self.columns
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, kind)| *kind)
    }
}

#[derive(Debug, Default)]
pub struct Schema {
    tables: HashMap<String, Table>,
}

impl Schema {
    pub(super) async fn load(pools: &Pools) -> sqlx::Result<Schema> {
        let mut tables: HashMap<String, Table> = HashMap::new();
        for (table, column, declared) in pools.table_columns().await? {
            tables
                .entry(table.clone())
                .or_insert_with(|| Table {
                    name: table,
                    columns: Vec::new(),
                })
                .columns
                .push((column, ColumnKind::from_declared(&declared)));
        }
        Ok(Schema { tables })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnKind::*;
    use super::*;

    #[test]
    fn both_backends_type_names_map_to_the_same_kinds() {
        for (sqlite, postgres, kind) in [
            ("UUID", "uuid", Uuid),
            ("TIMESTAMP", "timestamp", Timestamp),
            ("DATE", "date", Date),
            ("BOOLEAN", "bool", Bool),
            ("INTEGER", "int4", Int),
            ("BIGINT", "int8", Int),
            ("DOUBLE PRECISION", "float8", Float),
            ("JSONB", "jsonb", Json),
            ("VARCHAR(80)", "varchar", Text),
            ("TEXT", "text", Text),
            ("BYTEA", "bytea", Bytes),
        ] {
            assert_eq!(ColumnKind::from_declared(sqlite), kind, "{sqlite}");
            assert_eq!(ColumnKind::from_declared(postgres), kind, "{postgres}");
        }
        assert_eq!(ColumnKind::from_declared("_varchar"), TextArray);
        assert_eq!(ColumnKind::from_declared("_bytea"), Opaque);
    }
}
