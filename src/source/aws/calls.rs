//! Reading a planned call's parameters, and turning SDK errors into the API's own.

use super::errors::{AwsFailure, describe};
use crate::model::ApiCall;
use crate::respond::ApiError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

pub fn param<'a>(call: &'a ApiCall, name: &str) -> Result<&'a str, ApiError> {
    call.params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::new(
                "ValidationError",
                format!("{} needs {name}", call.operation),
            )
        })
}

/// A list of strings (`InstanceIds`, `Groups`, …).
pub fn strings(call: &ApiCall, name: &str) -> Vec<String> {
    crate::model::strings(&call.params[name])
}

pub fn api_error(f: AwsFailure) -> ApiError {
    ApiError::new(
        f.code.clone().unwrap_or_else(|| format!("{:?}", f.kind)),
        f.message,
    )
}

/// A call whose answer is only that it was done.
pub fn acked<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    call: &ApiCall,
) -> Result<Value, ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    result.map(|_| serde_json::json!({})).map_err(failed(call))
}

/// The SDK's error as the API reported it, named by the call.
pub fn failed<E>(call: &ApiCall) -> impl Fn(SdkError<E, HttpResponse>) -> ApiError + '_
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| api_error(describe(&call.name(), &e))
}
