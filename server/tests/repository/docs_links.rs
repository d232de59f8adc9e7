//! The Markdown documentation's links resolve, and the README stays a front page.
//!
//! README.md is kept short (what AskOnce is, the two commands, a tour); the manual, the
//! configuration reference, the security decisions and the layout live in `docs/`. Text moves
//! between those files, and a moved section silently breaks every `[…](FILE#anchor)` that
//! pointed at it. So this test reads README.md, BENCHMARKS.md and every `*.md` under `docs/`,
//! and checks each relative link and image target:
//!
//! - the file (the part before `#`, relative to the linking file's folder) exists;
//! - a `#fragment` into a Markdown file names one of its headings, by GitHub's anchor rules
//!   (the heading's text in lowercase, keeping letters, digits, `-`, `_` and spaces, spaces
//!   turned into `-`; a repeated heading gets `-1`, `-2`, …).
//!
//! Absolute URLs (`https:`, `mailto:`, …) are not checked: the test stays offline.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// README.md must stay shorter than this; the rest belongs in `docs/`.
const README_MAX_LINES: usize = 250;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// GitHub's flavour as far as links and headings go: tables hold links too.
fn parse(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
}

/// README.md, BENCHMARKS.md and every `*.md` under `docs/` (sorted, for a stable report).
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    fn walk(folder: &Path, found: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(folder).unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a readable docs/ entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                found.push(path);
            }
        }
    }
    let mut docs = Vec::new();
    walk(&root.join("docs"), &mut docs);
    docs.sort();
    let mut files = vec![root.join("README.md"), root.join("BENCHMARKS.md")];
    files.extend(docs);
    files
}

/// Every link and image target in `markdown`, as written. Email autolinks (`<a@b.example>`)
/// carry the bare address, not a path: they are left out.
fn link_targets(markdown: &str) -> Vec<String> {
    parse(markdown)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { link_type, dest_url, .. } | Tag::Image { link_type, dest_url, .. }) => Some((link_type, dest_url)),
            _ => None,
        })
        .filter(|(link_type, _)| *link_type != LinkType::Email)
        .map(|(_, dest_url)| dest_url.into_string())
        .collect()
}

/// `https:`, `mailto:`, … (RFC 3986 scheme) or protocol-relative `//host`: not a file here.
fn is_absolute(target: &str) -> bool {
    if target.starts_with("//") {
        return true;
    }
    target.split_once(':').is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// GitHub's anchor for a heading's text.
fn github_slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of every heading in `markdown`, repeated ones numbered as GitHub does.
fn heading_anchors(markdown: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    let mut times_seen: HashMap<String, usize> = HashMap::new();
    // The text of the heading being read, if any.
    let mut current: Option<String> = None;
    for event in parse(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => current = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(heading) = current.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(heading) = current.as_mut() {
                    heading.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(text) = current.take() {
                    let slug = github_slug(&text);
                    let seen = times_seen.entry(slug.clone()).or_insert(0);
                    anchors.insert(if *seen == 0 { slug } else { format!("{slug}-{seen}") });
                    *seen += 1;
                }
            }
            _ => {}
        }
    }
    anchors
}

#[test]
fn relative_links_and_anchors_in_the_docs_resolve() {
    let root = repo_root();
    let mut anchors_of: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut broken = Vec::new();

    for file in markdown_files(&root) {
        let shown = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        let folder = file.parent().expect("a Markdown file sits in a folder");
        for link in link_targets(&read(&file)) {
            if is_absolute(&link) {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((link.as_str(), ""));
            let target = if path.is_empty() { file.clone() } else { folder.join(path) };
            let Ok(target) = target.canonicalize() else {
                broken.push(format!("{shown}: {link} (no such file)"));
                continue;
            };
            if fragment.is_empty() || target.extension().is_none_or(|ext| ext != "md") {
                continue;
            }
            let anchors = anchors_of.entry(target.clone()).or_insert_with(|| heading_anchors(&read(&target)));
            if !anchors.contains(fragment) {
                broken.push(format!("{shown}: {link} (no heading with that anchor)"));
            }
        }
    }

    assert!(broken.is_empty(), "{} broken Markdown link(s):\n{}", broken.len(), broken.join("\n"));
}

#[test]
fn readme_stays_short() {
    let lines = read(&repo_root().join("README.md")).lines().count();
    assert!(lines < README_MAX_LINES, "README.md has {lines} lines; keep it under {README_MAX_LINES} and move detail into docs/");
}

/// The checker's own rules, on fixed input.
#[test]
fn slugs_links_and_schemes_follow_githubs_rules() {
    assert_eq!(github_slug("For site owners: the console (/admin)"), "for-site-owners-the-console-admin");
    assert_eq!(github_slug("Relying party (OpenID Connect / OAuth2)"), "relying-party-openid-connect--oauth2");
    assert_eq!(github_slug("Moving users in and out (Auth0's bulk format)"), "moving-users-in-and-out-auth0s-bulk-format");

    let anchors = heading_anchors("# Title\n\n## `/api/v2` routes\n\n## Notes\n\n### Notes\n");
    let expected: HashSet<String> = ["title", "apiv2-routes", "notes", "notes-1"].into_iter().map(String::from).collect();
    assert_eq!(anchors, expected);

    let links = link_targets(
        "[a](docs/A.md#x) ![b](b.png) `[c](code.md)` <https://example.com> <me@example.com>\n\n\
         | t |\n|---|\n| [d](../D.md) |\n\n```\n[e](fenced.md)\n```\n",
    );
    assert_eq!(links, ["docs/A.md#x", "b.png", "https://example.com", "../D.md"]);

    assert!(is_absolute("https://example.com/x#y"));
    assert!(is_absolute("mailto:someone@example.com"));
    assert!(is_absolute("//example.com/x"));
    assert!(!is_absolute("docs/CONFIGURATION.md#email"));
    assert!(!is_absolute("../scripts/test.sh"));
    assert!(!is_absolute("#the-two-commands"));
}
