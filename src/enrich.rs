//! What a change asks of AWS and what AWS answered (pure: the meaning layer). From the record
//! alone: the text of an attached customer-managed policy ([`wanted`]), the version a new
//! policy version is compared with ([`comparison`]), who holds a policy with a new default
//! version, who may assume a role whose permissions changed ([`wants`]), and the person
//! behind an IAM Identity Center session ([`person_wanted`]). The shell (`crate::lookups`)
//! asks AWS and fills in a [`Read`]; the renderer (`render::looked_up`) says what it means.
//!
//! Two kinds of callers lead to a person: a record whose `userIdentity.onBehalfOf` names an
//! Identity Center user and its identity store (`IdentityCenterUser` callers), and an
//! `AWSReservedSSO_*` role session, whose session name is the user's user name in the store
//! the stack is told about (`IdentityStoreId`). Identity Store has no cross-account access:
//! a store in another account is not asked, and the alert says where it is and how to get the
//! name.

use crate::event::Event;
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

/// What a group grants its members (AddUserToGroup), or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupGrants {
    Read {
        group: String,
        policies: Vec<GroupPolicy>,
        /// The group holds more policies than were read ([`GROUP_POLICIES_READ`]).
        more: bool,
    },
    NotRead {
        group: String,
        why: String,
    },
}

/// The most of a group's policies read for one alert (attached and inline together).
pub const GROUP_POLICIES_READ: usize = 10;

/// One policy a group holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupPolicy {
    /// AWS managed: judged from AWS's own document of it (`policy::managed`), not read.
    AwsManaged { name: String },
    /// A customer managed policy's default version, or an inline policy: its text (masked),
    /// or why it could not be read.
    Customer {
        name: String,
        version: Option<String>,
        document: Result<String, String>,
    },
    Inline {
        name: String,
        document: Result<String, String>,
    },
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
    /// The IAM Identity Center user behind the caller ([`person_wanted`]).
    pub person: Option<PersonQuery>,
    /// An inline policy was put: IAM keeps no earlier text to compare with (said, not read).
    pub inline: bool,
    /// The group a user joined: what it grants is read (its account and name).
    pub group: Option<(String, String)>,
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
    pub person: Option<Person>,
    /// An inline policy was put (from [`Wants::inline`]): nothing to compare it with.
    pub inline: bool,
    pub group: Option<GroupGrants>,
}

/// Who to look up, in which identity store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonQuery {
    /// `d-1234567890`.
    pub store: String,
    /// The store's account when the record says it (`identityStoreArn`).
    pub store_account: Option<String>,
    /// Where Identity Center runs (`IDENTITY_CENTER_REGION`), else the function's region.
    pub region: Option<String>,
    pub by: UserKey,
}

/// How the record names the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserKey {
    /// `onBehalfOf.userId`.
    Id(String),
    /// An `AWSReservedSSO_*` session's name: the user's `UserName`.
    Name(String),
}

impl UserKey {
    /// How the alert names the user when the store does not answer.
    pub fn words(&self) -> String {
        match self {
            UserKey::Id(id) => format!("IAM Identity Center user {id}"),
            UserKey::Name(name) => format!("IAM Identity Center user name {name}"),
        }
    }
}

/// What the identity store says about the user, or why it could not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Found {
        user_id: String,
        display_name: Option<String>,
        user_name: Option<String>,
        /// The primary e-mail address, else the first.
        email: Option<String>,
    },
    NotRead {
        who: String,
        why: String,
    },
}

