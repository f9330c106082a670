//! The Lambda handler: parse, render, publish (or log in dry-run), one log line per event.

use crate::config::{Config, ConfigError, Delivery, TopicArn};
use crate::digest::{Change, Message, plan, sent_at_once};
use crate::enrich;
use crate::enrich::{Read, wants};
use crate::event::{Event, InputError, Reading, read_text};
use crate::heartbeat::{member_heartbeat, member_metric_line};
use crate::lookups::iam::PolicyLookup;
use crate::lookups::organizations::AccountDirectory;
use crate::noise::{metric_line, suppressed};
use crate::publish::{PublishError, Publisher};
use crate::redact::cap;
use crate::render::{LookedUp, Notification, render_named};
use aws_lambda_events::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

/// What the handler is given (`main.rs`: the SNS publisher, the account-name directory, IAM):
/// a publisher, where account names come from, and where IAM's answers about a change come
/// from; `()` for either: nothing looked up.
#[derive(Debug)]
pub struct Shell<P, D = (), L = ()> {
    pub publisher: P,
    pub names: D,
    pub policies: L,
}

impl<P: Publisher, D: Send + Sync, L: Send + Sync> Publisher for Shell<P, D, L> {
    fn publish(
        &self,
        topic_arn: &str,
        notification: &Notification<'_>,
    ) -> impl std::future::Future<Output = Result<String, PublishError>> + Send {
        self.publisher.publish(topic_arn, notification)
    }
}

impl<P: Send + Sync, D: AccountDirectory, L: Send + Sync> AccountDirectory for Shell<P, D, L> {
    fn account_name(
        &self,
        account: &str,
    ) -> impl std::future::Future<Output = Option<String>> + Send {
        self.names.account_name(account)
    }
}

impl<P: Send + Sync, D: Send + Sync, L: PolicyLookup> PolicyLookup for Shell<P, D, L> {
    fn read(&self, wants: &crate::enrich::Wants) -> impl std::future::Future<Output = Read> + Send {
        self.policies.read(wants)
    }
}

/// CloudWatch Logs takes events of up to 256 KB: a logged body is cut well below that (JSON
/// escaping can double it), other logged texts shorter still.
const MAX_LOGGED_BODY_BYTES: usize = 64 * 1024;
const MAX_LOGGED_TEXT_BYTES: usize = 4 * 1024;

