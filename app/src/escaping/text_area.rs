//! The one `<textarea>` of the app: its stored text escaped on the server render, and the
//! same text on a page built in the browser.

use leptos::prelude::*;

/// A `<textarea>` showing `value`. Attributes and events go after `{..}`:
/// `<TextArea value=v {..} id="bio" name="bio" rows="4" on:input=… />`.
///
/// Leptos writes a textarea's children raw on the server (tachys treats it as a raw-text
/// element), so the body goes in as `inner_html`, escaped here: `</textarea>` in a value stays
/// text. Hydration leaves an element's server-rendered inner HTML alone, and a textarea built
/// in the browser parses the same escaped text back to `value`, so both paths show `value`
/// exactly. If Leptos starts escaping textarea children itself, this still holds:
/// `inner_html` is raw by contract.
#[component]
pub(crate) fn TextArea(#[prop(into)] value: String) -> impl IntoView {
    view! { <textarea inner_html=textarea_body(&value) /> }
}

/// The body the element gets. On the server render a newline leads: the HTML parser drops
/// one newline right after `<textarea>`, so a value that starts with one keeps it. In the
/// browser (`innerHTML` on the element itself) no newline is dropped, so none is added.
pub(crate) fn textarea_body(value: &str) -> String {
    let escaped = super::escape_rcdata(value);
    if cfg!(feature = "ssr") {
        format!("\n{escaped}")
    } else {
        escaped
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn render(value: &str) -> String {
        let value = value.to_string();
        let owner = Owner::new();
        owner.with(|| view! { <TextArea value {..} id="t" name="n" rows="3" /> }.to_html())
    }

    #[test]
    fn a_value_that_closes_the_element_stays_text() {
        let html = render("</textarea><img src=https://evil.example/x.png>");
        assert_eq!(
            html,
            "<textarea id=\"t\" name=\"n\" rows=\"3\">\n&lt;/textarea&gt;&lt;img src=https://evil.example/x.png&gt;</textarea>"
        );
    }

    /// Escaped once, not twice: if Leptos escapes textarea bodies itself one day, the value
    /// still reads back as it was (`&lt;` written as `&amp;lt;`, decoded once by the parser).
    #[test]
    fn text_is_escaped_exactly_once() {
        let html = render("&lt; is not <");
        assert!(html.contains(">\n&amp;lt; is not &lt;</textarea>"), "{html}");
        assert!(!html.contains("&amp;amp;"), "{html}");
    }

    #[test]
    fn a_leading_newline_survives_the_parser() {
        assert!(render("\nsecond line").contains(">\n\nsecond line</textarea>"));
    }
}
