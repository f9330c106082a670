//! CloudWatch embedded-metric-format lines: one JSON object on stdout that CloudWatch Logs
//! turns into a metric of the namespace `iam-notify`, and that people read as a log line.

use serde_json::{Map, Value, json};

/// A line counting one `metric`, dimensioned by `dimension` (name, value), with `fields`
/// after it for whoever reads the log.
pub fn count_line(
    metric: &str,
    dimension: (&str, &str),
    timestamp_ms: u128,
    fields: &[(&str, Value)],
) -> String {
    let (dimension_name, dimension_value) = dimension;
    let mut line = Map::new();
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms as u64,
            "CloudWatchMetrics": [{
                "Namespace": "iam-notify",
                "Dimensions": [[dimension_name]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        }),
    );
    line.insert(dimension_name.into(), json!(dimension_value));
    line.insert(metric.into(), json!(1));
    for (name, value) in fields {
        line.insert((*name).into(), value.clone());
    }
    Value::Object(line).to_string()
}
