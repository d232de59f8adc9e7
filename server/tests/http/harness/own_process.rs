//! Tests that need a process of their own. A test that installs process-wide state — the
//! global log subscriber of `log_secrets` — cannot share the test process with the others:
//! whichever test came first would own that state, and the capture would mix in every other
//! test's logs. Such a test starts this same test binary again with only itself selected; in
//! that child it finds its name in [`OWN_PROCESS`] and runs its body.

use std::{future::Future, process::Command};

/// Set in the child process to the name of the one test it runs.
const OWN_PROCESS: &str = "HTTP_TEST_OWN_PROCESS";

/// Runs `test` in a new process of this test binary. `path` is the test's `module_path!()`
/// and name (`http::log_secrets::…::on_sqlite`); libtest names it without the crate.
pub fn run<F, Fut>(path: &str, test: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let name = path.split_once("::").map_or(path, |(_crate, name)| name);
    if std::env::var(OWN_PROCESS).is_ok_and(|selected| selected == name) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime");
        runtime.block_on(test());
        return;
    }
    let binary = std::env::current_exe().expect("the path of this test binary");
    let out = Command::new(binary)
        .args([name, "--exact", "--test-threads=1"])
        .env(OWN_PROCESS, name)
        .output()
        .unwrap_or_else(|e| panic!("starting {name} in a process of its own: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} failed in its own process:\n{stdout}\n{stderr}");
    // A name that selects nothing would pass silently.
    assert!(stdout.contains("1 passed;"), "{name} did not run in its own process:\n{stdout}\n{stderr}");
}
