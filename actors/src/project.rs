//! One actor per open project, owning the project's cached breakdown
//! (entities, tasks with their assignees, casting links) so the heavy views
//! are answered from memory.
//!
//! Writes commit to the database first; the writer then tells the actor what
//! it touched and waits for the acknowledgement before answering. The actor
//! re-reads those rows (one at a time: it is the project's single state
//! writer), so whatever order messages arrive in, the state converges to what
//! is committed, and a client that got an answer reads its own write.

use actix::prelude::*;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A row as stored, keyed by column name.
pub type Row = Map<String, Value>;

/// Numbers every version of every project's state, so that what was written
/// from one version can be reused until the state changes.
static GENERATIONS: AtomicU64 = AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

/// What a project's actor holds. Rows are keyed by their id.
#[derive(Debug, Clone, Default)]
pub struct ProjectState {
    pub entities: BTreeMap<String, Row>,
    /// Tasks, each with an `assignees` list of person ids.
    pub tasks: BTreeMap<String, Row>,
    /// Casting: `entity_link` rows (shot → asset), keyed by their id.
    pub links: BTreeMap<String, Row>,
    /// Task ids per entity id, kept in step with `tasks`: a view of one
    /// episode reads its shots' tasks without scanning the project's.
    tasks_by_entity: Index,
    /// Link ids per entity they go out of (`entity_in_id`): recasting a shot
    /// replaces its links without scanning the project's.
    links_by_owner: Index,
    /// Changes with every change of the state; unique across projects.
    generation: u64,
    /// Episodes each entity is cast in, worked out once per generation: every
    /// asset view of an episode needs them, and they come from all the links.
    casting_episodes: OnceLock<HashMap<String, Vec<String>>>,
}

/// Equal content, whatever the versions' numbers.
impl PartialEq for ProjectState {
    fn eq(&self, other: &Self) -> bool {
        self.entities == other.entities
            && self.tasks == other.tasks
            && self.links == other.links
            && self.tasks_by_entity == other.tasks_by_entity
            && self.links_by_owner == other.links_by_owner
    }
}

/// The rows a write changed, to be read again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub entities: Vec<String>,
    pub tasks: Vec<String>,
    pub links: Vec<String>,
    /// Entities whose casting changed: their rows, their tasks and every link
    /// out of them are read again (links that are gone are dropped).
    pub casting: Vec<String>,
    /// A write that changed too much to list (a cascade): read the whole project again.
    pub everything: bool,
}

impl Touched {
    pub fn everything() -> Touched {
        Touched {
            everything: true,
            ..Default::default()
        }
    }

    /// Adds another write's rows to these (a row named twice is read once).
    pub fn merge(&mut self, other: Touched) {
        for (mine, theirs) in [
            (&mut self.entities, other.entities),
            (&mut self.tasks, other.tasks),
            (&mut self.links, other.links),
            (&mut self.casting, other.casting),
        ] {
            mine.extend(theirs);
            mine.sort();
            mine.dedup();
        }
        self.everything |= other.everything;
    }

    pub fn is_empty(&self) -> bool {
        !self.everything
            && self.entities.is_empty()
            && self.tasks.is_empty()
            && self.links.is_empty()
            && self.casting.is_empty()
    }
}

/// The touched rows as they are now; `None` for a row that is gone.
#[derive(Debug, Clone, Default)]
pub struct Reloaded {
    pub entities: Vec<(String, Option<Row>)>,
    pub tasks: Vec<(String, Option<Row>)>,
    pub links: Vec<(String, Option<Row>)>,
    /// Entities whose links out are all in `links`: their older links go.
    pub casting: Vec<String>,
}

/// Where the actors read their projects from (the server's database).
#[async_trait]
pub trait ProjectStore: Send + Sync + 'static {
    async fn load(&self, project: &str) -> Result<ProjectState, String>;
    async fn reload(&self, project: &str, touched: &Touched) -> Result<Reloaded, String>;
}

fn apply(rows: &mut BTreeMap<String, Row>, changes: Vec<(String, Option<Row>)>) {
    for (id, row) in changes {
        match row {
            Some(row) => {
                rows.insert(id, row);
            }
            None => {
                rows.remove(&id);
            }
        }
    }
}

fn text<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

/// Row ids grouped by one of their columns, kept in step with the rows.
#[derive(Debug, Clone, Default, PartialEq)]
struct Index(BTreeMap<String, BTreeSet<String>>);

