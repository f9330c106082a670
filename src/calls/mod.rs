//! The supported calls: one table row per IAM call ([`CALLS`]), and for each family of
//! calls a resolver that reads from the record what the call did to which resource.
//!
//! - [`policies`]: managed and inline policies, versions, attachments;
//! - [`principals`]: users, groups and roles themselves;
//! - [`credentials`]: access keys, passwords, MFA devices, SSH keys, service credentials;
//! - [`trust`]: trust policies, permissions boundaries, group membership, instance profiles;
//! - [`providers`]: SAML and OpenID Connect identity providers;
//! - [`sign_in`]: console sign-in;
//! - [`monitor`]: changes to the monitor itself (its rules, function, topics, keys, alarms,
//!   heartbeat schedule, the roles it acts as) and to trails;
//! - [`generic`]: every other call, of IAM or another service.
//!
//! Adding a call of an existing shape is one row in [`CALLS`]; the template's rules, the
//! README table and the tests all derive from it (`preview --list-calls`).

pub mod account;
mod context;
pub mod credentials;
pub mod generic;
pub mod monitor;
pub mod policies;
pub mod principals;
pub mod providers;
pub mod sign_in;
pub mod trust;

use crate::arn::Arn;
use crate::policy::{self, DocKind};
use crate::severity::{Finding, Rule};
use context::Context;
use serde::Serialize;

pub use context::partition;
pub use generic::generic;

/// The `eventSource` of IAM's calls.
pub const IAM: &str = "iam.amazonaws.com";

/// The kind of the resource a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Policy,
    Role,
    User,
    Group,
    /// A SAML or OpenID Connect identity provider.
    IdentityProvider,
    /// An account-wide IAM setting (the password policy).
    AccountSetting,
    /// Not an IAM resource we know: the notification links to the CloudTrail event.
    Other,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::IdentityProvider => "identity provider",
            Kind::AccountSetting => "account setting",
            Kind::Other => "resource",
        }
    }

    /// The `requestParameters` key that names a principal of this kind.
    fn name_key(self) -> &'static str {
        match self {
            Kind::Policy => "policyName",
            Kind::Role => "roleName",
            Kind::User => "userName",
            Kind::Group => "groupName",
            Kind::IdentityProvider | Kind::AccountSetting | Kind::Other => "name",
        }
    }

    /// The key of this kind's object in a Create call's `responseElements`.
    fn response_key(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::IdentityProvider | Kind::AccountSetting | Kind::Other => "resource",
        }
    }

    /// The kind an ARN's resource type or an error message's resource word names.
    fn from_word(word: &str) -> Option<Kind> {
        match word {
            "policy" => Some(Kind::Policy),
            "role" => Some(Kind::Role),
            "user" => Some(Kind::User),
            "group" => Some(Kind::Group),
            "saml-provider" | "oidc-provider" => Some(Kind::IdentityProvider),
            _ => None,
        }
    }
}

/// The template rule a call is matched by: the article's two, and our groups beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum RuleGroup {
    /// The article's `policy-monitor` rule (16 calls).
    Policy,
    /// The article's `principals-monitor` rule (9 calls).
    Principal,
    /// Beyond the article: credentials of users.
    Credentials,
    /// Beyond the article: trust policies, permissions boundaries, group membership.
    TrustAndBoundaries,
    /// Beyond the article: SAML and OpenID Connect identity providers.
    IdentityProviders,
    /// Beyond the article: every other state-changing IAM call no rule above watches.
    OtherIamWrites,
    /// Beyond the article: root console sign-in (any call by root is caught by its rule too).
    RootActivity,
    /// The monitor's own rules, function and topics, and CloudTrail trails.
    MonitorTamper,
    /// The monitor's paths to a person: its topics, subscriptions and their data protection,
    /// the topics' KMS keys, who may invoke the function, who may put events on the bus.
    MonitorSafeguards,
    /// The monitor's alarms and its heartbeat schedule.
    MonitorAlarms,
}

