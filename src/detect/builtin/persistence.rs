//! `persistence`: ways back in — keys and passwords for others, new users, admin policies,
//! trusts opened to outsiders.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::policy;
use crate::model::{CloudTrailEvent, Severity};
use foldhash::HashMap;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Default)]
pub struct Persistence {
    /// What each alert's principal has created so far.
    created: HashMap<String, BTreeSet<String>>,
}

fn subject_of(params: &Value) -> String {
    ["userName", "roleName", "groupName"]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_str))
        .unwrap_or("?")
        .to_string()
}

impl Detection for Persistence {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        // What a stack or a service makes is its template's, judged before deploy.
        if e.failed() || super::signal::by_a_service(e) {
            return;
        }
        let params = e
            .params()
            .and_then(|p| p.get("requestParameters"))
            .unwrap_or(&Value::Null);
        let text = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default();
        let target = text("userName");
        // A user is themselves through a role session named after them, too (SSO, a
        // federated sign-in): changing one's own password is no way back in.
        let caller = match &*e.identity.kind {
            "AssumedRole" => e.identity.session_name.as_deref().unwrap_or_default(),
            _ => e.identity.user_name.as_deref().unwrap_or_default(),
        };
        let what = match e.event_name.as_str() {
            "CreateAccessKey" if !target.is_empty() && target != caller => {
                format!("an access key for {target}")
            }
            "CreateUser" => format!("user {target}"),
            "CreateLoginProfile" => format!("a console password for {target}"),
            "UpdateLoginProfile" if !target.is_empty() && target != caller => {
                format!("a new console password for {target}")
            }
            "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy"
                if text("policyArn").ends_with("/AdministratorAccess") =>
            {
                format!("AdministratorAccess for {}", subject_of(params))
            }
            "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy"
                if policy::grants_everything(text("policyDocument")) =>
            {
                format!("an allow-everything policy for {}", subject_of(params))
            }
            "CreateRole" | "UpdateAssumeRolePolicy" => {
                let doc = match e.event_name.as_str() {
                    "CreateRole" => text("assumeRolePolicyDocument"),
                    _ => text("policyDocument"),
                };
                let outsiders = policy::outside_trust(doc, &e.identity.account_id);
                if outsiders.is_empty() {
                    return;
                }
                format!(
                    "a trust on role {} for {}",
                    text("roleName"),
                    outsiders.join(", ")
                )
            }
            _ => return,
        };
        let principal = e.identity.display();
        let id = cx.bump(
            AlertSeed {
                group: format!("persistence:{principal}"),
                rule: "persistence".into(),
                severity: Severity::High,
                title: format!("{principal} is creating ways back in"),
            },
            e,
        );
        let items = self.created.entry(id.clone()).or_default();
        items.insert(what);
        let explain = format!(
            "{principal} created {} — ways back in after the key is gone",
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        cx.report(&id, Some(explain));
    }
}
