//! From a command of the shared vocabulary to the action it asks for, judged against what
//! the incident knows. The console and the Slack bridge both go through here, so the same
//! words do the same thing, and fail the same way, wherever they are typed.

use super::blast::Subject;
use super::contain;
use crate::model::{
    Action, AlertStatus, AlertStatusChange, IncidentChange, Note, PrincipalRef, RecordBody,
    ResourceKey, printable,
};
use crate::state::IncidentState;
use crate::vocabulary::Command;
use chrono::{DateTime, Utc};

/// The action a command asks for: `None` when the command is not an action (a query, a
/// note), `Some(Err(why))` when it names something the incident does not know.
pub fn action_for(
    cmd: &Command,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Option<Result<Action, String>> {
    Some(match cmd {
        Command::Deactivate(key) | Command::DeleteKey(key) => match state.key(key) {
            None => Err(format!(
                "Unknown access key {key}: it is not among the account's keys"
            )),
            Some(k) if matches!(cmd, Command::Deactivate(_)) => Ok(Action::DeactivateKey {
                user: k.user.clone(),
                access_key_id: key.clone(),
            }),
            Some(k) => Ok(Action::DeleteKey {
                user: k.user.clone(),
                access_key_id: key.clone(),
            }),
        },
        Command::DenyAll(user) => match state.user(user) {
            Some(_) => Ok(Action::DenyAll { user: user.clone() }),
            None => Err(format!("Unknown IAM user {user}")),
        },
        Command::RevokeSessions(target) => Ok(Action::RevokeSessions {
            principal: principal_from_text(target, state),
            issued_before: now,
        }),
        Command::Remediate { rule, resource } => remediation(state, rule, resource.as_deref()),
        Command::Isolate(id, region) => {
            instances_in(state, std::slice::from_ref(id), region.as_deref()).map(|region| {
                Action::IsolateInstance {
                    instance_id: id.clone(),
                    region,
                }
            })
        }
        Command::Snapshot(id, region) => {
            instances_in(state, std::slice::from_ref(id), region.as_deref()).map(|region| {
                Action::SnapshotInstance {
                    instance_id: id.clone(),
                    region,
                    incident: if state.meta.id.is_empty() {
                        "incident".into()
                    } else {
                        state.meta.id.clone()
                    },
                }
            })
        }
        Command::Stop(ids, region) => {
            instances_in(state, ids, region.as_deref()).map(|region| Action::StopInstances {
                region,
                instance_ids: ids.clone(),
            })
        }
        Command::Terminate(ids, region) => {
            instances_in(state, ids, region.as_deref()).map(|region| Action::TerminateInstances {
                region,
                instance_ids: ids.clone(),
            })
        }
        Command::RevokeIngress {
            group,
            rule,
            region,
        } => region_where(state, region.as_deref(), "security group", group, |e| {
            request_field(e, "groupId").as_deref() == Some(group.as_str())
        })
        .map(|region| Action::RevokeIngress {
            region,
            group_id: group.clone(),
            rule_id: rule.clone(),
        }),
        Command::DeleteUser(user) => Ok(Action::DeleteUser { user: user.clone() }),
        Command::DeleteLoginProfile(user) => Ok(Action::DeleteLoginProfile { user: user.clone() }),
        Command::DetachPolicy { user, policy_arn } => Ok(Action::DetachPolicy {
            user: user.clone(),
            policy_arn: policy_arn.clone(),
        }),
        Command::DeleteKeyPair(name, region) => {
            region_where(state, region.as_deref(), "key pair", name, |e| {
                matches!(e.event_name.as_str(), "ImportKeyPair" | "CreateKeyPair")
                    && request_field(e, "keyName").as_deref() == Some(name.as_str())
            })
            .map(|region| Action::DeleteKeyPair {
                region,
                key_name: name.clone(),
            })
        }
        Command::Contain(Some(target)) => {
            contain::default_plan(&Subject::parse(target), state, now)
        }
        Command::Resume(id) => {
            let view = match id {
                Some(id) => state.action(id),
                None => contain::last_failed_plan(state),
            };
            match view {
                None => Err(match id {
                    Some(id) => format!("Unknown action {}", printable(id)),
                    None => "No plan has stopped: nothing to resume".into(),
                }),
                Some(v) => contain::rest_of(v)
                    .ok_or_else(|| format!("{} is not a plan with steps left to run", v.id)),
            }
        }
        _ => return None,
    })
}

/// The region of instances the incident knows (from their launch), or the one given; all
/// must be in one region, as EC2 calls are regional.
fn instances_in(
    state: &IncidentState,
    ids: &[String],
    given: Option<&str>,
) -> Result<String, String> {
    if let Some(r) = given {
        return Ok(r.to_string());
    }
    let mut regions: Vec<&str> = Vec::new();
    for id in ids {
        match state.instance(id) {
            Some(i) => {
                if !regions.contains(&i.region.as_str()) {
                    regions.push(&i.region);
                }
            }
            None => {
                return Err(format!(
                    "Unknown instance {}: no launch of it is in the incident; name its region too",
                    printable(id)
                ));
            }
        }
    }
    match regions.as_slice() {
        [one] => Ok(one.to_string()),
        many => Err(format!(
            "Those instances run in {} regions ({}): one region per command",
            many.len(),
            many.join(", ")
        )),
    }
}

/// The one region where CloudTrail saw `what` made, or the one given.
fn region_where(
    state: &IncidentState,
    given: Option<&str>,
    kind: &str,
    what: &str,
    made_here: impl Fn(&crate::model::CloudTrailEvent) -> bool,
) -> Result<String, String> {
    if let Some(r) = given {
        return Ok(r.to_string());
    }
    let mut regions: Vec<String> = Vec::new();
    for e in state.events.iter().filter(|e| !e.failed() && made_here(e)) {
        if !regions.iter().any(|r| **r == *e.aws_region) {
            regions.push(e.aws_region.to_string());
        }
    }
    match regions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "No {kind} {} is in the incident's CloudTrail: name its region",
            printable(what)
        )),
        many => Err(format!(
            "{kind} {} exists in {} regions ({}): name one",
            printable(what),
            many.len(),
            many.join(", ")
        )),
    }
}