impl RuleGroup {
    /// Every group, in the template's order.
    pub const ALL: &'static [RuleGroup] = &[
        RuleGroup::Policy,
        RuleGroup::Principal,
        RuleGroup::Credentials,
        RuleGroup::TrustAndBoundaries,
        RuleGroup::IdentityProviders,
        RuleGroup::OtherIamWrites,
        RuleGroup::RootActivity,
        RuleGroup::MonitorTamper,
        RuleGroup::MonitorSafeguards,
        RuleGroup::MonitorAlarms,
    ];

    /// Whether the group's calls change the monitor itself (their alerts also go to the
    /// operations topic).
    pub fn watches_the_monitor(self) -> bool {
        matches!(
            self,
            RuleGroup::MonitorTamper | RuleGroup::MonitorSafeguards | RuleGroup::MonitorAlarms
        )
    }

    /// The rule's id: the suffix of its name (`iam-notify-<stack id>-policy-monitor`).
    pub fn rule_name(self) -> &'static str {
        match self {
            RuleGroup::Policy => "policy-monitor",
            RuleGroup::Principal => "principals-monitor",
            RuleGroup::Credentials => "credentials-monitor",
            RuleGroup::TrustAndBoundaries => "trust-monitor",
            RuleGroup::IdentityProviders => "identity-providers-monitor",
            RuleGroup::OtherIamWrites => "other-iam-writes-monitor",
            RuleGroup::RootActivity => "root-activity-monitor",
            RuleGroup::MonitorTamper => "tamper-monitor",
            RuleGroup::MonitorSafeguards => "safeguards-monitor",
            RuleGroup::MonitorAlarms => "alarms-monitor",
        }
    }
}

impl From<RuleGroup> for &'static str {
    fn from(g: RuleGroup) -> &'static str {
        g.rule_name()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

/// Whether a call adds something to a principal or takes it away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

/// Which kind of identity provider a call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Saml,
    OpenIdConnect,
}

/// Where a credential's id is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialId {
    /// The record has no id for it (a console password).
    Unrecorded,
    /// At this `responseElements` path.
    Response(&'static [&'static str]),
    /// Under this `requestParameters` key.
    Request(&'static str),
}

/// How a call's record names what it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// CreatePolicy / DeletePolicy.
    ManagedPolicy(Change),
    /// CreatePolicyVersion / DeletePolicyVersion.
    PolicyVersion(Change),
    /// Put/Delete{Role,User,Group}Policy.
    InlinePolicy(Change, Kind),
    /// Attach{Role,User,Group}Policy / Detach….
    Attachment(Direction, Kind),
    /// Create/Update/Delete{User,Group,Role}.
    Principal(Change, Kind),
    /// A credential of a user: `verb` `noun` `prep` user X; `prep` is `None` when the record
    /// names only the credential (DeleteVirtualMFADevice).
    UserCredential {
        verb: &'static str,
        noun: &'static str,
        prep: Option<&'static str>,
        id: CredentialId,
    },
    /// UpdateAssumeRolePolicy.
    TrustPolicy,
    /// Put / Delete{Role,User}PermissionsBoundary.
    Boundary(Direction, Kind),
    /// AddUserToGroup / RemoveUserFromGroup.
    Membership(Direction),
    /// AddRoleToInstanceProfile.
    InstanceProfileRole,
    /// A SAML or OpenID Connect provider: `verb` provider X.
    Provider {
        change: Change,
        verb: &'static str,
        protocol: Protocol,
    },
    /// ConsoleLogin (signin.amazonaws.com).
    ConsoleSignIn,
    /// SetDefaultPolicyVersion.
    DefaultPolicyVersion,
    /// Update/DeleteAccountPasswordPolicy.
    PasswordPolicy(Change),
    /// A change to the monitor itself or a trail: `verb` the monitor's part X, and what in
    /// it stops alerts or sends them elsewhere.
    Monitor(&'static str, monitor::Part, monitor::Mutes),
}

/// One supported call.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Call {
    pub name: &'static str,
    /// The `eventSource` the call is recorded with.
    pub source: &'static str,
    /// The template rule that delivers it.
    #[serde(rename = "rule")]
    pub group: RuleGroup,
    #[serde(skip)]
    pub shape: Shape,
    /// A severity rule the call fires by itself when it succeeds.
    #[serde(skip)]
    pub flag: Option<Rule>,
}

