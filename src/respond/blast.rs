//! The blast radius of a compromised credential: everything its principal created or
//! changed, worked out from CloudTrail, each with where it is, what it is doing now, what
//! it costs, and the response that undoes it. Refused calls are attempts, never done.
//!
//! The principal's own creations count as the principal: a user it made and the keys it
//! added act for the attacker too, so their calls are followed as well.

use crate::model::{Action, CloudTrailEvent, KeyStatus};
use crate::state::IncidentState;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeSet;

/// Whose blast radius: a principal as events name it (`alice`, `Role/session`), or one
/// access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Principal(String),
    Key(String),
}

impl Subject {
    /// An access key ID (`AKIA…`, `ASIA…`) or a principal's name.
    pub fn parse(text: &str) -> Subject {
        let t = text.trim();
        let is_key = (t.starts_with("AKIA") || t.starts_with("ASIA"))
            && t.len() >= 16
            && t.chars().all(|c| c.is_ascii_alphanumeric());
        if is_key {
            Subject::Key(t.to_string())
        } else {
            Subject::Principal(t.to_string())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Subject::Principal(p) | Subject::Key(p) => p,
        }
    }
}

/// One thing the subject created or changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Touched {
    /// `instance`, `user`, `access-key`, `login-profile`, `policy`, `inline-policy`, `role`,
    /// `key-pair`, `security-group`, `ingress-rule`, `function`, `spot-request`, `shared`.
    pub kind: &'static str,
    /// What it is: an instance ID, a user, `user ← policy ARN`, …
    pub id: String,
    /// `None` for IAM, which is global.
    pub region: Option<String>,
    /// The call that did it: `ec2:RunInstances`.
    pub call: String,
    pub at: DateTime<Utc>,
    pub event_id: String,
    pub by: String,
    /// Refused by AWS: it was tried, nothing was made.
    pub attempt: bool,
    /// What it is doing now, where warroom knows: `running`, `inactive`, `undone`, …
    pub now: Option<String>,
    /// What it costs now, USD per hour.
    pub cost_per_hour: Option<f64>,
    /// The response that undoes it, when warroom has one.
    pub undo: Option<Action>,
}

/// The principals and keys acting for the subject: itself, then whatever users and keys
/// it (or they) created.
pub fn acting_for(
    subject: &Subject,
    state: &IncidentState,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut principals = BTreeSet::new();
    let mut keys = BTreeSet::new();
    match subject {
        Subject::Principal(p) => {
            principals.insert(p.clone());
        }
        Subject::Key(k) => {
            keys.insert(k.clone());
        }
    }
    loop {
        let before = principals.len() + keys.len();
        for e in &state.events {
            if e.failed() || !acts_for(e, &principals, &keys) {
                continue;
            }
            let Some(params) = e.params() else {
                continue;
            };
            match e.event_name.as_str() {
                "CreateUser" => {
                    principals.extend(request_str(params, "userName"));
                }
                "CreateAccessKey" => {
                    keys.extend(new_access_key(params).map(|(k, _)| k.to_string()));
                }
                _ => {}
            }
        }
        if principals.len() + keys.len() == before {
            return (principals, keys);
        }
    }
}

fn acts_for(e: &CloudTrailEvent, principals: &BTreeSet<String>, keys: &BTreeSet<String>) -> bool {
    e.identity
        .access_key_id
        .as_ref()
        .is_some_and(|k| keys.contains(&**k))
        || principals.contains(&e.identity.display())
}

/// The key a successful `CreateAccessKey` made, and whose it is.
pub fn new_access_key(params: &Value) -> Option<(&str, Option<&str>)> {
    let key = params.pointer("/responseElements/accessKey")?;
    Some((
        key.get("accessKeyId")?.as_str()?,
        key.get("userName").and_then(Value::as_str),
    ))
}

fn request_str(params: &Value, name: &str) -> Option<String> {
    params
        .get("requestParameters")?
        .get(name)?
        .as_str()
        .map(str::to_string)
}

/// Everything the subject created or changed, in time order.
pub fn blast_radius(subject: &Subject, state: &IncidentState) -> Vec<Touched> {
    let (principals, keys) = acting_for(subject, state);
    let mut out = Vec::new();
    for e in state
        .events
        .iter()
        .filter(|e| e.read_only != Some(true) && acts_for(e, &principals, &keys))
    {
        touched_by(e, state, &mut out);
    }
    for t in &mut out {
        if !t.attempt && t.undo.as_ref().is_some_and(|u| state.responded.contains(u)) {
            t.now = Some("undone".into());
            t.cost_per_hour = t.cost_per_hour.map(|_| 0.0);
        }
    }
    out
}

