//! A stage's introduction in a safe Markdown subset: paragraphs, emphasis, strong, inline code,
//! line breaks, bulleted and numbered lists, and links to `https:`, `http:` and `mailto:`
//! addresses. Everything else a site owner types (raw HTML, images, headings, tables…) is shown
//! as its text, never as markup: the introduction is the site owner's words, not a way to put
//! script or styles on the sign-in path.
//!
//! pulldown-cmark parses and writes the HTML (escaping text and addresses); this module only
//! decides which of its events may pass. The same function runs on the server (the page as
//! sent) and in the browser (hydration, the console's live preview), so both agree.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The longest introduction kept (characters); longer ones are cut when the stage is saved.
pub const MAX_INTRO_CHARS: usize = 2000;

/// `markdown` as safe HTML.
pub fn render(markdown: &str) -> String {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, safe_events(markdown).into_iter());
    out
}

/// One piece of an introduction as a tree: text, or an element of the subset with its
/// children. What the embeddable prompt builds its DOM from (`document.createElement` and
/// text nodes, never `innerHTML`), so a host page's Trusted Types policy has nothing to check.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum IntroNode {
    Text(String),
    Element {
        /// `p`, `em`, `strong`, `code`, `ul`, `ol`, `li`, `a` or `br`.
        tag: String,
        /// A link's address (`https:`, `http:` or `mailto:` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        href: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        children: Vec<IntroNode>,
    },
}

/// `markdown` as the same subset [`render`] writes, as a tree.
pub fn nodes(markdown: &str) -> Vec<IntroNode> {
    fn element(tag: &str, href: Option<String>) -> IntroNode {
        IntroNode::Element { tag: tag.to_string(), href, children: Vec::new() }
    }
    fn push(stack: &mut [IntroNode], root: &mut Vec<IntroNode>, node: IntroNode) {
        match stack.last_mut() {
            Some(IntroNode::Element { children, .. }) => children.push(node),
            _ => root.push(node),
        }
    }
    let mut root = Vec::new();
    let mut stack: Vec<IntroNode> = Vec::new();
    for event in safe_events(markdown) {
        match event {
            Event::Start(tag) => stack.push(match tag {
                Tag::Paragraph => element("p", None),
                Tag::Emphasis => element("em", None),
                Tag::Strong => element("strong", None),
                Tag::List(Some(_)) => element("ol", None),
                Tag::List(None) => element("ul", None),
                Tag::Item => element("li", None),
                Tag::Link { dest_url, .. } => element("a", Some(dest_url.to_string())),
                // `safe_events` lets no other start through.
                _ => element("p", None),
            }),
            Event::End(_) => {
                if let Some(done) = stack.pop() {
                    push(&mut stack, &mut root, done);
                }
            }
            Event::Text(t) => push(&mut stack, &mut root, IntroNode::Text(t.to_string())),
            Event::Code(t) => push(
                &mut stack,
                &mut root,
                IntroNode::Element { tag: "code".into(), href: None, children: vec![IntroNode::Text(t.to_string())] },
            ),
            Event::SoftBreak => push(&mut stack, &mut root, IntroNode::Text("\n".into())),
            Event::HardBreak => push(&mut stack, &mut root, element("br", None)),
            _ => {}
        }
    }
    // An unbalanced end cannot come from the parser; whatever is still open closes here.
    while let Some(open) = stack.pop() {
        push(&mut stack, &mut root, open);
    }
    root
}

/// The parser's events that the subset lets through, markup typed by the site owner turned
/// into text.
fn safe_events(markdown: &str) -> Vec<Event<'_>> {
    let mut events = Vec::new();
    // Links the subset refuses are dropped as links, their text kept: their ends must go too.
    let mut dropped_links = Vec::new();
    for event in Parser::new_ext(markdown, Options::empty()) {
        let kept = match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph | Tag::Emphasis | Tag::Strong | Tag::List(_) | Tag::Item => Some(Event::Start(tag)),
                Tag::Link { link_type, dest_url, title, id } => {
                    let lower = dest_url.to_ascii_lowercase();
                    let allowed = ["https://", "http://", "mailto:"].iter().any(|s| lower.starts_with(s));
                    dropped_links.push(!allowed);
                    allowed.then_some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
                }
                // Headings, quotes, code blocks, images…: their text only, as a paragraph
                // where they were a block.
                Tag::Heading { .. } | Tag::BlockQuote(_) | Tag::CodeBlock(_) => Some(Event::Start(Tag::Paragraph)),
                _ => None,
            },
            Event::End(end) => match end {
                TagEnd::Paragraph | TagEnd::Emphasis | TagEnd::Strong | TagEnd::List(_) | TagEnd::Item => Some(Event::End(end)),
                TagEnd::Link => (!dropped_links.pop().unwrap_or(true)).then_some(Event::End(TagEnd::Link)),
                TagEnd::Heading(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock => Some(Event::End(TagEnd::Paragraph)),
                _ => None,
            },
            Event::Text(t) => Some(Event::Text(t)),
            Event::Code(t) => Some(Event::Code(t)),
            // Markup typed into the introduction is shown as the characters typed.
            Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
            Event::SoftBreak => Some(Event::SoftBreak),
            Event::HardBreak => Some(Event::HardBreak),
            _ => None,
        };
        events.extend(kept);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn the_subset_renders() {
        assert_eq!(render("Hello *there*, **you**."), "<p>Hello <em>there</em>, <strong>you</strong>.</p>\n");
        assert_eq!(render("- one\n- two"), "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n");
        assert_eq!(render("1. first"), "<ol>\n<li>first</li>\n</ol>\n");
        assert_eq!(render("[our policy](https://example.com/privacy)"), "<p><a href=\"https://example.com/privacy\">our policy</a></p>\n");
    }

    #[test]
    fn the_tree_holds_the_same_subset_with_markup_as_text() {
        use super::{nodes, IntroNode};
        let json = serde_json::to_value(nodes("Hi *there* <b>x</b> [a](https://e.com/?q=1) [b](javascript:x)\n\n- `one`")).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"tag": "p", "children": ["Hi ", {"tag": "em", "children": ["there"]}, " ", "<b>", "x", "</b>", " ",
                    {"tag": "a", "href": "https://e.com/?q=1", "children": ["a"]}, " ", "b"]},
                {"tag": "ul", "children": [{"tag": "li", "children": [{"tag": "code", "children": ["one"]}]}]}
            ])
        );
        assert_eq!(
            nodes("line  \nnext")[0],
            IntroNode::Element {
                tag: "p".into(),
                href: None,
                children: vec![
                    IntroNode::Text("line".into()),
                    IntroNode::Element { tag: "br".into(), href: None, children: vec![] },
                    IntroNode::Text("next".into())
                ]
            }
        );
    }

    #[test]
    fn markup_scripts_and_other_addresses_stay_text() {
        assert_eq!(render("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(render("hi <b onclick=x>there</b>"), "<p>hi &lt;b onclick=x&gt;there&lt;/b&gt;</p>\n");
        assert_eq!(render("[click](javascript:alert(1))"), "<p>click</p>\n");
        assert_eq!(render("![x](https://example.com/x.png)"), "<p>x</p>\n");
        assert_eq!(render("# Big"), "<p>Big</p>\n");
        assert_eq!(render("[a \"q\"](https://e.com/?a=1&b=\"2\")"), "<p><a href=\"https://e.com/?a=1&amp;b=%222%22\">a \"q\"</a></p>\n");
    }
}
