//! Tusk's domain types and its per-project actors. No HTTP and no SQL here:
//! the actors reach storage through the [`project::ProjectStore`] trait that
//! the server implements.

pub mod project;
pub mod role;
pub mod thumbnails;
