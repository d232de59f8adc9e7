//! Passwords hashed elsewhere, kept through a migration: Auth0's bulk format carries
//! `password_hash` (bcrypt) and `custom_password_hash` (argon2, bcrypt, pbkdf2, md5, sha1,
//! sha256, sha512 — salted or not — and LDAP's RFC 2307 `{SSHA}`-style values). They are
//! stored as they came, verified at sign-in, and replaced by an argon2id hash at the first
//! successful sign-in (`auth::accounts`), so an imported hash lives only until its owner's
//! next visit.
//!
//! What is stored in `password_credentials.password_hash`:
//! - argon2 (`$argon2…`), bcrypt (`$2a$`, `$2b$`, `$2y$`) and pbkdf2 (`$pbkdf2-sha256$…`):
//!   the PHC / modular-crypt string itself, which says how to verify it;
//! - a plain digest or an LDAP value: `digest:` followed by the import's own JSON (algorithm,
//!   hash with its encoding, salt with its encoding and position), so it verifies — and exports
//!   again — exactly as it came.
//!
//! Crates, not hand-written crypto: `argon2`, `bcrypt`, `pbkdf2`, `md-5`, `sha1`, `sha2`; the
//! comparison of digests is constant-time (`subtle`).

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Auth0's `custom_password_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomPasswordHash {
    pub algorithm: String,
    pub hash: HashValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<Salt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordEncoding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashValue {
    pub value: String,
    /// `hex` (the default for digests), `base64` or `utf8` (PHC strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Salt {
    pub value: String,
    /// `utf8` (the default), `hex` or `base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `prefix` (salt + password) or `suffix` (password + salt).
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordEncoding {
    pub encoding: String,
}

/// Why an imported hash cannot be kept, in words for the person importing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashProblem {
    #[error("`{0}` password hashes are not supported (argon2, bcrypt, pbkdf2, md5, sha1, sha256, sha512, ldap are)")]
    Algorithm(String),
    #[error("the {0} hash is not in its expected format")]
    Format(&'static str),
    #[error("a {0} hash takes no separate salt (it carries its own)")]
    SaltNotAllowed(&'static str),
    #[error("salt.position must be `prefix` or `suffix`")]
    SaltPosition,
    #[error("`{0}` is not an encoding this field takes")]
    Encoding(String),
    #[error("the {0} hash's cost is beyond what this server verifies (a sign-in must not tie up the server): {1}")]
    TooCostly(&'static str, &'static str),
}

/// The most work an imported hash may ask of a sign-in: its parameters come from a file, and
/// each sign-in attempt pays them.
const MAX_BCRYPT_COST: u32 = 14;
const MAX_PBKDF2_ROUNDS: u32 = 1_000_000;
const MAX_ARGON2_MEMORY_KIB: u32 = 64 * 1024;
const MAX_ARGON2_TIME: u32 = 10;
const MAX_ARGON2_LANES: u32 = 4;

const DIGEST_PREFIX: &str = "digest:";

/// The string to store for an imported `custom_password_hash`, checked.
pub fn from_custom(custom: &CustomPasswordHash) -> Result<String, HashProblem> {
    if let Some(p) = &custom.password {
        // Passwords typed here arrive as UTF-8; a hash of another encoding could never match.
        if !matches!(p.encoding.as_str(), "utf8" | "ascii") {
            return Err(HashProblem::Encoding(p.encoding.clone()));
        }
    }
    let value = custom.hash.value.trim();
    let no_salt = |name: &'static str| if custom.salt.is_some() { Err(HashProblem::SaltNotAllowed(name)) } else { Ok(()) };
    match custom.algorithm.as_str() {
        "argon2" => {
            no_salt("argon2")?;
            let parsed = argon2::PasswordHash::new(value)
                .ok()
                .filter(|h| h.algorithm.as_str().starts_with("argon2"))
                .ok_or(HashProblem::Format("argon2"))?;
            let params = argon2::Params::try_from(&parsed).map_err(|_| HashProblem::Format("argon2"))?;
            if params.m_cost() > MAX_ARGON2_MEMORY_KIB || params.t_cost() > MAX_ARGON2_TIME || params.p_cost() > MAX_ARGON2_LANES {
                return Err(HashProblem::TooCostly("argon2", "at most m=65536, t=10, p=4"));
            }
            Ok(value.to_string())
        }
        "bcrypt" => {
            no_salt("bcrypt")?;
            from_bcrypt(value)
        }
        "pbkdf2" => {
            no_salt("pbkdf2")?;
            let parsed = argon2::PasswordHash::new(value).map_err(|_| HashProblem::Format("pbkdf2"))?;
            if pbkdf2::Algorithm::try_from(parsed.algorithm).is_err() || parsed.hash.is_none() {
                return Err(HashProblem::Format("pbkdf2"));
            }
            let params = pbkdf2::Params::try_from(&parsed).map_err(|_| HashProblem::Format("pbkdf2"))?;
            if params.rounds > MAX_PBKDF2_ROUNDS {
                return Err(HashProblem::TooCostly("pbkdf2", "at most 1,000,000 iterations"));
            }
            Ok(value.to_string())
        }
        "md5" | "sha1" | "sha256" | "sha512" => {
            let digest = Digest::parse(&custom.algorithm).ok_or_else(|| HashProblem::Algorithm(custom.algorithm.clone()))?;
            let expected = decode(value, custom.hash.encoding.as_deref().unwrap_or("hex"))?;
            if expected.len() != digest.len() {
                return Err(HashProblem::Format("digest"));
            }
            if let Some(salt) = &custom.salt {
                if !matches!(salt.position.as_str(), "prefix" | "suffix") {
                    return Err(HashProblem::SaltPosition);
                }
                decode(&salt.value, salt.encoding.as_deref().unwrap_or("utf8"))?;
            }
            Ok(digest_string(custom))
        }
        "ldap" => {
            no_salt("ldap")?;
            Ldap::parse(value).ok_or(HashProblem::Format("ldap"))?;
            Ok(digest_string(custom))
        }
        other => Err(HashProblem::Algorithm(other.to_string())),
    }
}

/// The string to store for Auth0's top-level `password_hash` (bcrypt only).
pub fn from_bcrypt(value: &str) -> Result<String, HashProblem> {
    let value = value.trim();
    let parts = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| value.starts_with(p))
        .then(|| value.parse::<bcrypt::HashParts>().ok())
        .flatten()
        .ok_or(HashProblem::Format("bcrypt"))?;
    if parts.get_cost() > MAX_BCRYPT_COST {
        return Err(HashProblem::TooCostly("bcrypt", "a cost of at most 14"));
    }
    Ok(value.to_string())
}

fn digest_string(custom: &CustomPasswordHash) -> String {
    let mut kept = custom.clone();
    kept.hash.value = kept.hash.value.trim().to_string();
    format!("{DIGEST_PREFIX}{}", serde_json::to_string(&kept).unwrap_or_default())
}

/// A stored value as Auth0's `custom_password_hash` again, for an export.
pub fn to_custom(stored: &str) -> Option<CustomPasswordHash> {
    let phc = |algorithm: &str| CustomPasswordHash {
        algorithm: algorithm.into(),
        hash: HashValue { value: stored.to_string(), encoding: None },
        salt: None,
        password: None,
    };
    if stored.starts_with("$argon2") {
        Some(phc("argon2"))
    } else if stored.starts_with("$2") {
        Some(phc("bcrypt"))
    } else if stored.starts_with("$pbkdf2") {
        Some(phc("pbkdf2"))
    } else {
        serde_json::from_str(stored.strip_prefix(DIGEST_PREFIX)?).ok()
    }
}

/// Whether `stored` should be replaced by this app's own hash after a successful sign-in:
/// anything but argon2id.
pub(crate) fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with("$argon2id$")
}

