//! Configuration from the environment, checked once at start-up.

use crate::accounts::Accounts;
use crate::arn::Arn;
use crate::delivery::ChatFormat;
use crate::heartbeat::Canary;
use crate::noise::NoiseRules;
use crate::render::Format;
use std::time::Duration;

/// Why the function cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// An SNS topic's ARN, checked: `arn:<partition>:sns:<region>:<12-digit account>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    /// Checks `arn` (see [`TopicArn`]).
    pub fn parse(arn: &str) -> Result<TopicArn, ConfigError> {
        check_topic_arn(arn).map(TopicArn)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Render and log each alert, publish nothing (`DRY_RUN=true`).
    DryRun,
    /// Publish to this topic.
    Publish(TopicArn),
}

/// How hard the SNS client tries before the handler reports a failure. The defaults fit the
/// template's 30 s Lambda timeout: 3 attempts of at most 5 s each plus backoff (jittered,
/// 0.2 s then 0.4 s at most) stay within the 16.6 s operation timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkSettings {
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
    pub operation_timeout: Duration,
}

impl Default for SdkSettings {
    fn default() -> Self {
        SdkSettings::new(
            3,
            Duration::from_millis(5_000),
            Duration::from_millis(2_000),
        )
    }
}

impl SdkSettings {
    /// Settings whose operation timeout covers every attempt and the backoff between them.
    pub fn new(max_attempts: u32, attempt_timeout: Duration, connect_timeout: Duration) -> Self {
        let backoff = Duration::from_millis(200) * (1u32 << max_attempts.min(8));
        SdkSettings {
            max_attempts,
            attempt_timeout,
            connect_timeout,
            operation_timeout: attempt_timeout * max_attempts + backoff,
        }
    }
}

/// The function's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Publish to a topic, or only render and log (dry-run).
    pub delivery: Delivery,
    pub format: Format,
    /// What sqs/lambda/http(s) subscribers receive.
    pub chat: ChatFormat,
    pub sdk: SdkSettings,
    pub noise: NoiseRules,
    /// The operations topic: changes to the monitor itself are also published here, so
    /// muting one path does not mute both.
    pub ops_topic: Option<TopicArn>,
    /// The heartbeat's canary: its schedule's writes are counted, not sent.
    pub heartbeat: Option<Canary>,
    /// Accounts in words (`ACCOUNT_NAMES`), and whether subjects name the account (an
    /// organization's central stack: `ORGANIZATION_ID`).
    pub accounts: Accounts,
    /// Read from IAM and Identity Store what a change means (`ENRICH`, default true; only when
    /// publishing: the topic's own account, and members' in central mode; `policy_lookup`).
    pub enrich: bool,
    /// The most the lookups add to an alert's time (`ENRICH_BUDGET_MS`, default 2000).
    pub enrich_budget: Duration,
    /// The identity store whose users `AWSReservedSSO_*` sessions are (`IDENTITY_STORE_ID`).
    pub identity_store: Option<String>,
    /// Where IAM Identity Center runs (`IDENTITY_CENTER_REGION`), when not in the function's
    /// region.
    pub identity_center_region: Option<String>,
}

