//! SQLite's single writer, with group commit.
//!
//! SQLite lets one connection write at a time, and a durable commit waits for
//! the disk: an fsync of the write-ahead log took 2 to 3 ms on the machine of
//! docs/benchmarks.md, which capped a studio at ~450 comments a second
//! whatever else was made faster. So the transactions of this process share
//! one connection, each inside a savepoint of a transaction kept open for a
//! group of them. The group commits when no transaction waits for the writer
//! or once it has been open for [`GROUP_WINDOW`], in one fsync, and each of its
//! transactions reports its commit only when the group's is on disk: nothing
//! is acknowledged before it is durable. A transaction dropped before its
//! commit is rolled back to its savepoint before the writer serves another.

use sqlx::sqlite::SqliteConnection;
use sqlx::Executor;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

/// How long a group stays open while transactions keep coming: the most a
/// commit waits for others to share its fsync.
const GROUP_WINDOW: Duration = Duration::from_millis(5);

/// The outcome of a group's commit, as its transactions learn it.
type Outcome = Option<Result<(), String>>;

/// The writer, shared by the transactions of this process (cheap to clone).
#[derive(Clone)]
pub(super) struct Writer {
    state: Arc<Mutex<WriterState>>,
    /// Transactions waiting to take the writer: while there are some, a
    /// finished transaction leaves the group open for them.
    waiting: Arc<AtomicUsize>,
    /// The database's count of committed writes (see `Db::writes`).
    writes: Arc<AtomicU64>,
}

struct WriterState {
    connection: SqliteConnection,
    group: Option<Group>,
    /// A transaction was dropped inside its savepoint, still to be undone.
    abandoned: bool,
    groups: u64,
}

/// The open transaction in which finished transactions await their commit.
struct Group {
    number: u64,
    opened: Instant,
    /// Transactions that released their savepoint into the group.
    members: usize,
    outcome: watch::Sender<Outcome>,
}

/// One transaction, holding the writer until it commits or is dropped.
pub(super) struct WriterTx {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Writer,
}

/// Counts a transaction among those waiting for the writer, until dropped
/// (a request given up while it waits no longer counts).
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn enter(count: &Arc<AtomicUsize>) -> Waiting {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn failed(message: String) -> sqlx::Error {
    sqlx::Error::Protocol(message)
}

impl Writer {
    pub(super) fn new(connection: SqliteConnection, writes: Arc<AtomicU64>) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(WriterState {
                connection,
                group: None,
                abandoned: false,
                groups: 0,
            })),
            waiting: Arc::default(),
            writes,
        }
    }

    pub(super) async fn begin(&self) -> sqlx::Result<WriterTx> {
        let waiting = Waiting::enter(&self.waiting);
        let mut guard = self.state.clone().lock_owned().await;
        drop(waiting);
        guard.settle().await;
        if guard.group.is_none() {
            guard.open_group().await?;
        }
        guard.connection.execute("SAVEPOINT tusk_tx").await?;
        Ok(WriterTx {
            guard: Some(guard),
            writer: self.clone(),
        })
    }

    /// Ends a transaction that released its savepoint: commits the group now
    /// if no other transaction waits, else leaves it to the group's last.
    async fn finish(&self, mut guard: OwnedMutexGuard<WriterState>) -> sqlx::Result<()> {
        let Some(group) = guard.group.as_ref() else {
            return Err(failed("the transaction's group was lost".into()));
        };
        let (number, mut outcome) = (group.number, group.outcome.subscribe());
        if self.waiting.load(Ordering::Acquire) == 0 || group.opened.elapsed() >= GROUP_WINDOW {
            return guard.close_group(&self.writes).await;
        }
        drop(guard);
        loop {
            let waited = tokio::time::timeout(GROUP_WINDOW, outcome.wait_for(Option::is_some));
            if let Ok(result) = waited.await {
                return match result.as_deref() {
                    Ok(Some(Ok(()))) => Ok(()),
                    Ok(Some(Err(message))) => Err(failed(message.clone())),
                    _ => Err(failed("the group's commit was lost".into())),
                };
            }
            // The transactions that were waiting went away without closing
            // the group: close it, unless that happened meanwhile.
            let mut guard = self.state.clone().lock_owned().await;
            if guard.group.as_ref().is_some_and(|g| g.number == number) {
                guard.settle().await;
                return guard.close_group(&self.writes).await;
            }
        }
    }
}

impl WriterState {
    async fn open_group(&mut self) -> sqlx::Result<()> {
        // IMMEDIATE: take SQLite's write lock now, so a write later in the
        // group cannot fail on another process's lock.
        self.connection.execute("BEGIN IMMEDIATE").await?;
        self.groups += 1;
        self.group = Some(Group {
            number: self.groups,
            opened: Instant::now(),
            members: 0,
            outcome: watch::channel(None).0,
        });
        Ok(())
    }

    async fn close_group(&mut self, writes: &AtomicU64) -> sqlx::Result<()> {
        // A group left by dropped transactions alone wrote nothing: it is
        // not a write (kept answers stay good).
        if self.group.as_ref().is_some_and(|group| group.members == 0) {
            let rolled_back = self.connection.execute("ROLLBACK").await.map(|_| ());
            self.end_group(Ok(()));
            return rolled_back;
        }
        let committed = self.connection.execute("COMMIT").await.map(|_| ());
        if committed.is_err() {
            let _ = self.connection.execute("ROLLBACK").await;
        }
        // Counted before anyone answers, even when the commit failed: it may
        // have gone through.
        writes.fetch_add(1, Ordering::AcqRel);
        self.end_group(committed.as_ref().map_err(ToString::to_string).copied());
        committed
    }