const fn call(name: &'static str, group: RuleGroup, shape: Shape) -> Call {
    Call {
        name,
        source: IAM,
        group,
        shape,
        flag: None,
    }
}

impl Call {
    const fn flag(mut self, rule: Rule) -> Call {
        self.flag = Some(rule);
        self
    }

    const fn source(mut self, source: &'static str) -> Call {
        self.source = source;
        self
    }
}

const fn credential(
    verb: &'static str,
    noun: &'static str,
    prep: Option<&'static str>,
    id: CredentialId,
) -> Shape {
    Shape::UserCredential {
        verb,
        noun,
        prep,
        id,
    }
}

const fn provider(change: Change, verb: &'static str, protocol: Protocol) -> Shape {
    Shape::Provider {
        change,
        verb,
        protocol,
    }
}

use Change::{Create, Delete, Update};
use CredentialId::{Request, Response, Unrecorded};
use Direction::{Add, Remove};
use Kind::{Group, Role, User};
use Protocol::{OpenIdConnect, Saml};
use RuleGroup as G;
use Shape::{
    Attachment, Boundary, InlinePolicy, ManagedPolicy, Membership, PolicyVersion, Principal,
};

const LOGIN: &str = "console password (login profile)";

/// Every call with a specific rendering, one line each. The first 16 rows are the article's
/// policy rule, the next 9 its principal rule, in the article's order.
#[rustfmt::skip]
pub const CALLS: &[Call] = &[
    call("CreatePolicy", G::Policy, ManagedPolicy(Create)),
    call("DeletePolicy", G::Policy, ManagedPolicy(Delete)),
    call("PutGroupPolicy", G::Policy, InlinePolicy(Update, Group)),
    call("DeleteGroupPolicy", G::Policy, InlinePolicy(Delete, Group)),
    call("PutRolePolicy", G::Policy, InlinePolicy(Update, Role)),
    call("DeleteRolePolicy", G::Policy, InlinePolicy(Delete, Role)),
    call("PutUserPolicy", G::Policy, InlinePolicy(Update, User)),
    call("DeleteUserPolicy", G::Policy, InlinePolicy(Delete, User)),
    call("CreatePolicyVersion", G::Policy, PolicyVersion(Create)),
    call("DeletePolicyVersion", G::Policy, PolicyVersion(Delete)),
    call("AttachRolePolicy", G::Policy, Attachment(Add, Role)),
    call("DetachRolePolicy", G::Policy, Attachment(Remove, Role)),
    call("AttachUserPolicy", G::Policy, Attachment(Add, User)),
    call("DetachUserPolicy", G::Policy, Attachment(Remove, User)),
    call("AttachGroupPolicy", G::Policy, Attachment(Add, Group)),
    call("DetachGroupPolicy", G::Policy, Attachment(Remove, Group)),
    call("CreateUser", G::Principal, Principal(Create, User)),
    call("CreateGroup", G::Principal, Principal(Create, Group)),
    call("CreateRole", G::Principal, Principal(Create, Role)),
    call("UpdateUser", G::Principal, Principal(Update, User)),
    call("UpdateGroup", G::Principal, Principal(Update, Group)),
    call("UpdateRole", G::Principal, Principal(Update, Role)),
    call("DeleteUser", G::Principal, Principal(Delete, User)),
    call("DeleteGroup", G::Principal, Principal(Delete, Group)),
    call("DeleteRole", G::Principal, Principal(Delete, Role)),
    // Credentials (template parameter MonitorCredentials).
    call("CreateAccessKey", G::Credentials, credential("created", "access key", Some("for"), Response(&["accessKey", "accessKeyId"]))).flag(Rule::NewCredential),
    call("UpdateAccessKey", G::Credentials, credential("changed the status of", "access key", Some("of"), Request("accessKeyId"))),
    call("DeleteAccessKey", G::Credentials, credential("deleted", "access key", Some("of"), Request("accessKeyId"))),
    call("CreateLoginProfile", G::Credentials, credential("created", LOGIN, Some("for"), Unrecorded)).flag(Rule::NewCredential),
    call("UpdateLoginProfile", G::Credentials, credential("changed", LOGIN, Some("of"), Unrecorded)).flag(Rule::NewCredential),
    call("DeleteLoginProfile", G::Credentials, credential("deleted", LOGIN, Some("of"), Unrecorded)),
    call("EnableMFADevice", G::Credentials, credential("enabled", "MFA device", Some("for"), Request("serialNumber"))),
    call("DeactivateMFADevice", G::Credentials, credential("deactivated", "MFA device", Some("of"), Request("serialNumber"))).flag(Rule::MfaRemoved),
    call("DeleteVirtualMFADevice", G::Credentials, credential("deleted", "virtual MFA device", None, Request("serialNumber"))).flag(Rule::MfaRemoved),
    call("CreateServiceSpecificCredential", G::Credentials, credential("created", "service-specific credential", Some("for"), Response(&["serviceSpecificCredential", "serviceSpecificCredentialId"]))).flag(Rule::NewCredential),
    call("UploadSSHPublicKey", G::Credentials, credential("uploaded", "SSH public key", Some("for"), Response(&["sSHPublicKey", "sSHPublicKeyId"]))).flag(Rule::NewCredential),
    // Trust and boundaries (MonitorTrustAndBoundaries).
    call("UpdateAssumeRolePolicy", G::TrustAndBoundaries, Shape::TrustPolicy),
    call("PutRolePermissionsBoundary", G::TrustAndBoundaries, Boundary(Add, Role)),
    call("DeleteRolePermissionsBoundary", G::TrustAndBoundaries, Boundary(Remove, Role)).flag(Rule::BoundaryRemoved),
    call("PutUserPermissionsBoundary", G::TrustAndBoundaries, Boundary(Add, User)),
    call("DeleteUserPermissionsBoundary", G::TrustAndBoundaries, Boundary(Remove, User)).flag(Rule::BoundaryRemoved),
    call("AddUserToGroup", G::TrustAndBoundaries, Membership(Add)),
    call("RemoveUserFromGroup", G::TrustAndBoundaries, Membership(Remove)),
    call("AddRoleToInstanceProfile", G::TrustAndBoundaries, Shape::InstanceProfileRole),
    // Identity providers (MonitorIdentityProviders).
    call("CreateSAMLProvider", G::IdentityProviders, provider(Create, "created", Saml)).flag(Rule::IdentityProviderChanged),
    call("UpdateSAMLProvider", G::IdentityProviders, provider(Update, "updated the metadata of", Saml)).flag(Rule::IdentityProviderChanged),
    call("DeleteSAMLProvider", G::IdentityProviders, provider(Delete, "deleted", Saml)),
    call("CreateOpenIDConnectProvider", G::IdentityProviders, provider(Create, "created", OpenIdConnect)).flag(Rule::IdentityProviderChanged),
    call("DeleteOpenIDConnectProvider", G::IdentityProviders, provider(Delete, "deleted", OpenIdConnect)),
    call("AddClientIDToOpenIDConnectProvider", G::IdentityProviders, provider(Update, "added a client ID to", OpenIdConnect)).flag(Rule::IdentityProviderChanged),
    call("UpdateOpenIDConnectProviderThumbprint", G::IdentityProviders, provider(Update, "replaced the thumbprints of", OpenIdConnect)).flag(Rule::IdentityProviderChanged),
    // Other IAM writes (MonitorOtherIamWrites): the ones with words of their own; every other
    // write renders generically.
    call("SetDefaultPolicyVersion", G::OtherIamWrites, Shape::DefaultPolicyVersion).flag(Rule::DefaultVersionChanged),
    call("UpdateAccountPasswordPolicy", G::OtherIamWrites, Shape::PasswordPolicy(Update)),
    call("DeleteAccountPasswordPolicy", G::OtherIamWrites, Shape::PasswordPolicy(Delete)).flag(Rule::PasswordPolicyRemoved),
    // Root activity (MonitorRootActivity): console sign-in; root API calls render generically.
    call("ConsoleLogin", G::RootActivity, Shape::ConsoleSignIn).source("signin.amazonaws.com"),
    // The monitor itself and what feeds it (the tamper rule; on by default). Lambda records
    // its calls with the API version appended, as here; `lookup` also takes other versions.
    call("DisableRule", G::MonitorTamper, Shape::Monitor("disabled", Part::Rule("name"), Mutes::Always(monitor::RULE_DISABLED))).source(EVENTS),
    call("DeleteRule", G::MonitorTamper, Shape::Monitor("deleted", Part::Rule("name"), Mutes::No)).source(EVENTS),
    call("PutRule", G::MonitorTamper, Shape::Monitor("changed", Part::Rule("name"), Mutes::DisabledState)).source(EVENTS),
    call("RemoveTargets", G::MonitorTamper, Shape::Monitor("removed targets from", Part::Rule("rule"), Mutes::No)).source(EVENTS),
    call("PutTargets", G::MonitorTamper, Shape::Monitor("changed the targets of", Part::Rule("rule"), Mutes::No)).source(EVENTS),
    call("UpdateFunctionConfiguration20150331v2", G::MonitorTamper, Shape::Monitor("changed the configuration of", Part::Function, Mutes::Environment)).source(LAMBDA),
    call("UpdateFunctionCode20150331v2", G::MonitorTamper, Shape::Monitor("replaced the code of", Part::Function, Mutes::No)).source(LAMBDA),
    call("DeleteFunction20150331", G::MonitorTamper, Shape::Monitor("deleted", Part::Function, Mutes::No)).source(LAMBDA),
    call("PutFunctionConcurrency20171031", G::MonitorTamper, Shape::Monitor("limited the concurrency of", Part::Function, Mutes::ZeroConcurrency)).source(LAMBDA),
    call("PutFunctionEventInvokeConfig", G::MonitorTamper, Shape::Monitor("changed the retries and failure destination of", Part::Function, Mutes::No)).source(LAMBDA),
    call("UpdateFunctionEventInvokeConfig", G::MonitorTamper, Shape::Monitor("changed the retries and failure destination of", Part::Function, Mutes::No)).source(LAMBDA),
    call("DeleteFunctionEventInvokeConfig", G::MonitorTamper, Shape::Monitor("removed the retries and failure destination of", Part::Function, Mutes::No)).source(LAMBDA),
    call("Unsubscribe", G::MonitorSafeguards, Shape::Monitor("removed", Part::Subscription, Mutes::No)).source(SNS),
    call("SetSubscriptionAttributes", G::MonitorSafeguards, Shape::Monitor("changed", Part::Subscription, Mutes::FilterPolicy)).source(SNS),
    call("DeleteTopic", G::MonitorSafeguards, Shape::Monitor("deleted", Part::Topic("topicArn"), Mutes::No)).source(SNS),
    call("SetTopicAttributes", G::MonitorSafeguards, Shape::Monitor("changed the attributes of", Part::Topic("topicArn"), Mutes::No)).source(SNS),
    call("RemovePermission", G::MonitorSafeguards, Shape::Monitor("removed a permission from", Part::Topic("topicArn"), Mutes::No)).source(SNS),
    call("PurgeQueue", G::MonitorTamper, Shape::Monitor("purged", Part::Queue, Mutes::Always(monitor::PURGED))).source(SQS),
    call("DeleteQueue", G::MonitorTamper, Shape::Monitor("deleted", Part::Queue, Mutes::No)).source(SQS),
    call("SetQueueAttributes", G::MonitorTamper, Shape::Monitor("changed the attributes of", Part::Queue, Mutes::QueuePolicy)).source(SQS),
    call("UpdateEventSourceMapping20150331", G::MonitorTamper, Shape::Monitor("changed", Part::EventSourceMapping, Mutes::MappingDisabled)).source(LAMBDA),
    call("DeleteEventSourceMapping20150331", G::MonitorTamper, Shape::Monitor("deleted", Part::EventSourceMapping, Mutes::Always(monitor::MAPPING_DELETED))).source(LAMBDA),
    call("DisableKey", G::MonitorSafeguards, Shape::Monitor("disabled", Part::Key, Mutes::Always(monitor::KEY_DISABLED))).source(KMS),
    call("ScheduleKeyDeletion", G::MonitorSafeguards, Shape::Monitor("scheduled the deletion of", Part::Key, Mutes::Always(monitor::KEY_DELETION))).source(KMS),
    call("PutKeyPolicy", G::MonitorSafeguards, Shape::Monitor("replaced the key policy of", Part::Key, Mutes::No)).source(KMS),
    call("DisableAlarmActions", G::MonitorAlarms, Shape::Monitor("turned off the actions of", Part::Alarm("alarmNames"), Mutes::Always(monitor::ALARM_ACTIONS_OFF))).source(CLOUDWATCH),
    call("DeleteAlarms", G::MonitorAlarms, Shape::Monitor("deleted", Part::Alarm("alarmNames"), Mutes::Always(monitor::ALARMS_DELETED))).source(CLOUDWATCH),
    call("PutMetricAlarm", G::MonitorAlarms, Shape::Monitor("changed", Part::Alarm("alarmName"), Mutes::No)).source(CLOUDWATCH),
    call("SetAlarmState", G::MonitorAlarms, Shape::Monitor("set the state of", Part::Alarm("alarmName"), Mutes::No)).source(CLOUDWATCH),
    call("DeleteSchedule", G::MonitorAlarms, Shape::Monitor("deleted", Part::Schedule, Mutes::No)).source(SCHEDULER),
    call("UpdateSchedule", G::MonitorAlarms, Shape::Monitor("changed", Part::Schedule, Mutes::No)).source(SCHEDULER),
    call("RemovePermission20150331v2", G::MonitorTamper, Shape::Monitor("removed a permission from", Part::Function, Mutes::No)).source(LAMBDA),
    call("PutDataProtectionPolicy", G::MonitorSafeguards, Shape::Monitor("set a data protection policy on", Part::Topic("resourceArn"), Mutes::Always(monitor::DATA_PROTECTION))).source(SNS),
    call("PutPermission", G::MonitorSafeguards, Shape::Monitor("changed who may put events on", Part::Bus, Mutes::No)).source(EVENTS),
    call("RemovePermission", G::MonitorSafeguards, Shape::Monitor("removed a permission from", Part::Bus, Mutes::No)).source(EVENTS),
    call("StopLogging", G::MonitorTamper, Shape::Monitor("stopped", Part::Trail("name"), Mutes::Always(monitor::STOPPED_LOGGING))).source(CLOUDTRAIL),
    call("DeleteTrail", G::MonitorTamper, Shape::Monitor("deleted", Part::Trail("name"), Mutes::No)).source(CLOUDTRAIL),
    call("UpdateTrail", G::MonitorTamper, Shape::Monitor("changed", Part::Trail("name"), Mutes::No)).source(CLOUDTRAIL),
    call("PutEventSelectors", G::MonitorTamper, Shape::Monitor("changed which events are logged by", Part::Trail("trailName"), Mutes::EventSelectors)).source(CLOUDTRAIL),
];

