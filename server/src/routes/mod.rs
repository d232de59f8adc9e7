//! Plain axum routes beside the pages: the sign-in redirects and callbacks, external forms'
//! way back, the OpenID Provider's endpoints, the prompt API and the embeddable prompt's files,
//! `/api/me`, the analytics CSV and the health check. The management API is `api/`.

pub mod analytics_csv;
pub mod auth;
pub mod embed;
pub mod external_form;
pub mod health;
pub mod me;
pub mod openid_provider;
pub mod prompt_api;
