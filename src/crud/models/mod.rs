//! One registration per Zou model served under `/data/<route>`.

pub(crate) mod comments;
mod comms;
pub mod entities;
pub(crate) mod files;
pub mod persons;
mod production;
pub mod projects;
mod reference;
mod studio;
mod templates;

use super::Model;

/// Every model the CRUD engine serves.
pub static ALL: &[&Model] = &[
    &persons::PERSONS,
    &projects::PROJECTS,
    &templates::PROJECT_TEMPLATES,
    &entities::ENTITIES,
    &entities::TASKS,
    &reference::DEPARTMENTS,
    &reference::ENTITY_TYPES,
    &reference::FILE_STATUS,
    &reference::OUTPUT_TYPES,
    &reference::PROJECT_STATUS,
    &reference::SOFTWARES,
    &reference::STUDIOS,
    &reference::TASK_STATUS,
    &reference::TASK_TYPES,
    &reference::HARDWARE_ITEMS,
    &reference::CUSTOM_ACTIONS,
    &reference::STATUS_AUTOMATIONS,
    &reference::ORGANISATIONS,
    &studio::PLUGINS,
    &studio::SEARCH_FILTERS,
    &studio::SEARCH_FILTER_GROUPS,
    &studio::PREVIEW_BACKGROUND_FILES,
    &studio::SALARY_SCALES,
    &studio::DAY_OFFS,
    &production::MILESTONES,
    &production::SCHEDULE_ITEMS,
    &production::PRODUCTION_SCHEDULE_VERSIONS,
    &production::PRODUCTION_SCHEDULE_VERSION_TASK_LINKS,
    &production::BUDGETS,
    &production::BUDGET_ENTRIES,
    &production::ENTITY_LINKS,
    &production::METADATA_DESCRIPTORS,
    &production::ASSET_INSTANCES,
    &production::TIME_SPENTS,
    &production::PLAYLISTS,
    &comments::COMMENTS,
    &files::WORKING_FILES,
    &files::OUTPUT_FILES,
    &files::PREVIEW_FILES,
    &files::ATTACHMENT_FILES,
    &comms::CHAT_MESSAGES,
    &comms::CHATS,
    &comms::NEWS,
    &comms::NOTIFICATIONS,
    &comms::SUBSCRIPTIONS,
    &comms::EVENTS,
];
