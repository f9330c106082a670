//! A fake AWS endpoint on 127.0.0.1 that the test controls: it counts requests and answers
//! each as the test says (an answer, a slow answer, or none at all). Stops when dropped (also
//! on panic).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the endpoint answers a request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Waits this long first.
    pub delay: Duration,
    /// Then says nothing and closes the connection.
    pub silent: bool,
}

impl Answer {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<String>) -> Answer {
        Answer {
            status,
            content_type,
            body: body.into(),
            delay: Duration::ZERO,
            silent: false,
        }
    }

    /// No answer at all within `delay`.
    pub fn silence(delay: Duration) -> Answer {
        Answer {
            silent: true,
            delay,
            ..Answer::new(0, "", "")
        }
    }

    /// An AWS Query API's XML answer (IAM, STS).
    pub fn xml(status: u16, body: &str) -> Answer {
        Answer::new(status, "text/xml", body)
    }

    /// An AWS Query API's error answer with `code` (`AccessDenied`, `Throttling`, …).
    pub fn query_error(status: u16, code: &str) -> Answer {
        Answer::xml(
            status,
            &format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                 <Message>fake</Message></Error></ErrorResponse>"
            ),
        )
    }

    pub fn after(self, delay: Duration) -> Answer {
        Answer { delay, ..self }
    }

    /// IAM's answer to `action` (a Query API call), `result` inside its `…Result` element, as
    /// IAM writes it.
    pub fn iam(action: &str, result: &str) -> Answer {
        Answer::xml(
            200,
            &format!(
                "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                 <{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>fake\
                 </RequestId></ResponseMetadata></{action}Response>"
            ),
        )
    }
}

/// Answers each request by the API action it names (`Action=GetPolicy` in a Query API's body,
/// `X-Amz-Target: ….DescribeUser` of a JSON API); an action not listed gets a 400 error.
pub fn by_action(answers: Vec<(&'static str, Answer)>) -> impl Fn(&str) -> Answer + Send + Sync {
    move |request: &str| {
        let target = request.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-amz-target:")
                .map(|_| l.to_string())
        });
        answers
            .iter()
            .find(|(action, _)| {
                let query = request.contains(&format!("Action={action}&"))
                    || request.ends_with(&format!("Action={action}"));
                let json = target
                    .as_deref()
                    .is_some_and(|t| t.trim_end().ends_with(&format!(".{action}")));
                query || json
            })
            .map(|(_, answer)| answer.clone())
            .unwrap_or_else(|| Answer::query_error(400, "NotCannedInThisTest"))
    }
}

pub struct FakeEndpoint {
    pub url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeEndpoint {
    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FakeEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `answer` to every request, on a free loopback port.
pub async fn fake_endpoint(answer: Answer) -> FakeEndpoint {
    fake_endpoint_by(move |_| answer.clone()).await
}

/// Serves what `respond` answers to each request (given its text: head and body), on a free
/// loopback port.
pub async fn fake_endpoint_by(
    respond: impl Fn(&str) -> Answer + Send + Sync + 'static,
) -> FakeEndpoint {
    let respond = Arc::new(respond);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (counter, respond) = (counter.clone(), respond.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                let answer = respond(&request);
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(answer.delay).await;
                if answer.silent {
                    return;
                }
                let response = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nx-amzn-RequestId: fake-request\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                    answer.status,
                    answer.content_type,
                    answer.body.len(),
                    answer.body
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    FakeEndpoint { url, hits, task }
}

/// A loopback URL where nothing listens (a port that was just free).
pub fn refusing_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Reads one HTTP request (headers and a Content-Length body): its text.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
    }
}

/// The standard AWS configuration, with `url` as every service's endpoint and fixed dummy
/// credentials (what the lookups read, pointed at a fake endpoint).
pub async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )))
        .http_client(iam_notify::publish::http_client())
        .load()
        .await
}
