//! The per-account limit on wrong passwords: at sign-in and at the
//! re-authentication that deleting an account asks for.
//!
//! Rules (docs/SECURITY.md, "Security decisions"):
//! - failures are counted per (account, client network) in a window that starts at the first
//!   failure; `per_network` failures lock that network out of that account until the window
//!   ends;
//! - failures of an account from all networks together are capped at `per_account` per
//!   window, after which the account is locked for everyone until that window ends: the
//!   ceiling against a botnet, and one network alone can never reach it (it is stopped at
//!   `per_network`, and locked attempts are not counted);
//! - a successful password check clears that (account, network) count;
//! - every lock ends with its window: nobody can lock the owner out for good.
//!
//! Accounts are keyed by their sign-in email whether or not an account exists for it, so an
//! unknown email is limited exactly like a known one (no oracle). Keys are hashed: the table
//! holds no email addresses. The table is in memory, per instance.
//!
//! Why not `governor` (which `server::middleware::rate_limit` uses for requests per network):
//! a GCRA limiter answers "may this request go now" and refills continuously; these rules need
//! a fixed window that starts at the first *failure*, only failures counted (a check that
//! succeeds costs nothing and clears its network's count), and two keyed limits where locked
//! attempts do not count toward the account-wide ceiling. governor has no "clear this key" and
//! no "count only if it failed after the fact"; emulating both on top of it would be more code
//! than this table.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

use crate::net::ClientNetwork;

/// Who the failures are counted against: a hash of the normalized sign-in email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountKey([u8; 32]);

impl AccountKey {
    /// The key for what someone typed into the sign-in form: the normalized email when it
    /// parses, else the trimmed, lowercased text (it matches no account, and is limited alike).
    pub fn for_login(email: &str) -> Self {
        let normalized = crate::profile::Email::parse(email)
            .map(|e| e.normalized())
            .unwrap_or_else(|_| crate::profile::verification::normalize_address(email));
        Self::for_normalized_email(&normalized)
    }

    /// The key for an application's secret at the token endpoints (`client_id`): wrong
    /// secrets are limited like wrong passwords.
    pub fn for_client(client_id: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"askonce-client-secret:");
        hasher.update(client_id.as_bytes());
        Self(hasher.finalize().into())
    }

    /// The key for an account's stored (already normalized) sign-in email.
    pub fn for_normalized_email(normalized: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"askonce-password-throttle:");
        hasher.update(normalized.as_bytes());
        Self(hasher.finalize().into())
    }
}

/// The numbers of the rules above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimits {
    pub per_network: u32,
    pub per_account: u32,
    pub window: Duration,
}

impl Default for FailureLimits {
    fn default() -> Self {
        Self { per_network: 5, per_account: 50, window: Duration::from_secs(15 * 60) }
    }
}

/// Why a password check is refused before it is made, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub retry_after: Duration,
}

