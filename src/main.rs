//! The Lambda: wires configuration, the SNS client and the handler.

use iam_notify::config::Config;
use iam_notify::handler::handle;
use iam_notify::publish::SnsPublisher;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_target(false)
        .with_current_span(false)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "cannot start"))?;
    let publisher = SnsPublisher::from_env(&config.sdk, config.chat).await;
    let (config, publisher) = (&config, &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(&event.payload, config, publisher).await
    }))
    .await
}