impl Index {
    fn build(rows: &BTreeMap<String, Row>, column: &str) -> Index {
        let mut index = Index::default();
        for (id, row) in rows {
            if let Some(key) = text(row, column) {
                index.add(key, id);
            }
        }
        index
    }

    fn add(&mut self, key: &str, id: &str) {
        self.0
            .entry(key.to_string())
            .or_default()
            .insert(id.to_string());
    }

    fn remove(&mut self, key: &str, id: &str) {
        let emptied = self.0.get_mut(key).is_some_and(|ids| {
            ids.remove(id);
            ids.is_empty()
        });
        if emptied {
            self.0.remove(key);
        }
    }

    /// Applies reloaded rows to `rows`, keeping the index on `column` in step.
    fn apply(
        &mut self,
        rows: &mut BTreeMap<String, Row>,
        column: &str,
        changes: Vec<(String, Option<Row>)>,
    ) {
        for (id, row) in changes {
            if let Some(old) = rows
                .get(&id)
                .and_then(|r| text(r, column))
                .map(str::to_string)
            {
                self.remove(&old, &id);
            }
            match row {
                Some(row) => {
                    if let Some(key) = text(&row, column) {
                        self.add(key, &id);
                    }
                    rows.insert(id, row);
                }
                None => {
                    rows.remove(&id);
                }
            }
        }
    }
}

impl ProjectState {
    pub fn new(
        entities: BTreeMap<String, Row>,
        tasks: BTreeMap<String, Row>,
        links: BTreeMap<String, Row>,
    ) -> Self {
        ProjectState {
            tasks_by_entity: Index::build(&tasks, "entity_id"),
            links_by_owner: Index::build(&links, "entity_in_id"),
            entities,
            tasks,
            links,
            generation: next_generation(),
            casting_episodes: OnceLock::new(),
        }
    }

    /// This version of the state: two snapshots with the same generation hold
    /// the same rows.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The tasks of an entity.
    pub fn tasks_of<'a>(&'a self, entity: &str) -> impl Iterator<Item = &'a Row> + 'a {
        self.tasks_by_entity
            .0
            .get(entity)
            .into_iter()
            .flatten()
            .filter_map(|task| self.tasks.get(task))
    }

    /// The episodes an entity (an asset) is cast in, through the shots casting
    /// it, in the order of the links' ids.
    pub fn casting_episodes(&self, entity: &str) -> &[String] {
        self.casting_episodes
            .get_or_init(|| self.cast_in_episodes())
            .get(entity)
            .map_or(&[], Vec::as_slice)
    }

    fn cast_in_episodes(&self) -> HashMap<String, Vec<String>> {
        let parent = |id: Option<&str>| {
            id.and_then(|id| self.entities.get(id))
                .and_then(|e| text(e, "parent_id"))
        };
        let mut episodes: HashMap<String, Vec<String>> = HashMap::new();
        for link in self.links.values() {
            let episode = parent(parent(text(link, "entity_in_id")));
            if let (Some(asset), Some(episode)) = (text(link, "entity_out_id"), episode) {
                let cast_in = episodes.entry(asset.to_string()).or_default();
                if !cast_in.iter().any(|e| e == episode) {
                    cast_in.push(episode.to_string());
                }
            }
        }
        episodes
    }

    fn apply(&mut self, reloaded: Reloaded) {
        apply(&mut self.entities, reloaded.entities);
        self.tasks_by_entity
            .apply(&mut self.tasks, "entity_id", reloaded.tasks);
        for owner in &reloaded.casting {
            for link in self.links_by_owner.0.remove(owner).unwrap_or_default() {
                self.links.remove(&link);
            }
        }
        self.links_by_owner
            .apply(&mut self.links, "entity_in_id", reloaded.links);
        self.generation = next_generation();
        self.casting_episodes = OnceLock::new();
    }
}

pub struct ProjectActor {
    project: String,
    store: Arc<dyn ProjectStore>,
    /// Shared with readers: a write copies it only while a reader still holds the old one.
    state: Arc<ProjectState>,
    last_used: Instant,
    idle_after: Duration,
    /// Refreshes that came while rows were being read: they are read
    /// together next, then all answered.
    waiting: Vec<(Touched, tokio::sync::oneshot::Sender<Result<(), String>>)>,
    reading: bool,
}

