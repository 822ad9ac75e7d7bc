//! The confirmation prompt of a destructive action, and plain refusals.

use super::*;

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
    b.section("These calls will be made:");
    what_runs(&mut b, action, calls);
    b.context(format!(
        "Requested by {} · expires {}",
        escape(requested_by),
        hm_utc(expires)
    ))
    .actions(vec![confirm, cancel]);
    ChatMessage::new(format!("Confirm? {what} (asked by {requested_by})"), b)
}

pub(super) fn capitalise(s: &str) -> String {
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
