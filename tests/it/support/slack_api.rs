//! A fake Slack Web API (`https://slack.com/api`) on a loopback port: it records what
//! warroom posts, answers in Slack's JSON shape, and fails on cue (HTTP errors, rate limits,
//! Slack's `ok: false` errors) so the outbox's retries can be tested.
//!
//! It runs on a thread and runtime of its own, so it keeps answering while a test blocks
//! its own thread, for instance waiting on the warroom binary with `std::process::Command`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Map, Value, json};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;
use tokio::sync::oneshot;

/// Who the fake says posted: the bot user behind the token.
pub const BOT_USER_ID: &str = "U0WARROOMBOT";
pub const BOT_ID: &str = "B0WARROOMBOT";
/// The seconds of the first `ts` handed out; later ones count up from it.
const FIRST_TS_SECS: u64 = 1_700_000_000;

/// What the fake does with one chat.postMessage call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Posts the message, as Slack does when all is well.
    Ok,
    /// An HTTP error with a plain-text body, e.g. `Http(500)` or `Http(503)`.
    Http(u16),
    /// HTTP 429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// HTTP 200 with `{"ok":false,"error":…}`, e.g. `SlackError("channel_not_found")`.
    SlackError(&'static str),
}

/// One chat.postMessage call as the fake received it.
#[derive(Debug, Clone)]
pub struct Post {
    pub channel: String,
    pub text: String,
    pub thread_ts: Option<String>,
    /// `Value::Null` when the call had no blocks.
    pub blocks: Value,
    /// The `ts` Slack gave the message; `None` when the call failed.
    pub ts: Option<String>,
    /// The `Authorization` header as sent (`Bearer xoxb-…`), empty when absent.
    pub authorization: String,
    pub at: Instant,
}

/// A running fake, stopped when dropped.
pub struct FakeSlack {
    /// `http://127.0.0.1:PORT/api`: the Slack API base URL to give the client.
    pub url: String,
    /// `http://127.0.0.1:PORT`, for the response URLs.
    origin: String,
    state: Arc<Mutex<Recorded>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Everything the handlers share with the test.
#[derive(Default)]
struct Recorded {
    script: VecDeque<Answer>,
    posts: Vec<Post>,
    /// The `<id>` of each response URL posted to, and the body.
    responses: Vec<(String, Value)>,
    /// How many messages were delivered: the next `ts` follows from it.
    delivered: u64,
    /// The workspace's people, by e-mail: what `users.lookupByEmail` finds.
    users: std::collections::BTreeMap<String, String>,
    /// The e-mails `users.lookupByEmail` was asked about, in order.
    lookups: Vec<String>,
}

impl FakeSlack {
    /// Starts a fake on a free loopback port; it answers as soon as this returns.
    pub async fn start() -> FakeSlack {
        // Bound here, before returning: connections made from now on wait in the backlog
        // until the server thread accepts them, so there is no start-up race.
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port for Slack");
        listener
            .set_nonblocking(true)
            .expect("make Slack's listener non-blocking for tokio");
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        let state = Arc::new(Mutex::new(Recorded::default()));
        let (stop, stopped) = oneshot::channel();
        let app = router(state.clone());
        let thread = std::thread::Builder::new()
            .name(format!("fake-slack-{port}"))
            .spawn(move || serve(listener, app, stopped))
            .expect("start the fake Slack's thread");
        let origin = format!("http://127.0.0.1:{port}");
        FakeSlack {
            url: format!("{origin}/api"),
            origin,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Scripts the answers to the next chat.postMessage calls, in order, after any still
    /// waiting from an earlier call; after the script, every call succeeds.
    pub fn script(&self, answers: Vec<Answer>) {
        // Checked here, in the test: a bad code found in the handler would only drop the
        // connection, and the test would fail far from its cause.
        for answer in &answers {
            if let Answer::Http(code) = answer {
                assert!(
                    StatusCode::from_u16(*code).is_ok(),
                    "HTTP {code} is no status"
                );
            }
        }
        self.recorded().script.extend(answers);
    }

    /// Adds a member of the workspace, found by `users.lookupByEmail`.
    pub fn add_user(&self, email: &str, id: &str) {
        self.recorded()
            .users
            .insert(email.to_string(), id.to_string());
    }

    /// The e-mails looked up so far, in order.
    pub fn lookups(&self) -> Vec<String> {
        self.recorded().lookups.clone()
    }

    /// Every chat.postMessage received so far (including failed ones), in arrival order.
    pub fn posts(&self) -> Vec<Post> {
        self.recorded().posts.clone()
    }

    /// Only those that succeeded (what a channel member would see), with the ts they got.
    pub fn delivered(&self) -> Vec<Post> {
        let recorded = self.recorded();
        recorded
            .posts
            .iter()
            .filter(|post| post.ts.is_some())
            .cloned()
            .collect()
    }

    /// Posts made to `/response/<id>` URLs (stand-ins for Slack's response_url), as JSON;
    /// a body that is not JSON is kept as a JSON string.
    pub fn responses(&self) -> Vec<Value> {
        let recorded = self.recorded();
        recorded
            .responses
            .iter()
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// Only the posts to `response_url(id)`: a test that runs several commands can tell
    /// their answers apart.
    pub fn responses_to(&self, id: &str) -> Vec<Value> {
        let recorded = self.recorded();
        let to_id = recorded.responses.iter().filter(|(to, _)| to == id);
        to_id.map(|(_, body)| body.clone()).collect()
    }

    /// A response_url for a slash command or interaction: posts to it show up in
    /// `responses()`.
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.origin)
    }

    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        lock(&self.state)
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        // Ends the server's runtime, which closes the listener and every open connection.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in there was already printed; panicking again in drop would abort.
            let _ = thread.join();
        }
    }
}

