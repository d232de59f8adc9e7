//! What a service call refused, or that it failed: typed, so each caller decides how to show
//! it. The app's server functions turn it into their wire error (`app::error::AppError`, with
//! the same variants), the management API into Auth0's error body; the words a person reads
//! are the ones carried here (`BadRequest`, `Refused`, `Conflict`, …) or the caller's own.
//!
//! `Internal` carries no cause: [`internal`] logs the cause with its whole chain where it
//! happens, so it reaches the operator and never the person.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Input that failed validation; the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    /// Answers that failed validation: field key -> what to fix.
    #[error("some answers need attention")]
    Invalid(BTreeMap<String, String>),
    #[error("not signed in")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Refused for a reason the person should read (a blocked account, …).
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// Refused until `retry_after_secs` have passed; the message says what was limited.
    #[error("{message}")]
    TooManyAttempts { message: String, retry_after_secs: u64 },
    /// Failed on our side; the cause was logged where it happened.
    #[error("internal error")]
    Internal,
}

/// Logs `err` with its whole source chain and returns [`ServiceError::Internal`], so the
/// cause reaches the operator and never the person.
pub fn internal(context: &'static str, err: impl std::error::Error) -> ServiceError {
    tracing::error!(error = %cause_chain(&err), "{context}");
    ServiceError::Internal
}

/// `err` and each of its causes, as one line: "opening the database: connection refused". A
/// cause whose words an error already printed (many include their source in their message)
/// is not repeated.
pub fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.contains(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_chain_names_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("opening the database: {0}")]
        struct Open(#[source] std::io::Error);
        #[derive(Debug, thiserror::Error)]
        #[error("migrating")]
        struct Migrate(#[source] std::io::Error);
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        assert_eq!(cause_chain(&Open(refused())), "opening the database: connection refused");
        assert_eq!(cause_chain(&Migrate(refused())), "migrating: connection refused");
    }

    #[test]
    fn an_internal_error_does_not_carry_its_cause() {
        let err = internal("testing", std::io::Error::other("connection refused to 10.0.0.3:5432"));
        assert_eq!(err, ServiceError::Internal);
        assert!(!err.to_string().contains("10.0.0.3"));
    }
}
