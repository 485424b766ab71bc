//! The generic CRUD engine behind `/data/<model>`: list (filters, pagination,
//! relations), create, get, update and delete, written once. Each model is one
//! [`Model`] registration whose [`Hooks`] say who may do what and what Zou's
//! model does besides (defaults, validation, protected fields, delete rules).

mod filters;
pub mod models;
pub mod scope;

pub use filters::{conditions as column_filters, first, value_from_text, ListOptions};

use crate::app::AppState;
use crate::auth::Identity;
use crate::db::{now, ColumnKind, Db, Row, Table, Tx, Value};
use crate::error::{ApiError, ApiResult};
use crate::events::Event;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};
use std::collections::HashMap;
use tusk_actors::project::Touched;
use uuid::Uuid;

/// What a hook may look at: the application and the caller.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub identity: &'a Identity,
    /// The query string's parameters, in order.
    pub query: Vec<(String, String)>,
}

impl<'a> Ctx<'a> {
    pub fn new(state: &'a AppState, identity: &'a Identity, req: &HttpRequest) -> Ctx<'a> {
        Ctx {
            state,
            identity,
            query: query_pairs(req),
        }
    }

    /// The first value of a query-string parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// Whether the request says `?force=true` (deletes that take what hangs
    /// off the row with it).
    pub fn forced(&self) -> bool {
        self.param("force")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }
}

/// A SQL condition with `?` placeholders and the values they stand for.
#[derive(Debug, Clone)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Condition {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Condition {
        Condition {
            sql: sql.into(),
            params,
        }
    }

    pub fn and(mut self, other: Condition) -> Condition {
        self.sql = format!("({}) AND ({})", self.sql, other.sql);
        self.params.extend(other.params);
        self
    }
}

/// `conditions` joined with AND, their `?` numbered as `$1`, `$2`...
pub fn where_clause(conditions: &[Condition]) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let parts: Vec<String> = conditions
        .iter()
        .map(|condition| {
            let mut sql = String::new();
            let mut values = condition.params.iter();
            for piece in condition.sql.split_inclusive('?') {
                match piece.strip_suffix('?') {
                    Some(before) => {
                        params.push(values.next().cloned().unwrap_or(Value::Null));
                        sql.push_str(before);
                        sql.push_str(&format!("${}", params.len()));
                    }
                    None => sql.push_str(piece),
                }
            }
            format!("({sql})")
        })
        .collect();
    if parts.is_empty() {
        (String::new(), params)
    } else {
        (format!(" WHERE {}", parts.join(" AND ")), params)
    }
}

/// A list of ids kept in another table: a many-to-many link table
/// (`department_link`) or the children pointing at a row.
pub struct Relation {
    /// The JSON key (`departments`), also accepted as a list filter.
    pub key: &'static str,
    pub table: &'static str,
    /// The column pointing at the model's row.
    pub own: &'static str,
    /// The column holding the listed ids.
    pub other: &'static str,
    /// Link tables are written from the JSON key on create and update.
    pub writable: bool,
}

/// A constant column value: Zou's Python-side defaults.
#[derive(Debug, Clone, Copy)]
pub enum Fixed {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'static str),
    /// An empty JSON list.
    EmptyList,
}

impl Fixed {
    fn json(self) -> Json {
        match self {
            Fixed::Bool(value) => json!(value),
            Fixed::Int(value) => json!(value),
            Fixed::Float(value) => json!(value),
            Fixed::Text(value) => json!(value),
            Fixed::EmptyList => json!([]),
        }
    }
}

/// Whether a row is shown in a list or alone (some models show more alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    List,
    One,
}

pub struct Model {
    /// The route name: `/data/<route>`.
    pub route: &'static str,
    pub table: &'static str,
    /// The `type` every serialized row carries.
    pub type_name: &'static str,
    pub relations: &'static [Relation],
    pub hooks: &'static (dyn Hooks + Sync),
    /// The event name prefix when it is not the table's (`asset-type` for entity types).
    pub event: Option<&'static str>,
    /// Column values Zou's model gives when a create leaves them out.
    pub defaults: &'static [(&'static str, Fixed)],
    /// What rows are read as, when more than the table's columns (`<table>.*, ...`).
    pub select: Option<&'static str>,
    /// Rows this one points at, shown whole under a key of their own.
    pub embeds: &'static [Embed],
}

