//! Answers of read routes computed from the database alone, kept until the
//! next committed write: the user context, the to-do lists, the open tasks
//! and the CRUD lists are asked again and again between writes (every page
//! load of every artist), and each costs many queries to write.
//!
//! An answer is kept for its URL and its caller at the database's write
//! count ([`Db::writes`](crate::db::Db::writes)): any write anywhere drops
//! them all, so nothing kept can be staler than a read made at the same
//! moment. Only routes whose answer depends on nothing but the database, the
//! caller and the URL may use it (not the project actors' state, which is
//! refreshed after the write is counted).

use crate::app::AppState;
use crate::auth::Identity;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use uuid::Uuid;

pub struct AnswerCache {
    budget: usize,
    inner: Mutex<Answers>,
}

#[derive(Default)]
struct Answers {
    /// The write count the answers were computed at.
    writes: u64,
    by_request: HashMap<(String, Uuid), web::Bytes>,
    bytes: usize,
}

impl AnswerCache {
    pub fn new(budget: usize) -> AnswerCache {
        AnswerCache {
            budget,
            inner: Mutex::default(),
        }
    }

    fn get(&self, writes: u64, key: &(String, Uuid)) -> Option<web::Bytes> {
        let answers = self.lock();
        (answers.writes == writes)
            .then(|| answers.by_request.get(key).cloned())
            .flatten()
    }

    fn keep(&self, writes: u64, key: (String, Uuid), bytes: web::Bytes) {
        let mut answers = self.lock();
        if answers.writes != writes {
            if writes < answers.writes {
                return;
            }
            *answers = Answers {
                writes,
                ..Default::default()
            };
        }
        if answers.bytes + bytes.len() > self.budget {
            return;
        }
        answers.bytes += bytes.len();
        answers.by_request.insert(key, bytes);
    }

    /// A poisoned lock only means a panic elsewhere mid-update: start afresh.
    fn lock(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = Answers::default();
            guard
        })
    }
}

/// The answer to this request by this caller: kept from an earlier identical
/// request if nothing was written since, otherwise computed (and kept if
/// still nothing was written meanwhile).
pub async fn remembered<T, F>(
    state: &AppState,
    identity: &Identity,
    req: &HttpRequest,
    compute: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize,
    F: Future<Output = ApiResult<T>>,
{
    let writes = state.db.writes();
    let key = (req.uri().to_string(), identity.person.id);
    let bytes = match state.answers.get(writes, &key) {
        Some(bytes) => bytes,
        None => {
            let answer = compute.await?;
            let bytes = web::Bytes::from(serde_json::to_vec(&answer).map_err(ApiError::internal)?);
            if state.db.writes() == writes {
                state.answers.keep(writes, key, bytes.clone());
            }
            bytes
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_last_until_the_next_write_and_fit_the_budget() {
        let cache = AnswerCache::new(10);
        let key = ("/data/user/context".to_string(), Uuid::nil());
        cache.keep(3, key.clone(), web::Bytes::from_static(b"[1]"));
        assert_eq!(cache.get(3, &key).as_deref(), Some(&b"[1]"[..]));
        assert_eq!(cache.get(4, &key), None);
        // An answer of an older count never replaces newer ones.
        cache.keep(4, key.clone(), web::Bytes::from_static(b"[2]"));
        cache.keep(3, key.clone(), web::Bytes::from_static(b"[1]"));
        assert_eq!(cache.get(4, &key).as_deref(), Some(&b"[2]"[..]));
        let other = ("/data/persons".to_string(), Uuid::nil());
        cache.keep(4, other.clone(), web::Bytes::from_static(b"[0123456789]"));
        assert_eq!(cache.get(4, &other), None);
    }
}
