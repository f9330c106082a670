//! What a change means, read from IAM (shell, with its pure choices). From the record alone
//! ([`wants`]): the text of an attached customer-managed policy, the version a new policy
//! version is compared with ([`comparison`]), who holds a policy with a new default version,
//! who may assume a role whose permissions changed, and the person behind an Identity Center
//! session ([`crate::identity_store`]). [`IamPolicies`] reads them side by side, each a few
//! [`crate::signed_call`]s, all within the alert's budget ([`BUDGET`] unless configured); the
//! renderer (`render::looked_up`) says what they mean. Any failure gives the alert without that
//! part and one line saying what could not be read and why. AWS managed policies keep the
//! built-in knowledge and are not read.

use crate::event::Event;
use crate::signed_call::{self, xml_text};
use std::future::Future;
use std::time::Duration;

/// The most the lookups add to an alert's time, by default (`ENRICH_BUDGET_MS`).
pub const BUDGET: Duration = Duration::from_millis(2_000);
/// The most `ENRICH_BUDGET_MS` may be (the template's Lambda timeout is sized for it).
pub const MAX_BUDGET: Duration = Duration::from_millis(5_000);

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

/// A new version of a policy (CreatePolicyVersion, SetDefaultPolicyVersion), to compare with
/// an older one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionQuery {
    pub arn: String,
    /// The new version's id.
    pub version: String,
    /// It is the policy's default now.
    pub now_default: bool,
    /// The record carries its document (CreatePolicyVersion): it is not read again.
    pub in_record: bool,
}

/// Which version a new one was compared with, and how sure that is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The policy's default version (the new one is not the default: nothing changed in force).
    Default,
    /// The only other version: it was the default before.
    OnlyOther,
    /// The version created just before the new one (IAM does not keep which was default).
    Older,
    /// The version created just after it (none is older).
    Newer,
}

/// A version of a policy, as ListPolicyVersions lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub default: bool,
    /// ISO 8601, as IAM writes it (compares in time order).
    pub created: String,
}

/// What was read about a new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versions {
    Compared {
        version: String,
        /// The new version's document, when the record does not carry it.
        document: Option<String>,
        against: String,
        against_document: String,
        basis: Basis,
    },
    /// The policy has no other version.
    Alone {
        version: String,
    },
    NotRead {
        why: String,
    },
}

/// Who holds a policy (ListEntitiesForPolicy), or why that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holders {
    Listed {
        roles: Vec<String>,
        users: Vec<String>,
        groups: Vec<String>,
        /// IAM had more than one page: the counts are at least these.
        more: bool,
    },
    NotRead {
        why: String,
    },
}

/// A role's trust policy (GetRole), or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleTrust {
    Read { role: String, document: String },
    NotRead { role: String, why: String },
}

/// What an alert asks IAM, decided from the record alone ([`wants`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wants {
    /// The attached customer-managed policy whose default version is read.
    pub attached: Option<String>,
    /// The new version to compare with an older one.
    pub versions: Option<VersionQuery>,
    /// The policy whose holders are listed (it has a new default version).
    pub holders: Option<String>,
    /// The role whose trust policy is read (its permissions changed): its account and name.
    pub role: Option<(String, String)>,
    /// The IAM Identity Center user behind the caller (`identity_store::wanted`).
    pub person: Option<crate::identity_store::PersonQuery>,
    /// An inline policy was put: IAM keeps no earlier text to compare with (said, not read).
    pub inline: bool,
}

impl Wants {
    pub fn is_empty(&self) -> bool {
        *self == Wants::default()
    }
}

/// What IAM answered (each part `None` when not asked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    pub attached: Option<Attached>,
    pub versions: Option<Versions>,
    pub holders: Option<Holders>,
    pub trust: Option<RoleTrust>,
    pub person: Option<crate::identity_store::Person>,
    /// An inline policy was put (from [`Wants::inline`]): nothing to compare it with.
    pub inline: bool,
}

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

/// The recording fake reads nothing (put it in a [`crate::handler::Shell`] for tests that do).
impl PolicyLookup for crate::publish::RecordingPublisher {
    async fn read(&self, _wants: &Wants) -> Read {
        Read::default()
    }
}

