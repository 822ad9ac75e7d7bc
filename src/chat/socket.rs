//! Socket Mode: the bridge for responders without a public endpoint. Slack pushes commands
//! and clicks over a WebSocket opened with the app-level token, so there is no HTTP request
//! to sign; everything after that goes through the same bridge.

use super::bridge::{Bridge, Reply};
use crate::config::secret::Secret;
use slack_morphism::prelude::*;
use std::sync::Arc;

type Client = SlackHyperClient;

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let bridge = bridge_of(&states).await?;
    let user = event.user_id.to_string();
    let reply = bridge
        .command(&user, &user, event.text.as_deref().unwrap_or_default())
        .await;
    Ok(as_command_response(reply))
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<Client>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let SlackInteractionEvent::BlockActions(clicked) = event else {
        return Ok(());
    };
    let bridge = bridge_of(&states).await?;
    let Some(user) = clicked.user.as_ref().map(|u| u.id.to_string()) else {
        return Ok(());
    };
    let Some(action) = clicked.actions.as_ref().and_then(|a| a.first()) else {
        return Ok(());
    };
    let reply = bridge
        .click(
            &user,
            &user,
            action.action_id.as_ref(),
            action.value.as_deref().unwrap_or_default(),
            clicked.response_url.as_ref().map(|u| u.0.to_string()),
        )
        .await;
    if let Some(later) = reply.later {
        tokio::spawn(later);
    }
    Ok(())
}

async fn bridge_of(states: &SlackClientEventsUserState) -> UserCallbackResult<Arc<Bridge>> {
    states
        .read()
        .await
        .get_user_state::<Arc<Bridge>>()
        .cloned()
        .ok_or_else(|| "the bridge is not attached to the listener".into())
}

fn as_command_response(reply: Reply) -> SlackCommandEventResponse {
    if let Some(later) = reply.later {
        tokio::spawn(later);
    }
    let message = reply
        .message
        .unwrap_or_else(|| super::blocks::error("no answer"));
    let blocks: Vec<SlackBlock> = serde_json::from_value(message.blocks).unwrap_or_default();
    SlackCommandEventResponse::new(
        SlackMessageContent::new()
            .with_text(message.text)
            .with_blocks(blocks),
    )
    .with_response_type(if reply.in_channel {
        SlackMessageResponseType::InChannel
    } else {
        SlackMessageResponseType::Ephemeral
    })
}

/// Listens over Socket Mode until the task is dropped.
pub async fn run(bridge: Arc<Bridge>, api_url: String, app_token: Secret) {
    let connector = match SlackClientHyperConnector::new() {
        Ok(c) => c.with_slack_api_url(api_url.trim_end_matches('/')),
        Err(e) => {
            tracing::error!("socket mode: {e}");
            return;
        }
    };
    let client = Arc::new(SlackClient::new(connector));
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction);
    let environment =
        Arc::new(SlackClientEventsListenerEnvironment::new(client).with_user_state(bridge));
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new(),
        environment,
        callbacks,
    );
    let token = SlackApiToken::new(SlackApiTokenValue(app_token.expose().to_string()));
    if let Err(e) = listener.listen_for(&token).await {
        tracing::error!("socket mode: {e}");
        return;
    }
    listener.start().await;
    std::future::pending::<()>().await;
}
