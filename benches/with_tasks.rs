//! The hot path of the breakdown pages: writing `/data/shots/with-tasks`
//! and `/data/assets/with-tasks` from a project actor's cached state, for a
//! production of 10,000 shots (40,000 tasks) and 1,000 assets cast in them.
//!
//! `cargo bench --bench with_tasks`

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use tusk::api::{build_with_tasks, Filter, Kind, Viewer};
use tusk_actors::project::{ProjectState, Row};

fn row(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 10 episodes × 10 sequences × 100 shots, 4 tasks each; 1,000 assets, each
/// cast in 10 shots.
fn production() -> (ProjectState, String) {
    let (mut entities, mut tasks, mut links) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let project = uuid();
    let task_types: Vec<String> = (0..4).map(|_| uuid()).collect();
    let status = uuid();
    let mut shots = Vec::new();
    let mut first_episode = String::new();
    for e in 0..10 {
        let episode = uuid();
        if e == 0 {
            first_episode = episode.clone();
        }
        entities.insert(
            episode.clone(),
            row(
                json!({"id": episode, "name": format!("E{e:02}"), "entity_type_name": "Episode",
                       "project_id": project, "parent_id": null, "data": {}, "canceled": false}),
            ),
        );
        for q in 0..10 {
            let sequence = uuid();
            entities.insert(
                sequence.clone(),
                row(json!({"id": sequence, "name": format!("SQ{q:02}"), "entity_type_name": "Sequence",
                           "project_id": project, "parent_id": episode, "data": {}, "canceled": false})),
            );
            for s in 0..100 {
                let shot = uuid();
                entities.insert(
                    shot.clone(),
                    row(json!({"id": shot, "name": format!("SH{s:03}"), "entity_type_name": "Shot",
                               "project_id": project, "parent_id": sequence, "nb_frames": 48,
                               "data": {"frame_in": 1, "frame_out": 48, "fps": "24"}, "canceled": false,
                               "description": null, "preview_file_id": null, "source_id": null,
                               "nb_entities_out": 10, "is_casting_standby": false})),
                );
                for task_type in &task_types {
                    let task = uuid();
                    tasks.insert(
                        task.clone(),
                        row(json!({"id": task, "entity_id": shot, "task_type_id": task_type,
                                   "task_status_id": status, "assignees": [uuid()], "priority": 0,
                                   "duration": 0.0, "estimation": 0.0, "retake_count": 0, "data": {}})),
                    );
                }
                shots.push(shot);
            }
        }
    }
    let character = uuid();
    for a in 0..1000 {
        let asset = uuid();
        entities.insert(
            asset.clone(),
            row(
                json!({"id": asset, "name": format!("Asset{a:04}"), "entity_type_name": "Character",
                       "entity_type_id": character, "project_id": project, "parent_id": null,
                       "source_id": null, "data": {}, "canceled": false, "is_shared": false}),
            ),
        );
        for c in 0..10 {
            let link = uuid();
            let shot = &shots[(a * 10 + c) % shots.len()];
            links.insert(
                link.clone(),
                row(json!({"id": link, "entity_in_id": shot, "entity_out_id": asset, "nb_occurences": 1})),
            );
        }
    }
    (ProjectState::new(entities, tasks, links), first_episode)
}

fn viewer() -> Viewer {
    Viewer {
        subscribed: HashSet::new(),
        only_assigned_to: None,
        hidden_fields: HashSet::new(),
    }
}

/// The answer's bytes, as the endpoint writes them.
fn answer(state: &ProjectState, kind: Kind, name: &Value, filter: &Filter) -> Vec<u8> {
    let viewer = viewer();
    serde_json::to_vec(&build_with_tasks(state, kind, name, filter, &viewer)).unwrap_or_default()
}

fn views(c: &mut Criterion) {
    let (state, episode) = production();
    let name = json!("Big Show");
    let all = Filter { episode: None };
    let one_episode = Filter {
        episode: Some(episode),
    };
    c.bench_function("shots with tasks, 10k shots", |b| {
        b.iter(|| answer(&state, Kind::Shot, &name, &all))
    });
    c.bench_function("shots with tasks, one episode of 1k shots", |b| {
        b.iter(|| answer(&state, Kind::Shot, &name, &one_episode))
    });
    c.bench_function("assets with tasks, 1k assets cast in 10k shots", |b| {
        b.iter(|| answer(&state, Kind::Asset, &name, &all))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = views
}
criterion_main!(benches);
