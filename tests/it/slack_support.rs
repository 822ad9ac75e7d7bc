//! The Slack test support checked against real implementations: slack-morphism's client
//! talks to the fake Web API, slack-morphism's verifier accepts slack_sdk's signatures, and
//! the fake request bodies parse as slack-morphism's event models.

use crate::support::slack_api::{Answer, FakeSlack};
use crate::support::slack_sign::{self, command_body, interaction_body, post_signed, sign};
use axum::http::HeaderMap;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const BOT_TOKEN: &str = "xoxb-1111-2222-fakebottoken";
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const CHANNEL: &str = "C0INCIDENT";

/// The client as warroom builds it, pointed at the fake: plain http:// needs
/// `https_or_http`, which slack-morphism's own `SlackClientHyperConnector::new()` refuses.
fn client(fake: &FakeSlack) -> SlackHyperClient {
    SlackClient::new(connector().with_slack_api_url(&fake.url))
}

/// The crypto provider is named: with both of rustls' back ends in the build, the plain
/// `with_native_roots()` panics ("Could not automatically determine the process-level
/// CryptoProvider") unless something installed a process-wide default first.
fn connector() -> SlackClientHyperHttpsConnector {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .expect("the system's root certificates")
        .https_or_http()
        .enable_http1()
        .build();
    SlackClientHyperConnector::with_connector(https)
}

fn bot_token() -> SlackApiToken {
    SlackApiToken::new(BOT_TOKEN.into())
}

fn text_message(channel: &str, text: &str) -> SlackApiChatPostMessageRequest {
    SlackApiChatPostMessageRequest::new(
        channel.into(),
        SlackMessageContent::new().with_text(text.into()),
    )
}

fn now() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    since_epoch.as_secs() as i64
}

#[tokio::test]
async fn the_client_posts_into_the_fake() {
    let fake = FakeSlack::start().await;
    let client = client(&fake);
    let token = bot_token();
    let session = client.open_session(&token);

    let first = session
        .chat_post_message(&text_message(CHANNEL, "Incident opened"))
        .await
        .expect("post the thread's first message");
    let reply = text_message(CHANNEL, "Disabled access key AKIA…").with_thread_ts(first.ts.clone());
    let second = session
        .chat_post_message(&reply)
        .await
        .expect("post a reply in the thread");

    assert_eq!(first.channel.to_string(), CHANNEL);
    assert_eq!(first.ts.to_string(), "1700000000.000100");
    assert_eq!(second.ts.to_string(), "1700000000.000200");
    assert_eq!(second.message.origin.thread_ts, Some(first.ts.clone()));
    let posts = fake.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].channel, CHANNEL);
    assert_eq!(posts[0].text, "Incident opened");
    assert_eq!(posts[0].thread_ts, None);
    assert_eq!(posts[0].authorization, format!("Bearer {BOT_TOKEN}"));
    assert_eq!(posts[1].text, "Disabled access key AKIA…");
    assert_eq!(posts[1].thread_ts.as_deref(), Some("1700000000.000100"));
    assert_eq!(posts[1].ts.as_deref(), Some("1700000000.000200"));
    assert!(posts[0].blocks.is_null());
}

