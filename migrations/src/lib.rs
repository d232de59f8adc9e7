//! The AskOnce database schema as sea-orm migrations, for SQLite and PostgreSQL alike.
//!
//! Shipped migrations are never edited: a later change to the schema is a new file named
//! `mYYYYMMDD_HHMMSS_<what>.rs` added to [`Migrator::migrations`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_initial_schema;
mod m20261122_000002_create_user_sessions;
mod m20261122_000003_add_user_search_index;
mod m20261123_000004_add_primary_identity;
mod m20261123_000005_reprove_claimed_verification;
mod m20261124_000006_store_user_search_text;
mod m20261125_000007_create_email_outbox;
mod m20261126_000008_create_account_tokens_and_events;
mod m20261127_000009_create_profiling_revision;
mod m20261128_000010_create_hooks;
mod m20261129_000011_add_external_forms;
mod m20261130_000012_create_consent_records;
mod m20261206_000013_add_stage_login_window;
mod m20261206_000014_add_hidden_fields;
mod m20261206_000015_add_stage_steps;
mod m20261207_000016_create_openid_provider;
mod m20261207_000017_add_client_id_token_alg;
mod m20261207_000018_add_prompt_event_app;
mod m20261207_000019_add_profiling_revision_database_id;
mod m20261207_000020_add_form_secret_issuer;
mod m20261207_000021_create_form_round_trips;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_initial_schema::Migration),
            Box::new(m20261122_000002_create_user_sessions::Migration),
            Box::new(m20261122_000003_add_user_search_index::Migration),
            Box::new(m20261123_000004_add_primary_identity::Migration),
            Box::new(m20261123_000005_reprove_claimed_verification::Migration),
            Box::new(m20261124_000006_store_user_search_text::Migration),
            Box::new(m20261125_000007_create_email_outbox::Migration),
            Box::new(m20261126_000008_create_account_tokens_and_events::Migration),
            Box::new(m20261127_000009_create_profiling_revision::Migration),
            Box::new(m20261128_000010_create_hooks::Migration),
            Box::new(m20261129_000011_add_external_forms::Migration),
            Box::new(m20261130_000012_create_consent_records::Migration),
            Box::new(m20261206_000013_add_stage_login_window::Migration),
            Box::new(m20261206_000014_add_hidden_fields::Migration),
            Box::new(m20261206_000015_add_stage_steps::Migration),
            Box::new(m20261207_000016_create_openid_provider::Migration),
            Box::new(m20261207_000017_add_client_id_token_alg::Migration),
            Box::new(m20261207_000018_add_prompt_event_app::Migration),
            Box::new(m20261207_000019_add_profiling_revision_database_id::Migration),
            Box::new(m20261207_000020_add_form_secret_issuer::Migration),
            Box::new(m20261207_000021_create_form_round_trips::Migration),
        ]
    }
}