use monitor::{CLOUDTRAIL, CLOUDWATCH, EVENTS, KMS, LAMBDA, Mutes, Part, SCHEDULER, SNS, SQS};

/// A call's name without the API version Lambda appends (`UpdateFunctionCode20150331v2`).
pub fn unversioned(name: &str) -> &str {
    // An optional `v<digits>` revision, after eight date digits.
    let without_revision = match name.rsplit_once('v') {
        Some((head, rev)) if !rev.is_empty() && rev.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => name,
    };
    let split = without_revision.len().saturating_sub(8);
    match (without_revision.get(..split), without_revision.get(split..)) {
        (Some(base), Some(date))
            if !base.is_empty() && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

/// The supported call recorded as `event_name` by `event_source`, if any.
pub fn lookup(event_source: &str, event_name: &str) -> Option<&'static Call> {
    CALLS
        .iter()
        .find(|c| c.name == event_name && c.source == event_source)
        .or_else(|| {
            // Another API version of a Lambda call we know.
            (event_source == LAMBDA).then_some(())?;
            let base = unversioned(event_name);
            CALLS
                .iter()
                .find(|c| c.source == LAMBDA && unversioned(c.name) == base)
        })
}

/// A managed policy a call refers to (attached, detached, versioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub name: String,
    pub arn: Option<String>,
    /// Its default version, when its text was read from IAM (`policy_lookup`).
    pub version_read: Option<String>,
    /// Why its text could not be read, when that was tried.
    pub not_read: Option<String>,
}

