//! What the baseline-free detections share: reading a call's request, saying what it did in
//! words (and that AWS refused it, when it did), and raising the alert.

use crate::detect::detection::{AlertSeed, Context};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

/// The call's `requestParameters` (`Null` when it has none, or they were not kept).
pub fn request(e: &CloudTrailEvent) -> &Value {
    e.params()
        .and_then(|p| p.get("requestParameters"))
        .unwrap_or(&Value::Null)
}

/// A string at a dotted path of `v`.
pub fn text<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or_default()
}

/// The value at a dotted path of `v`.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// True as the APIs write it: `true` or `"true"`.
pub fn is_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// False as the APIs write it (absent is not false).
pub fn is_false(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => !*b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// One detection's alert: its rule, how bad, and the title's words after the principal.
pub struct Theme {
    pub rule: &'static str,
    pub severity: Severity,
    /// The title, with `{}` for the principal.
    pub title: &'static str,
}

/// Whether a service or CloudFormation made the call on someone's behalf: what a stack or a
/// service does is judged as such. Only what AWS itself writes counts — `invokedBy`, and a
/// service's name as the source address — never the user agent or a session's name, which
/// the caller chooses (an attacker would call themselves `cloudformation.amazonaws.com`).
pub fn by_a_service(e: &CloudTrailEvent) -> bool {
    e.identity.invoked_by.is_some() || e.source_ip.ends_with(".amazonaws.com")
}

/// Raises (or grows) the theme's alert for `e`'s principal: "`principal` `what`", and, when
/// AWS refused the call, that it was only attempted.
pub fn raise(cx: &mut Context<'_>, e: &CloudTrailEvent, theme: &Theme, what: String) {
    let principal = e.identity.display();
    let explain = match &e.error_code {
        Some(code) => format!("{principal} attempted to {what} — AWS refused it ({code})"),
        None => format!("{principal} {}", past(&what)),
    };
    cx.raise(
        AlertSeed {
            group: format!("{}:{principal}", theme.rule),
            rule: theme.rule.into(),
            severity: theme.severity,
            title: theme.title.replace("{}", &principal),
        },
        explain,
        e,
    );
}

/// "make bucket x public" → "made bucket x public": the first word, in the past.
fn past(what: &str) -> String {
    let (verb, rest) = what.split_once(' ').unwrap_or((what, ""));
    let done = match verb {
        "make" => "made".to_string(),
        "open" => "opened".into(),
        "share" => "shared".into(),
        "turn" => "turned".into(),
        "remove" => "removed".into(),
        "delete" => "deleted".into(),
        "disable" => "disabled".into(),
        "suspend" => "suspended".into(),
        "schedule" => "scheduled".into(),
        "stop" => "stopped".into(),
        "export" => "exported".into(),
        "copy" => "copied".into(),
        "attach" => "attached".into(),
        "create" => "created".into(),
        "change" => "changed".into(),
        "update" => "updated".into(),
        "suppress" => "suppressed".into(),
        "archive" => "archived".into(),
        "detach" => "detached".into(),
        "mirror" => "mirrored".into(),
        "enumerate" => "enumerated".into(),
        "write" => "wrote".into(),
        "publish" => "published".into(),
        "push" => "pushed".into(),
        "use" => "used".into(),
        "set" => "set".into(),
        other => format!("{other}ed"),
    };
    if rest.is_empty() {
        done
    } else {
        format!("{done} {rest}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_was_done_reads_in_the_past() {
        assert_eq!(super::past("make bucket b public"), "made bucket b public");
        assert_eq!(super::past("delete key k"), "deleted key k");
    }
}
