//! Whether the profile's email is verified. Verification belongs to an *address*, not to a
//! person: `email_verified` is true only while the current email is an address that was itself
//! verified — by a provider that asserted exactly that address as verified, by a link sent to
//! it, or by the site owner's import. A provider vouching for its own, different address says
//! nothing about ours (that was the look-alike takeover: a stranger's verified Google address
//! turning an unverified `owner@…` password account into a verified admin).
//!
//! Every write that changes the email re-derives the flag from the new address's evidence
//! ([`evidence_for`]); the evidence is kept in the provenance under `email_verified`, with the
//! address it is for.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::Source;

/// One piece of evidence that `address` (normalized) was verified: who vouched and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailEvidence {
    /// Lower-cased address, as `users.email_normalized`.
    pub address: String,
    pub source: Source,
    pub at: DateTime<Utc>,
}

/// The form addresses are compared and looked up in (`users.email_normalized`): trimmed, ASCII
/// letters lower-cased. Only ASCII is folded: Unicode lower-casing maps look-alikes onto ASCII
/// (U+212A KELVIN SIGN becomes `k`), which would let a provider that verified `\u{212A}im@…`
/// vouch for `kim@…`.
pub fn normalize_address(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

impl EmailEvidence {
    pub fn new(address: &str, source: Source, at: DateTime<Utc>) -> Self {
        Self { address: normalize_address(address), source, at }
    }

    pub fn vouches_for(&self, email: &str) -> bool {
        self.address == normalize_address(email)
    }

    /// The provenance record kept under `email_verified`.
    pub(crate) fn to_provenance(&self) -> Value {
        json!({ "source": self.source, "at": self.at, "address": self.address })
    }

    /// Reads back a provenance record. Records written before evidence carried its address
    /// were only ever stored beside the email they came with: they count for `current_email`.
    pub fn from_provenance(record: &Value, current_email: Option<&str>) -> Option<Self> {
        let source: Source = record.get("source")?.as_str()?.parse().ok()?;
        let at = record.get("at").and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_else(Utc::now);
        let address = match record.get("address").and_then(Value::as_str) {
            Some(a) => a.to_string(),
            None => current_email?.to_string(),
        };
        Some(Self::new(&address, source, at))
    }

    /// Evidence that outlives the identity data it came from. A provider's claim is not: it
    /// is re-read from the identity's latest claims at every derivation, so a provider that
    /// stops saying "verified" (or an identity that is unlinked) stops counting.
    pub fn is_standing(&self) -> bool {
        !matches!(self.source, Source::Claim { .. })
    }
}

/// The provenance key the evidence is kept under.
pub const PROVENANCE_KEY: &str = "email_verified";

/// Records `evidence` in `provenance` (or removes a stale record); returns the flag to store.
pub fn record_evidence(provenance: &mut serde_json::Map<String, Value>, evidence: Option<&EmailEvidence>) -> bool {
    match evidence {
        Some(e) => provenance.insert(PROVENANCE_KEY.to_string(), e.to_provenance()),
        None => provenance.remove(PROVENANCE_KEY),
    };
    evidence.is_some()
}

/// The evidence that makes `email` verified: the first candidate for exactly that address.
/// `None` (no email, or nothing vouches for this one) means `email_verified = false`.
pub fn evidence_for(email: Option<&str>, candidates: impl IntoIterator<Item = EmailEvidence>) -> Option<EmailEvidence> {
    let email = email?;
    candidates.into_iter().find(|e| e.vouches_for(email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn google(address: &str) -> EmailEvidence {
        EmailEvidence::new(address, Source::Claim { connection: "google".into(), claim: "email_verified".into() }, Utc::now())
    }

    #[test]
    fn a_provider_vouching_for_another_address_does_not_verify_ours() {
        assert_eq!(evidence_for(Some("owner@example.com"), [google("stranger@example.net")]), None);
    }

    #[test]
    fn evidence_for_exactly_this_address_verifies_it_whatever_the_case() {
        let e = evidence_for(Some("Ada@Example.com"), [google("stranger@example.net"), google("ada@example.COM")]).unwrap();
        assert_eq!(e.address, "ada@example.com");
    }

    #[test]
    fn unicode_look_alikes_are_not_folded_onto_ascii_addresses() {
        assert_eq!(evidence_for(Some("kim@corp.example"), [google("\u{212A}im@corp.example")]), None);
    }

    #[test]
    fn no_email_is_never_verified() {
        assert_eq!(evidence_for(None, [google("ada@example.com")]), None);
    }

    #[test]
    fn provenance_round_trips_and_legacy_records_count_for_the_email_beside_them() {
        let e = google("ada@example.com");
        assert_eq!(EmailEvidence::from_provenance(&e.to_provenance(), Some("other@example.com")), Some(e.clone()));
        let legacy = json!({ "source": "import", "at": e.at });
        let read = EmailEvidence::from_provenance(&legacy, Some("Ada@example.com")).unwrap();
        assert!(read.vouches_for("ada@example.com"));
        assert_eq!(EmailEvidence::from_provenance(&legacy, None), None);
    }

    #[test]
    fn recording_evidence_sets_or_clears_the_record_and_says_the_flag() {
        let e = google("ada@example.com");
        let mut provenance = serde_json::Map::new();
        assert!(record_evidence(&mut provenance, Some(&e)));
        assert_eq!(provenance.get(PROVENANCE_KEY), Some(&e.to_provenance()));
        assert!(!record_evidence(&mut provenance, None));
        assert!(provenance.is_empty());
    }

    #[test]
    fn only_non_claim_evidence_is_standing() {
        assert!(!google("a@b.co").is_standing());
        assert!(EmailEvidence::new("a@b.co", Source::Import, Utc::now()).is_standing());
    }
}