/// Checks `password` against an imported hash (not argon2, which the caller verifies with
/// its own parameters). Blocking: bcrypt and pbkdf2 are slow on purpose.
pub(crate) fn verify_imported(password: &str, stored: &str) -> bool {
    if stored.starts_with("$2") {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    if stored.starts_with("$pbkdf2") {
        use password_hash::PasswordVerifier;
        return argon2::PasswordHash::new(stored).is_ok_and(|h| pbkdf2::Pbkdf2.verify_password(password.as_bytes(), &h).is_ok());
    }
    let Some(custom) = stored.strip_prefix(DIGEST_PREFIX).and_then(|j| serde_json::from_str::<CustomPasswordHash>(j).ok()) else {
        tracing::error!("stored password hash is in no known format");
        return false;
    };
    verify_digest(password, &custom).unwrap_or(false)
}

fn verify_digest(password: &str, custom: &CustomPasswordHash) -> Option<bool> {
    if custom.algorithm == "ldap" {
        let ldap = Ldap::parse(&custom.hash.value)?;
        let mut input = password.as_bytes().to_vec();
        input.extend_from_slice(&ldap.salt);
        return Some(same(&ldap.digest.hash(&input), &ldap.expected));
    }
    let digest = Digest::parse(&custom.algorithm)?;
    let expected = decode(&custom.hash.value, custom.hash.encoding.as_deref().unwrap_or("hex")).ok()?;
    let input = match &custom.salt {
        None => password.as_bytes().to_vec(),
        Some(salt) => {
            let salt_bytes = decode(&salt.value, salt.encoding.as_deref().unwrap_or("utf8")).ok()?;
            match salt.position.as_str() {
                "prefix" => [salt_bytes.as_slice(), password.as_bytes()].concat(),
                "suffix" => [password.as_bytes(), salt_bytes.as_slice()].concat(),
                _ => return None,
            }
        }
    };
    Some(same(&digest.hash(&input), &expected))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn decode(value: &str, encoding: &str) -> Result<Vec<u8>, HashProblem> {
    match encoding {
        "hex" => hex::decode(value.trim()).map_err(|_| HashProblem::Format("hex")),
        "base64" => STANDARD.decode(value.trim()).map_err(|_| HashProblem::Format("base64")),
        "utf8" => Ok(value.as_bytes().to_vec()),
        other => Err(HashProblem::Encoding(other.to_string())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Digest {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Digest {
    fn parse(name: &str) -> Option<Digest> {
        Some(match name.to_ascii_lowercase().as_str() {
            "md5" => Digest::Md5,
            "sha1" | "sha" => Digest::Sha1,
            "sha256" => Digest::Sha256,
            "sha512" => Digest::Sha512,
            _ => return None,
        })
    }

    fn len(self) -> usize {
        match self {
            Digest::Md5 => 16,
            Digest::Sha1 => 20,
            Digest::Sha256 => 32,
            Digest::Sha512 => 64,
        }
    }

    fn hash(self, input: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Digest::Md5 => md5::Md5::digest(input).to_vec(),
            Digest::Sha1 => sha1::Sha1::digest(input).to_vec(),
            Digest::Sha256 => sha2::Sha256::digest(input).to_vec(),
            Digest::Sha512 => sha2::Sha512::digest(input).to_vec(),
        }
    }
}

/// An RFC 2307 value: `{SSHA}base64(digest ‖ salt)`, `{SHA}base64(digest)`, and the MD5,
/// SHA-256 and SHA-512 variants (`{SMD5}`, `{SSHA256}`, `{SHA512}`…).
struct Ldap {
    digest: Digest,
    expected: Vec<u8>,
    salt: Vec<u8>,
}

impl Ldap {
    fn parse(value: &str) -> Option<Ldap> {
        let rest = value.trim().strip_prefix('{')?;
        let (scheme, encoded) = rest.split_once('}')?;
        let scheme = scheme.to_ascii_uppercase();
        let (salted, name) = match scheme.as_str() {
            "SSHA" => (true, "sha1"),
            "SMD5" => (true, "md5"),
            s => match s.strip_prefix("SSHA") {
                Some(bits) => (true, if bits == "256" { "sha256" } else { "sha512" }),
                None => (
                    false,
                    if s == "SHA" {
                        "sha1"
                    } else if s == "MD5" {
                        "md5"
                    } else {
                        s
                    },
                ),
            },
        };
        if salted && !matches!(scheme.as_str(), "SSHA" | "SMD5" | "SSHA256" | "SSHA512") {
            return None;
        }
        let digest = Digest::parse(&name.to_ascii_lowercase())?;
        let bytes = STANDARD.decode(encoded.trim()).ok()?;
        if bytes.len() < digest.len() || (!salted && bytes.len() != digest.len()) {
            return None;
        }
        let (expected, salt) = bytes.split_at(digest.len());
        Some(Ldap { digest, expected: expected.to_vec(), salt: salt.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(json: serde_json::Value) -> CustomPasswordHash {
        serde_json::from_value(json).unwrap()
    }

    /// Imports `json`, then checks the right password verifies, a wrong one does not, and the
    /// value exports as it came.
    fn round_trip(json: serde_json::Value, password: &str) {
        let given = custom(json);
        let stored = from_custom(&given).unwrap_or_else(|e| panic!("{}: {e}", given.algorithm));
        assert!(verify_imported(password, &stored), "{}: the right password", given.algorithm);
        assert!(!verify_imported("not the password", &stored), "{}: a wrong password", given.algorithm);
        assert!(needs_rehash(&stored), "{}: replaced at the first sign-in", given.algorithm);
        assert_eq!(to_custom(&stored).as_ref(), Some(&given), "{}: exports as imported", given.algorithm);
    }

    // Known hashes of "password", made by the standard tools named beside each.

    #[test]
    fn bcrypt_from_password_hash_and_custom() {
        // Python's `bcrypt.hashpw(b"password", gensalt(rounds=4, prefix=b"2b"))` (Auth0's
        // `password_hash`), and a `$2a$` one as `custom_password_hash`.
        let stored = from_bcrypt("$2b$04$09wRebmgsGLcB2gn3nIAFOOTIAHLtZkdU2NmqGJ5BUaIhWY1./fMW").unwrap();
        assert!(verify_imported("password", &stored) && !verify_imported("Password", &stored));
        round_trip(
            serde_json::json!({"algorithm": "bcrypt", "hash": {"value": "$2a$04$Y.sm5XBjbWbBoZv.TiRfzuJgjgIVBQ7LrxZeVhg6dZ3fjLJHMrkGq"}}),
            "password",
        );
        assert_eq!(from_bcrypt("$2a$10$tooShort"), Err(HashProblem::Format("bcrypt")));
        assert!(matches!(from_bcrypt("$2b$31$09wRebmgsGLcB2gn3nIAFOOTIAHLtZkdU2NmqGJ5BUaIhWY1./fMW"), Err(HashProblem::TooCostly(..))));
    }

    #[test]
    fn pbkdf2_phc_strings() {
        // passlib.hash.pbkdf2_sha256 output in PHC form (RustCrypto's `pbkdf2` writes the same).
        use password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"saltsaltsalt").unwrap();
        let params = pbkdf2::Params { rounds: 1000, output_length: 32 };
        let value = pbkdf2::Pbkdf2
            .hash_password_customized(b"password", Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()), None, params, &salt)
            .unwrap()
            .to_string();
        assert!(value.starts_with("$pbkdf2-sha256$i=1000,l=32$"), "{value}");
        round_trip(serde_json::json!({"algorithm": "pbkdf2", "hash": {"value": value}}), "password");
        // RFC 6070's first PBKDF2-HMAC-SHA1 vector: P="password", S="salt", c=1, dkLen=20.
        let costly = "$pbkdf2-sha256$i=4000000000,l=20$c2FsdA$DGDID5YfDnHzqbUkr2ASBi/gN6Y";
        assert!(matches!(
            from_custom(&custom(serde_json::json!({"algorithm": "pbkdf2", "hash": {"value": costly}}))),
            Err(HashProblem::TooCostly(..))
        ));
        let rfc = "$pbkdf2$i=1,l=20$c2FsdA$DGDID5YfDnHzqbUkr2ASBi/gN6Y";
        assert!(verify_imported(
            "password",
            &from_custom(&custom(serde_json::json!({"algorithm": "pbkdf2", "hash": {"value": rfc}}))).unwrap()
        ));
    }

    #[test]
    fn plain_and_salted_digests() {
        // md5("password"), sha1("password"): the well-known values.
        round_trip(serde_json::json!({"algorithm": "md5", "hash": {"value": "5f4dcc3b5aa765d61d8327deb882cf99"}}), "password");
        round_trip(
            serde_json::json!({"algorithm": "sha1", "hash": {"value": "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "encoding": "base64"}}),
            "password",
        );
        // sha256("pepper" + "password") and sha512("password" + "pepper") (Python's hashlib).
        round_trip(
            serde_json::json!({"algorithm": "sha256", "hash": {"value": "4b65d30b048d9eab292a2ea50fd60423d3d5d581a6ed85169b8a0c4f7dd10c00"},
                "salt": {"value": "pepper", "position": "prefix"}}),
            "password",
        );
        round_trip(
            serde_json::json!({"algorithm": "sha512", "hash": {"value": "7542291488234e03d5c2cc832aaf77449b65fd92d6021ded11bdfaa51b565f47acf7dd28a6138ad7d6ed4a2ed57ffc4719db0423cc43a9311f7c08ef2ee95e54"},
                "salt": {"value": "706570706572", "encoding": "hex", "position": "suffix"}}),
            "password",
        );
    }

    #[test]
    fn ldap_values() {
        // slappasswd -h {SSHA} -s password, salt "salt".
        let ssha = {
            use sha1::Digest as _;
            let digest = sha1::Sha1::digest(b"passwordsalt");
            format!("{{SSHA}}{}", STANDARD.encode([digest.as_slice(), b"salt"].concat()))
        };
        round_trip(serde_json::json!({"algorithm": "ldap", "hash": {"value": ssha}}), "password");
        // slappasswd -h {SHA} -s password.
        round_trip(serde_json::json!({"algorithm": "ldap", "hash": {"value": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}}), "password");
        assert_eq!(
            from_custom(&custom(serde_json::json!({"algorithm": "ldap", "hash": {"value": "{CRYPT}xyz"}}))),
            Err(HashProblem::Format("ldap"))
        );
    }

    #[test]
    fn what_cannot_be_kept_is_refused_with_the_reason() {
        let refused = |json| from_custom(&custom(json)).unwrap_err();
        assert_eq!(refused(serde_json::json!({"algorithm": "md4", "hash": {"value": "x"}})), HashProblem::Algorithm("md4".into()));
        assert_eq!(refused(serde_json::json!({"algorithm": "md5", "hash": {"value": "abc"}})), HashProblem::Format("hex"));
        assert_eq!(
            refused(
                serde_json::json!({"algorithm": "md5", "hash": {"value": "5f4dcc3b5aa765d61d8327deb882cf99"}, "salt": {"value": "s", "position": "middle"}})
            ),
            HashProblem::SaltPosition
        );
        assert_eq!(
            refused(
                serde_json::json!({"algorithm": "bcrypt", "hash": {"value": "$2a$10$CwTycUXWue0Thq9StjUM0uJ8.xc5QsDk6jsqRxF6WbuJQf1ugtbbG"}, "salt": {"value": "s", "position": "prefix"}})
            ),
            HashProblem::SaltNotAllowed("bcrypt")
        );
        assert_eq!(
            refused(
                serde_json::json!({"algorithm": "sha1", "hash": {"value": "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"}, "password": {"encoding": "utf16le"}})
            ),
            HashProblem::Encoding("utf16le".into())
        );
    }
}
