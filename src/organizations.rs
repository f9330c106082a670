//! Account names from AWS Organizations, for an organization's central stack (shell: the one
//! lookup the function makes). `organizations:DescribeAccount` answers for the management
//! account and a delegated administrator; the function asks once per account per execution
//! environment, within a time budget, and never at the cost of the alert:
//!
//! - a name found is used (it wins over `ACCOUNT_NAMES`: the organization's own word);
//! - an account Organizations does not know is remembered as nameless;
//! - access denied (the central account is neither) stops the lookups for this execution
//!   environment, with one log line saying how to grant it; names then come from
//!   `ACCOUNT_NAMES`, else the id;
//! - throttling, a timeout or any other failure gives no name, and no account is asked about
//!   for the next [`PAUSE_AFTER_FAILURE`] (a digest batch of many accounts must not spend the
//!   budget on each while the service is unwell); after that, asked again.
//!
//! A member account may rename itself (`account:PutAccountName`): the name is text its
//! administrator wrote, held to the same rules as `ACCOUNT_NAMES` (printable, at most 50
//! characters) and escaped by the renderer like any other field.

use crate::accounts::MAX_NAME_CHARS;
use crate::publish::{PublishError, Publisher, RecordingPublisher, SnsPublisher};
use crate::render::Notification;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Where account names come from at run time.
pub trait AccountDirectory: Send + Sync {
    /// The organization's name for `account`, when it can be had within the budget.
    fn account_name(&self, account: &str) -> impl Future<Output = Option<String>> + Send;
}

/// No lookups: a single-account stack, and the tests that do not ask for one.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDirectory;

impl AccountDirectory for NoDirectory {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

impl<D: AccountDirectory> AccountDirectory for Option<D> {
    async fn account_name(&self, account: &str) -> Option<String> {
        match self {
            Some(d) => d.account_name(account).await,
            None => None,
        }
    }
}

/// A publisher and a directory: what the handler is given (`main.rs`: the SNS publisher,
/// and in central mode the Organizations directory).
#[derive(Debug)]
pub struct WithNames<P, D> {
    pub publisher: P,
    pub names: D,
}

impl<P: Publisher, D: Send + Sync> Publisher for WithNames<P, D> {
    fn publish(
        &self,
        topic_arn: &str,
        notification: &Notification,
    ) -> impl Future<Output = Result<String, PublishError>> + Send {
        self.publisher.publish(topic_arn, notification)
    }
}

impl<P: Send + Sync, D: AccountDirectory> AccountDirectory for WithNames<P, D> {
    fn account_name(&self, account: &str) -> impl Future<Output = Option<String>> + Send {
        self.names.account_name(account)
    }
}

/// The SNS publisher alone looks nothing up.
impl AccountDirectory for SnsPublisher {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

/// The recording fake looks nothing up (wrap it in [`WithNames`] for tests that do).
impl AccountDirectory for RecordingPublisher {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

/// Why a lookup gave no name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// Not allowed: the central account is not the management account or a delegated
    /// administrator, or the role lacks `organizations:DescribeAccount`.
    Denied(String),
    /// Organizations does not know the account (or this account is in no organization).
    NotFound(String),
    /// Throttling, a timeout, a network or service error: worth asking again later.
    Failed(String),
}

/// One `DescribeAccount`: the Organizations API, or a fake in tests.
pub trait DescribeAccount: Send + Sync {
    fn describe_account(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<String, LookupError>> + Send;
}

/// How many accounts' answers an execution environment keeps (an organization has at most a
/// few thousand; past this the cache starts again).
const MAX_CACHED: usize = 10_000;

/// How long the lookups rest after one failed (throttling, a timeout, a service error).
pub const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// Names looked up through `api`, cached per execution environment.
#[derive(Debug)]
pub struct Directory<A> {
    api: A,
    cache: Mutex<HashMap<String, Option<String>>>,
    denied: AtomicBool,
    /// No lookups before this instant (after a failure).
    paused_until: Mutex<Option<Instant>>,
}

impl<A: DescribeAccount> Directory<A> {
    pub fn new(api: A) -> Self {
        Directory {
            api,
            cache: Mutex::new(HashMap::new()),
            denied: AtomicBool::new(false),
            paused_until: Mutex::new(None),
        }
    }

