//! The `/warroom` bridge: slash commands and button clicks from the incident channel go
//! through the same vocabulary, resolver, executor and journal as the console. Queries are
//! answered at once; a destructive command only ever answers with buttons, and only a
//! signed click by someone allowed (and, under the two-person rule, someone else) runs it.

use super::blocks::{self, CANCEL_ACTION_ID, CONFIRM_ACTION_ID, ChatMessage};
use super::slack::SlackApi;
use super::verify::{MAX_BODY_BYTES, Rejection, SIGNATURE_HEADER, TIMESTAMP_HEADER, Verifier};
use crate::clock::SharedClock;
use crate::command::{self, Command};
use crate::journal::JournalWriter;
use crate::model::{
    Action, ActionStep, AlertStatus, AlertStatusChange, Inbound, IncidentChange, NewRecord, Note,
    Origin, Record, RecordBody, Step,
};
use crate::respond::{self, ResponseApi, plan, resolve};
use crate::state::IncidentState;
use crate::tui::pivot::Pivot;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Who may do what. Entries are Slack user IDs (`U…`, `W…`) or user group IDs (`S…`).
/// Everyone may ask questions; nobody may change anything unless listed.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// deactivate, delete-key, deny-all, revoke-sessions
    #[serde(default)]
    pub contain: Vec<String>,
    /// remediate
    #[serde(default)]
    pub remediate: Vec<String>,
    /// note, status, severity, title, ack, resolve
    #[serde(default)]
    pub annotate: Vec<String>,
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
    api: Arc<dyn ResponseApi>,
    slack: Option<SlackApi>,
    clock: SharedClock,
    groups: Mutex<HashMap<String, (Instant, Vec<String>)>>,
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

/// Who a Slack user is in the journal: attributable, readable.
pub fn actor(user_id: &str, user_name: &str) -> String {
    format!("{user_name}@slack:{user_id}")
}

/// The Slack user ID inside an actor written by [`actor`].
pub fn slack_user_of(actor: &str) -> Option<&str> {
    actor.split_once("@slack:").map(|(_, id)| id)
}

