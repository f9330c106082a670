//! `userIdentity` -> who made the call, in words an admin reads at a glance.

use crate::event::{Event, UserIdentity};

/// Who made a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Short form for the subject line: `alice`, `alice@example.com`, `ci-deploy/session`, `ROOT`.
    pub short: String,
    /// Full sentence form for the body: `IAM user alice (arn:…)`.
    pub long: String,
    /// The `userIdentity.type` as recorded, or `missing`.
    pub kind: String,
    /// The account root user made the call.
    pub is_root: bool,
    /// Whether the session was signed in with MFA, when the record says
    /// (`sessionContext.attributes.mfaAuthenticated`, or a sign-in's `MFAUsed`).
    pub mfa: Option<bool>,
}

const SSO_ROLE_PREFIX: &str = "AWSReservedSSO_";

/// The IAM principal that made the call, as (`role` or `user`, name, account), when AWS wrote
/// it in the record: an IAM user, or the role an assumed-role session was issued by.
pub fn caller_principal<'e>(event: &'e Event<'_>) -> Option<(&'static str, &'e str, &'e str)> {
    let u = event.detail.user_identity.as_ref()?;
    match u.kind.as_deref()? {
        "IAMUser" => Some(("user", u.user_name.as_deref()?, u.account_id.as_deref()?)),
        "AssumedRole" => {
            let issuer = u.session_context.as_ref()?.session_issuer.as_ref()?;
            (issuer.kind.as_deref() == Some("Role")).then_some(())?;
            Some((
                "role",
                issuer.user_name.as_deref()?,
                issuer.account_id.as_deref()?,
            ))
        }
        _ => None,
    }
}

/// Reads the caller of `event`. Never fails and never returns an empty name: when the record
/// says nothing about the caller, the text says so.
pub fn actor(event: &Event<'_>) -> Actor {
    let mut who = match event.detail.user_identity.as_ref() {
        Some(identity) => from_identity(identity),
        None => Actor {
            short: "unknown caller".into(),
            long: "unknown caller (the record has no userIdentity)".into(),
            kind: "missing".into(),
            is_root: false,
            mfa: None,
        },
    };
    who.mfa = mfa(event).filter(|_| {
        event
            .detail
            .user_identity
            .as_ref()
            .is_none_or(|u| could_use_mfa(u))
    });
    match (who.mfa, who.is_root) {
        (Some(false), true) => who.long.push_str(" [root session WITHOUT MFA]"),
        (Some(false), false) => who.long.push_str(" [MFA: no]"),
        (Some(true), _) => who.long.push_str(" [MFA: yes]"),
        (None, _) => {}
    }
    who
}

/// Whether the session is one a person could have signed in to with MFA, so that the record's
/// MFA flag means something: not a service, an instance's role credentials, a web identity
/// (CI tokens) or SAML federation, and not IAM Identity Center, which asks for MFA at its own sign-in while the role session
/// it hands out is always recorded without.
fn could_use_mfa(u: &UserIdentity) -> bool {
    let kind = u.kind.as_deref().unwrap_or_default();
    let context = u.session_context.as_ref();
    let issuer = context
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| i.user_name.as_deref())
        .unwrap_or_default();
    // (Root and IAM users' records carry an empty webIdFederationData: a provider says it.)
    let web_identity = context
        .and_then(|c| c.web_id_federation_data.as_ref())
        .is_some_and(|w| w.federated_provider.is_some());
    kind == "Root"
        || (!matches!(
            kind,
            "AWSService" | "AWSAccount" | "WebIdentityUser" | "SAMLUser"
        ) && !web_identity
            && context.is_none_or(|c| c.ec2_role_delivery.is_none())
            && !issuer.starts_with(SSO_ROLE_PREFIX)
            && u.invoked_by.is_none())
}

/// MFA as the record states it: the session's `mfaAuthenticated`, else a console sign-in's
/// `additionalEventData.MFAUsed` (`Yes`/`No`).
fn mfa(event: &Event<'_>) -> Option<bool> {
    let session = event
        .detail
        .user_identity
        .as_ref()
        .and_then(|u| u.session_context.as_ref())
        .and_then(|c| c.attributes.as_ref())
        .and_then(|a| a.mfa_authenticated);
    session.or_else(|| {
        // A refused sign-in opened no session: whether MFA was used says nothing then.
        if event.is_refused_sign_in() {
            return None;
        }
        let used = event
            .detail
            .additional_event_data
            .as_ref()?
            .get("MFAUsed")?;
        match used.as_str()?.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        }
    })
}

