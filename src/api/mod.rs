//! The route table: one list that registers every route (at the root and under
//! `/api`) and produces `/openapi.json`, so the two can never disagree.

mod answers;
mod asset_types;
mod attachments;
mod auth;
mod avatars;
mod breakdown;
mod breakdown_create;
mod budgets;
mod casting;
mod comment_previews;
mod comment_threads;
mod comments;
mod concepts;
mod departments;
mod descriptors;
mod entity_lists;
mod export;
mod index;
mod instances;
mod news;
mod notifications;
mod open_tasks;
mod password_reset;
mod person_actions;
mod person_tasks;
mod person_time;
mod pictures;
mod preview_account;
mod preview_pictures;
mod preview_uploads;
mod project_links;
mod project_settings;
mod project_tasks;
mod quota_shots;
mod quotas;
mod schedule_versions;
mod schedules;
mod sharing;
mod stats;
mod subscriptions;
mod task_actions;
mod task_create;
pub(crate) mod task_delete;
mod task_pages;
mod task_preview;
mod tasks_to_check;
mod todo;
mod user_avatar;
mod user_chats;
mod user_context;
mod user_filters;
mod user_lists;
mod user_time;
mod with_tasks;

pub use answers::{remembered, AnswerCache};
pub use breakdown::Kind;
/// The cached breakdown views, public for the benchmarks.
pub use with_tasks::{build as build_with_tasks, EntityView, Filter, ViewCache, Viewer};

use crate::error::{ApiError, ApiResult, BAD_REQUEST};
use actix_web::http::Method;
use actix_web::{web, HttpMessage, HttpRequest};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// The Zou API version Tusk answers as.
pub const ZOU_VERSION: &str = "1.0.97";

pub struct Route {
    pub method: Method,
    pub path: String,
    pub summary: String,
    /// Attaches the handler: `|route| route.to(handler)`.
    attach: Box<dyn Fn(actix_web::Route) -> actix_web::Route>,
}

impl Route {
    pub fn new(
        method: Method,
        path: impl Into<String>,
        summary: impl Into<String>,
        attach: impl Fn(actix_web::Route) -> actix_web::Route + 'static,
    ) -> Route {
        Route {
            method,
            path: path.into(),
            summary: summary.into(),
            attach: Box::new(attach),
        }
    }
}

/// Every served route.
pub fn table() -> Vec<Route> {
    [
        index::routes(),
        auth::routes(),
        crate::crud::routes(),
        project_links::routes(),
        asset_types::routes(),
        breakdown::routes(),
        with_tasks::routes(),
        project_settings::routes(),
        casting::routes(),
        export::routes(),
        breakdown_create::routes(),
        sharing::routes(),
        descriptors::routes(),
        stats::routes(),
        budgets::routes(),
        entity_lists::routes(),
        instances::routes(),
        schedules::routes(),
        news::routes(),
        concepts::routes(),
        schedule_versions::routes(),
        quotas::routes(),
        preview_account::routes(),
        task_actions::routes(),
        task_create::routes(),
        task_delete::routes(),
        task_preview::routes(),
        project_tasks::routes(),
        open_tasks::routes(),
        person_tasks::routes(),
        task_pages::routes(),
        todo::routes(),
        tasks_to_check::routes(),
        user_filters::routes(),
        user_context::routes(),
        notifications::routes(),
        subscriptions::routes(),
        user_time::routes(),
        user_lists::routes(),
        user_chats::routes(),
        user_avatar::routes(),
        comments::routes(),
        departments::routes(),
        comment_threads::routes(),
        comment_previews::routes(),
        attachments::routes(),
        person_actions::routes(),
        password_reset::routes(),
        person_time::routes(),
        quota_shots::routes(),
        avatars::routes(),
        preview_uploads::routes(),
        preview_pictures::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let table = table();
    let mut by_path: BTreeMap<&str, Vec<&Route>> = BTreeMap::new();
    for route in &table {
        by_path.entry(&route.path).or_default().push(route);
    }
    cfg.service(web::scope("/api").configure(|api| register(api, &by_path, "")));
    register(cfg, &by_path, "/");
}

/// Registers the resources, grouped in scopes by their first two segments
/// when these are fixed: actix tries a request against each resource of a
/// list in turn (a regex run for each with a parameter), so a flat list of
/// the 1,200 resources cost every request a thousand regex runs, while a
/// scope is passed over on a prefix comparison. `root` is the path `/` takes.
fn register(cfg: &mut web::ServiceConfig, by_path: &BTreeMap<&str, Vec<&Route>>, root: &str) {
    let mut groups: BTreeMap<&str, Vec<(&str, &[&Route])>> = BTreeMap::new();
    for (path, routes) in by_path {
        match scope_of(path) {
            Some(prefix) => groups
                .entry(prefix)
                .or_default()
                .push((&path[prefix.len()..], routes)),
            None if *path == "/" => {
                cfg.service(resource(root, routes));
            }
            None => {
                cfg.service(resource(path, routes));
            }
        }
    }
    for (prefix, mut members) in groups {
        // actix tries resources in order and `{id}` also matches `x.png`: a
        // path that extends another (`{id}.png`, `{id}.{extension}`) goes first.
        members.sort_by(|(a, _), (b, _)| extended_first(a).cmp(extended_first(b)));
        let mut scope = web::scope(prefix);
        for (rest, routes) in members {
            scope = scope.service(resource(rest, routes));
        }
        cfg.service(scope);
    }
}

/// A path's characters, then one that sorts after all of them.
fn extended_first(path: &str) -> impl Iterator<Item = char> + '_ {
    path.chars().chain(std::iter::once(char::MAX))
}