/// A row another points at, shown inside it (an attachment's comment).
pub struct Embed {
    pub key: &'static str,
    pub column: &'static str,
    pub table: &'static str,
    pub type_name: &'static str,
}

impl Model {
    /// A model with the engine's defaults: admin only, no relations.
    pub const fn new(route: &'static str, table: &'static str, type_name: &'static str) -> Model {
        Model {
            route,
            table,
            type_name,
            relations: &[],
            hooks: &AdminOnly,
            event: None,
            defaults: &[],
            select: None,
            embeds: &[],
        }
    }
}

/// The engine's default rules: admin only for everything.
pub struct AdminOnly;

impl Hooks for AdminOnly {}

impl Model {
    /// Zou names CRUD events after the table: `task-type:new`, payload `task_type_id`.
    fn event(&self, action: &str, row: &Row) -> Event {
        let id = row.get("id").and_then(Json::as_str).unwrap_or_default();
        let prefix = self
            .hooks
            .event_prefix(row)
            .or_else(|| self.event.map(str::to_string))
            .unwrap_or_else(|| self.table.replace('_', "-"));
        Event::new(
            format!("{prefix}:{action}"),
            &format!("{}_id", prefix.replace('-', "_")),
            id,
        )
        .in_project(project_of(row))
    }
}

/// An id from a row or a request as a query value (`null` stays null); a
/// value that is not a UUID names nothing, so it is not found.
pub fn id_of(json: &Json) -> ApiResult<Value> {
    Value::from_json(ColumnKind::Uuid, json).map_err(|_| ApiError::NotFound)
}

