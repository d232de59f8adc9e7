//! The state every request handler and server function shares (server only).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Handed to `leptos_routes_with_context`, so server functions reach it with
/// `use_context::<AppState>()` and axum handlers with `State<AppState>`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub leptos_options: LeptosOptions,
    /// The configured identity providers, as the login page lists them.
    pub connections: Arc<dyn domain::identity::ConnectionDirectory>,
    /// Emails named as admins in the configuration (`admins = [...]`).
    pub admins: services::auth::roles::ConfiguredAdmins,
    /// Wrong-password counts per account (sign-in and re-authentication), in memory.
    pub password_throttle: Arc<services::auth::throttle::PasswordThrottle>,
    /// The site's name and public URL, as the emails name and link to it.
    pub site: services::email::templates::Site,
    /// Whether addresses must be verified, and new-device notices (`[email]`).
    pub email_policy: services::email::EmailPolicy,
    /// The client for calls to addresses a site owner chose (hooks), and the ranges it may
    /// reach (`hooks.allow_private`).
    pub outbound: services::outbound::Outbound,
    /// The OpenID Provider's issuer and signing keys: the applications' tokens, and the
    /// management API's check of a machine application's access token.
    pub provider: services::openid_provider::Provider,
    /// External form secrets set in the configuration file (`[external_forms]`).
    pub external_forms: services::external_form::ConfiguredForms,
}

#[cfg(feature = "ssr")]
impl AppState {
    /// The state of the current server function or page render.
    pub fn current() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the leptos context");
            crate::error::AppError::Internal
        })
    }
}