fn from_identity(u: &UserIdentity) -> Actor {
    let kind = u.kind.as_deref().unwrap_or("Unknown").to_string();
    let (short, long) = match kind.as_str() {
        "Root" => (
            "ROOT".to_string(),
            with_arn(u, "the account root user".into()),
        ),
        "IAMUser" => iam_user(u),
        "AssumedRole" => assumed_role(u),
        "FederatedUser" => {
            let name = or_fallback(
                u.arn
                    .as_deref()
                    .and_then(|a| last_segment(a, "federated-user/")),
                u,
            );
            (name.clone(), with_arn(u, format!("federated user {name}")))
        }
        "SAMLUser" | "WebIdentityUser" => federated_identity(u, &kind),
        "IdentityCenterUser" => identity_center_user(u),
        "AWSService" => {
            let svc = or_fallback(u.invoked_by.as_deref(), u);
            let long = match u.arn.as_deref() {
                Some(a) => format!("AWS service {svc} ({a})"),
                None => format!("AWS service {svc}"),
            };
            (svc, long)
        }
        "AWSAccount" => {
            let acct = or_fallback(u.account_id.as_deref(), u);
            let principal = u
                .principal_id
                .as_deref()
                .map(|p| format!(", principal {p}"))
                .unwrap_or_default();
            (
                format!("account {acct}"),
                format!("AWS account {acct}{principal}{}", via(u)),
            )
        }
        other => {
            let id = fallback_id(u);
            (id.clone(), format!("{other} caller {id}{}", via(u)))
        }
    };
    Actor {
        short,
        long,
        is_root: kind == "Root",
        kind,
        mfa: None,
    }
}

/// `, via <service>` when an AWS service made the call on the caller's behalf.
fn via(u: &UserIdentity) -> String {
    u.invoked_by
        .as_deref()
        .map(|s| format!(", via {s}"))
        .unwrap_or_default()
}

/// `text (arn), via service`: the long form with what the record adds.
fn with_arn(u: &UserIdentity, text: String) -> String {
    match u.arn.as_deref() {
        Some(a) => format!("{text} ({a}){}", via(u)),
        None => format!("{text}{}", via(u)),
    }
}

fn iam_user(u: &UserIdentity) -> (String, String) {
    let name = or_fallback(
        u.user_name
            .as_deref()
            .or_else(|| u.arn.as_deref().and_then(|a| last_segment(a, "user/"))),
        u,
    );
    (name.clone(), with_arn(u, format!("IAM user {name}")))
}

/// A role session: `role/session`, or for IAM Identity Center the person behind it.
fn assumed_role(u: &UserIdentity) -> (String, String) {
    let parts = u.arn.as_deref().and_then(assumed_role_parts);
    let role = u
        .session_context
        .as_ref()
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| i.user_name.as_deref().map(str::to_string))
        .or_else(|| parts.clone().map(|(r, _)| r));
    let session = parts.map(|(_, s)| s);
    // An Identity Center session only when the issuer is Identity Center's role (its path),
    // not a role anyone could name `AWSReservedSSO_…`: its session name would be whatever
    // the caller chose.
    let identity_center = u
        .session_context
        .as_ref()
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| i.arn.as_deref())
        .is_some_and(crate::arn::is_identity_center_role);
    match (role, session) {
        (Some(role), Some(session)) if identity_center && role.starts_with(SSO_ROLE_PREFIX) => (
            session.clone(),
            with_arn(
                u,
                format!("{session} via {role} (IAM Identity Center session)"),
            ),
        ),
        (Some(role), Some(session)) => (
            format!("{role}/{session}"),
            with_arn(u, format!("role {role}, session {session}")),
        ),
        (Some(role), None) => (role.clone(), with_arn(u, format!("role {role}"))),
        (None, _) => {
            let id = fallback_id(u);
            (id.clone(), with_arn(u, format!("assumed role {id}")))
        }
    }
}

/// A SAML or web identity user, with the provider that vouched for them.
fn federated_identity(u: &UserIdentity, kind: &str) -> (String, String) {
    let name = or_fallback(u.user_name.as_deref(), u);
    let provider = u
        .identity_provider
        .as_deref()
        .map(|p| format!(" from identity provider {p}"))
        .unwrap_or_default();
    let what = if kind == "SAMLUser" {
        "SAML user"
    } else {
        "web identity user"
    };
    (
        name.clone(),
        with_arn(u, format!("{what} {name}{provider}")),
    )
}