/// A short message of one sentence.
fn notice(text: &str) -> ChatMessage {
    ChatMessage {
        text: text.to_string(),
        summary: text.to_string(),
        blocks: json!([{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]),
    }
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
        Bridge {
            config,
            verifier,
            state: RwLock::new(IncidentState::default()),
            writer,
            api,
            slack,
            clock,
            groups: Mutex::new(HashMap::new()),
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

    fn journal(&self, actor: &str, bodies: Vec<RecordBody>) {
        let now = self.clock.now();
        self.writer.append(
            bodies
                .into_iter()
                .map(|b| NewRecord::new(now, actor, b))
                .collect(),
        );
    }

    fn inbound(&self, kind: &str, user: Option<&str>, text: &str, accepted: bool, detail: &str) {
        self.journal(
            "slack-bridge",
            vec![RecordBody::Inbound(Inbound {
                kind: kind.into(),
                user: user.map(str::to_string),
                text: text.into(),
                accepted,
                detail: detail.into(),
            })],
        );
    }

    /// Journals a request that failed verification. Nothing about it is trusted, so
    /// nothing from it is recorded but the reason.
    pub fn reject(&self, kind: &str, why: &Rejection) -> StatusCode {
        self.inbound(kind, None, "", false, &why.to_string());
        match why {
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNAUTHORIZED,
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
        let who = actor(user_id, user_name);
        let shown = format!("/warroom {text}");
        let cmd = match command::parse(text) {
            Ok(c) => c,
            Err(e) => {
                self.inbound("command", Some(user_id), &shown, false, &e.0);
                return Reply::refused(StatusCode::OK, &e.0);
            }
        };
        if let Some(v) = command::verb(text.split_whitespace().next().unwrap_or_default())
            .filter(|v| v.console_only)
        {
            let why = format!("`{}` only works in the console", v.name);
            self.inbound("command", Some(user_id), &shown, false, &why);
            return Reply::refused(StatusCode::OK, &why);
        }
        if let Some(answer) = self.query(&cmd) {
            self.inbound("command", Some(user_id), &shown, true, "answered");
            return Reply::answer(answer);
        }
        if let Some(change) = self.annotation(&cmd) {
            if !self.permitted(user_id, Class::Annotate).await {
                let why = "you may not change the incident: ask to be added to slack.permissions.annotate";
                self.inbound("command", Some(user_id), &shown, false, why);
                return Reply::refused(StatusCode::OK, why);
            }
            self.inbound("command", Some(user_id), &shown, true, "recorded");
            self.journal(&who, vec![change]);
            return Reply::answer(notice(&format!("Recorded: {shown}")));
        }
        let now = self.clock.now();
        let action = match resolve::action_for(&cmd, &self.state(), now) {
            Some(Ok(a)) => a,
            Some(Err(why)) => {
                self.inbound("command", Some(user_id), &shown, false, &why);
                return Reply::refused(StatusCode::OK, &why);
            }
            None => {
                let why = "not something the bridge can do";
                self.inbound("command", Some(user_id), &shown, false, why);
                return Reply::refused(StatusCode::OK, why);
            }
        };
        let class = Class::of(&action);
        if !self.permitted(user_id, class).await {
            let why = format!(
                "you may not {}: ask to be added to slack.permissions.{}",
                action.verb(),
                class.name()
            );
            self.inbound("command", Some(user_id), &shown, false, &why);
            return Reply::refused(StatusCode::OK, &why);
        }
        self.inbound(
            "command",
            Some(user_id),
            &shown,
            true,
            "asked for confirmation",
        );
        self.request(action, &who, user_id)
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
            _ => return None,
        })
    }

    /// Changes to the incident itself (no AWS call): recorded once permitted.
    fn annotation(&self, cmd: &Command) -> Option<RecordBody> {
        let state = self.state();
        let alert = |id: &Option<String>| {
            id.clone().or_else(|| {
                // Without an ID: the worst open alert.
                state
                    .alerts
                    .iter()
                    .filter(|a| a.status == AlertStatus::Open)
                    .max_by_key(|a| (a.alert.severity, a.alert.last_seen))
                    .map(|a| a.alert.id.clone())
            })
        };
        Some(match cmd {
            Command::Note(text) => RecordBody::Note(Note { text: text.clone() }),
            Command::Status(Some(s)) => RecordBody::IncidentChanged(IncidentChange::Status(*s)),
            Command::Severity(s) => RecordBody::IncidentChanged(IncidentChange::Severity(*s)),
            Command::Title(t) => RecordBody::IncidentChanged(IncidentChange::Title(t.clone())),
            Command::Ack(id) | Command::Resolve(id) => RecordBody::AlertStatus(AlertStatusChange {
                alert_id: alert(id)?,
                status: if matches!(cmd, Command::Ack(_)) {
                    AlertStatus::Acknowledged
                } else {
                    AlertStatus::Resolved
                },
            }),
            _ => return None,
        })
    }

    /// Journals the request and answers with the confirmation buttons, or refuses.
    fn request(&self, action: Action, who: &str, user_id: &str) -> Reply {
        let now = self.clock.now();
        let id = format!("act-{}-slack-{user_id}", now.format("%Y%m%dT%H%M%S%3f"));
        let calls = plan::plan(&action);
        let requested = RecordBody::Action(ActionStep {
            action_id: id.clone(),
            step: Step::Requested {
                action: action.clone(),
                origin: Origin::Slack,
                calls: calls.clone(),
            },
        });
        let step = |step| {
            RecordBody::Action(ActionStep {
                action_id: id.clone(),
                step,
            })
        };
        if self.config.read_only {
            let reason = "the bridge is read-only (--read-only)".to_string();
            self.journal(
                who,
                vec![
                    requested,
                    step(Step::Refused {
                        reason: reason.clone(),
                    }),
                ],
            );
            return Reply::refused(StatusCode::OK, &format!("Refused: {reason}"));
        }
        if let Some(reason) = plan::already_done(&action, &self.state()) {
            self.journal(
                who,
                vec![
                    requested,
                    step(Step::Noop {
                        reason: reason.clone(),
                    }),
                ],
            );
            return Reply::answer(notice(&format!("Nothing to do: {reason} (recorded)")));
        }
        self.journal(who, vec![requested]);
        let expires = now + self.config.confirm_for;
        Reply {
            status: StatusCode::OK,
            message: Some(blocks::confirm_prompt(&id, &action, &calls, who, expires)),
            in_channel: true,
            later: None,
        }
    }

    /// A button click: `button` is the button's action ID, `action_id` the journal's.
    pub async fn click(
        self: &Arc<Self>,
        user_id: &str,
        user_name: &str,
        button: &str,
        action_id: &str,
        response_url: Option<String>,
    ) -> Reply {
        let who = actor(user_id, user_name);
        let shown = format!("{button} {action_id}");
        let (action, calls, requested_by, requested_at) = {
            let state = self.state();
            match state.action(action_id) {
                Some(a) if a.is_open() && a.origin == Some(Origin::Slack) => (
                    a.action.clone(),
                    a.calls.clone(),
                    a.requested_by().unwrap_or_default().to_string(),
                    a.steps.first().map(|s| s.at),
                ),
                _ => {
                    let why = "unknown or already handled request";
                    self.inbound("interaction", Some(user_id), &shown, false, why);
                    return self.answer_via(response_url, blocks::error(why), false);
                }
            }
        };
        let Some(action) = action else {
            return Reply::refused(StatusCode::OK, "request without an action");
        };
        let step = |s| {
            vec![RecordBody::Action(ActionStep {
                action_id: action_id.to_string(),
                step: s,
            })]
        };
        let expired = requested_at.is_some_and(|t| self.clock.now() > t + self.config.confirm_for);
        if expired {
            let reason = "the confirmation expired".to_string();
            self.inbound("interaction", Some(user_id), &shown, false, &reason);
            self.journal(
                &who,
                step(Step::Refused {
                    reason: reason.clone(),
                }),
            );
            return self.answer_via(
                response_url,
                blocks::error(&format!("Not done: {reason}; ask again")),
                true,
            );
        }
        let class = Class::of(&action);
        let requester = slack_user_of(&requested_by).unwrap_or_default();
        if button == CANCEL_ACTION_ID {
            if user_id != requester && !self.permitted(user_id, class).await {
                let why = "only the requester or someone allowed may cancel";
                self.inbound("interaction", Some(user_id), &shown, false, why);
                return self.answer_via(response_url, blocks::error(why), false);
            }
            self.inbound("interaction", Some(user_id), &shown, true, "cancelled");
            self.journal(&who, step(Step::Cancelled));
            return self.answer_via(
                response_url,
                notice(&format!("Cancelled by <@{user_id}>: {}", action.describe())),
                true,
            );
        }
        if button != CONFIRM_ACTION_ID {
            let why = format!("unknown button {button}");
            self.inbound("interaction", Some(user_id), &shown, false, &why);
            return Reply::refused(StatusCode::OK, &why);
        }
        if !self.permitted(user_id, class).await {
            let why = format!(
                "you may not {}: ask to be added to slack.permissions.{}",
                action.verb(),
                class.name()
            );
            self.inbound("interaction", Some(user_id), &shown, false, &why);
            return self.answer_via(response_url, blocks::error(&why), false);
        }
        if self.config.two_person && user_id == requester {
            let why = "two-person rule: someone other than the requester must confirm";
            self.inbound("interaction", Some(user_id), &shown, false, why);
            return self.answer_via(response_url, blocks::error(why), false);
        }
        self.inbound("interaction", Some(user_id), &shown, true, "confirmed");
        self.journal(&who, step(Step::Confirmed));
        if self.config.dry_run {
            self.journal(
                &who,
                step(Step::DryRun {
                    calls: calls.clone(),
                }),
            );
            let shown: Vec<String> = calls.iter().map(|c| c.to_string()).collect();
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
        let action_id = action_id.to_string();
        let later: Later = Box::pin(async move {
            bridge
                .respond(
                    &response_url,
                    notice(&format!("Running: {}…", action.describe())),
                    true,
                )
                .await;
            let progress = {
                let (bridge, who, action_id) = (bridge.clone(), who.clone(), action_id.clone());
                move |detail: String| {
                    bridge.journal(
                        &who,
                        vec![RecordBody::Action(ActionStep {
                            action_id: action_id.clone(),
                            step: Step::Progress { detail },
                        })],
                    )
                }
            };
            let (step, text) = match respond::execute(bridge.api.as_ref(), &calls, &progress).await
            {
                Ok(detail) => (
                    Step::Succeeded {
                        detail: detail.clone(),
                    },
                    format!(
                        "Done: {} ({detail}), confirmed by <@{}>",
                        action.describe(),
                        slack_user_of(&who).unwrap_or_default()
                    ),
                ),
                Err(error) => (
                    Step::Failed {
                        error: error.clone(),
                    },
                    format!("Failed: {} — {error}", action.describe()),
                ),
            };
            bridge.journal(
                &who,
                vec![RecordBody::Action(ActionStep { action_id, step })],
            );
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
    if let Err(why) = bridge.verifier.check(
        header(headers, SIGNATURE_HEADER),
        header(headers, TIMESTAMP_HEADER),
        &bytes,
        now,
    ) {
        let status = bridge.reject(kind, &why);
        return Err((status, why.to_string()).into_response());
    }
    Ok(bytes)
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

/// The bridge's HTTP routes.
pub fn router(bridge: Arc<Bridge>) -> axum::Router {
    axum::Router::new()
        .route("/slack/commands", axum::routing::post(commands))
        .route("/slack/interactions", axum::routing::post(interactions))
        .with_state(bridge)
}

#[cfg(test)]
mod tests;
