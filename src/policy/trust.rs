//! Who a trust policy lets assume the role.

use super::{Findings, Statement, principal_account};
use crate::arn::Arn;
use crate::severity::{Finding, Rule};

/// Conditions that keep another account's trust to a known caller.
const TRUST_GUARDS: &[&str] = &[
    "sts:externalid",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceorgid",
];

/// Who one Allow statement of a trust policy lets in.
pub(super) fn trust_findings(s: &Statement, out: &mut Findings, own_account: Option<&str>) {
    let guarded = s
        .condition_keys
        .iter()
        .any(|k| TRUST_GUARDS.contains(&k.to_ascii_lowercase().as_str()));
    if s.not_principal {
        out.push(Finding::of(Rule::AllowNotPrincipal));
    }
    // `*`, or an ARN pattern of any account (`arn:aws:iam::*:root`).
    let anyone = |p: &str| {
        p == "*" || (p.contains('*') && Arn::parse(p).is_some_and(|a| a.account.contains('*')))
    };
    if let Some(p) = s.aws_principals.iter().find(|p| anyone(p)) {
        out.push(Finding::new(
            Rule::TrustAnyone,
            match (p.as_ref(), s.has_condition) {
                ("*", true) => {
                    "any principal (\"*\") may assume the role, limited only by its Condition"
                        .to_string()
                }
                ("*", false) => {
                    "any principal (\"*\") in any account may assume the role".to_string()
                }
                (p, _) => format!("{p} lets a principal of any account assume the role"),
            },
        ));
    }
    for provider in &s.federated {
        let oidc = provider.contains(":oidc-provider/");
        let subject_bound = s
            .condition_keys
            .iter()
            .any(|k| k.to_ascii_lowercase().ends_with(":sub"));
        if oidc && !subject_bound {
            out.push(Finding::new(
                Rule::TrustAnyOidcSubject,
                format!(
                    "any identity of {provider} may assume the role: no condition on its :sub \
                     (for GitHub Actions, any repository of any owner)"
                ),
            ));
        }
    }
    let scoped = s.has_condition_key("aws:SourceAccount")
        || s.has_condition_key("aws:SourceArn")
        || s.has_condition_key("aws:SourceOrgID");
    for service in s.services.iter().filter(|_| !scoped) {
        out.push_item(
            Rule::TrustServiceUnscoped,
            service,
            format!(
                "the service {service} may assume the role on behalf of any account: no \
                 aws:SourceAccount or aws:SourceArn condition"
            ),
        );
    }
    for p in s.aws_principals.iter().filter(|p| !anyone(p)) {
        if let Some(account) = principal_account(p)
            && Some(account) != own_account
            && !guarded
        {
            out.push_item(
                    Rule::TrustOtherAccount,
                    account,
                    format!(
                        "account {account} may assume the role with no sts:ExternalId or organization condition"
                    ),
                );
        }
    }
}
