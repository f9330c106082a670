//! Console links that open the resource a notification is about.
//!
//! The article's link is `…#/policies/<policyArn>$jsonEditor…`, which breaks whenever the
//! event has no `policyArn` (every principal call, every inline policy). Ours always point
//! somewhere that exists: the resource's page, its list when it was deleted, or the
//! CloudTrail event itself for calls we do not know.

use crate::calls::Kind;

/// The console host of an AWS partition. Partitions without a public console of their own
/// fall back to the commercial one.
pub fn host(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    }
}

/// `https://<console>/iam/home#/`, with room for `more` bytes after it.
fn iam_base(partition: &str, more: usize) -> String {
    let host = host(partition);
    let mut url = String::with_capacity(8 + host.len() + 11 + more);
    url.push_str("https://");
    url.push_str(host);
    url.push_str("/iam/home#/");
    url
}

fn list_path(kind: Kind) -> &'static str {
    match kind {
        Kind::Policy => "policies",
        Kind::Role => "roles",
        Kind::User => "users",
        Kind::Group => "groups",
        Kind::IdentityProvider => "identity_providers",
        Kind::AccountSetting => "account_settings",
        Kind::Other => "home",
    }
}

/// The list page of a kind (for deleted resources and when the record names nothing).
pub fn list(partition: &str, kind: Kind) -> String {
    let mut url = iam_base(partition, 24);
    url.push_str(list_path(kind));
    url
}

/// A policy's page, by its ARN (AWS managed policies included).
pub fn policy(partition: &str, arn: &str, section: Option<&str>) -> String {
    details(partition, Kind::Policy, arn, section)
}

/// A role's, user's or group's page, by name (the console addresses them by name, whatever
/// their path).
pub fn principal(partition: &str, kind: Kind, name: &str, section: Option<&str>) -> String {
    details(partition, kind, name, section)
}

fn details(partition: &str, kind: Kind, key: &str, section: Option<&str>) -> String {
    let mut url = iam_base(partition, key.len() + 48);
    url.push_str(list_path(kind));
    url.push_str("/details/");
    url.push_str(&urlencoding::encode(key));
    if let Some(s) = section {
        url.push_str("?section=");
        url.push_str(&urlencoding::encode(s));
    }
    url
}

/// The CloudTrail event history entry of a record, or the event history filtered by name.
pub fn cloudtrail_event(
    partition: &str,
    region: Option<&str>,
    event_id: Option<&str>,
    event_name: Option<&str>,
) -> String {
    let region = region.unwrap_or("us-east-1");
    let base = format!(
        "https://{}/cloudtrailv2/home?region={}#/events",
        host(partition),
        urlencoding::encode(region)
    );
    match (event_id, event_name) {
        (Some(id), _) => format!("{base}/{}", urlencoding::encode(id)),
        (None, Some(name)) => format!("{base}?EventName={}", urlencoding::encode(name)),
        (None, None) => base,
    }
}

/// The CloudTrail event history, filtered to the calls signed with `access_key` (one
/// session's) when there is one.
pub fn cloudtrail_history(
    partition: &str,
    region: Option<&str>,
    access_key: Option<&str>,
) -> String {
    let base = cloudtrail_event(partition, region, None, None);
    match access_key {
        Some(key) => format!("{base}?AccessKeyId={}", urlencoding::encode(key)),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_links_encode_the_arn_per_partition() {
        assert_eq!(
            policy("aws", "arn:aws:iam::aws:policy/AdministratorAccess", None),
            "https://console.aws.amazon.com/iam/home#/policies/details/arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess"
        );
        assert_eq!(
            policy("aws-cn", "arn:aws-cn:iam::1:policy/p", Some("versions")),
            "https://console.amazonaws.cn/iam/home#/policies/details/arn%3Aaws-cn%3Aiam%3A%3A1%3Apolicy%2Fp?section=versions"
        );
    }

    #[test]
    fn principal_links_per_kind_and_partition() {
        assert_eq!(
            principal("aws", Kind::Role, "ci-deploy", None),
            "https://console.aws.amazon.com/iam/home#/roles/details/ci-deploy"
        );
        assert_eq!(
            principal(
                "aws-us-gov",
                Kind::User,
                "alice@example.com",
                Some("permissions")
            ),
            "https://console.amazonaws-us-gov.com/iam/home#/users/details/alice%40example.com?section=permissions"
        );
        assert_eq!(
            principal("aws", Kind::Group, "a b/#?c", None),
            "https://console.aws.amazon.com/iam/home#/groups/details/a%20b%2F%23%3Fc"
        );
    }

    #[test]
    fn lists_and_cloudtrail() {
        assert_eq!(
            list("aws", Kind::User),
            "https://console.aws.amazon.com/iam/home#/users"
        );
        assert_eq!(
            cloudtrail_event("aws", Some("eu-west-1"), Some("e/1"), None),
            "https://console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e%2F1"
        );
        assert_eq!(
            cloudtrail_history("aws", Some("us-east-1"), Some("ASIA/1")),
            "https://console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events?AccessKeyId=ASIA%2F1"
        );
        assert_eq!(
            cloudtrail_event("aws", None, None, Some("TagRole")),
            "https://console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events?EventName=TagRole"
        );
    }
}
