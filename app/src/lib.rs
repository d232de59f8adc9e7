//! AskOnce: the pages, components and `#[server]` functions shared by the server (feature
//! `ssr`) and the browser (feature `hydrate`).
//!
//! The pure domain (engine, fields, stages, the profile's shapes, claim normalization) is the
//! `domain` crate; what the server functions call is the `services` crate, an optional
//! dependency that only the `ssr` build has, so no query or service can reach the wasm bundle.
// Tests may fail loudly: an unwrap in a test is an assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![recursion_limit = "256"]

pub mod account;
pub mod admin;
pub mod articles;
pub mod auth;
pub mod consent;
pub mod error;
pub mod escaping;
pub mod home;
pub mod layout;
pub mod prompt;
pub mod routes;
pub mod sign_in;
pub mod status;

#[cfg(feature = "ssr")]
pub mod state;

#[cfg(all(test, feature = "ssr"))]
mod hostile_input_tests;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

/// The HTML document around every page. Rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/askonce.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Meta name="description" content="AskOnce: sign in once, and never be asked twice." />
        <escaping::SiteTitle site="AskOnce" />
        <Router>
            <layout::Page>
                <Routes fallback=error::NotFound>
                    // In-order streaming: each page arrives complete, in document order, so it
                    // reads the same with JavaScript off (out-of-order streaming needs JS to
                    // move resolved content into place).
                    <Route path=path!("") view={Lazy::<routes::HomeRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("status") view={Lazy::<routes::StatusRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("login") view={Lazy::<routes::LoginRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("forgot-password") view={Lazy::<routes::ForgotPasswordRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("reset-password") view={Lazy::<routes::ResetPasswordRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("verify-email") view={Lazy::<routes::VerifyEmailRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("email-link") view={Lazy::<routes::EmailLinkRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("email/verify") view={Lazy::<routes::VerifyLinkRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("email/confirm-change") view={Lazy::<routes::EmailChangeLinkRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("profile") view={Lazy::<routes::ProfileRoute>::new()} ssr=SsrMode::InOrder />
                    // Async: the page is rendered whole before the response starts, so /welcome's
                    // server-side redirects (nothing to ask; a stage asked by an external form)
                    // are real 303s, also without JavaScript.
                    <Route path=path!("welcome") view={Lazy::<routes::WelcomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("consent") view={Lazy::<routes::ConsentRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("articles") view={Lazy::<routes::ArticlesRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("articles/:slug") view={Lazy::<routes::ArticleRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin") view={Lazy::<routes::AdminHomeRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions") view={Lazy::<routes::QuestionsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/fields/:key") view={Lazy::<routes::FieldEditRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/stages/:key") view={Lazy::<routes::StageEditRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/stages/:key/report") view={Lazy::<routes::StageReportRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/stages/:key/round-trips") view={Lazy::<routes::RoundTripsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/simulator") view={Lazy::<routes::SimulatorRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/users") view={Lazy::<routes::UsersRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/users/:id") view={Lazy::<routes::UserDetailRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/analytics") view={Lazy::<routes::AnalyticsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/tokens") view={Lazy::<routes::TokensRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/hooks") view={Lazy::<routes::HooksRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/applications") view={Lazy::<routes::ApplicationsRoute>::new()} ssr=SsrMode::InOrder />
                    <Route path=path!("admin/email") view={Lazy::<routes::OutboxRoute>::new()} ssr=SsrMode::InOrder />
                </Routes>
            </layout::Page>
        </Router>
    }
}
