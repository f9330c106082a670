//! Changes to the monitor itself and to what feeds it: its EventBridge rules, its function,
//! its topics and subscriptions, its digest queues and the mapping that reads them, and
//! CloudTrail trails. The template's tamper rule delivers these only for this stack's own
//! rules, function, topics, queues and mapping (and for any trail).

use super::context::{Context, label};
use super::{Kind, Target};
use crate::arn::Arn;
use crate::event::scalar_text;
use crate::severity::{Finding, Rule};
use serde_json::Value;

// The services whose calls change the monitor.
pub(super) const EVENTS: &str = "events.amazonaws.com";
pub(super) const LAMBDA: &str = "lambda.amazonaws.com";
pub(super) const SNS: &str = "sns.amazonaws.com";
pub(super) const SQS: &str = "sqs.amazonaws.com";
pub(super) const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
pub(super) const KMS: &str = "kms.amazonaws.com";
pub(super) const CLOUDWATCH: &str = "monitoring.amazonaws.com";
pub(super) const SCHEDULER: &str = "scheduler.amazonaws.com";

/// Which part of the monitor a call changes, and the `requestParameters` key naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// One of the stack's EventBridge rules (`name` or `rule`).
    Rule(&'static str),
    /// The function (`functionName`: a name, an ARN or a partial ARN).
    Function,
    /// One of the stack's topics (`topicArn`; `resourceArn` for its data protection policy).
    Topic(&'static str),
    /// A subscription to one of them (`subscriptionArn`).
    Subscription,
    /// A CloudTrail trail, the source of every event (`name` or `trailName`).
    Trail(&'static str),
    /// One of the stack's digest queues (`queueUrl`).
    Queue,
    /// The event source mapping through which the function reads the digest queue (`uUID`;
    /// the function and queue are in the response).
    EventSourceMapping,
    /// A KMS key of the stack's topics (`keyId`: an id or an ARN).
    Key,
    /// One of the stack's CloudWatch alarms (`alarmName`, or the list `alarmNames`).
    Alarm(&'static str),
    /// The heartbeat's EventBridge Scheduler schedule (`name`).
    Schedule,
    /// The event bus members forward to, through its resource policy (`eventBusName`;
    /// the default bus when the request names none).
    Bus,
}

impl Part {
    fn noun(self) -> &'static str {
        match self {
            Part::Rule(_) => "EventBridge rule",
            Part::Function => "function",
            Part::Topic(_) => "SNS topic",
            Part::Subscription => "subscription",
            Part::Trail(_) => "CloudTrail trail",
            Part::Queue => "SQS queue",
            Part::EventSourceMapping => "event source mapping",
            Part::Key => "KMS key",
            Part::Alarm(_) => "CloudWatch alarm",
            Part::Schedule => "heartbeat schedule",
            Part::Bus => "event bus",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Part::Rule(key) | Part::Trail(key) | Part::Topic(key) | Part::Alarm(key) => key,
            Part::Function => "functionName",
            Part::Subscription => "subscriptionArn",
            Part::Queue => "queueUrl",
            Part::EventSourceMapping => "uUID",
            Part::Key => "keyId",
            Part::Schedule => "name",
            Part::Bus => "eventBusName",
        }
    }
}

/// What in a successful change to the monitor stops alerts or sends them elsewhere: data on
/// the call's row of the table (`Shape::Monitor`), read by [`muting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutes {
    /// Nothing by itself (the change is still said: `monitor-changed`).
    No,
    /// Every time, in these words (`{name}`: the part's name).
    Always(&'static str),
    /// Environment variables that silence the function or send its alerts elsewhere.
    Environment,
    /// A reserved concurrency of 0.
    ZeroConcurrency,
    /// A rule put with `state: DISABLED`.
    DisabledState,
    /// A subscription given a filter policy.
    FilterPolicy,
    /// A trail's event selectors that no longer log write management events.
    EventSelectors,
    /// A queue given a new access policy.
    QueuePolicy,
    /// An event source mapping disabled.
    MappingDisabled,
}

pub const RULE_DISABLED: &str = "rule {name} is disabled: it delivers nothing";
pub const PURGED: &str = "queue {name} was purged: the IAM events waiting in it for a digest are \
    gone, their alerts never sent (CloudTrail still has them)";
pub const MAPPING_DELETED: &str = "event source mapping {name} was deleted: the function no \
    longer reads the digest queue, and no digest-mode alert is sent";
pub const STOPPED_LOGGING: &str = "trail {name} stopped logging: if it is the trail that logs \
    IAM's calls in us-east-1, no IAM change reaches the monitor";

pub const KEY_DISABLED: &str = "KMS key {name} is disabled: a topic it encrypts accepts no \
    message, so neither the alerts nor the alarms it carries arrive";
pub const KEY_DELETION: &str = "KMS key {name} is scheduled for deletion and cannot be used \
    meanwhile: a topic it encrypts accepts no message, and once deleted it never will";
pub const ALARM_ACTIONS_OFF: &str = "alarm(s) {name} no longer notify anyone: what they watch \
    (failed deliveries, a missing heartbeat) now goes unreported";
pub const ALARMS_DELETED: &str = "alarm(s) {name} were deleted: what they watched (failed \
    deliveries, a missing heartbeat) now goes unreported";
pub const DATA_PROTECTION: &str = "topic {name} has a new data protection policy: it can deny \
    alerts or mask what they say";

/// The names of the roles the monitor acts as: `iam-notify-<stack id>-function` and
/// `-heartbeat` (template.yaml), and a member account's `iam-notify-forwarder*` and
/// `iam-notify-central-read` (forwarder.yaml).
pub const OWN_ROLE_PREFIX: &str = "iam-notify-";

/// The monitor's own role an IAM call changes, if it does: `roleName` starting with
/// [`OWN_ROLE_PREFIX`], except tagging it. A Deny of `sns:Publish` there, or a trust no longer letting Lambda
/// in, silences every alert the function would send.
pub fn own_role(event: &crate::event::Event) -> Option<String> {
    // (Tags change no permission; a member's heartbeat tags its canary, a role of this name.)
    let tags = matches!(
        event.detail.event_name.as_deref(),
        Some("TagRole" | "UntagRole")
    );
    (event.detail.event_source.as_deref() == Some(super::IAM)
        && event.detail.read_only != Some(true)
        && !tags)
        .then(|| event.request("roleName"))
        .flatten()
        .filter(|r| r.starts_with(OWN_ROLE_PREFIX))
}

/// What changing the monitor's own role `name` may do, said.
pub fn own_role_finding(name: &str) -> Finding {
    Finding::new(
        Rule::MonitorChanged,
        format!(
            "role {name} is one the IAM change monitor acts as: a change to its permissions or \
             trust can stop alerts being published or forwarded"
        ),
    )
}

/// The environment variables that silence the function or send its alerts elsewhere.
/// (Prefixes: `IGNORE_*`, `HEARTBEAT_*`.)
const MUTING_VARIABLES: &[&str] = &[
    "DRY_RUN",
    "IGNORE_",
    "TOPIC_ARN",
    "OPS_TOPIC_ARN",
    "HEARTBEAT_",
];

/// `verb` the monitor's `part` X.
pub(super) fn monitor(cx: &Context, verb: &str, part: Part, mutes: Mutes) -> Target {
    let raw = match part {
        // DisableAlarmActions and DeleteAlarms name a list of alarms.
        Part::Alarm(key) => cx.event.request_value(key).and_then(|v| match v {
            Value::Array(names) => {
                let names: Vec<String> = names.iter().filter_map(scalar_text).collect();
                (!names.is_empty()).then(|| names.join(", "))
            }
            v => scalar_text(v),
        }),
        Part::Bus => cx.request(part.key()).or_else(|| Some("default".into())),
        _ => cx.request(part.key()),
    };
    // A function or subscription named by ARN reads better by its last part; the ARN stays.
    let name = raw.as_deref().map(|r| match part {
        Part::Function => r
            .split(":function:")
            .nth(1)
            .map_or(r, |rest| rest.split(':').next().unwrap_or(rest))
            .to_string(),
        Part::Topic(_) | Part::Subscription => Arn::parse(r)
            .map(|a| a.resource.to_string())
            .unwrap_or_else(|| r.to_string()),
        Part::Trail(_) | Part::Key => Arn::parse(r)
            .and_then(|a| a.name())
            .unwrap_or(r)
            .to_string(),
        // https://sqs.<region>.amazonaws.com/<account>/<name>
        Part::Queue => r.rsplit('/').next().unwrap_or(r).to_string(),
        Part::Rule(_) | Part::EventSourceMapping | Part::Alarm(_) | Part::Schedule | Part::Bus => {
            r.to_string()
        }
    });
    let n = label(&name);
    let whose = match part {
        Part::Trail(_) => "(trails feed the IAM change monitor)",
        _ => "of the IAM change monitor",
    };
    let mut t = Target::new(
        Kind::Other,
        format!("{verb} {} {n} {whose}", part.noun()),
        format!("monitor {} {n}", part.noun()),
    );
    if raw.as_deref().is_some_and(|r| r.starts_with("arn:")) {
        t.arn = raw;
    }
    t.name = name;
    t.noun = Some(part.noun());
    if part == Part::EventSourceMapping {
        for (label, key) in [
            ("Function", "functionArn"),
            ("Reads from", "eventSourceArn"),
        ] {
            if let Some(v) = cx.response(&[key]) {
                t.facts.push((label, v));
            }
        }
    }
    t.gone = verb == "deleted" && !cx.failed;
    if cx.event.through_cloudformation() {
        t.facts.push((
            "Made by",
            "CloudFormation: expected while this stack is being deployed or updated, \
             a warning sign at any other time"
                .into(),
        ));
    }
    if !cx.failed {
        t.flags.push(Rule::MonitorChanged);
        t.findings.extend(muting(cx, &n, mutes));
    }
    t
}

/// What in a successful change stops alerts or sends them elsewhere (as its row says), said.
fn muting(cx: &Context, name: &str, mutes: Mutes) -> Option<Finding> {
    let event = cx.event;
    let why = match mutes {
        Mutes::No => None,
        Mutes::Always(words) => Some(words.replace("{name}", name)),
        Mutes::Environment => environment(event, name),
        Mutes::ZeroConcurrency => (event
            .request_value("reservedConcurrentExecutions")
            .and_then(Value::as_u64)
            == Some(0))
        .then(|| format!("function {name} may run 0 copies at once: every alert is throttled")),
        Mutes::DisabledState => event
            .request_value("state")
            .and_then(scalar_text)
            .is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
            .then(|| format!("rule {name} is now DISABLED: it delivers nothing")),
        Mutes::FilterPolicy => event
            .request("attributeName")
            .is_some_and(|a| a.starts_with("FilterPolicy"))
            .then(|| {
                format!(
                    "subscription {name} now filters what it receives: alerts that do not match never arrive"
                )
            }),
        Mutes::EventSelectors => (!logs_management_writes(event)).then(|| {
            format!(
                "trail {name} no longer logs write management events: IAM changes it logged no longer reach the monitor"
            )
        }),
        Mutes::QueuePolicy => event
            .request_value("attributes")
            .and_then(Value::as_object)
            .is_some_and(|a| a.contains_key("Policy"))
            .then(|| {
                format!(
                    "queue {name} has a new access policy: whoever it lets in can take IAM events out \
                     before the function reads them, or queue forged ones"
                )
            }),
        Mutes::MappingDisabled => event
            .request_value("enabled")
            .is_some_and(|v| v == &Value::Bool(false) || scalar_text(v).as_deref() == Some("false"))
            .then(|| {
                format!(
                    "event source mapping {name} is disabled: the function no longer reads the digest \
                     queue, and no digest-mode alert is sent"
                )
            }),
    };
    why.map(|why| Finding::new(Rule::MonitorMuted, why))
}

/// What a new environment of the function may do: variables that silence it or send its
/// alerts elsewhere, named (never their values); hidden ones, said to be possible.
fn environment(event: &crate::event::Event, name: &str) -> Option<String> {
    match event
        .request_value("environment")
        .map(|e| e.get("variables"))
    {
        Some(Some(Value::Object(vars))) => {
            let named: Vec<&str> = vars
                .keys()
                .map(String::as_str)
                .filter(|k| MUTING_VARIABLES.iter().any(|m| k.starts_with(m)))
                .collect();
            (!named.is_empty()).then(|| {
                format!(
                    "function {name} now runs with {}: it can stop alerts (DRY_RUN, IGNORE_*) or send them elsewhere",
                    named.join(", ")
                )
            })
        }
        // CloudTrail may hide the variables: what they are cannot be known from here.
        Some(_) => Some(format!(
            "function {name}'s environment variables were replaced (the record hides them): \
             DRY_RUN or IGNORE_* would stop alerts"
        )),
        None => None,
    }
}

/// Whether a PutEventSelectors request keeps write management events logged: some basic
/// selector with management events and `All` or `WriteOnly`, or advanced selectors (read by
/// CloudTrail, not here: assumed to keep them).
fn logs_management_writes(event: &crate::event::Event) -> bool {
    if event.request_value("advancedEventSelectors").is_some() {
        return true;
    }
    let Some(Value::Array(selectors)) = event.request_value("eventSelectors") else {
        return true;
    };
    selectors.iter().any(|s| {
        let management = s.get("includeManagementEvents").and_then(Value::as_bool) != Some(false);
        let writes = s
            .get("readWriteType")
            .and_then(Value::as_str)
            .is_none_or(|t| t.eq_ignore_ascii_case("All") || t.eq_ignore_ascii_case("WriteOnly"));
        management && writes
    })
}
