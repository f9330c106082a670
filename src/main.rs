//! The Lambda: wires configuration, the SNS client and the handler.

use iam_notify::config::Config;
use iam_notify::handler::{handle, unconfigured};
use iam_notify::logging::LogSettings;
use iam_notify::publish::SnsPublisher;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    LogSettings::from_lookup(|k| std::env::var(k).ok()).init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            // Keep serving: each invocation fails with the reason (see handler::unconfigured).
            tracing::error!(error = %e, "cannot render or publish: every invocation will fail until this is fixed");
            let e = &e;
            return lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
                Err::<Value, _>(unconfigured(&event.payload, e))
            }))
            .await;
        }
    };
    let publisher = SnsPublisher::from_env(&config.sdk, config.chat).await;
    let (config, publisher) = (&config, &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(&event.payload, config, publisher).await
    }))
    .await
}