/// Nothing is looked up (a [`crate::handler::Shell`] without IAM reads).
impl PolicyLookup for () {
    async fn read(&self, _wants: &Wants) -> Read {
        Read::default()
    }
}

/// What the record asks IAM about, for a successful IAM call in `own_account`: the text of an
/// attached customer-managed policy of that account ([`wanted`]); for a new version of such
/// a policy, the version to compare it with and, when it is the default now, who holds the
/// policy; for a role whose permissions changed (AttachRolePolicy, PutRolePolicy), who may
/// assume it.
pub fn wants(event: &Event<'_>, own_account: &str, members: bool) -> Wants {
    let d = &event.detail;
    // The record's account, when its policies and roles may be read.
    let Some(account) = event.account().filter(|a| *a == own_account || members) else {
        return Wants::default();
    };
    let mut w = Wants {
        attached: wanted(event, account),
        ..Wants::default()
    };
    if d.event_source.as_deref() != Some(crate::calls::IAM) || d.error_code.is_some() {
        return w;
    }
    let call = d.event_name.as_deref().unwrap_or_default();
    let own_policy = || policy_in(event, account);
    let version_id = |v: String| is_version_id(&v).then_some(v);
    match call {
        "CreatePolicyVersion" => {
            // As the alert's own "Set as default" line says it.
            let default = crate::calls::policies::set_as_default(event) == Some(true);
            if let (Some(arn), Some(version)) = (
                own_policy(),
                event
                    .response(&["policyVersion", "versionId"])
                    .and_then(version_id),
            ) {
                w.holders = default.then(|| arn.clone());
                w.versions = Some(VersionQuery {
                    arn,
                    version,
                    now_default: default,
                    in_record: event.request_value("policyDocument").is_some(),
                });
            }
        }
        "SetDefaultPolicyVersion" => {
            if let (Some(arn), Some(version)) = (
                own_policy(),
                event.request("versionId").and_then(version_id),
            ) {
                w.holders = Some(arn.clone());
                w.versions = Some(VersionQuery {
                    arn,
                    version,
                    now_default: true,
                    in_record: false,
                });
            }
        }
        "AttachRolePolicy" | "PutRolePolicy" => {
            w.role = event.request("roleName").map(|r| (account.to_string(), r));
            w.inline = call == "PutRolePolicy";
        }
        "PutUserPolicy" | "PutGroupPolicy" => w.inline = true,
        _ => {}
    }
    w
}

/// The version a new one is compared with: the default when the new one is not; the only
/// other version; else the nearest older one, or the nearest newer when none is older.
pub fn comparison(listed: &[Listed], query: &VersionQuery) -> Option<(String, Basis)> {
    let order = |v: &Listed| {
        let n: u64 = v.id.trim_start_matches('v').parse().unwrap_or(0);
        (v.created.clone(), n)
    };
    let others: Vec<&Listed> = listed.iter().filter(|v| v.id != query.version).collect();
    if !query.now_default {
        if let Some(d) = others.iter().find(|v| v.default) {
            return Some((d.id.clone(), Basis::Default));
        }
    }
    if let [only] = others.as_slice() {
        return Some((only.id.clone(), Basis::OnlyOther));
    }
    let Some(new) = listed.iter().find(|v| v.id == query.version) else {
        // Deleted meanwhile: every other version is older.
        let newest = others.iter().max_by_key(|v| order(v))?;
        return Some((newest.id.clone(), Basis::Older));
    };
    let key = order(new);
    if let Some(older) = others
        .iter()
        .filter(|v| order(v) < key)
        .max_by_key(|v| order(v))
    {
        return Some((older.id.clone(), Basis::Older));
    }
    others
        .iter()
        .min_by_key(|v| order(v))
        .map(|v| (v.id.clone(), Basis::Newer))
}