fn identity_center_user(u: &UserIdentity) -> (String, String) {
    let behalf = u.on_behalf_of.as_ref();
    let id = or_fallback(behalf.and_then(|o| o.user_id.as_deref()), u);
    let store = behalf
        .and_then(|o| o.identity_store_arn.as_deref())
        .map(|s| format!(" in {s}"))
        .unwrap_or_default();
    (
        id.clone(),
        with_arn(u, format!("IAM Identity Center user {id}{store}")),
    )
}

/// `name` as recorded, else [`fallback_id`].
fn or_fallback(name: Option<&str>, u: &UserIdentity) -> String {
    name.map_or_else(|| fallback_id(u), str::to_string)
}

/// The most exact thing the record has about an identity it does not name.
fn fallback_id(u: &UserIdentity) -> String {
    let named = u
        .arn
        .as_deref()
        .or(u.principal_id.as_deref())
        .or(u.user_name.as_deref());
    match (named, u.account_id.as_deref()) {
        (Some(name), _) => name.to_string(),
        (None, Some(account)) => format!("account {account}"),
        (None, None) => "unidentified caller".into(),
    }
}

/// `arn:aws:sts::123:assumed-role/Role/session` -> (`Role`, `session`).
fn assumed_role_parts(arn: &str) -> Option<(String, String)> {
    let rest = arn.split_once(":assumed-role/")?.1;
    let (role, session) = rest.split_once('/')?;
    (!role.is_empty() && !session.is_empty()).then(|| (role.to_string(), session.to_string()))
}

/// The last `/` segment after `marker` in an ARN.
fn last_segment<'a>(arn: &'a str, marker: &str) -> Option<&'a str> {
    let rest = arn.split_once(marker)?.1;
    rest.rsplit('/').next().filter(|s| !s.is_empty())
}