impl Actor for ProjectActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let store = self.store.clone();
        let project = self.project.clone();
        // Nothing is answered before the state is loaded.
        ctx.wait(
            async move { store.load(&project).await }
                .into_actor(self)
                .map(|loaded, actor, ctx| match loaded {
                    Ok(state) => actor.state = Arc::new(state),
                    Err(_) => ctx.stop(),
                }),
        );
        let check = (self.idle_after / 4).max(Duration::from_millis(50));
        ctx.run_interval(check, |actor, ctx| {
            if actor.last_used.elapsed() >= actor.idle_after {
                ctx.stop();
            }
        });
    }
}

/// The current state, to read from outside the actor.
pub struct Snapshot;

impl Message for Snapshot {
    type Result = Arc<ProjectState>;
}

impl Handler<Snapshot> for ProjectActor {
    type Result = MessageResult<Snapshot>;

    fn handle(&mut self, _: Snapshot, _: &mut Context<Self>) -> Self::Result {
        self.last_used = Instant::now();
        MessageResult(self.state.clone())
    }
}

/// Rows a committed write changed: read them again, then acknowledge.
pub struct Refresh(pub Touched);

impl Message for Refresh {
    type Result = Result<(), String>;
}

/// Writes come faster than one at a time can be read back: a refresh that
/// comes while rows are being read waits, and every refresh that waited is
/// read back in one go after it. Each is answered once its rows are in the
/// state, so a writer's next read sees its write; readers meanwhile get the
/// state as it was.
impl Handler<Refresh> for ProjectActor {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, Refresh(touched): Refresh, ctx: &mut Context<Self>) -> Self::Result {
        self.last_used = Instant::now();
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.waiting.push((touched, answer));
        if !self.reading {
            self.read_waiting(ctx);
        }
        // An actor stopped before answering (`Stop`) dropped its state: the
        // next use loads the project, this write included.
        Box::pin(async move { answered.await.unwrap_or(Ok(())) })
    }
}

impl ProjectActor {
    /// Reads back the rows of every waiting refresh at once, applies them,
    /// answers those refreshes, then reads what came meanwhile.
    fn read_waiting(&mut self, ctx: &mut Context<Self>) {
        let (rows, answers): (Vec<Touched>, Vec<_>) =
            std::mem::take(&mut self.waiting).into_iter().unzip();
        self.reading = !answers.is_empty();
        if answers.is_empty() {
            return;
        }
        let mut touched = Touched::default();
        for rows in rows {
            touched.merge(rows);
        }
        let store = self.store.clone();
        let project = self.project.clone();
        let read = async move {
            if touched.everything {
                store.load(&project).await.map(Err)
            } else {
                store.reload(&project, &touched).await.map(Ok)
            }
        };
        ctx.spawn(read.into_actor(self).map(move |read, actor, ctx| {
            let outcome = read.map(|rows| match rows {
                Ok(rows) => Arc::make_mut(&mut actor.state).apply(rows),
                Err(whole) => actor.state = Arc::new(whole),
            });
            for answer in answers {
                let _ = answer.send(outcome.clone());
            }
            actor.read_waiting(ctx);
        }));
    }
}

/// Ends the actor: its state is dropped, the next use loads the project again.
pub struct Stop;

impl Message for Stop {
    type Result = ();
}

impl Handler<Stop> for ProjectActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Threads the project actors run on, one per core, shared by every registry.
/// Each runs an actix system of its own, so they do not depend on how the
/// HTTP server was started.
fn arbiters() -> &'static Vec<ArbiterHandle> {
    static ARBITERS: OnceLock<Vec<ArbiterHandle>> = OnceLock::new();
    ARBITERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        (0..cores)
            .map(|index| {
                let (sender, receiver) = std::sync::mpsc::channel();
                std::thread::Builder::new()
                    .name(format!("tusk-projects-{index}"))
                    .spawn(move || {
                        let system = System::new();
                        // The receiver waits for this handle; it cannot be gone.
                        let _ = sender.send(Arbiter::current());
                        let _ = system.run();
                    })
                    .expect("a thread for project actors");
                receiver.recv().expect("the project actor thread starts")
            })
            .collect()
    })
}

