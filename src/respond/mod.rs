//! Responding: plan an action into API calls, then make them through whichever AWS is
//! behind the console (the demo world, an emulator, or a real account).

pub mod blast;
pub mod contain;
pub mod guidance;
pub mod lifecycle;
pub mod plan;
pub mod resolve;
pub mod unattended;

use crate::model::{ApiCall, Bindings};
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
/// Where each call of a step that makes several is reported as it is made.
pub type Made<'a> = &'a (dyn Fn(&ApiCall, String) + Send + Sync);

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

/// Makes one step's planned calls in order — each with the values earlier calls bound,
/// once per value of a `$name[]` list — following each to its end and stopping at the first
/// failure. A call whose error says the thing is not there counts as nothing to do. Each
/// call is reported to `made_call` as it is made, values filled in (the journal's record of
/// exactly what ran). Returns a one-line result.
pub async fn execute(
    api: &dyn ResponseApi,
    calls: &[ApiCall],
    progress: Progress<'_>,
    made_call: Made<'_>,
) -> Result<String, String> {
    let mut done: Vec<String> = Vec::new();
    let mut bound = Bindings::new();
    for planned in calls {
        let made = planned
            .instantiate(&bound)
            .map_err(|e| format!("{} cannot be made: it {e}", planned.name()))?;
        for call in made {
            let outcome = match api.call(&call).await {
                Ok(answer) => api.follow(&call, &answer, progress).await.map(|()| answer),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(answer) => {
                    planned.bind_answer(&answer, &mut bound);
                    made_call(&call, format!("{call} ok{}", bound_names(planned, &bound)));
                    done.push(call.name());
                }
                Err(e) if call.absent_on.contains(&e.code) => {
                    made_call(&call, format!("{call}: not there ({e}), nothing to do"));
                    done.push(format!("{} (nothing to do)", call.name()));
                }
                Err(e) => {
                    let before = if done.is_empty() {
                        String::new()
                    } else {
                        format!(" (after {} succeeded)", done.join(", "))
                    };
                    return Err(format!("{} failed — {e}{before}", call.name()));
                }
            }
        }
    }
    if done.is_empty() {
        return Err("nothing to do: the action needs no API calls".into());
    }
    Ok(format!("{} ok", summarise(&done)))
}

/// " → $vpc=vpc-1, $original=[…]": what a call bound, for the journal (so an isolation's
/// original groups are kept where an undo can find them).
fn bound_names(call: &ApiCall, bound: &Bindings) -> String {
    let parts: Vec<String> = call
        .binds
        .keys()
        .filter_map(|n| bound.get(n).map(|v| format!("${n}={v}")))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" → {}", parts.join(", "))
    }
}

/// "iam:ListAccessKeys, iam:DeleteAccessKey ×2, iam:DeleteUser": repeats counted.
fn summarise(done: &[String]) -> String {
    let mut out: Vec<(String, usize)> = Vec::new();
    for d in done {
        match out.last_mut() {
            Some((last, n)) if last == d => *n += 1,
            _ => out.push((d.clone(), 1)),
        }
    }
    out.into_iter()
        .map(|(d, n)| if n == 1 { d } else { format!("{d} ×{n}") })
        .collect::<Vec<_>>()
        .join(", ")
}
