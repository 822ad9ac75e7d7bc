//! The Slack Web API through slack-morphism: posting to the incident thread, answering a
//! command's `response_url`, reading a user group's members. Errors are sorted into what
//! to wait out and what to fix.

use super::blocks::ChatMessage;
use crate::config::secret::Secret;
use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Why a call did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackFailure {
    /// HTTP 429: wait as long as Slack says.
    #[error("rate limited by Slack{}", .retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// Slack or the network is having trouble: try again later.
    #[error("{0}")]
    Temporary(String),
    /// Slack refused the request as made (bad token, unknown channel): retrying the same
    /// request changes nothing until someone fixes the configuration.
    #[error("{0}")]
    Refused(String),
    /// A direct message's recipient is not someone Slack can write to (no user has the
    /// e-mail, the user is gone): it never will be.
    #[error("{0}")]
    NoRecipient(String),
}

/// Slack API errors that mean a direct message has nobody to go to.
const NO_RECIPIENT: &[&str] = &[
    "users_not_found",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
];

type Connector = SlackClientHyperConnector<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;

#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
}

/// Slack API errors that no amount of waiting fixes.
const REFUSALS: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "missing_scope",
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "no_permission",
];

impl SlackApi {
    /// A client of the API at `api_url` (plain http is allowed, for local stand-ins).
    pub fn new(api_url: &str, bot_token: &Secret) -> std::io::Result<SlackApi> {
        // Two TLS back ends are linked (the AWS SDK brings its own): name the one to use.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let connector = SlackClientHyperConnector::with_connector(https)
            .with_slack_api_url(api_url.trim_end_matches('/'));
        Ok(SlackApi {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue(bot_token.expose().to_string())),
        })
    }

    /// Posts a message; in `thread_ts`'s thread when given. Returns the new message's `ts`.
    pub async fn post(
        &self,
        channel: &str,
        thread_ts: Option<&str>,
        text: &str,
        blocks: &Value,
    ) -> Result<String, SlackFailure> {
        let blocks: Vec<SlackBlock> = serde_json::from_value(blocks.clone()).map_err(|e| {
            SlackFailure::Refused(format!("message blocks are not valid Block Kit: {e}"))
        })?;
        let request = SlackApiChatPostMessageRequest::new(
            channel.into(),
            SlackMessageContent::new()
                .with_text(text.to_string())
                .with_blocks(blocks),
        )
        .opt_thread_ts(thread_ts.map(|t| t.into()));
        let session = self.client.open_session(&self.token);
        session
            .chat_post_message(&request)
            .await
            .map(|r| r.ts.to_string())
            .map_err(classify)
    }

    /// Answers through a command's or a click's `response_url` (no token needed: the URL
    /// is the credential).
    pub async fn respond(
        &self,
        response_url: &str,
        message: &ChatMessage,
        replace_original: bool,
    ) -> Result<(), SlackFailure> {
        let blocks: Vec<SlackBlock> =
            serde_json::from_value(message.blocks.clone()).map_err(|e| {
                SlackFailure::Refused(format!("answer blocks are not valid Block Kit: {e}"))
            })?;
        let url: url::Url = response_url
            .parse()
            .map_err(|e| SlackFailure::Refused(format!("bad response_url: {e}")))?;
        let request = SlackApiPostWebhookMessageRequest::new(
            SlackMessageContent::new()
                .with_text(message.text.clone())
                .with_blocks(blocks),
        )
        .with_replace_original(replace_original);
        self.client
            .respond_to_event(&SlackResponseUrl(url), &request)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// The Slack user with this e-mail address (`users.lookupByEmail`).
    pub async fn user_by_email(&self, email: &str) -> Result<String, SlackFailure> {
        let session = self.client.open_session(&self.token);
        session
            .users_lookup_by_email(&SlackApiUsersLookupByEmailRequest::new(EmailAddress(
                email.to_string(),
            )))
            .await
            .map(|r| r.user.id.to_string())
            .map_err(|e| match classify(e) {
                SlackFailure::NoRecipient(_) => {
                    SlackFailure::NoRecipient(format!("no Slack user has the e-mail {email}"))
                }
                other => other,
            })
    }

    /// The members of a user group (`S…`).
    pub async fn group_members(&self, group: &str) -> Result<Vec<String>, SlackFailure> {
        let session = self.client.open_session(&self.token);
        session
            .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new(group.into()))
            .await
            .map(|r| r.users.into_iter().map(|u| u.to_string()).collect())
            .map_err(classify)
    }
}

fn classify(e: SlackClientError) -> SlackFailure {
    match e {
        SlackClientError::RateLimitError(r) => SlackFailure::RateLimited {
            retry_after: r.retry_after,
        },
        SlackClientError::ApiError(api) if NO_RECIPIENT.contains(&api.code.as_str()) => {
            SlackFailure::NoRecipient(format!("Slack has no such recipient: {}", api.code))
        }
        SlackClientError::ApiError(api) if REFUSALS.contains(&api.code.as_str()) => {
            SlackFailure::Refused(format!("Slack refused: {}", api.code))
        }
        SlackClientError::ApiError(api) => {
            SlackFailure::Temporary(format!("Slack said: {}", api.code))
        }
        SlackClientError::HttpError(h) if h.status_code.is_client_error() => {
            SlackFailure::Refused(format!("Slack answered HTTP {}", h.status_code.as_u16()))
        }
        SlackClientError::HttpError(h) => {
            SlackFailure::Temporary(format!("Slack answered HTTP {}", h.status_code.as_u16()))
        }
        other => SlackFailure::Temporary(format!("cannot reach Slack: {other}")),
    }
}
