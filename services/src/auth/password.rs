//! Local passwords' hashes: argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1). Hashing runs on the
//! blocking pool: it takes tens of milliseconds of CPU by design.

pub use domain::auth::password::*;

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use password_hash::{rand_core::OsRng, SaltString};

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| HashError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub async fn hash_password(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError::Hash(e.to_string()))
    })
    .await?
}

/// Checks `password` against `stored`; a malformed stored hash counts as a mismatch. The
/// comparison inside argon2 is constant-time. A hash imported from elsewhere (bcrypt,
/// pbkdf2, digests: `auth::imported_hash`) is checked by its own rules.
pub async fn verify_password(password: String, stored: String) -> Result<bool, HashError> {
    // `!…`: an account with no password yet (an invitation not used): nothing matches. A
    // hash imported from elsewhere may be far cheaper than ours (md5…). Both cost what a
    // real check costs, so timing does not tell such accounts apart.
    if stored.starts_with('!') {
        verify_against_dummy(password).await?;
        return Ok(false);
    }
    if !stored.starts_with("$argon2") {
        verify_against_dummy(password.clone()).await?;
        return Ok(tokio::task::spawn_blocking(move || crate::auth::imported_hash::verify_imported(&password, &stored)).await?);
    }
    verify_argon2(password, stored).await
}

/// Checks `password` against an argon2 PHC string (off the async threads).
async fn verify_argon2(password: String, stored: String) -> Result<bool, HashError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            tracing::error!("stored password hash is not a PHC string");
            return Ok(false);
        };
        Ok(argon2()?.verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await?
}

/// Spends the same work as a real verification, for sign-ins with an unknown email, so
/// response time does not reveal which emails have accounts.
pub(crate) async fn verify_against_dummy(password: String) -> Result<(), HashError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = match DUMMY.get() {
        Some(h) => h.clone(),
        None => {
            let h = hash_password("askonce-dummy-password".to_string()).await?;
            DUMMY.get_or_init(|| h).clone()
        }
    };
    verify_argon2(password, stored).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse battery".into(), hash).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let a = hash_password("same password".into()).await.unwrap();
        let b = hash_password("same password".into()).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_corrupt_stored_hash_is_a_mismatch_not_a_crash() {
        assert!(!verify_password("x".into(), "not a hash".into()).await.unwrap());
    }
}
