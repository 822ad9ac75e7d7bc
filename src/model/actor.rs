//! Who did something, as the journal names them: `alice@tui` at the console,
//! `alice@slack:U0ALICE` from Slack. Attributable and readable at once.

/// A Slack user as an actor.
pub fn slack(user_id: &str, user_name: &str) -> String {
    format!("{user_name}@slack:{user_id}")
}

/// The Slack user ID inside an actor written by [`slack`].
pub fn slack_user_of(actor: &str) -> Option<&str> {
    actor.split_once("@slack:").map(|(_, id)| id)
}

/// Whether two actors are the same person: Slack users by their ID (a display name can
/// change between a request and its click), anyone else by the whole name.
pub fn same_person(a: &str, b: &str) -> bool {
    match (slack_user_of(a), slack_user_of(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_users_are_told_apart_by_id_not_name() {
        assert_eq!(slack_user_of(&slack("U1", "alice")), Some("U1"));
        assert_eq!(slack_user_of("alice@tui"), None);
        assert!(same_person("alice@slack:U1", "alice2@slack:U1"));
        assert!(!same_person("alice@slack:U1", "alice@slack:U2"));
        assert!(same_person("alice@tui", "alice@tui"));
        assert!(!same_person("alice@tui", "alice@slack:U1"));
    }
}