fn request_field(e: &crate::model::CloudTrailEvent, name: &str) -> Option<String> {
    e.params()?
        .pointer(&format!("/requestParameters/{name}"))?
        .as_str()
        .map(str::to_string)
}

/// The record a change to the incident itself asks for (a note, its status, severity or
/// title, an alert acknowledged or resolved): `None` when the command is not such a change,
/// `Some(Err(why))` when it cannot be made. An alert command without an ID is about
/// `default_alert` (the console's selection, the bridge's worst open alert). Free text is
/// made printable here, so nothing journaled can steer a terminal or a renderer later.
pub fn annotation_for(
    cmd: &Command,
    state: &IncidentState,
    default_alert: impl FnOnce() -> Option<String>,
) -> Option<Result<RecordBody, String>> {
    let text = |t: &str| printable(t).into_owned();
    Some(Ok(match cmd {
        Command::Note(t) => RecordBody::Note(Note { text: text(t) }),
        Command::Status(Some(s)) => RecordBody::IncidentChanged(IncidentChange::Status(*s)),
        Command::Severity(s) => RecordBody::IncidentChanged(IncidentChange::Severity(*s)),
        Command::Title(t) => RecordBody::IncidentChanged(IncidentChange::Title(text(t))),
        Command::Ack(id) | Command::Resolve(id) => {
            let Some(alert_id) = id
                .clone()
                .or_else(default_alert)
                .filter(|id| state.alert(id).is_some())
            else {
                return Some(Err(match id {
                    Some(id) => format!("Unknown alert {}", text(id)),
                    None => "Select an alert first (Alerts pane), or name one".into(),
                }));
            };
            RecordBody::AlertStatus(AlertStatusChange {
                alert_id,
                status: if matches!(cmd, Command::Ack(_)) {
                    AlertStatus::Acknowledged
                } else {
                    AlertStatus::Resolved
                },
            })
        }
        _ => return None,
    }))
}

/// The worst open alert: what an alert command without an ID is about in Slack.
pub fn worst_open_alert(state: &IncidentState) -> Option<String> {
    state
        .alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Open)
        .max_by_key(|a| (a.alert.severity, a.alert.last_seen))
        .map(|a| a.alert.id.clone())
}