/// Why an invocation failed. Lambda records it, retries async invocations, then sends the
/// event to the on-failure destination.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("notification not delivered: {0}")]
    Publish(#[source] PublishError),
    /// The function started without a usable configuration: every invocation says why.
    #[error("notification not delivered: the function is misconfigured: {0}")]
    Configuration(#[source] ConfigError),
}

/// The reason a stand-in payload from [`checked_body`] carries.
fn unreadable_reason(payload: &Value) -> Option<&str> {
    let fields = payload.as_object().filter(|o| o.len() == 1)?;
    fields.get(UNREADABLE)?.as_str()
}

/// Answers an invocation of a function that could not read its configuration: the event is
/// not lost (Lambda retries it, then keeps it in the failure queue) and whoever invoked it
/// reads the reason, instead of a runtime that exits at start-up with the reason only in its
/// log.
pub fn unconfigured(payload: &Value, error: &ConfigError) -> HandlerError {
    let event_id = payload
        .pointer("/detail/eventID")
        .and_then(Value::as_str)
        .unwrap_or("-");
    tracing::error!(
        eventID = %event_id, outcome = "unconfigured", error = %error,
        "notification NOT rendered: fix the function's configuration"
    );
    HandlerError::Configuration(error.clone())
}

/// The one key of the payload that stands for input the runtime could not read as one JSON
/// document (see [`checked_body`]).
pub const UNREADABLE: &str = "iam-notify:unreadable-input";

/// The body the handler receives for the bytes Lambda hands over: `None` when they are one
/// JSON document, else a stand-in payload that says why they are not. The runtime would
/// otherwise fail such input before the handler saw it (no `rejected` log line) and would
/// accept a JSON document followed by garbage.
pub fn checked_body(body: &[u8]) -> Option<String> {
    let error = serde_json::from_slice::<serde::de::IgnoredAny>(body).err()?;
    let reason = format!("the payload is not one JSON document: {error}");
    Some(json!({ UNREADABLE: reason }).to_string())
}

/// Handles one Lambda payload: an EventBridge event (one alert), or a batch of them from the
/// digest queue (see [`handle_batch`]), told apart by shape. Returns the SNS message id (or,
/// in dry-run, the notification); for a batch, the records to return to the queue.
pub async fn handle<P: Publisher + AccountDirectory + PolicyLookup>(
    payload: &Value,
    config: &Config,
    publisher: &P,
) -> Result<Value, HandlerError> {
    handle_until(payload, config, publisher, None).await
}

/// [`handle`], knowing when Lambda ends the invocation (its context's deadline): a batch
/// stops publishing while there is still time to answer, and returns what it did not send
/// to the queue, rather than being cut off and sending it all again.
pub async fn handle_until<P: Publisher + AccountDirectory + PolicyLookup>(
    payload: &Value,
    config: &Config,
    publisher: &P,
    deadline: Option<SystemTime>,
) -> Result<Value, HandlerError> {
    if is_sqs_batch(payload) {
        return handle_batch(payload, config, publisher, deadline).await;
    }
    let parsed = match unreadable_reason(payload) {
        Some(reason) => Err(InputError(reason.to_string())),
        None => Event::parse(payload),
    };
    match parsed {
        Ok(event) => handle_event(&event, config, publisher).await,
        Err(e) => Err(rejected(e)),
    }
}

/// [`handle_until`] of a payload's JSON text, as Lambda hands it over (`main.rs`): a
/// well-formed EventBridge event is read straight into the typed record
/// ([`Event::parse_typed`]); a batch, or anything the typed reading defers, is parsed as a
/// tree and handled by [`handle_until`]. Both readings give the same event (tested).
pub async fn handle_text<P: Publisher + AccountDirectory + PolicyLookup>(
    text: &str,
    config: &Config,
    publisher: &P,
    deadline: Option<SystemTime>,
) -> Result<Value, HandlerError> {
    match read_text(text, "the payload") {
        Ok(Reading::Event(event)) => handle_event(&event, config, publisher).await,
        Ok(Reading::Tree(payload)) => handle_until(&payload, config, publisher, deadline).await,
        Err(e) => Err(rejected(e)),
    }
}

/// One event: counted (heartbeat), suppressed, or delivered.
async fn handle_event<P: Publisher + AccountDirectory + PolicyLookup>(
    event: &Event<'_>,
    config: &Config,
    publisher: &P,
) -> Result<Value, HandlerError> {
    match triage(event, config, publisher).await {
        Triage::Heartbeat(out) | Triage::Suppressed(out) => Ok(out),
        Triage::Alert(n) => deliver(&n, config, publisher).await,
    }
}

/// Logs input that is not an EventBridge event; the error Lambda records.
fn rejected(e: InputError) -> HandlerError {
    tracing::error!(
        outcome = "rejected", error = %cap(&e.to_string(), MAX_LOGGED_TEXT_BYTES),
        "input is not an EventBridge event"
    );
    HandlerError::Input(e)
}

/// What becomes of one event before anything is sent.
enum Triage<'a> {
    /// The monitor's own heartbeat, counted (its answer).
    Heartbeat(Value),
    /// Not sent, by the noise rules (its answer).
    Suppressed(Value),
    /// An alert to deliver.
    Alert(Box<Notification<'a>>),
}

/// The name the directory has for the event's account: in an organization's central stack
/// for any account, else for the stack's own (its alias, with enrichment on).
async fn account_name<D: AccountDirectory>(
    event: &Event<'_>,
    config: &Config,
    names: &D,
) -> Option<String> {
    let own = |a: &str| config.enrich && config.own_account() == Some(a);
    match event.account() {
        Some(account) if config.accounts.central || own(account) => {
            names.account_name(account).await
        }
        _ => None,
    }
}

/// What IAM says about the change (an attached policy's text, the version a new one replaces,
/// who holds the policy, who may assume the role) and who the person behind an Identity
/// Center session is, when enrichment is on and the function publishes; nothing is asked for
/// a change that needs none of it.
async fn iam_reads<L: PolicyLookup>(event: &Event<'_>, config: &Config, policies: &L) -> Read {
    let Some(own) = config.own_account().filter(|_| config.enrich) else {
        return Read::default();
    };
    let mut wants = wants(event, own, config.accounts.central);
    let person = enrich::person_wanted(
        event,
        config.identity_store.as_deref(),
        config.identity_center_region.as_deref(),
    );
    // A store in another account cannot be asked: the alert says so without asking.
    let elsewhere = person.as_ref().and_then(|q| enrich::elsewhere(q, own));
    if elsewhere.is_none() {
        wants.person = person;
    }
    if wants.is_empty() {
        return Read {
            person: elsewhere,
            ..Read::default()
        };
    }
    let read = policies.read(&wants).await;
    Read {
        person: read.person.or(elsewhere),
        ..read
    }
}

/// Counts a heartbeat (nothing is looked up for it), or looks up what the alert may say,
/// renders it and applies the noise rules. Logs what it decided.
async fn triage<'e, L: AccountDirectory + PolicyLookup>(
    event: &'e Event<'_>,
    config: &Config,
    lookups: &L,
) -> Triage<'e> {
    if let Some(out) = counted(event, config) {
        return Triage::Heartbeat(out);
    }
    let (name, read) = tokio::join!(
        account_name(event, config, lookups),
        iam_reads(event, config, lookups)
    );
    let looked_up = LookedUp {
        account_name: name.as_deref(),
        iam: &read,
    };
    let n = render_named(event, config.format, &config.accounts, looked_up);
    if let Some(reason) = suppressed(event, n.severity, &config.noise) {
        tracing::info!(
            eventName = %n.event_name, eventID = %n.event_id.as_deref().unwrap_or("-"),
            outcome = "suppressed", reason = %reason, subject = %n.subject,
            "notification suppressed by the noise rules"
        );
        // One embedded-metric-format line on stdout: CloudWatch counts it as a metric.
        println!(
            "{}",
            metric_line(&n.event_name, n.event_id.as_deref(), &reason, now_ms())
        );
        return Triage::Suppressed(
            json!({"suppressed": true, "reason": reason, "subject": n.subject}),
        );
    }
    Triage::Alert(Box::new(n))
}

