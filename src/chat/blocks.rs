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
mod tests;