    fn end_group(&mut self, outcome: Result<(), String>) {
        if let Some(group) = self.group.take() {
            group.outcome.send_replace(Some(outcome));
        }
    }

    /// Undoes what a dropped transaction left in its savepoint. When that
    /// fails, SQLite has given up the whole transaction: so does its group.
    async fn settle(&mut self) {
        if !std::mem::take(&mut self.abandoned) {
            return;
        }
        let undone = self
            .connection
            .execute("ROLLBACK TO tusk_tx; RELEASE tusk_tx")
            .await;
        if let Err(error) = undone {
            let _ = self.connection.execute("ROLLBACK").await;
            self.end_group(Err(format!(
                "the transaction was rolled back by SQLite: {error}"
            )));
        }
    }
}

impl WriterTx {
    pub(super) fn connection(&mut self) -> &mut SqliteConnection {
        let guard = self.guard.as_mut().expect("a transaction holds the writer");
        &mut guard.connection
    }

    /// Commits, returning once the transaction is on disk. Runs as a task of
    /// its own so that a caller that goes away cannot leave it half done.
    pub(super) async fn commit(mut self) -> sqlx::Result<()> {
        let mut guard = self.guard.take().expect("a transaction holds the writer");
        let writer = self.writer.clone();
        let finished = tokio::spawn(async move {
            if let Err(error) = guard.connection.execute("RELEASE tusk_tx").await {
                guard.abandoned = true;
                return Err(error);
            }
            if let Some(group) = guard.group.as_mut() {
                group.members += 1;
            }
            writer.finish(guard).await
        });
        finished
            .await
            .unwrap_or_else(|error| Err(failed(error.to_string())))
    }
}

impl Drop for WriterTx {
    /// Dropped before its commit: the savepoint is rolled back, now in a task
    /// of its own (or by whoever takes the writer next), and the group is
    /// committed if nobody else will.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        guard.abandoned = true;
        let writer = self.writer.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                guard.settle().await;
                if guard.group.is_some() && writer.waiting.load(Ordering::Acquire) == 0 {
                    let _ = guard.close_group(&writer.writes).await;
                }
            });
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use crate::db::{Db, Value};
    use std::time::Duration;

    /// A new SQLite database with one table, `scratch (n INTEGER PRIMARY KEY)`.
    pub(in crate::db) async fn scratch_db() -> Db {
        let dir = std::env::temp_dir().join(format!("tusk-writer-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.join("t.db").display()))
            .await
            .unwrap();
        db.execute("CREATE TABLE scratch (n INTEGER PRIMARY KEY)", &[])
            .await
            .unwrap();
        db
    }

    async fn stored(db: &Db) -> Vec<i64> {
        let rows = db
            .fetch_all("SELECT n FROM scratch ORDER BY n", &[], None)
            .await
            .unwrap();
        rows.iter().map(|row| row["n"].as_i64().unwrap()).collect()
    }

    async fn insert(db: &Db, n: i64) -> sqlx::Result<()> {
        let mut tx = db.begin().await?;
        tx.execute("INSERT INTO scratch (n) VALUES ($1)", &[Value::Int(n)])
            .await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
        tx.commit().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_transactions_share_commits_and_all_land() {
        let db = scratch_db().await;
        let before = db.writes();
        let tasks: Vec<_> = (1..=40)
            .map(|n| tokio::spawn(insert_owned(db.clone(), n)))
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(stored(&db).await, (1..=40).collect::<Vec<_>>());
        let commits = db.writes() - before;
        assert!(commits < 40, "{commits} commits for 40 transactions");
    }

    async fn insert_owned(db: Db, n: i64) -> sqlx::Result<()> {
        insert(&db, n).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_transaction_in_a_group_undoes_only_its_own_writes() {
        let db = scratch_db().await;
        let mut first = db.begin().await.unwrap();
        first
            .execute("INSERT INTO scratch (n) VALUES (1)", &[])
            .await
            .unwrap();
        // The second waits for the writer while the first commits, so the
        // first leaves the group open for it.
        let second = tokio::spawn({
            let db = db.clone();
            async move {
                let mut tx = db.begin().await.unwrap();
                tx.execute("INSERT INTO scratch (n) VALUES (2)", &[])
                    .await
                    .unwrap();
                // Fails: 1 is taken (by the first, not yet committed).
                let duplicate = tx.execute("INSERT INTO scratch (n) VALUES (1)", &[]).await;
                assert!(duplicate.is_err());
                drop(tx);
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        first.commit().await.unwrap();
        second.await.unwrap();
        insert(&db, 3).await.unwrap();
        assert_eq!(stored(&db).await, vec![1, 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_transaction_leaves_the_writer_usable() {
        let db = scratch_db().await;
        let mut tx = db.begin().await.unwrap();
        tx.execute("INSERT INTO scratch (n) VALUES (7)", &[])
            .await
            .unwrap();
        let before = db.writes();
        drop(tx);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(db.writes(), before, "nothing was written");
        insert(&db, 8).await.unwrap();
        assert_eq!(stored(&db).await, vec![8]);
    }
}
