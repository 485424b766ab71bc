//! Storage: SQLite (the embedded default) or PostgreSQL, chosen once from the URL.
//!
//! Queries are written once with `$n` placeholders (both backends accept them) and
//! take [`Value`] parameters. Every id is a UUID and every time a second-precision
//! UTC timestamp; each backend stores them its own way (native types on
//! PostgreSQL, text on SQLite) and rows come back as JSON objects keyed by Zou's
//! column names, decoded with the [`Schema`] read from the database itself.

mod schema;
pub mod seed;
mod value;
mod writer;

pub use schema::{ColumnKind, Schema, Table};
pub use value::{now, parse_timestamp, Row, Value, TIMESTAMP_FORMAT};

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Postgres;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
enum Pools {
    /// SQLite allows one writer at a time: writes and transactions go through
    /// one connection, the [`writer::Writer`], so they queue in Tusk instead of
    /// failing with SQLITE_BUSY and share their commits; reads use their own
    /// pool and run concurrently (WAL).
    Sqlite {
        read: SqlitePool,
        writer: writer::Writer,
    },
    Postgres(PgPool),
}

/// Prepared statements kept per connection: Tusk runs a few hundred distinct
/// ones, and parsing them again (sqlx keeps 100) cost a comment an eighth of
/// its time.
const STATEMENT_CACHE: usize = 1024;

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    schema: Arc<Schema>,
    /// Counts committed writes: a read answered at one count stays right
    /// until the next (see [`Db::writes`]).
    writes: Arc<AtomicU64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://...`), creating a SQLite
    /// file if needed, and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let writes = Arc::<AtomicU64>::default();
        let pools = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .context("invalid DATABASE_URL")?
                .statement_cache_capacity(STATEMENT_CACHE);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .context("cannot connect to PostgreSQL")?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .context("migrations failed")?;
            Pools::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url)
                .context("invalid DATABASE_URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a write the API acknowledged survives a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // A bigger page cache per connection (16 MB): large lists read
                // many pages. No memory map: every commit that grows the file
                // makes each connection unmap and map it again, which cost a
                // fifth of a comment's time under load.
                .pragma("cache_size", "-16384")
                .statement_cache_capacity(STATEMENT_CACHE);
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await
                .context("cannot open the SQLite database")?;
            SQLITE_MIGRATIONS
                .run(&write)
                .await
                .context("migrations failed")?;
            let writer = writer::Writer::new(write.acquire().await?.detach(), writes.clone());
            write.close().await;
            // No ping before each use (sqlx's default): a connection to a
            // local file does not go stale, and the ping is one more round
            // trip to SQLite's thread.
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect_with(options.read_only(true))
                .await?;
            Pools::Sqlite { read, writer }
        };
        let schema = Arc::new(Schema::load(&pools).await?);
        Ok(Db {
            pools,
            schema,
            writes,
        })
    }

    /// How many writes this process has committed. Every write goes through
    /// [`Db::execute`] or a [`Tx`], which count it once committed (before the
    /// writer answers), so an answer computed from the database alone at one
    /// count may be given again while the count is the same. Writes by other
    /// processes on the same database are not counted.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The versions of the migrations this binary carries, in order, for the
    /// given backend: both folders must list the same ones.
    pub fn migration_versions(backend: Backend) -> Vec<(i64, String)> {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    pub async fn ping(&self) -> bool {
        self.fetch_optional("SELECT 1 AS up", &[], None)
            .await
            .map(|row| row.is_some())
            .unwrap_or(false)
    }

    /// Runs a query and decodes its rows; `table` names the table whose schema
    /// tells how to decode the columns (JSON and boolean columns need it on SQLite).
    pub async fn fetch_all(
        &self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>> {
        let table = table.and_then(|name| self.schema.table(name));
        match &self.pools {
            Pools::Sqlite { read, .. } => value::sqlite_fetch(read, sql, params, table).await,
            Pools::Postgres(pool) => value::pg_fetch(pool, sql, params).await,
        }
    }

    pub async fn fetch_optional(
        &self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Option<Row>> {
        Ok(self.fetch_all(sql, params, table).await?.into_iter().next())
    }

    /// Runs one write on its own; returns the number of rows touched. On
    /// SQLite it goes through the writer in a transaction (so it shares a
    /// group's commit); PostgreSQL commits it by itself.
    pub async fn execute(&self, sql: &str, params: &[Value]) -> sqlx::Result<u64> {
        match &self.pools {
            Pools::Sqlite { .. } => {
                let mut tx = self.begin().await?;
                let changed = tx.execute(sql, params).await?;
                tx.commit().await?;
                Ok(changed)
            }
            Pools::Postgres(pool) => {
                let changed = value::pg_execute(pool, sql, params).await;
                self.writes.fetch_add(1, Ordering::AcqRel);
                changed
            }
        }
    }

    /// Inserts one row and returns it as stored (defaults filled in).
    pub async fn insert(&self, table: &str, values: &[(&str, Value)]) -> sqlx::Result<Row> {
        let mut tx = self.begin().await?;
        let row = tx.insert(table, values).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn begin(&self) -> sqlx::Result<Tx> {
        let connection = match &self.pools {
            Pools::Sqlite { writer, .. } => {
                TxConnection::Sqlite(writer.begin().await?, self.schema.clone())
            }
            Pools::Postgres(pool) => TxConnection::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            connection,
            writes: self.writes.clone(),
            deferred: Vec::new(),
        })
    }
}

/// A transaction: nothing it wrote is visible to others before `commit`, and
/// everything is undone if it is dropped without one.
pub struct Tx {
    connection: TxConnection,
    writes: Arc<AtomicU64>,
    /// Rows written together at commit (see [`Tx::insert_at_commit`]).
    deferred: Vec<(&'static str, Vec<(&'static str, Value)>)>,
}

/// `INSERT INTO table (columns) VALUES (...), (...)` for rows that name the
/// same columns in the same order (the first row's). Its values are added to
/// `params` and numbered after those already there, so several statements
/// can share one parameter list.
fn insert_statement(table: &str, rows: &[&[(&str, Value)]], params: &mut Vec<Value>) -> String {
    let columns: Vec<&str> = rows[0].iter().map(|(column, _)| *column).collect();
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            let marks: Vec<String> = row
                .iter()
                .map(|(_, value)| {
                    params.push(value.clone());
                    format!("${}", params.len())
                })
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        tuples.join(", ")
    )
}

