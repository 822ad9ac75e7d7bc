//! Every Slack message warroom sends, as Block Kit JSON.
//!
//! The incident thread is read on phones, often at night. So every message puts the
//! important fact first, keeps its lines short, puts API calls and fixes in code blocks,
//! and escapes every piece of text that came from a responder or from AWS, so that it
//! can neither ping a channel nor forge a link. Slack's size limits are enforced here, not
//! by the sender: a message built by this module is never refused for its size.

mod answers;
mod kit;
mod mirror;
mod prompt;
mod text;

use answers::*;
pub use answers::{alerts, blast, findings, help, keys, pivot, status, timeline};
use kit::*;
use mirror::*;
pub use mirror::{direct_recipients, message_for};
pub use prompt::{confirm_prompt, error};
pub use text::escape;
use text::*;

use crate::model::{
    Action, ActionStep, Alert, AlertStatus, AlertStatusChange, ApiCall, CloudTrailEvent, Finding,
    IncidentChange, IncidentOpened, IncidentStatus, KeySnapshot, KeyStatus, Note, Origin, Record,
    RecordBody, Severity, Step,
};
use crate::respond::guidance;
use crate::state::pivot::Pivot;
use crate::state::{EntryKind, IncidentState, TimelineEntry};
use crate::vocabulary::VERBS;
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
pub(super) const MAX_CONFIRM_TITLE: usize = 100;
pub(super) const MAX_CONFIRM_TEXT: usize = 300;
pub(super) const MAX_CONFIRM_BUTTON: usize = 30;

/// The notification line: what a lock screen shows, so one short line.
pub(super) const MAX_FALLBACK: usize = 300;
/// Items a list answer shows before "and N more": a phone screen or two.
pub(super) const LIST_CAP: usize = 10;
/// One list line at most: longer ones wrap into a wall of text on a phone.
pub(super) const MAX_LINE: usize = 240;
/// The calls behind an alert shown in its message: enough to see what is going on.
pub(super) const ALERT_CALLS_SHOWN: usize = 3;
/// Actions `status` lists.
pub(super) const STATUS_ACTIONS_SHOWN: usize = 3;
/// Resources named per rule in the findings answer.
pub(super) const RESOURCES_PER_RULE: usize = 5;

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
    /// The infrastructure code a finding's message points into, with the fix as a patch.
    pub code: std::sync::Arc<crate::iac::locate::Code>,
    /// Whether a finding's message also goes, as a direct message, to the people who
    /// wrote its template's lines (`[iac] notify = "committers"`).
    pub notify_committers: bool,
}

impl Default for MirrorOptions {
    fn default() -> Self {
        MirrorOptions {
            min_alert_severity: Severity::Info,
            mentions: BTreeMap::new(),
            code: Default::default(),
            notify_committers: false,
        }
    }
}

#[cfg(test)]
mod tests;
