//! The messages' words: one function per message, each giving a subject, a plain-text body
//! and an HTML body. Pure: the flows pass the site (its name and public URL) and the link,
//! and queue what comes back.
//!
//! Every link is absolute (a mail client has no base URL) and is also printed as text, so a
//! person whose client shows no HTML, or who copies links by hand, can still use it.

use html_escape::{encode_double_quoted_attribute, encode_text};

/// The site the messages speak for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Shown in subjects and greetings (`[server] site_name`).
    pub name: String,
    /// `https://login.example.com`, no trailing slash (`[server] public_url`).
    pub public_url: String,
}

impl Site {
    pub fn new(name: impl Into<String>, public_url: &str) -> Self {
        Self { name: name.into(), public_url: public_url.trim_end_matches('/').to_string() }
    }

    /// The absolute URL of a local `path` (`/reset-password?token=…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One paragraph or one link of a message; rendered to both bodies the same way.
enum Block<'a> {
    Para(String),
    Button { label: &'a str, url: &'a str },
}

fn render(site: &Site, subject: String, blocks: &[Block<'_>]) -> Rendered {
    let mut text = String::new();
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36rem\">",
    );
    for block in blocks {
        match block {
            Block::Para(p) => {
                text.push_str(p);
                html.push_str(&format!("<p>{}</p>", encode_text(p)));
            }
            Block::Button { label, url } => {
                text.push_str(&format!("{label}:\n{url}"));
                html.push_str(&format!(
                    "<p><a href=\"{href}\" style=\"display:inline-block;padding:.6em 1.2em;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px\">{label}</a></p>\
                     <p style=\"font-size:.9em;color:#555\">Or copy this address into your browser:<br>{url}</p>",
                    href = encode_double_quoted_attribute(url),
                    label = encode_text(label),
                    url = encode_text(url),
                ));
            }
        }
        text.push_str("\n\n");
    }
    let footer = format!("— {} ({})", site.name, site.public_url);
    text.push_str(&footer);
    text.push('\n');
    html.push_str(&format!("<p style=\"font-size:.9em;color:#555\">{}</p></body></html>", encode_text(&footer)));
    Rendered { subject, text, html }
}

/// Hours, in words, for "the link works for …".
fn hours(valid_for: chrono::Duration) -> String {
    match valid_for.num_hours() {
        1 => "1 hour".into(),
        h if h < 48 => format!("{h} hours"),
        h => format!("{} days", h / 24),
    }
}

/// Sent at password sign-up and on request: opening the link verifies `address`.
pub fn verify_email(site: &Site, address: &str, link: &str, valid_for: chrono::Duration) -> Rendered {
    render(
        site,
        format!("Confirm your email address for {}", site.name),
        &[
            Block::Para(format!("Please confirm that {address} is your email address for {}.", site.name)),
            Block::Button { label: "Confirm my email address", url: link },
            Block::Para(format!(
                "The link works once, for {}. If you did not create an account, ignore this message: nothing happens until the link is opened.",
                hours(valid_for)
            )),
        ],
    )
}

/// Sent from "Forgot your password?": the link lets the owner of `address` choose a new one.
pub fn password_reset(site: &Site, link: &str, valid_for: chrono::Duration) -> Rendered {
    render(
        site,
        format!("Reset your {} password", site.name),
        &[
            Block::Para(format!(
                "Someone asked to reset the password of your {} account. If it was you, choose a new password:",
                site.name
            )),
            Block::Button { label: "Choose a new password", url: link },
            Block::Para(format!(
                "The link works once, for {}. If you did not ask, ignore this message: your password stays as it is.",
                hours(valid_for)
            )),
        ],
    )
}

/// An account a site owner made for someone: the link lets them choose their password.
pub fn invitation(site: &Site, link: &str, valid_for: chrono::Duration) -> Rendered {
    render(
        site,
        format!("You have an account at {}", site.name),
        &[
            Block::Para(format!("An account at {} was made for this address. Choose your password to start using it:", site.name)),
            Block::Button { label: "Choose my password", url: link },
            Block::Para(format!(
                "The link works once, for {} days. If you did not expect this, ignore this message: nobody can sign in without the password you choose.",
                valid_for.num_days()
            )),
        ],
    )
}

