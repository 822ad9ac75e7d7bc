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
/// account other than `own_account`. Services and the account itself are not outsiders.
pub fn outside_trust(doc: &str, own_account: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in statements(doc).iter().filter(|s| allows(s)) {
        let principals = match s.get("Principal") {
            Some(Value::String(p)) if p == "*" => vec!["*"],
            Some(p) => strings(p.get("AWS")),
            None => Vec::new(),
        };
        for p in principals {
            let account = account_of(p);
            let outside = p == "*" || account.is_some_and(|a| a != own_account);
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
