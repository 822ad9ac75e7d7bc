//! Responding: plan an action into API calls, then make them through whichever AWS is
//! behind the console (the demo world, an emulator, or a real account).

pub mod guidance;
pub mod lifecycle;
pub mod plan;
pub mod resolve;

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

/// Where the state changes of a running action are reported.
pub type Progress<'a> = &'a (dyn Fn(String) + Send + Sync);

/// Makes one API call. The demo world, moto and real AWS all sit behind this.
#[async_trait]
pub trait ResponseApi: Send + Sync {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError>;

    /// After a call that starts something that runs on (a Config remediation), follows it
    /// to its end, reporting each state change. Most calls have nothing to follow.
    async fn follow(
        &self,
        _call: &ApiCall,
        _response: &Value,
        _progress: Progress<'_>,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Makes the calls in order, following each to its end, stopping at the first failure.
/// Returns a one-line result.
pub async fn execute(
    api: &dyn ResponseApi,
    calls: &[ApiCall],
    progress: Progress<'_>,
) -> Result<String, String> {
    let mut done = Vec::new();
    for call in calls {
        let outcome = match api.call(call).await {
            Ok(response) => api.follow(call, &response, progress).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => done.push(format!("{}:{}", call.service, call.operation)),
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