/// Whether `s` can be an identity store's or a user's id (letters, digits, `-`).
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The user the record's caller is, when an identity store can say who that is: `onBehalfOf`
/// (its store named by ARN), else an `AWSReservedSSO_*` session in the account the stack
/// watches, looked up by user name in `store` (the stack's `IdentityStoreId`).
pub fn person_wanted(
    event: &Event<'_>,
    store: Option<&str>,
    region: Option<&str>,
) -> Option<PersonQuery> {
    let u = event.detail.user_identity.as_ref()?;
    let region = region.map(String::from);
    if let Some(behalf) = &u.on_behalf_of {
        let id = behalf.user_id.as_deref().filter(|id| is_id(id))?;
        let arn = crate::arn::Arn::parse(behalf.identity_store_arn.as_deref()?)?;
        let store = arn
            .resource
            .strip_prefix("identitystore/")
            .filter(|s| is_id(s))?;
        return Some(PersonQuery {
            store: store.to_string(),
            store_account: crate::arn::is_account_id(arn.account).then(|| arn.account.to_string()),
            region,
            by: UserKey::Id(id.to_string()),
        });
    }
    let store = store.filter(|s| is_id(s))?;
    let arn = crate::arn::Arn::parse(u.arn.as_deref()?)?;
    let (role, session) = arn
        .resource
        .strip_prefix("assumed-role/")?
        .split_once('/')?;
    let issued_by_identity_center = event
        .session_issuer_arn()
        .is_some_and(crate::arn::is_identity_center_role);
    (arn.service == "sts"
        && issued_by_identity_center
        && role.starts_with("AWSReservedSSO_")
        && !session.is_empty()
        && session.len() <= 128)
        .then(|| PersonQuery {
            store: store.to_string(),
            store_account: None,
            region,
            by: UserKey::Name(session.to_string()),
        })
}

/// Why a store in another account than `own_account` is not asked (Identity Store has no
/// cross-account access); `None` when it may be asked.
pub fn elsewhere(q: &PersonQuery, own_account: &str) -> Option<Person> {
    let account = q.store_account.as_deref().filter(|a| *a != own_account)?;
    Some(Person::NotRead {
        who: q.by.words(),
        why: format!(
            "its identity store {} is in account {account}, and Identity Store has no \
             cross-account access: deploy the stack in that account (the organization's \
             management account or Identity Center's delegated administrator) to name people",
            q.store
        ),
    })
}

/// What the record asks IAM about, for a successful IAM call in `own_account`: the text of an
/// attached customer-managed policy of that account ([`wanted`]); for a new version of such
/// a policy, the version to compare it with and, when it is the default now, who holds the
/// policy; for a role whose permissions changed (AttachRolePolicy, PutRolePolicy), who may
/// assume it; for a user added to a group, what the group grants.
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
        "AddUserToGroup" => {
            w.group = event.request("groupName").map(|g| (account.to_string(), g));
        }
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
    if !query.now_default
        && let Some(d) = others.iter().find(|v| v.default)
    {
        return Some((d.id.clone(), Basis::Default));
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
pub fn is_version_id(v: &str) -> bool {
    v.len() <= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
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

    // The person behind a session.

    use serde_json::json;

    fn identity_event(identity: serde_json::Value) -> Event<'static> {
        Event::parse(
            &json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": "CreateRole",
                "userIdentity": identity}}),
        )
        .unwrap()
    }

    #[test]
    fn the_record_says_which_user_to_ask_about() {
        let behalf = identity_event(
            json!({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "9067-abc",
            "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1234567890"}}),
        );
        assert_eq!(
            person_wanted(&behalf, None, Some("eu-west-1")),
            Some(PersonQuery {
                store: "d-1234567890".into(),
                store_account: Some("111122223333".into()),
                region: Some("eu-west-1".into()),
                by: UserKey::Id("9067-abc".into()),
            })
        );
        let sso = identity_event(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/maria@example.com",
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"}}}));
        // A role named like Identity Center's elsewhere: its session name is nobody's.
        let lookalike = identity_event(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/maria@example.com",
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "arn": "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd"}}}));
        assert_eq!(person_wanted(&lookalike, Some("d-1234567890"), None), None);
        assert_eq!(
            person_wanted(&sso, Some("d-1234567890"), None).map(|q| q.by),
            Some(UserKey::Name("maria@example.com".into()))
        );
        // Without a store to ask, another role, an id that is not one: nobody.
        assert_eq!(person_wanted(&sso, None, None), None);
        let role = identity_event(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/ci-deploy/maria@example.com"}));
        assert_eq!(person_wanted(&role, Some("d-1234567890"), None), None);
        let odd = identity_event(
            json!({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "x\"}",
            "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1234567890"}}),
        );
        assert_eq!(person_wanted(&odd, None, None), None);
    }
}
