//! What a caller of the management API may do: Auth0's Management API scope names. An API
//! token (`askonce token create`) holds some; a machine application (`non_interactive`) is
//! allowed some and receives them in its `client_credentials` access tokens.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// What a token may do. Auth0's Management API scope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ReadUsers,
    CreateUsers,
    UpdateUsers,
    UpdateUsersAppMetadata,
    DeleteUsers,
    ReadStages,
    UpdateStages,
    ReadHooks,
    UpdateHooks,
    ReadClients,
    CreateClients,
    UpdateClients,
    DeleteClients,
    PromptUsers,
}

impl Scope {
    pub const ALL: [Scope; 14] = [
        Scope::ReadUsers,
        Scope::CreateUsers,
        Scope::UpdateUsers,
        Scope::UpdateUsersAppMetadata,
        Scope::DeleteUsers,
        Scope::ReadStages,
        Scope::UpdateStages,
        Scope::ReadHooks,
        Scope::UpdateHooks,
        Scope::ReadClients,
        Scope::CreateClients,
        Scope::UpdateClients,
        Scope::DeleteClients,
        Scope::PromptUsers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadUsers => "read:users",
            Scope::CreateUsers => "create:users",
            Scope::UpdateUsers => "update:users",
            Scope::UpdateUsersAppMetadata => "update:users_app_metadata",
            Scope::DeleteUsers => "delete:users",
            Scope::ReadStages => "read:stages",
            Scope::UpdateStages => "update:stages",
            Scope::ReadHooks => "read:hooks",
            Scope::UpdateHooks => "update:hooks",
            Scope::ReadClients => "read:clients",
            Scope::CreateClients => "create:clients",
            Scope::UpdateClients => "update:clients",
            Scope::DeleteClients => "delete:clients",
            Scope::PromptUsers => "prompt:users",
        }
    }

    /// What it allows, for the console's checkboxes.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ReadUsers => "List, search and read users and their identities",
            Scope::CreateUsers => "Create email-and-password users (with a password, or an emailed invitation)",
            Scope::UpdateUsers => "Change users' user_metadata and root attributes, link and unlink their accounts, block or unblock them",
            Scope::UpdateUsersAppMetadata => "Change users' app_metadata",
            Scope::DeleteUsers => "Delete users",
            Scope::ReadStages => "Read fields, stages and the whole profiling configuration",
            Scope::UpdateStages => "Create, change and delete fields and stages; import a configuration",
            Scope::ReadHooks => "Read post-login hooks and their recent calls (never their secrets)",
            Scope::UpdateHooks => "Create, change and delete post-login hooks",
            Scope::ReadClients => "Read the applications that sign people in through AskOnce (never their secrets)",
            Scope::CreateClients => "Register applications (the answer carries a new secret)",
            Scope::UpdateClients => "Change applications and rotate their secrets",
            Scope::DeleteClients => "Delete applications, and with them every token they hold",
            Scope::PromptUsers => {
                "Ask a user in context from a server: read the question due for them at a place and store their answers or skip (the prompt API)"
            }
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        write!(f, "`{}` is not a scope ({})", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownScope {}

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s.trim()).ok_or_else(|| UnknownScope(s.to_string()))
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_reads_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        let unknown = "write:everything".parse::<Scope>().unwrap_err().to_string();
        assert!(unknown.contains("read:clients") && unknown.contains("update:hooks"), "{unknown}");
    }
}