/// Sent after a password was changed or reset: the owner learns of it even if it was not them.
pub fn password_changed(site: &Site) -> Rendered {
    let forgot = site.url("/forgot-password");
    render(
        site,
        format!("Your {} password was changed", site.name),
        &[
            Block::Para(format!("The password of your {} account was just changed, and your other sessions were signed out.", site.name)),
            Block::Para("If this was you, there is nothing else to do. If it was not, choose a new password now:".into()),
            Block::Button { label: "Reset my password", url: &forgot },
        ],
    )
}

/// Sent to the *new* address when someone asks to change their email: it replaces the old one
/// only once this link is opened.
pub(crate) fn confirm_new_email(site: &Site, new_address: &str, link: &str, valid_for: chrono::Duration) -> Rendered {
    render(
        site,
        format!("Confirm your new email address for {}", site.name),
        &[
            Block::Para(format!("Someone asked to use {new_address} as the email address of a {} account.", site.name)),
            Block::Button { label: "Use this email address", url: link },
            Block::Para(format!(
                "The link works once, for {}. If you did not ask, ignore this message: nothing changes until the link is opened.",
                hours(valid_for)
            )),
        ],
    )
}

/// Sent to the *old* address once the change is done, so a hijacked account does not change
/// hands silently. No reset link: the account signs in with the new address now, so only the
/// site owner (who sees the change in the account's activity) can give it back.
pub fn email_changed(site: &Site, new_address: &str) -> Rendered {
    render(
        site,
        format!("Your {} email address was changed", site.name),
        &[
            Block::Para(format!(
                "The email address of your {} account was changed to {new_address}. You sign in with that address from now on, and messages about the account go there.",
                site.name
            )),
            Block::Para(format!(
                "If this was not you, contact the owner of {} at once (reply to this message if it comes from a mailbox they read): they can see the change in the account's activity and restore your address.",
                site.public_url
            )),
        ],
    )
}

/// Sent (when the site turns it on) after a sign-in from a device not seen before.
pub fn new_device(site: &Site, device: &str, ip: &str, when: &str) -> Rendered {
    let profile = site.url("/profile");
    render(
        site,
        format!("New sign-in to your {} account", site.name),
        &[
            Block::Para(format!("Your {} account was signed in to from a new device: {device}, from {ip}, at {when}.", site.name)),
            Block::Para("If this was you, there is nothing to do. If not, end that session and change your password:".into()),
            Block::Button { label: "Review where you are signed in", url: &profile },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::new("Acme <Login>", "https://login.example.com/")
    }

    #[test]
    fn links_are_absolute_and_in_both_bodies() {
        let link = site().url("/verify-email?token=abc");
        assert_eq!(link, "https://login.example.com/verify-email?token=abc");
        let m = verify_email(&site(), "ada@example.com", &link, chrono::Duration::hours(24));
        assert!(m.text.contains(&link), "{}", m.text);
        assert!(m.html.contains("href=\"https://login.example.com/verify-email?token=abc\""), "{}", m.html);
        assert!(m.text.contains("24 hours"));
    }

    #[test]
    fn values_are_escaped_in_html_and_plain_in_text() {
        let m = email_changed(&site(), "<script>@evil.example");
        assert!(m.html.contains("&lt;script&gt;@evil.example"), "{}", m.html);
        assert!(!m.html.contains("<script>"));
        assert!(m.text.contains("<script>@evil.example"));
        assert!(m.subject.contains("Acme <Login>"), "the subject is plain text");
        assert!(m.html.contains("Acme &lt;Login&gt;"));
    }

    #[test]
    fn every_message_names_the_site() {
        let s = site();
        let d = chrono::Duration::hours(1);
        for m in [
            verify_email(&s, "a@b.co", "https://x/1", d),
            password_reset(&s, "https://x/2", d),
            password_changed(&s),
            confirm_new_email(&s, "a@b.co", "https://x/3", d),
            email_changed(&s, "a@b.co"),
            new_device(&s, "Firefox on Linux", "192.0.2.1", "2026-11-23 20:00 UTC"),
        ] {
            assert!(m.subject.contains("Acme <Login>"), "{}", m.subject);
            assert!(m.text.contains("https://login.example.com"), "{}", m.text);
        }
        assert!(password_reset(&s, "https://x/2", d).text.contains("1 hour"));
    }
}
