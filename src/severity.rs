//! How much an alert matters: every rule in one table, each with its severity and meaning.
//! The README's "Severity rules" section lists the same table; each rule has a test.

use serde::Serialize;

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

/// One reason an alert matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub reason: String,
}

impl Finding {
    /// A finding of `rule`, with the severity the table gives it.
    pub fn new(rule: &'static str, reason: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: severity_of(rule),
            reason: reason.into(),
        }
    }
}

impl Finding {
    /// A finding of `rule` whose reason is the table's own description.
    pub fn of(rule: &'static str) -> Finding {
        let reason = RULES
            .iter()
            .find(|(id, _, _)| *id == rule)
            .map(|(_, _, why)| *why)
            .unwrap_or(rule);
        Finding::new(rule, reason)
    }
}

/// Every rule: (id, severity, when it fires).
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "root-user",
        Severity::Critical,
        "the account root user made the call",
    ),
    (
        "root-console-sign-in",
        Severity::Critical,
        "the account root user signed in to the console",
    ),
    (
        "admin-policy-attached",
        Severity::Critical,
        "AdministratorAccess or IAMFullAccess (AWS managed) was attached",
    ),
    (
        "broad-policy-attached",
        Severity::Warning,
        "PowerUserAccess or another broad AWS managed policy was attached",
    ),
    (
        "allow-all",
        Severity::Critical,
        "a policy allows Action \"*\" on Resource \"*\"",
    ),
    (
        "allow-iam-all",
        Severity::Critical,
        "a policy allows iam:* on Resource \"*\"",
    ),
    (
        "allow-service-all",
        Severity::Warning,
        "a policy allows <service>:* on Resource \"*\"",
    ),
    (
        "pass-role-any",
        Severity::Critical,
        "a policy allows iam:PassRole on every role",
    ),
    (
        "allow-not-action",
        Severity::Warning,
        "a policy uses Allow with NotAction or NotResource",
    ),
    (
        "privilege-escalation",
        Severity::Warning,
        "a policy grants actions that let the holder raise its own privileges (iam:CreatePolicyVersion, iam:AttachRolePolicy, iam:PutRolePolicy, iam:UpdateAssumeRolePolicy, sts:AssumeRole on *, lambda:CreateFunction with iam:PassRole, ...)",
    ),
    (
        "trust-anyone",
        Severity::Critical,
        "a trust policy lets any principal (\"*\") assume the role",
    ),
    (
        "trust-other-account",
        Severity::Warning,
        "a trust policy lets another account assume the role without an sts:ExternalId or organization condition",
    ),
    (
        "default-version-changed",
        Severity::Warning,
        "a new policy version was created and set as the default",
    ),
    (
        "new-credential",
        Severity::Warning,
        "a console password, access key, SSH key or service credential was created or changed",
    ),
    (
        "mfa-removed",
        Severity::Warning,
        "an MFA device was deactivated or deleted",
    ),
    (
        "boundary-removed",
        Severity::Warning,
        "a permissions boundary was removed",
    ),
    (
        "identity-provider-changed",
        Severity::Warning,
        "a SAML or OpenID Connect identity provider was created or changed",
    ),
    (
        "denied",
        Severity::Warning,
        "a caller tried an IAM change it is not allowed to make",
    ),
];

/// The severity the table gives `rule` (info for an unknown id, which a test forbids).
pub fn severity_of(rule: &str) -> Severity {
    RULES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map(|(_, s, _)| *s)
        .unwrap_or(Severity::Info)
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
    fn rule_ids_are_unique_and_known() {
        for (i, (id, _, _)) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|(o, _, _)| o != id), "{id}");
            assert_eq!(Finding::new(id, "x").severity, RULES[i].1);
        }
    }

    #[test]
    fn overall_is_the_highest_and_failed_calls_are_at_most_warnings() {
        let f = vec![Finding::new("denied", "x"), Finding::new("allow-all", "y")];
        assert_eq!(overall(&f, false), Severity::Critical);
        assert_eq!(overall(&f, true), Severity::Warning);
        assert_eq!(overall(&[], false), Severity::Info);
    }
}
