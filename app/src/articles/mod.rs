//! Demo content, so the in-context question stage has a real home: `/articles` and
//! `/articles/{slug}`, each article offering the `article` context stage with its tags.

use crate::escaping::PageTitle;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use serde::{Deserialize, Serialize};

use crate::{error::AppError, prompt::ProgressivePrompt};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Paragraphs.
    pub body: Vec<String>,
    pub tags: Vec<String>,
}

#[server]
pub(crate) async fn list_articles() -> Result<Vec<Article>, AppError> {
    let state = crate::state::AppState::current()?;
    ssr::all(&state.db).await.map_err(|e| crate::error::ssr::internal("listing articles", e))
}

#[server]
pub(crate) async fn get_article(slug: String) -> Result<Article, AppError> {
    let state = crate::state::AppState::current()?;
    let found = ssr::by_slug(&state.db, &slug).await.map_err(|e| crate::error::ssr::internal("loading an article", e))?;
    // The article page renders this: an unknown slug is a 404 page.
    found.ok_or_else(|| crate::error::ssr::set_status(AppError::NotFound))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::Utc;
    use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
    use serde_json::json;

    use super::Article;
    use services::entities::articles;

    fn to_article(m: articles::Model) -> Article {
        Article {
            slug: m.slug,
            title: m.title,
            summary: m.summary,
            body: m.body.split("\n\n").map(str::to_string).collect(),
            tags: serde_json::from_value(m.tags).unwrap_or_default(),
        }
    }

    pub async fn all(db: &DatabaseConnection) -> Result<Vec<Article>, DbErr> {
        Ok(articles::Entity::find().order_by_desc(articles::Column::PublishedAt).all(db).await?.into_iter().map(to_article).collect())
    }

    pub(crate) async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<Article>, DbErr> {
        Ok(articles::Entity::find().filter(articles::Column::Slug.eq(slug)).one(db).await?.map(to_article))
    }

    /// The demo articles, on first start.
    pub async fn seed_demo_if_empty(db: &DatabaseConnection) -> Result<bool, DbErr> {
        if articles::Entity::find().count(db).await? > 0 {
            return Ok(false);
        }
        let demo = [
            ("rust-ownership-in-practice", "Ownership in practice", "How Rust's ownership rules shape everyday code.", "Ownership is the rule that every value has one owner.\n\nBorrowing lets other code use a value without taking it.\n\nOnce these click, most compiler errors start reading like advice.", vec!["rust"]),
            ("progressive-profiling", "Ask once: progressive profiling", "Why asking two questions at a time beats a twenty-field signup form.", "Long signup forms lose people.\n\nAsk for what you need now, and the rest later, in context.\n\nAnd never ask what you already know.", vec!["identity", "ux"]),
            ("openid-connect-for-busy-people", "OpenID Connect for busy people", "The code flow, PKCE, nonces and ID tokens in five minutes.", "The browser goes to the provider and comes back with a code.\n\nThe server trades the code for tokens, and checks the ID token's signature, issuer, audience and nonce.\n\nPKCE ties the code to the browser that asked for it.", vec!["identity", "rust"]),
        ];
        for (i, (slug, title, summary, body, tags)) in demo.into_iter().enumerate() {
            articles::ActiveModel {
                slug: Set(slug.into()),
                title: Set(title.into()),
                summary: Set(summary.into()),
                body: Set(body.into()),
                tags: Set(json!(tags)),
                published_at: Set(Utc::now() - chrono::Duration::days(i as i64)),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        Ok(true)
    }
}

#[component]
pub(crate) fn ArticlesPage() -> impl IntoView {
    let articles = Resource::new(|| (), |_| list_articles());
    view! {
        <PageTitle text="Articles" />
        <h1>"Articles"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || articles.get().map(|r| match r {
                Ok(list) => view! {
                    <ul class="article-list">
                        {list.into_iter().map(|a| view! {
                            <li class="card">
                                <h2><A href=format!("/articles/{}", a.slug)>{a.title}</A></h2>
                                <p>{a.summary}</p>
                                <p class="muted">{a.tags.join(" · ")}</p>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub(crate) fn ArticlePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    // Blocking: the head (the article's <title>) is sent only once the article is loaded, so
    // the title is in the server's HTML, for readers without JavaScript and for link previews.
    let article = Resource::new_blocking(slug, get_article);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || article.get().map(|r| match r {
                Ok(a) => view! {
                    <PageTitle text=a.title.clone() />
                    <article>
                        <h1>{a.title.clone()}</h1>
                        <p class="muted">{a.tags.join(" · ")}</p>
                        {a.body.iter().map(|p| view! { <p>{p.clone()}</p> }).collect_view()}
                    </article>
                    <ProgressivePrompt context="article" tags=a.tags.clone() />
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
