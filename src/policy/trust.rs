//! Who a trust policy lets assume the role.

use super::{Findings, Statement, principal_account};
use crate::arn::Arn;
use crate::severity::{Finding, Rule};

/// Conditions that keep another account's trust to a known caller, when they name one.
const TRUST_GUARDS: &[&str] = &[
    "sts:ExternalId",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceOrgID",
];

/// Some condition on one of `keys` lets in only what names something concrete: a positive
/// operator whose every value passes `concrete`.
fn constrained(s: &Statement, keys: &[&str], concrete: impl Fn(&str) -> bool) -> bool {
    s.conditions.iter().any(|c| {
        keys.iter().any(|k| c.key.eq_ignore_ascii_case(k))
            && c.positive()
            && c.values.iter().all(|v| concrete(v))
    })
}

/// A value that is more than wildcards (`*`, `?*`, empty: anything).
fn not_only_wildcards(v: &str) -> bool {
    v.chars().any(|c| c != '*' && c != '?')
}

/// A value with a concrete start before any wildcard or `/` (`o-a1b2c3d4e5/r-ab12/ou-*`):
/// an external id, an organization, or the organization of a path.
fn concrete_start(v: &str) -> bool {
    let head = v.split('/').next().unwrap_or(v);
    !head.is_empty() && !head.contains(['*', '?'])
}

/// A GitHub Actions subject that names an owner: `repo:OWNER/…`, or a customised subject's
/// `repository_owner:OWNER` or `repository_owner_id:ID`, the owner without wildcards.
fn names_a_github_owner(v: &str) -> bool {
    let owner = v
        .strip_prefix("repo:")
        .and_then(|r| r.split_once('/').map(|(owner, _)| owner))
        .or_else(|| {
            v.strip_prefix("repository_owner:")
                .map(|r| r.split(':').next().unwrap_or(r))
        })
        .or_else(|| {
            v.strip_prefix("repository_owner_id:")
                .map(|r| r.split(':').next().unwrap_or(r))
        });
    owner.is_some_and(|o| !o.is_empty() && !o.contains(['*', '?']))
}

/// What pins a federated principal's trust to the intended identities.
struct Pin {
    /// The condition key it needs.
    key: String,
    /// What each of its values must name.
    concrete: fn(&str) -> bool,
    /// Who gets in without it.
    who: String,
}

/// The [`Pin`] a federated principal needs (none known for SAML and other providers).
fn federated_pin(provider: &str) -> Option<Pin> {
    const GITHUB: &str = "token.actions.githubusercontent.com";
    if let Some(host) = provider.split(":oidc-provider/").nth(1) {
        return Some(if host == GITHUB {
            Pin {
                key: format!("{GITHUB}:sub"),
                concrete: names_a_github_owner,
                who: "any repository of any owner on GitHub Actions".to_string(),
            }
        } else {
            Pin {
                key: format!("{host}:sub"),
                concrete: not_only_wildcards,
                who: format!("any identity of {provider}"),
            }
        });
    }
    let (key, who) = match provider {
        "accounts.google.com" => (
            "accounts.google.com:aud",
            "any Google account, through any application",
        ),
        "cognito-identity.amazonaws.com" => (
            "cognito-identity.amazonaws.com:aud",
            "any identity of any Cognito identity pool",
        ),
        "graph.facebook.com" => (
            "graph.facebook.com:app_id",
            "any Facebook user, through any application",
        ),
        "www.amazon.com" => (
            "www.amazon.com:app_id",
            "any Login with Amazon user, through any application",
        ),
        _ => return None,
    };
    Some(Pin {
        key: key.to_string(),
        concrete: not_only_wildcards,
        who: who.to_string(),
    })
}

/// Who one Allow statement of a trust policy lets in.
pub(super) fn trust_findings(s: &Statement, out: &mut Findings, own_account: Option<&str>) {
    let guarded = constrained(s, TRUST_GUARDS, concrete_start);
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
        if let Some(reason) = unpinned_federation(s, provider) {
            out.push(Finding::new(Rule::TrustFederationUnpinned, reason));
        }
        let Some(Pin { key, concrete, who }) = federated_pin(provider) else {
            continue;
        };
        if constrained(s, &[key.as_str()], concrete) {
            continue;
        }
        let any_condition = s.has_condition_key(&key);
        let reason = match (provider.contains(":oidc-provider/"), any_condition) {
            // As before, where no subject is conditioned at all.
            (true, false) => format!(
                "any identity of {provider} may assume the role: no condition on its :sub \
                 (for GitHub Actions, any repository of any owner)"
            ),
            (true, true) => format!(
                "{who} may assume the role: its {key} condition is negated or a wildcard, so \
                 it names nobody"
            ),
            (false, _) => {
                format!("{who} may assume the role: no {key} condition naming the application")
            }
        };
        out.push(Finding::new(Rule::TrustAnyOidcSubject, reason));
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

/// What a SAML provider's trust, or a Cognito identity pool's whose audience is pinned, still
/// leaves open: SAML assertions meant for any audience (no `SAML:aud` naming AWS's sign-in
/// endpoint), a pool's unauthenticated (guest) identities (no `amr` condition requiring
/// `authenticated`).
fn unpinned_federation(s: &Statement, provider: &str) -> Option<String> {
    if provider.contains(":saml-provider/") {
        return (!constrained(s, &["SAML:aud"], not_only_wildcards)).then(|| {
            format!(
                "users of the SAML provider {provider} may assume the role with an assertion \
                 meant for any audience: no SAML:aud condition"
            )
        });
    }
    const COGNITO: &str = "cognito-identity.amazonaws.com";
    let pinned = constrained(
        s,
        &["cognito-identity.amazonaws.com:aud"],
        not_only_wildcards,
    );
    let authenticated = constrained(s, &["cognito-identity.amazonaws.com:amr"], |v| {
        v.eq_ignore_ascii_case("authenticated")
    });
    (provider == COGNITO && pinned && !authenticated).then(|| {
        "unauthenticated (guest) identities of the Cognito identity pool may assume the role: \
         no cognito-identity.amazonaws.com:amr condition requiring \"authenticated\""
            .to_string()
    })
}
