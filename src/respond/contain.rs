//! The compromised-credential playbook as one plan: cut the credential, then stop what it
//! started, then undo what it left behind. Built from the blast radius, so it names every
//! resource and every call before anything runs; what is already done is left out.

use super::blast::{
    Subject, Touched, acting_for, active_keys_of, blast_radius, new_access_key, owner_of_key,
};
use super::plan::already_done;
use super::resolve::principal_named;
use crate::model::{Action, InstanceState, PrincipalRef, Step};
use crate::state::{ActionView, IncidentState};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One step of a proposed plan, and whether it runs unless the responder unticks it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStep {
    pub action: Action,
    pub ticked: bool,
}

/// The plan for `subject`, in the order the playbook runs it: deactivate its keys, revoke
/// its sessions, deny it everything; isolate and snapshot the instances it launched, then
/// stop them (terminating is offered, unticked); delete the users and keys it made and
/// undo the policies, passwords, ingress rules and key pairs it added.
pub fn proposal(
    subject: &Subject,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Result<Vec<PlanStep>, String> {
    let principal = match subject {
        Subject::Key(k) => match owner_of_key(k, state) {
            Some(user) => Some(PrincipalRef::User(user)),
            None if k.starts_with("ASIA") => None,
            None => {
                return Err(format!(
                    "Unknown access key {k}: neither IAM nor the loaded CloudTrail names its user"
                ));
            }
        },
        Subject::Principal(p) => principal_named(p, state),
    };
    let touched = blast_radius(subject, state);
    let (_, keys) = acting_for(subject, state);
    let mut steps: Vec<PlanStep> = Vec::new();
    let mut add = |action: Action, ticked: bool| {
        let done = already_done(&action, state).is_some() || state.responded.contains(&action);
        if !done && !steps.iter().any(|s| s.action == action) {
            steps.push(PlanStep { action, ticked });
        }
    };

    // 1. The credential itself, and every key acting for it.
    let mut to_deactivate: Vec<(String, String)> = Vec::new();
    if let Some(PrincipalRef::User(u)) = &principal {
        match subject {
            Subject::Key(k) => to_deactivate.push((u.clone(), k.clone())),
            Subject::Principal(_) => {
                to_deactivate.extend(active_keys_of(u, state).into_iter().map(|k| (u.clone(), k)))
            }
        }
    }
    for k in &keys {
        if let Some(user) = owner_of_key(k, state).or_else(|| created_for(k, state)) {
            to_deactivate.push((user, k.clone()));
        }
    }
    for (user, access_key_id) in to_deactivate {
        add(
            Action::DeactivateKey {
                user,
                access_key_id,
            },
            true,
        );
    }
    if let Some(p) = &principal {
        add(
            Action::RevokeSessions {
                principal: p.clone(),
                issued_before: now,
            },
            true,
        );
        if let PrincipalRef::User(user) = p {
            add(Action::DenyAll { user: user.clone() }, true);
        }
    }

    // 2. What it started: isolate and keep evidence first, then stop the bill.
    let mut by_region: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in touched
        .iter()
        .filter(|t| t.kind == "instance" && !t.attempt)
    {
        let Some(i) = state.instance(&t.id) else {
            continue;
        };
        if i.state == InstanceState::Terminated {
            continue;
        }
        if !i.isolated {
            add(
                Action::IsolateInstance {
                    instance_id: i.instance_id.clone(),
                    region: i.region.clone(),
                },
                true,
            );
        }
        if !i.snapshotted {
            add(
                Action::SnapshotInstance {
                    instance_id: i.instance_id.clone(),
                    region: i.region.clone(),
                    incident: incident_tag(state),
                },
                true,
            );
        }
        by_region
            .entry(i.region.clone())
            .or_default()
            .push(i.instance_id.clone());
    }
    for (region, ids) in &by_region {
        let running: Vec<String> = ids
            .iter()
            .filter(|id| state.instance(id).is_some_and(|i| i.state.is_running()))
            .cloned()
            .collect();
        if !running.is_empty() {
            add(
                Action::StopInstances {
                    region: region.clone(),
                    instance_ids: running,
                },
                true,
            );
        }
    }
    for (region, ids) in by_region {
        add(
            Action::TerminateInstances {
                region,
                instance_ids: ids,
            },
            false,
        );
    }

    // 3. What it left behind. A user it created goes whole, with its keys, password and
    //    policies, so those are not undone one by one.
    let doomed: Vec<&str> = touched
        .iter()
        .filter_map(|t| match &t.undo {
            Some(Action::DeleteUser { user }) if !t.attempt => Some(user.as_str()),
            _ => None,
        })
        .collect();
    let belongs_to_doomed = |a: &Action| match a {
        Action::DeleteKey { user, .. }
        | Action::DeleteLoginProfile { user }
        | Action::DetachPolicy { user, .. } => doomed.contains(&user.as_str()),
        _ => false,
    };
    for t in persistence(&touched) {
        if let Some(undo) = &t.undo
            && !belongs_to_doomed(undo)
        {
            add(undo.clone(), true);
        }
    }
    if steps.is_empty() {
        return Err(format!(
            "Nothing to contain for {}: its keys are inactive and nothing it made is left",
            subject.name()
        ));
    }
    Ok(steps)
}

/// The user a `CreateAccessKey` in the loaded CloudTrail made `key` for.
fn created_for(key: &str, state: &IncidentState) -> Option<String> {
    state.events.iter().find_map(|e| {
        if e.event_name.as_str() != "CreateAccessKey" {
            return None;
        }
        let (made, user) = new_access_key(e.params()?)?;
        (made == key).then(|| user.map(str::to_string)).flatten()
    })
}

fn persistence(touched: &[Touched]) -> impl Iterator<Item = &Touched> {
    touched
        .iter()
        .filter(|t| !t.attempt && t.kind != "instance" && t.now.as_deref() != Some("undone"))
}

/// What the incident's snapshots are tagged with.
fn incident_tag(state: &IncidentState) -> String {
    if state.meta.id.is_empty() {
        "incident".into()
    } else {
        state.meta.id.clone()
    }
}

/// The plan of the ticked steps.
pub fn plan_of(subject: &Subject, steps: &[PlanStep]) -> Action {
    Action::Contain {
        target: subject.name().to_string(),
        steps: steps
            .iter()
            .filter(|s| s.ticked)
            .map(|s| s.action.clone())
            .collect(),
    }
}

/// The default plan for `subject`: every ticked step.
pub fn default_plan(
    subject: &Subject,
    state: &IncidentState,
    now: DateTime<Utc>,
) -> Result<Action, String> {
    Ok(plan_of(subject, &proposal(subject, state, now)?))
}

/// The rest of a plan that stopped: its steps not yet done, in order. `None` when the
/// action is not a plan, or nothing of it is left.
pub fn rest_of(view: &ActionView) -> Option<Action> {
    let Some(Action::Contain { target, steps }) = &view.action else {
        return None;
    };
    let done: Vec<usize> = view
        .steps
        .iter()
        .filter_map(|s| match s.step {
            Step::Progress {
                done_step: Some(k), ..
            } => Some(k),
            _ => None,
        })
        .collect();
    let rest: Vec<Action> = steps
        .iter()
        .enumerate()
        .filter(|(k, _)| !done.contains(k))
        .map(|(_, a)| a.clone())
        .collect();
    (!rest.is_empty()).then(|| Action::Contain {
        target: target.clone(),
        steps: rest,
    })
}

/// The last plan that failed, for `resume` without an ID.
pub fn last_failed_plan(state: &IncidentState) -> Option<&ActionView> {
    state.actions.iter().rev().find(|a| {
        matches!(a.action, Some(Action::Contain { .. }))
            && matches!(a.last(), Some(Step::Failed { .. }))
    })
}
