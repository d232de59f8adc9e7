//! When a message that could not be delivered is tried again, and when AskOnce gives up.
//! Pure, so the schedule is tested on its own.

use chrono::Duration;

/// Attempts before a message is marked failed (and shown so in the console): with the
/// backoff below, about sixteen hours of trying — a mail relay down overnight still delivers.
pub const MAX_ATTEMPTS: i32 = 16;

/// The wait after the `attempts`-th failed attempt: 30 s, doubling, at most two hours — a mail
/// server that is down for a while is not hammered, one that is back is used soon.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 16) - 1;
    let seconds = 30_i64.saturating_mul(1_i64 << doublings);
    Duration::seconds(seconds.min(2 * 60 * 60))
}

/// Whether a message that has failed `attempts` times is given up on.
pub(crate) fn gives_up(attempts: i32) -> bool {
    attempts >= MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_thirty_seconds_up_to_two_hours() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(9), Duration::hours(2));
        assert_eq!(backoff(1000), Duration::hours(2));
        assert_eq!(backoff(0), Duration::seconds(30), "never less than the first wait");
    }

    #[test]
    fn attempts_stop_after_the_last_one() {
        assert!(!gives_up(MAX_ATTEMPTS - 1));
        assert!(gives_up(MAX_ATTEMPTS));
        let total: i64 = (1..MAX_ATTEMPTS).map(|n| backoff(n).num_seconds()).sum();
        assert!((12 * 3600..24 * 3600).contains(&total), "about sixteen hours of trying: {total} s");
    }
}
