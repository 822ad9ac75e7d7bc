//! The `/warroom` bridge: slash commands and button clicks from the incident channel go
//! through the same vocabulary, resolver, executor and journal as the console. Queries are
//! answered at once; a destructive command only ever answers with buttons, and only a
//! signed click by someone allowed (and, under the two-person rule, someone else) runs it.

use super::blocks::{self, CANCEL_ACTION_ID, CONFIRM_ACTION_ID, ChatMessage};
use super::slack::SlackApi;
use super::verify::{
    MAX_BODY_BYTES, MAX_SKEW_SECONDS, Rejection, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier,
};
use crate::clock::SharedClock;
pub use crate::config::Permissions;
use crate::journal::JournalWriter;
use crate::journal::Unavailable;
use crate::model::{Action, Inbound, NewRecord, Origin, Record, RecordBody};
use crate::model::{actor, printable};
use crate::respond::blast::Subject;
use crate::respond::lifecycle::{
    self, ConfirmRules, Lifecycle, NotDone, Opened, Policy, parse_confirmation_value,
};
use crate::respond::{ResponseApi, resolve};
use crate::state::IncidentState;
use crate::state::pivot::Pivot;
use crate::vocabulary::{self, Command};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The key, else the principal, of the worst open alert.
fn worst_alert_subject(state: &IncidentState) -> Option<String> {
    let id = resolve::worst_open_alert(state)?;
    let a = &state.alert(&id)?.alert;
    a.access_key_id.clone().or_else(|| a.principal.clone())
}

/// The kinds of change a permission grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Contain,
    Remediate,
    Annotate,
}

