//! Calls the server makes to addresses that someone other than the operator chose: hooks
//! today, back-channel logout later. Addresses in `askonce.toml` (the SMTP
//! relay, the connections' issuers) are the operator's own and do not come through here;
//! external forms are browser redirects and keep `web_address::check` alone.

mod address;
mod client;
pub mod connector;

pub use address::{OutboundPolicy, Refused};
pub(crate) use client::OutboundError;
pub use client::{Outbound, SetupError};
