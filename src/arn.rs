//! Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. One parser for
//! every place that reads a part of an ARN (partition for console hosts, account for
//! trust findings, the resource name for a policy or a denied target).

/// The parts of an ARN, borrowed from the text. The resource part keeps its `:` and `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Reads `text` as an ARN: it starts with `arn:` and has all six parts (a non-empty
    /// partition; the others may be empty, as in `arn:aws:iam::aws:policy/X`).
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next().filter(|p| !p.is_empty())?;
        Some(Arn {
            partition,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The last `/` segment of the resource part: the name of a role, user, group or policy
    /// (`root` for `arn:aws:iam::1:root`).
    pub fn name(&self) -> Option<&'a str> {
        self.resource.rsplit('/').next().filter(|s| !s.is_empty())
    }

    /// The resource type: the resource part before its first `/` (`role`, `policy`,
    /// `saml-provider`, …).
    pub fn resource_type(&self) -> &'a str {
        self.resource.split('/').next().unwrap_or(self.resource)
    }

    /// The service a service-linked role belongs to: its path is
    /// `/aws-service-role/<service>/`, which only AWS can create roles under.
    pub fn service_linked_role_service(&self) -> Option<&'a str> {
        let rest = self.resource.strip_prefix("role/aws-service-role/")?;
        rest.split('/').next().filter(|s| !s.is_empty())
    }

    /// The account field when it is a 12-digit account id (not `aws`, not empty).
    pub fn account_id(&self) -> Option<&'a str> {
        is_account_id(self.account).then_some(self.account)
    }
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), if `text` is one.
pub fn partition(text: &str) -> Option<&str> {
    // Only the first two parts are needed: partitions of partial ARNs count too.
    let mut parts = text.splitn(3, ':');
    (parts.next() == Some("arn"))
        .then(|| parts.next())
        .flatten()
        .filter(|p| !p.is_empty())
}

/// The partition a region is in (`cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`),
/// for ARNs the function writes itself (a member's read role): the region's prefix decides,
/// as in the SDK's partition table.
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Whether `issuer` (a session issuer's ARN) is a role IAM Identity Center made: its path
/// is `/aws-reserved/sso.amazonaws.com/` (a region may follow) and its name
/// `AWSReservedSSO_…`. Only Identity Center can create roles on that path; a role named like
/// one anywhere else is anyone's.
pub fn is_identity_center_role(issuer: &str) -> bool {
    Arn::parse(issuer).is_some_and(|a| {
        a.service == "iam"
            && a.resource
                .starts_with("role/aws-reserved/sso.amazonaws.com/")
            && a.name().is_some_and(|n| n.starts_with("AWSReservedSSO_"))
    })
}

/// The name at the end of an ARN's resource part.
pub fn name(text: &str) -> Option<&str> {
    Arn::parse(text)?.name()
}

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_an_arn() {
        let a = Arn::parse("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account),
            ("aws", "iam", "", "aws")
        );
        assert_eq!(a.name(), Some("ViewOnlyAccess"));
        assert_eq!(a.resource_type(), "policy");
        assert_eq!(a.account_id(), None);
        let r = Arn::parse("arn:aws:iam::111122223333:role/a/b:c").unwrap();
        assert_eq!(r.resource, "role/a/b:c");
        assert_eq!(r.account_id(), Some("111122223333"));
        assert_eq!(name("arn:aws:iam::1:root"), Some("root"));
        assert_eq!(Arn::parse("arn::iam::1:x"), None);
        assert_eq!(Arn::parse("nope"), None);
        assert_eq!(Arn::parse("arn:aws:iam"), None);
        let slr = Arn::parse(
            "arn:aws:iam::1:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO",
        )
        .unwrap();
        assert_eq!(slr.service_linked_role_service(), Some("sso.amazonaws.com"));
        let lookalike = Arn::parse("arn:aws:iam::1:role/AWSServiceRoleForSSO").unwrap();
        assert_eq!(lookalike.service_linked_role_service(), None);
    }

    #[test]
    fn identity_center_roles_are_known_by_their_path() {
        for arn in [
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd",
        ] {
            assert!(is_identity_center_role(arn), "{arn}");
        }
        for arn in [
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd",
            "arn:aws:iam::111122223333:role/team/AWSReservedSSO_Admin_0123abcd",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/ci-deploy",
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/x",
        ] {
            assert!(!is_identity_center_role(arn), "{arn}");
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("arn:aws-cn:iam::1:role/x"), Some("aws-cn"));
        assert_eq!(partition("arn:aws-us-gov"), Some("aws-us-gov"));
        assert_eq!(partition("nope"), None);
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-iso-east-1", "aws-iso"),
        ] {
            assert_eq!(partition_of_region(region), partition, "{region}");
        }
        assert!(is_account_id("111122223333") && !is_account_id("1111"));
    }
}
