//! The person behind an IAM Identity Center session, from the identity store
//! (aws-sdk-identitystore: `GetUserId` by user name, `DescribeUser`), in the store's region.
//! Which user to ask about is decided by the pure [`crate::enrich::person_wanted`].

use super::{Kind, LookupError, from_sdk};
use crate::enrich::{Person, PersonQuery, UserKey};

/// Asks the store about `q`'s user.
pub async fn describe(
    config: &aws_config::SdkConfig,
    q: &PersonQuery,
) -> Result<Person, LookupError> {
    let region = q
        .region
        .clone()
        .or_else(|| config.region().map(|r| r.to_string()))
        .ok_or_else(|| {
            LookupError::new(
                Kind::Transport,
                "no region to find Identity Center in (set IdentityCenterRegion)",
            )
        })?;
    let client = aws_sdk_identitystore::Client::from_conf(
        aws_sdk_identitystore::config::Builder::from(config)
            .region(aws_sdk_identitystore::config::Region::new(region))
            .retry_config(super::sdk_settings())
            .build(),
    );
    let words = |kind: Kind, a: &super::Answered| store_words(kind, a, &q.store);
    let user_id = match &q.by {
        UserKey::Id(id) => id.clone(),
        UserKey::Name(name) => {
            let by_name = aws_sdk_identitystore::types::UniqueAttribute::builder()
                .attribute_path("UserName")
                .attribute_value(aws_smithy_types::Document::String(name.clone()))
                .build()
                .map_err(|e| LookupError::new(Kind::Malformed, e.to_string()))?;
            let found = client
                .get_user_id()
                .identity_store_id(&q.store)
                .alternate_identifier(
                    aws_sdk_identitystore::types::AlternateIdentifier::UniqueAttribute(by_name),
                )
                .send()
                .await
                .map_err(|e| from_sdk(e, words))?;
            Some(found.user_id().to_string())
                .filter(|id| !id.is_empty())
                .ok_or_else(|| {
                    LookupError::new(
                        Kind::Malformed,
                        "identitystore:GetUserId answered without a user id",
                    )
                })?
        }
    };
    let user = client
        .describe_user()
        .identity_store_id(&q.store)
        .user_id(&user_id)
        .send()
        .await
        .map_err(|e| from_sdk(e, words))?;
    let email = user
        .emails()
        .iter()
        .find(|e| e.primary())
        .or(user.emails().first())
        .and_then(|e| e.value().map(String::from));
    Ok(Person::Found {
        user_id,
        display_name: user.display_name().map(String::from),
        user_name: user.user_name().map(String::from),
        email,
    })
}

/// An error the identity store answered, in words.
fn store_words(kind: Kind, a: &super::Answered, store: &str) -> String {
    match kind {
        Kind::Denied => format!(
            "the function may not read the identity store ({}: its role needs \
             identitystore:DescribeUser and identitystore:GetUserId, which EnrichAlerts grants \
             on this account's stores)",
            a.code
        ),
        Kind::NotFound => format!("identity store {store} has no such user ({})", a.code),
        Kind::Throttled => format!(
            "Identity Center is throttling the function's calls ({})",
            a.code
        ),
        _ => format!(
            "Identity Center answered HTTP {} {}",
            a.status,
            crate::redact::cap(&a.code, 64)
        ),
    }
}
