//! What every request pays before its handler runs: verifying the JWT,
//! loading the caller, the revocation check, and the project-role check, on
//! a SQLite studio of 300 people.
//!
//! `cargo bench --bench hot_paths`

use criterion::{criterion_group, criterion_main, Criterion};
use tusk::auth::jwt::{self, Claims, TokenType};
use tusk::auth::{revocation, Identity};
use tusk::db::{now, Db};
use tusk::persons::{self, NewPerson, Person};
use tusk_actors::role::Role;
use uuid::Uuid;

const SECRET: &str = "bench-secret";

fn tokens(c: &mut Criterion) {
    let stamp = chrono::Utc::now().timestamp();
    let claims = Claims::for_person(Uuid::now_v7(), TokenType::Access, stamp);
    let token = jwt::encode(&claims, SECRET);
    c.bench_function("jwt: sign an access token", |b| {
        b.iter(|| jwt::encode(&claims, SECRET))
    });
    c.bench_function("jwt: verify an access token", |b| {
        b.iter(|| jwt::decode(&token, SECRET, stamp).unwrap())
    });
}

/// A studio of 300 people, all in one project's team; returns the last
/// person (the one the checks are about) and the project.
async fn studio(db: &Db) -> anyhow::Result<(Person, Uuid)> {
    tusk::db::seed::init_data(db).await?;
    let project = Uuid::now_v7();
    let status = db
        .fetch_optional(
            "SELECT id FROM project_status WHERE name = 'Open'",
            &[],
            None,
        )
        .await?
        .and_then(|row| row["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .ok_or_else(|| anyhow::anyhow!("no Open project status"))?;
    let mut tx = db.begin().await?;
    tx.insert(
        "project",
        &[
            ("id", project.into()),
            ("name", "Bench".into()),
            ("production_style", "2d3d".into()),
            ("project_status_id", status.into()),
            ("created_at", now().into()),
            ("updated_at", now().into()),
        ],
    )
    .await?;
    let mut last = None;
    for n in 0..300 {
        let email = format!("artist{n}@bench.example");
        let row = persons::insert(
            &mut tx,
            NewPerson {
                first_name: "Artist",
                last_name: "Bench",
                email: &email,
                role: Role::User,
                password_hash: None,
                locale: "en_US",
                timezone: "Europe/Paris",
            },
        )
        .await?;
        let id = Uuid::parse_str(row["id"].as_str().unwrap_or_default())?;
        tx.insert(
            "project_person_link",
            &[("project_id", project.into()), ("person_id", id.into())],
        )
        .await?;
        last = Some(id);
    }
    tx.commit().await?;
    let person = Person::find(db, last.unwrap_or_default())
        .await?
        .ok_or_else(|| anyhow::anyhow!("person not found"))?;
    Ok((person, project))
}

fn per_request(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("tusk-hot-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = runtime
        .block_on(Db::connect(&tusk::Config::sqlite_url(&dir)))
        .unwrap();
    let (person, project) = runtime.block_on(studio(&db)).unwrap();
    let claims = Claims::for_person(person.id, TokenType::Access, chrono::Utc::now().timestamp());
    let identity = Identity { person, claims };
    c.bench_function("auth: load the caller", |b| {
        b.iter(|| {
            runtime
                .block_on(Person::find(&db, identity.person.id))
                .unwrap()
        })
    });
    c.bench_function("auth: revocation check", |b| {
        b.iter(|| {
            runtime
                .block_on(revocation::is_revoked(&db, &identity.claims.jti))
                .unwrap()
        })
    });
    c.bench_function("permission: a team member's project role", |b| {
        b.iter(|| {
            runtime
                .block_on(identity.project_role(&db, project))
                .unwrap()
        })
    });
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, tokens, per_request);
criterion_main!(benches);
