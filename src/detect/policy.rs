//! Reading IAM policy documents as CloudTrail records them (a JSON string inside the
//! request): does this policy give everything away, does this trust let outsiders in?

use serde_json::Value;

fn statements(doc: &str) -> Vec<Value> {
    let Ok(doc) = serde_json::from_str::<Value>(doc) else {
        return Vec::new();
    };
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s) => vec![s.clone()],
        None => Vec::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn allows(s: &Value) -> bool {
    s.get("Effect").and_then(Value::as_str) == Some("Allow")
}

/// Whether a policy document allows `*` on `*`.
pub fn grants_everything(doc: &str) -> bool {
    statements(doc).iter().any(|s| {
        allows(s)
            && strings(s.get("Action")).contains(&"*")
            && strings(s.get("Resource")).contains(&"*")
    })
}

/// The outsiders a role trust policy lets assume the role: `*` and AWS principals of any
/// account other than `own_account`. Services and the account itself are not outsiders,
/// and conditions do not keep them out (an external ID is no boundary).
pub fn outside_trust(doc: &str, own_account: &str) -> Vec<String> {
    outsiders(&Value::String(doc.to_string()), own_account, false)
}

/// Condition keys that keep a statement to known callers: with one, `*` is not everyone.
const LIMITING_CONDITIONS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceip",
    "aws:sourceorgid",
    "kms:calleraccount",
    "kms:viaservice",
];

/// Who a resource policy (a bucket's, key's, queue's, topic's, repository's, secret's)
/// opens the resource to beyond `own_account`: `*` (everyone) and the accounts it names.
/// A statement kept to known callers by its condition opens nothing. `doc` is the policy as
/// CloudTrail records it: a JSON string or the document itself.
pub fn opened_to(doc: &Value, own_account: &str) -> Vec<String> {
    outsiders(doc, own_account, true)
}

/// The principals outside `own_account` that a policy's allowing statements name, the
/// statements limited by a condition left out when `conditions_limit`.
fn outsiders(doc: &Value, own_account: &str, conditions_limit: bool) -> Vec<String> {
    let parsed;
    let doc = match doc {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return Vec::new(),
        },
        other => other,
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s) => vec![s],
        None => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for s in statements.into_iter().filter(|s| allows(s)) {
        let limited = s
            .get("Condition")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|ops| ops.values())
            .filter_map(Value::as_object)
            .flat_map(|keys| keys.keys())
            .any(|k| LIMITING_CONDITIONS.contains(&k.to_ascii_lowercase().as_str()));
        if limited && conditions_limit {
            continue;
        }
        let principals = match s.get("Principal") {
            Some(Value::String(p)) => vec![p.as_str()],
            Some(p) => strings(p.get("AWS")),
            None => Vec::new(),
        };
        for p in principals {
            let outside = p == "*" || account_of(p).is_some_and(|a| a != own_account);
            if outside && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// The account an AWS principal names: `arn:aws:iam::123456789012:root` or a bare ID.
fn account_of(principal: &str) -> Option<&str> {
    if principal.starts_with("arn:") {
        principal.split(':').nth(4).filter(|a| !a.is_empty())
    } else {
        Some(principal).filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_policy_is_open_to_everyone_unless_a_condition_keeps_it_in() {
        let open = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]});
        assert_eq!(opened_to(&open, "111122223333"), ["*"]);
        let as_text = Value::String(open.to_string());
        assert_eq!(opened_to(&as_text, "111122223333"), ["*"]);
        let org = serde_json::json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}});
        assert!(opened_to(&org, "1").is_empty());
        let other = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::999988887777:root", "arn:aws:iam::111122223333:role/x"]}}]});
        assert_eq!(
            opened_to(&other, "111122223333"),
            ["arn:aws:iam::999988887777:root"]
        );
        let service = serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}]});
        assert!(opened_to(&service, "1").is_empty());
    }

    #[test]
    fn allow_star_on_star_is_everything_and_less_is_not() {
        assert!(grants_everything(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
        ));
        assert!(grants_everything(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","*"],"Resource":["*"]}]}"#
        ));
        assert!(!grants_everything(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        ));
        assert!(!grants_everything(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        ));
        assert!(!grants_everything("not json"));
    }

    #[test]
    fn trust_for_another_account_or_anyone_is_outside() {
        let doc = |p: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{p},"Action":"sts:AssumeRole"}}]}}"#
            )
        };
        assert_eq!(
            outside_trust(
                &doc(r#"{"AWS":"arn:aws:iam::193672423079:root"}"#),
                "609418236337"
            ),
            ["arn:aws:iam::193672423079:root"]
        );
        assert_eq!(outside_trust(&doc(r#""*""#), "1"), ["*"]);
        assert_eq!(outside_trust(&doc(r#"{"AWS":["*"]}"#), "1"), ["*"]);
        assert!(
            outside_trust(
                &doc(r#"{"AWS":"arn:aws:iam::609418236337:root"}"#),
                "609418236337"
            )
            .is_empty()
        );
        assert!(outside_trust(&doc(r#"{"Service":"ec2.amazonaws.com"}"#), "1").is_empty());
    }
}