    fn paused(&self) -> bool {
        self.paused_until
            .lock()
            .ok()
            .and_then(|p| *p)
            .is_some_and(|until| Instant::now() < until)
    }

    fn pause(&self) {
        if let Ok(mut p) = self.paused_until.lock() {
            *p = Instant::now().checked_add(PAUSE_AFTER_FAILURE);
        }
    }

    fn cached(&self, account: &str) -> Option<Option<String>> {
        self.cache.lock().ok()?.get(account).cloned()
    }

    fn remember(&self, account: &str, name: Option<String>) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(account.to_string(), name);
        }
    }
}

impl<A: DescribeAccount> AccountDirectory for Directory<A> {
    async fn account_name(&self, account: &str) -> Option<String> {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if self.denied.load(Ordering::Relaxed) {
            return None;
        }
        if let Some(known) = self.cached(account) {
            return known;
        }
        if self.paused() {
            return None;
        }
        match self.api.describe_account(account).await {
            Ok(name) => {
                let name = clean_name(&name);
                self.remember(account, name.clone());
                name
            }
            Err(LookupError::NotFound(why)) => {
                tracing::info!(account = %account, reason = %cap(&why),
                    "account name: Organizations does not know this account; the alert shows AccountNames or the id");
                self.remember(account, None);
                None
            }
            Err(LookupError::Denied(why)) => {
                self.denied.store(true, Ordering::Relaxed);
                tracing::warn!(account = %account, reason = %cap(&why),
                    "account names: organizations:DescribeAccount is denied, so alerts show \
                     AccountNames or the id. It answers in the organization's management account \
                     or a delegated administrator (aws organizations register-delegated-administrator \
                     --service-principal <any>); the function's role has the permission in central mode. \
                     Not asked again until the function restarts");
                None
            }
            Err(LookupError::Failed(why)) => {
                self.pause();
                tracing::warn!(account = %account, reason = %cap(&why),
                    "account name: lookup failed; the alert shows AccountNames or the id \
                     (lookups rest for a minute, then resume)");
                None
            }
        }
    }
}

/// A name as the renderer may use it: control characters and runs of white space become one
/// space, at most [`MAX_NAME_CHARS`] characters, `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let words: Vec<&str> = name
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let cleaned: String = words.join(" ").chars().take(MAX_NAME_CHARS).collect();
    let cleaned = cleaned.trim_end();
    (!cleaned.is_empty()).then(|| cleaned.to_string())
}

fn cap(s: &str) -> String {
    crate::redact::cap(s, 512)
}

/// The Organizations API through the AWS SDK (the shared configuration: environment,
/// `AWS_ENDPOINT_URL`, the Lambda role). The client is built at the first lookup. Two
/// attempts, a budget of [`BUDGET`] per lookup.
#[derive(Debug, Default)]
pub struct OrganizationsApi {
    client: tokio::sync::OnceCell<aws_sdk_organizations::Client>,
}

/// The most one lookup may add to an alert's time (both attempts and the backoff).
pub const BUDGET: Duration = Duration::from_millis(1_500);

impl OrganizationsApi {
    pub fn new() -> Self {
        OrganizationsApi::default()
    }

    /// An API with a ready client (tests: a fake endpoint on loopback).
    pub fn with_client(client: aws_sdk_organizations::Client) -> Self {
        OrganizationsApi {
            client: tokio::sync::OnceCell::new_with(Some(client)),
        }
    }

    async fn client(&self) -> &aws_sdk_organizations::Client {
        self.client
            .get_or_init(|| async {
                let shared = crate::publish::shared_config().await;
                aws_sdk_organizations::Client::from_conf(within_budget(
                    aws_sdk_organizations::config::Builder::from(shared),
                ))
            })
            .await
    }
}

/// The lookup's client settings: two attempts (throttling, 5xx, timeouts and connection
/// errors are retried; access denied is not), each within 650 ms, all within [`BUDGET`].
pub fn within_budget(
    builder: aws_sdk_organizations::config::Builder,
) -> aws_sdk_organizations::Config {
    use aws_sdk_organizations::config::{retry::RetryConfig, timeout::TimeoutConfig};
    builder
        .http_client(crate::publish::http_client())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(100)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_attempt_timeout(Duration::from_millis(650))
                .operation_timeout(BUDGET)
                .build(),
        )
        .build()
}

