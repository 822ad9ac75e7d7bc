//! Block Kit: one helper per block kind, with Slack's size limits applied.

use super::*;

pub(super) fn plain_text(s: &str, max: usize) -> Value {
    json!({"type": "plain_text", "text": clip_plain(&one_line(s), max), "emoji": true})
}

/// mrkdwn text that is already escaped. `verbatim` stops Slack from turning bare names
/// and URLs into mentions and links on its own: only the mentions built here ping.
pub(super) fn mrkdwn(s: &str, max: usize) -> Value {
    json!({"type": "mrkdwn", "text": clip_mrkdwn(s, max), "verbatim": true})
}

pub(super) fn button(text: &str, action_id: &str, value: &str) -> Value {
    json!({
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text, MAX_BUTTON_TEXT),
        "value": clip_plain(value, MAX_BUTTON_VALUE),
    })
}

/// The dialog Slack shows before a button's click counts.
pub(super) fn confirm_dialog(title: &str, text: &str, confirm: &str, deny: &str) -> Value {
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
pub(super) struct Blocks(Vec<Value>);

impl Blocks {
    pub(super) fn header(&mut self, text: &str) -> &mut Self {
        self.0
            .push(json!({"type": "header", "text": plain_text(text, MAX_HEADER_TEXT)}));
        self
    }

    /// A section of escaped mrkdwn. Slack refuses empty text, so empty text adds nothing.
    pub(super) fn section(&mut self, text: impl AsRef<str>) -> &mut Self {
        let text = text.as_ref();
        if !text.trim().is_empty() {
            self.0
                .push(json!({"type": "section", "text": mrkdwn(text, MAX_SECTION_TEXT)}));
        }
        self
    }

    /// Raw text shown exactly, in a code block.
    pub(super) fn code(&mut self, raw: &str) -> &mut Self {
        if !raw.trim().is_empty() {
            self.section(code_block(raw, MAX_SECTION_TEXT));
        }
        self
    }

    /// Small grey print: who, when, where from.
    pub(super) fn context(&mut self, text: impl AsRef<str>) -> &mut Self {
        let text = text.as_ref();
        if !text.trim().is_empty() {
            self.0
                .push(json!({"type": "context", "elements": [mrkdwn(text, MAX_SECTION_TEXT)]}));
        }
        self
    }

    pub(super) fn divider(&mut self) -> &mut Self {
        self.0.push(json!({"type": "divider"}));
        self
    }

    pub(super) fn actions(&mut self, elements: Vec<Value>) -> &mut Self {
        self.0
            .push(json!({"type": "actions", "elements": elements}));
        self
    }

    /// Lines of escaped mrkdwn, packed into as few sections as the text limit allows, so
    /// a long list neither breaks the limit nor spends the block budget.
    pub(super) fn lines(&mut self, lines: impl IntoIterator<Item = String>) -> &mut Self {
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
    pub(super) fn finish(mut self) -> Value {
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