#[tokio::test]
async fn blocks_arrive_as_sent() {
    let fake = FakeSlack::start().await;
    let client = client(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let blocks = slack_blocks![some_into(
        SlackSectionBlock::new().with_text(md!("*Contain* the key?"))
    )];
    let request = SlackApiChatPostMessageRequest::new(
        CHANNEL.into(),
        SlackMessageContent::new()
            .with_text("Contain the key?".into())
            .with_blocks(blocks),
    );

    session.chat_post_message(&request).await.expect("post");

    let post = &fake.delivered()[0];
    assert_eq!(post.blocks[0]["type"], "section");
    assert_eq!(post.blocks[0]["text"]["text"], "*Contain* the key?");
}

#[tokio::test]
async fn scripted_failures_surface_as_the_client_errors() {
    let fake = FakeSlack::start().await;
    fake.script(vec![
        Answer::Http(500),
        Answer::RateLimited {
            retry_after_secs: 2,
        },
        Answer::SlackError("channel_not_found"),
    ]);
    let client = client(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let message = text_message(CHANNEL, "Incident opened");

    match session.chat_post_message(&message).await {
        Err(SlackClientError::HttpError(e)) => assert_eq!(e.status_code.as_u16(), 500),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    match session.chat_post_message(&message).await {
        Err(SlackClientError::RateLimitError(e)) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
            assert_eq!(e.code.as_deref(), Some("ratelimited"));
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    match session.chat_post_message(&message).await {
        Err(SlackClientError::ApiError(e)) => assert_eq!(e.code, "channel_not_found"),
        other => panic!("expected a Slack API error, got {other:?}"),
    }
    // The script is used up: from here on Slack is healthy.
    let delivered = session.chat_post_message(&message).await.expect("post");

    assert_eq!(delivered.ts.to_string(), "1700000000.000100");
    let posts = fake.posts();
    assert_eq!(posts.len(), 4, "failed calls are recorded too");
    assert!(posts[..3].iter().all(|post| post.ts.is_none()));
    assert_eq!(fake.delivered().len(), 1);
}

/// Without rate control the client never retries (above); with it, a 429 is retried after
/// the Retry-After the fake sent.
#[tokio::test]
async fn the_rate_controlled_client_waits_out_retry_after() {
    let fake = FakeSlack::start().await;
    fake.script(vec![Answer::RateLimited {
        retry_after_secs: 1,
    }]);
    let retry_once = SlackApiRateControlConfig::new().with_max_retries(1);
    let connector = connector()
        .with_slack_api_url(&fake.url)
        .with_rate_control(retry_once);
    let client = SlackClient::new(connector);
    let token = bot_token();
    let session = client.open_session(&token);

    session
        .chat_post_message(&text_message(CHANNEL, "Incident opened"))
        .await
        .expect("delivered on the retry");

    let posts = fake.posts();
    assert_eq!(posts.len(), 2);
    let waited = posts[1].at - posts[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn the_fake_refuses_what_slack_refuses() {
    let fake = FakeSlack::start().await;
    let url = format!("{}/chat.postMessage", fake.url);
    let form = [(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];

    let (status, body) = slack_sign::post(&url, &form, "channel=C0INCIDENT&text=hi").await;
    assert_eq!(status, 200);
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        answer,
        serde_json::json!({"ok": false, "error": "not_authed"})
    );

    let bearer = [
        form[0].clone(),
        ("Authorization", format!("Bearer {BOT_TOKEN}")),
    ];
    let (_, body) = slack_sign::post(&url, &bearer, "channel=C0INCIDENT").await;
    assert!(body.contains("no_text"), "{body}");
    let (_, body) = slack_sign::post(&url, &bearer, "channel=C0INCIDENT&text=hi").await;
    assert!(body.contains(r#""ok":true"#), "{body}");

    let (_, body) = slack_sign::post(&format!("{}/auth.test", fake.url), &bearer, "").await;
    assert!(body.contains("unknown_method"), "{body}");
    assert_eq!(fake.posts().len(), 3);
    assert_eq!(fake.delivered()[0].text, "hi");
}

#[tokio::test]
async fn response_urls_are_recorded() {
    let fake = FakeSlack::start().await;
    let json = [("Content-Type", "application/json".to_string())];

    let (status, _) = slack_sign::post(&fake.response_url("a1"), &json, r#"{"text":"one"}"#).await;
    slack_sign::post(&fake.response_url("b2"), &json, r#"{"text":"two"}"#).await;

    assert_eq!(status, 200);
    assert_eq!(fake.responses().len(), 2);
    assert_eq!(
        fake.responses_to("b2"),
        vec![serde_json::json!({"text": "two"})]
    );
}

#[test]
fn slack_sdk_signatures_verify_with_slack_morphism() {
    let verifier = SlackEventSignatureVerifier::new(&SECRET.into());
    let timestamp = now();
    let bodies = [
        command_body(
            "contain i-0abc",
            "U0ALICE",
            "alice",
            "http://127.0.0.1:1/response/x",
        ),
        interaction_body(
            "approve",
            "plan-7",
            "U0ALICE",
            "http://127.0.0.1:1/response/y",
        ),
        "non-ASCII: é ✓ 🚨 & = + %".to_string(),
        String::new(),
    ];
    let requests: Vec<(i64, String)> = bodies.iter().map(|b| (timestamp, b.clone())).collect();

    let signatures = slack_sign::sign_all(SECRET, &requests);

    let ts = timestamp.to_string();
    for (signature, body) in signatures.iter().zip(&bodies) {
        assert!(signature.starts_with("v0="), "{signature}");
        let verified = verifier.verify(signature, body, &ts);
        assert!(verified.is_ok(), "{body:?}: {verified:?}");
    }
    assert_eq!(sign(SECRET, timestamp, &bodies[0]), signatures[0]);
    // And the check is a real one: another secret, body or time does not pass.
    let other_secret = sign("another-secret", timestamp, &bodies[0]);
    assert!(verifier.verify(&other_secret, &bodies[0], &ts).is_err());
    assert!(verifier.verify(&signatures[0], &bodies[1], &ts).is_err());
    let stale = sign(SECRET, timestamp - 600, &bodies[0]);
    let stale_ts = (timestamp - 600).to_string();
    assert!(verifier.verify(&stale, &bodies[0], &stale_ts).is_err());
}

#[test]
fn command_bodies_parse_as_slash_commands() {
    let body = command_body(
        "contain i-0abc & more",
        "U0ALICE",
        "alice",
        "https://hooks.example/1",
    );

    let event: SlackCommandEvent = serde_urlencoded::from_str(&body).expect("a slash command");
    assert_eq!(event.command.to_string(), "/warroom");
    assert_eq!(event.text.as_deref(), Some("contain i-0abc & more"));
    assert_eq!(event.user_id.to_string(), "U0ALICE");
    assert_eq!(event.channel_id.to_string(), slack_sign::CHANNEL_ID);
    assert_eq!(event.team_id.to_string(), slack_sign::TEAM_ID);
    assert_eq!(event.response_url.0.as_str(), "https://hooks.example/1");
    // Slack's own field names, in its order, as a handler reading the form sees them.
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "token",
            "team_id",
            "team_domain",
            "channel_id",
            "channel_name",
            "user_id",
            "user_name",
            "command",
            "text",
            "api_app_id",
            "is_enterprise_install",
            "response_url",
            "trigger_id"
        ]
    );
    assert!(body.contains("command=%2Fwarroom"), "{body}");
}

#[test]
fn interaction_bodies_parse_as_block_actions() {
    let body = interaction_body("approve", "plan-7", "U0ALICE", "https://hooks.example/2");

    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("a form");
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].0, "payload");
    let event: SlackInteractionEvent =
        serde_json::from_str(&fields[0].1).expect("an interaction event");
    let SlackInteractionEvent::BlockActions(event) = event else {
        panic!("not block_actions: {event:?}");
    };
    assert_eq!(event.user.as_ref().unwrap().id.to_string(), "U0ALICE");
    assert_eq!(event.team.id.to_string(), slack_sign::TEAM_ID);
    assert_eq!(event.api_app_id.to_string(), slack_sign::API_APP_ID);
    let SlackInteractionActionContainer::Message(container) = &event.container else {
        panic!("not a message container: {:?}", event.container);
    };
    assert_eq!(
        container.message_ts.to_string(),
        slack_sign::BUTTON_MESSAGE_TS
    );
    assert_eq!(
        event.response_url.unwrap().0.as_str(),
        "https://hooks.example/2"
    );
    let action = &event.actions.unwrap()[0];
    assert_eq!(action.action_id.to_string(), "approve");
    assert_eq!(action.value.as_deref(), Some("plan-7"));
    assert_eq!(action.action_type.to_string(), "button");
    assert_eq!(
        action.block_id.as_ref().unwrap().to_string(),
        slack_sign::BUTTON_BLOCK_ID
    );
}

/// What a request reached the handler with.
#[derive(Default, Clone)]
struct Seen {
    headers: HeaderMap,
    body: String,
}

#[tokio::test]
async fn post_signed_reaches_a_handler_with_its_headers() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let recorder = seen.clone();
    // A stand-in for `warroom serve`: it keeps the request and checks the signature with
    // slack-morphism's verifier.
    let handler = move |headers: HeaderMap, body: String| async move {
        let verifier = SlackEventSignatureVerifier::new(&SECRET.into());
        let header = |name: &str| headers[name].to_str().unwrap().to_string();
        let verified = verifier.verify(
            &header("x-slack-signature"),
            &body,
            &header("x-slack-request-timestamp"),
        );
        *recorder.lock().unwrap() = Seen { headers, body };
        match verified {
            Ok(()) => (axum::http::StatusCode::OK, "verified".to_string()),
            Err(e) => (axum::http::StatusCode::UNAUTHORIZED, e.to_string()),
        }
    };
    let app = axum::Router::new().route("/slack/commands", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slack/commands", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let body = command_body(
        "status",
        "U0ALICE",
        "alice",
        "http://127.0.0.1:1/response/z",
    );
    let timestamp = now();

    let (status, answer) = post_signed(&url, SECRET, timestamp, &body).await;
    let (wrong_status, _) = post_signed(&url, "not-the-secret", timestamp, &body).await;

    server.abort();
    assert_eq!((status, answer.as_str()), (200, "verified"));
    assert_eq!(wrong_status, 401);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.body, body);
    assert_eq!(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        seen.headers["x-slack-request-timestamp"],
        timestamp.to_string()
    );
    assert!(
        seen.headers["x-slack-signature"]
            .to_str()
            .unwrap()
            .starts_with("v0=")
    );
}