/// The first two segments of a path, when both are fixed: `/data/projects`
/// for `/data/projects/{id}/team`.
fn scope_of(path: &str) -> Option<&str> {
    let mut ends = path.match_indices('/').map(|(at, _)| at).skip(1);
    let second_start = ends.next()?;
    let end = ends.next().unwrap_or(path.len());
    let prefix = &path[..end];
    (second_start + 1 < end && !prefix.contains('{')).then_some(prefix)
}

fn resource(path: &str, routes: &[&Route]) -> actix_web::Resource {
    let mut resource = web::resource(path).default_service(web::to(method_not_allowed));
    for route in routes {
        resource = resource.route((route.attach)(web::method(route.method.clone())));
        // As in Flask, every GET also answers HEAD (clients probe hosts with it).
        if route.method == Method::GET {
            resource = resource.route((route.attach)(web::method(Method::HEAD)));
        }
    }
    resource
}

async fn method_not_allowed() -> ApiResult<actix_web::HttpResponse> {
    Err(ApiError::MethodNotAllowed)
}

/// The OpenAPI document of the served routes.
pub fn openapi() -> Json {
    let table = table();
    let mut paths: BTreeMap<&str, Map<String, Json>> = BTreeMap::new();
    for route in &table {
        let parameters: Vec<Json> = route
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        paths.entry(&route.path).or_default().insert(
            route.method.as_str().to_lowercase(),
            json!({
                "summary": route.summary,
                "parameters": parameters,
                "responses": {"200": {"description": "Success"}},
            }),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Tusk",
            "description": "Tusk serves Zou's API; these are the routes this build serves.",
            "version": ZOU_VERSION,
        },
        "paths": paths,
    })
}

/// Rows as Zou shows them: each with its model's `type`.
pub(crate) fn typed(rows: Vec<crate::db::Row>, type_name: &str) -> Vec<Json> {
    rows.into_iter()
        .map(|mut row| {
            row.insert("type".into(), json!(type_name));
            Json::Object(row)
        })
        .collect()
}

/// A request's fields: a JSON object body, or a form body, with query-string
/// parameters as a fallback (Zou's request parsers accept all three).
pub fn body_fields(req: &HttpRequest, body: &[u8]) -> ApiResult<Map<String, Json>> {
    let mut fields = Map::new();
    let content_type = req.content_type();
    let trimmed = body.trim_ascii();
    if content_type.contains("json") || trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        if !trimmed.is_empty() {
            match serde_json::from_slice(trimmed) {
                Ok(Json::Object(object)) => fields = object,
                Ok(_) => {
                    return Err(ApiError::bad_request(
                        "The request body must be a JSON object.",
                    ))
                }
                Err(_) => return Err(ApiError::refused(BAD_REQUEST)),
            }
        }
    } else if !trimmed.is_empty() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(trimmed)
            .map_err(|_| ApiError::bad_request("The form body could not be read."))?;
        fields.extend(pairs.into_iter().map(|(k, v)| (k, Json::String(v))));
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    for (key, value) in query {
        fields.entry(key).or_insert(Json::String(value));
    }
    Ok(fields)
}

/// A required UUID field of a request body, with Zou's validation errors.
pub(crate) fn body_uuid(fields: &Map<String, Json>, key: &str) -> ApiResult<uuid::Uuid> {
    match fields.get(key) {
        None | Some(Json::Null) => Err(ApiError::invalid_field(key, "Field required")),
        Some(Json::String(id)) => uuid::Uuid::parse_str(id)
            .map_err(|_| ApiError::invalid_field(key, "Input should be a valid UUID")),
        Some(_) => Err(ApiError::invalid_field(
            key,
            "UUID input should be a string, bytes or UUID object",
        )),
    }
}

/// Python's `round`: halves go to the even neighbour, as Zou's counts do.
/// A JSON string as an owned `String`; anything else is empty.
pub(crate) fn text_of(value: &Json) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A row's text column as an owned `String`; absent or not text is empty.
pub(crate) fn text(row: &crate::db::Row, key: &str) -> String {
    row.get(key).map_or_else(String::new, text_of)
}

pub(crate) fn round_half_even(value: f64) -> i64 {
    let floor = value.floor();
    if (value - floor - 0.5).abs() < 1e-9 {
        if floor % 2.0 == 0.0 {
            floor as i64
        } else {
            floor as i64 + 1
        }
    } else {
        value.round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::{round_half_even, scope_of};

    #[test]
    fn routes_are_scoped_by_their_two_first_fixed_segments() {
        assert_eq!(scope_of("/data/projects/{id}/team"), Some("/data/projects"));
        assert_eq!(scope_of("/data/projects"), Some("/data/projects"));
        assert_eq!(scope_of("/auth/login"), Some("/auth/login"));
        assert_eq!(scope_of("/status"), None);
        assert_eq!(scope_of("/"), None);
        assert_eq!(scope_of("/data/{model}/x"), None);
    }

    #[test]
    fn halves_round_to_even_as_in_python() {
        for (value, rounded) in [
            (12.5, 12),
            (13.5, 14),
            (96.48, 96),
            (0.0, 0),
            (23.6, 24),
            (-0.5, 0),
        ] {
            assert_eq!(round_half_even(value), rounded, "{value}");
        }
    }
}