/// `$from, $from+1, ...`: placeholders for `count` values numbered from
/// `from`, for an `IN (...)` list.
fn marks(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Values in one `IN (...)` list: well under either backend's limit on
/// parameters (SQLite numbers at most 32,766), so lists are sent in chunks of it.
const IDS_PER_QUERY: usize = 500;

/// `sql` and its parameters once per chunk of `ids`: `{ids}` in `sql` stands
/// for the chunk's placeholders, numbered after `params`.
fn in_chunks<'a>(
    sql: &'a str,
    params: &'a [Value],
    ids: &'a [Value],
) -> impl Iterator<Item = (String, Vec<Value>)> + 'a {
    ids.chunks(IDS_PER_QUERY).map(move |chunk| {
        let sql = sql.replace("{ids}", &marks(params.len() + 1, chunk.len()));
        (sql, [params, chunk].concat())
    })
}

/// Rows in one deferred INSERT: few enough parameters for either backend.
const DEFERRED_ROWS_PER_STATEMENT: usize = 100;

/// Parameters in one batch of deferred statements sent to SQLite at once
/// (it numbers at most 32,766).
const SQLITE_BATCH_PARAMETERS: usize = 30_000;

enum TxConnection {
    Sqlite(writer::WriterTx, Arc<Schema>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>> {
        match &mut self.connection {
            TxConnection::Sqlite(tx, schema) => {
                let table = table.and_then(|name| schema.table(name));
                value::sqlite_fetch(tx.connection(), sql, params, table).await
            }
            TxConnection::Postgres(tx) => value::pg_fetch(&mut **tx, sql, params).await,
        }
    }

    pub async fn fetch_optional(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Option<Row>> {
        Ok(self.fetch_all(sql, params, table).await?.into_iter().next())
    }

    /// Inserts one row and returns it as stored (defaults filled in).
    pub async fn insert(&mut self, table: &str, values: &[(&str, Value)]) -> sqlx::Result<Row> {
        let mut params = Vec::new();
        let sql = insert_statement(table, &[values], &mut params);
        let row = self
            .fetch_optional(&format!("{sql} RETURNING *"), &params, Some(table))
            .await?;
        row.ok_or(sqlx::Error::RowNotFound)
    }

    /// Sets `values` on the row of `table` with this `id`; returns the row as
    /// stored, or None when there is no such row.
    pub async fn update<C: AsRef<str>>(
        &mut self,
        table: &str,
        id: Value,
        values: impl IntoIterator<Item = (C, Value)>,
    ) -> sqlx::Result<Option<Row>> {
        let mut params = Vec::new();
        let assignments: Vec<String> = values
            .into_iter()
            .map(|(column, value)| {
                params.push(value);
                format!("{} = ${}", column.as_ref(), params.len())
            })
            .collect();
        params.push(id);
        let sql = format!(
            "UPDATE {table} SET {} WHERE id = ${} RETURNING *",
            assignments.join(", "),
            params.len()
        );
        self.fetch_optional(&sql, &params, Some(table)).await
    }

    pub async fn execute(&mut self, sql: &str, params: &[Value]) -> sqlx::Result<u64> {
        match &mut self.connection {
            TxConnection::Sqlite(tx, _) => {
                value::sqlite_execute(tx.connection(), sql, params).await
            }
            TxConnection::Postgres(tx) => value::pg_execute(&mut **tx, sql, params).await,
        }
    }

    /// Runs `sql` for all of `ids`, [`IDS_PER_QUERY`] at a time (see
    /// [`Read::fetch_in`]); returns the number of rows touched.
    pub async fn execute_in(
        &mut self,
        sql: &str,
        params: &[Value],
        ids: &[Value],
    ) -> sqlx::Result<u64> {
        let mut changed = 0;
        for (sql, params) in in_chunks(sql, params, ids) {
            changed += self.execute(&sql, &params).await?;
        }
        Ok(changed)
    }

    /// Adds a row nothing reads before the commit (an event): such rows are
    /// written when the transaction commits, one statement per table for all
    /// of them, instead of a round trip each while the transaction holds
    /// SQLite's single writer.
    pub fn insert_at_commit(&mut self, table: &'static str, row: Vec<(&'static str, Value)>) {
        self.deferred.push((table, row));
    }

    /// Writes the deferred rows in multi-row INSERTs. SQLite takes several
    /// statements in one call (each reads its `$n` from the shared list), so
    /// they all go in one round trip to its thread, while the transaction
    /// holds the single writer; PostgreSQL runs them one by one.
    async fn write_deferred(&mut self) -> sqlx::Result<()> {
        let deferred = std::mem::take(&mut self.deferred);
        let same_statement = |a: &(&str, Vec<(&str, Value)>), b: &(&str, Vec<(&str, Value)>)| {
            a.0 == b.0 && a.1.iter().map(|c| c.0).eq(b.1.iter().map(|c| c.0))
        };
        let batched = matches!(self.connection, TxConnection::Sqlite(..));
        let (mut batch, mut params) = (Vec::new(), Vec::new());
        for group in deferred.chunk_by(same_statement) {
            for rows in group.chunks(DEFERRED_ROWS_PER_STATEMENT) {
                let values: Vec<&[(&str, Value)]> = rows.iter().map(|(_, row)| &row[..]).collect();
                batch.push(insert_statement(rows[0].0, &values, &mut params));
                if !batched || params.len() > SQLITE_BATCH_PARAMETERS {
                    self.execute(&batch.join(";\n"), &params).await?;
                    (batch, params) = (Vec::new(), Vec::new());
                }
            }
        }
        if !batch.is_empty() {
            self.execute(&batch.join(";\n"), &params).await?;
        }
        Ok(())
    }

    pub async fn commit(mut self) -> sqlx::Result<()> {
        self.write_deferred().await?;
        match self.connection {
            // The writer counts its group's commit.
            TxConnection::Sqlite(tx, _) => tx.commit().await,
            TxConnection::Postgres(tx) => {
                let committed = tx.commit().await;
                // Counted even when the commit failed: it may have gone through.
                self.writes.fetch_add(1, Ordering::AcqRel);
                committed
            }
        }
    }
}

/// Where reads can go: the database, or a transaction (which sees its own
/// writes). Work that can read before it takes a transaction reads from
/// [`Db`], so the reads do not lengthen the time it holds SQLite's writer;
/// on PostgreSQL it must not read from the pool while it holds a connection
/// of it, or concurrent requests could wait on each other for connections.
#[async_trait::async_trait]
pub trait Read: Send {
    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>>;

