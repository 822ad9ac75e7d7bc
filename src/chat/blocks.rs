//! Placeholder until the Block Kit renderer lands.

/// A Slack message: notification text, a line for the console, Block Kit blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub text: String,
    pub summary: String,
    pub blocks: serde_json::Value,
}