impl Config {
    /// The account the stack publishes in (its topic's), whose policies may be read; none
    /// in dry-run.
    pub fn own_account(&self) -> Option<&str> {
        match &self.delivery {
            Delivery::Publish(topic) => crate::arn::Arn::parse(topic.as_str()).map(|a| a.account),
            Delivery::DryRun => None,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get` (the environment in production, a map in tests).
    ///
    /// - `TOPIC_ARN`: `arn:<partition>:sns:<region>:<12-digit account>:<topic>`; required
    ///   unless `DRY_RUN=true`.
    /// - `MESSAGE_FORMAT`: `rich` (default) or `classic`.
    /// - `CHAT_FORMAT`: `none` (default) or `amazon-q`.
    /// - `IGNORE_PRINCIPALS`: comma-separated ARN patterns with `*`; `IGNORE_AWS_SERVICES`,
    ///   `IGNORE_CLOUDFORMATION`: true/false (default false).
    /// - `DRY_RUN`: `true`/`false` (default false; also 1/0, yes/no), or `auto`: publish when
    ///   `TOPIC_ARN` is set, else render only (what `cargo lambda watch` uses, from Cargo.toml).
    /// - `OPS_TOPIC_ARN`: optional operations topic; changes to the monitor also go there.
    /// - `HEARTBEAT_ROLE_ARN` and `HEARTBEAT_CALLER_ARN`: both or neither; the canary role and
    ///   the role the heartbeat schedule acts as (see [`crate::heartbeat`]).
    /// - `ORGANIZATION_ID` (an organization's central stack: subjects name the account) and
    ///   `ACCOUNT_NAMES` (`<12-digit id>=<name>,…`): see [`Accounts::parse`].
    /// - `ENRICH` (default true): read from AWS what a change means (see `lookups`).
    /// - `ENRICH_BUDGET_MS` (default 2000, 100 to 5000): the most the lookups add to an alert.
    /// - `IDENTITY_STORE_ID` (`d-1234567890`, optional) and `IDENTITY_CENTER_REGION`
    ///   (optional): name the person behind IAM Identity Center sessions (`enrich`).
    /// - `SNS_MAX_ATTEMPTS` (default 3), `SNS_ATTEMPT_TIMEOUT_MS` (5000),
    ///   `SNS_CONNECT_TIMEOUT_MS` (2000).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = Env(&get);
        let attempts = env.number("SNS_MAX_ATTEMPTS", 3, 1, 10)?;
        let attempt_ms = env.number("SNS_ATTEMPT_TIMEOUT_MS", 5_000, 50, 60_000)?;
        let connect_ms = env.number("SNS_CONNECT_TIMEOUT_MS", 2_000, 50, 60_000)?;
        let (identity_store, identity_center_region) = identity_center(&env)?;
        Ok(Config {
            delivery: delivery(&env)?,
            format: one_of(
                "MESSAGE_FORMAT",
                env.value("MESSAGE_FORMAT"),
                &Format::ALL.map(|f| (f.name(), f)),
            )?,
            chat: one_of(
                "CHAT_FORMAT",
                env.value("CHAT_FORMAT"),
                &ChatFormat::ALL.map(|c| (c.name(), c)),
            )?,
            sdk: SdkSettings::new(
                u32::try_from(attempts).expect("invariant: SNS_MAX_ATTEMPTS is at most 10"),
                Duration::from_millis(attempt_ms),
                Duration::from_millis(connect_ms),
            ),
            noise: NoiseRules {
                ignore_principals: env
                    .value("IGNORE_PRINCIPALS")
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
                ignore_aws_services: env.flag("IGNORE_AWS_SERVICES", false)?,
                ignore_cloudformation: env.flag("IGNORE_CLOUDFORMATION", false)?,
            },
            ops_topic: env
                .value("OPS_TOPIC_ARN")
                .map(|arn| TopicArn::parse(&arn))
                .transpose()
                .map_err(|e| ConfigError(format!("OPS_TOPIC_ARN: {}", e.0)))?,
            heartbeat: heartbeat(&env)?,
            accounts: Accounts::parse(
                env.value("ACCOUNT_NAMES").as_deref(),
                env.value("ORGANIZATION_ID").as_deref(),
            )
            .map_err(ConfigError)?,
            enrich: env.flag("ENRICH", true)?,
            enrich_budget: Duration::from_millis(env.number(
                "ENRICH_BUDGET_MS",
                crate::enrich::BUDGET.as_millis() as u64,
                100,
                crate::enrich::MAX_BUDGET.as_millis() as u64,
            )?),
            identity_store,
            identity_center_region,
        })
    }
}

/// The environment as the configuration reads it: values trimmed, empty ones unset.
struct Env<'g>(&'g dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn value(&self, k: &str) -> Option<String> {
        (self.0)(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A whole number from `min` to `max`, `default` when unset.
    fn number(&self, k: &str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        match self.value(k) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "{k} must be a whole number from {min} to {max}, not {v:?}"
                    ))
                }),
        }
    }

    /// true or false (also 1/0, yes/no), `default` when unset.
    fn flag(&self, k: &str, default: bool) -> Result<bool, ConfigError> {
        match self.value(k) {
            None => Ok(default),
            Some(v) => parse_bool(&v)
                .ok_or_else(|| ConfigError(format!("{k} must be true or false, not {v:?}"))),
        }
    }
}

/// Where alerts go: `DRY_RUN` (true, false or auto: dry-run unless a topic is set) and
/// `TOPIC_ARN`, which is checked even in dry-run (a typo must not wait for the switch).
fn delivery(env: &Env) -> Result<Delivery, ConfigError> {
    let dry_run = match env.value("DRY_RUN") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("auto") => env.value("TOPIC_ARN").is_none(),
        Some(v) => parse_bool(&v).ok_or_else(|| {
            ConfigError(format!("DRY_RUN must be true, false or auto, not {v:?}"))
        })?,
    };
    let topic = env
        .value("TOPIC_ARN")
        .map(|arn| TopicArn::parse(&arn))
        .transpose()?;
    match topic {
        _ if dry_run => Ok(Delivery::DryRun),
        Some(topic) => Ok(Delivery::Publish(topic)),
        None => Err(ConfigError(
            "TOPIC_ARN is not set: set it to the SNS topic's ARN \
             (arn:aws:sns:us-east-1:123456789012:iam-notify), or set DRY_RUN=true \
             to render without publishing"
                .into(),
        )),
    }
}

/// The heartbeat's canary: `HEARTBEAT_ROLE_ARN` and `HEARTBEAT_CALLER_ARN`, both or neither.
fn heartbeat(env: &Env) -> Result<Option<Canary>, ConfigError> {
    match (
        env.value("HEARTBEAT_ROLE_ARN"),
        env.value("HEARTBEAT_CALLER_ARN"),
    ) {
        (None, None) => Ok(None),
        (Some(role), Some(caller)) => Canary::new(&role, &caller)
            .map(Some)
            .map_err(|e| ConfigError(format!("HEARTBEAT_ROLE_ARN/HEARTBEAT_CALLER_ARN: {e}"))),
        _ => Err(ConfigError(
            "HEARTBEAT_ROLE_ARN and HEARTBEAT_CALLER_ARN go together: set both (the \
             canary role and the role its schedule acts as) or neither"
                .into(),
        )),
    }
}

/// `IDENTITY_STORE_ID` and `IDENTITY_CENTER_REGION`, each checked for its shape.
fn identity_center(env: &Env) -> Result<(Option<String>, Option<String>), ConfigError> {
    let store = env
        .value("IDENTITY_STORE_ID")
        .map(|v| {
            let ok = v.len() <= 64
                && (v.starts_with("d-") || v.len() == 36)
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            ok.then_some(v.clone()).ok_or_else(|| {
                ConfigError(format!(
                    "IDENTITY_STORE_ID must be an identity store id (d-1234567890), not {v:?}"
                ))
            })
        })
        .transpose()?;
    let region = env
        .value("IDENTITY_CENTER_REGION")
        .map(|v| {
            let ok = v.len() <= 32
                && v.contains('-')
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            ok.then_some(v.clone()).ok_or_else(|| {
                ConfigError(format!(
                    "IDENTITY_CENTER_REGION must be a region (us-east-1), not {v:?}"
                ))
            })
        })
        .transpose()?;
    Ok((store, region))
}

/// The option `value` names (case-insensitive), the first one when unset.
fn one_of<T: Copy>(
    key: &str,
    value: Option<String>,
    options: &[(&str, T)],
) -> Result<T, ConfigError> {
    let wanted = value.as_deref().map(str::to_ascii_lowercase);
    let found = match wanted.as_deref() {
        None => options.first(),
        Some(w) => options.iter().find(|(name, _)| *name == w),
    };
    found.map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        ConfigError(format!(
            "{key} must be {}, not {:?}",
            names.join(" or "),
            wanted.unwrap_or_default()
        ))
    })
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// Accepts `arn:<partition>:sns:<region>:<12-digit account>:<topic name>`.
fn check_topic_arn(arn: &str) -> Result<String, ConfigError> {
    let ok = Arn::parse(arn).is_some_and(|a| {
        a.partition.starts_with("aws")
            && a.service == "sns"
            && !a.region.is_empty()
            && a.account_id().is_some()
            && !a.resource.is_empty()
            && a.resource.len() <= 256
            && a.resource
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    });
    if ok {
        Ok(arn.to_string())
    } else {
        Err(ConfigError(format!(
            "TOPIC_ARN {arn:?} is not an SNS topic ARN \
             (expected arn:<partition>:sns:<region>:<12-digit account>:<topic name>)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:iam-notify";

    #[test]
    fn defaults() {
        let c = cfg(&[("TOPIC_ARN", TOPIC)]).unwrap();
        assert_eq!(c.delivery, Delivery::Publish(TopicArn(TOPIC.into())));
        assert_eq!(c.format, Format::Rich);
        assert_eq!(c.sdk, SdkSettings::default());
        assert!(c.sdk.operation_timeout <= Duration::from_secs(20));
    }

    #[test]
    fn missing_topic_is_an_error_unless_dry_run() {
        let err = cfg(&[]).unwrap_err().to_string();
        assert!(err.contains("TOPIC_ARN is not set"), "{err}");
        let c = cfg(&[("DRY_RUN", "true")]).unwrap();
        assert_eq!(c.delivery, Delivery::DryRun);
        let c = cfg(&[("DRY_RUN", "true"), ("TOPIC_ARN", TOPIC)]).unwrap();
        assert_eq!(c.delivery, Delivery::DryRun, "dry-run wins over a topic");
        assert!(cfg(&[("DRY_RUN", "true"), ("TOPIC_ARN", "nope")]).is_err());
    }

    #[test]
    fn ops_topic_and_heartbeat_are_checked_and_optional() {
        let c = cfg(&[("TOPIC_ARN", TOPIC)]).unwrap();
        assert_eq!((c.ops_topic, c.heartbeat), (None, None));
        let ops = "arn:aws:sns:us-east-1:123456789012:ops";
        let c = cfg(&[("TOPIC_ARN", TOPIC), ("OPS_TOPIC_ARN", ops)]).unwrap();
        assert_eq!(c.ops_topic, Some(TopicArn(ops.into())));
        let err = cfg(&[("TOPIC_ARN", TOPIC), ("OPS_TOPIC_ARN", "ops")]).unwrap_err();
        assert!(err.to_string().contains("OPS_TOPIC_ARN"), "{err}");
        let role = "arn:aws:iam::123456789012:role/canary";
        let caller = "arn:aws:iam::123456789012:role/scheduler";
        let both = [
            ("TOPIC_ARN", TOPIC),
            ("HEARTBEAT_ROLE_ARN", role),
            ("HEARTBEAT_CALLER_ARN", caller),
        ];
        assert_eq!(cfg(&both).unwrap().heartbeat.unwrap().role_arn(), role);
        let err = cfg(&both[..2]).unwrap_err().to_string();
        assert!(err.contains("go together"), "{err}");
        let bad = [
            ("TOPIC_ARN", TOPIC),
            ("HEARTBEAT_ROLE_ARN", "canary"),
            ("HEARTBEAT_CALLER_ARN", caller),
        ];
        assert!(
            cfg(&bad)
                .unwrap_err()
                .to_string()
                .contains("not an IAM role ARN")
        );
    }

    #[test]
    fn auto_dry_run_publishes_only_when_a_topic_is_set() {
        let c = cfg(&[("DRY_RUN", "auto")]).unwrap();
        assert_eq!(c.delivery, Delivery::DryRun);
        let c = cfg(&[("DRY_RUN", "Auto"), ("TOPIC_ARN", TOPIC)]).unwrap();
        assert_eq!(c.delivery, Delivery::Publish(TopicArn(TOPIC.into())));
        let err = cfg(&[("DRY_RUN", "maybe")]).unwrap_err().to_string();
        assert!(err.contains("true, false or auto"), "{err}");
    }

    #[test]
    fn malformed_values_are_named() {
        for bad in [
            "iam-notify",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:1234:t",
            "arn:aws:sns:us-east-1:123456789012:",
        ] {
            let err = cfg(&[("TOPIC_ARN", bad)]).unwrap_err().to_string();
            assert!(err.contains("is not an SNS topic ARN"), "{bad}: {err}");
        }
        assert!(
            cfg(&[("TOPIC_ARN", TOPIC), ("MESSAGE_FORMAT", "html")])
                .unwrap_err()
                .0
                .contains("MESSAGE_FORMAT")
        );
        assert!(
            cfg(&[("TOPIC_ARN", TOPIC), ("DRY_RUN", "maybe")])
                .unwrap_err()
                .0
                .contains("DRY_RUN")
        );
        assert!(
            cfg(&[("TOPIC_ARN", TOPIC), ("SNS_MAX_ATTEMPTS", "0")])
                .unwrap_err()
                .0
                .contains("SNS_MAX_ATTEMPTS")
        );
    }

    #[test]
    fn noise_rules() {
        let c = cfg(&[
            ("TOPIC_ARN", TOPIC),
            (
                "IGNORE_PRINCIPALS",
                " arn:aws:iam::*:role/ci-*, ,arn:aws:iam::1:user/bot ",
            ),
            ("IGNORE_CLOUDFORMATION", "yes"),
        ])
        .unwrap();
        assert_eq!(
            c.noise.ignore_principals,
            ["arn:aws:iam::*:role/ci-*", "arn:aws:iam::1:user/bot"]
        );
        assert!(c.noise.ignore_cloudformation && !c.noise.ignore_aws_services);
        assert!(
            cfg(&[("TOPIC_ARN", TOPIC), ("IGNORE_AWS_SERVICES", "sometimes")])
                .unwrap_err()
                .0
                .contains("IGNORE_AWS_SERVICES")
        );
        assert!(
            cfg(&[("TOPIC_ARN", TOPIC), ("CHAT_FORMAT", "slack")])
                .unwrap_err()
                .0
                .contains("CHAT_FORMAT")
        );
    }

    #[test]
    fn classic_and_china_partition() {
        let c = cfg(&[
            ("TOPIC_ARN", "arn:aws-cn:sns:cn-north-1:123456789012:t"),
            ("MESSAGE_FORMAT", "Classic"),
        ])
        .unwrap();
        assert_eq!(c.format, Format::Classic);
    }
}