pub fn project_of(row: &Row) -> Option<Uuid> {
    row.get("project_id")
        .and_then(Json::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// What a model does besides the generic engine. Every check defaults to
/// admin only, as in Zou.
#[async_trait]
pub trait Hooks {
    /// Reference data every authenticated person reads (lists and reads by id).
    fn readable_by_all(&self) -> bool {
        false
    }

    /// Who may list, and which rows they see (`None`: every row).
    async fn list_scope(&self, ctx: &Ctx<'_>) -> ApiResult<Option<Condition>> {
        if !self.readable_by_all() {
            ctx.identity.require_admin()?;
        }
        Ok(None)
    }

    /// Filters of the model's own, beyond its columns (e.g. date ranges).
    async fn extra_filters(
        &self,
        _ctx: &Ctx<'_>,
        _query: &[(String, String)],
    ) -> ApiResult<Vec<Condition>> {
        Ok(Vec::new())
    }

    /// Work after a delete, in the same transaction.
    async fn after_delete(&self, _ctx: &Ctx<'_>, _tx: &mut Tx, _row: &Row) -> ApiResult<()> {
        Ok(())
    }

    /// Work once a delete is committed: what is not in the database (files).
    fn deleted(&self, _ctx: &Ctx<'_>, _row: &Row, _force: bool) {}

    /// The event name prefix for this row, when it depends on the row.
    fn event_prefix(&self, _row: &Row) -> Option<String> {
        None
    }

    /// The project whose cached breakdown this write changed, and the rows it changed.
    async fn touched(&self, _ctx: &Ctx<'_>, _row: &Row) -> ApiResult<Option<(Uuid, Touched)>> {
        Ok(None)
    }

    /// What a read by id adds beyond the row and its relations.
    async fn extend_one(&self, _ctx: &Ctx<'_>, _row: &mut Row) -> ApiResult<()> {
        Ok(())
    }

    /// Work a list needs done first (after the permission check).
    async fn before_list(&self, _ctx: &Ctx<'_>) -> ApiResult<()> {
        Ok(())
    }

    /// Columns the caller may filter on (hidden columns must not be probed).
    fn may_filter_on(&self, _ctx: &Ctx<'_>, _column: &str) -> bool {
        true
    }

    async fn check_read(&self, ctx: &Ctx<'_>, _row: &Row) -> ApiResult<()> {
        if self.readable_by_all() {
            Ok(())
        } else {
            ctx.identity.require_admin()
        }
    }

    async fn check_create(&self, ctx: &Ctx<'_>, _data: &Map<String, Json>) -> ApiResult<()> {
        ctx.identity.require_admin()
    }

    async fn check_update(
        &self,
        ctx: &Ctx<'_>,
        _row: &Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        ctx.identity.require_admin()
    }

    async fn check_delete(&self, ctx: &Ctx<'_>, _row: &Row) -> ApiResult<()> {
        ctx.identity.require_admin()
    }

    /// Fields an update drops silently, beyond id, timestamps and project_id.
    fn protected_on_update(&self, _ctx: &Ctx<'_>, _row: &Row) -> Vec<&'static str> {
        Vec::new()
    }

    /// Validation and derived values, in the write transaction.
    async fn before_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        Ok(())
    }

    async fn before_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        _data: &mut Map<String, Json>,
    ) -> ApiResult<()> {
        Ok(())
    }

    /// Refuses, or clears what depends on the row (`force`: `?force=true`).
    async fn before_delete(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _row: &Row,
        _force: bool,
    ) -> ApiResult<()> {
        Ok(())
    }

    /// The answer when rows elsewhere still point at a row being deleted.
    fn still_referenced(&self) -> ApiError {
        ApiError::Body(
            actix_web::http::StatusCode::BAD_REQUEST,
            json!({"message": "The change conflicts with records referencing this one."}),
        )
    }

    /// Work after the row is written, in the same transaction; may add to the answer.
    async fn after_create(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        Ok(())
    }

    /// Keys a create reads that are not columns (e.g. the template a project starts from).
    fn request_only(&self) -> &'static [&'static str] {
        &[]
    }

    /// Columns that take one of a fixed set of values (Zou's ChoiceType).
    fn choices(&self) -> &'static [(&'static str, &'static [&'static str])] {
        &[]
    }

    /// At most this many rows in an unpaginated list (`None`: all of them).
    fn list_cap(&self) -> Option<i64> {
        None
    }

    /// Work after an update, in the same transaction; may add to the answer.
    async fn after_update(
        &self,
        _ctx: &Ctx<'_>,
        _tx: &mut Tx,
        _answer: &mut Row,
        _data: &Map<String, Json>,
    ) -> ApiResult<()> {
        Ok(())
    }

    /// The row as this caller may see it (hidden columns removed, computed ones added).
    fn present(&self, _ctx: &Ctx<'_>, row: Row, _view: View) -> Row {
        row
    }

    /// Whether a create's answer lists the relations (most do).
    fn relations_after_create(&self) -> bool {
        true
    }

    /// Whether lists always carry the relations, asked or not.
    fn relations_in_lists(&self) -> bool {
        false
    }

    /// Whether an update's answer lists the relations too (most do not).
    fn relations_after_update(&self) -> bool {
        false
    }
}

fn table_of<'a>(state: &'a AppState, model: &Model) -> ApiResult<&'a Table> {
    state
        .db
        .schema()
        .table(model.table)
        .ok_or_else(|| ApiError::internal(format!("table {} missing", model.table)))
}

/// The five routes of every registered model.
pub fn routes() -> Vec<crate::api::Route> {
    use crate::api::Route;
    let mut routes = Vec::new();
    for model in models::ALL {
        let collection = format!("/data/{}", model.route);
        let instance = format!("/data/{}/{{instance_id}}", model.route);
        let name = model.route;
        routes.push(Route::new(
            Method::GET,
            &collection,
            format!("List {name}"),
            move |r| r.to(move |state, identity, req| list(model, state, identity, req)),
        ));
        routes.push(Route::new(
            Method::POST,
            &collection,
            format!("Create one of {name}"),
            move |r| {
                r.to(move |state, identity, body, req| create(model, state, identity, body, req))
            },
        ));
        routes.push(Route::new(
            Method::GET,
            &instance,
            format!("Get one of {name}"),
            move |r| r.to(move |state, identity, id, req| get(model, state, identity, id, req)),
        ));
        routes.push(Route::new(
            Method::PUT,
            &instance,
            format!("Update one of {name}"),
            move |r| {
                r.to(move |state, identity, id, body, req| {
                    update(model, state, identity, id, body, req)
                })
            },
        ));
        routes.push(Route::new(
            Method::DELETE,
            &instance,
            format!("Delete one of {name}"),
            move |r| r.to(move |state, identity, id, req| delete(model, state, identity, id, req)),
        ));
    }
    routes
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str(req.query_string()).unwrap_or_default()
}

