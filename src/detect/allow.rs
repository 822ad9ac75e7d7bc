//! Routine administration a team allows per detection (`[detect.allow]`): the principals
//! whose calls a rule does not alert on. A pattern is a principal's name (`dev-alice`,
//! `Admin/alice`, the role or user name) or ARN, `*` matching any run of characters.

use crate::model::CloudTrailEvent;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rule → the principals it lets be. `*` as a rule name allows for every rule.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    rules: Arc<BTreeMap<String, Vec<regex::Regex>>>,
}

impl PartialEq for AllowList {
    fn eq(&self, other: &Self) -> bool {
        self.rules.len() == other.rules.len()
            && self.rules.iter().zip(other.rules.iter()).all(|(a, b)| {
                a.0 == b.0
                    && a.1.len() == b.1.len()
                    && a.1.iter().zip(b.1).all(|(x, y)| x.as_str() == y.as_str())
            })
    }
}

impl AllowList {
    /// Compiles `[detect.allow]`; an empty pattern is refused (it would allow nobody by
    /// accident, or everybody by a typo).
    pub fn new(entries: &BTreeMap<String, Vec<String>>) -> Result<AllowList, String> {
        let mut rules = BTreeMap::new();
        for (rule, patterns) in entries {
            let compiled = patterns
                .iter()
                .map(|p| {
                    if p.trim().is_empty() {
                        return Err(format!("[detect.allow] {rule:?}: an empty pattern"));
                    }
                    let re = format!("^(?i:{})$", regex::escape(p.trim()).replace(r"\*", ".*"));
                    regex::Regex::new(&re).map_err(|e| format!("[detect.allow] {rule:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.insert(rule.clone(), compiled);
        }
        Ok(AllowList {
            rules: Arc::new(rules),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `rule` lets `e`'s principal be.
    pub fn allows(&self, rule: &str, e: &CloudTrailEvent) -> bool {
        if self.rules.is_empty() {
            return false;
        }
        let id = &e.identity;
        // The event keeps no ARN when the names tell the principal: it is rebuilt from them
        // (without an IAM path).
        let arn = match (&*id.kind, &id.user_name, &id.session_name) {
            _ if !id.arn.is_empty() => Some(id.arn.to_string()),
            ("IAMUser", Some(user), _) => {
                Some(format!("arn:aws:iam::{}:user/{user}", id.account_id))
            }
            ("AssumedRole", Some(role), Some(session)) => Some(format!(
                "arn:aws:sts::{}:assumed-role/{role}/{session}",
                id.account_id
            )),
            ("Root", _, _) => Some(format!("arn:aws:iam::{}:root", id.account_id)),
            _ => None,
        };
        let names = [
            Some(id.display()),
            id.user_name.as_deref().map(str::to_string),
            arn,
        ];
        [rule, "*"]
            .iter()
            .filter_map(|r| self.rules.get(*r))
            .flatten()
            .any(|p| names.iter().flatten().any(|n| p.is_match(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_lets_the_listed_principals_be_and_no_one_else() {
        let allow = AllowList::new(&BTreeMap::from([(
            "resource-exposed".to_string(),
            vec![
                "Platform*".to_string(),
                "arn:aws:iam::1:user/terraform".to_string(),
            ],
        )]))
        .unwrap();
        let by = |identity: &str| {
            CloudTrailEvent::from_json(&format!(
                r#"{{"eventTime":"2026-01-01T00:00:00Z","eventName":"PutBucketPolicy","userIdentity":{identity}}}"#
            ))
            .unwrap()
        };
        let platform = by(
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/PlatformAdmin/bob","sessionContext":{"sessionIssuer":{"userName":"PlatformAdmin"}}}"#,
        );
        let terraform = by(
            r#"{"type":"IAMUser","userName":"terraform","accountId":"1","arn":"arn:aws:iam::1:user/terraform"}"#,
        );
        let mallory =
            by(r#"{"type":"IAMUser","userName":"mallory","arn":"arn:aws:iam::1:user/mallory"}"#);
        assert!(allow.allows("resource-exposed", &platform));
        assert!(allow.allows("resource-exposed", &terraform));
        assert!(!allow.allows("resource-exposed", &mallory));
        assert!(
            !allow.allows("destruction", &platform),
            "only the rule named"
        );
        assert!(AllowList::new(&BTreeMap::from([("x".into(), vec![" ".into()])])).is_err());
    }
}