    async fn fetch_optional(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Option<Row>> {
        Ok(self.fetch_all(sql, params, table).await?.into_iter().next())
    }

    /// The rows of `sql` for all of `ids`, asked [`IDS_PER_QUERY`] at a time:
    /// `{ids}` in `sql` stands for a chunk's placeholders, numbered after `params`.
    async fn fetch_in(
        &mut self,
        sql: &str,
        params: &[Value],
        ids: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>> {
        let mut rows = Vec::new();
        for (sql, params) in in_chunks(sql, params, ids) {
            rows.extend(self.fetch_all(&sql, &params, table).await?);
        }
        Ok(rows)
    }
}

#[async_trait::async_trait]
impl Read for Db {
    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>> {
        Db::fetch_all(self, sql, params, table).await
    }
}

#[async_trait::async_trait]
impl Read for Tx {
    async fn fetch_all(
        &mut self,
        sql: &str,
        params: &[Value],
        table: Option<&str>,
    ) -> sqlx::Result<Vec<Row>> {
        Tx::fetch_all(self, sql, params, table).await
    }
}

/// Reads the pools' own schema, for [`Schema::load`].
impl Pools {
    async fn table_columns(&self) -> sqlx::Result<Vec<(String, String, String)>> {
        use sqlx::Row as _;
        match self {
            Pools::Sqlite { read, .. } => {
                let rows = sqlx::query(
                    "SELECT m.name AS table_name, p.name AS column_name, p.type AS column_type \
                     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' ORDER BY m.name, p.cid",
                )
                .fetch_all(read)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }
            Pools::Postgres(pool) => {
                let rows = sqlx::query(
                    "SELECT table_name::text, column_name::text, udt_name::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }
        }
    }
}

/// Each row with its `id` as text, to look rows up by id.
pub(crate) fn keyed(rows: Vec<Row>) -> impl Iterator<Item = (String, Row)> {
    rows.into_iter()
        .map(|row| (row["id"].as_str().unwrap_or_default().to_string(), row))
}

/// `{row[key]: [row[value], ...]}`, values in the rows' order (a task's
/// assignees, a concept's links...).
pub(crate) fn grouped(
    rows: &[crate::db::Row],
    key: &str,
    value: &str,
) -> HashMap<String, Vec<serde_json::Value>> {
    let mut groups: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for row in rows {
        let group = row
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        groups
            .entry(group)
            .or_default()
            .push(row.get(value).cloned().unwrap_or(serde_json::Value::Null));
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::{writer::tests::scratch_db, Read, Value, IDS_PER_QUERY};

    #[tokio::test]
    async fn lists_longer_than_one_query_takes_are_sent_in_chunks() {
        let mut db = scratch_db().await;
        let count = 2 * IDS_PER_QUERY + 1;
        let all: Vec<Value> = (0..count as i64).map(Value::Int).collect();
        let odd: Vec<Value> = (0..count as i64)
            .filter(|n| n % 2 == 1)
            .map(Value::Int)
            .collect();
        let mut tx = db.begin().await.unwrap();
        for n in 0..count as i64 {
            tx.insert_at_commit("scratch", vec![("n", Value::Int(n))]);
        }
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let deleted = tx
            .execute_in("DELETE FROM scratch WHERE n IN ({ids})", &[], &odd)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(deleted as usize, odd.len());

        let rows = db
            .fetch_in(
                "SELECT n FROM scratch WHERE n > $1 AND n IN ({ids}) ORDER BY n",
                &[Value::Int(0)],
                &all,
                None,
            )
            .await
            .unwrap();
        let kept: Vec<i64> = rows.iter().map(|row| row["n"].as_i64().unwrap()).collect();
        let even: Vec<i64> = (2..count as i64).step_by(2).collect();
        assert_eq!(
            kept, even,
            "the ids of every chunk, numbered after the others"
        );
    }
}