impl PolicyRef {
    fn from_arn(arn: String) -> PolicyRef {
        PolicyRef {
            name: crate::arn::name(&arn).unwrap_or(&arn).to_string(),
            arn: Some(arn),
            version_read: None,
            not_read: None,
        }
    }

    /// AWS managed policies live in the pseudo-account `aws`.
    pub fn is_aws_managed(&self) -> bool {
        self.arn
            .as_deref()
            .and_then(Arn::parse)
            .is_some_and(|a| a.account == "aws")
    }
}

/// A policy document a call carries, decoded, with what it governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedDocument {
    pub kind: DocKind,
    pub document: policy::Document,
}

impl CarriedDocument {
    /// The body's heading for it.
    pub fn label(&self) -> &'static str {
        match self.kind {
            DocKind::Permissions => "Policy document",
            DocKind::Trust => "Trust policy",
        }
    }
}

/// What a call did to which resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The resource the console link opens.
    pub kind: Kind,
    /// What the Resource line calls it, where the kind's noun is too vague.
    pub noun: Option<&'static str>,
    pub name: Option<String>,
    pub arn: Option<String>,
    /// The resource no longer exists (a successful delete): link to the list instead.
    pub gone: bool,
    /// A create that failed: the resource may not exist, link to the list.
    pub not_created: bool,
    /// The console section to open on the resource page (`permissions`, `versions`, …).
    pub section: Option<&'static str>,
    /// Lower-case sentence fragment: "attached managed policy X to role Y".
    pub summary: String,
    /// Short form for the subject: "X -> role Y".
    pub headline: String,
    pub policy: Option<PolicyRef>,
    /// A policy document in the request, decoded.
    pub document: Option<CarriedDocument>,
    /// Extra labelled facts ("Set as default", "Permissions boundary", …).
    pub facts: Vec<(&'static str, String)>,
    /// Severity rules this particular call fires.
    pub flags: Vec<Rule>,
    /// Findings this particular call makes, with reasons of their own.
    pub findings: Vec<Finding>,
}