/// Starts a project's actor on first use and hands out its address; an
/// actor idle for `idle_after` stops and frees its state.
pub struct ProjectRegistry {
    store: Arc<dyn ProjectStore>,
    actors: Mutex<HashMap<String, Addr<ProjectActor>>>,
    next: std::sync::atomic::AtomicUsize,
    idle_after: Duration,
}

impl ProjectRegistry {
    pub fn new(store: Arc<dyn ProjectStore>, idle_after: Duration) -> ProjectRegistry {
        ProjectRegistry {
            store,
            actors: Mutex::new(HashMap::new()),
            next: Default::default(),
            idle_after,
        }
    }

    fn actor(&self, project: &str) -> Addr<ProjectActor> {
        let mut actors = self
            .actors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(addr) = actors.get(project).filter(|addr| addr.connected()) {
            return addr.clone();
        }
        let pool = arbiters();
        let index = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % pool.len();
        let actor = ProjectActor {
            project: project.to_string(),
            store: self.store.clone(),
            state: Arc::default(),
            last_used: Instant::now(),
            idle_after: self.idle_after,
            waiting: Vec::new(),
            reading: false,
        };
        let addr = ProjectActor::start_in_arbiter(&pool[index], move |_| actor);
        actors.insert(project.to_string(), addr.clone());
        addr
    }

    /// Drops every cached project (after a write that touches many at once,
    /// such as removing a person from every team).
    pub fn forget_all(&self) {
        let mut actors = self
            .actors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (_, addr) in actors.drain() {
            addr.do_send(Stop);
        }
    }

    /// How many project actors are running.
    pub fn running(&self) -> usize {
        let actors = self
            .actors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        actors.values().filter(|addr| addr.connected()).count()
    }

    /// The project's current state (loaded on first use).
    pub async fn snapshot(&self, project: &str) -> Result<Arc<ProjectState>, String> {
        // A stopped actor (idle, or failed to load) is started again once.
        for _ in 0..2 {
            match self.actor(project).send(Snapshot).await {
                Ok(state) => return Ok(state),
                Err(MailboxError::Closed) => continue,
                Err(error) => return Err(error.to_string()),
            }
        }
        Err(format!("project {project} could not be loaded"))
    }

