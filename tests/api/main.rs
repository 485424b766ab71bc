//! The API's integration tests, as one test binary: each module drives a real
//! Tusk over HTTP (see `common`). One binary links the application once, where
//! a binary per file linked it 59 times (minutes of linking, and 6 GB more
//! of disk on every CI run).

mod common;

mod auth;
mod avatars;
mod breakdown_create;
mod breakdown_kinds;
mod budgets;
mod casting;
mod comment_previews;
mod comment_threads;
mod comments;
mod concepts;
mod crud_breakdown;
mod crud_comments_files;
mod crud_engine;
mod crud_persons;
mod crud_production;
mod crud_projects;
mod crud_reference;
mod crud_studio;
mod crud_templates_links;
mod departments;
mod descriptors;
mod entity_lists;
mod export;
mod golden;
mod instances;
mod news;
mod notifications;
mod open_tasks;
mod password_reset;
mod person_actions;
mod person_tasks;
mod person_time;
mod preview_account;
mod preview_pictures;
mod project_settings;
mod project_tasks;
mod quota_shots;
mod quotas;
mod schedule_versions;
mod schedules;
mod service;
mod sharing;
mod stats;
mod storage;
mod subscriptions;
mod task_actions;
mod task_create;
mod task_delete;
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
