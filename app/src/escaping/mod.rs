//! Text put where Leptos's own escaping does not reach: the bodies of the raw-text elements
//! (`<textarea>`, `<title>`) and CSV cells.
//!
//! Leptos 0.8 writes the children of `<textarea>`, `<title>` (through `leptos_meta`),
//! `<script>`, `<style>` and `<noscript>` unescaped on the server render, so a stored value
//! holding `</textarea>` would end the element and the rest would become live markup. Every
//! such element AskOnce renders goes through a component here ([`TextArea`], [`PageTitle`],
//! [`SiteTitle`]); a test below fails if a `view!` anywhere else writes one directly. Leptos
//! serializes resources into `<script>` itself, escaping `<` (hydration_context); the page
//! tests (`server/tests/http/raw_text.rs`) parse whole pages to hold that too.

mod csv;
mod text_area;
mod title;

pub(crate) use csv::csv_cell;
pub(crate) use text_area::TextArea;
pub(crate) use title::{PageTitle, SiteTitle};

/// `text` with `&`, `<`, `>` (and CR, which the HTML parser would turn into LF) written as
/// character references: the form an RCDATA element's body (`<textarea>`, `<title>`) needs.
/// The parser decodes them back, so the element's text is `text` exactly.
pub(crate) fn escape_rcdata(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_references_in_rcdata_are_written_as_references() {
        assert_eq!(escape_rcdata("</textarea><img src=x>"), "&lt;/textarea&gt;&lt;img src=x&gt;");
        assert_eq!(escape_rcdata("&lt; stays &lt;"), "&amp;lt; stays &amp;lt;");
        assert_eq!(escape_rcdata("a\r\nb \"q\" 'q'"), "a&#13;\nb \"q\" 'q'");
        assert_eq!(escape_rcdata("plain"), "plain");
    }

    /// The raw-text elements, by their lower-case names.
    const RAW_TEXT: [&str; 5] = ["textarea", "title", "noscript", "script", "style"];

    /// Where `code` (comments and literals blanked) writes a raw-text element: in a `view!`
    /// (`<textarea`, `<Title`, `<leptos_meta::Script`, any case), through the builder API
    /// (`html::textarea(…)`), or by bringing in `leptos_meta`'s `Title`, `Script` or `Style`.
    fn raw_text_uses(code: &str) -> Vec<String> {
        // `html :: textarea` is `html::textarea`.
        let mut code = code.to_string();
        for spaced in [" ::", ":: ", "\n::", "::\n", "\t::", "::\t"] {
            while code.contains(spaced) {
                code = code.replace(spaced, "::");
            }
        }
        let code = code.as_str();
        let mut found = Vec::new();
        // Glob imports and renames of the modules that hold them hide every later use.
        for hiding in ["html::*", "leptos_meta::*", "html as ", "leptos_meta as ", "tachys::html", "element::{", "element::*"] {
            if code.contains(hiding) {
                found.push(hiding.to_string());
            }
        }
        let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
        for (n, line) in code.lines().enumerate() {
            for (at, _) in line.match_indices('<') {
                let path: String = line[at + 1..].chars().take_while(|c| ident(*c)).collect();
                let name = path.rsplit("::").next().unwrap_or_default();
                // `TextArea` is the component this module gives; it lower-cases to the element.
                if RAW_TEXT.contains(&name.to_lowercase().as_str()) && name != "TextArea" {
                    found.push(format!("{}: <{path}", n + 1));
                }
            }
            for element in RAW_TEXT {
                if line.contains(&format!("html::{element}")) {
                    found.push(format!("{}: html::{element}", n + 1));
                }
                // A builder call by the bare name (after a glob import from anywhere): not a
                // method (`.style(`) and not a definition (`fn title(`).
                for (at, _) in line.match_indices(&format!("{element}(")) {
                    let before = line[..at].trim_end();
                    let bare =
                        !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == ':') && !before.ends_with("fn");
                    if bare {
                        found.push(format!("{}: {element}(…)", n + 1));
                    }
                }
            }
        }
        // `use leptos_meta::{…, Title, …}` or `leptos::html::{…, textarea, …}` (on one line or
        // several): the import is enough to be refused.
        for (prefix, names) in [("leptos_meta::", &["Title", "Script", "Style"][..]), ("html::{", &RAW_TEXT[..])] {
            for (at, _) in code.match_indices(prefix) {
                let path_expr = code[at..].split([';', '}']).next().unwrap_or_default();
                let words: Vec<&str> = path_expr.split(|c: char| !c.is_alphanumeric() && c != '_').collect();
                for name in names {
                    if words.contains(name) {
                        found.push(format!("{prefix}{name}"));
                    }
                }
            }
        }
        found
    }

    /// The elements whose bodies Leptos writes raw may be written only by this module:
    /// elsewhere a stored value could end them. Scans the app's and the server's sources,
    /// reading code only (not comments or literals).
    #[test]
    fn raw_text_elements_are_written_only_by_this_module() {
        let app_src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let this_module = app_src.join("escaping");
        let mut found = Vec::new();
        let mut scanned = 0;
        for root in [app_src.clone(), app_src.join("../../server/src")] {
            for path in rust_files(&root) {
                if path.starts_with(&this_module) {
                    continue;
                }
                scanned += 1;
                let code = code_only(&std::fs::read_to_string(&path).unwrap());
                found.extend(raw_text_uses(&code).into_iter().map(|f| format!("{}:{f}", path.display())));
            }
        }
        assert!(scanned > 50, "the sources were found ({scanned} files)");
        assert!(found.is_empty(), "use escaping::{{TextArea, PageTitle, SiteTitle}} instead:\n{}", found.join("\n"));
    }

    #[test]
    fn the_scan_finds_every_way_of_writing_one() {
        for code in [
            "view! { <textarea>{v}</textarea> }",
            "view! { <Title text=t /> }",
            "view! { <leptos_meta::Script>{v}</leptos_meta::Script> }",
            "view! { <m::Style>{v}</m::Style> }",
            "view! { <NoScript>{v}</NoScript> }",
            "let el = leptos::html::textarea().child(v);",
            "use leptos_meta::{provide_meta_context,\n Script};",
            "use leptos::html::{div, style};",
            "use leptos::html::*; let t = textarea().child(v);",
            "let t = leptos::html :: textarea();",
            "use leptos::html as h; h::textarea()",
            "leptos::tachys::html::element::textarea()",
            "use leptos_meta::*; Title(TitleProps::builder().build())",
            "let s = (script(), 1);",
        ] {
            assert!(!raw_text_uses(code).is_empty(), "{code}");
        }
        for code in [
            "view! { <TextArea value=v {..} id=\"x\" /> }",
            "view! { <PageTitle text=t /> <SiteTitle site=s /> }",
            "let t = form.title.clone();",
            "fn title(&self) -> &str",
            "el.style(\"x\")",
            "set_stage!(title)",
        ] {
            assert!(raw_text_uses(code).is_empty(), "{code}: {:?}", raw_text_uses(code));
        }
    }

    /// The source with the contents of comments, string and char literals blanked (newlines
    /// kept, so line numbers still match): what is left is what the compiler reads as code.
    fn code_only(source: &str) -> String {
        let chars: Vec<char> = source.chars().collect();
        let mut out = String::with_capacity(source.len());
        let mut i = 0;
        let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && next == Some('*') {
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    out.push(blank(chars[i]));
                    i += 1;
                }
                i += 2;
            } else if c == 'r' && (next == Some('"') || next == Some('#')) && starts_literal(&chars, i) {
                // A raw string: r"…", r#"…"#, …
                let mut hashes = 0;
                let mut j = i + 1;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                while j < chars.len() && !(chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#'))) {
                    out.push(blank(chars[j]));
                    j += 1;
                }
                i = j + 1 + hashes;
            } else if c == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(&c) = chars.get(i) {
                        out.push(blank(c));
                    }
                    i += 1;
                }
                i += 1;
            } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
                // A char literal ('"', '\'', '\n'); a lifetime has no closing quote here.
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    /// Whether the `r` at `i` starts a raw string (`r"…"`, `br"…"`), not ends a name (`for"`).
    fn starts_literal(chars: &[char], i: usize) -> bool {
        let ident = |at: usize| at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_');
        match i.checked_sub(1) {
            None => true,
            Some(p) if chars[p] == 'b' => p.checked_sub(1).is_none_or(|pp| !ident(pp)),
            Some(p) => !ident(p),
        }
    }

    #[test]
    fn only_code_is_scanned() {
        let source =
            "let a = \"<textarea\"; // <title\nlet b = r#\"<script\"#; /* <style */ let c = '\"'; let d = br\"\\\"; view! { <noscript> }";
        assert_eq!(code_only(source).matches('<').count(), 1, "{}", code_only(source));
        assert!(code_only(source).contains("<noscript>"));
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        files
    }
}
