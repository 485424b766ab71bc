//! Tusk: a production-tracking server that speaks Zou's HTTP API.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod crud;
pub mod db;
pub mod error;
pub mod events;
pub mod organisation;
pub mod permissions;
pub mod persons;
pub mod projects;
pub mod slug;
pub mod storage;

pub use app::{Application, FirstAdmin};
pub use config::Config;
