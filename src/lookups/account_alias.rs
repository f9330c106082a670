//! An account's alias (shell), next to its id: the stack's own account's, read with the
//! function's credentials (`iam:ListAccountAliases`, while enrichment is on), and in an
//! organization's central stack a member's, when AWS Organizations gives no name: the role
//! forwarder.yaml creates in the member on request ([`READ_ROLE`], trusting only the central
//! function's role) is assumed with aws-config's STS provider and the alias read with it
//! (aws-sdk-iam). Asked through [`super::organizations::Directory`]: once per account per
//! execution environment, within [`super::organizations::BUDGET`].

use super::iam::READ_ROLE;
use super::organizations::{DescribeAccount, within_budget};
use super::{Kind, LookupError, from_sdk};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

/// Account aliases: the stack's own account's with its own credentials, a member account's
/// (central mode) through its [`READ_ROLE`].
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
        let builder =
            aws_sdk_iam::config::Builder::from(config).retry_config(super::sdk_settings());
        let builder = if self.own_account.as_deref() == Some(account) {
            builder
        } else if self.members {
            let partition = config
                .region()
                .map_or("aws", |r| crate::arn::partition_of_region(r.as_ref()));
            let role = format!("arn:{partition}:iam::{account}:role/{READ_ROLE}");
            let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                .session_name("iam-notify-account-alias")
                .configure(config)
                .build()
                .await;
            // The role is missing (no CentralFunctionRoleArn there) or trusts someone else:
            // this account has no alias for us, which is remembered.
            let credentials = provider.provide_credentials().await.map_err(|e| {
                LookupError::new(
                    Kind::NotFound,
                    format!("assuming {READ_ROLE}: {}", super::error_chain(&e)),
                )
            })?;
            builder.credentials_provider(SharedCredentialsProvider::new(credentials))
        } else {
            return Err(LookupError::new(Kind::NotFound, "not this stack's account"));
        };
        let client = aws_sdk_iam::Client::from_conf(builder.build());
        let answer = client.list_account_aliases().send().await.map_err(|e| {
            let e = from_sdk(e, |_, a| {
                format!("iam:ListAccountAliases: HTTP {} {}", a.status, a.code)
            });
            // Not allowed to read it: no alias for us, remembered like none.
            match e.kind {
                Kind::Denied => LookupError::new(Kind::NotFound, e.why),
                _ => e,
            }
        })?;
        answer
            .account_aliases()
            .first()
            .and_then(|a| acceptable(a))
            .ok_or_else(|| LookupError::new(Kind::NotFound, "the account has no alias"))
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

/// An alias IAM could have written (3 to 63 lowercase letters, digits and hyphens): nothing
/// else is taken from the answer.
fn acceptable(alias: &str) -> Option<String> {
    let alias = alias.trim();
    let ok = (3..=63).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| alias.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_alias_iam_could_have_written_is_taken() {
        assert_eq!(
            acceptable("payments-prod").as_deref(),
            Some("payments-prod")
        );
        for odd in ["Payments", "a&b", "x", "bad alias", "new\nline", ""] {
            assert_eq!(acceptable(odd), None, "{odd:?}");
        }
    }
}
