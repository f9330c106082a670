//! An account's alias (shell), next to its id: the stack's own account's, read with the
//! function's credentials (`iam:ListAccountAliases`, while enrichment is on), and in an
//! organization's central stack a member's, when AWS Organizations gives no name: the role
//! forwarder.yaml creates in the member on request (`iam-notify-central-read`, trusting only
//! the central function's role) is assumed and the alias read with it. Asked through [`crate::organizations::Directory`]:
//! once per account per execution environment, within [`crate::organizations::BUDGET`].
//!
//! `ListAccountAliases` is an AWS Query call, one [`crate::signed_call`] (not all of
//! aws-sdk-iam in the deployment zip). The role is assumed with aws-config's own
//! `AssumeRoleProvider`.

use crate::organizations::{DescribeAccount, LookupError, within_budget};
use crate::signed_call::{iam_query, xml_text};
use aws_credential_types::provider::ProvideCredentials;

/// The role forwarder.yaml creates in a member account for the central function
/// (`CentralFunctionRoleArn`).
pub const READ_ROLE: &str = "iam-notify-central-read";

const LIST_ACCOUNT_ALIASES: &str = "Action=ListAccountAliases&Version=2010-05-08";

/// Account aliases: the stack's own account's with its own credentials, a member account's
/// (central mode) through its `iam-notify-central-read` role.
#[derive(Debug, Default)]
pub struct AliasApi {
    /// The configuration the role is assumed with (and whose `AWS_ENDPOINT_URL` IAM is asked
    /// at): the shared one, loaded at the first lookup, unless given (tests).
    config: Option<aws_config::SdkConfig>,
    /// The stack's own account (its topic's), read with the function's own credentials.
    own_account: Option<String>,
    /// Other accounts are asked about through their read role (central mode only).
    members: bool,
}

impl AliasApi {
    /// Aliases of `own_account` (if any), and with `members` of other accounts.
    pub fn new(own_account: Option<&str>, members: bool) -> Self {
        AliasApi {
            config: None,
            own_account: own_account.map(String::from),
            members,
        }
    }

    /// The same, using `config` (tests: an endpoint on loopback, fixed credentials).
    pub fn with_config(
        config: aws_config::SdkConfig,
        own_account: Option<&str>,
        members: bool,
    ) -> Self {
        AliasApi {
            config: Some(config),
            ..AliasApi::new(own_account, members)
        }
    }

    async fn alias(&self, account: &str) -> Result<String, LookupError> {
        let config = match &self.config {
            Some(c) => c,
            None => crate::publish::shared_config().await,
        };
        let credentials = if self.own_account.as_deref() == Some(account) {
            crate::signed_call::credentials(config)
                .await
                .map_err(LookupError::Failed)?
        } else if self.members {
            let role = format!("arn:aws:iam::{account}:role/{READ_ROLE}");
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("iam-notify-account-alias")
                .configure(config)
                .build()
                .await;
            // The role is missing (no CentralFunctionRoleArn there) or trusts someone else:
            // this account has no alias for us, which is remembered.
            provider
                .provide_credentials()
                .await
                .map_err(|e| LookupError::NotFound(format!("assuming {READ_ROLE}: {e}")))?
        } else {
            return Err(LookupError::NotFound("not this stack's account".into()));
        };
        let answer = iam_query(config, LIST_ACCOUNT_ALIASES, credentials)
            .await
            .map_err(LookupError::Failed)?;
        if answer.ok() {
            return first_alias(&answer.body)
                .ok_or_else(|| LookupError::NotFound("the account has no alias".into()));
        }
        let code = xml_text(&answer.body, "Code").unwrap_or("error");
        let why = format!("iam:ListAccountAliases: HTTP {} {code}", answer.status);
        Err(match code {
            "AccessDenied" | "AccessDeniedException" => LookupError::NotFound(why),
            _ => LookupError::Failed(why),
        })
    }
}

impl DescribeAccount for AliasApi {
    fn source(&self) -> &'static str {
        "the account alias (iam:ListAccountAliases)"
    }

    /// The whole lookup (assuming the role, then the call) within the budget.
    async fn describe_account(&self, account: &str) -> Result<String, LookupError> {
        within_budget(self.alias(account)).await
    }
}

/// The first alias of a `ListAccountAliasesResponse`, when it is one IAM could have written
/// (3 to 63 lowercase letters, digits and hyphens): nothing else is taken from the answer.
fn first_alias(xml: &str) -> Option<String> {
    let aliases = xml_text(xml, "AccountAliases")?;
    let alias = xml_text(aliases, "member")?.trim();
    let ok = (3..=63).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| alias.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "<ListAccountAliasesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
        <ListAccountAliasesResult><IsTruncated>false</IsTruncated><AccountAliases>\
        <member>payments-prod</member></AccountAliases></ListAccountAliasesResult>\
        <ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ListAccountAliasesResponse>";

    #[test]
    fn the_first_alias_is_read_and_nothing_else() {
        assert_eq!(first_alias(ANSWER).as_deref(), Some("payments-prod"));
        let none = ANSWER.replace("<member>payments-prod</member>", "");
        assert_eq!(first_alias(&none), None);
        for odd in ["Payments", "a&amp;b", "x", "bad alias", "new\nline"] {
            let xml = ANSWER.replace("payments-prod", odd);
            assert_eq!(first_alias(&xml), None, "{odd:?}");
        }
        assert_eq!(
            xml_text("<Error><Code>Throttling</Code></Error>", "Code"),
            Some("Throttling")
        );
    }
}
