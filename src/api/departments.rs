//! Departments: the hardware and software each one uses (admins only), and
//! its members.

use super::budgets::uuid;
use super::{body_fields, typed, Route};
use crate::app::AppState;
use crate::auth::Identity;
use crate::crud::models::persons::name_card;
use crate::db::{now, Row, Value};
use crate::error::{ApiError, ApiResult};
use crate::persons::Person;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value as Json};
use tusk_actors::role::Role;
use uuid::Uuid;

pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/data/departments/hardware-items",
            "Get the hardware items of every department",
            |r| r.to(|s, i| all_links(s, i, &HARDWARE)),
        ),
        Route::new(
            Method::GET,
            "/data/departments/software-licenses",
            "Get the software licenses of every department",
            |r| r.to(|s, i| all_links(s, i, &SOFTWARE)),
        ),
        Route::new(
            Method::POST,
            "/data/departments/{department_id}/hardware-items",
            "Link a hardware item to a department",
            |r| r.to(|s, i, p, q, b| add_link(s, i, p, q, b, &HARDWARE)),
        ),
        Route::new(
            Method::POST,
            "/data/departments/{department_id}/software-licenses",
            "Link a software license to a department",
            |r| r.to(|s, i, p, q, b| add_link(s, i, p, q, b, &SOFTWARE)),
        ),
        Route::new(
            Method::GET,
            "/data/departments/{department_id}/hardware-items/{hardware_item_id}",
            "Get a hardware item of a department",
            |r| r.to(|s, i, p| linked_item(s, i, p, &HARDWARE)),
        ),
        Route::new(
            Method::GET,
            "/data/departments/{department_id}/software-licenses/{software_id}",
            "Get a software license of a department",
            |r| r.to(|s, i, p| linked_item(s, i, p, &SOFTWARE)),
        ),
        Route::new(
            Method::DELETE,
            "/data/departments/{department_id}/hardware-items/{hardware_item_id}",
            "Unlink a hardware item from a department",
            |r| r.to(|s, i, p| remove_link(s, i, p, &HARDWARE)),
        ),
        Route::new(
            Method::DELETE,
            "/data/departments/{department_id}/software-licenses/{software_id}",
            "Unlink a software license from a department",
            |r| r.to(|s, i, p| remove_link(s, i, p, &SOFTWARE)),
        ),
        Route::new(
            Method::GET,
            "/data/departments/{department_id}/persons",
            "Get the members of a department",
            |r| r.to(members),
        ),
    ]
}

/// One kind of equipment a department is linked to.
struct Equipment {
    table: &'static str,
    type_name: &'static str,
    link_table: &'static str,
    link_type: &'static str,
    /// The link's column naming the item, also the body field of a new link.
    column: &'static str,
}

impl Equipment {
    /// `FROM` the link table, the link of department `$1` and item `$2`.
    fn the_link(&self) -> String {
        format!(
            "FROM {} WHERE department_id = $1 AND {} = $2",
            self.link_table, self.column
        )
    }
}

const HARDWARE: Equipment = Equipment {
    table: "hardware_item",
    type_name: "HardwareItem",
    link_table: "hardware_item_department_link",
    link_type: "HardwareItemDepartmentLink",
    column: "hardware_item_id",
};

const SOFTWARE: Equipment = Equipment {
    table: "software",
    type_name: "Software",
    link_table: "software_department_link",
    link_type: "SoftwareDepartmentLink",
    column: "software_id",
};

/// The department (the given error when unknown).
pub(super) async fn department_or(state: &AppState, id: Uuid, unknown: ApiError) -> ApiResult<()> {
    state
        .db
        .fetch_optional(
            "SELECT id FROM department WHERE id = $1",
            &[id.into()],
            None,
        )
        .await?
        .map(|_| ())
        .ok_or(unknown)
}

async fn department(state: &AppState, id: Uuid) -> ApiResult<()> {
    department_or(state, id, ApiError::NotFound).await
}

/// The item (404 when unknown).
async fn item(state: &AppState, kind: &Equipment, id: Uuid) -> ApiResult<Row> {
    state
        .db
        .fetch_optional(
            &format!("SELECT * FROM {} WHERE id = $1", kind.table),
            &[id.into()],
            Some(kind.table),
        )
        .await?
        .ok_or(ApiError::NotFound)
}

