//! The Lambda: wires configuration, the SNS client, the lookups (account names in central
//! mode, attached policies' text) and the handler.

// The handler future, with both name lookups in it, is deeper than the default limit of 128.
#![recursion_limit = "256"]

use iam_notify::config::Config;
use iam_notify::handler::{Shell, handle_text, unconfigured, usable_deadline};
use iam_notify::logging::LogSettings;
use iam_notify::lookups::account_alias::AliasApi;
use iam_notify::lookups::iam::IamPolicies;
use iam_notify::lookups::organizations::{Directory, FirstOf, OrganizationsApi};
use iam_notify::publish::SnsPublisher;
use iam_notify::strict::StrictJsonLayer;
use lambda_runtime::layers::TracingLayer;
use lambda_runtime::{Error, LambdaEvent, Runtime, service_fn};
use serde_json::Value;
use serde_json::value::RawValue;
use std::time::SystemTime;

// One invocation at a time: a current-thread runtime serves, and starts quicker.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    LogSettings::from_lookup(|k| std::env::var(k).ok()).init();
    iam_notify::heap::keep_freed_memory();
    let setup = match Config::from_env() {
        Ok(config) => {
            // Account names: in an organization's central stack from AWS Organizations, else
            // the member's alias; the stack's own account's alias (enrichment on).
            let central = config.accounts.organization_id.is_some();
            let publisher = Shell {
                publisher: SnsPublisher::from_env(&config.sdk, config.chat),
                names: FirstOf(
                    central.then(|| Directory::new(OrganizationsApi::new())),
                    (central || config.enrich)
                        .then(|| Directory::new(AliasApi::new(config.own_account(), central))),
                ),
                // What a change means, read from IAM (ENRICH, default on): this account's, and
                // in central mode the members' through their read role.
                policies: config.enrich.then(|| {
                    IamPolicies::new(config.own_account(), central)
                        .with_budget(config.enrich_budget)
                }),
            };
            Ok((config, publisher))
        }
        Err(e) => {
            // Keep serving: each invocation fails with the reason (see handler::unconfigured).
            tracing::error!(error = %e, "cannot render or publish: every invocation will fail until this is fixed");
            Err(e)
        }
    };
    let setup = &setup;
    // As lambda_runtime::run, plus a check that lets the handler reject unreadable input.
    // The payload stays text: the handler reads it straight into its typed record.
    Runtime::new(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            let text = event.payload.get();
            match setup {
                Ok((config, publisher)) => {
                    let deadline = usable_deadline(event.context.deadline(), SystemTime::now());
                    handle_text(text, config, publisher, deadline).await
                }
                Err(e) => Err(unconfigured(
                    &serde_json::from_str(text).unwrap_or(Value::Null),
                    e,
                )),
            }
        },
    ))
    .layer(TracingLayer::new())
    .layer(StrictJsonLayer)
    .run()
    .await
}
