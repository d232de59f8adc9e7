//! Sign in with Apple's client secret: not a fixed string but an ES256 JWT the site signs with
//! the private key Apple issued (the `.p8` file) — `iss` the team, `sub` the Services ID, `aud`
//! Apple, `kid` the key. Apple accepts one for at most six months; this one lives a day and a
//! new one is minted an hour before it expires, so a running server never presents an expired
//! secret and a leaked one is soon worthless.
//!
//! The rest of Apple is OpenID Connect (`oidc`): discovery at `https://appleid.apple.com`, the
//! code flow, the ID token verified against Apple's JWKS. What differs is in the callback:
//! Apple posts its answer (`response_mode=form_post`, required with the `name` and `email`
//! scopes), and sends the person's name only in that post, only the first time
//! (`routes::auth`).

use std::sync::Mutex;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::Serialize;

use super::settings::AppleSigning;

/// How long a minted secret is valid.
const LIFETIME_SECS: i64 = 24 * 60 * 60;
/// A secret this close to its expiry is replaced before use.
const RENEW_BEFORE_SECS: i64 = 60 * 60;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    aud: &'a str,
    sub: &'a str,
}

/// Mints and caches the client secret of one Apple connection.
pub struct AppleSecret {
    signing: AppleSigning,
    key: EncodingKey,
    client_id: String,
    /// Apple's issuer (`https://appleid.apple.com`): the JWT's audience.
    audience: String,
    current: Mutex<Option<(String, i64)>>,
}

impl AppleSecret {
    /// Checks the key at start-up: a key that cannot sign stops the server with the reason,
    /// rather than failing each sign-in.
    pub fn new(signing: AppleSigning, client_id: &str, audience: &str) -> Result<Self, String> {
        let key = EncodingKey::from_ec_pem(signing.private_key.expose_secret().as_bytes())
            .map_err(|e| format!("`private_key` is not an Apple .p8 (PKCS#8 EC) key: {e}"))?;
        let secret = Self {
            signing,
            key,
            client_id: client_id.to_string(),
            audience: audience.trim_end_matches('/').to_string(),
            current: Mutex::new(None),
        };
        secret.mint(chrono::Utc::now().timestamp()).map_err(|e| format!("`private_key` cannot sign Apple's client secret: {e}"))?;
        Ok(secret)
    }

    /// The secret to present now: the cached one, or a fresh one when it nears its expiry.
    pub fn current(&self, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((jwt, exp)) = current.as_ref() {
            if exp - now > RENEW_BEFORE_SECS {
                return Ok(jwt.clone());
            }
        }
        let jwt = self.mint(now)?;
        *current = Some((jwt.clone(), now + LIFETIME_SECS));
        Ok(jwt)
    }

    fn mint(&self, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.signing.key_id.clone());
        let claims = Claims { iss: &self.signing.team_id, iat: now, exp: now + LIFETIME_SECS, aud: &self.audience, sub: &self.client_id };
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}

/// The name Apple posts with its answer the first time someone signs in (`user`, a JSON
/// string: `{"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": "…"}`), as the
/// standard claims it stands for. Unsigned, so it says only what the person typed at Apple;
/// it is their own name, kept as a claim of this connection.
pub(crate) fn first_sign_in_name(user: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(user) else { return out };
    for (from, to) in [("firstName", "given_name"), ("lastName", "family_name")] {
        if let Some(text) = value.get("name").and_then(|n| n.get(from)).and_then(|v| v.as_str()).filter(|s| !s.trim().is_empty()) {
            out.insert(to.to_string(), serde_json::Value::from(text.chars().take(256).collect::<String>()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_KEY: &str = include_str!("../../tests/http/fixtures/apple_test_key.p8");
    const TEST_PUBLIC: &str = include_str!("../../tests/http/fixtures/apple_test_key.pub.pem");

    fn signing() -> AppleSigning {
        AppleSigning { team_id: "TEAM123456".into(), key_id: "KEY1234567".into(), private_key: TEST_KEY.to_string().into() }
    }

    #[test]
    fn the_secret_is_an_es256_jwt_apple_can_check_and_is_renewed_before_it_expires() {
        let secret = AppleSecret::new(signing(), "com.example.askonce", "https://appleid.apple.com/").unwrap();
        let jwt = secret.current(1_000_000).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::ES256, Some("KEY1234567")));
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://appleid.apple.com"]);
        validation.validate_exp = false;
        let key = jsonwebtoken::DecodingKey::from_ec_pem(TEST_PUBLIC.as_bytes()).unwrap();
        let claims = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation).unwrap().claims;
        assert_eq!(claims["iss"], "TEAM123456");
        assert_eq!(claims["sub"], "com.example.askonce");
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), LIFETIME_SECS);
        assert_eq!(secret.current(1_000_000 + 3600).unwrap(), jwt, "cached while far from expiry");
        assert_ne!(secret.current(1_000_000 + LIFETIME_SECS - 60).unwrap(), jwt, "renewed an hour before");
    }

    #[test]
    fn a_key_that_is_not_a_p8_stops_start_up_with_the_reason() {
        let bad = AppleSigning { private_key: "not a key".to_string().into(), ..signing() };
        assert!(AppleSecret::new(bad, "x", "https://appleid.apple.com").err().unwrap().contains(".p8"));
    }

    #[test]
    fn the_first_sign_in_name_becomes_standard_claims() {
        let claims = first_sign_in_name(r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"x@privaterelay.appleid.com"}"#);
        assert_eq!(claims["given_name"], "Ada");
        assert_eq!(claims["family_name"], "Lovelace");
        assert!(first_sign_in_name("not json").is_empty());
    }
}