/// A panicking handler must not make every later call, and the test's checks, panic too.
fn lock(state: &Mutex<Recorded>) -> MutexGuard<'_, Recorded> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn router(state: Arc<Mutex<Recorded>>) -> Router {
    Router::new()
        // Any verb: slack-morphism GETs some methods and POSTs others.
        .route("/api/{method}", any(api_method))
        .route("/response/{id}", post(response_url))
        .with_state(state)
}

/// The server thread: a runtime of its own until told to stop.
fn serve(listener: TcpListener, app: Router, stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the fake Slack's runtime");
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("hand the listener to tokio");
        tokio::select! {
            served = axum::serve(listener, app) => served.expect("serve the fake Slack"),
            // Also when the FakeSlack is gone without a word (the sender dropped).
            _ = stopped => {}
        }
    });
    // Dropping the runtime drops the connection tasks with it.
}

async fn api_method(
    State(state): State<Arc<Mutex<Recorded>>>,
    Path(method): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match method.as_str() {
        "chat.postMessage" => chat_post_message(&state, &headers, &body),
        "users.lookupByEmail" => lookup_by_email(&state, &headers, query.as_deref()),
        // What Slack answers for a method it does not have: here, one the fake lacks.
        _ => slack_json(json!({"ok": false, "error": "unknown_method"})),
    }
}

fn chat_post_message(state: &Mutex<Recorded>, headers: &HeaderMap, body: &[u8]) -> Response {
    let parsed = call_arguments(headers, body);
    // A body the fake cannot read is still a call: it shows in `posts()`, empty.
    let args = parsed.clone().unwrap_or_default();
    let mut post = Post {
        channel: string_arg(&args, "channel").unwrap_or_default(),
        text: string_arg(&args, "text").unwrap_or_default(),
        thread_ts: string_arg(&args, "thread_ts"),
        blocks: blocks_arg(&args),
        ts: None,
        authorization: header_text(headers, header::AUTHORIZATION),
        at: Instant::now(),
    };
    let mut recorded = lock(state);
    let response = match parsed {
        Err(error) => slack_json(json!({"ok": false, "error": error})),
        Ok(_) => match recorded.script.pop_front().unwrap_or(Answer::Ok) {
            Answer::Ok => match refusal(&post, &args) {
                Some(error) => slack_json(json!({"ok": false, "error": error})),
                None => {
                    recorded.delivered += 1;
                    let ts = nth_ts(recorded.delivered);
                    post.ts = Some(ts.clone());
                    slack_json(posted(&post, &ts))
                }
            },
            scripted => failure(&scripted),
        },
    };
    recorded.posts.push(post);
    response
}

