//! External forms (`domain::external_form`: the redirect protocol's tokens), on the server:
//! the stage secrets, sending the person to the form, and taking the answers back.

pub use domain::external_form::*;

mod handoff;
pub use handoff::*;
