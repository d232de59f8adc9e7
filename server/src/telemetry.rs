//! Logging: `tracing` to stderr, human-readable or JSON lines, filtered by `log.level`
//! (or `RUST_LOG` when set, for a quick look without editing the file).

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber. A second call (tests) is a no-op.
pub(crate) fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.level)).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match settings.format {
        LogFormat::Pretty => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    // Already installed (several servers in one test process): keep the first.
    let _ = result;
}
