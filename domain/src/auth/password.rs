//! Local passwords: the policy a new password must meet (the same in the browser and on the
//! server; hashing is the services crate's `auth::password`).

use serde::{Deserialize, Serialize};

/// What is wrong with a proposed password, in words for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Use at least {0} characters.")]
    TooShort(usize),
    #[error("Use at most {0} characters.")]
    TooLong(usize),
    #[error("Your password must not be your email address.")]
    SameAsEmail,
}

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Bounded so nobody can make us hash a megabyte.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// NIST SP 800-63B: length matters, composition rules don't.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort(MIN_PASSWORD_CHARS));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong(MAX_PASSWORD_CHARS));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(PasswordProblem::SameAsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_long_and_email_passwords_are_refused() {
        assert_eq!(check_new_password("short", "a@b.c"), Err(PasswordProblem::TooShort(8)));
        assert_eq!(check_new_password(&"x".repeat(300), "a@b.c"), Err(PasswordProblem::TooLong(256)));
        assert_eq!(check_new_password("Ada@Example.com", "ada@example.com"), Err(PasswordProblem::SameAsEmail));
        assert_eq!(check_new_password("a long enough passphrase", "ada@example.com"), Ok(()));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(check_new_password("ééééééé", "a@b.c").is_err());
        assert!(check_new_password("éééééééé", "a@b.c").is_ok());
    }
}
