//! Helpers shared by the integration tests: sample events, fixtures and configurations.
#![allow(dead_code)] // each test crate uses its own part of this module

pub mod fake;

use iam_notify::config::{Config, Delivery, SdkSettings, TopicArn};
use iam_notify::delivery::ChatFormat;
use iam_notify::noise::NoiseRules;
use iam_notify::render::Format;
use iam_notify::{Notification, invariants};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The topic the tests publish to.
pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:iam-notify";

/// The project's root (the crate's manifest directory).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>`: data the tests compare against (real records, the article).
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A JSON file, read and parsed (the path is in the panic message).
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `events/<name>.json`.
pub fn sample(name: &str) -> Value {
    load(&root().join("events").join(format!("{name}.json")))
}

/// The sample of a call of the table: `events/<name>.json`, or `events/<name>-<service>.json`
/// for a name two services share (RemovePermission).
pub fn call_sample_file(call: &iam_notify::calls::Call) -> PathBuf {
    let shared = iam_notify::calls::CALLS
        .iter()
        .filter(|c| c.name == call.name)
        .count()
        > 1;
    let dir = root().join("events");
    match call.source.split('.').next() {
        Some(service) if shared => dir.join(format!("{}-{service}.json", call.name)),
        _ => dir.join(format!("{}.json", call.name)),
    }
}

/// Every `*.json` in `dir`, sorted by file name: (file name, event).
pub fn json_files(dir: &Path) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                load(&p),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every sample event in `events/`.
pub fn samples() -> Vec<(String, Value)> {
    json_files(&root().join("events"))
}

/// A configuration that publishes to [`TOPIC`] (or only renders, in dry-run).
pub fn config(dry_run: bool, noise: NoiseRules) -> Config {
    Config {
        delivery: if dry_run {
            Delivery::DryRun
        } else {
            Delivery::Publish(TopicArn::parse(TOPIC).unwrap())
        },
        format: Format::Rich,
        chat: ChatFormat::None,
        sdk: SdkSettings::default(),
        noise,
        ops_topic: None,
        heartbeat: None,
        accounts: Default::default(),
        enrich: true,
        enrich_budget: iam_notify::enrich::BUDGET,
        identity_store: None,
        identity_center_region: None,
    }
}

/// The library's invariants (the fuzz targets check the same), as a test failure.
pub fn assert_valid(n: &Notification<'_>, context: &str) {
    if let Err(broken) = invariants::check(n) {
        panic!("{context}: {broken}");
    }
}

/// Log lines written while a [`LogCapture`] is alive on this thread, in the function's own
/// format (one JSON object per line, fields flattened).
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Starts capturing this thread's log lines.
    pub fn start() -> LogCapture {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        LogCapture {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.buffer.lock().unwrap().clone()).unwrap()
    }
}

/// The handler as Lambda's runtime calls it in production (`main.rs`): the payload's bytes,
/// read by `handle_text` (the typed reading; the tree's for anything else), no deadline.
/// Tests that need the tree path itself call `iam_notify::handler::handle`.
pub async fn handle<P>(
    payload: &Value,
    config: &Config,
    shell: &P,
) -> Result<Value, iam_notify::handler::HandlerError>
where
    P: iam_notify::publish::Publisher
        + iam_notify::lookups::organizations::AccountDirectory
        + iam_notify::lookups::iam::PolicyLookup,
{
    iam_notify::handler::handle_text(&payload.to_string(), config, shell, None).await
}