fn parse_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::bad_request("Malformed ID."))
}

impl Model {
    /// The select list rows are read with.
    fn columns(&self) -> &str {
        self.select.unwrap_or("*")
    }
}

async fn find(db: &Db, model: &Model, id: Uuid) -> ApiResult<Row> {
    db.fetch_optional(
        &format!(
            "SELECT {} FROM {} WHERE id = $1",
            model.columns(),
            model.table
        ),
        &[id.into()],
        Some(model.table),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// A row just written, read back as the model reads rows.
async fn reread(tx: &mut Tx, model: &Model, row: Row) -> ApiResult<Row> {
    if model.select.is_none() {
        return Ok(row);
    }
    let id = Value::from_json(ColumnKind::Uuid, &row["id"]).map_err(ApiError::internal)?;
    tx.fetch_optional(
        &format!(
            "SELECT {} FROM {} WHERE id = $1",
            model.columns(),
            model.table
        ),
        &[id],
        Some(model.table),
    )
    .await?
    .ok_or(ApiError::NotFound)
}

/// Adds each relation's id list to the rows, one query per relation.
async fn attach_relations(db: &Db, model: &Model, rows: &mut [Row]) -> ApiResult<()> {
    let ids: Vec<Value> = rows
        .iter()
        .filter_map(|row| row.get("id").and_then(Json::as_str))
        .filter_map(|id| Uuid::parse_str(id).ok().map(Value::Uuid))
        .collect();
    for relation in model.relations {
        let mut by_owner: HashMap<String, Vec<Json>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let links = db
                .fetch_all(
                    &format!(
                        "SELECT {own} AS owner, {other} AS item FROM {table} WHERE {own} IN ({marks}) \
                         ORDER BY {other}",
                        own = relation.own,
                        other = relation.other,
                        table = relation.table,
                        marks = marks.join(", ")
                    ),
                    chunk,
                    None,
                )
                .await?;
            for mut link in links {
                if let (Some(Json::String(owner)), Some(item)) =
                    (link.remove("owner"), link.remove("item"))
                {
                    by_owner.entry(owner).or_default().push(item);
                }
            }
        }
        for row in rows.iter_mut() {
            let id = row.get("id").and_then(Json::as_str).unwrap_or_default();
            let items = by_owner.remove(id).unwrap_or_default();
            row.insert(relation.key.to_string(), Json::Array(items));
        }
    }
    Ok(())
}

/// Puts each embedded row inside the rows that point at it (one query per embed).
async fn attach_embeds(db: &Db, model: &Model, rows: &mut [Row]) -> ApiResult<()> {
    for embed in model.embeds {
        let ids: Vec<Value> = rows
            .iter()
            .filter_map(|row| Value::from_json(ColumnKind::Uuid, &row[embed.column]).ok())
            .filter(|id| *id != Value::Null)
            .collect();
        let mut found: HashMap<String, Row> = HashMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT * FROM {} WHERE id IN ({})",
                embed.table,
                marks.join(", ")
            );
            for mut row in db.fetch_all(&sql, chunk, Some(embed.table)).await? {
                row.insert("type".into(), json!(embed.type_name));
                let id = row["id"].as_str().unwrap_or_default().to_string();
                found.insert(id, row);
            }
        }
        for row in rows.iter_mut() {
            let embedded = row[embed.column]
                .as_str()
                .and_then(|id| found.get(id))
                .cloned()
                .map_or(Json::Null, Json::Object);
            row.insert(embed.key.to_string(), embedded);
        }
    }
    Ok(())
}