impl Class {
    fn of(action: &Action) -> Class {
        match action {
            Action::Remediate { .. } => Class::Remediate,
            _ => Class::Contain,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::Contain => "contain",
            Class::Remediate => "remediate",
            Class::Annotate => "annotate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub permissions: Permissions,
    /// The one who confirms must not be the one who asked.
    pub two_person: bool,
    /// How long a request waits for its click.
    pub confirm_for: chrono::Duration,
    pub read_only: bool,
    pub dry_run: bool,
}

/// How long a user group's membership is trusted before asking Slack again.
const GROUP_CACHE: Duration = Duration::from_secs(300);

pub struct Bridge {
    config: BridgeConfig,
    verifier: Verifier,
    state: RwLock<IncidentState>,
    writer: JournalWriter,
    lifecycle: Lifecycle,
    slack: Option<SlackApi>,
    clock: SharedClock,
    groups: Mutex<HashMap<String, (Instant, Vec<String>)>>,
    refusals: RefusalTally,
}

/// Work left to do after the HTTP answer is sent (Slack wants one within 3 seconds).
pub type Later = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The bridge's answer to one request.
pub struct Reply {
    pub status: StatusCode,
    pub message: Option<ChatMessage>,
    /// Shown to the whole channel (confirmation buttons), not only to the asker.
    pub in_channel: bool,
    pub later: Option<Later>,
}

impl Reply {
    fn answer(message: ChatMessage) -> Reply {
        Reply {
            status: StatusCode::OK,
            message: Some(message),
            in_channel: false,
            later: None,
        }
    }

    fn refused(status: StatusCode, why: &str) -> Reply {
        Reply {
            status,
            message: Some(blocks::error(why)),
            in_channel: false,
            later: None,
        }
    }
}

/// A short message of one sentence.
fn notice(text: &str) -> ChatMessage {
    ChatMessage {
        text: text.to_string(),
        summary: text.to_string(),
        blocks: json!([{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]),
    }
}

/// What Slack is told when the journal would not take a record: the change was not made.
fn not_recorded(e: &Unavailable) -> String {
    format!("Not recorded, so not done — the incident journal is not taking records: {e}")
}

impl Bridge {
    pub fn new(
        config: BridgeConfig,
        verifier: Verifier,
        writer: JournalWriter,
        api: Arc<dyn ResponseApi>,
        slack: Option<SlackApi>,
        clock: SharedClock,
    ) -> Bridge {
        let lifecycle = Lifecycle::new(
            writer.clone(),
            Some(api),
            clock.clone(),
            Policy {
                presenter: "bridge",
                read_only: config.read_only,
                dry_run: config.dry_run,
            },
        );
        Bridge {
            config,
            verifier,
            state: RwLock::new(IncidentState::default()),
            writer,
            lifecycle,
            slack,
            clock,
            groups: Mutex::new(HashMap::new()),
            refusals: RefusalTally::default(),
        }
    }

    /// Folds journal records (from the tail) into the bridge's view of the incident.
    pub fn observe(&self, records: &[Record]) {
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        for r in records {
            state.apply(r);
        }
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, IncidentState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn records(&self, who: &str, bodies: Vec<RecordBody>) -> Vec<NewRecord> {
        NewRecord::batch(self.clock.now(), who, bodies)
    }

    fn inbound_body(
        kind: &str,
        user: Option<&str>,
        text: &str,
        accepted: bool,
        detail: &str,
    ) -> RecordBody {
        RecordBody::Inbound(Inbound {
            kind: kind.into(),
            user: user.map(|u| printable(u).into_owned()),
            text: printable(text).into_owned(),
            accepted,
            detail: printable(detail).into_owned(),
            count: 1,
        })
    }

    /// Journals what a signed request asked and what became of it. Signed requests come from
    /// the workspace and name their user, so each is worth its own record.
    fn inbound(&self, kind: &str, user: Option<&str>, text: &str, accepted: bool, detail: &str) {
        let body = Self::inbound_body(kind, user, text, accepted, detail);
        self.writer.append(self.records("slack-bridge", vec![body]));
    }

    /// Counts a request that failed verification. Nothing about it is trusted, so nothing
    /// from it is kept but the reason; the counts reach the journal once a minute (see
    /// [`Bridge::flush_refusals`]), so a flood of forgeries adds a handful of records.
    pub fn reject(&self, kind: &str, why: &Rejection) -> StatusCode {
        self.refusals.count(kind, &why.to_string(), Utc::now());
        match why {
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// Journals the refusal counts of the minutes that are over (all of them when `all`).
    pub fn flush_refusals(&self, all: bool) {
        let bodies = self.refusals.take(Utc::now(), all);
        if !bodies.is_empty() {
            self.writer.append(self.records("slack-bridge", bodies));
        }
    }

    /// Whether `user` is granted `class`: listed directly or through a user group.
    async fn permitted(&self, user: &str, class: Class) -> bool {
        let list = match class {
            Class::Contain => &self.config.permissions.contain,
            Class::Remediate => &self.config.permissions.remediate,
            Class::Annotate => &self.config.permissions.annotate,
        };
        if list.iter().any(|u| u == user) {
            return true;
        }
        for group in list.iter().filter(|g| g.starts_with('S')) {
            if self.group_members(group).await.iter().any(|m| m == user) {
                return true;
            }
        }
        false
    }

    async fn group_members(&self, group: &str) -> Vec<String> {
        if let Some((at, members)) = self
            .groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(group)
            && at.elapsed() < GROUP_CACHE
        {
            return members.clone();
        }
        let Some(slack) = &self.slack else {
            return vec![];
        };
        match slack.group_members(group).await {
            Ok(members) => {
                self.groups
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(group.to_string(), (Instant::now(), members.clone()));
                members
            }
            Err(e) => {
                tracing::warn!("user group {group}: {e}");
                vec![]
            }
        }
    }

    /// A `/warroom` command from `user_id`.
    pub async fn command(&self, user_id: &str, user_name: &str, text: &str) -> Reply {
        let who = actor::slack(user_id, &printable(user_name));
        let text = printable(text).into_owned();
        let shown = format!("/warroom {text}");
        let refuse = |why: &str| {
            self.inbound("command", Some(user_id), &shown, false, why);
            Reply::refused(StatusCode::OK, why)
        };
        let cmd = match vocabulary::parse(&text) {
            Ok(c) => c,
            Err(e) => return refuse(&e.0),
        };
        if let Some(v) = vocabulary::verb(text.split_whitespace().next().unwrap_or_default())
            .filter(|v| v.console_only)
        {
            return refuse(&format!("`{}` only works in the console", v.name));
        }
        if let Some(answer) = self.query(&cmd) {
            self.inbound("command", Some(user_id), &shown, true, "answered");
            return Reply::answer(answer);
        }
        let change = {
            let state = self.state();
            resolve::annotation_for(&cmd, &state, || resolve::worst_open_alert(&state))
        };
        if let Some(change) = change {
            let change = match change {
                Ok(c) => c,
                Err(why) => return refuse(&why),
            };
            if !self.permitted(user_id, Class::Annotate).await {
                return refuse(
                    "you may not change the incident: ask to be added to slack.permissions.annotate",
                );
            }
            let accepted = Self::inbound_body("command", Some(user_id), &shown, true, "recorded");
            let mut records = self.records("slack-bridge", vec![accepted]);
            records.extend(self.records(&who, vec![change]));
            // "Recorded" only once it is.
            return match self.writer.commit(records).await {
                Ok(_) => Reply::answer(notice(&format!("Recorded: {shown}"))),
                Err(e) => Reply::refused(StatusCode::OK, &not_recorded(&e)),
            };
        }
        if let Command::Veto(id) = &cmd {
            return self.veto(user_id, &who, &shown, id.as_deref()).await;
        }
        let now = self.clock.now();
        // `contain` without a target is about the worst open alert's key or principal.
        let cmd = match cmd {
            Command::Contain(None) => Command::Contain(worst_alert_subject(&self.state())),
            other => other,
        };
        let action = match resolve::action_for(&cmd, &self.state(), now) {
            Some(Ok(a)) => a,
            Some(Err(why)) => return refuse(&why),
            None => return refuse("not something the bridge can do"),
        };
        let class = Class::of(&action);
        if !self.permitted(user_id, class).await {
            return refuse(&format!(
                "you may not {}: ask to be added to slack.permissions.{}",
                action.verb(),
                class.name()
            ));
        }
        self.inbound(
            "command",
            Some(user_id),
            &shown,
            true,
            "asked for confirmation",
        );
        self.request(action, &who).await
    }

    /// `/warroom veto [id]`: cancels an unattended response before it runs.
    async fn veto(&self, user_id: &str, who: &str, shown: &str, id: Option<&str>) -> Reply {
        let found = {
            let state = self.state();
            crate::respond::unattended::to_veto(&state, id)
                .map(|v| (v.id.clone(), v.action.clone()))
        };
        let refuse = |why: &str| {
            self.inbound("command", Some(user_id), shown, false, why);
            Reply::refused(StatusCode::OK, why)
        };
        let (id, action) = match found {
            Ok((id, Some(action))) => (id, action),
            Ok((_, None)) => return refuse("that request names no action"),
            Err(why) => return refuse(&why),
        };
        if !self.permitted(user_id, Class::of(&action)).await {
            return refuse(&format!(
                "you may not veto {}: ask to be added to slack.permissions.{}",
                action.verb(),
                Class::of(&action).name()
            ));
        }
        match self.lifecycle.cancel(&id, &action.fingerprint(), who).await {
            Ok(_) => {
                self.inbound("command", Some(user_id), shown, true, "vetoed");
                Reply::answer(notice(&format!(
                    "Vetoed by <@{user_id}>: {}",
                    action.describe()
                )))
            }
            Err(e) => refuse(&e.to_string()),
        }
    }

    /// Answers to questions: nothing to permit, nothing to change.
    fn query(&self, cmd: &Command) -> Option<ChatMessage> {
        let state = self.state();
        Some(match cmd {
            Command::Help => blocks::help(),
            Command::Status(None) => blocks::status(&state),
            Command::Alerts => blocks::alerts(&state),
            Command::Findings => blocks::findings(&state),
            Command::Keys(user) => blocks::keys(&state, user.as_deref()),
            Command::Timeline(n) => blocks::timeline(&state, n.unwrap_or(10)),
            Command::Pivot(target) => blocks::pivot(&state, &Pivot::parse(target)),
            Command::Blast(target) => {
                match target.clone().or_else(|| worst_alert_subject(&state)) {
                    Some(t) => blocks::blast(&state, &Subject::parse(&t)),
                    None => {
                        blocks::error("No open alert names a principal: blast <principal|key-id>")
                    }
                }
            }
            _ => return None,
        })
    }

    /// Journals the request and answers with the confirmation buttons — only once the
    /// request is in the journal — or refuses.
    async fn request(&self, action: Action, who: &str) -> Reply {
        let wall_expiry = Utc::now() + self.config.confirm_for;
        // Decided under the read lock; written after it is let go.
        let opening = lifecycle::open(
            action,
            Origin::Slack,
            self.lifecycle.policy(),
            &self.state(),
            Some(wall_expiry),
        );
        let opening = match self.lifecycle.journal(who, opening).await {
            Ok(o) => o,
            Err(e) => return Reply::refused(StatusCode::OK, &not_recorded(&e)),
        };
        match opening.outcome {
            Opened::Refused { reason } => {
                Reply::refused(StatusCode::OK, &format!("Refused: {reason}"))
            }
            Opened::Noop { reason } => {
                Reply::answer(notice(&format!("Nothing to do: {reason} (recorded)")))
            }
            Opened::Awaiting => Reply {
                status: StatusCode::OK,
                message: Some(blocks::confirm_prompt(
                    &opening.id,
                    &opening.action,
                    &opening.calls,
                    who,
                    self.clock.now() + self.config.confirm_for,
                )),
                in_channel: true,
                later: None,
            },
        }
    }

    /// A button click: `button` is the button's action ID, `value` names the request and
    /// what it does (see [`confirmation_value`](crate::respond::lifecycle::confirmation_value)).
    pub async fn click(
        self: &Arc<Self>,
        user_id: &str,
        user_name: &str,
        button: &str,
        value: &str,
        response_url: Option<String>,
    ) -> Reply {
        let who = actor::slack(user_id, &printable(user_name));
        let shown = printable(&format!("{button} {value}")).into_owned();
        let refuse = |why: &str, replace: bool| {
            self.inbound("interaction", Some(user_id), &shown, false, why);
            self.answer_via(response_url.clone(), blocks::error(why), replace)
        };
        if button != CONFIRM_ACTION_ID && button != CANCEL_ACTION_ID {
            let why = format!("unknown button {}", printable(button));
            self.inbound("interaction", Some(user_id), &shown, false, &why);
            return Reply::refused(StatusCode::OK, &why);
        }
        let Some((id, fingerprint)) = parse_confirmation_value(value) else {
            return refuse(
                "this button names no request and action: ask again for fresh buttons",
                false,
            );
        };
        let view = match self.lifecycle.open_request(id, fingerprint).await {
            Ok(v) if v.origin == Origin::Slack => v,
            // An unattended response can be vetoed from its announcement, not run early.
            Ok(v) if v.origin == Origin::Policy && button == CANCEL_ACTION_ID => v,
            Ok(_) => return refuse("that request was not made from Slack", false),
            Err(e) => return refuse(&e.to_string(), false),
        };
        let class = Class::of(&view.action);
        let what = view.action.describe();
        if button == CANCEL_ACTION_ID {
            let requester = actor::slack_user_of(&view.requested_by).unwrap_or_default();
            if user_id != requester && !self.permitted(user_id, class).await {
                return refuse("only the requester or someone allowed may cancel", false);
            }
            return match self.lifecycle.cancel(id, fingerprint, &who).await {
                Ok(_) => {
                    let (done, word) = if view.origin == Origin::Policy {
                        ("vetoed", "Vetoed")
                    } else {
                        ("cancelled", "Cancelled")
                    };
                    self.inbound("interaction", Some(user_id), &shown, true, done);
                    self.answer_via(
                        response_url,
                        notice(&format!("{word} by <@{user_id}>: {what}")),
                        true,
                    )
                }
                Err(e) => refuse(&e.to_string(), false),
            };
        }
        if !self.permitted(user_id, class).await {
            let why = format!(
                "you may not {}: ask to be added to slack.permissions.{}",
                view.action.verb(),
                class.name()
            );
            return refuse(&why, false);
        }
        let rules = ConfirmRules {
            two_person: self.config.two_person,
            confirm_for: Some(self.config.confirm_for),
        };
        let view = match self.lifecycle.confirm(id, fingerprint, &who, &rules).await {
            Ok(v) => v,
            Err(e @ NotDone::Expired) => {
                return refuse(&format!("Not done: {e}"), true);
            }
            Err(e) => return refuse(&e.to_string(), false),
        };
        self.inbound("interaction", Some(user_id), &shown, true, "confirmed");
        if self.lifecycle.policy().dry_run {
            let shown: Vec<String> = view.calls.iter().map(|c| c.to_string()).collect();
            return self.answer_via(
                response_url,
                notice(&format!(
                    "Dry run — would call:\n```{}```",
                    shown.join("\n")
                )),
                true,
            );
        }
        let bridge = self.clone();
        let later: Later = Box::pin(async move {
            bridge
                .respond(&response_url, notice(&format!("Running: {what}…")), true)
                .await;
            let text = match bridge.lifecycle.execute(&view, &who).await {
                Ok(detail) => format!(
                    "Done: {what} ({detail}), confirmed by <@{}>",
                    actor::slack_user_of(&who).unwrap_or_default()
                ),
                Err(error) => format!("Failed: {what} — {error}"),
            };
            bridge.respond(&response_url, notice(&text), true).await;
        });
        Reply {
            status: StatusCode::OK,
            message: None,
            in_channel: false,
            later: Some(later),
        }
    }

    /// Answers a click through its `response_url` after the HTTP answer.
    fn answer_via(
        self: &Arc<Self>,
        response_url: Option<String>,
        message: ChatMessage,
        replace: bool,
    ) -> Reply {
        let bridge = self.clone();
        Reply {
            status: StatusCode::OK,
            message: None,
            in_channel: false,
            later: Some(Box::pin(async move {
                bridge.respond(&response_url, message, replace).await;
            })),
        }
    }

    async fn respond(&self, response_url: &Option<String>, message: ChatMessage, replace: bool) {
        if let (Some(slack), Some(url)) = (&self.slack, response_url)
            && let Err(e) = slack.respond(url, &message, replace).await
        {
            tracing::warn!("response_url: {e}");
        }
    }
}

/// Refused, unverified requests counted per minute, kind and reason.
#[derive(Default)]
struct RefusalTally {
    counts: Mutex<std::collections::BTreeMap<(i64, String, String), u64>>,
}

impl RefusalTally {
    fn count(&self, kind: &str, why: &str, now: DateTime<Utc>) {
        let minute = now.timestamp().div_euclid(60);
        *self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((minute, kind.to_string(), why.to_string()))
            .or_default() += 1;
    }

    /// One record per minute, kind and reason, for the minutes before `now`'s (all, when
    /// `all`), forgotten once taken.
    fn take(&self, now: DateTime<Utc>, all: bool) -> Vec<RecordBody> {
        let current = now.timestamp().div_euclid(60);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let keep = if all {
            std::collections::BTreeMap::new()
        } else {
            counts.split_off(&(current, String::new(), String::new()))
        };
        let taken = std::mem::replace(&mut *counts, keep);
        taken
            .into_iter()
            .map(|((minute, kind, why), count)| {
                let at = DateTime::from_timestamp(minute * 60, 0).unwrap_or_default();
                RecordBody::Inbound(Inbound {
                    kind: kind.clone(),
                    user: None,
                    text: format!(
                        "unverified requests in the minute from {}",
                        at.format("%H:%M UTC")
                    ),
                    accepted: false,
                    detail: why,
                    count,
                })
            })
            .collect()
    }
}

/// The fields of a slash command's form body that the bridge reads.
#[derive(Debug, Deserialize)]
struct CommandForm {
    user_id: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    response_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InteractionForm {
    payload: String,
}

/// Reads the body up to the limit; `None` when it is larger.
async fn read_body(body: Body) -> Option<Bytes> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Verifies a request: its body, or the response that refuses it.
async fn verified(
    bridge: &Bridge,
    kind: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Response> {
    let Some(bytes) = read_body(body).await else {
        let status = bridge.reject(kind, &Rejection::TooLarge);
        return Err((status, Rejection::TooLarge.to_string()).into_response());
    };
    let now = chrono::Utc::now().timestamp();
    let signature = header(headers, SIGNATURE_HEADER);
    let signed_at =
        match bridge
            .verifier
            .check(signature, header(headers, TIMESTAMP_HEADER), &bytes, now)
        {
            Ok(t) => t,
            Err(why) => {
                let status = bridge.reject(kind, &why);
                return Err((status, why.to_string()).into_response());
            }
        };
    // Replays are remembered in the journal: refused after a restart too, and by every
    // bridge on the incident.
    let forget_before = now - 2 * MAX_SKEW_SECONDS;
    match bridge
        .writer
        .remember_request(signature.unwrap_or_default(), signed_at, forget_before)
        .await
    {
        Ok(true) => Ok(bytes),
        Ok(false) => {
            let status = bridge.reject(kind, &Rejection::Replayed);
            Err((status, Rejection::Replayed.to_string()).into_response())
        }
        Err(e) => {
            tracing::error!("replay check: {e}");
            // Counted like the other refusals: the count reaches the journal when it can,
            // or is named on exit as a record that could not be written.
            bridge
                .refusals
                .count(kind, "the journal was not taking records", Utc::now());
            Err((StatusCode::SERVICE_UNAVAILABLE, not_recorded(&e)).into_response())
        }
    }
}

fn malformed(bridge: &Bridge, kind: &str, why: String) -> Response {
    bridge.inbound(kind, None, "", false, &format!("malformed body: {why}"));
    (StatusCode::BAD_REQUEST, format!("malformed body: {why}")).into_response()
}

fn respond_json(reply: Reply) -> Response {
    if let Some(later) = reply.later {
        tokio::spawn(later);
    }
    match reply.message {
        None => reply.status.into_response(),
        Some(m) => (
            reply.status,
            axum::Json(json!({
                "response_type": if reply.in_channel { "in_channel" } else { "ephemeral" },
                "text": m.text,
                "blocks": m.blocks,
            })),
        )
            .into_response(),
    }
}

async fn commands(State(bridge): State<Arc<Bridge>>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match verified(&bridge, "command", &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let form: CommandForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(e) => return malformed(&bridge, "command", e.to_string()),
    };
    let reply = bridge
        .command(&form.user_id, &form.user_name, &form.text)
        .await;
    let _ = form.response_url;
    respond_json(reply)
}

async fn interactions(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match verified(&bridge, "interaction", &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let payload: Value = match serde_urlencoded::from_bytes::<InteractionForm>(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|f| serde_json::from_str(&f.payload).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => return malformed(&bridge, "interaction", e),
    };
    let text = |p: &str| {
        payload
            .pointer(p)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (Some(user), Some(button), Some(value)) = (
        text("/user/id"),
        text("/actions/0/action_id"),
        text("/actions/0/value"),
    ) else {
        return malformed(
            &bridge,
            "interaction",
            "not a button click (no user or action)".into(),
        );
    };
    let name = text("/user/username")
        .or(text("/user/name"))
        .unwrap_or_default();
    let reply = bridge
        .click(&user, &name, &button, &value, text("/response_url"))
        .await;
    respond_json(reply)
}

/// For load balancers and supervisors: the bridge is up and its journal takes records.
async fn healthz(State(bridge): State<Arc<Bridge>>) -> Response {
    match bridge.writer.commit(Vec::new()).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("journal: {e}\n")).into_response(),
    }
}

/// The bridge's HTTP routes.
pub fn router(bridge: Arc<Bridge>) -> axum::Router {
    axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/slack/commands", axum::routing::post(commands))
        .route("/slack/interactions", axum::routing::post(interactions))
        .with_state(bridge)
}

#[cfg(test)]
mod tests;
