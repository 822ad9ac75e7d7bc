//! Every Slack message warroom sends, as Block Kit JSON.
//!
//! The incident thread is read on phones, often at night. So every message puts the
//! important fact first, keeps its lines short, puts API calls and fixes in code blocks,
//! and escapes every piece of text that came from a responder or from AWS, so that it
//! can neither ping a channel nor forge a link. Slack's size limits are enforced here, not
//! by the sender: a message built by this module is never refused for its size.

use crate::command::VERBS;
use crate::model::{
    Action, ActionStep, Alert, AlertStatus, AlertStatusChange, ApiCall, CloudTrailEvent, Finding,
    IncidentChange, IncidentOpened, IncidentStatus, KeySnapshot, KeyStatus, Note, Origin, Record,
    RecordBody, Severity, Step,
};
use crate::respond::guidance;
use crate::state::pivot::Pivot;
use crate::state::{EntryKind, IncidentState, TimelineEntry};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The `action_id` of the button that confirms a pending action.
pub const CONFIRM_ACTION_ID: &str = "warroom-confirm";
/// The `action_id` of the button that cancels a pending action.
pub const CANCEL_ACTION_ID: &str = "warroom-cancel";

/// Slack's limits (Block Kit reference): a message over any of them is refused whole.
pub const MAX_BLOCKS: usize = 50;
pub const MAX_SECTION_TEXT: usize = 3000;
pub const MAX_HEADER_TEXT: usize = 150;
pub const MAX_BUTTON_TEXT: usize = 75;
pub const MAX_BUTTON_VALUE: usize = 2000;
const MAX_CONFIRM_TITLE: usize = 100;
const MAX_CONFIRM_TEXT: usize = 300;
const MAX_CONFIRM_BUTTON: usize = 30;

/// The notification line: what a lock screen shows, so one short line.
const MAX_FALLBACK: usize = 300;
/// Items a list answer shows before "and N more": a phone screen or two.
const LIST_CAP: usize = 10;
/// One list line at most: longer ones wrap into a wall of text on a phone.
const MAX_LINE: usize = 240;
/// The calls behind an alert shown in its message: enough to see what is going on.
const ALERT_CALLS_SHOWN: usize = 3;
/// Actions `status` lists.
const STATUS_ACTIONS_SHOWN: usize = 3;
/// Resources named per rule in the findings answer.
const RESOURCES_PER_RULE: usize = 5;

/// One message for the incident thread or for a `/warroom` reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    /// The notification fallback: one line, Slack-escaped, at most 300 characters.
    pub text: String,
    /// One line for the console's own display (not escaped; at most 300 characters).
    pub summary: String,
    /// A JSON array of Block Kit blocks.
    pub blocks: Value,
}

impl ChatMessage {
    /// The one-line summary drives both the console line and the notification text, so
    /// the two never disagree.
    fn new(summary: impl AsRef<str>, blocks: Blocks) -> ChatMessage {
        let summary = clip_plain(&one_line(summary.as_ref()), MAX_FALLBACK);
        ChatMessage {
            text: clip_mrkdwn(&escape(&summary), MAX_FALLBACK),
            summary,
            blocks: blocks.finish(),
        }
    }
}

/// How the incident thread is mirrored.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorOptions {
    /// Alerts below this severity stay in the console.
    pub min_alert_severity: Severity,
    /// IAM principal name → Slack user ID, for mentions
    pub mentions: BTreeMap<String, String>,
}