/// `remediate <rule> [resource]`: every non-compliant resource of the rule, or one.
pub fn remediation(
    state: &IncidentState,
    rule: &str,
    only: Option<&str>,
) -> Result<Action, String> {
    let groups = state.findings_by_rule();
    let Some((_, findings)) = groups.iter().find(|(r, _)| *r == rule) else {
        return Err(format!("No non-compliant resources for rule {rule}"));
    };
    if findings.iter().all(|f| f.remediation.is_none()) {
        return Err(format!(
            "Rule {rule} has no automatic remediation: its fix is code to change at the source (see the finding)"
        ));
    }
    let resources: Vec<ResourceKey> = findings
        .iter()
        .filter(|f| only.is_none_or(|o| f.resource_id == o))
        .map(|f| ResourceKey {
            resource_type: f.resource_type.clone(),
            resource_id: f.resource_id.clone(),
            region: Some(f.region.clone()),
        })
        .collect();
    if resources.is_empty() {
        return Err(format!(
            "{} is not non-compliant under {rule}",
            only.unwrap_or_default()
        ));
    }
    Ok(Action::Remediate {
        rule: rule.to_string(),
        resources,
    })
}

/// The principal an alert's `principal` names (`NAME` for a user, `ROLE/SESSION` for an
/// assumed role), as a response can address it; `None` for root and AWS services, which no
/// user-level response applies to. The console's selection and the bridge's suggested
/// responses both ask here.
pub fn principal_named(p: &str, state: &IncidentState) -> Option<PrincipalRef> {
    if p.is_empty() || p == "root" || p.ends_with(".amazonaws.com") {
        return None;
    }
    if state.user(p).is_some() {
        return Some(PrincipalRef::User(p.to_string()));
    }
    Some(match p.split_once('/') {
        Some((role, _session)) => PrincipalRef::Role(role.to_string()),
        None => PrincipalRef::User(p.to_string()),
    })
}

/// `role/NAME`, `user/NAME`, an IAM ARN, or a bare name (a user if one is known by that
/// name, a role otherwise).
pub fn principal_from_text(text: &str, state: &IncidentState) -> PrincipalRef {
    let t = text.trim();
    let tail = t.rsplit(':').next().unwrap_or(t);
    if let Some(r) = tail.strip_prefix("role/") {
        return PrincipalRef::Role(r.rsplit('/').next().unwrap_or(r).to_string());
    }
    if let Some(u) = tail.strip_prefix("user/") {
        return PrincipalRef::User(u.rsplit('/').next().unwrap_or(u).to_string());
    }
    if state.user(t).is_some() {
        PrincipalRef::User(t.to_string())
    } else {
        PrincipalRef::Role(t.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_are_read_from_arns_prefixes_and_names() {
        let s = IncidentState::default();
        assert_eq!(
            principal_from_text("arn:aws:iam::1:role/path/Deployer", &s),
            PrincipalRef::Role("Deployer".into())
        );
        assert_eq!(
            principal_from_text("user/alice", &s),
            PrincipalRef::User("alice".into())
        );
        assert_eq!(
            principal_from_text("unknown", &s),
            PrincipalRef::Role("unknown".into())
        );
    }

    #[test]
    fn alert_principals_are_users_roles_or_nobody_to_respond_to() {
        let s = IncidentState::default();
        assert_eq!(
            principal_named("Deployer/i-0abc", &s),
            Some(PrincipalRef::Role("Deployer".into()))
        );
        assert_eq!(
            principal_named("dana.kim", &s),
            Some(PrincipalRef::User("dana.kim".into()))
        );
        assert_eq!(principal_named("root", &s), None);
        assert_eq!(principal_named("ec2.amazonaws.com", &s), None);
    }

    #[test]
    fn queries_are_not_actions_and_unknown_targets_say_so() {
        let s = IncidentState::default();
        let now = Utc::now();
        assert!(action_for(&Command::Alerts, &s, now).is_none());
        assert_eq!(
            action_for(&Command::Deactivate("AKIA1".into()), &s, now),
            Some(Err(
                "Unknown access key AKIA1: it is not among the account's keys".into()
            ))
        );
    }
}
