//! Account activity (`domain::activity`), stored: recording events and reading them back.

pub use domain::activity::*;

mod log;
pub use log::*;

impl From<crate::audit::Actor<'_>> for Actor {
    fn from(actor: crate::audit::Actor<'_>) -> Self {
        match actor {
            crate::audit::Actor::Admin(_) => Actor::Admin,
            crate::audit::Actor::Api(_) | crate::audit::Actor::Machine(_) => Actor::Api,
            crate::audit::Actor::Cli => Actor::Cli,
            crate::audit::Actor::User => Actor::User,
        }
    }
}