/// Tells the project's actor what a committed write changed, and waits for
/// it: whoever got the answer reads their own write from the cache.
async fn refresh_cache(ctx: &Ctx<'_>, model: &Model, row: &Row) -> ApiResult<()> {
    if let Some((project, touched)) = model.hooks.touched(ctx, row).await? {
        ctx.state
            .projects
            .refresh(&project.to_string(), touched)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}

/// Rows of a model as its lists show them (with relations when asked).
pub async fn read_rows(
    ctx: &Ctx<'_>,
    model: &Model,
    rows: Vec<Row>,
    relations: bool,
) -> ApiResult<Vec<Row>> {
    serialize(ctx, model, rows, relations, View::List).await
}

/// The model's presentation, then the `type` every row carries.
fn finish(ctx: &Ctx<'_>, model: &Model, row: Row, view: View) -> Row {
    let mut row = model.hooks.present(ctx, row, view);
    row.entry("type").or_insert(json!(model.type_name));
    row
}

/// Rows as the caller sees them: relations if asked, `type`, the model's presentation.
async fn serialize(
    ctx: &Ctx<'_>,
    model: &Model,
    mut rows: Vec<Row>,
    relations: bool,
    view: View,
) -> ApiResult<Vec<Row>> {
    if relations || (view == View::List && model.hooks.relations_in_lists()) {
        attach_relations(ctx.db(), model, &mut rows).await?;
    }
    attach_embeds(ctx.db(), model, &mut rows).await?;
    Ok(rows
        .into_iter()
        .map(|row| finish(ctx, model, row, view))
        .collect())
}

fn pick_fields(rows: Vec<Row>, fields: &Option<Vec<String>>) -> Vec<Row> {
    match fields {
        None => rows,
        Some(fields) => rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .filter(|(key, _)| key == "id" || key == "type" || fields.contains(key))
                    .collect()
            })
            .collect(),
    }
}

async fn list(
    model: &'static Model,
    state: web::Data<AppState>,
    identity: Identity,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    crate::api::remembered(&state, &identity, &req, list_answer(model, &ctx)).await
}

async fn list_answer(model: &'static Model, ctx: &Ctx<'_>) -> ApiResult<Json> {
    let state = ctx.state;
    let pairs = ctx.query.clone();
    let table = table_of(state, model)?;
    let scope = model.hooks.list_scope(ctx).await?;
    let mut conditions = filters::conditions(ctx, model, table, &pairs)?;
    conditions.extend(model.hooks.extra_filters(ctx, &pairs).await?);
    let options = ListOptions::read(&pairs, false)?;
    conditions.extend(scope);
    model.hooks.before_list(ctx).await?;
    let (where_sql, params) = where_clause(&conditions);
    let Some(page) = options.page else {
        let rows = state
            .db
            .fetch_all(
                &format!(
                    "SELECT {} FROM {}{where_sql} ORDER BY created_at, id",
                    model.columns(),
                    model.table
                ),
                &params,
                Some(model.table),
            )
            .await?;
        let rows = serialize(ctx, model, rows, options.relations, View::List).await?;
        return Ok(Json::from(pick_fields(rows, &options.fields)));
    };
    let total = state
        .db
        .fetch_optional(
            &format!("SELECT COUNT(*) AS total FROM {}{where_sql}", model.table),
            &params,
            None,
        )
        .await?
        .and_then(|row| row.get("total").and_then(Json::as_i64))
        .unwrap_or(0);
    let offset = (page - 1) * options.limit;
    let nb_pages = (total + options.limit - 1) / options.limit;
    let data = if page < 1 || total < offset {
        Vec::new()
    } else {
        let rows = state
            .db
            .fetch_all(
                &format!(
                    "SELECT {} FROM {}{where_sql} ORDER BY updated_at DESC, created_at DESC, id \
                     LIMIT {} OFFSET {offset}",
                    model.columns(),
                    model.table,
                    options.limit
                ),
                &params,
                Some(model.table),
            )
            .await?;
        pick_fields(
            serialize(ctx, model, rows, options.relations, View::List).await?,
            &options.fields,
        )
    };
    Ok(json!({
        "data": data,
        "total": total,
        "nb_pages": nb_pages,
        "limit": options.limit,
        "offset": offset,
        "page": page,
    }))
}

