//! No key material in the repository: a key-encryption key made by a run in a working
//! directory inside the checkout (the default file is relative) must never be committed.

use crate::layers::root;

#[test]
fn no_key_encryption_key_is_tracked() {
    let out = std::process::Command::new("git").args(["ls-files", "--", "*.kek", "**/*.kek"]).current_dir(root()).output();
    let Ok(out) = out else {
        // No git (an exported tree): nothing is tracked.
        return;
    };
    let tracked = String::from_utf8_lossy(&out.stdout);
    assert!(tracked.trim().is_empty(), "key-encryption keys are tracked by git:\n{tracked}");
}