/// The stack's heartbeat or, in central mode, a member's: counted (a metric line), its
/// answer returned; `None` for any other event.
fn counted(event: &Event<'_>, config: &Config) -> Option<Value> {
    if let Some(canary) = config.heartbeat.as_ref().filter(|c| c.is_heartbeat(event)) {
        let event_id = event.detail.event_id.as_deref();
        tracing::info!(
            eventID = %event_id.unwrap_or("-"), outcome = "heartbeat", canary = %canary.role_arn(),
            "heartbeat received: the path from CloudTrail to this function works"
        );
        println!("{}", canary.metric_line(event_id, now_ms()));
        return Some(json!({"heartbeat": true, "eventID": event_id}));
    }
    if let Some(account) = member_heartbeat(event).filter(|_| config.accounts.central) {
        let event_id = event.detail.event_id.as_deref();
        tracing::info!(
            eventID = %event_id.unwrap_or("-"), outcome = "heartbeat", account = %account,
            "member account heartbeat received: its forwarder reaches this function"
        );
        println!("{}", member_metric_line(account, event_id, now_ms()));
        return Some(json!({"heartbeat": true, "eventID": event_id, "account": account}));
    }
    None
}

/// Publishes `n` to the alert topic, and to the operations topic when it is about the
/// monitor; in dry-run, logs it instead.
async fn deliver<P: Publisher>(
    n: &Notification<'_>,
    config: &Config,
    publisher: &P,
) -> Result<Value, HandlerError> {
    let event_id = n.event_id.as_deref().unwrap_or("-");
    let main = match &config.delivery {
        Delivery::DryRun => {
            tracing::info!(
                eventName = %n.event_name, eventID = %event_id, outcome = "dry-run",
                subject = %n.subject, body = %cap(&n.body, MAX_LOGGED_BODY_BYTES),
                "notification rendered, not published (DRY_RUN)"
            );
            None
        }
        Delivery::Publish(topic) => Some(publish_to(publisher, topic, n, "main").await),
    };
    // A change to the monitor also goes to the operations topic, whatever became of the
    // main one, and in dry-run too: DRY_RUN is itself a way to mute the monitor, and muting
    // one path must not mute both.
    let ops = match config.ops_topic.as_ref().filter(|_| n.ops) {
        Some(ops) => Some(publish_to(publisher, ops, n, "ops").await),
        None => None,
    };
    let Some(main) = main else {
        let mut out = json!({"dryRun": true, "notification": n});
        if let (Some(id), Some(fields)) = (ops.transpose()?, out.as_object_mut()) {
            fields.insert("opsMessageId".into(), Value::String(id));
        }
        return Ok(out);
    };
    let message_id = main?;
    let ops_message_id = ops.transpose()?;
    let mut out = json!({"messageId": message_id, "subject": n.subject,
                         "eventID": n.event_id, "severity": n.severity});
    if let (Some(id), Some(fields)) = (ops_message_id, out.as_object_mut()) {
        fields.insert("opsMessageId".into(), Value::String(id));
    }
    Ok(out)
}

