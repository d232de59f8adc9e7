//! The signature on every hook call, as Stripe and GitHub sign webhooks: the header
//! `AskOnce-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the
//! hook's secret>`. The timestamp is inside the MAC, so a receiver that refuses old
//! timestamps (five minutes is usual) cannot be fed a recorded call again later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "AskOnce-Signature";

/// How far a receiver should let a timestamp be from its own clock.
pub const TOLERANCE_SECS: i64 = 300;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the timestamp is too far from now (a replay?)")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// What a receiver does (and the tests do): checks `header` against `body` at `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", tag)) => tags.push(hex::decode(tag).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    // `verify_slice` compares in constant time.
    if tags.iter().any(|tag| mac(secret, timestamp, body).verify_slice(tag).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_an_independent_hmac() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec_test",b"1700000000.{\"a\":1}",hashlib.sha256).hexdigest())'
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn a_receiver_accepts_its_own_and_refuses_tampering_replay_and_garbage() {
        let body = br#"{"user":{"user_id":"u1"}}"#;
        let header = sign("s3cret", 1_000, body);
        assert_eq!(verify("s3cret", &header, body, 1_100), Ok(()));
        assert_eq!(verify("other", &header, body, 1_100), Err(SignatureError::Mismatch));
        assert_eq!(verify("s3cret", &header, br#"{"user":{"user_id":"u2"}}"#, 1_100), Err(SignatureError::Mismatch));
        assert_eq!(verify("s3cret", &header, body, 1_000 + TOLERANCE_SECS + 1), Err(SignatureError::Stale));
        let moved = header.replace("t=1000", "t=1200");
        assert_eq!(verify("s3cret", &moved, body, 1_200), Err(SignatureError::Mismatch), "the timestamp is signed");
        assert_eq!(verify("s3cret", "v1=zz", body, 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify("s3cret", "t=1000", body, 1_000), Err(SignatureError::Malformed));
    }
}
