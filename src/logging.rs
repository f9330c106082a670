//! The function's log settings, read as Lambda's advanced logging controls set them.
//!
//! Level: `AWS_LAMBDA_LOG_LEVEL` (set by the function's LoggingConfig) wins over `RUST_LOG`,
//! then `info`, as lambda_runtime's own subscriber does. Format: one JSON object per line,
//! unless `AWS_LAMBDA_LOG_FORMAT` is `Text` — iam-notify's log lines are meant for CloudWatch
//! Logs Insights (`outcome`, `eventID`), so JSON is also the default when the variable is unset.

/// How the function logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A `tracing_subscriber::EnvFilter` directive (`info`, `debug`, `iam_notify=debug`).
    pub filter: String,
    pub json: bool,
}

impl LogSettings {
    /// Reads the settings through `get` (the environment in production, a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> LogSettings {
        let set = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        LogSettings {
            filter: set("AWS_LAMBDA_LOG_LEVEL")
                .or_else(|| set("RUST_LOG"))
                .map(|v| v.to_ascii_lowercase())
                .unwrap_or_else(|| "info".into()),
            json: !set("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("text")),
        }
    }

    /// Installs the global subscriber (once, at start-up).
    pub fn init(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.filter)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_target(false)
            .with_ansi(false)
            .with_env_filter(filter);
        if self.json {
            builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .init();
        } else {
            builder.init();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> LogSettings {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        LogSettings::from_lookup(|k| map.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn lambda_log_level_wins_over_rust_log() {
        assert_eq!(settings(&[]).filter, "info");
        assert_eq!(settings(&[("RUST_LOG", "debug")]).filter, "debug");
        let both = settings(&[("RUST_LOG", "debug"), ("AWS_LAMBDA_LOG_LEVEL", "WARN")]);
        assert_eq!(both.filter, "warn");
    }

    #[test]
    fn json_unless_lambda_asks_for_text() {
        assert!(settings(&[]).json);
        assert!(settings(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).json);
        assert!(!settings(&[("AWS_LAMBDA_LOG_FORMAT", "Text")]).json);
    }
}
