//! What an attached customer-managed policy grants (shell): for a successful
//! `Attach{Role,User,Group}Policy` of a policy of the stack's own account, its default version
//! is read from IAM (`iam:GetPolicy`, `iam:GetPolicyVersion`, two [`crate::signed_call`]s)
//! within [`BUDGET`], and the renderer shows it and runs the same findings on it as on a
//! policy a request carries: attaching a customer-managed allow-all policy is critical. Any
//! failure gives the alert without it and one line saying what could not be read and why.
//! AWS managed policies keep the built-in knowledge and are not read.

use crate::event::Event;
use crate::organizations::AccountDirectory;
use crate::publish::{PublishError, Publisher};
use crate::render::Notification;
use crate::signed_call::{self, xml_text};
use std::future::Future;
use std::time::Duration;

/// The most the lookup adds to an alert's time (both calls).
pub const BUDGET: Duration = Duration::from_millis(2_000);

const ATTACH_CALLS: &[&str] = &["AttachRolePolicy", "AttachUserPolicy", "AttachGroupPolicy"];

/// What the lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    /// The policy's default version: its id and its document (JSON text).
    Read {
        arn: String,
        version: String,
        document: String,
    },
    /// Why it could not be read (said in the alert).
    NotRead { arn: String, why: String },
}

impl Attached {
    pub fn arn(&self) -> &str {
        match self {
            Attached::Read { arn, .. } | Attached::NotRead { arn, .. } => arn,
        }
    }
}

/// Where the policy's text comes from: IAM, or nothing (lookups off, tests).
pub trait PolicyLookup: Send + Sync {
    /// `None`: not looked up at all (nothing is said).
    fn attached_policy(&self, arn: &str) -> impl Future<Output = Option<Attached>> + Send;
}

impl<L: PolicyLookup> PolicyLookup for Option<L> {
    async fn attached_policy(&self, arn: &str) -> Option<Attached> {
        match self {
            Some(l) => l.attached_policy(arn).await,
            None => None,
        }
    }
}

/// The SNS publisher alone reads nothing.
impl PolicyLookup for crate::publish::SnsPublisher {
    async fn attached_policy(&self, _arn: &str) -> Option<Attached> {
        None
    }
}

/// The recording fake reads nothing (wrap it in [`WithPolicies`] for tests that do).
impl PolicyLookup for crate::publish::RecordingPublisher {
    async fn attached_policy(&self, _arn: &str) -> Option<Attached> {
        None
    }
}

/// A publisher (with its account directory) and a policy lookup: what `main.rs` hands the
/// handler.
#[derive(Debug)]
pub struct WithPolicies<S, L> {
    pub inner: S,
    pub policies: L,
}

impl<S: Publisher, L: Send + Sync> Publisher for WithPolicies<S, L> {
    fn publish(
        &self,
        topic_arn: &str,
        notification: &Notification,
    ) -> impl Future<Output = Result<String, PublishError>> + Send {
        self.inner.publish(topic_arn, notification)
    }
}

impl<S: AccountDirectory, L: Send + Sync> AccountDirectory for WithPolicies<S, L> {
    fn account_name(&self, account: &str) -> impl Future<Output = Option<String>> + Send {
        self.inner.account_name(account)
    }
}

impl<S: Send + Sync, L: PolicyLookup> PolicyLookup for WithPolicies<S, L> {
    fn attached_policy(&self, arn: &str) -> impl Future<Output = Option<Attached>> + Send {
        self.policies.attached_policy(arn)
    }
}

impl<P: Send + Sync, D: Send + Sync> PolicyLookup for crate::organizations::WithNames<P, D> {
    async fn attached_policy(&self, _arn: &str) -> Option<Attached> {
        None
    }
}

