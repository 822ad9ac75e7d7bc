//! Responding: plan an action into API calls, then make them through whichever AWS is
//! behind the console (the demo world, an emulator, or a real account).

pub mod guidance;
pub mod plan;

use crate::model::ApiCall;
use async_trait::async_trait;
use serde_json::Value;

/// An AWS error as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Makes one API call. The demo world, moto and real AWS all sit behind this.
#[async_trait]
pub trait ResponseApi: Send + Sync {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError>;
}

/// Makes the calls in order, stopping at the first failure. Returns a one-line result.
pub async fn execute(api: &dyn ResponseApi, calls: &[ApiCall]) -> Result<String, String> {
    let mut done = Vec::new();
    for call in calls {
        match api.call(call).await {
            Ok(_) => done.push(format!("{}:{}", call.service, call.operation)),
            Err(e) => {
                let before = if done.is_empty() {
                    String::new()
                } else {
                    format!(" (after {} succeeded)", done.join(", "))
                };
                return Err(format!(
                    "{}:{} failed — {e}{before}",
                    call.service, call.operation
                ));
            }
        }
    }
    if done.is_empty() {
        return Err("nothing to do: the action needs no API calls".into());
    }
    Ok(format!("{} ok", done.join(", ")))
}
