//! A runtime layer that lets the handler see input it cannot read (shell: wired in
//! `main.rs`). See [`crate::handler::checked_body`].

use crate::handler::checked_body;
use lambda_runtime::LambdaInvocation;
use lambda_runtime::tower::{Layer, Service};
use std::task::{Context, Poll};

/// Checks every invocation's bytes before the runtime deserializes them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrictJsonLayer;

impl<S> Layer<S> for StrictJsonLayer {
    type Service = StrictJson<S>;

    fn layer(&self, inner: S) -> StrictJson<S> {
        StrictJson { inner }
    }
}

/// The service [`StrictJsonLayer`] wraps around the runtime's.
#[derive(Debug, Clone)]
pub struct StrictJson<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for StrictJson<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        if let Some(stand_in) = checked_body(&invocation.body) {
            invocation.body = stand_in.into_bytes().into();
        }
        self.inner.call(invocation)
    }
}
