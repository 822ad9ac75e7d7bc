//! AWS errors in words a responder can act on: which permission is missing, which
//! endpoint cannot be reached, that the credentials expired.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

/// What kind of trouble, so callers can decide to back off, retry or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    AccessDenied,
    Throttled,
    Expired,
    NoCredentials,
    Unreachable,
    /// The endpoint answered something that is not the service's API (an emulator's
    /// "not implemented" page, a proxy's error page).
    NotTheApi,
    Other,
}

/// One failed call, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    pub kind: FailureKind,
    /// `service:Operation`.
    pub operation: String,
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsFailure {}

impl AwsFailure {
    pub fn is_throttling(&self) -> bool {
        self.kind == FailureKind::Throttled
    }
}

const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

const EXPIRED_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
];

const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "Client.UnauthorizedOperation",
    "AuthorizationError",
];

/// The permission named in an AccessDenied message ("… is not authorized to perform:
/// iam:ListUsers on resource …").
pub fn missing_permission(message: &str) -> Option<String> {
    let after = message.split("not authorized to perform: ").nth(1)?;
    let action: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
        .collect();
    action.contains(':').then_some(action)
}

/// Describes a failed SDK call to `operation` (`service:Operation`).
pub fn describe<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let full = DisplayErrorContext(err).to_string();
    // The cause that says what happened, in its own words (never a debug dump).
    let cause = innermost(err);
    let failure = |kind, code: Option<&str>, message: String| AwsFailure {
        kind,
        operation: operation.to_string(),
        code: code.map(str::to_string),
        message,
    };
    match err {
        SdkError::ServiceError(se) => {
            let code = se.err().code();
            let text = se.err().message().unwrap_or_default().to_string();
            let status = se.raw().status().as_u16();
            match code {
                Some(c) if THROTTLING_CODES.contains(&c) => failure(
                    FailureKind::Throttled,
                    code,
                    format!("{operation} throttled ({c}): backing off"),
                ),
                Some(c) if EXPIRED_CODES.contains(&c) => failure(
                    FailureKind::Expired,
                    code,
                    format!(
                        "credentials expired ({c}): refresh them (e.g. `aws sso login`) — data already loaded is kept"
                    ),
                ),
                Some(c) if DENIED_CODES.contains(&c) => {
                    let permission =
                        missing_permission(&text).unwrap_or_else(|| operation.to_string());
                    failure(
                        FailureKind::AccessDenied,
                        code,
                        format!("{c} — missing permission {permission}"),
                    )
                }
                Some(c) => failure(
                    FailureKind::Other,
                    code,
                    format!("{operation} failed: {c}: {text}"),
                ),
                None if status == 429 => failure(
                    FailureKind::Throttled,
                    None,
                    format!("{operation} throttled (HTTP 429): backing off"),
                ),
                None => failure(
                    FailureKind::NotTheApi,
                    None,
                    format!(
                        "{operation}: the endpoint answered HTTP {status} without an AWS error (not implemented there?)"
                    ),
                ),
            }
        }
        SdkError::ResponseError(re) => failure(
            FailureKind::NotTheApi,
            None,
            format!(
                "{operation}: the endpoint answered HTTP {} that is not an AWS response (not implemented there?)",
                re.raw().status().as_u16()
            ),
        ),
        SdkError::DispatchFailure(df) => {
            let lower = full.to_ascii_lowercase();
            if let Some((code, text)) = answer_in_chain(err) {
                // Getting the credentials made a call of its own (STS AssumeRole, SSO) and
                // that call was refused: its answer is what to say.
                let kind = if DENIED_CODES.contains(&code.as_str()) {
                    FailureKind::AccessDenied
                } else if EXPIRED_CODES.contains(&code.as_str()) {
                    FailureKind::Expired
                } else {
                    FailureKind::NoCredentials
                };
                failure(
                    kind,
                    Some(&code),
                    format!("no usable AWS credentials: {code}: {text}"),
                )
            } else if lower.contains("credential") || lower.contains("no credentials") {
                let kind = if lower.contains("expired") {
                    FailureKind::Expired
                } else {
                    FailureKind::NoCredentials
                };
                failure(kind, None, format!("no usable AWS credentials: {cause}"))
            } else if df.is_timeout() {
                failure(
                    FailureKind::Unreachable,
                    None,
                    format!(
                        "{operation}: the endpoint did not answer in time (network down?) — retrying"
                    ),
                )
            } else {
                failure(
                    FailureKind::Unreachable,
                    None,
                    format!(
                        "{operation}: cannot reach the endpoint ({}) — retrying",
                        cause
                    ),
                )
            }
        }
        SdkError::TimeoutError(_) => failure(
            FailureKind::Unreachable,
            None,
            format!("{operation}: timed out — retrying"),
        ),
        _ => {
            let lower = full.to_ascii_lowercase();
            let kind = if lower.contains("credential") {
                FailureKind::NoCredentials
            } else {
                FailureKind::Other
            };
            failure(kind, None, format!("{operation} failed: {cause}"))
        }
    }
}

