//! What a change means, read from IAM (aws-sdk-iam): the pure [`crate::enrich::wants`]
//! decides what to ask; [`IamPolicies`] reads it side by side, all within the alert's budget
//! ([`BUDGET`] unless configured); the renderer (`render::looked_up`) says what it means.
//! Any failure gives the alert without that part and one line saying what could not be read,
//! of which kind ([`LookupError`]) and why. AWS managed policies keep the built-in knowledge
//! and are not read.

use super::{Kind, LookupError, from_sdk, within};
use crate::arn::Arn;
use crate::enrich::{
    Attached, BUDGET, GROUP_POLICIES_READ, GroupGrants, GroupPolicy, Holders, Listed, Person,
    PersonQuery, Read, RoleTrust, UserKey, VersionQuery, Versions, Wants, comparison,
    is_version_id,
};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// Where policies, their versions, holders and roles' trust come from: IAM, or nothing
/// (lookups off, tests).
pub trait PolicyLookup: Send + Sync {
    /// Reads what `wants` asks, within [`BUDGET`]; never fails (a part that could not be
    /// read says why).
    fn read(&self, wants: &Wants) -> impl Future<Output = Read> + Send;
}

impl<L: PolicyLookup> PolicyLookup for Option<L> {
    async fn read(&self, wants: &Wants) -> Read {
        match self {
            Some(l) => l.read(wants).await,
            None => Read::default(),
        }
    }
}

/// The SNS publisher alone reads nothing.
impl PolicyLookup for crate::publish::SnsPublisher {
    async fn read(&self, _wants: &Wants) -> Read {
        Read::default()
    }
}

/// The recording fake reads nothing (put it in a `handler::Shell` for tests that do).
impl PolicyLookup for crate::publish::RecordingPublisher {
    async fn read(&self, _wants: &Wants) -> Read {
        Read::default()
    }
}

/// Nothing is looked up (a `handler::Shell` without IAM reads).
impl PolicyLookup for () {
    async fn read(&self, _wants: &Wants) -> Read {
        Read::default()
    }
}

/// The role forwarder.yaml creates in a member account for the central function
/// (`CentralFunctionRoleArn`).
pub const READ_ROLE: &str = "iam-notify-central-read";

/// IAM, with the shared configuration (the Lambda role, `AWS_ENDPOINT_URL`): the stack's own
/// account with the function's credentials, and in an organization's central stack a member
/// account through its [`READ_ROLE`] (forwarder.yaml's, on request).
#[derive(Debug, Default)]
pub struct IamPolicies {
    config: Option<aws_config::SdkConfig>,
    /// The stack's own account; `None`: every account is read with the function's own
    /// credentials (tests against one endpoint).
    own_account: Option<String>,
    /// Other accounts are read through their read role (central mode).
    members: bool,
    /// The most the lookups add to an alert's time ([`BUDGET`] when zero).
    budget: Duration,
    /// A member's read-role credentials, kept until shortly before they expire.
    member_credentials: Mutex<HashMap<String, Credentials>>,
    /// People found in identity stores, by store and user id or name.
    people: Mutex<HashMap<(String, UserKey), Person>>,
}

impl IamPolicies {
    /// Reads `own_account` with the function's credentials and, with `members`, other
    /// accounts through their read role.
    pub fn new(own_account: Option<&str>, members: bool) -> Self {
        IamPolicies {
            own_account: own_account.map(String::from),
            members,
            ..IamPolicies::default()
        }
    }

