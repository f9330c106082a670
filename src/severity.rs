//! How much an alert matters: every rule in one enum, each with its id, severity and the one
//! text that says why it fired. The README's "Severity rules" section lists the same table
//! (a test keeps them in step); `tests/severity.rs` fires each rule.

use serde::{Serialize, Serializer};

/// An alert's severity, shown in the subject (`[IAM CRITICAL]`, `[IAM WARNING]`) and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Declares [`Rule`] and its table from one list: variant, id, severity, description.
macro_rules! rules {
    ($($variant:ident => $id:literal, $severity:ident, $why:literal;)+) => {
        /// A severity rule. Findings name their rule by this type, so a misspelt rule is a
        /// compile error, not a silent INFO.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule { $($variant),+ }

        impl Rule {
            /// Every rule, in the README's order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            /// The rule's id, as alerts, logs and the README show it.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),+ }
            }

            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity),+ }
            }

            /// When the rule fires; also the reason of a finding that has nothing more
            /// specific to say.
            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $why),+ }
            }
        }
    };
}

rules! {
    MonitorChanged => "monitor-changed", Critical,
        "the IAM change monitor itself (its rules, function, roles, topics, subscriptions, keys, alarms, heartbeat schedule, digest queues or event source mapping) or a CloudTrail trail was changed: alerts may stop";
    MonitorMuted => "monitor-muted", Critical,
        "the change silences the monitor: a rule disabled, logging stopped, the function set to DRY_RUN or IGNORE_*, throttled to zero, or pointed at another topic";
    RootUser => "root-user", Critical,
        "the account root user made this call";
    RootConsoleSignIn => "root-console-sign-in", Critical,
        "the account root user signed in to the console";
    RootSignInFailed => "root-sign-in-failed", Warning,
        "someone tried to sign in to the console as the account root user and failed: they know its e-mail address";
    KeyQuarantined => "key-quarantined", Critical,
        "AWS's quarantine policy for an exposed access key (AWSCompromisedKeyQuarantine, V2, V3) was applied to a user";
    PrivilegedPolicyDetached => "privileged-policy-detached", Info,
        "an AWS managed policy whose document grants something rated warning or critical was detached: access went down";
    AllowAll => "allow-all", Critical,
        "a policy allows Action * on Resource *";
    AllowIamAll => "allow-iam-all", Critical,
        "a policy allows every IAM action (iam:*, *, or a NotAction that leaves IAM out of its list) on every IAM resource (*, or every one of an account: arn:aws:iam::111122223333:*)";
    AllowServiceAll => "allow-service-all", Warning,
        "a policy allows <service>:* on Resource *";
    PassRoleAny => "pass-role-any", Critical,
        "a policy allows iam:PassRole on every role of an account or of every account, not pinned to named services by an iam:PassedToService condition";
    AllowNotAction => "allow-not-action", Warning,
        "a policy uses Allow with NotAction or NotResource";
    NotAnalysed => "not-analysed", Warning,
        "a policy document of a change that succeeded could not be read (not JSON, a number out of range, a lone surrogate, ...): what it grants is unknown";
    AllowNotPrincipal => "allow-not-principal", Warning,
        "a policy uses Allow with NotPrincipal: every principal not listed is let in";
    EscalationToAdmin => "escalation-to-admin", Critical,
        "a policy grants, on every IAM resource, an action that leads straight to administrator: iam:CreatePolicyVersion, iam:Attach*Policy, iam:Put*Policy, iam:AddUserToGroup, iam:UpdateAssumeRolePolicy, iam:CreateAccessKey, iam:CreateLoginProfile or iam:UpdateLoginProfile (each named)";
    PrivilegeEscalation => "privilege-escalation", Warning,
        "a policy opens a privilege-escalation path on fewer resources, or through another service: iam:PassRole with a compute service's create call (lambda:CreateFunction, ec2:RunInstances, ...), updating existing functions, stacks or notebooks, commands or sessions on instances, sts:AssumeRole on *, boundaries removed (each named)";
    PermissionsManagement => "permissions-management", Warning,
        "a policy grants actions of the Permissions management access level (who may do what: IAM, resource policies, grants), by service with counts";
    GrantsNothing => "grants-nothing", Info,
        "a policy grants nothing: it only denies (a guardrail), or its Deny statements take back all it allows";
    TrustAnyone => "trust-anyone", Critical,
        "a trust policy lets any principal (\"*\", {\"AWS\": \"*\"}) assume the role";
    TrustAnyOidcSubject => "trust-any-oidc-subject", Critical,
        "a trust policy lets every identity of a web identity provider assume the role: an OpenID Connect provider without a :sub condition that names someone (for GitHub Actions, an owner), Google or Cognito without an aud condition";
    TrustFederationUnpinned => "trust-federation-unpinned", Warning,
        "a trust policy lets a SAML provider's users in without a SAML:aud condition, or a Cognito identity pool's without an amr condition requiring authenticated identities";
    TrustServiceUnscoped => "trust-service-unscoped", Info,
        "a trust policy lets a service assume the role without aws:SourceAccount or aws:SourceArn (the confused deputy)";
    TrustOtherAccount => "trust-other-account", Warning,
        "a trust policy lets another account assume the role without an sts:ExternalId or organization condition";
    DefaultVersionChanged => "default-version-changed", Warning,
        "the default version of a policy changed (a new version set as default, or another made the default): it now grants another document";
    NewCredential => "new-credential", Warning,
        "a console password, access key, SSH key or service credential was created or changed";
    PasswordPolicyRemoved => "password-policy-removed", Warning,
        "the account password policy was deleted: IAM users may set any password";
    PasswordPolicyWeak => "password-policy-weak", Warning,
        "the account password policy was set below the CIS AWS Foundations Benchmark's baseline (a minimum length of 14, reuse prevention of 24): each shortfall named";
    KeyReactivated => "key-reactivated", Warning,
        "an access key was made Active again: a key that was turned off (perhaps because it leaked) works again";
    SelfChange => "self-change", Warning,
        "a role or user changed its own permissions (an inline policy put, a policy attached, its boundary removed) or its own trust policy: it granted itself what it may do next";
    MfaRemoved => "mfa-removed", Warning,
        "an MFA device was deactivated or deleted";
    BoundaryRemoved => "boundary-removed", Warning,
        "a permissions boundary was removed";
    IdentityProviderChanged => "identity-provider-changed", Warning,
        "a SAML or OpenID Connect identity provider was created or changed";
    Denied => "denied", Warning,
        "the caller tried a change it is not allowed to make";
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One reason an alert matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    pub reason: String,
}

