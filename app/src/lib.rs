//! AskOnce: the pages, components and `#[server]` functions shared by the server (feature
//! `ssr`) and the browser (feature `hydrate`), with the pure domain logic they use.
//!
//! Each domain concept lives in its own module; server-only queries and services sit in
//! that module's `ssr` submodule so they never reach the wasm bundle.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo, clippy::await_holding_lock)]
#![recursion_limit = "256"]

pub mod admin;
pub mod articles;
pub mod auth;
pub mod error;
pub mod home;
pub mod identity;
pub mod layout;
pub mod profile;
pub mod profiling;
pub mod status;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod net;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "test-support")]
pub mod testing;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
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
        <Title formatter=|page: String| {
            if page.is_empty() { "AskOnce".to_string() } else { format!("{page} · AskOnce") }
        } />
        <Router>
            <layout::Page>
                <Routes fallback=error::NotFound>
                    // In-order streaming: each page arrives complete, in document order, so it
                    // reads the same with JavaScript off (out-of-order streaming needs JS to
                    // move resolved content into place).
                    <Route path=path!("") view=home::HomePage ssr=SsrMode::InOrder />
                    <Route path=path!("status") view=status::StatusPage ssr=SsrMode::InOrder />
                    <Route path=path!("login") view=auth::LoginPage ssr=SsrMode::InOrder />
                    <Route path=path!("profile") view=profile::page::ProfilePage ssr=SsrMode::InOrder />
                    <Route path=path!("welcome") view=profiling::prompt_ui::WelcomePage ssr=SsrMode::InOrder />
                    <Route path=path!("articles") view=articles::ArticlesPage ssr=SsrMode::InOrder />
                    <Route path=path!("articles/:slug") view=articles::ArticlePage ssr=SsrMode::InOrder />
                    <Route path=path!("admin") view=admin::console::AdminHome ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions") view=admin::questions_page::QuestionsPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/fields/:key") view=admin::questions_page::FieldEditPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/questions/stages/:key") view=admin::questions_page::StageEditPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/simulator") view=admin::simulator_page::SimulatorPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/users") view=admin::users_page::UsersPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/users/:id") view=admin::users_page::UserDetailPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/analytics") view=admin::analytics_page::AnalyticsPage ssr=SsrMode::InOrder />
                    <Route path=path!("admin/tokens") view=admin::tokens_page::TokensPage ssr=SsrMode::InOrder />
                </Routes>
            </layout::Page>
        </Router>
    }
}
