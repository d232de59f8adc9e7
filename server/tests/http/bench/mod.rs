//! Benchmarks, ignored in ordinary runs: `scripts/bench-*.sh` run them with `--ignored` and a
//! filter on their module (`bench::callback`, `bench::admin_search`).

mod admin_search;
mod callback;
mod change_report;

use std::time::Duration;

/// The `p` quantile (0 to 1) of `sorted` samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