/// What kind of client a `userAgent` is, for the body's "User agent" line.
pub fn user_agent_kind(user_agent: &str) -> &'static str {
    // Lower-cased only when it has upper case (rarely: user agents are mostly lower case).
    let ua: std::borrow::Cow<'_, str> = if user_agent.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(user_agent.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(user_agent)
    };
    if ua.starts_with("aws-internal/") {
        "AWS internal"
    } else if ua.contains("cloudformation") {
        "CloudFormation"
    } else if ua.contains("terraform") {
        "Terraform"
    } else if ua.starts_with("aws-cli/") || ua.contains(" aws-cli/") {
        "AWS CLI"
    } else if ua == "aws internal" {
        "AWS internal (console or an AWS service)"
    } else if ua.contains("console.amazonaws.com")
        || ua.contains("signin.amazonaws.com")
        || ua.contains("console.aws.amazon.com")
    {
        "AWS Management Console"
    } else if ua.ends_with(".amazonaws.com") {
        "AWS service"
    } else if ua.contains("aws-sdk-")
        || ua.contains("boto3")
        || ua.contains("botocore")
        || ua.contains("aws-cdk")
    {
        "AWS SDK"
    } else if ua.contains("mozilla/") {
        "web browser"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn who(identity: Value) -> Actor {
        let mut ev = json!({"detail-type":"AWS API Call via CloudTrail","source":"aws.iam",
                            "detail":{"eventSource":"iam.amazonaws.com"}});
        if !identity.is_null() {
            ev["detail"]["userIdentity"] = identity;
        }
        actor(&Event::parse(&ev).unwrap())
    }

    #[test]
    fn iam_user_by_name() {
        let a = who(json!({"type":"IAMUser","userName":"alice",
                           "arn":"arn:aws:iam::111122223333:user/alice"}));
        assert_eq!(a.short, "alice");
        assert_eq!(
            a.long,
            "IAM user alice (arn:aws:iam::111122223333:user/alice)"
        );
    }

    #[test]
    fn iam_user_name_from_arn_with_path() {
        let a = who(json!({"type":"IAMUser","arn":"arn:aws:iam::1:user/team/bob"}));
        assert_eq!(a.short, "bob");
    }

    #[test]
    fn assumed_role_shows_role_and_session() {
        let a = who(json!({"type":"AssumedRole",
            "arn":"arn:aws:sts::111122223333:assumed-role/ci-deploy/gh-run-42",
            "sessionContext":{"sessionIssuer":{"type":"Role","userName":"ci-deploy"}}}));
        assert_eq!(a.short, "ci-deploy/gh-run-42");
        assert!(a.long.starts_with("role ci-deploy, session gh-run-42 ("));
    }

    #[test]
    fn identity_center_session_shows_the_person() {
        let a = who(json!({"type":"AssumedRole",
            "arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
            "sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_Admin_0123abcd",
                "arn":"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd"}}}));
        assert_eq!(a.short, "alice@example.com");
        assert!(a.long.starts_with(
            "alice@example.com via AWSReservedSSO_Admin_0123abcd (IAM Identity Center session)"
        ));
        // A role anyone made with that name, elsewhere: its session name is the caller's
        // choice, not a person.
        let lookalike = who(json!({"type":"AssumedRole",
            "arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123abcd/ceo@example.com",
            "sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_Admin_0123abcd",
                "arn":"arn:aws:iam::1:role/AWSReservedSSO_Admin_0123abcd"}}}));
        assert_eq!(
            lookalike.short,
            "AWSReservedSSO_Admin_0123abcd/ceo@example.com"
        );
        assert!(
            !lookalike.long.contains("Identity Center"),
            "{}",
            lookalike.long
        );
    }

    #[test]
    fn assumed_role_with_empty_issuer_uses_the_arn() {
        let a = who(
            json!({"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s",
                           "sessionContext":{"sessionIssuer":{}}}),
        );
        assert_eq!(a.short, "r/s");
    }

    #[test]
    fn root_is_flagged_with_invoked_by() {
        let a = who(json!({"type":"Root","arn":"arn:aws:iam::1:root",
                           "invokedBy":"sso.amazonaws.com","sessionContext":{"sessionIssuer":{}}}));
        assert!(a.is_root);
        assert_eq!(a.short, "ROOT");
        assert_eq!(
            a.long,
            "the account root user (arn:aws:iam::1:root), via sso.amazonaws.com"
        );
    }

    #[test]
    fn federated_saml_web_identity_center_service_account() {
        assert_eq!(
            who(json!({"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/Bob"})).short,
            "Bob"
        );
        let saml = who(json!({"type":"SAMLUser","userName":"bob@corp","identityProvider":"idp"}));
        assert_eq!(saml.long, "SAML user bob@corp from identity provider idp");
        let web = who(json!({"type":"WebIdentityUser","userName":"sub-1"}));
        assert_eq!(web.long, "web identity user sub-1");
        let ic = who(json!({"type":"IdentityCenterUser",
            "onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}}));
        assert_eq!(
            ic.long,
            "IAM Identity Center user u-1 in arn:aws:identitystore::1:identitystore/d-1"
        );
        let svc = who(json!({"type":"AWSService","invokedBy":"cloudformation.amazonaws.com"}));
        assert_eq!(svc.long, "AWS service cloudformation.amazonaws.com");
        let acct = who(json!({"type":"AWSAccount","accountId":"999","principalId":"AIDX"}));
        assert_eq!(acct.long, "AWS account 999, principal AIDX");
    }

    #[test]
    fn unknown_and_missing_are_never_empty() {
        let unknown = who(json!({"type":"Unknown","principalId":"p-1"}));
        assert_eq!(unknown.short, "p-1");
        let bare = who(json!({}));
        assert_eq!(bare.short, "unidentified caller");
        assert_eq!(bare.kind, "Unknown");
        let missing = who(Value::Null);
        assert_eq!(missing.kind, "missing");
        assert!(missing.long.contains("no userIdentity"));
    }

    #[test]
    fn user_agents_are_classified() {
        assert_eq!(user_agent_kind("aws-cli/2.15.0 Python/3.11"), "AWS CLI");
        assert_eq!(
            user_agent_kind("APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io)"),
            "Terraform"
        );
        assert_eq!(
            user_agent_kind("cloudformation.amazonaws.com"),
            "CloudFormation"
        );
        assert_eq!(
            user_agent_kind("console.amazonaws.com"),
            "AWS Management Console"
        );
        assert_eq!(
            user_agent_kind("Boto3/1.34.0 md/Botocore#1.34.0"),
            "AWS SDK"
        );
        assert_eq!(user_agent_kind("aws-sdk-rust/1.3"), "AWS SDK");
        assert_eq!(user_agent_kind("sso.amazonaws.com"), "AWS service");
        assert_eq!(user_agent_kind("stratus-red-team_x"), "other");
    }
}