impl Locked {
    /// Whole seconds to wait, rounded up (what `Retry-After` carries).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs.max(1)
        }
    }

    /// The sentence people read: the same for every email, known or not.
    pub fn message(&self) -> String {
        let minutes = self.retry_after_secs().div_ceil(60);
        let wait = if minutes <= 1 { "a minute".to_string() } else { format!("{minutes} minutes") };
        format!(
            "Too many wrong passwords for this account from your network. For its safety, password \
             checks for it are paused here: try again in {wait}."
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Window {
    fn ends(&self, length: Duration) -> Instant {
        self.started + length
    }
}

#[derive(Default)]
struct Counts {
    per_network: HashMap<(AccountKey, ClientNetwork), Window>,
    per_account: HashMap<AccountKey, Window>,
    /// Expired windows are swept when the tables grow past this (amortized: it doubles).
    sweep_at: usize,
}

/// Entries before the first sweep of expired windows.
const FIRST_SWEEP: usize = 4096;

/// The failure counts. Time is passed in (`now`), so the rules are tested without waiting.
pub struct PasswordThrottle {
    limits: FailureLimits,
    counts: Mutex<Counts>,
}

impl PasswordThrottle {
    pub fn new(limits: FailureLimits) -> Self {
        Self { limits, counts: Mutex::new(Counts { sweep_at: FIRST_SWEEP, ..Counts::default() }) }
    }

    pub fn limits(&self) -> FailureLimits {
        self.limits
    }

    /// `Err` when a password for `account` from `network` must not be checked now.
    pub fn check(&self, account: &AccountKey, network: ClientNetwork, now: Instant) -> Result<(), Locked> {
        let counts = self.lock();
        let window = self.limits.window;
        let locked_until =
            |w: Option<&Window>, limit: u32| w.filter(|w| w.failures >= limit && now < w.ends(window)).map(|w| w.ends(window));
        let until = [
            locked_until(counts.per_network.get(&(*account, network)), self.limits.per_network),
            locked_until(counts.per_account.get(account), self.limits.per_account),
        ]
        .into_iter()
        .flatten()
        .max();
        match until {
            Some(until) => Err(Locked { retry_after: until - now }),
            None => Ok(()),
        }
    }

    /// Counts a wrong password (or an unknown email) for `account` from `network`.
    pub fn record_failure(&self, account: &AccountKey, network: ClientNetwork, now: Instant) {
        let window = self.limits.window;
        let mut counts = self.lock();
        let bump = |w: &mut Window| {
            if now >= w.ends(window) {
                *w = Window { started: now, failures: 0 };
            }
            w.failures = w.failures.saturating_add(1);
        };
        bump(counts.per_network.entry((*account, network)).or_insert(Window { started: now, failures: 0 }));
        bump(counts.per_account.entry(*account).or_insert(Window { started: now, failures: 0 }));
        if counts.per_network.len() + counts.per_account.len() > counts.sweep_at {
            counts.per_network.retain(|_, w| now < w.ends(window));
            counts.per_account.retain(|_, w| now < w.ends(window));
            counts.sweep_at = FIRST_SWEEP.max(2 * (counts.per_network.len() + counts.per_account.len()));
        }
    }

    /// A right password from `network` clears that network's count for `account`. The
    /// account-wide count stays: other networks' failures are not forgiven by this one.
    pub fn record_success(&self, account: &AccountKey, network: ClientNetwork) {
        self.lock().per_network.remove(&(*account, network));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic while holding the lock leaves plain counters behind, still usable.
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    fn entries(&self) -> usize {
        let counts = self.lock();
        counts.per_network.len() + counts.per_account.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(s: &str) -> ClientNetwork {
        ClientNetwork::of(s.parse().unwrap())
    }

    fn throttle() -> PasswordThrottle {
        PasswordThrottle::new(FailureLimits { per_network: 5, per_account: 12, window: Duration::from_secs(900) })
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn five_failures_lock_that_network_out_of_that_account_until_the_window_ends() {
        let t = throttle();
        let ada = AccountKey::for_login("ada@example.com");
        let home = network("192.0.2.1");
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(t.check(&ada, home, t0 + i * MIN).is_ok(), "attempt {i}");
            t.record_failure(&ada, home, t0 + i * MIN);
        }
        let locked = t.check(&ada, home, t0 + 5 * MIN).unwrap_err();
        assert_eq!(locked.retry_after, 10 * MIN, "the window started at the first failure");
        assert_eq!(locked.retry_after_secs(), 600);
        assert!(locked.message().contains("10 minutes"), "{}", locked.message());
        // Other networks and other accounts are not affected.
        assert!(t.check(&ada, network("198.51.100.7"), t0 + 5 * MIN).is_ok());
        assert!(t.check(&AccountKey::for_login("bob@example.com"), home, t0 + 5 * MIN).is_ok());
        // The lock ends with the window: the owner is never locked out for good.
        assert!(t.check(&ada, home, t0 + 15 * MIN).is_ok());
        t.record_failure(&ada, home, t0 + 15 * MIN);
        assert!(t.check(&ada, home, t0 + 15 * MIN).is_ok(), "a fresh window counts from zero");
    }

    #[test]
    fn a_success_clears_that_networks_count_only() {
        let t = throttle();
        let ada = AccountKey::for_login("ada@example.com");
        let (home, cafe) = (network("192.0.2.1"), network("198.51.100.7"));
        let t0 = Instant::now();
        for _ in 0..4 {
            t.record_failure(&ada, home, t0);
            t.record_failure(&ada, cafe, t0);
        }
        t.record_success(&ada, home);
        t.record_failure(&ada, home, t0);
        t.record_failure(&ada, cafe, t0);
        assert!(t.check(&ada, home, t0).is_ok(), "home started again from zero");
        assert!(t.check(&ada, cafe, t0).is_err(), "cafe's fifth failure locks it");
    }

    #[test]
    fn the_account_ceiling_stops_many_networks_and_also_expires() {
        let t = throttle();
        let ada = AccountKey::for_login("ada@example.com");
        let t0 = Instant::now();
        // 12 failures from 12 networks: none reaches its own limit, the account does.
        for i in 0..12u8 {
            let n = network(&format!("203.0.113.{i}"));
            assert!(t.check(&ada, n, t0 + MIN).is_ok());
            t.record_failure(&ada, n, t0 + MIN);
        }
        let elsewhere = network("192.0.2.200");
        let locked = t.check(&ada, elsewhere, t0 + 2 * MIN).unwrap_err();
        assert_eq!(locked.retry_after, 14 * MIN);
        assert!(t.check(&ada, elsewhere, t0 + 16 * MIN).is_ok());
    }

    #[test]
    fn one_network_alone_cannot_reach_the_account_ceiling() {
        let t = throttle();
        let ada = AccountKey::for_login("ada@example.com");
        let attacker = network("203.0.113.9");
        let t0 = Instant::now();
        // The attacker tries for ever, but is only counted while not locked.
        for second in 0..3600u64 {
            let now = t0 + Duration::from_secs(second);
            if t.check(&ada, attacker, now).is_ok() {
                t.record_failure(&ada, attacker, now);
            }
        }
        assert!(t.check(&ada, network("192.0.2.1"), t0 + Duration::from_secs(3600)).is_ok(), "the owner elsewhere can sign in");
    }

    #[test]
    fn ipv6_clients_are_counted_per_slash_64() {
        let t = throttle();
        let ada = AccountKey::for_login("ada@example.com");
        let t0 = Instant::now();
        for i in 1..=5 {
            t.record_failure(&ada, network(&format!("2001:db8:0:1::{i}")), t0);
        }
        assert!(t.check(&ada, network("2001:db8:0:1::99"), t0).is_err());
        assert!(t.check(&ada, network("2001:db8:0:2::1"), t0).is_ok());
    }

    #[test]
    fn unknown_and_known_emails_are_keyed_alike_and_case_does_not_matter() {
        assert_eq!(AccountKey::for_login(" Ada@Example.com"), AccountKey::for_login("ada@example.com"));
        assert_eq!(AccountKey::for_login("ada@example.com"), AccountKey::for_normalized_email("ada@example.com"));
        assert_eq!(AccountKey::for_login("Not An Email"), AccountKey::for_login("not an email"));
    }

    #[test]
    fn expired_windows_are_swept_so_the_table_stays_bounded() {
        let t = throttle();
        let t0 = Instant::now();
        let n = network("192.0.2.1");
        for i in 0..FIRST_SWEEP {
            t.record_failure(&AccountKey::for_login(&format!("u{i}@example.com")), n, t0);
        }
        let later = t0 + 16 * MIN;
        for i in 0..10 {
            t.record_failure(&AccountKey::for_login(&format!("v{i}@example.com")), n, later);
        }
        assert!(t.entries() <= 20, "{} entries left", t.entries());
    }
}