async fn get(
    model: &'static Model,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let row = find(&state.db, model, parse_id(&id)?).await?;
    let options = ListOptions::read(&ctx.query, true)?;
    model.hooks.check_read(&ctx, &row).await?;
    let mut row = serialize(&ctx, model, vec![row], options.relations, View::One)
        .await?
        .remove(0);
    if options.relations {
        model.hooks.extend_one(&ctx, &mut row).await?;
    }
    Ok(HttpResponse::Ok().json(row))
}

/// The JSON object a create or update sends.
fn json_object(body: &[u8]) -> ApiResult<Map<String, Json>> {
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Object(object)) => Ok(object),
        Ok(Json::Null) | Err(_) if body.trim_ascii().is_empty() || body.trim_ascii() == b"null" => {
            Err(ApiError::bad_request(
                "Data are empty. Please verify that you sent JSON data and that you set the right headers.",
            ))
        }
        Ok(_) => Err(ApiError::bad_request("The data must be a JSON object.")),
        Err(_) => Err(ApiError::refused(crate::error::BAD_REQUEST)),
    }
}

fn integrity(message: String) -> ApiError {
    ApiError::Body(
        actix_web::http::StatusCode::BAD_REQUEST,
        json!({ "message": message }),
    )
}

/// A JSON value for a column: strict on ids, times and numbers; numbers and
/// booleans given for text columns are kept as their text, as Zou stores them.
fn column_value(key: &str, kind: ColumnKind, json: &Json) -> ApiResult<Value> {
    let json = match (kind, json) {
        (ColumnKind::Text, Json::Number(_) | Json::Bool(_)) => Json::String(json.to_string()),
        (ColumnKind::Uuid | ColumnKind::Timestamp | ColumnKind::Date, Json::String(s))
            if s.is_empty() =>
        {
            Json::Null
        }
        _ => json.clone(),
    };
    Value::from_json(kind, &json)
        .map_err(|error| integrity(format!("Invalid value for {key}: it {error}.")))
}

/// Refuses a value outside a choice column's set, before anything is written.
fn check_choices(model: &Model, data: &Map<String, Json>) -> ApiResult<()> {
    for (column, allowed) in model.hooks.choices() {
        match data.get(*column) {
            Some(Json::String(value)) if !allowed.contains(&value.as_str()) => {
                return Err(integrity(format!(
                    "Invalid value for {column}: it must be one of {}.",
                    allowed.join(", ")
                )))
            }
            _ => {}
        }
    }
    Ok(())
}

fn link_ids(key: &str, json: &Json) -> ApiResult<Vec<Uuid>> {
    let invalid = || {
        integrity(format!(
            "Invalid value for {key}: it must be a list of ids."
        ))
    };
    match json {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .map(|item| {
                let id = match item {
                    Json::String(id) => id.as_str(),
                    Json::Object(object) => object.get("id").and_then(Json::as_str).unwrap_or(""),
                    _ => "",
                };
                Uuid::parse_str(id).map_err(|_| invalid())
            })
            .collect(),
        _ => Err(invalid()),
    }
}