impl Target {
    /// A target of `kind` that says `summary`; the resolvers fill in the rest.
    fn new(kind: Kind, summary: String, headline: String) -> Target {
        Target {
            kind,
            noun: None,
            name: None,
            arn: None,
            gone: false,
            not_created: false,
            section: None,
            summary,
            headline,
            policy: None,
            document: None,
            facts: Vec::new(),
            flags: Vec::new(),
            findings: Vec::new(),
        }
    }
}

/// Reads what `call` did from the record. Pure; never fails: what the record lacks is said.
pub fn resolve(event: &crate::event::Event, call: &Call) -> Target {
    let cx = Context::new(event);
    match call.shape {
        Shape::ManagedPolicy(change) => policies::managed_policy(&cx, change),
        Shape::PolicyVersion(change) => policies::policy_version(&cx, change),
        Shape::InlinePolicy(change, kind) => policies::inline_policy(&cx, change, kind),
        Shape::Attachment(direction, kind) => policies::attachment(&cx, direction, kind),
        Shape::Principal(change, kind) => principals::principal(&cx, change, kind),
        Shape::UserCredential {
            verb,
            noun,
            prep,
            id,
        } => credentials::user_credential(&cx, verb, noun, prep, id),
        Shape::TrustPolicy => trust::trust_policy(&cx),
        Shape::Boundary(direction, kind) => trust::boundary(&cx, direction, kind),
        Shape::Membership(direction) => trust::membership(&cx, direction),
        Shape::InstanceProfileRole => trust::instance_profile_role(&cx),
        Shape::Provider {
            change,
            verb,
            protocol,
        } => providers::provider(&cx, change, verb, protocol),
        Shape::ConsoleSignIn => sign_in::console_sign_in(&cx),
        Shape::DefaultPolicyVersion => policies::default_policy_version(&cx),
        Shape::PasswordPolicy(change) => account::password_policy(&cx, change),
        Shape::Monitor(verb, part, mutes) => monitor::monitor(&cx, verb, part, mutes),
    }
}

#[cfg(test)]
mod tests;
