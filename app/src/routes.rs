//! The site's pages as lazy routes: each page's code is its own wasm chunk.
//!
//! Why: with one bundle, every visitor of `/login` downloaded the whole console (908 KB
//! gzipped in issue 11's measurement). Built with `cargo leptos build --split` (every script
//! does: `run.sh`, `test.sh`, the benchmarks), the main bundle holds only the shell, router
//! and header; a page's chunk (and the chunks it shares with other pages) is fetched when
//! that page is first shown — before hydration on a first load, on navigation after. A build
//! without `--split` still works (one bundle, as before), but the browser test that checks
//! the split fails on it.
//!
//! On the server nothing changes: a lazy page renders in place, and the server records which
//! chunks the page used so the document preloads them.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::{
    account::page::ProfilePage, admin::analytics_page::AnalyticsPage, admin::applications_page::ApplicationsPage,
    admin::console::AdminHome, admin::hooks_page::HooksPage, admin::outbox_page::OutboxPage, admin::questions_page::FieldEditPage,
    admin::questions_page::QuestionsPage, admin::questions_page::RoundTripsPage, admin::questions_page::StageEditPage,
    admin::questions_page::StageReportPage, admin::simulator_page::SimulatorPage, admin::tokens_page::TokensPage,
    admin::users_page::UserDetailPage, admin::users_page::UsersPage, articles::ArticlePage, articles::ArticlesPage,
    auth::EmailChangeLinkPage, auth::EmailLinkPage, auth::VerifyEmailPage, auth::VerifyLinkPage, consent::ConsentPage, home::HomePage,
    prompt::WelcomePage, sign_in::ForgotPasswordPage, sign_in::LoginPage, sign_in::ResetPasswordPage, status::StatusPage,
};

/// Declares a lazy route whose view is one page component. The pages load their own data
/// (resources created inside them), so the route's `data()` has nothing to start early.
macro_rules! lazy_page {
    ($($route:ident => $page:ident,)+) => {$(
        #[doc = concat!("The lazy route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )+};
}

lazy_page! {
    HomeRoute => HomePage,
    StatusRoute => StatusPage,
    LoginRoute => LoginPage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    VerifyEmailRoute => VerifyEmailPage,
    EmailLinkRoute => EmailLinkPage,
    VerifyLinkRoute => VerifyLinkPage,
    EmailChangeLinkRoute => EmailChangeLinkPage,
    ProfileRoute => ProfilePage,
    WelcomeRoute => WelcomePage,
    ConsentRoute => ConsentPage,
    ArticlesRoute => ArticlesPage,
    ArticleRoute => ArticlePage,
    AdminHomeRoute => AdminHome,
    QuestionsRoute => QuestionsPage,
    FieldEditRoute => FieldEditPage,
    StageEditRoute => StageEditPage,
    StageReportRoute => StageReportPage,
    RoundTripsRoute => RoundTripsPage,
    SimulatorRoute => SimulatorPage,
    UsersRoute => UsersPage,
    UserDetailRoute => UserDetailPage,
    AnalyticsRoute => AnalyticsPage,
    TokensRoute => TokensPage,
    HooksRoute => HooksPage,
    ApplicationsRoute => ApplicationsPage,
    OutboxRoute => OutboxPage,
}
