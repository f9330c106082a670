//! Shell: what the function reads from AWS besides publishing, through the official SDK
//! crates (aws-sdk-iam, aws-sdk-identitystore, aws-sdk-organizations; roles assumed with
//! aws-config's STS provider), on the shared configuration and HTTP client
//! ([`crate::publish::shared_config`]): the partition's endpoints come from the SDK's
//! endpoint rules for the function's region, retries and timeouts from [`sdk_settings`].
//! What to ask and what the answers mean are decided by the pure [`crate::enrich`]; every
//! lookup fails into one [`LookupError`], whose kind the alert names.
//!
//! - [`iam`]: an attached policy's text, a new version against an older one, who holds a
//!   policy, who may assume a role, the person behind a session ([`identity_store`]);
//! - [`organizations`]: account names for an organization's central stack, and
//!   [`account_alias`] when Organizations has none.

pub mod account_alias;
pub mod iam;
pub mod identity_store;
pub mod organizations;

use aws_sdk_sns::config::retry::RetryConfig;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use std::future::Future;
use std::time::Duration;

/// What kind of failure a lookup met (the alert's line names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The function's role may not (AccessDenied), or the account is not one it may read.
    Denied,
    /// What was asked about does not exist (NoSuchEntity, an unknown account or user).
    NotFound,
    /// The service is throttling the function's calls.
    Throttled,
    /// No answer within the lookups' budget.
    Timeout,
    /// The request did not reach the service or its answer did not come back (DNS, TLS, a
    /// refused or dropped connection), or the credentials could not be had.
    Transport,
    /// An answer without what the call must give, or one the SDK could not read.
    Malformed,
    /// Any other error the service answered (HTTP 5xx, an unexpected code).
    Service,
}

impl Kind {
    /// The word the alert's line starts with.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Denied => "denied",
            Kind::NotFound => "not found",
            Kind::Throttled => "throttled",
            Kind::Timeout => "timed out",
            Kind::Transport => "unreachable",
            Kind::Malformed => "malformed answer",
            Kind::Service => "service error",
        }
    }
}

/// Why a lookup gave nothing: its [`Kind`] and what happened, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {why}", kind.word())]
pub struct LookupError {
    pub kind: Kind,
    pub why: String,
}

impl LookupError {
    pub fn new(kind: Kind, why: impl Into<String>) -> LookupError {
        LookupError {
            kind,
            why: why.into(),
        }
    }
}

/// An error the service answered: its HTTP status, error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Answered {
    /// The kind of failure a service's error code is.
    pub fn kind(&self) -> Kind {
        match self.code.as_str() {
            "AccessDenied" | "AccessDeniedException" => Kind::Denied,
            "NoSuchEntity"
            | "ResourceNotFoundException"
            | "AccountNotFoundException"
            | "AWSOrganizationsNotInUseException" => Kind::NotFound,
            "Throttling" | "ThrottlingException" | "TooManyRequestsException" => Kind::Throttled,
            _ => Kind::Service,
        }
    }
}

/// A failed SDK call as a [`LookupError`]: an error the service answered is worded by
/// `words` (given the kind its code is), every other failure by what happened.
pub fn from_sdk<E, R>(
    error: SdkError<E, R>,
    words: impl FnOnce(Kind, &Answered) -> String,
) -> LookupError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    match error {
        SdkError::ServiceError(e) => {
            let answered = Answered {
                status: e.raw().status(),
                code: e.err().code().unwrap_or("an error").to_string(),
                message: e.err().message().unwrap_or_default().to_string(),
            };
            let kind = answered.kind();
            LookupError::new(kind, words(kind, &answered))
        }
        SdkError::TimeoutError(_) => LookupError::new(Kind::Timeout, "the SDK's timeout passed"),
        SdkError::DispatchFailure(e) if e.is_timeout() => LookupError::new(
            Kind::Timeout,
            error_chain(&SdkError::<E, R>::DispatchFailure(e)),
        ),
        SdkError::ResponseError(e) => LookupError::new(
            Kind::Malformed,
            error_chain(&SdkError::<E, R>::ResponseError(e)),
        ),
        other => LookupError::new(Kind::Transport, error_chain(&other)),
    }
}

/// The HTTP status of a raw response (what [`from_sdk`] reads of it).
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        aws_smithy_runtime_api::http::Response::status(self).as_u16()
    }
}

/// An error and its sources, in one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    crate::redact::cap(&out, 512)
}

/// Waits for `work` at most `budget`; running out of time is a [`Kind::Timeout`]. The work
/// is put on the heap at once, before anything awaits it: an SDK call's future is large,
/// and several run side by side.
pub fn within<'a, T: Send + 'a>(
    budget: Duration,
    work: impl Future<Output = Result<T, LookupError>> + Send + 'a,
) -> impl Future<Output = Result<T, LookupError>> + Send + 'a {
    let work = Box::pin(work);
    async move {
        tokio::time::timeout(budget, work)
            .await
            .unwrap_or_else(|_| {
                Err(LookupError::new(
                    Kind::Timeout,
                    format!("no answer within {} ms", budget.as_millis()),
                ))
            })
    }
}

/// The retries every lookup's client makes: two attempts (throttling, server errors and
/// dropped connections are tried once more, about 100 ms later); the caller's budget
/// bounds the whole.
pub fn sdk_settings() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_is_named_first() {
        let e = LookupError::new(Kind::NotFound, "it no longer exists (NoSuchEntity)");
        assert_eq!(
            e.to_string(),
            "not found: it no longer exists (NoSuchEntity)"
        );
        for (code, kind) in [
            ("AccessDenied", Kind::Denied),
            ("AccessDeniedException", Kind::Denied),
            ("NoSuchEntity", Kind::NotFound),
            ("ThrottlingException", Kind::Throttled),
            ("ServiceFailure", Kind::Service),
        ] {
            let answered = Answered {
                status: 400,
                code: code.into(),
                message: String::new(),
            };
            assert_eq!(answered.kind(), kind, "{code}");
        }
    }
}