/// `users.lookupByEmail`: a GET with `email` in the query, answered as Slack does.
fn lookup_by_email(state: &Mutex<Recorded>, headers: &HeaderMap, query: Option<&str>) -> Response {
    if !header_text(headers, header::AUTHORIZATION).starts_with("Bearer ") {
        return slack_json(json!({"ok": false, "error": "not_authed"}));
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    let Some((_, email)) = fields.into_iter().find(|(k, _)| k == "email") else {
        return slack_json(json!({"ok": false, "error": "invalid_arguments"}));
    };
    let mut recorded = lock(state);
    recorded.lookups.push(email.clone());
    match recorded.users.get(&email) {
        Some(id) => slack_json(json!({"ok": true, "user": {
            "id": id, "team_id": super::slack_sign::TEAM_ID, "name": email.split('@').next(),
            "deleted": false, "is_bot": false, "profile": {"email": email},
        }})),
        None => slack_json(json!({"ok": false, "error": "users_not_found"})),
    }
}

/// What Slack says to a call it will not post, checked in Slack's order.
fn refusal(post: &Post, args: &Map<String, Value>) -> Option<&'static str> {
    let has_token = post.authorization.starts_with("Bearer ") || args.contains_key("token");
    if !has_token {
        Some("not_authed")
    } else if post.channel.is_empty() {
        Some("channel_not_found")
    } else if post.text.is_empty() && post.blocks.is_null() {
        Some("no_text")
    } else {
        None
    }
}

/// Slack's answer to a delivered post: the channel, the new ts, and the message as stored.
fn posted(post: &Post, ts: &str) -> Value {
    let mut message = json!({
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": super::slack_sign::API_APP_ID,
        "team": super::slack_sign::TEAM_ID,
        "text": post.text,
        "ts": ts,
    });
    if let Some(thread_ts) = &post.thread_ts {
        message["thread_ts"] = json!(thread_ts);
    }
    if !post.blocks.is_null() {
        message["blocks"] = post.blocks.clone();
    }
    json!({"ok": true, "channel": post.channel, "ts": ts, "message": message})
}

fn failure(answer: &Answer) -> Response {
    match *answer {
        Answer::Ok => unreachable!("a success is not a failure"),
        Answer::Http(code) => {
            let status = StatusCode::from_u16(code).expect("a valid HTTP status code");
            let text = format!("fake Slack: scripted HTTP {code}");
            (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
        }
        Answer::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            slack_json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response(),
        Answer::SlackError(error) => slack_json(json!({"ok": false, "error": error})),
    }
}

/// The `ts` of the n-th delivered message (from 1): "1700000000.000100", then ".000200", …
/// Increasing as numbers and as strings, like Slack's within one channel.
fn nth_ts(n: u64) -> String {
    let steps_per_second = 10_000;
    let secs = FIRST_TS_SECS + n / steps_per_second;
    let micros = (n % steps_per_second) * 100;
    format!("{secs}.{micros:06}")
}

/// A Web API call's arguments, whichever way they came: slack-morphism sends JSON, but
/// Slack also takes form fields (and curl-style callers use them).
fn call_arguments(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let content_type = header_text(headers, header::CONTENT_TYPE);
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| "invalid_form_data")?;
        Ok(fields
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect())
    } else {
        match serde_json::from_slice(body) {
            Ok(Value::Object(args)) => Ok(args),
            _ => Err("invalid_json"),
        }
    }
}

fn string_arg(args: &Map<String, Value>, name: &str) -> Option<String> {
    args.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Blocks are a JSON array in a JSON call but a JSON string in a form field.
fn blocks_arg(args: &Map<String, Value>) -> Value {
    match args.get("blocks") {
        Some(Value::String(text)) => {
            serde_json::from_str(text).unwrap_or(Value::String(text.clone()))
        }
        Some(blocks) => blocks.clone(),
        None => Value::Null,
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Slack answers 200 with `application/json; charset=utf-8`, errors included.
fn slack_json(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn response_url(
    State(state): State<Arc<Mutex<Recorded>>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body);
    let value = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()));
    lock(&state).responses.push((id, value));
    slack_json(json!({"ok": true}))
}

#[cfg(test)]
mod tests {
    use super::nth_ts;

    #[test]
    fn ts_values_count_up_from_the_first() {
        assert_eq!(nth_ts(1), "1700000000.000100");
        assert_eq!(nth_ts(2), "1700000000.000200");
        assert_eq!(nth_ts(9_999), "1700000000.999900");
        assert_eq!(nth_ts(10_000), "1700000001.000000");
    }
}
