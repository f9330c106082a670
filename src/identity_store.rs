//! The person behind an IAM Identity Center session: which user to ask about is decided from
//! the record ([`wanted`], pure); the shell asks the identity store (`identitystore:GetUserId`
//! by user name, `identitystore:DescribeUser`), two JSON [`crate::signed_call`]s.
//!
//! Two kinds of callers lead to a person: a record whose `userIdentity.onBehalfOf` names an
//! Identity Center user and its identity store (`IdentityCenterUser` callers), and an
//! `AWSReservedSSO_*` role session, whose session name is the user's user name in the store
//! the stack is told about (`IdentityStoreId`). Identity Store has no cross-account access:
//! a store in another account is not asked, and the alert says where it is and how to get the
//! name.

use crate::event::Event;
use crate::signed_call::{self, Call};
use serde::Deserialize;

/// Who to look up, in which identity store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonQuery {
    /// `d-1234567890`.
    pub store: String,
    /// The store's account when the record says it (`identityStoreArn`).
    pub store_account: Option<String>,
    /// Where Identity Center runs (`IDENTITY_CENTER_REGION`), else the function's region.
    pub region: Option<String>,
    pub by: UserKey,
}

/// How the record names the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserKey {
    /// `onBehalfOf.userId`.
    Id(String),
    /// An `AWSReservedSSO_*` session's name: the user's `UserName`.
    Name(String),
}

impl UserKey {
    /// How the alert names the user when the store does not answer.
    pub fn words(&self) -> String {
        match self {
            UserKey::Id(id) => format!("IAM Identity Center user {id}"),
            UserKey::Name(name) => format!("IAM Identity Center user name {name}"),
        }
    }
}

/// What the identity store says about the user, or why it could not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Found {
        user_id: String,
        display_name: Option<String>,
        user_name: Option<String>,
        /// The primary e-mail address, else the first.
        email: Option<String>,
    },
    NotRead {
        who: String,
        why: String,
    },
}

/// Whether `s` can be an identity store's or a user's id (letters, digits, `-`).
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The user the record's caller is, when an identity store can say who that is: `onBehalfOf`
/// (its store named by ARN), else an `AWSReservedSSO_*` session in the account the stack
/// watches, looked up by user name in `store` (the stack's `IdentityStoreId`).
pub fn wanted(event: &Event<'_>, store: Option<&str>, region: Option<&str>) -> Option<PersonQuery> {
    let u = event.detail.user_identity.as_ref()?;
    let region = region.map(String::from);
    if let Some(behalf) = &u.on_behalf_of {
        let id = behalf.user_id.as_deref().filter(|id| is_id(id))?;
        let arn = crate::arn::Arn::parse(behalf.identity_store_arn.as_deref()?)?;
        let store = arn
            .resource
            .strip_prefix("identitystore/")
            .filter(|s| is_id(s))?;
        return Some(PersonQuery {
            store: store.to_string(),
            store_account: crate::arn::is_account_id(arn.account).then(|| arn.account.to_string()),
            region,
            by: UserKey::Id(id.to_string()),
        });
    }
    let store = store.filter(|s| is_id(s))?;
    let arn = crate::arn::Arn::parse(u.arn.as_deref()?)?;
    let (role, session) = arn
        .resource
        .strip_prefix("assumed-role/")?
        .split_once('/')?;
    (arn.service == "sts"
        && role.starts_with("AWSReservedSSO_")
        && !session.is_empty()
        && session.len() <= 128)
        .then(|| PersonQuery {
            store: store.to_string(),
            store_account: None,
            region,
            by: UserKey::Name(session.to_string()),
        })
}

/// Why a store in another account than `own_account` is not asked (Identity Store has no
/// cross-account access); `None` when it may be asked.
pub fn elsewhere(q: &PersonQuery, own_account: &str) -> Option<Person> {
    let account = q.store_account.as_deref().filter(|a| *a != own_account)?;
    Some(Person::NotRead {
        who: q.by.words(),
        why: format!(
            "its identity store {} is in account {account}, and Identity Store has no \
             cross-account access: deploy the stack in that account (the organization's \
             management account or Identity Center's delegated administrator) to name people",
            q.store
        ),
    })
}

/// Asks the store; never fails (a failure says why).
pub async fn describe(config: &aws_config::SdkConfig, q: &PersonQuery) -> Person {
    match ask(config, q).await {
        Ok(person) => person,
        Err(why) => Person::NotRead {
            who: q.by.words(),
            why,
        },
    }
}

