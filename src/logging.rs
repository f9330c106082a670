//! The function's log settings, read as Lambda's advanced logging controls set them.
//!
//! Level: `AWS_LAMBDA_LOG_LEVEL` (set by the function's LoggingConfig) wins over `RUST_LOG`,
//! then `info`, as lambda_runtime's own subscriber does. Format: one JSON object per line,
//! unless `AWS_LAMBDA_LOG_FORMAT` is `Text` — iam-notify's log lines are meant for CloudWatch
//! Logs Insights (`outcome`, `eventID`), so JSON is also the default when the variable is unset.

/// How the function logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A `tracing_subscriber::filter::Targets` directive (`info`, `debug`,
    /// `warn,iam_notify=debug`).
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
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let filter = self.targets();
        let registry = tracing_subscriber::registry().with(filter);
        let fmt = tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(false);
        if self.json {
            registry
                .with(fmt.json().flatten_event(true).with_current_span(false))
                .init();
        } else {
            registry.with(fmt).init();
        }
    }

    /// The filter: the directive, or `info` when it does not parse.
    pub fn targets(&self) -> tracing_subscriber::filter::Targets {
        self.filter.parse().unwrap_or_else(|_| {
            tracing_subscriber::filter::Targets::new()
                .with_default(tracing_subscriber::filter::LevelFilter::INFO)
        })
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
    fn directives_parse_and_nonsense_means_info() {
        use tracing_subscriber::filter::LevelFilter;
        let level = |v: &str| settings(&[("RUST_LOG", v)]).targets();
        assert_eq!(level("debug").default_level(), Some(LevelFilter::DEBUG));
        assert_eq!(level("WARN").default_level(), Some(LevelFilter::WARN));
        let mixed = level("warn,iam_notify=debug");
        assert!(mixed.would_enable("iam_notify::handler", &tracing::Level::DEBUG));
        assert!(!mixed.would_enable("aws_smithy_runtime", &tracing::Level::INFO));
        assert_eq!(
            level("=}{nonsense").default_level(),
            Some(LevelFilter::INFO)
        );
    }

    #[test]
    fn json_unless_lambda_asks_for_text() {
        assert!(settings(&[]).json);
        assert!(settings(&[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).json);
        assert!(!settings(&[("AWS_LAMBDA_LOG_FORMAT", "Text")]).json);
    }
}