impl DescribeAccount for OrganizationsApi {
    async fn describe_account(&self, account: &str) -> Result<String, LookupError> {
        use aws_sdk_organizations::error::{ProvideErrorMetadata, SdkError};
        use aws_sdk_organizations::operation::describe_account::DescribeAccountError as E;
        let out = self
            .client()
            .await
            .describe_account()
            .account_id(account)
            .send()
            .await;
        match out {
            Ok(o) => o
                .account()
                .and_then(|a| a.name())
                .map(String::from)
                .ok_or_else(|| LookupError::NotFound("the answer has no name".into())),
            Err(SdkError::ServiceError(e)) => {
                let err = e.err();
                let why = format!(
                    "{}: {}",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or_default()
                );
                Err(match err {
                    E::AccessDeniedException(_) => LookupError::Denied(why),
                    E::AccountNotFoundException(_) | E::AwsOrganizationsNotInUseException(_) => {
                        LookupError::NotFound(why)
                    }
                    _ if why.contains("AccessDenied") => LookupError::Denied(why),
                    _ => LookupError::Failed(why),
                })
            }
            Err(other) => Err(LookupError::Failed(error_chain(&other))),
        }
    }
}

/// An SDK error in one line (its source chain), without the request.
fn error_chain<E: std::error::Error>(e: &E) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Fake {
        answer: Result<String, LookupError>,
        calls: AtomicUsize,
    }

    impl DescribeAccount for Fake {
        async fn describe_account(&self, _account: &str) -> Result<String, LookupError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.answer.clone()
        }
    }

    fn directory(answer: Result<String, LookupError>) -> Directory<Fake> {
        Directory::new(Fake {
            answer,
            calls: AtomicUsize::new(0),
        })
    }

    #[tokio::test]
    async fn a_name_is_asked_once_per_account() {
        let d = directory(Ok("prod-payments".into()));
        assert_eq!(
            d.account_name("444455556666").await.as_deref(),
            Some("prod-payments")
        );
        assert_eq!(
            d.account_name("444455556666").await.as_deref(),
            Some("prod-payments")
        );
        assert_eq!(d.api.calls.load(Ordering::Relaxed), 1);
        d.account_name("555566667777").await;
        assert_eq!(d.api.calls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn denied_stops_asking_unknown_is_remembered_failures_rest_then_ask_again() {
        let d = directory(Err(LookupError::Denied("AccessDeniedException".into())));
        assert_eq!(d.account_name("444455556666").await, None);
        assert_eq!(d.account_name("555566667777").await, None);
        assert_eq!(
            d.api.calls.load(Ordering::Relaxed),
            1,
            "denied: not asked again"
        );
        let d = directory(Err(LookupError::NotFound(
            "AccountNotFoundException".into(),
        )));
        d.account_name("444455556666").await;
        d.account_name("444455556666").await;
        assert_eq!(
            d.api.calls.load(Ordering::Relaxed),
            1,
            "unknown: remembered"
        );
        let d = directory(Err(LookupError::Failed("throttled".into())));
        d.account_name("444455556666").await;
        d.account_name("555566667777").await;
        assert_eq!(
            d.api.calls.load(Ordering::Relaxed),
            1,
            "a failure: the lookups rest"
        );
        if let Ok(mut p) = d.paused_until.lock() {
            *p = Some(Instant::now());
        }
        d.account_name("444455556666").await;
        assert_eq!(d.api.calls.load(Ordering::Relaxed), 2, "then ask again");
    }

    #[tokio::test]
    async fn only_account_ids_are_asked_about() {
        let d = directory(Ok("x".into()));
        for bad in ["", "4444", "44445555666x", "444455556666 ", "../../etc"] {
            assert_eq!(d.account_name(bad).await, None, "{bad:?}");
        }
        assert_eq!(d.api.calls.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(
            clean_name("prod\npayments\u{7}").as_deref(),
            Some("prod payments")
        );
        assert_eq!(
            clean_name(&"n".repeat(80)).map(|n| n.chars().count()),
            Some(MAX_NAME_CHARS)
        );
        assert_eq!(clean_name(" \u{1b} "), None);
        assert_eq!(clean_name(" a \u{2028}\t b ").as_deref(), Some("a b"));
    }
}