async fn ask(config: &aws_config::SdkConfig, q: &PersonQuery) -> Result<Person, String> {
    let credentials = signed_call::credentials(config).await?;
    let region = q
        .region
        .as_deref()
        .or(config.region().map(|r| r.as_ref()))
        .ok_or("no region to find Identity Center in (set IdentityCenterRegion)")?;
    let endpoint = match config.endpoint_url() {
        Some(url) => url.to_string(),
        None => format!("https://identitystore.{region}.amazonaws.com/"),
    };
    let post = |target: &'static str, body: String| {
        let endpoint = endpoint.clone();
        let credentials = credentials.clone();
        async move {
            let call = Call {
                endpoint: &endpoint,
                service: "identitystore",
                region,
                content_type: "application/x-amz-json-1.1",
                target: Some(target),
                body: &body,
            };
            let answer = signed_call::post(call, credentials).await?;
            if answer.ok() {
                Ok(answer.body)
            } else {
                Err(failure(&answer, &q.store))
            }
        }
    };
    let user_id = match &q.by {
        UserKey::Id(id) => id.clone(),
        UserKey::Name(name) => {
            #[derive(Deserialize)]
            struct Found {
                #[serde(rename = "UserId")]
                user_id: String,
            }
            let body = serde_json::json!({
                "IdentityStoreId": q.store,
                "AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "UserName", "AttributeValue": name}}
            });
            let answer = post("AWSIdentityStore.GetUserId", body.to_string()).await?;
            serde_json::from_str::<Found>(&answer)
                .map_err(|_| "identitystore:GetUserId answered without a user id".to_string())?
                .user_id
        }
    };
    let body = serde_json::json!({"IdentityStoreId": q.store, "UserId": user_id});
    let answer = post("AWSIdentityStore.DescribeUser", body.to_string()).await?;
    let user: User = serde_json::from_str(&answer)
        .map_err(|_| "identitystore:DescribeUser answered without a user".to_string())?;
    let email = user
        .emails
        .iter()
        .find(|e| e.primary == Some(true))
        .or(user.emails.first())
        .and_then(|e| e.value.clone());
    Ok(Person::Found {
        user_id,
        display_name: user.display_name,
        user_name: user.user_name,
        email,
    })
}

#[derive(Deserialize)]
struct User {
    #[serde(rename = "UserName")]
    user_name: Option<String>,
    #[serde(rename = "DisplayName")]
    display_name: Option<String>,
    #[serde(rename = "Emails", default)]
    emails: Vec<Email>,
}

#[derive(Deserialize)]
struct Email {
    #[serde(rename = "Value")]
    value: Option<String>,
    #[serde(rename = "Primary")]
    primary: Option<bool>,
}

/// A JSON API's error in words (`__type` is `…#Code` or `Code`).
fn failure(answer: &signed_call::Answer, store: &str) -> String {
    #[derive(Deserialize, Default)]
    struct Error {
        #[serde(rename = "__type", default)]
        kind: String,
    }
    let e: Error = serde_json::from_str(&answer.body).unwrap_or_default();
    let code = e.kind.rsplit('#').next().unwrap_or_default();
    match code {
        "AccessDeniedException" => "the function may not read the identity store \
            (AccessDeniedException: its role needs identitystore:DescribeUser and \
            identitystore:GetUserId, which EnrichAlerts grants on this account's stores)"
            .to_string(),
        "ResourceNotFoundException" => {
            format!("identity store {store} has no such user (ResourceNotFoundException)")
        }
        "ThrottlingException" => {
            "Identity Center is throttling the function's calls (ThrottlingException)".to_string()
        }
        "" => format!("Identity Center answered HTTP {}", answer.status),
        other => format!(
            "Identity Center answered HTTP {} {}",
            answer.status,
            crate::redact::cap(other, 64)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(identity: serde_json::Value) -> Event<'static> {
        Event::parse(
            &json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
            "detail": {"eventSource": "iam.amazonaws.com", "eventName": "CreateRole",
                "userIdentity": identity}}),
        )
        .unwrap()
    }

    #[test]
    fn the_record_says_which_user_to_ask_about() {
        let behalf = event(
            json!({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "9067-abc",
            "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1234567890"}}),
        );
        assert_eq!(
            wanted(&behalf, None, Some("eu-west-1")),
            Some(PersonQuery {
                store: "d-1234567890".into(),
                store_account: Some("111122223333".into()),
                region: Some("eu-west-1".into()),
                by: UserKey::Id("9067-abc".into()),
            })
        );
        let sso = event(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/maria@example.com"}));
        assert_eq!(
            wanted(&sso, Some("d-1234567890"), None).map(|q| q.by),
            Some(UserKey::Name("maria@example.com".into()))
        );
        // Without a store to ask, another role, an id that is not one: nobody.
        assert_eq!(wanted(&sso, None, None), None);
        let role = event(json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/ci-deploy/maria@example.com"}));
        assert_eq!(wanted(&role, Some("d-1234567890"), None), None);
        let odd = event(
            json!({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "x\"}",
            "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1234567890"}}),
        );
        assert_eq!(wanted(&odd, None, None), None);
    }
}