impl Default for MirrorOptions {
    fn default() -> Self {
        MirrorOptions {
            min_alert_severity: Severity::Info,
            mentions: BTreeMap::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Text: escaping, clipping, formatting.

/// Escapes the three characters Slack gives meaning to. After this, user text cannot
/// become `<!channel>`, `<@U…>` or a disguised link.
pub fn escape(s: &str) -> String {
    crate::model::printable(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Collapses newlines and runs of spaces: fallback text, headers and list lines are one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts plain text to `max` characters, ending with "…" when cut.
fn clip_plain(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Cuts escaped mrkdwn to `max` characters without leaving half an entity (`&am`) or half
/// a mention or link (`<@U12`), which Slack would show as garbage or refuse.
fn clip_mrkdwn(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    loop {
        let len = cut.len();
        if let Some(amp) = cut.rfind('&')
            && !cut[amp..].contains(';')
        {
            cut.truncate(amp);
        }
        if let Some(lt) = cut.rfind('<')
            && !cut[lt..].contains('>')
        {
            cut.truncate(lt);
        }
        if cut.len() == len {
            break;
        }
    }
    cut.push('…');
    cut
}

/// Inline code. A backtick inside would end the span early, so it becomes a quote.
fn code(s: &str) -> String {
    format!("`{}`", escape(&s.replace('`', "'")))
}

/// Bold. An asterisk inside would end the emphasis early, so it is dropped.
fn bold(s: &str) -> String {
    format!("*{}*", escape(&s.replace('*', "")))
}

/// A fenced code block whose body fits `max` characters with its fences.
fn code_block(raw: &str, max: usize) -> String {
    // Three backticks inside would close the fence: break them up.
    let body = escape(&raw.replace("```", "`\u{200b}``"));
    let body = clip_mrkdwn(&body, max.saturating_sub(8));
    format!("```\n{body}\n```")
}

fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn hm_utc(t: DateTime<Utc>) -> String {
    t.format("%H:%M UTC").to_string()
}

fn date_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A time in a list: the date too when the list spans more than one day, so that
/// yesterday's 09:02 is not read as this morning's.
fn list_time(t: DateTime<Utc>, dated: bool) -> String {
    if dated {
        t.format("%m-%d %H:%M").to_string()
    } else {
        hms(t)
    }
}

fn spans_days<'a>(mut times: impl Iterator<Item = &'a DateTime<Utc>>) -> bool {
    let Some(first) = times.next() else {
        return false;
    };
    times.any(|t| t.date_naive() != first.date_naive())
}

/// "07:38–08:12 UTC", or with dates when the two are on different days.
fn span(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    if first.date_naive() != last.date_naive() {
        format!(
            "{} – {} UTC",
            first.format("%m-%d %H:%M"),
            last.format("%m-%d %H:%M")
        )
    } else if first.format("%H:%M").to_string() == last.format("%H:%M").to_string() {
        hm_utc(last)
    } else {
        format!("{}–{}", first.format("%H:%M"), hm_utc(last))
    }
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":red_circle:",
        Severity::High => ":large_orange_circle:",
        Severity::Medium => ":large_yellow_circle:",
        Severity::Low => ":large_blue_circle:",
        Severity::Info => ":white_circle:",
    }
}

fn severity_word(s: Severity) -> String {
    s.as_str().to_uppercase()
}

fn dollars_per_hour(usd: f64) -> String {
    format!("≈ ${usd:.0}/hour")
}

/// "and 3 more" after a capped list.
fn and_more(n: usize) -> Option<String> {
    (n > 0).then(|| format!("_…and {n} more_"))
}

/// A Slack user mention for a principal, when the configuration maps it. IDs are
/// checked for shape so a bad config entry cannot inject markup.
fn mention(opts: &MirrorOptions, names: &[String]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| opts.mentions.get(n))
        .find(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|id| format!("<@{id}>"))
}

// ---------------------------------------------------------------------------------------
// Blocks: one helper per block kind.

fn plain_text(s: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": clip_plain(&one_line(s), max), "emoji": true})
}

/// mrkdwn text that is already escaped. `verbatim` stops Slack from turning bare names
/// and URLs into mentions and links on its own: only the mentions built here ping.
fn mrkdwn(s: &str, max: usize) -> Value {
    json!({"type": "mrkdwn", "text": clip_mrkdwn(s, max), "verbatim": true})
}

fn button(text: &str, action_id: &str, value: &str) -> Value {
    json!({
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text, MAX_BUTTON_TEXT),
        "value": clip_plain(value, MAX_BUTTON_VALUE),
    })
}

/// The dialog Slack shows before a button's click counts.
fn confirm_dialog(title: &str, text: &str, confirm: &str, deny: &str) -> Value {
    json!({
        "title": plain_text(title, MAX_CONFIRM_TITLE),
        "text": plain_text(text, MAX_CONFIRM_TEXT),
        "confirm": plain_text(confirm, MAX_CONFIRM_BUTTON),
        "deny": plain_text(deny, MAX_CONFIRM_BUTTON),
        "style": "danger",
    })
}

/// A message's blocks, built in reading order.
#[derive(Default)]
struct Blocks(Vec<Value>);

impl Blocks {
    fn header(&mut self, text: &str) -> &mut Self {
        self.0
            .push(json!({"type": "header", "text": plain_text(text, MAX_HEADER_TEXT)}));
        self
    }

    /// A section of escaped mrkdwn. Slack refuses empty text, so empty text adds nothing.
    fn section(&mut self, text: impl AsRef<str>) -> &mut Self {
        let text = text.as_ref();
        if !text.trim().is_empty() {
            self.0
                .push(json!({"type": "section", "text": mrkdwn(text, MAX_SECTION_TEXT)}));
        }
        self
    }

    /// Raw text shown exactly, in a code block.
    fn code(&mut self, raw: &str) -> &mut Self {
        if !raw.trim().is_empty() {
            self.section(code_block(raw, MAX_SECTION_TEXT));
        }
        self
    }

    /// Small grey print: who, when, where from.
    fn context(&mut self, text: impl AsRef<str>) -> &mut Self {
        let text = text.as_ref();
        if !text.trim().is_empty() {
            self.0
                .push(json!({"type": "context", "elements": [mrkdwn(text, MAX_SECTION_TEXT)]}));
        }
        self
    }

    fn divider(&mut self) -> &mut Self {
        self.0.push(json!({"type": "divider"}));
        self
    }

    fn actions(&mut self, elements: Vec<Value>) -> &mut Self {
        self.0
            .push(json!({"type": "actions", "elements": elements}));
        self
    }

    /// Lines of escaped mrkdwn, packed into as few sections as the text limit allows, so
    /// a long list neither breaks the limit nor spends the block budget.
    fn lines(&mut self, lines: impl IntoIterator<Item = String>) -> &mut Self {
        let mut current = String::new();
        for line in lines {
            let line = clip_mrkdwn(&line, MAX_SECTION_TEXT);
            let needed = current.chars().count() + 1 + line.chars().count();
            if !current.is_empty() && needed > MAX_SECTION_TEXT {
                self.section(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(&line);
        }
        self.section(current)
    }

    /// The blocks as a JSON array, cut to Slack's block budget with a note saying so.
    fn finish(mut self) -> Value {
        if self.0.len() > MAX_BLOCKS {
            let dropped = self.0.len() - (MAX_BLOCKS - 1);
            self.0.truncate(MAX_BLOCKS - 1);
            self.context(format!(
                "_…{dropped} more blocks not shown: the console has the rest_"
            ));
        }
        Value::Array(self.0)
    }
}

// ---------------------------------------------------------------------------------------
// The incident thread: one message per record that deserves one.

/// The message a journal record deserves in the incident thread, if any. `before` is the
/// incident state BEFORE `rec` is applied (so an alert can be told apart from its update).
pub fn message_for(
    rec: &Record,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    // No catch-all arm: a new kind of record has to be decided on here.
    match &rec.body {
        RecordBody::IncidentOpened(o) => Some(opened(rec, o, before)),
        RecordBody::IncidentChanged(c) => Some(changed(rec, c, before)),
        RecordBody::Note(n) => Some(note(rec, n)),
        RecordBody::Action(s) => Some(action_step(rec, s, before)),
        RecordBody::Alert(a) => alert_raised(a, before, opts),
        RecordBody::AlertStatus(c) => alert_status(rec, c, before, opts),
        RecordBody::Finding(f) => finding(f, before, opts),
        RecordBody::Key(k) => key_changed(rec, k, before),
        // The raw feed is too loud for a thread; alerts and findings speak for it.
        RecordBody::Event(_)
        | RecordBody::User(_)
        | RecordBody::SourceStatus(_)
        | RecordBody::ChatQueued(_)
        | RecordBody::ChatDelivery(_)
        | RecordBody::Inbound(_)
        | RecordBody::Unknown { .. } => None,
    }
}

fn source_words(source: &str) -> String {
    match source {
        "demo" => "the demo (a simulated AWS account)".into(),
        "live" => "the live AWS account (CloudTrail, IAM, Config)".into(),
        other => escape(other),
    }
}

fn opened(rec: &Record, o: &IncidentOpened, before: &IncidentState) -> ChatMessage {
    let mut b = Blocks::default();
    b.header(&format!(":rotating_light: {}", o.title))
        .section(format!(
            "{} *{}* severity · {}",
            severity_icon(o.severity),
            severity_word(o.severity),
            before.meta.status
        ))
        .section(
            "Every alert, action and note of this incident lands in this thread.\n\
             Ask: `/warroom status` · `/warroom alerts` · `/warroom help`",
        )
        .context(format!(
            "Incident {} · opened {} by {} · facts from {}",
            code(&o.id),
            date_utc(rec.at),
            escape(&rec.actor),
            source_words(&o.source)
        ));
    ChatMessage::new(format!("Incident opened: {} ({})", o.title, o.severity), b)
}

fn changed(rec: &Record, c: &IncidentChange, before: &IncidentState) -> ChatMessage {
    let meta = &before.meta;
    let (field, old, new) = match c {
        IncidentChange::Title(t) => ("Title", meta.title.clone(), t.clone()),
        IncidentChange::Severity(s) => ("Severity", meta.severity.to_string(), s.to_string()),
        IncidentChange::Status(s) => ("Status", meta.status.to_string(), s.to_string()),
    };
    let icon = match c {
        IncidentChange::Status(IncidentStatus::Resolved) => ":white_check_mark:",
        IncidentChange::Status(_) => ":traffic_light:",
        IncidentChange::Severity(s) => severity_icon(*s),
        IncidentChange::Title(_) => ":pencil2:",
    };
    let mut b = Blocks::default();
    b.section(format!("{icon} *{field}* → {}", bold(&new)))
        .context(format!(
            "was {} · by {} · {}",
            escape(&old),
            escape(&rec.actor),
            hm_utc(rec.at)
        ));
    ChatMessage::new(format!("{field} set to {new} by {}", rec.actor), b)
}

fn note(rec: &Record, n: &Note) -> ChatMessage {
    let mut b = Blocks::default();
    b.section(format!(
        ":memo: {}: {}",
        bold(&rec.actor),
        escape(n.text.trim())
    ))
    .context(hm_utc(rec.at));
    ChatMessage::new(format!("{}: {}", rec.actor, n.text), b)
}

fn origin_words(origin: Origin) -> &'static str {
    match origin {
        Origin::Tui => "the console",
        Origin::Slack => "Slack",
        Origin::Cli => "the command line",
    }
}

/// The calls exactly as they will be made, one a line.
fn calls_text(calls: &[ApiCall]) -> String {
    calls
        .iter()
        .map(ApiCall::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn step_label(step: &Step) -> (&'static str, &'static str) {
    match step {
        Step::Requested { .. } => (":hourglass_flowing_sand:", "Requested"),
        Step::Confirmed => (":ballot_box_with_check:", "Confirmed"),
        Step::Progress { .. } => (":arrows_counterclockwise:", "In progress"),
        Step::Cancelled => (":heavy_multiplication_x:", "Cancelled"),
        Step::Refused { .. } => (":no_entry:", "Refused"),
        Step::Noop { .. } => (":heavy_minus_sign:", "Nothing to do"),
        Step::DryRun { .. } => (":test_tube:", "Dry run"),
        Step::Succeeded { .. } => (":white_check_mark:", "Done"),
        Step::Failed { .. } => (":x:", "Failed"),
    }
}

fn action_step(rec: &Record, s: &ActionStep, before: &IncidentState) -> ChatMessage {
    let view = before.action(&s.action_id);
    let action = match &s.step {
        Step::Requested { action, .. } => Some(action),
        _ => view.and_then(|v| v.action.as_ref()),
    };
    let what = action
        .map(Action::describe)
        .unwrap_or_else(|| format!("action {}", s.action_id));
    let (icon, label) = step_label(&s.step);
    let by = format!("{} · {}", escape(&rec.actor), hm_utc(rec.at));
    let mut b = Blocks::default();
    b.section(format!("{icon} *{label}:* {}", escape(&what)));
    match &s.step {
        Step::Requested { origin, calls, .. } => {
            b.context(format!(
                "by {} from {} · {}",
                escape(&rec.actor),
                origin_words(*origin),
                hm_utc(rec.at)
            ));
            b.code(&calls_text(calls));
        }
        Step::Confirmed => {
            let requester = view.and_then(|v| v.requested_by());
            let who = match requester {
                Some(r) if r != rec.actor => format!(
                    "by {} · requested by {} · two people agreed",
                    escape(&rec.actor),
                    escape(r)
                ),
                _ => format!("by {}, who requested it", escape(&rec.actor)),
            };
            b.context(format!("{who} · {}", hm_utc(rec.at)));
        }
        Step::Refused { reason } | Step::Noop { reason } => {
            b.section(escape(reason)).context(by);
        }
        Step::Progress { detail } | Step::Succeeded { detail } => {
            b.section(escape(detail)).context(by);
        }
        Step::Failed { error } => {
            b.code(error).context(by);
        }
        Step::DryRun { calls } => {
            b.section("Nothing was changed. These calls would have been made:")
                .code(&calls_text(calls))
                .context(by);
        }
        Step::Cancelled => {
            b.context(by);
        }
    }
    let detail = match &s.step {
        Step::Refused { reason } | Step::Noop { reason } => format!(": {reason}"),
        Step::Failed { error } => format!(": {error}"),
        Step::Progress { detail } | Step::Succeeded { detail } if !detail.is_empty() => {
            format!(": {detail}")
        }
        _ => String::new(),
    };
    ChatMessage::new(format!("{label}: {what} ({}){detail}", rec.actor), b)
}

/// The `/warroom` commands that answer an alert, in playbook order: stop the key, block
/// the principal whatever credentials it holds, end its live sessions, then review what
/// it did and created.
fn suggested_responses(a: &Alert, before: &IncidentState) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(k) = &a.access_key_id
        && !before.key_is_inactive(k)
    {
        out.push((format!("deactivate {k}"), "stop the key"));
    }
    if let Some(p) = &a.principal {
        match crate::respond::resolve::principal_named(p, before) {
            Some(crate::model::PrincipalRef::User(u)) => {
                out.push((format!("deny-all {u}"), "block the user, any credentials"));
                out.push((
                    format!("revoke-sessions {u}"),
                    "end sessions already issued",
                ));
            }
            Some(crate::model::PrincipalRef::Role(r)) => {
                out.push((
                    format!("revoke-sessions role/{r}"),
                    "end the role's live sessions",
                ));
            }
            None => {}
        }
    }
    let target = a
        .access_key_id
        .clone()
        .or_else(|| a.principal.clone())
        .or_else(|| a.source_ip.clone());
    if let Some(t) = target {
        out.push((format!("pivot {t}"), "review what it did and created"));
    }
    out
}

/// One CloudTrail call in a list: when, what, where, by whom (unless the list is all one
/// principal's), and how it failed.
fn event_line(e: &CloudTrailEvent, dated: bool, by: bool) -> String {
    let mut line = format!(
        "{} {} {}",
        code(&list_time(e.event_time, dated)),
        escape(e.service()),
        bold(&e.event_name)
    );
    if !e.aws_region.is_empty() {
        line.push_str(&format!(" ({})", escape(&e.aws_region)));
    }
    if by {
        line.push_str(&format!(" by {}", escape(&e.identity.display())));
    }
    if let Some(err) = &e.error_code {
        line.push_str(&format!(" — {}", escape(err)));
    }
    line
}

fn alert_raised(a: &Alert, before: &IncidentState, opts: &MirrorOptions) -> Option<ChatMessage> {
    if a.severity < opts.min_alert_severity {
        return None;
    }
    let icon = severity_icon(a.severity);
    let sev = severity_word(a.severity);
    let title = escape(&a.title.replace('*', ""));
    // Same order as the state's fold: a resolved alert that fires again is reopened.
    let (headline, summary) = match before.alert(&a.id) {
        None => (
            format!("{icon} *{sev} · {title}*"),
            format!("Alert {}", a.severity),
        ),
        Some(p) if p.status == AlertStatus::Resolved && a.last_seen > p.alert.last_seen => (
            format!("{icon} *Reopened, {sev} · {title}*"),
            format!("Alert reopened ({})", a.severity),
        ),
        Some(p) if a.severity > p.alert.severity => (
            format!(
                "{icon} *Escalated {} → {sev} · {title}*",
                severity_word(p.alert.severity),
            ),
            format!("Alert escalated to {}", a.severity),
        ),
        Some(_) => return None,
    };
    let mut b = Blocks::default();
    b.section(headline).section(escape(&a.explanation));
    b.lines(alert_facts(a, before));
    let calls: Vec<&CloudTrailEvent> = a
        .event_ids
        .iter()
        .rev()
        .filter_map(|id| before.event(id))
        .take(ALERT_CALLS_SHOWN)
        .map(|e| e.as_ref())
        .collect();
    let dated = spans_days(calls.iter().map(|e| &e.event_time));
    // The alert already names its principal: the calls need not repeat it.
    let shown: Vec<String> = calls.iter().map(|e| event_line(e, dated, false)).collect();
    if !shown.is_empty() {
        let more = a.event_ids.len().saturating_sub(shown.len());
        b.lines(
            std::iter::once("*Latest calls*".to_string())
                .chain(shown.into_iter().rev())
                .chain(and_more(more)),
        );
    }
    let responses = suggested_responses(a, before);
    if !responses.is_empty() {
        b.lines(
            std::iter::once("*Respond*".to_string()).chain(responses.iter().enumerate().map(
                |(i, (cmd, why))| {
                    format!("{}. {} — {why}", i + 1, code(&format!("/warroom {cmd}")))
                },
            )),
        );
    }
    b.context(format!("Rule {} · alert {}", code(&a.rule), code(&a.id)));
    Some(ChatMessage::new(format!("{summary}: {}", a.title), b))
}

/// Who, which key, from where, how often, at what cost: one short line each.
fn alert_facts(a: &Alert, before: &IncidentState) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(p) = &a.principal {
        facts.push(format!("*Who* {}", escape(p)));
    }
    if let Some(k) = &a.access_key_id {
        let state = before
            .key(k)
            .map(|s| format!(" ({})", s.status.as_str()))
            .unwrap_or_default();
        facts.push(format!("*Key* {}{state}", code(k)));
    }
    if let Some(ip) = &a.source_ip {
        facts.push(format!("*From* {}", escape(ip)));
    }
    let times = span(a.first_seen, a.last_seen);
    facts.push(format!(
        "*Seen* {} time{} · {times}",
        a.count,
        plural(a.count as usize)
    ));
    if let Some(usd) = a.spend_per_hour {
        facts.push(format!("*Spend* {}", dollars_per_hour(usd)));
    }
    facts
}

fn alert_status(
    rec: &Record,
    c: &AlertStatusChange,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    // The state ignores changes to unknown alerts; so does the thread, and it stays quiet
    // about alerts it never announced or that are already where the change puts them.
    let view = before.alert(&c.alert_id)?;
    if view.alert.severity < opts.min_alert_severity || view.status == c.status {
        return None;
    }
    let (icon, word) = match c.status {
        AlertStatus::Acknowledged => (":eyes:", "Acknowledged"),
        AlertStatus::Resolved => (":white_check_mark:", "Resolved"),
        AlertStatus::Open => (":leftwards_arrow_with_hook:", "Reopened"),
    };
    let mut b = Blocks::default();
    b.section(format!("{icon} *{word}:* {}", escape(&view.alert.title)))
        .context(format!(
            "by {} · {} · alert {}",
            escape(&rec.actor),
            hm_utc(rec.at),
            code(&c.alert_id)
        ));
    Some(ChatMessage::new(
        format!("Alert {word} by {}: {}", rec.actor, view.alert.title),
        b,
    ))
}

fn finding(f: &Finding, before: &IncidentState, opts: &MirrorOptions) -> Option<ChatMessage> {
    let prior = before
        .findings
        .iter()
        .find(|p| p.rule == f.rule && p.resource_id == f.resource_id);
    match prior {
        None if f.is_non_compliant() && f.remediation.is_none() => fix_as_code(f, before, opts),
        Some(p) if p.is_non_compliant() && f.compliance == "COMPLIANT" => Some(compliant_again(f)),
        _ => None,
    }
}

/// A finding no remediation can fix: the fix as code, and who to ask to apply it.
fn fix_as_code(f: &Finding, before: &IncidentState, opts: &MirrorOptions) -> Option<ChatMessage> {
    let known = guidance::for_rule(&f.rule);
    let (why, snippet) = match (&known, &f.guidance) {
        (Some(g), _) => (g.summary.to_string(), g.code.to_string()),
        (None, Some(code)) => (f.rule_description.clone(), code.clone()),
        (None, None) => return None,
    };
    let mut b = Blocks::default();
    b.section(format!(
        ":warning: {} fails {}",
        code(&f.resource_id),
        bold(&f.rule)
    ))
    .context(format!(
        "{} · {} · no automatic remediation",
        escape(&f.resource_type),
        escape(&f.region)
    ));
    if let Some(a) = &f.annotation {
        b.section(escape(a));
    }
    b.section(format!("*The fix* {}", escape(&why)))
        .code(&snippet)
        .section(creator_line(&f.resource_id, before, opts));
    Some(ChatMessage::new(
        format!("{} fails {}: fix as code", f.resource_id, f.rule),
        b,
    ))
}

/// Who created a resource, from the CloudTrail call that made it, mentioning them when
/// their Slack user is known: they own the stack the fix goes into.
fn creator_line(resource: &str, before: &IncidentState, opts: &MirrorOptions) -> String {
    match before.creator_of(resource) {
        Some(e) => {
            let names = [e.identity.display(), e.identity.principal_name()];
            let who = mention(opts, &names)
                .map(|m| format!(" {m}"))
                .unwrap_or_default();
            format!(
                "*Created by* {}{who}\n{} on {}",
                escape(&names[0]),
                escape(&e.event_name),
                date_utc(e.event_time)
            )
        }
        None => "_Creator unknown: its Create call is not in the loaded CloudTrail history._"
            .to_string(),
    }
}

fn compliant_again(f: &Finding) -> ChatMessage {
    let mut b = Blocks::default();
    b.section(format!(
        ":white_check_mark: {} now complies with {}",
        code(&f.resource_id),
        bold(&f.rule)
    ));
    let when = f.evaluated_at.map(hm_utc).unwrap_or_default();
    let why = f.annotation.as_deref().map(escape).unwrap_or_default();
    b.context(
        [why, when]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
    );
    ChatMessage::new(format!("{} now complies with {}", f.resource_id, f.rule), b)
}

fn key_changed(rec: &Record, k: &KeySnapshot, before: &IncidentState) -> Option<ChatMessage> {
    let old = before.key(&k.access_key_id)?.status;
    if old == k.status {
        return None;
    }
    // A key coming back to life during an incident is a warning, not good news.
    let icon = match k.status {
        KeyStatus::Inactive => ":lock:",
        KeyStatus::Deleted => ":wastebasket:",
        KeyStatus::Active => ":warning:",
    };
    let mut b = Blocks::default();
    b.section(format!(
        "{icon} Access key {} of {} is now *{}*",
        code(&k.access_key_id),
        bold(&k.user),
        k.status.as_str()
    ))
    .context(format!("was {} · IAM at {}", old.as_str(), hm_utc(rec.at)));
    Some(ChatMessage::new(
        format!(
            "Access key {} of {} is now {}",
            k.access_key_id,
            k.user,
            k.status.as_str()
        ),
        b,
    ))
}

// ---------------------------------------------------------------------------------------
// Answers to `/warroom` queries.

/// The vocabulary, as typed in Slack (console-only verbs left out).
pub fn help() -> ChatMessage {
    let mut b = Blocks::default();
    b.section("*warroom commands* — type them after `/warroom`");
    b.lines(VERBS.iter().filter(|v| !v.console_only).map(|v| {
        format!(
            "{}\n{}",
            code(&format!("/warroom {}", v.usage)),
            escape(v.help)
        )
    }));
    b.context("Actions that change AWS ask for a click to confirm before anything happens.");
    ChatMessage::new("warroom commands", b)
}

/// The incident at a glance.
pub fn status(state: &IncidentState) -> ChatMessage {
    let meta = &state.meta;
    let open: Vec<_> = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
        .collect();
    let by_severity: Vec<String> = Severity::ALL
        .into_iter()
        .filter_map(|s| {
            let n = open.iter().filter(|a| a.alert.severity == s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let rules = state.findings_by_rule();
    let findings: usize = rules.iter().map(|(_, f)| f.len()).sum();
    let active = state
        .keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .count();
    let mut facts = vec![
        format!(
            "{} *{}* · {}",
            severity_icon(meta.severity),
            severity_word(meta.severity),
            meta.status
        ),
        format!(
            "*Alerts open* {}",
            if by_severity.is_empty() {
                "none".to_string()
            } else {
                by_severity.join(", ")
            }
        ),
        format!(
            "*Findings* {findings} non-compliant ({} rule{})",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" }
        ),
        format!(
            "*Keys* {active} active, {} inactive",
            state.keys.len() - active
        ),
    ];
    let spend = state.spend_per_hour();
    if spend > 0.0 {
        facts.push(format!("*Spend* {}", dollars_per_hour(spend)));
    }
    let mut b = Blocks::default();
    b.header(&meta.title).lines(facts);
    let recent: Vec<String> = state
        .actions
        .iter()
        .rev()
        .take(STATUS_ACTIONS_SHOWN)
        .map(action_line)
        .collect();
    if !recent.is_empty() {
        b.divider()
            .lines(std::iter::once("*Last actions*".to_string()).chain(recent));
    }
    let opened = meta.opened_at.map(date_utc).unwrap_or_default();
    b.context(format!(
        "Incident {} · opened {opened} · facts from {}",
        code(&meta.id),
        source_words(&meta.source)
    ));
    ChatMessage::new(
        format!(
            "{} — {}, {}, {} open alert{}",
            meta.title,
            meta.severity,
            meta.status,
            open.len(),
            plural(open.len())
        ),
        b,
    )
}

fn action_line(a: &crate::state::ActionView) -> String {
    let what = a
        .action
        .as_ref()
        .map(Action::describe)
        .unwrap_or_else(|| a.id.clone());
    let (icon, label) = a.last().map(step_label).unwrap_or(("", "unknown"));
    let who = a.requested_by().unwrap_or("unknown");
    format!(
        "{icon} {} — {} _({})_",
        escape(&what),
        label.to_lowercase(),
        escape(who)
    )
}

/// Open alerts, worst first.
pub fn alerts(state: &IncidentState) -> ChatMessage {
    let mut open: Vec<_> = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
        .collect();
    open.sort_by(|x, y| {
        y.alert
            .severity
            .cmp(&x.alert.severity)
            .then(y.alert.last_seen.cmp(&x.alert.last_seen))
    });
    let mut b = Blocks::default();
    if open.is_empty() {
        b.section(":white_check_mark: No open alerts.");
        return ChatMessage::new("No open alerts", b);
    }
    b.section(format!("*{} open alert{}*", open.len(), plural(open.len())));
    let items = open.iter().take(LIST_CAP).map(|v| {
        let a = &v.alert;
        let acked = if v.status == AlertStatus::Acknowledged {
            " · acked"
        } else {
            ""
        };
        format!(
            "{} {}\n{}× · last {}{acked} · {}",
            severity_icon(a.severity),
            bold(&clip_plain(&a.title, MAX_LINE)),
            a.count,
            hm_utc(a.last_seen),
            code(&a.id)
        )
    });
    b.lines(items.chain(and_more(open.len().saturating_sub(LIST_CAP))));
    ChatMessage::new(
        format!("{} open alert{}", open.len(), plural(open.len())),
        b,
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Non-compliant resources by rule.
pub fn findings(state: &IncidentState) -> ChatMessage {
    let rules = state.findings_by_rule();
    let total: usize = rules.iter().map(|(_, f)| f.len()).sum();
    let mut b = Blocks::default();
    if rules.is_empty() {
        b.section(":white_check_mark: No non-compliant resources.");
        return ChatMessage::new("No non-compliant resources", b);
    }
    b.section(format!(
        "*{total} non-compliant resource{}* · {} rule{}",
        plural(total),
        rules.len(),
        plural(rules.len())
    ));
    let items = rules.iter().take(LIST_CAP).map(|(rule, found)| {
        let names: Vec<String> = found
            .iter()
            .take(RESOURCES_PER_RULE)
            .map(|f| code(&f.resource_id))
            .collect();
        let more = found.len().saturating_sub(RESOURCES_PER_RULE);
        let mut line = format!("{} ({})\n{}", bold(rule), found.len(), names.join(", "));
        if more > 0 {
            line.push_str(&format!(" _+{more} more_"));
        }
        // Say what can be done about it: a remediation to run, or the fix as code.
        if found.iter().any(|f| f.remediation.is_some()) {
            line.push_str(&format!(
                "\nfix: {}",
                code(&format!("/warroom remediate {rule}"))
            ));
        } else if guidance::for_rule(rule).is_some() {
            line.push_str("\nno auto-fix; the fix as code is in the thread");
        }
        line
    });
    b.lines(items.chain(and_more(rules.len().saturating_sub(LIST_CAP))));
    ChatMessage::new(
        format!("{total} non-compliant resource{}", plural(total)),
        b,
    )
}

/// The latest instant the state knows: the incident's "now" (virtual in the demo).
fn latest(state: &IncidentState) -> Option<DateTime<Utc>> {
    state.timeline.last().map(|e| e.at)
}

/// Access keys, full IDs so they can be pasted into a command.
pub fn keys(state: &IncidentState, user: Option<&str>) -> ChatMessage {
    let shown: Vec<&KeySnapshot> = state
        .keys
        .iter()
        .filter(|k| user.is_none_or(|u| k.user == u))
        .collect();
    let mut b = Blocks::default();
    let whose = user.map(|u| format!(" of {}", bold(u))).unwrap_or_default();
    if shown.is_empty() {
        b.section(format!("No access keys known{whose}."));
        return ChatMessage::new("No access keys", b);
    }
    b.section(format!(
        "*{} access key{}*{whose}",
        shown.len(),
        plural(shown.len())
    ));
    let now = latest(state);
    let items = shown
        .iter()
        .take(LIST_CAP * 2)
        .map(|k| key_line(k, state, now));
    b.lines(items.chain(and_more(shown.len().saturating_sub(LIST_CAP * 2))));
    ChatMessage::new(
        format!("{} access key{}", shown.len(), plural(shown.len())),
        b,
    )
}

fn key_line(k: &KeySnapshot, state: &IncidentState, now: Option<DateTime<Utc>>) -> String {
    let icon = match k.status {
        KeyStatus::Active => ":key:",
        KeyStatus::Inactive => ":lock:",
        KeyStatus::Deleted => ":wastebasket:",
    };
    let age = now
        .map(|n| format!(", {} days old", (n - k.created).num_days().max(0)))
        .unwrap_or_default();
    let used = match k.last_used {
        Some(t) => {
            let via = [
                k.last_used_service.as_deref(),
                k.last_used_region.as_deref(),
            ]
            .into_iter()
            .flatten()
            .map(escape)
            .collect::<Vec<_>>()
            .join(", ");
            let via = if via.is_empty() {
                String::new()
            } else {
                format!(" ({via})")
            };
            format!("last used {}{via}", date_utc(t))
        }
        None => "never used".to_string(),
    };
    let alerted = state.alerts.iter().any(|a| {
        a.status != AlertStatus::Resolved
            && a.alert.access_key_id.as_deref() == Some(&k.access_key_id)
    });
    format!(
        "{icon} {}{}\n{} · {}{age}\n{used}",
        code(&k.access_key_id),
        if alerted { " :rotating_light:" } else { "" },
        escape(&k.user),
        k.status.as_str()
    )
}

/// The last `n` timeline entries, oldest first.
pub fn timeline(state: &IncidentState, n: usize) -> ChatMessage {
    let n = n.clamp(1, 100);
    let all = &state.timeline;
    let shown = &all[all.len().saturating_sub(n)..];
    let mut b = Blocks::default();
    if shown.is_empty() {
        b.section("The timeline is empty.");
        return ChatMessage::new("Empty timeline", b);
    }
    // Dates only when the entries span more than one day.
    let one_day = !spans_days(shown.iter().map(|e| &e.at));
    b.lines(shown.iter().map(|e| timeline_line(e, one_day)));
    b.context(format!(
        "Last {} of {} entries · times UTC{}",
        shown.len(),
        all.len(),
        if one_day {
            format!(" · {}", shown[0].at.format("%Y-%m-%d"))
        } else {
            String::new()
        }
    ));
    ChatMessage::new(format!("Last {} timeline entries", shown.len()), b)
}

fn timeline_line(e: &TimelineEntry, one_day: bool) -> String {
    let at = list_time(e.at, !one_day);
    // Facts from sources name their actor in the summary; people are named after it.
    let by_person = matches!(
        e.kind,
        EntryKind::Incident | EntryKind::Note | EntryKind::Action { .. } | EntryKind::Chat { .. }
    );
    let who = if by_person {
        format!(" _({})_", escape(&e.actor))
    } else {
        String::new()
    };
    format!(
        "{} {}{who}",
        code(&at),
        escape(&clip_plain(&one_line(&e.summary), MAX_LINE))
    )
}

/// Everything done by one key, principal, IP, operation or resource: counts first, then
/// the latest events.
pub fn pivot(state: &IncidentState, pivot: &Pivot) -> ChatMessage {
    let events: Vec<&CloudTrailEvent> = state
        .events
        .iter()
        .filter(|e| pivot.matches_event(e))
        .map(|e| e.as_ref())
        .collect();
    let alerts = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved && pivot.matches_alert(&a.alert, state))
        .count();
    let keys: Vec<String> = state
        .keys
        .iter()
        .filter(|k| pivot.matches_key(k, state))
        .map(|k| format!("{} {}", code(&k.access_key_id), k.status.as_str()))
        .collect();
    let mut b = Blocks::default();
    b.section(format!(":mag: *Pivot* {}", escape(&pivot.to_string())));
    let failed = events.iter().filter(|e| e.failed()).count();
    let mut facts = vec![format!(
        "*Events* {}{}{}",
        events.len(),
        if failed > 0 {
            format!(" ({failed} failed)")
        } else {
            String::new()
        },
        match (events.first(), events.last()) {
            (Some(f), Some(l)) => format!(" · {}", span(f.event_time, l.event_time)),
            _ => String::new(),
        }
    )];
    facts.push(format!("*Open alerts* {alerts}"));
    if !keys.is_empty() {
        facts.push(format!("*Keys* {}", keys.join(", ")));
    }
    let top = top_counts(events.iter().map(|e| e.event_name.as_str()), 5);
    if !top.is_empty() {
        facts.push(format!("*Calls* {top}"));
    }
    if !matches!(pivot, Pivot::Ip(_)) {
        let ips = top_counts(events.iter().map(|e| e.source_ip.as_str()), 3);
        if !ips.is_empty() {
            facts.push(format!("*From* {ips}"));
        }
    }
    b.lines(facts);
    if !events.is_empty() {
        let latest = &events[events.len().saturating_sub(LIST_CAP)..];
        let dated = spans_days(latest.iter().map(|e| &e.event_time));
        // A principal's pivot is all that principal: naming them on every line is noise.
        let by = !matches!(pivot, Pivot::Principal(_));
        let latest = latest.iter().map(|e| event_line(e, dated, by));
        let earlier = events.len().saturating_sub(LIST_CAP);
        let heading = if earlier > 0 {
            format!("*Latest events* _({earlier} earlier not shown)_")
        } else {
            "*Latest events*".to_string()
        };
        b.lines(std::iter::once(heading).chain(latest));
    }
    ChatMessage::new(format!("Pivot on {pivot}: {} events", events.len()), b)
}

/// "RunInstances ×12, CreateUser ×1": the most frequent values, most frequent first.
fn top_counts<'a>(values: impl Iterator<Item = &'a str>, n: usize) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_default() += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let more = sorted.len().saturating_sub(n);
    let mut out: Vec<String> = sorted
        .into_iter()
        .take(n)
        .map(|(v, c)| format!("{} ×{c}", escape(v)))
        .collect();
    if more > 0 {
        out.push(format!("+{more}"));
    }
    out.join(", ")
}

/// A destructive action waiting for a click: what will happen, the exact calls, who
/// asked, when the request expires, and Confirm/Cancel buttons.
pub fn confirm_prompt(
    action_id: &str,
    action: &Action,
    calls: &[ApiCall],
    requested_by: &str,
    expires: DateTime<Utc>,
) -> ChatMessage {
    let what = action.describe();
    // Both buttons name the request and what it does: the journal refuses a click whose
    // action is not the one requested under that ID.
    let value = crate::respond::lifecycle::confirmation_value(action_id, action);
    let mut confirm = button("Confirm", CONFIRM_ACTION_ID, &value);
    confirm["style"] = json!("danger");
    // Slack asks once more before the click counts: a stray tap on a phone is cheap.
    confirm["confirm"] = confirm_dialog(
        &format!("{}?", capitalise(action.verb())),
        &what,
        "Yes, do it",
        "Go back",
    );
    let cancel = button("Cancel", CANCEL_ACTION_ID, &value);
    let mut b = Blocks::default();
    b.section(format!(":warning: *Confirm:* {}", escape(&what)));
    if action.confirmation_code().is_some() {
        b.section("*This cannot be undone.*");
    }
    b.section("These calls will be made:")
        .code(&calls_text(calls))
        .context(format!(
            "Requested by {} · expires {}",
            escape(requested_by),
            hm_utc(expires)
        ))
        .actions(vec![confirm, cancel]);
    ChatMessage::new(format!("Confirm? {what} (asked by {requested_by})"), b)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A refusal or a mistake, plainly.
pub fn error(text: &str) -> ChatMessage {
    let mut b = Blocks::default();
    b.section(format!(":warning: {}", escape(text)));
    ChatMessage::new(text, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ChatQueued, Inbound, IncidentStatus, PrincipalRef, SourceStatus, UserSnapshot,
    };
    use crate::source::demo::scenario::{LEAKED_KEY, LEAKED_USER, founding_scenario};
    use crate::source::demo::world::DemoWorld;
    use crate::source::ingest::Ingest;
    use chrono::{Duration, SecondsFormat, TimeZone};
    use slack_morphism::prelude::SlackBlock;
    use std::sync::Arc;

    const KEY: &str = "AKIATESTLEAKEDKEY001";

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 7, 37, 0).unwrap() + Duration::minutes(min)
    }

    /// Asserts that a message is Block Kit the sending crate understands, within Slack's
    /// limits, with a one-line fallback.
    fn assert_valid(m: &ChatMessage) {
        let blocks: Vec<SlackBlock> = serde_json::from_value(m.blocks.clone())
            .unwrap_or_else(|e| panic!("not Block Kit ({e}): {}", m.blocks));
        for b in &blocks {
            // The crate keeps a block it cannot read as `Unknown` instead of failing.
            assert!(
                !matches!(b, SlackBlock::Unknown(_)),
                "not understood: {b:?}"
            );
        }
        // The crate ignores fields it does not know: a lossless round trip shows that
        // every field was read as what it was meant to be.
        assert_eq!(
            serde_json::to_value(&blocks).unwrap(),
            m.blocks,
            "blocks changed in a round trip through the crate"
        );
        assert!(
            !blocks.is_empty() && blocks.len() <= MAX_BLOCKS,
            "{}",
            blocks.len()
        );
        for block in m.blocks.as_array().unwrap() {
            check_block_limits(block);
        }
        assert!(!m.text.is_empty() && !m.text.contains('\n'), "{:?}", m.text);
        assert!(m.text.chars().count() <= MAX_FALLBACK);
        assert!(!m.summary.is_empty() && !m.summary.contains('\n'));
    }

    fn text_of(v: &Value) -> &str {
        v["text"].as_str().expect("a text object")
    }

    fn check_text(v: &Value, max: usize) {
        let n = text_of(v).chars().count();
        assert!(
            n > 0 && n <= max,
            "text of {n} characters (limit {max}): {v}"
        );
    }

    fn check_block_limits(block: &Value) {
        match block["type"].as_str().unwrap() {
            "header" => check_text(&block["text"], MAX_HEADER_TEXT),
            "section" => check_text(&block["text"], MAX_SECTION_TEXT),
            "context" => {
                let elements = block["elements"].as_array().unwrap();
                assert!(!elements.is_empty() && elements.len() <= 10);
                elements
                    .iter()
                    .for_each(|e| check_text(e, MAX_SECTION_TEXT));
            }
            "actions" => {
                for e in block["elements"].as_array().unwrap() {
                    check_text(&e["text"], MAX_BUTTON_TEXT);
                    let value = e["value"].as_str().unwrap();
                    assert!(value.chars().count() <= MAX_BUTTON_VALUE);
                    if let Some(c) = e.get("confirm") {
                        check_text(&c["title"], MAX_CONFIRM_TITLE);
                        check_text(&c["text"], MAX_CONFIRM_TEXT);
                        check_text(&c["confirm"], MAX_CONFIRM_BUTTON);
                        check_text(&c["deny"], MAX_CONFIRM_BUTTON);
                    }
                }
            }
            "divider" => {}
            other => panic!("unexpected block type {other}"),
        }
    }

    /// All the text a reader sees, fallback and blocks, to search in.
    fn all_text(m: &ChatMessage) -> String {
        let mut out = vec![m.text.clone()];
        collect_text(&m.blocks, &mut out);
        out.join("\n")
    }

    fn collect_text(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(items) => items.iter().for_each(|x| collect_text(x, out)),
            Value::Object(fields) => {
                for (k, x) in fields {
                    match (k.as_str(), x.as_str()) {
                        ("text", Some(s)) => out.push(s.to_string()),
                        _ => collect_text(x, out),
                    }
                }
            }
            _ => {}
        }
    }

    fn event(
        id: &str,
        min: i64,
        service: &str,
        name: &str,
        user: &str,
        params: Value,
    ) -> RecordBody {
        let raw = json!({
            "eventID": id,
            "eventTime": t(min).to_rfc3339_opts(SecondsFormat::Secs, true),
            "eventName": name,
            "eventSource": format!("{service}.amazonaws.com"),
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.77",
            "userIdentity": {"type": "IAMUser", "userName": user, "accessKeyId": KEY},
            "requestParameters": params,
        });
        RecordBody::Event(Arc::new(CloudTrailEvent::from_value(&raw).unwrap()))
    }

    fn alert(id: &str, severity: Severity, count: usize) -> Alert {
        Alert {
            id: id.into(),
            rule: "expensive-launch".into(),
            severity,
            title: "GPU instances launched by admin-ops".into(),
            explanation: "admin-ops launched 8 GPU instances: about $512/hour".into(),
            principal: Some("admin-ops".into()),
            access_key_id: Some(KEY.into()),
            source_ip: Some("203.0.113.77".into()),
            first_seen: t(1),
            last_seen: t(1 + count as i64),
            count: count as u32,
            event_ids: (0..count).map(|i| format!("ev-{i}")).collect(),
            spend_per_hour: Some(512.0),
        }
    }

    fn key(status: KeyStatus) -> RecordBody {
        RecordBody::Key(KeySnapshot {
            user: "admin-ops".into(),
            access_key_id: KEY.into(),
            status,
            created: t(-200 * 24 * 60),
            last_used: Some(t(3)),
            last_used_service: Some("ec2".into()),
            last_used_region: Some("us-east-1".into()),
        })
    }

    fn table_finding(compliance: &str, remediation: Option<&str>, rule: &str) -> RecordBody {
        RecordBody::Finding(Finding {
            rule: rule.into(),
            rule_description: "Checks the tables".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            resource_id: "orders".into(),
            region: "us-east-1".into(),
            compliance: compliance.into(),
            annotation: None,
            remediation: remediation.map(str::to_string),
            guidance: None,
            evaluated_at: Some(t(0)),
        })
    }

    fn step(id: &str, step: Step) -> RecordBody {
        RecordBody::Action(ActionStep {
            action_id: id.into(),
            step,
        })
    }

    fn deactivate_call() -> ApiCall {
        ApiCall {
            service: "iam".into(),
            operation: "UpdateAccessKey".into(),
            region: None,
            params: json!({"UserName": "admin-ops", "AccessKeyId": KEY, "Status": "Inactive"}),
        }
    }

    fn deactivate() -> Action {
        Action::DeactivateKey {
            user: "admin-ops".into(),
            access_key_id: KEY.into(),
        }
    }

    /// A journal being written: each record is offered to `message_for` with the state
    /// before it, then folded in.
    struct Journal {
        state: IncidentState,
        seq: i64,
        opts: MirrorOptions,
    }

    impl Journal {
        fn new(opts: MirrorOptions) -> Self {
            Journal {
                state: IncidentState::default(),
                seq: 0,
                opts,
            }
        }

        fn push(&mut self, min: i64, actor: &str, body: RecordBody) -> Option<ChatMessage> {
            self.seq += 1;
            let rec = Record {
                seq: self.seq,
                at: t(min),
                actor: actor.into(),
                body,
            };
            let m = message_for(&rec, &self.state, &self.opts);
            if let Some(m) = &m {
                assert_valid(m);
            }
            self.state.apply(&rec);
            m
        }

        fn says(&mut self, what: &str, min: i64, actor: &str, body: RecordBody) -> String {
            let m = self
                .push(min, actor, body)
                .unwrap_or_else(|| panic!("{what}: no message"));
            all_text(&m)
        }

        fn silent(&mut self, what: &str, min: i64, actor: &str, body: RecordBody) {
            if let Some(m) = self.push(min, actor, body) {
                panic!("{what}: unexpected message {}", m.blocks);
            }
        }
    }

    fn opened(title: &str) -> RecordBody {
        RecordBody::IncidentOpened(IncidentOpened {
            id: "inc-1".into(),
            title: title.into(),
            severity: Severity::High,
            source: "demo".into(),
        })
    }

    fn assert_in_order(text: &str, parts: &[&str]) {
        let mut from = 0;
        for p in parts {
            let at = text[from..]
                .find(p)
                .unwrap_or_else(|| panic!("{p:?} missing or out of order in {text}"));
            from += at + p.len();
        }
    }

    #[test]
    fn the_thread_gets_a_message_for_each_record_that_matters() {
        let mut j = Journal::new(MirrorOptions {
            min_alert_severity: Severity::Medium,
            mentions: BTreeMap::from([("dana".to_string(), "UDANA42".to_string())]),
        });
        let m = j.says("opened", 0, "demo", opened("Leaked key in a public repo"));
        assert!(
            m.contains("Leaked key in a public repo") && m.contains("HIGH"),
            "{m}"
        );
        assert!(
            m.contains("investigating") && m.contains("simulated AWS account"),
            "{m}"
        );

        j.silent(
            "user",
            0,
            "iam",
            RecordBody::User(UserSnapshot {
                name: "admin-ops".into(),
                arn: "arn:aws:iam::1:user/admin-ops".into(),
                created: t(-1000),
                inline_policies: vec![],
                attached_policies: vec![],
            }),
        );
        j.silent("first key snapshot", 0, "iam", key(KeyStatus::Active));
        j.silent(
            "source",
            0,
            "demo",
            RecordBody::SourceStatus(SourceStatus {
                source: "demo".into(),
                ok: true,
                message: "connected".into(),
            }),
        );
        j.silent(
            "table created",
            -5000,
            "cloudtrail",
            event(
                "ct-1",
                -5000,
                "dynamodb",
                "CreateTable",
                "dana",
                json!({"tableName": "orders"}),
            ),
        );
        for i in 0..3 {
            j.silent(
                "event",
                1 + i,
                "cloudtrail",
                event(
                    &format!("ev-{i}"),
                    1 + i,
                    "ec2",
                    "RunInstances",
                    "admin-ops",
                    json!({}),
                ),
            );
        }

        let m = j.says(
            "alert raised",
            3,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::High, 2)),
        );
        assert!(
            m.contains("GPU instances launched by admin-ops") && m.contains("HIGH"),
            "{m}"
        );
        assert!(
            m.contains(KEY) && m.contains("203.0.113.77") && m.contains("$512/hour"),
            "{m}"
        );
        assert!(m.contains("RunInstances"), "the calls behind it: {m}");
        assert_in_order(
            &m,
            &[
                &format!("/warroom deactivate {KEY}"),
                "/warroom deny-all admin-ops",
                "/warroom revoke-sessions admin-ops",
                &format!("/warroom pivot {KEY}"),
            ],
        );
        j.silent(
            "count update",
            4,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::High, 3)),
        );
        let m = j.says(
            "escalated",
            5,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::Critical, 3)),
        );
        assert!(m.contains("Escalated HIGH → CRITICAL"), "{m}");
        j.silent(
            "below the threshold",
            5,
            "detector",
            RecordBody::Alert(alert("minor", Severity::Low, 1)),
        );

        let m = j.says(
            "finding with guidance",
            6,
            "aws-config",
            table_finding("NON_COMPLIANT", None, "dynamodb-table-encryption-enabled"),
        );
        assert!(
            m.contains("orders") && m.contains("dynamodb-table-encryption-enabled"),
            "{m}"
        );
        assert!(m.contains("```") && m.contains("SSESpecification:"), "{m}");
        assert!(
            m.contains("*Created by* dana <@UDANA42>") && m.contains("CreateTable"),
            "{m}"
        );
        j.silent(
            "finding with a remediation",
            6,
            "aws-config",
            table_finding("NON_COMPLIANT", Some("AWS-Doc"), "some-remediable-rule"),
        );
        j.silent(
            "finding without guidance",
            6,
            "aws-config",
            table_finding("NON_COMPLIANT", None, "rule-nobody-wrote-guidance-for"),
        );

        let m = j.says(
            "note",
            7,
            "alice@tui",
            RecordBody::Note(Note {
                text: "key found in a public gist".into(),
            }),
        );
        assert!(
            m.contains("alice@tui") && m.contains("key found in a public gist"),
            "{m}"
        );

        let m = j.says(
            "requested",
            8,
            "alice@tui",
            step(
                "a1",
                Step::Requested {
                    action: deactivate(),
                    origin: Origin::Tui,
                    calls: vec![deactivate_call()],
                    expires_at: None,
                },
            ),
        );
        assert!(
            m.contains("Requested") && m.contains(&format!("Deactivate access key {KEY}")),
            "{m}"
        );
        assert!(m.contains("alice@tui") && m.contains("the console"), "{m}");
        assert!(m.contains(&escape(&deactivate_call().to_string())), "{m}");
        let m = j.says("confirmed", 9, "bob@slack", step("a1", Step::Confirmed));
        assert!(m.contains("Confirmed") && m.contains(KEY), "{m}");
        assert!(
            m.contains("bob@slack") && m.contains("requested by alice@tui"),
            "{m}"
        );
        let m = j.says(
            "succeeded",
            9,
            "alice@tui",
            step(
                "a1",
                Step::Succeeded {
                    detail: "key is Inactive".into(),
                },
            ),
        );
        assert!(
            m.contains("Done") && m.contains(KEY) && m.contains("key is Inactive"),
            "{m}"
        );
        let m = j.says("key now inactive", 10, "iam", key(KeyStatus::Inactive));
        assert!(
            m.contains(KEY) && m.contains("*Inactive*") && m.contains("was Active"),
            "{m}"
        );
        j.silent("same key status", 11, "iam", key(KeyStatus::Inactive));

        let deny = Action::DenyAll {
            user: "admin-ops".into(),
        };
        let request = |origin| Step::Requested {
            action: deny.clone(),
            origin,
            calls: vec![],
            expires_at: None,
        };
        let m = j.says(
            "requested in Slack",
            12,
            "carol@slack",
            step("a2", request(Origin::Slack)),
        );
        assert!(m.contains("from Slack") && m.contains("carol@slack"), "{m}");
        let m = j.says(
            "refused",
            12,
            "bridge",
            step(
                "a2",
                Step::Refused {
                    reason: "read-only mode".into(),
                },
            ),
        );
        assert!(
            m.contains("Refused") && m.contains("deny-all") && m.contains("read-only mode"),
            "{m}"
        );
        j.says(
            "requested",
            13,
            "alice@tui",
            step("a3", request(Origin::Tui)),
        );
        let m = j.says(
            "dry run",
            13,
            "alice@tui",
            step(
                "a3",
                Step::DryRun {
                    calls: vec![deactivate_call()],
                },
            ),
        );
        assert!(
            m.contains("Dry run") && m.contains("iam:UpdateAccessKey"),
            "{m}"
        );
        j.says(
            "requested",
            14,
            "alice@tui",
            step("a4", request(Origin::Cli)),
        );
        let m = j.says(
            "no-op",
            14,
            "alice@tui",
            step(
                "a4",
                Step::Noop {
                    reason: "already denied".into(),
                },
            ),
        );
        assert!(
            m.contains("Nothing to do") && m.contains("already denied"),
            "{m}"
        );
        j.says(
            "requested",
            15,
            "alice@tui",
            step("a5", request(Origin::Tui)),
        );
        let m = j.says("cancelled", 15, "alice@tui", step("a5", Step::Cancelled));
        assert!(m.contains("Cancelled") && m.contains("deny-all"), "{m}");
        j.says(
            "requested",
            16,
            "alice@tui",
            step("a6", request(Origin::Tui)),
        );
        let m = j.says(
            "progress",
            16,
            "aws",
            step(
                "a6",
                Step::Progress {
                    detail: "IN_PROGRESS".into(),
                },
            ),
        );
        assert!(
            m.contains("In progress") && m.contains("IN_PROGRESS"),
            "{m}"
        );
        let m = j.says(
            "failed",
            17,
            "aws",
            step(
                "a6",
                Step::Failed {
                    error: "AccessDenied: no".into(),
                },
            ),
        );
        assert!(
            m.contains("Failed") && m.contains("AccessDenied: no") && m.contains("deny-all"),
            "{m}"
        );

        let ack = |status| {
            RecordBody::AlertStatus(AlertStatusChange {
                alert_id: "gpu".into(),
                status,
            })
        };
        let m = j.says("ack", 18, "carol@slack", ack(AlertStatus::Acknowledged));
        assert!(
            m.contains("Acknowledged") && m.contains("carol@slack") && m.contains("GPU"),
            "{m}"
        );
        j.silent(
            "ack again",
            18,
            "carol@slack",
            ack(AlertStatus::Acknowledged),
        );
        let m = j.says("resolve", 19, "carol@slack", ack(AlertStatus::Resolved));
        assert!(m.contains("Resolved"), "{m}");

        let m = j.says(
            "compliant again",
            20,
            "aws-config",
            table_finding("COMPLIANT", None, "dynamodb-table-encryption-enabled"),
        );
        assert!(m.contains("orders") && m.contains("now complies"), "{m}");
        let m = j.says(
            "status",
            21,
            "alice@tui",
            RecordBody::IncidentChanged(IncidentChange::Status(IncidentStatus::Contained)),
        );
        assert!(
            m.contains("contained") && m.contains("was investigating") && m.contains("alice@tui"),
            "{m}"
        );

        j.silent(
            "outbox",
            22,
            "bridge",
            RecordBody::ChatQueued(ChatQueued {
                message_id: "m1".into(),
                source_seq: 1,
                summary: "x".into(),
                text: "x".into(),
                blocks: json!([]),
                root: true,
            }),
        );
        j.silent(
            "inbound",
            22,
            "bridge",
            RecordBody::Inbound(Inbound {
                kind: "command".into(),
                user: Some("U1".into()),
                text: "status".into(),
                accepted: true,
                detail: "answered".into(),
                count: 1,
            }),
        );
    }

    #[test]
    fn responses_skip_an_inactive_key_and_fit_roles() {
        let mut j = Journal::new(MirrorOptions::default());
        j.push(0, "iam", key(KeyStatus::Inactive));
        let m = j.says(
            "alert",
            1,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::High, 1)),
        );
        assert!(
            !m.contains("/warroom deactivate"),
            "the key is already off: {m}"
        );
        assert!(m.contains("/warroom deny-all admin-ops"), "{m}");

        let mut role = alert("role", Severity::High, 1);
        role.principal = Some("Deployer/gh-123".into());
        role.access_key_id = None;
        let m = j.says("role alert", 2, "detector", RecordBody::Alert(role));
        assert!(m.contains("/warroom revoke-sessions role/Deployer"), "{m}");
        assert!(!m.contains("deny-all"), "deny-all is for users: {m}");
        assert!(m.contains("/warroom pivot Deployer/gh-123"), "{m}");
    }

    #[test]
    fn user_text_cannot_ping_or_link() {
        let mut j = Journal::new(MirrorOptions::default());
        let m = j
            .push(
                0,
                "mallory@tui",
                RecordBody::Note(Note {
                    text: "<!channel> & <@U1> <https://evil.example|click>".into(),
                }),
            )
            .unwrap();
        let shown = all_text(&m);
        for raw in ["<!channel>", "<@U1>", "<https://"] {
            assert!(!shown.contains(raw), "{raw} left as markup: {shown}");
        }
        assert!(
            shown.contains("&lt;!channel&gt; &amp; &lt;@U1&gt;"),
            "{shown}"
        );
        assert!(
            m.text.contains("&lt;!channel&gt;"),
            "the notification too: {}",
            m.text
        );
        assert_eq!(
            m.summary,
            "mallory@tui: <!channel> & <@U1> <https://evil.example|click>"
        );
        let section = &m.blocks[0]["text"];
        assert_eq!(section["verbatim"], true, "Slack must not auto-link names");
    }

    #[test]
    fn mentions_from_config_are_checked_for_shape() {
        let opts = MirrorOptions {
            min_alert_severity: Severity::Info,
            mentions: BTreeMap::from([
                ("dana".to_string(), "U1><!channel".to_string()),
                ("erin".to_string(), "UERIN".to_string()),
            ]),
        };
        assert_eq!(mention(&opts, &["dana".into()]), None);
        assert_eq!(
            mention(&opts, &["dana".into(), "erin".into()]).as_deref(),
            Some("<@UERIN>")
        );
    }

    #[test]
    fn long_notes_and_big_alerts_stay_within_slack_limits() {
        let mut j = Journal::new(MirrorOptions::default());
        j.push(0, "demo", opened(&"very long title ".repeat(30)))
            .map(|m| assert!(text_of(&m.blocks[0]["text"]).ends_with('…')))
            .unwrap();
        let long = "a&b<c> words ".repeat(800);
        assert!(long.chars().count() >= 10_000);
        let m = j
            .push(1, "alice@tui", RecordBody::Note(Note { text: long }))
            .unwrap();
        assert!(m.blocks.to_string().contains('…'), "cut, and says so");

        for i in 0..500 {
            j.push(
                2,
                "cloudtrail",
                event(
                    &format!("ev-{i}"),
                    2,
                    "ec2",
                    "RunInstances",
                    "admin-ops",
                    json!({}),
                ),
            );
            j.push(
                2,
                "alice@tui",
                RecordBody::Note(Note {
                    text: format!("checking instance {i}"),
                }),
            );
        }
        let m = j
            .push(
                3,
                "detector",
                RecordBody::Alert(alert("gpu", Severity::Critical, 500)),
            )
            .unwrap();
        let shown = all_text(&m);
        assert!(
            shown.contains("500 times") && shown.contains("and 497 more"),
            "{shown}"
        );

        // A 500-entry timeline asked for in full is capped, packed and budgeted.
        let m = timeline(&j.state, 1000);
        assert_valid(&m);
        assert!(all_text(&m).contains("Last 100 of"), "{}", m.blocks);
    }

    #[test]
    fn clipping_never_leaves_half_an_entity_or_mention() {
        assert_eq!(clip_mrkdwn("ab&amp;cd", 5), "ab…");
        assert_eq!(clip_mrkdwn("hi <@U12345> there", 8), "hi …");
        assert_eq!(clip_mrkdwn("short", 5), "short");
        assert_eq!(clip_plain("abcdef", 4), "abc…");
        let block = code_block(&"x".repeat(5000), MAX_SECTION_TEXT);
        assert!(block.starts_with("```\n") && block.ends_with("…\n```"));
        assert!(block.chars().count() <= MAX_SECTION_TEXT);
        assert!(
            !code_block("a ``` b", 100).contains("a ``` b"),
            "a fence inside is broken up"
        );
    }

    #[test]
    fn the_block_budget_is_kept_with_a_note() {
        let mut b = Blocks::default();
        for i in 0..80 {
            b.section(format!("item {i}"));
        }
        let m = ChatMessage::new("many", b);
        assert_valid(&m);
        let blocks = m.blocks.as_array().unwrap();
        assert_eq!(blocks.len(), MAX_BLOCKS);
        assert!(blocks[49].to_string().contains("31 more blocks not shown"));
    }

    #[test]
    fn the_confirm_prompt_has_two_buttons_and_a_dialog() {
        let call = deactivate_call();
        let m = confirm_prompt(
            "act-42",
            &deactivate(),
            std::slice::from_ref(&call),
            "carol@slack",
            t(20),
        );
        assert_valid(&m);
        let shown = all_text(&m);
        assert!(
            shown.contains(&format!("Deactivate access key {KEY} of admin-ops")),
            "{shown}"
        );
        assert!(
            shown.contains("carol@slack") && shown.contains("07:57 UTC"),
            "{shown}"
        );
        let code = m
            .blocks
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["text"]["text"].as_str())
            .find(|t| t.starts_with("```"))
            .expect("a code block");
        assert_eq!(code, format!("```\n{call}\n```"), "the exact call");
        let actions = m
            .blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .expect("an actions block");
        let buttons = actions["elements"].as_array().unwrap();
        assert_eq!(buttons.len(), 2);
        let (confirm, cancel) = (&buttons[0], &buttons[1]);
        assert_eq!(confirm["action_id"], CONFIRM_ACTION_ID);
        let value = format!("act-42 {}", deactivate().fingerprint());
        assert_eq!(
            confirm["value"],
            value.as_str(),
            "the request and what it does"
        );
        assert_eq!(confirm["style"], "danger");
        for field in ["title", "text", "confirm", "deny"] {
            assert_eq!(confirm["confirm"][field]["type"], "plain_text", "{field}");
        }
        assert!(text_of(&confirm["confirm"]["text"]).contains(KEY));
        assert_eq!(cancel["action_id"], CANCEL_ACTION_ID);
        assert_eq!(cancel["value"], value.as_str());
        assert!(
            cancel.get("confirm").is_none(),
            "cancelling needs no second thought"
        );

        let delete = Action::DeleteKey {
            user: "admin-ops".into(),
            access_key_id: KEY.into(),
        };
        let huge_id = "x".repeat(3000);
        let m = confirm_prompt(&huge_id, &delete, &[call], "carol@slack", t(20));
        assert_valid(&m);
        assert!(all_text(&m).contains("cannot be undone"));
    }

    #[test]
    fn help_and_error_speak_plainly() {
        let m = help();
        assert_valid(&m);
        let shown = all_text(&m);
        assert!(
            shown.contains("/warroom deactivate &lt;key-id&gt;"),
            "{shown}"
        );
        assert!(shown.contains("/warroom timeline [n]"), "{shown}");
        assert!(
            !shown.contains("theme") && !shown.contains("quit"),
            "console only: {shown}"
        );

        let m = error("unknown command `explode` <now>");
        assert_valid(&m);
        assert!(all_text(&m).contains("unknown command `explode` &lt;now&gt;"));
    }

    /// The founding scenario's journal, as the console writes it.
    fn demo_records() -> Vec<Record> {
        let world = DemoWorld::new(founding_scenario());
        let (start, end) = (world.scenario().start, world.scenario().end());
        let mut records = world.opening_records("inc-demo", start);
        records.extend(world.advance(end));
        Ingest::new()
            .process(end, records)
            .into_iter()
            .zip(1..)
            .map(|(r, seq)| Record {
                seq,
                at: r.at,
                actor: r.actor,
                body: r.body,
            })
            .collect()
    }

    #[test]
    fn the_demo_scenario_reads_well_in_a_thread() {
        let records = demo_records();
        let opts = MirrorOptions::default();
        let mut state = IncidentState::default();
        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        for r in &records {
            if let Some(m) = message_for(r, &state, &opts) {
                assert_valid(&m);
                *by_kind.entry(r.body.kind().to_string()).or_default() += 1;
            }
            state.apply(r);
        }
        let with_guidance = founding_scenario()
            .findings
            .iter()
            .filter(|f| f.remediation.is_none() && guidance::for_rule(&f.rule).is_some())
            .count();
        let alert_ids: std::collections::BTreeSet<&str> = records
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::Alert(a) => Some(a.id.as_str()),
                _ => None,
            })
            .collect();
        let alert_records = records
            .iter()
            .filter(|r| matches!(r.body, RecordBody::Alert(_)))
            .count();
        assert_eq!(by_kind.remove("incident-opened"), Some(1));
        assert_eq!(by_kind.remove("finding"), Some(with_guidance));
        let alert_messages = by_kind.remove("alert").unwrap_or(0);
        assert!(
            alert_messages >= alert_ids.len()
                && alert_messages <= 2 * alert_ids.len()
                && alert_messages < alert_records,
            "{alert_messages} alert messages for {} alerts in {alert_records} records",
            alert_ids.len()
        );
        assert!(by_kind.is_empty(), "nothing else speaks: {by_kind:?}");

        for m in [
            status(&state),
            alerts(&state),
            findings(&state),
            keys(&state, None),
            keys(&state, Some(LEAKED_USER)),
            keys(&state, Some("nobody")),
            timeline(&state, 20),
            pivot(&state, &Pivot::Key(LEAKED_KEY.into())),
            pivot(&state, &Pivot::Principal(LEAKED_USER.into())),
            pivot(&state, &Pivot::Ip("198.51.100.1".into())),
        ] {
            assert_valid(&m);
        }
        assert!(all_text(&keys(&state, Some(LEAKED_USER))).contains(LEAKED_KEY));
        let shown = all_text(&status(&state));
        assert!(
            shown.contains(&state.meta.title) && shown.contains("$"),
            "{shown}"
        );
        let shown = all_text(&pivot(&state, &Pivot::Key(LEAKED_KEY.into())));
        assert!(shown.contains("RunInstances"), "{shown}");
    }

    #[test]
    fn the_alert_list_is_worst_first_and_capped() {
        let mut j = Journal::new(MirrorOptions::default());
        for i in 0..14 {
            let mut a = alert(&format!("a{i}"), Severity::Medium, 1);
            a.title = format!("medium {i}");
            j.push(1, "detector", RecordBody::Alert(a));
        }
        let mut worst = alert("worst", Severity::Critical, 1);
        worst.title = "the worst one".into();
        j.push(2, "detector", RecordBody::Alert(worst));
        let m = alerts(&j.state);
        assert_valid(&m);
        let shown = all_text(&m);
        assert!(
            shown.contains("15 open alerts") && shown.contains("and 5 more"),
            "{shown}"
        );
        assert_in_order(&shown, &["the worst one", "medium"]);
    }

    #[test]
    fn status_counts_alerts_findings_and_keys() {
        let mut j = Journal::new(MirrorOptions::default());
        j.push(0, "demo", opened("Leaked key"));
        j.push(0, "iam", key(KeyStatus::Active));
        j.push(
            1,
            "detector",
            RecordBody::Alert(alert("gpu", Severity::Critical, 1)),
        );
        j.push(
            1,
            "aws-config",
            table_finding("NON_COMPLIANT", None, "dynamodb-table-encryption-enabled"),
        );
        j.push(
            2,
            "alice@tui",
            step(
                "a1",
                Step::Requested {
                    action: Action::RevokeSessions {
                        principal: PrincipalRef::User("admin-ops".into()),
                        issued_before: t(2),
                    },
                    origin: Origin::Tui,
                    calls: vec![],
                    expires_at: None,
                },
            ),
        );
        let m = status(&j.state);
        assert_valid(&m);
        let shown = all_text(&m);
        for fact in [
            "Leaked key",
            "1 critical",
            "1 non-compliant",
            "1 active, 0 inactive",
            "$512/hour",
            "Revoke sessions of user admin-ops",
        ] {
            assert!(shown.contains(fact), "{fact} missing: {shown}");
        }
        let m = findings(&j.state);
        assert_valid(&m);
        assert!(all_text(&m).contains("fix as code is in the thread"));
    }

    #[test]
    fn the_validity_check_rejects_what_slack_would() {
        let bad = [
            json!([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]),
            json!([{"type": "section", "txt": {"type": "mrkdwn", "text": "x"}}]),
            json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}]),
            json!([{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}]),
            json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]),
            json!([]),
        ];
        for blocks in bad {
            let m = ChatMessage {
                text: "t".into(),
                summary: "s".into(),
                blocks: blocks.clone(),
            };
            let caught = std::panic::catch_unwind(|| assert_valid(&m));
            assert!(caught.is_err(), "accepted: {blocks}");
        }
    }

    #[test]
    fn times_carry_dates_only_across_days() {
        assert_eq!(span(t(0), t(35)), "07:37–08:12 UTC");
        assert_eq!(span(t(0), t(0)), "07:37 UTC");
        assert_eq!(span(t(-24 * 60), t(0)), "11-21 07:37 – 11-22 07:37 UTC");
        assert!(!spans_days([t(0), t(35)].iter()));
        assert!(spans_days([t(-24 * 60), t(0)].iter()));
    }
}