async fn all_links(
    state: web::Data<AppState>,
    identity: Identity,
    kind: &Equipment,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let rows = state
        .db
        .fetch_all(
            &format!(
                "SELECT l.department_id AS link_department_id, i.* FROM {link} l \
                 JOIN {table} i ON i.id = l.{column} ORDER BY l.department_id, i.name",
                link = kind.link_table,
                table = kind.table,
                column = kind.column
            ),
            &[],
            Some(kind.table),
        )
        .await?;
    let mut by_department: Map<String, Json> = Map::new();
    for mut row in rows {
        let department = row
            .remove("link_department_id")
            .and_then(|id| id.as_str().map(str::to_string))
            .unwrap_or_default();
        let items = by_department
            .entry(department)
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Json::Array(items) = items {
            items.extend(typed(vec![row], kind.type_name));
        }
    }
    Ok(HttpResponse::Ok().json(by_department))
}

async fn add_link(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
    kind: &Equipment,
) -> ApiResult<HttpResponse> {
    identity.require_admin()?;
    let fields = body_fields(&req, &body)?;
    let item_id = super::body_uuid(&fields, kind.column)?;
    let department_id = uuid(&path)?;
    department(&state, department_id).await?;
    item(&state, kind, item_id).await?;
    let find = format!("SELECT * {}", kind.the_link());
    let key = [Value::Uuid(department_id), Value::Uuid(item_id)];
    let mut tx = state.db.begin().await?;
    let link = match tx
        .fetch_optional(&find, &key, Some(kind.link_table))
        .await?
    {
        Some(link) => link,
        None => {
            let stamp = now();
            tx.insert(
                kind.link_table,
                &[
                    ("id", Uuid::now_v7().into()),
                    ("department_id", department_id.into()),
                    (kind.column, item_id.into()),
                    ("created_at", stamp.into()),
                    ("updated_at", stamp.into()),
                ],
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(HttpResponse::Created().json(typed(vec![link], kind.link_type).remove(0)))
}

/// Both path ids, checked as Zou does: admin, formats, then the department,
/// then the item.
async fn department_and_item(
    state: &AppState,
    identity: &Identity,
    path: &(String, String),
    kind: &Equipment,
) -> ApiResult<(Uuid, Uuid, Row)> {
    identity.require_admin()?;
    let (department_id, item_id) = (uuid(&path.0)?, uuid(&path.1)?);
    department(state, department_id).await?;
    Ok((department_id, item_id, item(state, kind, item_id).await?))
}

/// The item when it is linked to the department, else 404.
async fn linked_item(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    kind: &Equipment,
) -> ApiResult<HttpResponse> {
    let (department_id, item_id, found) =
        department_and_item(&state, &identity, &path, kind).await?;
    let linked = state
        .db
        .fetch_optional(
            &format!("SELECT id {}", kind.the_link()),
            &[department_id.into(), item_id.into()],
            None,
        )
        .await?;
    if linked.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok().json(typed(vec![found], kind.type_name).remove(0)))
}

async fn remove_link(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<(String, String)>,
    kind: &Equipment,
) -> ApiResult<HttpResponse> {
    let (department_id, item_id, _) = department_and_item(&state, &identity, &path, kind).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        &format!("DELETE {}", kind.the_link()),
        &[department_id.into(), item_id.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The department's members: whole records for admins, name cards for the
/// studio. Clients are refused: they see only their teammates elsewhere.
async fn members(
    state: web::Data<AppState>,
    identity: Identity,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if identity.person.role == Role::Client {
        return Err(ApiError::Forbidden);
    }
    let department_id = uuid(&path)?;
    department(&state, department_id).await?;
    let rows = state
        .db
        .fetch_all(
            "SELECT p.* FROM person p JOIN department_link l ON l.person_id = p.id \
             WHERE l.department_id = $1 ORDER BY p.first_name, p.last_name, p.id",
            &[department_id.into()],
            Some("person"),
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let person = Person::from_row(row)?;
        let departments = person.department_ids(&state.db).await?;
        let full = person.to_json(departments);
        out.push(if identity.is_admin() {
            full
        } else {
            match full {
                Json::Object(row) => Json::Object(name_card(row)),
                other => other,
            }
        });
    }
    Ok(HttpResponse::Ok().json(out))
}