impl Finding {
    /// A finding of `rule` with a reason specific to this alert.
    pub fn new(rule: Rule, reason: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity(),
            reason: reason.into(),
        }
    }

    /// A finding of `rule` whose reason is the rule's own description.
    pub fn of(rule: Rule) -> Finding {
        Finding::new(rule, rule.description())
    }
}

/// The alert's severity: the highest of its findings, at most a warning when the call
/// failed (the change did not happen), info without findings.
pub fn overall(findings: &[Finding], failed: bool) -> Severity {
    let top = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    if failed {
        top.min(Severity::Warning)
    } else {
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            let id = rule.id();
            assert!(Rule::ALL.iter().skip(i + 1).all(|o| o.id() != id), "{id}");
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id}"
            );
            assert!(!rule.description().is_empty());
        }
    }

    #[test]
    fn overall_is_the_highest_and_failed_calls_are_at_most_warnings() {
        let f = vec![Finding::of(Rule::Denied), Finding::new(Rule::AllowAll, "y")];
        assert_eq!(overall(&f, false), Severity::Critical);
        assert_eq!(overall(&f, true), Severity::Warning);
        assert_eq!(overall(&[], false), Severity::Info);
    }

    #[test]
    fn a_finding_serializes_its_rule_by_id() {
        let v = serde_json::to_value(Finding::of(Rule::MfaRemoved)).unwrap();
        assert_eq!(v["rule"], "mfa-removed");
        assert_eq!(v["severity"], "warning");
    }
}