/// The EventBridge event an SQS message carries.
pub fn record_event(body: Option<&str>) -> Result<Event<'_>, InputError> {
    let body = body.ok_or_else(|| InputError("the SQS message has no body".into()))?;
    Event::parse_json_of(body, "the SQS message body")
}

/// The SQS batch of a payload [`is_sqs_batch`] recognised.
pub fn read_batch(payload: &Value) -> Result<SqsEvent, InputError> {
    SqsEvent::deserialize(payload).map_err(|e| {
        InputError(cap(
            &format!("an SQS batch that cannot be read: {e}"),
            1_024,
        ))
    })
}

/// The invocation's deadline as the runtime API gave it, when it is one: Lambda sends a time
/// in the future, while an emulator may send something else (`cargo lambda watch` sends a
/// duration). A deadline already past when the invocation starts cannot be Lambda's, and is
/// not enforced (said in the log).
pub fn usable_deadline(deadline: SystemTime, now: SystemTime) -> Option<SystemTime> {
    if deadline > now {
        Some(deadline)
    } else {
        tracing::debug!("the runtime's deadline is not in the future: no deadline enforced");
        None
    }
}

/// A batch from an SQS event source mapping: `Records` of `aws:sqs` messages, no `detail`.
pub fn is_sqs_batch(payload: &Value) -> bool {
    payload.get("detail").is_none()
        && payload
            .get("Records")
            .and_then(Value::as_array)
            .is_some_and(|records| {
                records
                    .iter()
                    .any(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:sqs"))
            })
}

/// Handles a batch from the digest queue (digest mode): each message is an EventBridge event
/// as a rule delivered it. Heartbeats are counted and the noise rules applied as for one
/// event; warning and critical alerts, and changes to the monitor, are sent at once, each on
/// its own, as soon as each is rendered (before the rest of the batch); the other alerts of
/// each session become one digest (a session with one such change gets its ordinary alert).
/// The invocation's deadline is checked before each event is rendered and before each
/// publish: what could not be sent in time goes back to the queue.
///
/// Nothing lost, nothing doubled: the answer names only the messages to return to the queue
/// (`ReportBatchItemFailures`): one that cannot be read, or whose alert or digest could not
/// be published. The queue retries those, then keeps them in its dead-letter queue.
pub async fn handle_batch<P: Publisher + AccountDirectory + PolicyLookup>(
    payload: &Value,
    config: &Config,
    publisher: &P,
    deadline: Option<SystemTime>,
) -> Result<Value, HandlerError> {
    let batch = read_batch(payload).map_err(|e| {
        tracing::error!(outcome = "rejected", error = %e, "input is not an SQS batch");
        HandlerError::Input(e)
    })?;
    let (events, mut failed) = batch_events(&batch);
    let needed = |n: Option<&Notification>| delivery_time(config, n);
    let in_time = |need: Duration| deadline.is_none_or(|d| SystemTime::now() + need <= d);
    let mut postponed = 0;
    // Warning and critical alerts go out as each is rendered, before the rest of the batch
    // is looked at: no number or size of other events can hold them back. (message id,
    // event, alert) of the others, in arrival order, wait for the digests.
    let mut held: Vec<(&str, &Event, Notification)> = Vec::new();
    for (id, event) in &events {
        // Rendering and lookups take time too: an event that could no longer be delivered
        // in time is not rendered, and goes back to the queue.
        if !in_time(needed(None)) {
            postponed += 1;
            failed.push(id.clone());
            continue;
        }
        let Triage::Alert(n) = triage(event, config, publisher).await else {
            continue;
        };
        if !sent_at_once(&n) {
            held.push((id, event, *n));
            continue;
        }
        let on_time = in_time(needed(Some(&n)));
        postponed += usize::from(!on_time);
        if !on_time || deliver(&n, config, publisher).await.is_err() {
            failed.push(id.clone());
        }
    }
    let changes: Vec<Change> = held
        .iter()
        .map(|(_, event, notification)| Change {
            event,
            notification,
        })
        .collect();
    let outgoing = plan(&changes);
    for out in &outgoing {
        let n = out.message.notification();
        let on_time = in_time(needed(Some(n)));
        postponed += usize::from(!on_time);
        if !on_time || deliver(n, config, publisher).await.is_err() {
            let ids = out.members.iter().filter_map(|&i| held.get(i));
            failed.extend(ids.map(|(id, _, _)| id.to_string()));
        }
    }
    Ok(answer(&batch, &outgoing, &failed, postponed, deadline))
}

/// The longest one delivery may take: one publish per topic, each within the SDK's operation
/// timeout, and a second to answer (for `None`, an alert not yet rendered: the most topics).
fn delivery_time(config: &Config, n: Option<&Notification>) -> Duration {
    let both = config.ops_topic.is_some() && n.is_none_or(|n| n.ops);
    config.sdk.operation_timeout * if both { 2 } else { 1 } + Duration::from_secs(1)
}

/// What a batch answers (the messages to return to the queue), logged with what it did.
fn answer(
    batch: &SqsEvent,
    outgoing: &[crate::digest::Outgoing],
    failed: &[String],
    postponed: usize,
    deadline: Option<SystemTime>,
) -> Value {
    if postponed > 0 {
        let left_ms = deadline
            .and_then(|d| d.duration_since(SystemTime::now()).ok())
            .map_or(0, |left| {
                u64::try_from(left.as_millis()).unwrap_or(u64::MAX)
            });
        tracing::warn!(
            postponed,
            left_ms,
            outcome = "postponed",
            "the invocation's time ran short: messages not sent are returned to the queue"
        );
    }
    tracing::info!(
        records = batch.records.len(),
        digests = outgoing
            .iter()
            .filter(|o| matches!(o.message, Message::Digest(_)))
            .count(),
        returned = failed.len(),
        outcome = "batch",
        "digest batch handled"
    );
    let failures: Vec<Value> = failed
        .iter()
        .map(|id| json!({"itemIdentifier": id}))
        .collect();
    json!({"batchItemFailures": failures})
}

/// The batch's events, (message id, event) in arrival order, each CloudTrail event once
/// (SQS delivers at least once); and the ids of the messages that are not events, which go
/// back to the queue.
fn batch_events(batch: &SqsEvent) -> (Vec<(String, Event<'_>)>, Vec<String>) {
    let mut failed: Vec<String> = Vec::new();
    let mut events: Vec<(String, Event)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in batch.records.iter().enumerate() {
        let id = record
            .message_id
            .clone()
            .unwrap_or_else(|| format!("record-{i}"));
        let event = match record_event(record.body.as_deref()) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(
                    messageId = %cap(&id, 256), outcome = "rejected",
                    error = %cap(&e.to_string(), MAX_LOGGED_TEXT_BYTES),
                    "queued message is not an EventBridge event: returned to the queue"
                );
                failed.push(id);
                continue;
            }
        };
        if let Some(event_id) = event.detail.event_id.as_deref()
            && !seen.insert(event_id.to_string())
        {
            tracing::info!(
                messageId = %cap(&id, 256), eventID = %event_id, outcome = "duplicate",
                "the same CloudTrail event twice in one batch: sent once"
            );
            continue;
        }
        events.push((id, event));
    }
    (events, failed)
}

