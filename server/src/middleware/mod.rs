//! The layers requests pass through before (and responses after) a route. Each is one
//! concern; their order is decided in one place, `crate::http::router`, which says why each
//! sits where it does.

pub mod client_ip;
pub mod csp;
pub mod csrf;
pub mod form_posts;
pub mod nul_input;
pub mod rate_limit;
pub mod render_limit;
pub mod required_stage;
pub mod session_user;
