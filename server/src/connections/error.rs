//! Why a provider sign-in failed. The detail is logged; the person sees a short reason
//! chosen by [`LoginFailure::code`] on the login page.

#[derive(Debug, thiserror::Error)]
pub enum LoginFailure {
    #[error("unknown or disabled connection")]
    UnknownConnection,
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    #[error("sign-in transaction missing, expired or already used")]
    NoTransaction,
    #[error("the provider returned an error: {0}")]
    ProviderError(String),
    #[error("callback rejected: {0}")]
    BadCallback(String),
    #[error("token exchange failed: {0}")]
    Exchange(String),
    #[error("ID token rejected: {0}")]
    InvalidIdToken(String),
    #[error("userinfo rejected: {0}")]
    InvalidUserinfo(String),
    #[error("identity already linked to another user")]
    LinkedElsewhere,
    #[error("user is blocked")]
    Blocked,
    /// A hook of the site's refused the sign-in; the person reads the message.
    #[error("refused by a hook: {0}")]
    Denied(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl LoginFailure {
    /// The `error` query value the login page turns into a sentence.
    pub fn code(&self) -> &'static str {
        match self {
            LoginFailure::UnknownConnection => "unknown_connection",
            LoginFailure::Unavailable(_) => "provider_unavailable",
            LoginFailure::NoTransaction => "expired",
            LoginFailure::ProviderError(_) => "cancelled",
            LoginFailure::BadCallback(_)
            | LoginFailure::Exchange(_)
            | LoginFailure::InvalidIdToken(_)
            | LoginFailure::InvalidUserinfo(_) => "invalid_response",
            LoginFailure::LinkedElsewhere => "linked_elsewhere",
            LoginFailure::Blocked => "blocked",
            LoginFailure::Denied(_) => "denied",
            LoginFailure::Internal(_) => "internal",
        }
    }
}
