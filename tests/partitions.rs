//! Lookups reach the partition's own endpoints: in aws, aws-cn and aws-us-gov, each lookup
//! (IAM, Identity Store, Organizations, the account alias, a member's read role through STS)
//! goes where the SDK's endpoint rules send it for the function's region, and a member's
//! read role is named in that partition. No request leaves the process: an HTTP client
//! records each request and answers none.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use iam_notify::enrich::{PersonQuery, UserKey, Wants};
use iam_notify::lookups::account_alias::AliasApi;
use iam_notify::lookups::iam::{IamPolicies, PolicyLookup};
use iam_notify::lookups::organizations::{DescribeAccount, OrganizationsApi};
use std::sync::{Arc, Mutex};

/// Records each request (its URL and body) and fails it, so nothing is sent.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(String, String)>>>);

impl HttpConnector for Recorder {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push((request.uri().to_string(), body));
        HttpConnectorFuture::ready(Err(ConnectorError::other(
            "recorded, not sent".into(),
            None,
        )))
    }
}

impl HttpClient for Recorder {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl Recorder {
    /// The requests recorded since the last call.
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The shared configuration the function would load in `region` (no endpoint override).
async fn config(region: &str, recorder: &Recorder) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )))
        .http_client(SharedHttpClient::new(recorder.clone()))
        .load()
        .await
}

/// The host of a recorded URL.
fn host(url: &str) -> &str {
    url.split("://").nth(1).unwrap().split('/').next().unwrap()
}

/// Every request recorded since the last look went to `expected` (and there was one).
fn assert_all_went_to(recorder: &Recorder, expected: &str, region: &str) {
    let hosts: Vec<String> = recorder
        .take()
        .iter()
        .map(|(u, _)| host(u).to_string())
        .collect();
    assert!(
        !hosts.is_empty() && hosts.iter().all(|h| h == expected),
        "{region}: {hosts:?}"
    );
}

const OWN: &str = "111122223333";
const MEMBER: &str = "444455556666";

#[tokio::test]
async fn each_lookup_goes_to_its_partitions_endpoint() {
    for (region, partition, iam, organizations, identity_store, sts) in [
        (
            "us-east-1",
            "aws",
            "iam.amazonaws.com",
            "organizations.us-east-1.amazonaws.com",
            "identitystore.us-east-1.amazonaws.com",
            "sts.us-east-1.amazonaws.com",
        ),
        (
            "cn-north-1",
            "aws-cn",
            "iam.cn-north-1.amazonaws.com.cn",
            "organizations.cn-northwest-1.amazonaws.com.cn",
            "identitystore.cn-north-1.amazonaws.com.cn",
            "sts.cn-north-1.amazonaws.com.cn",
        ),
        (
            "us-gov-west-1",
            "aws-us-gov",
            "iam.us-gov.amazonaws.com",
            "organizations.us-gov-west-1.amazonaws.com",
            "identitystore.us-gov-west-1.amazonaws.com",
            "sts.us-gov-west-1.amazonaws.com",
        ),
    ] {
        let recorder = Recorder::default();
        let config = config(region, &recorder).await;
        let policy = format!("arn:{partition}:iam::{OWN}:policy/p");

        // IAM: an attached policy's text, in the stack's own account.
        let own = IamPolicies::with_config_for(config.clone(), OWN, true);
        let read = own
            .read(&Wants {
                attached: Some(policy.clone()),
                ..Wants::default()
            })
            .await;
        assert_all_went_to(&recorder, iam, region);
        let said = format!("{:?}", read.attached);
        assert!(
            said.contains("unreachable: "),
            "a transport failure is named: {said}"
        );

        // The person behind a session, in the function's region.
        own.read(&Wants {
            person: Some(PersonQuery {
                store: "d-1234567890".into(),
                store_account: None,
                region: None,
                by: UserKey::Id("u-1".into()),
            }),
            ..Wants::default()
        })
        .await;
        assert_all_went_to(&recorder, identity_store, region);

        // A member's policy: its read role is assumed through STS, named in this partition.
        own.read(&Wants {
            attached: Some(format!("arn:{partition}:iam::{MEMBER}:policy/p")),
            ..Wants::default()
        })
        .await;
        let requests = recorder.take();
        assert!(!requests.is_empty(), "{region}: the read role is assumed");
        for (url, body) in &requests {
            assert_eq!(host(url), sts, "{region}");
            let role = urlencoding::encode(&format!(
                "arn:{partition}:iam::{MEMBER}:role/iam-notify-central-read"
            ))
            .into_owned();
            assert!(body.contains(&role), "{region}: {body}");
        }

        // Organizations' account names, and the account's alias.
        let organizations_api = OrganizationsApi::with_config(config.clone());
        let failed = organizations_api
            .describe_account(MEMBER)
            .await
            .unwrap_err();
        assert!(failed.to_string().starts_with("unreachable: "), "{failed}");
        assert_all_went_to(&recorder, organizations, region);
        let _ = AliasApi::with_config(config.clone(), Some(OWN), false)
            .describe_account(OWN)
            .await;
        assert_all_went_to(&recorder, iam, region);
    }
}
