//! Why a command of the command line failed. It keeps the cause chain — "importing users:
//! the file is not a JSON array of users: expected value at line 1" — instead of flattening
//! each error to a string where it happens, so the one line printed (and logged) says what
//! was being done and every reason under it.

use std::error::Error;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command could not do its work: what it was doing, and why.
    #[error("{doing}")]
    Failed {
        doing: String,
        #[source]
        cause: Box<dyn Error + Send + Sync + 'static>,
    },
    /// The command was asked for something it refuses (an unknown token id, a configuration
    /// with problems); the message says what to change.
    #[error("{0}")]
    Refused(String),
}

impl CommandError {
    /// The line the command prints after `error: `.
    pub fn report(&self) -> String {
        services::error::cause_chain(self)
    }
}

/// Names what a fallible step was doing, keeping its error as the cause.
pub trait Doing<T> {
    fn doing(self, what: impl Into<String>) -> Result<T, CommandError>;
}

impl<T, E: Error + Send + Sync + 'static> Doing<T> for Result<T, E> {
    fn doing(self, what: impl Into<String>) -> Result<T, CommandError> {
        self.map_err(|cause| CommandError::Failed { doing: what.into(), cause: Box::new(cause) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_step_and_every_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = Err::<(), _>(io).doing("reading users.json").unwrap_err();
        assert_eq!(err.report(), "reading users.json: no such file");
        assert_eq!(CommandError::Refused("no live token has the id t-1".into()).report(), "no live token has the id t-1");
    }
}
