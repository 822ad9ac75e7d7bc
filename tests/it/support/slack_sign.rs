//! Requests as Slack sends them to `warroom serve`: the bodies of a slash command and of a
//! button press, signed by the official Slack SDK for Python rather than by our own code, so
//! warroom's verifier is checked against an implementation it shares nothing with.

use super::tail;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The workspace, channel and app every fake request comes from.
pub const TEAM_ID: &str = "T0WARROOM";
pub const TEAM_DOMAIN: &str = "warroom-test";
pub const CHANNEL_ID: &str = "C0INCIDENT";
pub const CHANNEL_NAME: &str = "incident-response";
pub const API_APP_ID: &str = "A0WARROOM";
pub const COMMAND: &str = "/warroom";
/// The legacy verification token Slack still sends in every body; nothing should trust it.
pub const VERIFICATION_TOKEN: &str = "fakeVerificationToken0";
/// The `ts` of the message whose button is pressed in `interaction_body`.
pub const BUTTON_MESSAGE_TS: &str = "1700000000.000100";
pub const BUTTON_BLOCK_ID: &str = "warroom-actions";
const TRIGGER_ID: &str = "7000000000001.7000000000002.0123456789abcdef0123456789abcdef";
const ACTION_TS: &str = "1700000042.123456";

/// Signs with one short Python program; input and output are JSON so that any body, however
/// long or whatever its characters, goes through unchanged.
const SIGNER: &str = r#"
import json, sys
from slack_sdk.signature import SignatureVerifier
job = json.loads(sys.stdin.buffer.read())
verifier = SignatureVerifier(job["secret"])
signatures = [
    verifier.generate_signature(timestamp=str(r["timestamp"]), body=r["body"])
    for r in job["requests"]
]
sys.stdout.write(json.dumps(signatures))
"#;

/// How much of Python's traceback a failure shows: the error is at the end.
const TAIL_LINES: usize = 20;
/// For `post_signed`: the server under test is on loopback, so anything slower is a hang.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `X-Slack-Signature` value for `body` at `timestamp`, computed by slack_sdk's
/// `SignatureVerifier(secret).generate_signature(timestamp=…, body=…)`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut signatures = sign_all(secret, &[(timestamp, body.to_string())]);
    signatures.pop().expect("one signature per request")
}

/// Signs many at once with one Python process (tests sign dozens of requests, and starting
/// Python with slack_sdk costs a noticeable fraction of a second each time).
pub fn sign_all(secret: &str, requests: &[(i64, String)]) -> Vec<String> {
    let job = json!({
        "secret": secret,
        "requests": requests
            .iter()
            .map(|(timestamp, body)| json!({"timestamp": timestamp, "body": body}))
            .collect::<Vec<_>>(),
    });
    let output = run_python(SIGNER, job.to_string().as_bytes());
    let signatures: Vec<String> = serde_json::from_slice(&output)
        .unwrap_or_else(|e| panic!("slack_sdk's signer printed no list of signatures: {e}"));
    assert_eq!(
        signatures.len(),
        requests.len(),
        "one signature per request"
    );
    signatures
}

/// Runs `program` in the tests' virtualenv with `input` on stdin; its stdout. Secrets and
/// bodies go through stdin: never on a command line, where `ps` shows them and length is
/// limited.
fn run_python(program: &str, input: &[u8]) -> Vec<u8> {
    let python = super::python::venv().join("bin/python");
    // -I: no PYTHON* variables or user site-packages from the developer's shell.
    let mut child = Command::new(&python)
        .args(["-I", "-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", python.display()));
    // Written from a thread: a large input could fill the pipe while Python is blocked
    // writing a large output nobody reads yet.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("wait for Python");
    let written = writer.join().expect("the stdin writer does not panic");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        panic!(
            "slack_sdk's signer failed ({}):\n{}",
            output.status,
            tail(&stderr, TAIL_LINES)
        );
    }
    written.expect("write the requests to Python");
    output.stdout
}

/// The body of a slash command (`/warroom <text>`) as Slack posts it: form-encoded, with
/// Slack's field names in Slack's order.
pub fn command_body(text: &str, user_id: &str, user_name: &str, response_url: &str) -> String {
    serde_urlencoded::to_string([
        ("token", VERIFICATION_TOKEN),
        ("team_id", TEAM_ID),
        ("team_domain", TEAM_DOMAIN),
        ("channel_id", CHANNEL_ID),
        ("channel_name", CHANNEL_NAME),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", COMMAND),
        ("text", text),
        ("api_app_id", API_APP_ID),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", TRIGGER_ID),
    ])
    .expect("form-encode a slash command")
}