/// Publishes `n` to `topic` and logs the outcome; `which` names the topic in the log.
async fn publish_to<P: Publisher>(
    publisher: &P,
    topic: &TopicArn,
    n: &Notification<'_>,
    which: &str,
) -> Result<String, HandlerError> {
    let event_id = n.event_id.as_deref().unwrap_or("-");
    match publisher.publish(topic.as_str(), n).await {
        Ok(message_id) => {
            tracing::info!(
                eventName = %n.event_name, eventID = %event_id, outcome = "published",
                topic = %which, messageId = %message_id, subject = %n.subject,
                "notification published"
            );
            Ok(message_id)
        }
        Err(e) => {
            tracing::error!(
                eventName = %n.event_name, eventID = %event_id, outcome = "publish-failed",
                topic = %which, error = %cap(&e.to_string(), MAX_LOGGED_TEXT_BYTES),
                "notification NOT published"
            );
            Err(HandlerError::Publish(e))
        }
    }
}

/// Milliseconds since the Unix epoch, for metric lines.
fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// How Lambda reports the failure (`errorType` in the invoke response and the logs).
impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match &e {
            HandlerError::Input(_) => "InvalidEvent",
            HandlerError::Publish(p) => p.kind.error_type(),
            HandlerError::Configuration(_) => "ConfigurationError",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}
