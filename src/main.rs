//! The Lambda: wires configuration, the SNS client and the handler.

use iam_notify::config::Config;
use iam_notify::handler::handle;
use iam_notify::logging::LogSettings;
use iam_notify::publish::SnsPublisher;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    LogSettings::from_lookup(|k| std::env::var(k).ok()).init();
    let config = Config::from_env().inspect_err(|e| tracing::error!(error = %e, "cannot start"))?;
    let publisher = SnsPublisher::from_env(&config.sdk, config.chat).await;
    let (config, publisher) = (&config, &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(&event.payload, config, publisher).await
    }))
    .await
}