fn touched_by(e: &CloudTrailEvent, state: &IncidentState, out: &mut Vec<Touched>) {
    let Some(params) = e.params() else {
        return;
    };
    let region = e.aws_region.to_string();
    let attempt = e.failed();
    let user = || request_str(params, "userName");
    let make = |kind: &'static str, id: String, regional: bool, undo: Option<Action>| Touched {
        kind,
        id,
        region: regional.then(|| region.clone()),
        call: format!("{}:{}", e.service(), e.event_name),
        at: e.event_time,
        event_id: e.event_id().to_string(),
        by: e.identity.display(),
        attempt,
        now: None,
        cost_per_hour: None,
        undo: if attempt { None } else { undo },
    };
    match e.event_name.as_str() {
        "RunInstances" if !attempt => {
            for i in state.launched_by_event(&e.event_id()) {
                let undo = Action::StopInstances {
                    region: i.region.clone(),
                    instance_ids: vec![i.instance_id.clone()],
                };
                out.push(make("instance", i.instance_id.clone(), true, Some(undo)));
                let t = out.last_mut().expect("just pushed");
                let mut now = i.state.as_str().to_string();
                if i.isolated {
                    now.push_str(", isolated");
                }
                if i.snapshotted {
                    now.push_str(", snapshotted");
                }
                t.now = Some(now);
                t.cost_per_hour = Some(i.costs_now());
            }
        }
        "RunInstances" | "RequestSpotInstances" => {
            let (types, count) = crate::model::launch_request(params);
            let what = format!("{count} × {}", types.first().map_or("?", String::as_str));
            let kind = if e.event_name.as_str() == "RunInstances" {
                "instance"
            } else {
                "spot-request"
            };
            out.push(make(kind, what, true, None));
        }
        "CreateUser" => {
            if let Some(u) = user() {
                out.push(make(
                    "user",
                    u.clone(),
                    false,
                    Some(Action::DeleteUser { user: u }),
                ));
            }
        }
        "CreateAccessKey" => {
            let key = new_access_key(params).map(|(k, _)| k.to_string());
            let owner = user().unwrap_or_else(|| e.identity.display());
            let id = key.clone().unwrap_or_else(|| format!("a key of {owner}"));
            let undo = key.clone().map(|k| Action::DeleteKey {
                user: owner.clone(),
                access_key_id: k,
            });
            out.push(make("access-key", id, false, undo));
            if let Some(k) = key.and_then(|k| state.key(&k)) {
                out.last_mut().expect("just pushed").now = Some(k.status.as_str().to_string());
            }
        }
        "CreateLoginProfile" | "UpdateLoginProfile" => {
            if let Some(u) = user() {
                out.push(make(
                    "login-profile",
                    u.clone(),
                    false,
                    Some(Action::DeleteLoginProfile { user: u }),
                ));
            }
        }
        "AttachUserPolicy" => {
            if let (Some(u), Some(arn)) = (user(), request_str(params, "policyArn")) {
                out.push(make(
                    "policy",
                    format!("{u} ← {arn}"),
                    false,
                    Some(Action::DetachPolicy {
                        user: u,
                        policy_arn: arn,
                    }),
                ));
            }
        }
        "PutUserPolicy" => {
            if let (Some(u), Some(name)) = (user(), request_str(params, "policyName")) {
                out.push(make("inline-policy", format!("{u} ← {name}"), false, None));
            }
        }
        "CreateRole" | "UpdateAssumeRolePolicy" | "AttachRolePolicy" | "PutRolePolicy" => {
            if let Some(role) = request_str(params, "roleName") {
                out.push(make("role", role, false, None));
            }
        }
        "ImportKeyPair" | "CreateKeyPair" => {
            if let Some(name) = request_str(params, "keyName") {
                out.push(make(
                    "key-pair",
                    name.clone(),
                    true,
                    Some(Action::DeleteKeyPair {
                        region: region.clone(),
                        key_name: name,
                    }),
                ));
            }
        }
        "CreateSecurityGroup" => {
            let id = params
                .pointer("/responseElements/groupId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| request_str(params, "groupName"));
            if let Some(id) = id {
                out.push(make("security-group", id, true, None));
            }
        }
        "AuthorizeSecurityGroupIngress" => {
            let group = request_str(params, "groupId").unwrap_or_default();
            let rules = params
                .pointer("/responseElements/securityGroupRuleSet/items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("securityGroupRuleId").and_then(Value::as_str));
            let mut any = false;
            for rule in rules {
                any = true;
                out.push(make(
                    "ingress-rule",
                    format!("{group} {rule}"),
                    true,
                    Some(Action::RevokeIngress {
                        region: region.clone(),
                        group_id: group.clone(),
                        rule_id: rule.to_string(),
                    }),
                ));
            }
            if !any {
                out.push(make("ingress-rule", group, true, None));
            }
        }
        name if name.starts_with("CreateFunction") => {
            if let Some(f) = request_str(params, "functionName") {
                out.push(make("function", f, true, None));
            }
        }
        "ModifySnapshotAttribute" | "ModifyImageAttribute" => {
            let id = request_str(params, "snapshotId")
                .or_else(|| request_str(params, "imageId"))
                .unwrap_or_default();
            out.push(make("shared", id, true, None));
        }
        _ => {}
    }
}

/// The user an access key belongs to: as IAM lists it, else as the events signed with it
/// name it (CloudTrail can be read before IAM has answered).
pub fn owner_of_key(key: &str, state: &IncidentState) -> Option<String> {
    if let Some(k) = state.key(key) {
        return Some(k.user.clone());
    }
    state
        .events
        .iter()
        .rev()
        .find(|e| {
            e.identity.kind.as_str() == "IAMUser"
                && e.identity.access_key_id.as_deref() == Some(key)
        })
        .and_then(|e| e.identity.user_name.as_ref().map(|u| u.to_string()))
}

/// The long-term keys of a user that may still work: those IAM lists as active, and those
/// its events were signed with that IAM has not listed (yet).
pub fn active_keys_of(user: &str, state: &IncidentState) -> Vec<String> {
    let mut keys: Vec<String> = state
        .keys
        .iter()
        .filter(|k| k.user == user && k.status == KeyStatus::Active)
        .map(|k| k.access_key_id.clone())
        .collect();
    for e in state.events.iter().filter(|e| {
        e.identity.kind.as_str() == "IAMUser" && e.identity.user_name.as_deref() == Some(user)
    }) {
        if let Some(k) = e.identity.access_key_id.as_deref()
            && k.starts_with("AKIA")
            && state.key(k).is_none()
            && !keys.iter().any(|x| x == k)
        {
            keys.push(k.to_string());
        }
    }
    keys
}
