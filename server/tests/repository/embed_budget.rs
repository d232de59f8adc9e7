//! The embeddable prompt (`public/embed/`, README "Ask on your own pages") stays small: a site
//! adds it to every article, so everything it loads — the module and its stylesheet, strings
//! included — must fit 12 KB gzipped (gzip -9). The browser suite also measures it from
//! Chromium's network log (`end2end/tests/embedded-prompt.spec.ts`).

use std::io::Write;

const BUDGET: usize = 12 * 1024;

fn gzipped(path: &std::path::Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap().len()
}

#[test]
fn the_embedded_prompt_fits_its_budget() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/embed");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["prompt.css", "prompt.js"], "every file the component loads is counted");
    let total: usize = files.iter().map(|f| gzipped(f)).sum();
    assert!(total <= BUDGET, "the embedded prompt is {total} bytes gzipped, over its {BUDGET}-byte budget");
}

#[test]
fn the_embedded_prompt_never_writes_html_from_strings() {
    // Under a host page's `require-trusted-types-for 'script'`, and against XSS from the
    // questions' words: elements are made one by one, strings set as text.
    let js = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/embed/prompt.js")).unwrap();
    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "style="] {
        assert!(!js.contains(sink), "prompt.js uses {sink}");
    }
}
