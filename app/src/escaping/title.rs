//! The document's `<title>`: `leptos_meta` writes its text raw into the server-rendered head,
//! so the text is escaped here on the server; in the browser it is set with `document.title`,
//! which takes text as it is.

use leptos::{prelude::*, text_prop::TextProp};

/// The page's part of the title (`<PageTitle text="Your profile" />`).
#[component]
pub(crate) fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    view! { <leptos_meta::Title text=move || for_title(&text.get()) /> }
}

/// The site's part, once at the root: "`page` · `site`", or `site` alone.
#[component]
pub(crate) fn SiteTitle(#[prop(into)] site: String) -> impl IntoView {
    let site = for_title(&site);
    view! {
        <leptos_meta::Title formatter=move |page: String| {
            if page.is_empty() { site.clone() } else { format!("{page} · {site}") }
        } />
    }
}

/// Escaped for the server-rendered `<title>`; as it is for `document.title`.
fn for_title(text: &str) -> String {
    if cfg!(feature = "ssr") {
        super::escape_rcdata(text)
    } else {
        text.to_string()
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::for_title;

    /// Escaped once on the server (the page tests parse whole heads: `raw_text.rs`).
    #[test]
    fn the_title_cannot_be_closed_by_its_text() {
        assert_eq!(for_title("</title><img src=x>"), "&lt;/title&gt;&lt;img src=x&gt;");
        assert_eq!(for_title("&lt;"), "&amp;lt;");
    }
}
