//! sea-orm entities: one per table, logic-free. Wire types live in the domain
//! modules; these never cross to the browser.

pub mod account_events;
pub mod account_tokens;
pub mod api_tokens;
pub mod articles;
pub mod audit_log;
pub mod consent_records;
pub mod email_outbox;
pub mod form_round_trips;
pub mod form_secrets;
pub mod form_token_uses;
pub mod hook_calls;
pub mod hooks;
pub mod identities;
pub mod oauth_authorizations;
pub mod oauth_clients;
pub mod oauth_codes;
pub mod oauth_grants;
pub mod oauth_tokens;
pub mod password_credentials;
pub mod profile_fields;
pub mod profile_stage_fields;
pub mod profile_stages;
pub mod profiling_revision;
pub mod prompt_events;
pub mod signing_keys;
pub mod user_sessions;
pub mod users;
