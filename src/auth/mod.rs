//! Who is calling: passwords, JWTs as Zou issues them, token revocation and the
//! [`Identity`] extractor every authenticated route takes.

pub mod identity;
pub mod jwt;
pub mod password;
pub mod reset_tokens;
pub mod revocation;

pub use identity::Identity;
