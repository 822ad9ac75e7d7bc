//! The Slack side of an incident: messages queued for the incident's thread and how their
//! delivery went, and every request that came in over the bridge.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message put in the outbox. Its ID derives from the record it mirrors, so two processes
/// mirroring the same journal queue it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatQueued {
    pub message_id: String,
    /// The journal record the message tells of.
    pub source_seq: i64,
    /// One line for the console's own display.
    pub summary: String,
    /// The notification text (what a phone's lock screen shows).
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Value,
    /// The first message of the incident: the others are replies in its thread.
    #[serde(default)]
    pub root: bool,
    /// A direct message to this person (a Slack user ID, or an e-mail to look the user up
    /// by) rather than a reply in the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// What became of one attempt to deliver a queued message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Delivery {
    Sent {
        channel: String,
        ts: String,
    },
    /// Not delivered yet; tried again after `retry_in_secs`.
    Retrying {
        attempt: u32,
        error: String,
        retry_in_secs: u64,
    },
    /// Never to be delivered: a direct message to someone Slack does not know.
    Dropped {
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatDelivery {
    pub message_id: String,
    #[serde(flatten)]
    pub delivery: Delivery,
}

/// A request that reached the Slack bridge, accepted or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// `command`, `interaction`.
    pub kind: String,
    /// The Slack user ID, when the request said (and could be trusted to say) one.
    #[serde(default)]
    pub user: Option<String>,
    /// The command text or the button pressed.
    #[serde(default)]
    pub text: String,
    pub accepted: bool,
    /// Why it was refused, or what was done.
    pub detail: String,
    /// How many requests this record stands for: requests that failed verification are
    /// counted per reason and minute into one record, so strangers cannot grow the journal.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u64,
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}