    /// Tells the project's actor what a committed write changed; returns once applied.
    pub async fn refresh(&self, project: &str, touched: Touched) -> Result<(), String> {
        if touched.is_empty() {
            return Ok(());
        }
        for _ in 0..2 {
            match self.actor(project).send(Refresh(touched.clone())).await {
                Ok(result) => return result,
                Err(MailboxError::Closed) => continue,
                Err(error) => return Err(error.to_string()),
            }
        }
        Err(format!("project {project} could not be loaded"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A store backed by a map, standing in for the database.
    #[derive(Default)]
    struct MemoryStore {
        rows: Mutex<BTreeMap<String, Row>>,
        loads: std::sync::atomic::AtomicUsize,
        reloads: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl ProjectStore for MemoryStore {
        async fn load(&self, _project: &str) -> Result<ProjectState, String> {
            self.loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(ProjectState::new(
                BTreeMap::new(),
                self.rows.lock().unwrap().clone(),
                BTreeMap::new(),
            ))
        }

        async fn reload(&self, _project: &str, touched: &Touched) -> Result<Reloaded, String> {
            self.reloads
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // As long as a database's round trip: refreshes pile up meanwhile.
            actix_rt::time::sleep(Duration::from_millis(5)).await;
            let rows = self.rows.lock().unwrap();
            Ok(Reloaded {
                tasks: touched
                    .tasks
                    .iter()
                    .map(|id| (id.clone(), rows.get(id).cloned()))
                    .collect(),
                ..Default::default()
            })
        }
    }

    fn row(name: &str) -> Row {
        json!({"name": name}).as_object().unwrap().clone()
    }

    #[actix_rt::test]
    async fn state_follows_committed_writes_and_reloads_after_idling() {
        let store = Arc::new(MemoryStore::default());
        store.rows.lock().unwrap().insert("t1".into(), row("a"));
        let registry = ProjectRegistry::new(store.clone(), Duration::from_millis(200));
        assert_eq!(registry.snapshot("p").await.unwrap().tasks.len(), 1);

        store.rows.lock().unwrap().insert("t2".into(), row("b"));
        store.rows.lock().unwrap().remove("t1");
        let touched = Touched {
            tasks: vec!["t1".into(), "t2".into()],
            ..Default::default()
        };
        registry.refresh("p", touched).await.unwrap();
        let state = registry.snapshot("p").await.unwrap();
        assert_eq!(state.tasks.keys().collect::<Vec<_>>(), ["t2"]);
        assert_eq!(registry.running(), 1);

        actix_rt::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(registry.running(), 0, "an idle project is let go");
        assert_eq!(registry.snapshot("p").await.unwrap().tasks.len(), 1);
        assert_eq!(store.loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[actix_rt::test]
    async fn a_refresh_outlived_by_its_actor_is_answered_and_the_next_use_loads_again() {
        let store = Arc::new(MemoryStore::default());
        let registry = ProjectRegistry::new(store.clone(), Duration::from_secs(60));
        registry.snapshot("p").await.unwrap();
        store.rows.lock().unwrap().insert("t1".into(), row("a"));
        let touched = Touched {
            tasks: vec!["t1".into()],
            ..Default::default()
        };
        let stop = async { registry.forget_all() };
        let (answer, ()) = futures_util::future::join(registry.refresh("p", touched), stop).await;
        assert_eq!(answer, Ok(()), "the write is not reported as failed");
        let state = registry.snapshot("p").await.unwrap();
        assert_eq!(state.tasks.keys().collect::<Vec<_>>(), ["t1"]);
        assert_eq!(store.loads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[actix_rt::test]
    async fn refreshes_that_come_together_are_read_back_together() {
        let store = Arc::new(MemoryStore::default());
        let registry = ProjectRegistry::new(store.clone(), Duration::from_secs(60));
        registry.snapshot("p").await.unwrap();
        let names: Vec<String> = (0..20).map(|n| format!("t{n:02}")).collect();
        for name in &names {
            store.rows.lock().unwrap().insert(name.clone(), row(name));
        }
        let refreshes = names.iter().map(|name| {
            let touched = Touched {
                tasks: vec![name.clone()],
                ..Default::default()
            };
            registry.refresh("p", touched)
        });
        let answers = futures_util::future::join_all(refreshes).await;
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");
        let state = registry.snapshot("p").await.unwrap();
        assert_eq!(
            state.tasks.keys().collect::<Vec<_>>(),
            names.iter().collect::<Vec<_>>()
        );
        let reloads = store.reloads.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            (2..20).contains(&reloads),
            "the first alone, the others together: {reloads} reads"
        );
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;
    use serde_json::json;

    fn task(entity: &str) -> Row {
        json!({"entity_id": entity}).as_object().unwrap().clone()
    }

    fn ids<'a>(state: &'a ProjectState, entity: &str) -> Vec<&'a Value> {
        state.tasks_of(entity).map(|t| &t["entity_id"]).collect()
    }

    #[test]
    fn the_tasks_of_an_entity_follow_moves_and_deletes() {
        let tasks = BTreeMap::from([("t1".to_string(), task("a")), ("t2".to_string(), task("a"))]);
        let mut state = ProjectState::new(BTreeMap::new(), tasks, BTreeMap::new());
        assert_eq!(ids(&state, "a").len(), 2);
        let before = state.generation();
        state.apply(Reloaded {
            tasks: vec![
                ("t1".into(), Some(task("b"))),
                ("t2".into(), None),
                ("t3".into(), Some(task("b"))),
            ],
            ..Default::default()
        });
        assert!(ids(&state, "a").is_empty());
        assert_eq!(ids(&state, "b").len(), 2);
        let fresh = ProjectState::new(BTreeMap::new(), state.tasks.clone(), BTreeMap::new());
        assert_eq!(state, fresh, "the index equals a fresh one");
        assert!(state.generation() != before && fresh.generation() != state.generation());
    }

    #[test]
    fn a_recast_entity_keeps_only_its_new_links() {
        let link = |owner: &str| json!({"entity_in_id": owner}).as_object().unwrap().clone();
        let links = BTreeMap::from([
            ("l1".to_string(), link("shot")),
            ("l2".to_string(), link("shot")),
            ("l3".to_string(), link("other")),
        ]);
        let mut state = ProjectState::new(BTreeMap::new(), BTreeMap::new(), links);
        state.apply(Reloaded {
            links: vec![("l4".into(), Some(link("shot")))],
            casting: vec!["shot".into()],
            ..Default::default()
        });
        let ids: Vec<&String> = state.links.keys().collect();
        assert_eq!(ids, ["l3", "l4"]);
    }
}