/// An AWS service's answer somewhere in the chain of causes (the code and the message of a
/// call made on the way, such as the AssumeRole behind a role's credentials).
fn answer_in_chain(err: &(dyn std::error::Error + 'static)) -> Option<(String, String)> {
    let mut cause = err.source();
    while let Some(e) = cause {
        if let Some(meta) = e.downcast_ref::<aws_smithy_types::error::ErrorMetadata>()
            && let Some(code) = meta.code()
        {
            return Some((
                code.to_string(),
                meta.message().unwrap_or_default().to_string(),
            ));
        }
        cause = e.source();
    }
    None
}

/// The innermost cause of an error with something to say (the outer ones wrap it: "dispatch
/// failure", "io error"), shortened.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut said = err.to_string();
    let mut cause = err.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.trim().is_empty() {
            said = text;
        }
        cause = e.source();
    }
    short(&said)
}

/// At most 160 characters of a message.
fn short(full: &str) -> String {
    let last = full.trim();
    if last.len() > 160 {
        format!(
            "{}…",
            &last[..last.char_indices().nth(159).map_or(last.len(), |(i, _)| i)]
        )
    } else {
        last.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    /// IAM speaks the query protocol: errors come back as XML.
    fn iam_error(status: u16, code: &str, message: &str) -> aws_sdk_iam::Client {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
        );
        let rule = mock!(aws_sdk_iam::Client::list_users).then_http_response(move || {
            HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body.clone()),
            )
        });
        mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&rule], |c| c
            .retry_config(aws_smithy_types::retry::RetryConfig::disabled()))
    }

    async fn failure(client: aws_sdk_iam::Client) -> AwsFailure {
        let err = client.list_users().send().await.unwrap_err();
        describe("iam:ListUsers", &err)
    }

    #[tokio::test]
    async fn expired_credentials_say_to_refresh_them() {
        let f = failure(iam_error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        ))
        .await;
        assert_eq!(f.kind, FailureKind::Expired);
        assert!(
            f.message
                .starts_with("credentials expired (ExpiredToken): refresh them"),
            "{}",
            f.message
        );
        assert!(f.message.contains("data already loaded is kept"));
    }

    #[tokio::test]
    async fn access_denied_in_xml_names_the_permission() {
        let f = failure(iam_error(
            403,
            "AccessDenied",
            "User: arn:aws:iam::1:user/ro is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::1:user/",
        ))
        .await;
        assert_eq!(f.kind, FailureKind::AccessDenied);
        assert_eq!(f.message, "AccessDenied — missing permission iam:ListUsers");
    }

    #[tokio::test]
    async fn an_html_error_page_is_not_mistaken_for_the_api() {
        let rule = mock!(aws_sdk_iam::Client::list_users).then_http_response(|| {
            HttpResponse::new(
                StatusCode::try_from(500).unwrap(),
                SdkBody::from("<!doctype html><title>500 Internal Server Error</title>"),
            )
        });
        let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&rule], |c| c
            .retry_config(aws_smithy_types::retry::RetryConfig::disabled()));
        let f = failure(client).await;
        assert_eq!(f.kind, FailureKind::NotTheApi);
        assert!(f.message.contains("HTTP 500"), "{}", f.message);
    }

    #[test]
    fn the_missing_permission_is_read_from_the_message() {
        let m = "User: arn:aws:iam::123456789012:user/ro is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/";
        assert_eq!(missing_permission(m).as_deref(), Some("iam:ListUsers"));
        assert_eq!(missing_permission("Access denied"), None);
    }
}
