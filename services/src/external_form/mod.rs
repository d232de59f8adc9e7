//! External forms (`domain::external_form`: the redirect protocol's tokens), on the server:
//! the stage secrets, sending the person to the form, and taking the answers back.

pub use domain::external_form::*;

mod configured;
mod handoff;
mod round_trips;
pub use configured::{ConfiguredForm, ConfiguredForms};
pub use handoff::*;
pub use round_trips::{recent_round_trips, KEPT_PER_STAGE};