/// The policy an event attaches, when its text is worth reading: a successful
/// Attach{Role,User,Group}Policy in `account` of a customer-managed policy of that account.
pub fn wanted(event: &Event<'_>, account: &str) -> Option<String> {
    let d = &event.detail;
    let call = d.event_name.as_deref()?;
    if d.event_source.as_deref() != Some(crate::calls::IAM)
        || !ATTACH_CALLS.contains(&call)
        || d.error_code.is_some()
        || event.account() != Some(account)
    {
        return None;
    }
    policy_in(event, account)
}

/// The request's `policyArn`, when it is a customer-managed policy of `account`.
fn policy_in(event: &Event<'_>, account: &str) -> Option<String> {
    let arn = event.request("policyArn")?;
    let parsed = crate::arn::Arn::parse(&arn)?;
    (parsed.service == "iam" && parsed.account == account && parsed.resource.starts_with("policy/"))
        .then_some(arn)
}

/// Whether `v` can be a policy version id IAM wrote (`v3`): nothing else goes into a request.
fn is_version_id(v: &str) -> bool {
    v.len() <= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// IAM, with the shared configuration (the Lambda role, `AWS_ENDPOINT_URL`): the stack's own
/// account with the function's credentials, and in an organization's central stack a member
/// account through its `iam-notify-central-read` role (forwarder.yaml's, on request).
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
    member_credentials:
        std::sync::Mutex<std::collections::HashMap<String, aws_credential_types::Credentials>>,
    /// People found in identity stores, by store and user id or name.
    people: std::sync::Mutex<
        std::collections::HashMap<
            (String, crate::identity_store::UserKey),
            crate::identity_store::Person,
        >,
    >,
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

    /// The configuration and the function's own credentials.
    async fn session(
        &self,
    ) -> Result<(&aws_config::SdkConfig, aws_credential_types::Credentials), String> {
        let config = self.config().await;
        Ok((config, signed_call::credentials(config).await?))
    }

    /// The configuration and credentials that read `account`: the function's own for its own
    /// account, a member's read role's for a member (central mode).
    async fn session_in(
        &self,
        account: &str,
    ) -> Result<(&aws_config::SdkConfig, aws_credential_types::Credentials), String> {
        let own = self.own_account.as_deref();
        if own.is_none() || own == Some(account) {
            return self.session().await;
        }
        if !self.members {
            return Err(format!("account {account} is not this stack's"));
        }
        let config = self.config().await;
        let fresh = |c: &aws_credential_types::Credentials| {
            c.expiry().is_none_or(|at| {
                at > std::time::SystemTime::now() + std::time::Duration::from_secs(300)
            })
        };
        let kept = self
            .member_credentials
            .lock()
            .ok()
            .and_then(|m| m.get(account).cloned())
            .filter(fresh);
        if let Some(credentials) = kept {
            return Ok((config, credentials));
        }
        use aws_credential_types::provider::ProvideCredentials;
        let role = format!(
            "arn:aws:iam::{account}:role/{}",
            crate::account_alias::READ_ROLE
        );
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
                .map_err(|e| signed_call::error_chain(&e))
        });
        let credentials = assumed
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(|e| {
                format!(
                    "the function may not read account {account} (assuming its {} role: {e}; \
                     deploy forwarder.yaml there with CentralFunctionRoleArn)",
                    crate::account_alias::READ_ROLE
                )
            })?;
        if let Ok(mut m) = self.member_credentials.lock() {
            m.insert(account.to_string(), credentials.clone());
        }
        Ok((config, credentials))
    }

    /// A policy's default version: its id and document.
    async fn default_version(&self, arn: &str) -> Result<(String, String), String> {
        let (config, credentials) = self.session_in(account_of(arn)).await?;
        let answer = query(
            config,
            &[("Action", "GetPolicy"), ("PolicyArn", arn)],
            &credentials,
        )
        .await?;
        let version = xml_text(&answer, "DefaultVersionId")
            .filter(|v| is_version_id(v))
            .ok_or("iam:GetPolicy answered without a default version")?
            .to_string();
        let document = policy_version(config, &credentials, arn, &version).await?;
        Ok((version, document))
    }

    /// The new version compared with the one [`comparison`] picks.
    async fn versions(&self, q: &VersionQuery) -> Result<Versions, String> {
        let (config, credentials) = self.session_in(account_of(&q.arn)).await?;
        let answer = query(
            config,
            &[("Action", "ListPolicyVersions"), ("PolicyArn", &q.arn)],
            &credentials,
        )
        .await?;
        let listed: Vec<Listed> = members(&answer)
            .filter_map(|m| {
                Some(Listed {
                    id: xml_text(m, "VersionId")?.to_string(),
                    default: xml_text(m, "IsDefaultVersion") == Some("true"),
                    created: xml_text(m, "CreateDate").unwrap_or_default().to_string(),
                })
            })
            .collect();
        let Some((against, basis)) = comparison(&listed, q) else {
            return Ok(Versions::Alone {
                version: q.version.clone(),
            });
        };
        let (against_document, document) = if q.in_record {
            (
                policy_version(config, &credentials, &q.arn, &against).await?,
                None,
            )
        } else {
            let (old, new) = tokio::join!(
                policy_version(config, &credentials, &q.arn, &against),
                policy_version(config, &credentials, &q.arn, &q.version)
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
    async fn holders(&self, arn: &str) -> Result<Holders, String> {
        let (config, credentials) = self.session_in(account_of(arn)).await?;
        let answer = query(
            config,
            &[
                ("Action", "ListEntitiesForPolicy"),
                ("PolicyArn", arn),
                ("MaxItems", "1000"),
            ],
            &credentials,
        )
        .await?;
        let names = |list: &str, name: &str| -> Vec<String> {
            xml_text(&answer, list)
                .map(|l| {
                    members(l)
                        .filter_map(|m| xml_text(m, name).map(unescape))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Holders::Listed {
            roles: names("PolicyRoles", "RoleName"),
            users: names("PolicyUsers", "UserName"),
            groups: names("PolicyGroups", "GroupName"),
            more: xml_text(&answer, "IsTruncated") == Some("true"),
        })
    }

    /// The person behind an Identity Center session: remembered once found (a burst of one
    /// person's changes asks once per execution environment).
    async fn person(
        &self,
        q: &crate::identity_store::PersonQuery,
    ) -> crate::identity_store::Person {
        use crate::identity_store::{Person, describe};
        let key = (q.store.clone(), q.by.clone());
        if let Some(found) = self.people.lock().ok().and_then(|p| p.get(&key).cloned()) {
            return found;
        }
        // The store is asked with the function's own credentials, which `describe` gets.
        let person = within(self.budget(), async {
            Ok(describe(self.config().await, q).await)
        })
        .await
        .unwrap_or_else(|why| Person::NotRead {
            who: q.by.words(),
            why,
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
    async fn trust(&self, account: &str, role: &str) -> Result<String, String> {
        let (config, credentials) = self.session_in(account).await?;
        let answer = query(
            config,
            &[("Action", "GetRole"), ("RoleName", role)],
            &credentials,
        )
        .await?;
        let encoded = xml_text(&answer, "AssumeRolePolicyDocument")
            .ok_or("iam:GetRole answered without a trust policy")?;
        decoded_document(encoded)
    }
}

/// The account of an ARN (empty when it has none: read as the stack's own).
fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// Waits for `work` at most `budget`; a timeout is a reason like any other failure. The
/// work is put on the heap at once, before anything awaits it: an HTTP call's future is
/// large, and several run side by side.
fn within<'a, T: Send + 'a>(
    budget: Duration,
    work: impl Future<Output = Result<T, String>> + Send + 'a,
) -> impl Future<Output = Result<T, String>> + Send + 'a {
    let work = Box::pin(work);
    async move {
        tokio::time::timeout(budget, work)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} ms", budget.as_millis())))
    }
}

/// Logs what could not be read (the alert says it too).
fn not_read(what: &str, subject: &str, why: &str) {
    tracing::warn!(subject = %crate::redact::cap(subject, 512), reason = %why,
        "{what} could not be read; the alert goes without it");
}

impl IamPolicies {
    /// `work` within the budget; a failure is logged (`what` about `subject` could not be
    /// read) and returned, for the alert to say.
    fn attempt<'a, T: Send + 'a>(
        &self,
        what: &'a str,
        subject: &'a str,
        work: impl Future<Output = Result<T, String>> + Send + 'a,
    ) -> impl Future<Output = Result<T, String>> + Send + 'a {
        let bounded = within(self.budget(), work);
        async move {
            let result = bounded.await;
            if let Err(why) = &result {
                not_read(what, subject, why);
            }
            result
        }
    }
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
        let (attached, versions, holders, trust, person) =
            tokio::join!(attached, versions, holders, trust, person);
        Read {
            attached,
            versions,
            holders,
            trust,
            person,
            inline: wants.inline,
        }
    }
}

/// One version's document (GetPolicyVersion).
async fn policy_version(
    config: &aws_config::SdkConfig,
    credentials: &aws_credential_types::Credentials,
    arn: &str,
    version: &str,
) -> Result<String, String> {
    let answer = query(
        config,
        &[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", arn),
            ("VersionId", version),
        ],
        credentials,
    )
    .await?;
    let encoded =
        xml_text(&answer, "Document").ok_or("iam:GetPolicyVersion answered without a document")?;
    decoded_document(encoded)
}

/// A document as IAM answers it: URL-encoded inside the XML (whose own escapes go first);
/// anything shaped like a secret access key masked, as in records.
fn decoded_document(encoded: &str) -> Result<String, String> {
    let text = unescape(encoded);
    let document = urlencoding::decode(&text)
        .map_err(|_| "the document is not URL-encoded text".to_string())?;
    Ok(crate::redact::text(&document))
}

/// XML's five escapes undone.
fn unescape(xml: &str) -> String {
    xml.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `<member>` elements of a Query API list, in order.
fn members(xml: &str) -> impl Iterator<Item = &str> {
    xml.split("<member>")
        .skip(1)
        .filter_map(|m| m.split("</member>").next())
}

/// One IAM Query call (`params` form-encoded); its XML answer, or why not (the error code
/// IAM gave, in words).
async fn query(
    config: &aws_config::SdkConfig,
    params: &[(&str, &str)],
    credentials: &aws_credential_types::Credentials,
) -> Result<String, String> {
    let mut body = String::from("Version=2010-05-08");
    for (k, v) in params {
        body.push('&');
        body.push_str(k);
        body.push('=');
        body.push_str(&urlencoding::encode(v));
    }
    let action = params
        .iter()
        .find(|(k, _)| *k == "Action")
        .map(|(_, v)| *v)
        .unwrap_or_default();
    let answer = signed_call::iam_query(config, &body, credentials.clone()).await?;
    if answer.ok() {
        return Ok(answer.body);
    }
    let code = xml_text(&answer.body, "Code").unwrap_or("an error");
    Err(match code {
        "NoSuchEntity" => "it no longer exists (NoSuchEntity)".to_string(),
        "AccessDenied" => {
            format!("the function may not read it (AccessDenied: its role needs iam:{action})")
        }
        "Throttling" => "IAM is throttling the function's calls (Throttling)".to_string(),
        other => format!(
            "IAM answered HTTP {} {}",
            answer.status,
            crate::redact::cap(other, 64)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(versions: &[(&str, bool, &str)]) -> Vec<Listed> {
        versions
            .iter()
            .map(|(id, default, created)| Listed {
                id: id.to_string(),
                default: *default,
                created: created.to_string(),
            })
            .collect()
    }

    fn query(version: &str, now_default: bool) -> VersionQuery {
        VersionQuery {
            arn: "arn:aws:iam::123456789012:policy/p".into(),
            version: version.into(),
            now_default,
            in_record: true,
        }
    }

    #[test]
    fn the_version_compared_with_is_the_surest_one_iam_allows() {
        let three = listed(&[
            ("v1", false, "2026-01-01T00:00:00Z"),
            ("v9", false, "2026-02-01T00:00:00Z"),
            ("v10", true, "2026-02-01T00:00:00Z"),
        ]);
        // Not the default: the default is what is in force.
        assert_eq!(
            comparison(&three, &query("v9", false)),
            Some(("v10".into(), Basis::Default))
        );
        // The default now: the nearest older version (v10 is newer than v9 at the same second).
        assert_eq!(
            comparison(&three, &query("v10", true)),
            Some(("v9".into(), Basis::Older))
        );
        assert_eq!(
            comparison(&three, &query("v1", true)),
            Some(("v9".into(), Basis::Newer))
        );
        // Two versions: the other one was the default before.
        let two = listed(&[("v1", false, "a"), ("v2", true, "b")]);
        assert_eq!(
            comparison(&two, &query("v2", true)),
            Some(("v1".into(), Basis::OnlyOther))
        );
        assert_eq!(
            comparison(&listed(&[("v1", true, "a")]), &query("v1", true)),
            None
        );
        // The new version was deleted meanwhile: the newest of the others.
        assert_eq!(
            comparison(&three, &query("v11", true)),
            Some(("v10".into(), Basis::Older))
        );
    }

    fn event(
        name: &str,
        request: serde_json::Value,
        response: serde_json::Value,
    ) -> Event<'static> {
        Event::parse(&serde_json::json!({
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "account": "123456789012",
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": name,
                "recipientAccountId": "123456789012", "requestParameters": request,
                "responseElements": response}
        }))
        .unwrap()
    }

    #[test]
    fn what_is_asked_follows_from_the_record() {
        let own = "123456789012";
        let arn = "arn:aws:iam::123456789012:policy/p";
        let created = event(
            "CreatePolicyVersion",
            serde_json::json!({"policyArn": arn, "policyDocument": "{}", "setAsDefault": true}),
            serde_json::json!({"policyVersion": {"versionId": "v4"}}),
        );
        let w = wants(&created, own, false);
        assert_eq!(w.holders.as_deref(), Some(arn));
        assert_eq!(
            w.versions,
            Some(VersionQuery {
                in_record: true,
                ..query("v4", true)
            })
        );
        let not_default = event(
            "CreatePolicyVersion",
            serde_json::json!({"policyArn": arn, "setAsDefault": "false"}),
            serde_json::json!({"policyVersion": {"versionId": "v4"}}),
        );
        let w = wants(&not_default, own, false);
        assert_eq!(
            (w.holders, w.versions.map(|v| (v.now_default, v.in_record))),
            (None, Some((false, false)))
        );
        let set = event(
            "SetDefaultPolicyVersion",
            serde_json::json!({"policyArn": arn, "versionId": "v2"}),
            serde_json::Value::Null,
        );
        assert_eq!(
            wants(&set, own, false).versions,
            Some(VersionQuery {
                in_record: false,
                ..query("v2", true)
            })
        );
        // Another account's policy, a version id that is not one, an unlisted call: nothing.
        let other = event(
            "SetDefaultPolicyVersion",
            serde_json::json!({"policyArn": "arn:aws:iam::999988887777:policy/p", "versionId": "v2"}),
            serde_json::Value::Null,
        );
        let odd = event(
            "SetDefaultPolicyVersion",
            serde_json::json!({"policyArn": arn, "versionId": "v2&Action=DeleteRole"}),
            serde_json::Value::Null,
        );
        let put = event(
            "PutRolePolicy",
            serde_json::json!({"roleName": "r"}),
            serde_json::Value::Null,
        );
        assert!(wants(&other, own, false).is_empty() && wants(&odd, own, false).is_empty());
        assert_eq!(wants(&put, own, false).role, Some((own.into(), "r".into())));
        assert!(wants(&put, own, false).inline);
        let user = event(
            "PutUserPolicy",
            serde_json::json!({"userName": "u"}),
            serde_json::Value::Null,
        );
        assert!(wants(&user, own, false).inline && wants(&user, own, false).role.is_none());
        assert!(wants(&put, "999988887777", false).is_empty());
        // Central mode: a member's role and policies, in the member's account.
        assert_eq!(
            wants(&put, "999988887777", true).role,
            Some((own.into(), "r".into()))
        );
        assert_eq!(
            wants(&set, "999988887777", true).holders.as_deref(),
            Some(arn)
        );
    }
}