/// Splits request data into column values and link lists; unknown keys are
/// refused on create (Zou: "invalid keyword argument") and ignored on update.
#[allow(clippy::type_complexity)]
fn split_data(
    model: &Model,
    table: &Table,
    data: &Map<String, Json>,
    refuse_unknown: bool,
) -> ApiResult<(Vec<(String, Value)>, Vec<(&'static Relation, Vec<Uuid>)>)> {
    let mut columns = Vec::new();
    let mut links = Vec::new();
    for (key, json) in data {
        if model.hooks.request_only().contains(&key.as_str()) {
            continue;
        }
        if let Some(relation) = model.relations.iter().find(|r| r.key == key && r.writable) {
            links.push((relation, link_ids(key, json)?));
        } else if let Some(kind) = table.kind(key) {
            columns.push((key.clone(), column_value(key, kind, json)?));
        } else if refuse_unknown {
            return Err(integrity(format!(
                "'{key}' is an invalid keyword argument for {}",
                model.type_name
            )));
        }
    }
    Ok((columns, links))
}

/// Sets each relation's links to exactly the given ids, keeping the links
/// that stay (with whatever they carry, e.g. a priority) untouched.
async fn write_links(
    tx: &mut Tx,
    schema: &crate::db::Schema,
    id: Uuid,
    links: &[(&'static Relation, Vec<Uuid>)],
) -> ApiResult<()> {
    for (relation, ids) in links {
        let (table, own, other) = (relation.table, relation.own, relation.other);
        let mut params: Vec<Value> = vec![id.into()];
        params.extend(ids.iter().map(|other| Value::Uuid(*other)));
        let kept = if ids.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (2..=params.len()).map(|n| format!("${n}")).collect();
            format!(" AND {other} NOT IN ({})", marks.join(", "))
        };
        tx.execute(
            &format!("DELETE FROM {table} WHERE {own} = $1{kept}"),
            &params,
        )
        .await?;
        // Link tables that are models of their own have an id and timestamps.
        let has = |column: &str| {
            schema
                .table(table)
                .is_some_and(|t| t.kind(column).is_some())
        };
        let stamp = now();
        for other_id in ids {
            let mut values: Vec<(&str, Value)> =
                vec![(own, id.into()), (other, (*other_id).into())];
            if has("id") {
                values.push(("id", Uuid::now_v7().into()));
            }
            if has("created_at") {
                values.push(("created_at", stamp.into()));
                values.push(("updated_at", stamp.into()));
            }
            let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
            let marks: Vec<String> = (1..=values.len()).map(|n| format!("${n}")).collect();
            let params: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
            tx.execute(
                &format!(
                    "INSERT INTO {table} ({}) SELECT {} WHERE NOT EXISTS \
                     (SELECT 1 FROM {table} WHERE {own} = $1 AND {other} = $2)",
                    columns.join(", "),
                    marks.join(", ")
                ),
                &params,
            )
            .await?;
        }
    }
    Ok(())
}

async fn create(
    model: &'static Model,
    state: web::Data<AppState>,
    identity: Identity,
    body: web::Bytes,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut data = json_object(&body)?;
    model.hooks.check_create(&ctx, &data).await?;
    for protected in ["id", "created_at", "updated_at"] {
        data.remove(protected);
    }
    let table = table_of(&state, model)?;
    let mut tx = state.db.begin().await?;
    model.hooks.before_create(&ctx, &mut tx, &mut data).await?;
    for (column, value) in model.defaults {
        data.entry(*column).or_insert(value.json());
    }
    check_choices(model, &data)?;
    let (columns, links) = split_data(model, table, &data, true)?;
    let id = Uuid::now_v7();
    let stamp = now();
    let mut values: Vec<(&str, Value)> = vec![
        ("id", id.into()),
        ("created_at", stamp.into()),
        ("updated_at", stamp.into()),
    ];
    values.extend(
        columns
            .iter()
            .map(|(column, value)| (column.as_str(), value.clone())),
    );
    let row = tx.insert(model.table, &values).await?;
    let row = reread(&mut tx, model, row).await?;
    write_links(&mut tx, state.db.schema(), id, &links).await?;
    model
        .event("new", &row)
        .record(&mut tx, identity.person.id)
        .await?;
    let mut answer = if model.hooks.relations_after_create() {
        serialize_in(&ctx, model, &mut tx, row).await?
    } else {
        finish(&ctx, model, row, View::One)
    };
    model
        .hooks
        .after_create(&ctx, &mut tx, &mut answer, &data)
        .await?;
    tx.commit().await?;
    refresh_cache(&ctx, model, &answer).await?;
    attach_embeds(&state.db, model, std::slice::from_mut(&mut answer)).await?;
    Ok(HttpResponse::Created().json(answer))
}

/// Serializes a row written in `tx` with its relations, read in the same transaction.
async fn serialize_in(ctx: &Ctx<'_>, model: &Model, tx: &mut Tx, mut row: Row) -> ApiResult<Row> {
    let id = row.get("id").cloned().unwrap_or(Json::Null);
    for relation in model.relations {
        let items = tx
            .fetch_all(
                &format!(
                    "SELECT {other} AS item FROM {table} WHERE {own} = $1 ORDER BY {other}",
                    other = relation.other,
                    table = relation.table,
                    own = relation.own
                ),
                &[Value::from_json(ColumnKind::Uuid, &id).unwrap_or(Value::Null)],
                None,
            )
            .await?;
        let items: Vec<Json> = items
            .into_iter()
            .filter_map(|mut r| r.remove("item"))
            .collect();
        row.insert(relation.key.into(), Json::Array(items));
    }
    Ok(finish(ctx, model, row, View::One))
}

async fn update(
    model: &'static Model,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    body: web::Bytes,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let mut data = json_object(&body)?;
    let id = parse_id(&id)?;
    let row = find(&state.db, model, id).await?;
    model.hooks.check_update(&ctx, &row, &data).await?;
    for protected in ["id", "created_at", "updated_at", "project_id"] {
        data.remove(protected);
    }
    for protected in model.hooks.protected_on_update(&ctx, &row) {
        data.remove(protected);
    }
    let table = table_of(&state, model)?;
    for (key, value) in &data {
        if let (Some(ColumnKind::Timestamp | ColumnKind::Date), Some(text)) =
            (table.kind(key), value.as_str())
        {
            if !text.is_empty() && crate::db::parse_timestamp(text).is_none() {
                return Err(ApiError::bad_request(format!(
                    "Invalid date format for '{key}': '{text}'. Expected an ISO 8601 date or datetime."
                )));
            }
        }
    }
    let mut tx = state.db.begin().await?;
    model
        .hooks
        .before_update(&ctx, &mut tx, &row, &mut data)
        .await?;
    check_choices(model, &data)?;
    let (columns, links) = split_data(model, table, &data, false)?;
    let stamp = ("updated_at".to_string(), now().into());
    let updated = tx
        .update(model.table, id.into(), columns.into_iter().chain([stamp]))
        .await?
        .ok_or(ApiError::NotFound)?;
    let updated = reread(&mut tx, model, updated).await?;
    write_links(&mut tx, state.db.schema(), id, &links).await?;
    model
        .event("update", &updated)
        .record(&mut tx, identity.person.id)
        .await?;
    let mut answer = if model.hooks.relations_after_update() {
        serialize_in(&ctx, model, &mut tx, updated).await?
    } else {
        finish(&ctx, model, updated, View::One)
    };
    model
        .hooks
        .after_update(&ctx, &mut tx, &mut answer, &data)
        .await?;
    tx.commit().await?;
    refresh_cache(&ctx, model, &answer).await?;
    attach_embeds(&state.db, model, std::slice::from_mut(&mut answer)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

async fn delete(
    model: &'static Model,
    state: web::Data<AppState>,
    identity: Identity,
    id: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let ctx = Ctx::new(&state, &identity, &req);
    let id = parse_id(&id)?;
    let row = find(&state.db, model, id).await?;
    model.hooks.check_delete(&ctx, &row).await?;
    let force = ctx.forced();
    delete_row(&ctx, model, &row, force).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a row the caller was checked for, with the model's hooks, its
/// writable relations and its event, then refreshes the project's cache.
pub async fn delete_row(ctx: &Ctx<'_>, model: &Model, row: &Row, force: bool) -> ApiResult<()> {
    let id = id_of(&row["id"])?;
    let mut tx = ctx.db().begin().await?;
    model.hooks.before_delete(ctx, &mut tx, row, force).await?;
    for relation in model.relations.iter().filter(|r| r.writable) {
        tx.execute(
            &format!("DELETE FROM {} WHERE {} = $1", relation.table, relation.own),
            std::slice::from_ref(&id),
        )
        .await?;
    }
    tx.execute(
        &format!("DELETE FROM {} WHERE id = $1", model.table),
        std::slice::from_ref(&id),
    )
    .await
    .map_err(|error| match ApiError::from(error) {
        ApiError::Body(..) => model.hooks.still_referenced(),
        other => other,
    })?;
    model.hooks.after_delete(ctx, &mut tx, row).await?;
    model
        .event("delete", row)
        .record(&mut tx, ctx.identity.person.id)
        .await?;
    tx.commit().await?;
    model.hooks.deleted(ctx, row, force);
    refresh_cache(ctx, model, row).await
}
