//! One AWS API call, signed with SigV4 (aws-sigv4) and sent on the TLS stack the SDK already
//! links (hyper, rustls on ring): what the account-name lookups use instead of a whole SDK
//! crate per service in the deployment zip (aws-sdk-organizations alone was about 180 KB of
//! it). Shell: the callers give the endpoint, the credentials and the body, and read the
//! answer with serde (JSON) or by the few fields they need (Query's XML).

use aws_credential_types::Credentials;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::SystemTime;

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// The answer: HTTP status and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One POST.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// `https://iam.amazonaws.com/`, or `AWS_ENDPOINT_URL` (moto on loopback in tests).
    pub endpoint: &'a str,
    /// The signing name (`iam`, `organizations`, `sts`).
    pub service: &'a str,
    pub region: &'a str,
    pub content_type: &'a str,
    /// `X-Amz-Target` of a JSON API, none for a Query API.
    pub target: Option<&'a str>,
    pub body: &'a str,
}

/// The process's HTTP client (built once; `None` when the system has no TLS roots).
fn http() -> Option<&'static HttpClient> {
    static CLIENT: std::sync::OnceLock<Option<HttpClient>> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                .ok()?
                .https_or_http()
                .enable_http1()
                .build();
            Some(
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build(connector),
            )
        })
        .as_ref()
}

/// Signs `call` as `credentials` and sends it. An error says what failed (never the
/// credentials); an HTTP error status is an [`Answer`], for the caller to read.
pub async fn post(call: Call<'_>, credentials: Credentials) -> Result<Answer, String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let uri: http::Uri = call
        .endpoint
        .parse()
        .map_err(|e| format!("endpoint {:?}: {e}", call.endpoint))?;
    let host = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let identity = credentials.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(call.region)
        .name(call.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing: {e}"))?
        .into();
    let mut headers = vec![("content-type", call.content_type), ("host", host.as_str())];
    if let Some(target) = call.target {
        headers.push(("x-amz-target", target));
    }
    let signable = SignableRequest::new(
        "POST",
        call.endpoint,
        headers.iter().copied(),
        SignableBody::Bytes(call.body.as_bytes()),
    )
    .map_err(|e| format!("signing: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("signing: {e}"))?
        .into_parts();
    let mut request = http::Request::builder().method("POST").uri(uri);
    for (name, value) in &headers {
        request = request.header(*name, *value);
    }
    let mut request = request
        .body(Full::new(Bytes::copy_from_slice(call.body.as_bytes())))
        .map_err(|e| format!("the request: {e}"))?;
    instructions.apply_to_request_http1x(&mut request);
    let client = http().ok_or("no TLS root certificates to reach AWS with")?;
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{} request: {}", call.service, error_chain(&e)))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{} answer: {e}", call.service))?
        .to_bytes();
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// IAM's global endpoint (IAM is served from us-east-1).
const IAM_ENDPOINT: &str = "https://iam.amazonaws.com/";

/// One IAM Query API call (`Action=…&Version=2010-05-08`, form-encoded) at `config`'s
/// endpoint (`AWS_ENDPOINT_URL`), else IAM's.
pub async fn iam_query(
    config: &aws_config::SdkConfig,
    body: &str,
    credentials: Credentials,
) -> Result<Answer, String> {
    let call = Call {
        endpoint: config.endpoint_url().unwrap_or(IAM_ENDPOINT),
        service: "iam",
        region: "us-east-1",
        content_type: "application/x-www-form-urlencoded; charset=utf-8",
        target: None,
        body,
    };
    post(call, credentials).await
}

/// The text of the first `<tag>` element of a Query API's XML answer (as written: callers
/// read only fields whose values need no unescaping, or unescape them).
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let rest = xml.get(start..)?;
    rest.get(..rest.find(&format!("</{tag}>"))?)
}

/// The credentials of `config` (the Lambda role's, from the environment).
pub async fn credentials(config: &aws_config::SdkConfig) -> Result<Credentials, String> {
    use aws_credential_types::provider::ProvideCredentials;
    config
        .credentials_provider()
        .ok_or("no AWS credentials configured")?
        .provide_credentials()
        .await
        .map_err(|e| format!("credentials: {e}"))
}

/// An error and its sources, in one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