    /// With `config` (tests: an endpoint on loopback, fixed credentials), every account read
    /// with those credentials.
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        IamPolicies {
            config: Some(config),
            ..IamPolicies::default()
        }
    }

    /// Within `budget` per alert instead of [`BUDGET`].
    pub fn with_budget(self, budget: Duration) -> Self {
        IamPolicies { budget, ..self }
    }

    fn budget(&self) -> Duration {
        if self.budget.is_zero() {
            BUDGET
        } else {
            self.budget
        }
    }

    /// The same as [`IamPolicies::new`] with `config`.
    pub fn with_config_for(
        config: aws_config::SdkConfig,
        own_account: &str,
        members: bool,
    ) -> Self {
        IamPolicies {
            config: Some(config),
            ..IamPolicies::new(Some(own_account), members)
        }
    }

    async fn config(&self) -> &aws_config::SdkConfig {
        match &self.config {
            Some(c) => c,
            None => crate::publish::shared_config().await,
        }
    }

    /// The IAM client that reads `account`: with the function's own credentials for its own
    /// account, with a member's read role's for a member (central mode).
    async fn client_in(&self, account: &str) -> Result<aws_sdk_iam::Client, LookupError> {
        let config = self.config().await;
        let own = self.own_account.as_deref();
        let builder =
            aws_sdk_iam::config::Builder::from(config).retry_config(super::sdk_settings());
        if own.is_none() || own == Some(account) {
            return Ok(aws_sdk_iam::Client::from_conf(builder.build()));
        }
        if !self.members {
            return Err(LookupError::new(
                Kind::Denied,
                format!("account {account} is not this stack's"),
            ));
        }
        let credentials = self.member(config, account).await?;
        Ok(aws_sdk_iam::Client::from_conf(
            builder
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build(),
        ))
    }

    /// A member account's read-role credentials: kept ones while fresh, else assumed.
    async fn member(
        &self,
        config: &aws_config::SdkConfig,
        account: &str,
    ) -> Result<Credentials, LookupError> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|at| at > std::time::SystemTime::now() + Duration::from_secs(300))
        };
        let kept = self
            .member_credentials
            .lock()
            .ok()
            .and_then(|m| m.get(account).cloned())
            .filter(fresh);
        if let Some(credentials) = kept {
            return Ok(credentials);
        }
        let partition = config
            .region()
            .map_or("aws", |r| crate::arn::partition_of_region(r.as_ref()));
        let role = format!("arn:{partition}:iam::{account}:role/{READ_ROLE}");
        // A task of its own: the STS client's futures are large and deep, and a task is
        // polled from the top of the runtime's stack rather than under this alert's.
        let sts_config = config.clone();
        let assumed = tokio::spawn(async move {
            aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("iam-notify-enrich")
                .configure(&sts_config)
                .build()
                .await
                .provide_credentials()
                .await
                .map_err(|e| super::error_chain(&e))
        });
        let credentials = assumed
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|e| {
                LookupError::new(
                    Kind::Denied,
                    format!(
                        "the function may not read account {account} (assuming its {READ_ROLE} \
                         role: {e}; deploy forwarder.yaml there with CentralFunctionRoleArn)"
                    ),
                )
            })?;
        if let Ok(mut m) = self.member_credentials.lock() {
            m.insert(account.to_string(), credentials.clone());
        }
        Ok(credentials)
    }

    /// A policy's default version: its id and document.
    async fn default_version(&self, arn: &str) -> Result<(String, String), LookupError> {
        let client = self.client_in(account_of(arn)).await?;
        let got = client
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "GetPolicy")))?;
        let version = got
            .policy()
            .and_then(|p| p.default_version_id())
            .filter(|v| is_version_id(v))
            .ok_or_else(|| malformed("iam:GetPolicy answered without a default version"))?
            .to_string();
        let document = policy_version(&client, arn, &version).await?;
        Ok((version, document))
    }

    /// The new version compared with the one [`comparison`] picks.
    async fn versions(&self, q: &VersionQuery) -> Result<Versions, LookupError> {
        let client = self.client_in(account_of(&q.arn)).await?;
        let answer = client
            .list_policy_versions()
            .policy_arn(&q.arn)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "ListPolicyVersions")))?;
        let listed: Vec<Listed> = answer
            .versions()
            .iter()
            .filter_map(|v| {
                Some(Listed {
                    id: v.version_id()?.to_string(),
                    default: v.is_default_version(),
                    created: v
                        .create_date()
                        .and_then(|d| {
                            d.fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
                                .ok()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect();
        let Some((against, basis)) = comparison(&listed, q) else {
            return Ok(Versions::Alone {
                version: q.version.clone(),
            });
        };
        let (against_document, document) = if q.in_record {
            (policy_version(&client, &q.arn, &against).await?, None)
        } else {
            let (old, new) = tokio::join!(
                policy_version(&client, &q.arn, &against),
                policy_version(&client, &q.arn, &q.version)
            );
            (old?, Some(new?))
        };
        Ok(Versions::Compared {
            version: q.version.clone(),
            document,
            against,
            against_document,
            basis,
        })
    }

    /// Who holds the policy (one page of ListEntitiesForPolicy).
    async fn holders(&self, arn: &str) -> Result<Holders, LookupError> {
        let client = self.client_in(account_of(arn)).await?;
        let answer = client
            .list_entities_for_policy()
            .policy_arn(arn)
            .max_items(1000)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "ListEntitiesForPolicy")))?;
        let names =
            |names: Vec<Option<&str>>| names.into_iter().flatten().map(String::from).collect();
        Ok(Holders::Listed {
            roles: names(
                answer
                    .policy_roles()
                    .iter()
                    .map(|r| r.role_name())
                    .collect(),
            ),
            users: names(
                answer
                    .policy_users()
                    .iter()
                    .map(|u| u.user_name())
                    .collect(),
            ),
            groups: names(
                answer
                    .policy_groups()
                    .iter()
                    .map(|g| g.group_name())
                    .collect(),
            ),
            more: answer.is_truncated(),
        })
    }

    /// The person behind an Identity Center session: remembered once found (a burst of one
    /// person's changes asks once per execution environment).
    async fn person(&self, q: &PersonQuery) -> Person {
        let key = (q.store.clone(), q.by.clone());
        if let Some(found) = self.people.lock().ok().and_then(|p| p.get(&key).cloned()) {
            return found;
        }
        // The store is asked with the function's own credentials.
        let config = self.config().await;
        let person = within(self.budget(), super::identity_store::describe(config, q))
            .await
            .unwrap_or_else(|e| Person::NotRead {
                who: q.by.words(),
                why: e.to_string(),
            });
        match &person {
            Person::Found { .. } => {
                if let Ok(mut people) = self.people.lock() {
                    people.insert(key, person.clone());
                }
            }
            Person::NotRead { who, why } => not_read("the person behind the session", who, why),
        }
        person
    }

    /// A role's trust policy.
    async fn trust(&self, account: &str, role: &str) -> Result<String, LookupError> {
        let client = self.client_in(account).await?;
        let got = client
            .get_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "GetRole")))?;
        let encoded = got
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .filter(|d| !d.is_empty())
            .ok_or_else(|| malformed("iam:GetRole answered without a trust policy"))?;
        decoded_document(encoded)
    }

    /// What a group grants: its attached policies (AWS managed ones by name, customer
    /// managed ones' default versions read) and its inline policies, at most
    /// [`GROUP_POLICIES_READ`] of them; each one that cannot be read says why.
    async fn group(&self, account: &str, group: &str) -> Result<GroupGrants, LookupError> {
        let client = self.client_in(account).await?;
        let attached = client
            .list_attached_group_policies()
            .group_name(group)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "ListAttachedGroupPolicies")))?;
        let inline = client
            .list_group_policies()
            .group_name(group)
            .send()
            .await
            .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "ListGroupPolicies")))?;
        let listed = attached.attached_policies().len() + inline.policy_names().len();
        let mut policies = Vec::new();
        for p in attached
            .attached_policies()
            .iter()
            .take(GROUP_POLICIES_READ)
        {
            let (Some(arn), Some(name)) = (p.policy_arn(), p.policy_name()) else {
                continue;
            };
            let name = name.to_string();
            if account_of(arn) == "aws" {
                policies.push(GroupPolicy::AwsManaged { name });
                continue;
            }
            let read = self.default_version(arn).await;
            policies.push(GroupPolicy::Customer {
                name,
                version: read.as_ref().ok().map(|(v, _)| v.clone()),
                document: read.map(|(_, d)| d).map_err(|e| e.to_string()),
            });
        }
        let room = GROUP_POLICIES_READ.saturating_sub(policies.len());
        for name in inline.policy_names().iter().take(room) {
            let read = client
                .get_group_policy()
                .group_name(group)
                .policy_name(name)
                .send()
                .await
                .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "GetGroupPolicy")))
                .and_then(|got| decoded_document(got.policy_document()));
            policies.push(GroupPolicy::Inline {
                name: name.clone(),
                document: read.map_err(|e| e.to_string()),
            });
        }
        Ok(GroupGrants::Read {
            group: group.to_string(),
            more: listed > policies.len() || attached.is_truncated() || inline.is_truncated(),
            policies,
        })
    }

    /// `work` within the budget; a failure is logged (`what` about `subject` could not be
    /// read) and returned in words, for the alert to say.
    fn attempt<'a, T: Send + 'a>(
        &self,
        what: &'a str,
        subject: &'a str,
        work: impl Future<Output = Result<T, LookupError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, String>> + Send + 'a {
        let bounded = within(self.budget(), work);
        async move {
            bounded.await.map_err(|e| {
                let why = e.to_string();
                not_read(what, subject, &why);
                why
            })
        }
    }
}

