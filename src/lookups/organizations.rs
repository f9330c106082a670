//! Account names from AWS Organizations, for an organization's central stack (shell: the
//! lookups the function makes, with [`super::account_alias`]). `organizations:DescribeAccount` answers for the management
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

use super::{Kind, LookupError, from_sdk};
use crate::accounts::MAX_NAME_CHARS;
use crate::publish::{RecordingPublisher, SnsPublisher};
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

/// The first name either directory has: AWS Organizations', then the member's alias.
#[derive(Debug)]
pub struct FirstOf<A, B>(pub A, pub B);

impl<A: AccountDirectory, B: AccountDirectory> AccountDirectory for FirstOf<A, B> {
    async fn account_name(&self, account: &str) -> Option<String> {
        match self.0.account_name(account).await {
            Some(name) => Some(name),
            None => self.1.account_name(account).await,
        }
    }
}

/// No directory: no names (a `handler::Shell` without account names).
impl AccountDirectory for () {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

/// The SNS publisher alone looks nothing up.
impl AccountDirectory for SnsPublisher {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

/// The recording fake looks nothing up (put it in a `handler::Shell` for tests that do).
impl AccountDirectory for RecordingPublisher {
    async fn account_name(&self, _account: &str) -> Option<String> {
        None
    }
}

/// One source of an account's name: the Organizations API (`DescribeAccount`), the member's
/// alias ([`super::account_alias`]), or a fake in tests.
pub trait DescribeAccount: Send + Sync {
    /// What the logs call this source.
    fn source(&self) -> &'static str {
        "organizations:DescribeAccount"
    }

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
            Err(LookupError {
                kind: Kind::NotFound,
                why,
            }) => {
                tracing::info!(account = %account, source = self.api.source(), reason = %cap(&why),
                    "account name: this source has none for the account (remembered)");
                self.remember(account, None);
                None
            }
            Err(LookupError {
                kind: Kind::Denied,
                why,
            }) => {
                self.denied.store(true, Ordering::Relaxed);
                tracing::warn!(account = %account, source = self.api.source(), reason = %cap(&why),
                    "account names: organizations:DescribeAccount is denied, so alerts show \
                     AccountNames or the id. It answers in the organization's management account \
                     or a delegated administrator (aws organizations register-delegated-administrator \
                     --service-principal <any>); the function's role has the permission in central mode. \
                     Not asked again until the function restarts");
                None
            }
            // Throttling, a timeout, a network, service or malformed answer: worth asking
            // again later.
            Err(LookupError { why, .. }) => {
                self.pause();
                tracing::warn!(account = %account, source = self.api.source(), reason = %cap(&why),
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

/// The Organizations API (aws-sdk-organizations): `DescribeAccount` with the shared
/// configuration's credentials and endpoint (`AWS_ENDPOINT_URL`, the Lambda role). Two
/// attempts (throttling and server errors are retried; access denied is not), all within
/// [`BUDGET`].
#[derive(Debug, Default)]
pub struct OrganizationsApi {
    /// The shared configuration, loaded at the first lookup, unless given (tests).
    config: Option<aws_config::SdkConfig>,
}

/// The most one lookup may add to an alert's time (both attempts and the pause between).
pub const BUDGET: Duration = Duration::from_millis(1_500);

/// `lookup`, or a failure once [`BUDGET`] has passed (every name source's limit).
pub async fn within_budget(
    lookup: impl Future<Output = Result<String, LookupError>> + Send,
) -> Result<String, LookupError> {
    super::within(BUDGET, lookup).await
}

impl OrganizationsApi {
    pub fn new() -> Self {
        OrganizationsApi::default()
    }

    /// An API using `config` (tests: an endpoint on loopback, fixed credentials).
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        OrganizationsApi {
            config: Some(config),
        }
    }

    async fn describe(&self, account: &str) -> Result<String, LookupError> {
        let config = match &self.config {
            Some(c) => c,
            None => crate::publish::shared_config().await,
        };
        let client = aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(config)
                .retry_config(super::sdk_settings())
                .build(),
        );
        let described = client
            .describe_account()
            .account_id(account)
            .send()
            .await
            .map_err(|e| {
                from_sdk(e, |_, a| {
                    format!("HTTP {} {}: {}", a.status, a.code, a.message)
                })
            })?;
        described
            .account()
            .and_then(|a| a.name())
            .map(String::from)
            .ok_or_else(|| {
                LookupError::new(Kind::Malformed, "an answer without the account's name")
            })
    }
}

impl DescribeAccount for OrganizationsApi {
    async fn describe_account(&self, account: &str) -> Result<String, LookupError> {
        within_budget(self.describe(account)).await
    }
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
        let d = directory(Err(LookupError::new(Kind::Denied, "AccessDeniedException")));
        assert_eq!(d.account_name("444455556666").await, None);
        assert_eq!(d.account_name("555566667777").await, None);
        assert_eq!(
            d.api.calls.load(Ordering::Relaxed),
            1,
            "denied: not asked again"
        );
        let d = directory(Err(LookupError::new(
            Kind::NotFound,
            "AccountNotFoundException",
        )));
        d.account_name("444455556666").await;
        d.account_name("444455556666").await;
        assert_eq!(
            d.api.calls.load(Ordering::Relaxed),
            1,
            "unknown: remembered"
        );
        let d = directory(Err(LookupError::new(Kind::Throttled, "throttled")));
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