/// The policy an event attaches, when its text is worth reading: a successful
/// Attach{Role,User,Group}Policy of a customer-managed policy of `own_account`.
pub fn wanted(event: &Event, own_account: &str) -> Option<String> {
    let d = &event.detail;
    let call = d.event_name.as_deref()?;
    if d.event_source.as_deref() != Some(crate::calls::IAM)
        || !ATTACH_CALLS.contains(&call)
        || d.error_code.is_some()
    {
        return None;
    }
    let arn = event.request("policyArn")?;
    let parsed = crate::arn::Arn::parse(&arn)?;
    (parsed.service == "iam"
        && parsed.account == own_account
        && parsed.resource.starts_with("policy/"))
    .then(|| arn.to_string())
}

/// IAM, with the shared configuration (the Lambda role, `AWS_ENDPOINT_URL`).
#[derive(Debug, Default)]
pub struct IamPolicies {
    config: Option<aws_config::SdkConfig>,
}

impl IamPolicies {
    pub fn new() -> Self {
        IamPolicies::default()
    }

    /// With `config` (tests: an endpoint on loopback, fixed credentials).
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        IamPolicies {
            config: Some(config),
        }
    }

    async fn read(&self, arn: &str) -> Result<(String, String), String> {
        let config = match &self.config {
            Some(c) => c,
            None => crate::publish::shared_config().await,
        };
        let credentials = signed_call::credentials(config).await?;
        let policy = urlencoding::encode(arn);
        let get_policy = format!("Action=GetPolicy&PolicyArn={policy}&Version=2010-05-08");
        let answer = query(config, &get_policy, credentials.clone()).await?;
        let version = xml_text(&answer, "DefaultVersionId")
            .filter(|v| v.len() <= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
            .ok_or("iam:GetPolicy answered without a default version")?
            .to_string();
        let get_version = format!(
            "Action=GetPolicyVersion&PolicyArn={policy}&VersionId={}&Version=2010-05-08",
            urlencoding::encode(&version)
        );
        let answer = query(config, &get_version, credentials).await?;
        let encoded = xml_text(&answer, "Document")
            .ok_or("iam:GetPolicyVersion answered without a document")?;
        // IAM URL-encodes the document inside the XML; the XML's own escapes go first.
        let text = encoded
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let document = urlencoding::decode(&text)
            .map_err(|_| "the document is not URL-encoded text".to_string())?
            .into_owned();
        Ok((version, document))
    }
}

impl PolicyLookup for IamPolicies {
    async fn attached_policy(&self, arn: &str) -> Option<Attached> {
        let answer = match tokio::time::timeout(BUDGET, self.read(arn)).await {
            Ok(answer) => answer,
            Err(_) => Err(format!(
                "IAM did not answer within {} ms",
                BUDGET.as_millis()
            )),
        };
        Some(match answer {
            Ok((version, document)) => Attached::Read {
                arn: arn.to_string(),
                version,
                document,
            },
            Err(why) => {
                tracing::warn!(policyArn = %crate::redact::cap(arn, 512), reason = %why,
                    "the attached policy's text could not be read; the alert goes without it");
                Attached::NotRead {
                    arn: arn.to_string(),
                    why,
                }
            }
        })
    }
}

/// One IAM Query call; its XML answer, or why not (the error code IAM gave, in words).
async fn query(
    config: &aws_config::SdkConfig,
    body: &str,
    credentials: aws_credential_types::Credentials,
) -> Result<String, String> {
    let answer = signed_call::iam_query(config, body, credentials).await?;
    if answer.ok() {
        return Ok(answer.body);
    }
    let code = xml_text(&answer.body, "Code").unwrap_or("an error");
    Err(match code {
        "NoSuchEntity" => "the policy no longer exists (NoSuchEntity)".to_string(),
        "AccessDenied" => "the function may not read it (AccessDenied: its role needs \
                           iam:GetPolicy and iam:GetPolicyVersion)"
            .to_string(),
        "Throttling" => "IAM is throttling the function's calls (Throttling)".to_string(),
        other => format!(
            "IAM answered HTTP {} {}",
            answer.status,
            crate::redact::cap(other, 64)
        ),
    })
}