/// The account of an ARN (empty when it has none: read as the stack's own).
fn account_of(arn: &str) -> &str {
    Arn::parse(arn).map_or("", |a| a.account)
}

fn malformed(why: &str) -> LookupError {
    LookupError::new(Kind::Malformed, why)
}

/// An error IAM answered to `action`, in words.
fn iam_words(kind: Kind, a: &super::Answered, action: &str) -> String {
    match kind {
        Kind::NotFound => format!("it no longer exists ({})", a.code),
        Kind::Denied => format!(
            "the function may not read it ({}: its role needs iam:{action})",
            a.code
        ),
        Kind::Throttled => format!("IAM is throttling the function's calls ({})", a.code),
        _ => format!(
            "IAM answered HTTP {} {}",
            a.status,
            crate::redact::cap(&a.code, 64)
        ),
    }
}

/// Logs what could not be read (the alert says it too).
fn not_read(what: &str, subject: &str, why: &str) {
    tracing::warn!(subject = %crate::redact::cap(subject, 512), reason = %why,
        "{what} could not be read; the alert goes without it");
}

impl PolicyLookup for IamPolicies {
    async fn read(&self, wants: &Wants) -> Read {
        let attached = async {
            let arn = wants.attached.as_deref()?;
            let read = self.attempt("the attached policy's text", arn, self.default_version(arn));
            Some(match read.await {
                Ok((version, document)) => Attached::Read {
                    arn: arn.to_string(),
                    version,
                    document,
                },
                Err(why) => Attached::NotRead {
                    arn: arn.to_string(),
                    why,
                },
            })
        };
        let versions = async {
            let q = wants.versions.as_ref()?;
            let read = self.attempt("the policy's earlier version", &q.arn, self.versions(q));
            Some(read.await.unwrap_or_else(|why| Versions::NotRead { why }))
        };
        let holders = async {
            let arn = wants.holders.as_deref()?;
            let read = self.attempt("who holds the policy", arn, self.holders(arn));
            Some(read.await.unwrap_or_else(|why| Holders::NotRead { why }))
        };
        let trust = async {
            let (account, role) = wants.role.as_ref()?;
            let read = self.attempt("the role's trust policy", role, self.trust(account, role));
            Some(match read.await {
                Ok(document) => RoleTrust::Read {
                    role: role.to_string(),
                    document,
                },
                Err(why) => RoleTrust::NotRead {
                    role: role.to_string(),
                    why,
                },
            })
        };
        let person = async {
            let q = wants.person.as_ref()?;
            Some(self.person(q).await)
        };
        let group = async {
            let (account, group) = wants.group.as_ref()?;
            let read = self.attempt("what the group grants", group, self.group(account, group));
            Some(read.await.unwrap_or_else(|why| GroupGrants::NotRead {
                group: group.to_string(),
                why,
            }))
        };
        let (attached, versions, holders, trust, person, group) =
            tokio::join!(attached, versions, holders, trust, person, group);
        Read {
            attached,
            versions,
            holders,
            trust,
            person,
            inline: wants.inline,
            group,
        }
    }
}

/// One version's document (GetPolicyVersion).
async fn policy_version(
    client: &aws_sdk_iam::Client,
    arn: &str,
    version: &str,
) -> Result<String, LookupError> {
    let got = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| from_sdk(e, |kind, a| iam_words(kind, a, "GetPolicyVersion")))?;
    let encoded = got
        .policy_version()
        .and_then(|v| v.document())
        .ok_or_else(|| malformed("iam:GetPolicyVersion answered without a document"))?;
    decoded_document(encoded)
}

/// A document as IAM answers it: URL-encoded (the SDK has undone the XML's own escapes);
/// anything shaped like a secret masked, as in records.
fn decoded_document(encoded: &str) -> Result<String, LookupError> {
    let document = urlencoding::decode(encoded)
        .map_err(|_| malformed("the document is not URL-encoded text"))?;
    Ok(crate::redact::text(&document))
}
