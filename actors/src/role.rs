//! The roles Zou gives a person, studio-wide (`person.role`) or per project
//! (`project_person_link.role`, which overrides the studio role when set).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Supervisor,
    /// An artist: Zou stores it as `user`.
    User,
    Client,
    Vendor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Manager,
        Role::Supervisor,
        Role::User,
        Role::Client,
        Role::Vendor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Supervisor => "supervisor",
            Role::User => "user",
            Role::Client => "client",
            Role::Vendor => "vendor",
        }
    }

    /// Admins and managers run productions: Zou's `check_manager_permissions`.
    pub fn is_manager_or_above(self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// The role in effect on a project: a per-project override wins, except that
    /// admin is studio-wide only, in both directions (Zou ignores an `admin`
    /// override and never lowers an admin).
    pub fn in_project(self, project_override: Option<Role>) -> Role {
        match (self, project_override) {
            (Role::Admin, _) => Role::Admin,
            (_, Some(role)) if role != Role::Admin => role,
            (role, _) => role,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not a valid role", self.0)
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_role_back_from_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("artist".parse::<Role>(), Err(UnknownRole("artist".into())));
    }

    #[test]
    fn project_override_never_touches_admin() {
        assert_eq!(Role::Admin.in_project(Some(Role::User)), Role::Admin);
        assert_eq!(Role::User.in_project(Some(Role::Admin)), Role::User);
        assert_eq!(Role::User.in_project(Some(Role::Manager)), Role::Manager);
        assert_eq!(Role::Manager.in_project(None), Role::Manager);
    }
}