/// The body of a button press as Slack posts it: one form field, `payload`, holding the
/// `block_actions` interaction as JSON.
pub fn interaction_body(action_id: &str, value: &str, user_id: &str, response_url: &str) -> String {
    let payload = interaction_payload(action_id, value, user_id, response_url);
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .expect("form-encode an interaction")
}

/// A `block_actions` payload shaped like the ones Slack sends for a button in a message the
/// app posted. The user's names are made from the id: Slack sends both, tests rarely care.
pub fn interaction_payload(
    action_id: &str,
    value: &str,
    user_id: &str,
    response_url: &str,
) -> Value {
    let user_name = user_id.to_lowercase();
    json!({
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": BUTTON_MESSAGE_TS,
            "channel_id": CHANNEL_ID,
            "is_ephemeral": false,
        },
        "trigger_id": TRIGGER_ID,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": {"id": CHANNEL_ID, "name": CHANNEL_NAME},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id,
            "block_id": BUTTON_BLOCK_ID,
            "text": {"type": "plain_text", "text": action_id, "emoji": true},
            "value": value,
            "type": "button",
            "action_ts": ACTION_TS,
        }],
    })
}

/// POSTs `body` to `url` (plain `http://` on loopback) signed as Slack signs it; the status
/// and the response body.
pub async fn post_signed(url: &str, secret: &str, timestamp: i64, body: &str) -> (u16, String) {
    // Signed before the connection opens: Python's start-up is not in the timeout.
    let signature = sign(secret, timestamp, body);
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Slack-Signature", signature.as_str()),
        ("X-Slack-Request-Timestamp", &timestamp.to_string()),
        // What Slack's requests carry besides; a handler should not need them.
        ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
        ("Accept", "application/json,*/*"),
    ]
    .map(|(name, value)| (name, value.to_string()));
    post(url, &headers, body).await
}

/// A one-request HTTP/1.1 client over a bare TCP stream: `warroom serve` in tests listens on
/// loopback without TLS, and a test's request must go out exactly as written.
pub async fn post(url: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
    let (authority, path) = split_http_url(url);
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += &format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(authority).await?;
        stream.write_all(request.as_bytes()).await?;
        // Connection: close, so the response ends where the stream does.
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(HTTP_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("POST {url}: no answer within {HTTP_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    parse_response(&response).unwrap_or_else(|why| panic!("POST {url}: {why}"))
}

/// `http://127.0.0.1:8080/slack/commands` → ("127.0.0.1:8080", "/slack/commands").
fn split_http_url(url: &str) -> (&str, &str) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url}: the test client speaks plain http:// only"));
    match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    }
}

/// The status and body of a whole HTTP/1.1 response, whether its length is given or it
/// comes in chunks (axum streams some bodies).
fn parse_response(raw: &[u8]) -> Result<(u16, String), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:.200}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {head:.200}"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Joins the chunks of a chunked body (sizes in hex, each chunk followed by CRLF, a zero-size
/// chunk last).
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        // Chunk extensions (";name=value") are allowed after the size.
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        if size == 0 {
            return Ok(body);
        }
        let data = raw
            .get(line_end + 2..line_end + 2 + size)
            .ok_or("a chunk shorter than its size")?;
        body.extend_from_slice(data);
        raw = raw
            .get(line_end + 2 + size + 2..)
            .ok_or("a chunk without its CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_body_is_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw), Ok((200, "abcde".to_string())));
    }

    #[test]
    fn a_sized_body_is_taken_whole() {
        let raw = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 3\r\n\r\nno.";
        assert_eq!(parse_response(raw), Ok((401, "no.".to_string())));
    }

    #[test]
    fn urls_split_into_authority_and_path() {
        assert_eq!(
            split_http_url("http://127.0.0.1:9/slack/commands?x=1"),
            ("127.0.0.1:9", "/slack/commands?x=1")
        );
        assert_eq!(split_http_url("http://127.0.0.1:9"), ("127.0.0.1:9", "/"));
    }
}
