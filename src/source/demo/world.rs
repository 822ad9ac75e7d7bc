//! A small simulated AWS account that plays the scenario and answers the responder's calls
//! the way AWS would: once a key is deactivated, calls signed with it fail; once a user is
//! denied everything, their calls are refused; remediations make findings compliant.

use super::ec2::Ec2;
use super::script::{Caller, Scenario, ScriptedCall, WorldChange};
use crate::model::ApiCall;
use crate::model::Launched;
use crate::model::instance::{launched, state_changes};
use crate::model::{
    CloudTrailEvent, Finding, IncidentOpened, KeySnapshot, KeyStatus, NewRecord, RecordBody,
    Severity, SourceStatus, UserSnapshot,
};
use crate::respond::plan::{DENY_ALL_POLICY, REVOKE_SESSIONS_POLICY};
use crate::respond::{ApiError, ResponseApi, guidance};
use crate::state::IncidentState;
use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The actor name on records the world produces.
pub const ACTOR: &str = "demo-world";
/// Where the responder's own calls come from, as CloudTrail shows them.
const RESPONDER_IP: &str = "192.0.2.15";
const RESPONDER_ROLE: &str = "AWSReservedSSO_IncidentResponder_5f1c2d";
/// How long a Config remediation takes to run in the demo.
const REMEDIATION_SECONDS: i64 = 20;
/// Key "last used" is refreshed at most this often, as IAM's own reporting lags.
const LAST_USED_GRANULARITY_MINUTES: i64 = 5;

#[derive(Default)]
struct UserState {
    created: DateTime<Utc>,
    inline: BTreeMap<String, Value>,
    attached: Vec<String>,
    /// A console password.
    login_profile: bool,
}

struct KeyState {
    user: String,
    status: KeyStatus,
    created: DateTime<Utc>,
    last_used: Option<(DateTime<Utc>, String, String)>,
}

struct Remediation {
    rule: String,
    resource_id: String,
    done_at: DateTime<Utc>,
}

struct WorldState {
    now: DateTime<Utc>,
    /// Index of the next scripted call to play.
    cursor: usize,
    users: BTreeMap<String, UserState>,
    keys: BTreeMap<String, KeyState>,
    /// Cut-off of revoked sessions, by role.
    role_revocations: HashMap<String, DateTime<Utc>>,
    findings: Vec<Finding>,
    remediations: Vec<Remediation>,
    /// The instances running up the bill, and the groups and key pairs made for them.
    ec2: Ec2,
    /// Records produced by responses, delivered with the next `advance`.
    pending: Vec<NewRecord>,
    responder_calls: usize,
    /// Config's findings are reported once the history is in: like the real service, whose
    /// evaluations come after the resources' creation, so their creators can be named.
    findings_reported: bool,
}

/// The demo's AWS account.
pub struct DemoWorld {
    scenario: Arc<Scenario>,
    state: Mutex<WorldState>,
}

impl DemoWorld {
    pub fn new(scenario: Scenario) -> Self {
        let users = scenario
            .users
            .iter()
            .map(|u| {
                let attached = if u.admin {
                    vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_string()]
                } else {
                    vec![]
                };
                (
                    u.name.clone(),
                    UserState {
                        created: u.created,
                        attached,
                        ..UserState::default()
                    },
                )
            })
            .collect();
        let keys = scenario
            .keys
            .iter()
            .map(|k| {
                (
                    k.access_key_id.clone(),
                    KeyState {
                        user: k.user.clone(),
                        status: if k.active {
                            KeyStatus::Active
                        } else {
                            KeyStatus::Inactive
                        },
                        created: k.created,
                        last_used: None,
                    },
                )
            })
            .collect();
        let findings = scenario
            .findings
            .iter()
            .cloned()
            .map(|mut f| {
                if f.guidance.is_none() {
                    f.guidance = guidance::for_rule(&f.rule).map(|g| g.code.to_string());
                }
                f
            })
            .collect();
        DemoWorld {
            state: Mutex::new(WorldState {
                now: scenario.start,
                cursor: 0,
                users,
                keys,
                role_revocations: HashMap::new(),
                findings,
                remediations: Vec::new(),
                ec2: Ec2::default(),
                pending: Vec::new(),
                responder_calls: 0,
                findings_reported: false,
            }),
            scenario: Arc::new(scenario),
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WorldState> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The records that open a fresh demo incident at `now`: the incident, the account's
    /// users and keys, and AWS Config's findings.
    pub fn opening_records(&self, incident_id: &str, now: DateTime<Utc>) -> Vec<NewRecord> {
        let st = self.lock();
        let mut out = vec![NewRecord::new(
            now,
            ACTOR,
            RecordBody::IncidentOpened(IncidentOpened {
                id: incident_id.to_string(),
                title: self.scenario.title.clone(),
                severity: Severity::High,
                source: "demo".into(),
            }),
        )];
        out.extend(
            st.users
                .keys()
                .map(|u| user_record(&self.scenario, &st, u, now)),
        );
        out.extend(st.keys.keys().map(|k| key_record(&st, k, now)));
        out.push(NewRecord::new(
            now,
            ACTOR,
            RecordBody::SourceStatus(SourceStatus {
                source: "demo".into(),
                ok: true,
                message: format!("demo account {} connected", self.scenario.account_id),
            }),
        ));
        out
    }

    /// Resumes from a reopened journal: calls already recorded are not played again, and
    /// the account is as the recorded snapshots left it.
    pub fn restore(&self, state: &IncidentState) {
        let mut st = self.lock();
        let mut cursor = 0;
        for (i, call) in self.scenario.calls.iter().enumerate() {
            let id = event_id(i);
            if let Some(e) = state.event(&id) {
                cursor = i + 1;
                if e.error_code.is_none() {
                    made_by(&mut st, call, e.event_time);
                }
            }
        }
        st.cursor = cursor;
        let at = state.timeline.last().map_or(st.now, |e| e.at);
        for i in state.instances.values() {
            st.ec2.observe_state(&i.instance_id, i.state, at);
        }
        for k in &state.keys {
            let entry = st.keys.entry(k.access_key_id.clone()).or_insert(KeyState {
                user: k.user.clone(),
                status: k.status,
                created: k.created,
                last_used: None,
            });
            entry.status = k.status;
        }
        for u in &state.users {
            let entry = st.users.entry(u.name.clone()).or_insert(UserState {
                created: u.created,
                ..UserState::default()
            });
            for p in &u.inline_policies {
                entry.inline.entry(p.clone()).or_insert(Value::Null);
            }
            entry.attached = u.attached_policies.clone();
        }
        for f in &state.findings {
            if let Some(mine) = st
                .findings
                .iter_mut()
                .find(|m| m.rule == f.rule && m.resource_id == f.resource_id)
            {
                mine.compliance = f.compliance.clone();
            }
        }
        st.responder_calls = state.actions.len();
        st.findings_reported = !state.findings.is_empty();
        if let Some(last) = state.timeline.last() {
            st.now = st.now.max(last.at);
        }
    }

    /// Plays everything due by `now`; returns the records to journal, in order.
    pub fn advance(&self, now: DateTime<Utc>) -> Vec<NewRecord> {
        let mut st = self.lock();
        st.now = st.now.max(now);
        let mut out = std::mem::take(&mut st.pending);
        while let Some(call) = self.scenario.calls.get(st.cursor) {
            let at = self.scenario.at(call.offset);
            if at > now {
                break;
            }
            let index = st.cursor;
            st.cursor += 1;
            let event = play(&self.scenario, &mut st, index, call, at);
            out.push(NewRecord::new(at, "cloudtrail", RecordBody::Event(event)));
            out.append(&mut st.pending);
        }
        if !st.findings_reported {
            st.findings_reported = true;
            out.extend(
                st.findings
                    .iter()
                    .map(|f| NewRecord::new(now, "aws-config", RecordBody::Finding(f.clone()))),
            );
        }
        let due: Vec<usize> = (0..st.remediations.len())
            .filter(|&i| st.remediations[i].done_at <= now)
            .collect();
        for i in due.into_iter().rev() {
            let r = st.remediations.remove(i);
            if let Some(f) = st
                .findings
                .iter_mut()
                .find(|f| f.rule == r.rule && f.resource_id == r.resource_id)
            {
                f.compliance = "COMPLIANT".into();
                f.annotation = Some("Remediated by the rule's remediation action".into());
                f.evaluated_at = Some(r.done_at);
                out.push(NewRecord::new(
                    r.done_at,
                    "aws-config",
                    RecordBody::Finding(f.clone()),
                ));
            }
        }
        out
    }

    /// Records produced by responses, without playing anything (for a process that answers
    /// calls but does not run the scenario, such as the Slack bridge).
    pub fn drain(&self) -> Vec<NewRecord> {
        std::mem::take(&mut self.lock().pending)
    }

    /// The status of a key as the account sees it now.
    pub fn key_status(&self, access_key_id: &str) -> Option<KeyStatus> {
        self.lock().keys.get(access_key_id).map(|k| k.status)
    }

    /// Learns from the journal what another process (the bridge, another console) did to
    /// the account: key and user snapshots, and the responder's role policies as CloudTrail
    /// recorded them. Keeps two processes playing one demo account in agreement.
    pub fn observe(&self, rec: &crate::model::Record) {
        let mut st = self.lock();
        match &rec.body {
            RecordBody::Key(k) => {
                if let Some(mine) = st.keys.get_mut(&k.access_key_id) {
                    mine.status = k.status;
                }
            }
            RecordBody::User(u) => {
                if let Some(mine) = st.users.get_mut(&u.name) {
                    for p in &u.inline_policies {
                        mine.inline.entry(p.clone()).or_insert(Value::Null);
                    }
                }
            }
            RecordBody::Event(e)
                if matches!(
                    e.event_name.as_str(),
                    "StopInstances" | "TerminateInstances" | "StartInstances"
                ) && e.error_code.is_none() =>
            {
                for (id, to) in state_changes(&e.json()) {
                    st.ec2.observe_state(&id, to, e.event_time);
                }
            }
            RecordBody::Event(e)
                if e.event_name == "ModifyInstanceAttribute" && e.error_code.is_none() =>
            {
                let json = e.json();
                let params = &json["requestParameters"];
                if let Some(id) = params["instanceId"].as_str() {
                    st.ec2
                        .observe_groups(id, crate::model::strings(&params["groups"]));
                }
            }
            RecordBody::Event(e) if e.event_name == "PutRolePolicy" && e.error_code.is_none() => {
                let json = e.json();
                let params = &json["requestParameters"];
                if params["policyName"] == REVOKE_SESSIONS_POLICY {
                    let role = params["roleName"].as_str().unwrap_or_default().to_string();
                    let cutoff = params["policyDocument"]
                        .as_str()
                        .and_then(|d| serde_json::from_str::<Value>(d).ok())
                        .and_then(|d| token_cutoff(&d));
                    if let Some(cutoff) = cutoff {
                        st.role_revocations.insert(role, cutoff);
                    }
                }
            }
            _ => {}
        }
    }

    /// Whether every scripted call has been played.
    pub fn finished(&self) -> bool {
        self.lock().cursor >= self.scenario.calls.len()
    }

    /// What the attacker's instances have cost so far, in USD.
    pub fn spend_so_far(&self, now: DateTime<Utc>) -> f64 {
        self.lock().ec2.spend_so_far(now)
    }

    fn respond(&self, call: &ApiCall) -> Result<Value, ApiError> {
        let mut st = self.lock();
        let now = st.now;
        // What CloudTrail records as the call's `responseElements`.
        let mut recorded = Value::Null;
        let str_param = |name: &str| -> Result<String, ApiError> {
            call.params
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| ApiError::new("ValidationError", format!("{name} is required")))
        };
        let result = match (call.service.as_str(), call.operation.as_str()) {
            ("iam", "UpdateAccessKey") | ("iam", "DeleteAccessKey") => {
                let key_id = str_param("AccessKeyId")?;
                let user = str_param("UserName")?;
                let key = st
                    .keys
                    .get_mut(&key_id)
                    .filter(|k| k.user == user && k.status != KeyStatus::Deleted)
                    .ok_or_else(|| {
                        ApiError::new(
                            "NoSuchEntity",
                            format!("The Access Key with id {key_id} cannot be found."),
                        )
                    })?;
                key.status = if call.operation == "DeleteAccessKey" {
                    KeyStatus::Deleted
                } else {
                    match call.params.get("Status").and_then(Value::as_str) {
                        Some("Active") => KeyStatus::Active,
                        Some("Inactive") => KeyStatus::Inactive,
                        other => {
                            return Err(ApiError::new(
                                "ValidationError",
                                format!("Status must be Active or Inactive, not {other:?}"),
                            ));
                        }
                    }
                };
                let rec = key_record(&st, &key_id, now);
                st.pending.push(rec);
                Ok(json!({}))
            }
            ("iam", "PutUserPolicy") => {
                let user = str_param("UserName")?;
                let name = str_param("PolicyName")?;
                let doc = parse_document(&str_param("PolicyDocument")?)?;
                let u = st.users.get_mut(&user).ok_or_else(|| {
                    ApiError::new(
                        "NoSuchEntity",
                        format!("The user with name {user} cannot be found."),
                    )
                })?;
                u.inline.insert(name, doc);
                let rec = user_record(&self.scenario, &st, &user, now);
                st.pending.push(rec);
                Ok(json!({}))
            }
            ("iam", "PutRolePolicy") => {
                let role = str_param("RoleName")?;
                let name = str_param("PolicyName")?;
                let doc = parse_document(&str_param("PolicyDocument")?)?;
                if !self.scenario.roles.contains(&role) {
                    return Err(ApiError::new(
                        "NoSuchEntity",
                        format!("The role with name {role} cannot be found."),
                    ));
                }
                if name == REVOKE_SESSIONS_POLICY
                    && let Some(cutoff) = token_cutoff(&doc)
                {
                    st.role_revocations.insert(role, cutoff);
                }
                Ok(json!({}))
            }
            ("config", "StartRemediationExecution") => {
                let rule = str_param("ConfigRuleName")?;
                if !self.scenario.remediations.iter().any(|(r, _)| *r == rule) {
                    return Err(ApiError::new(
                        "NoSuchRemediationConfigurationException",
                        format!("No remediation configuration exists for rule {rule}."),
                    ));
                }
                let keys = call
                    .params
                    .get("ResourceKeys")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut failed = Vec::new();
                for k in keys {
                    let id = k
                        .get("resourceId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    if st
                        .findings
                        .iter()
                        .any(|f| f.rule == rule && f.resource_id == id)
                    {
                        st.remediations.push(Remediation {
                            rule: rule.clone(),
                            resource_id: id,
                            done_at: now + Duration::seconds(REMEDIATION_SECONDS),
                        });
                    } else {
                        failed
                            .push(json!({"resourceType": k.get("resourceType"), "resourceId": id}));
                    }
                }
                Ok(
                    json!({"FailureMessage": if failed.is_empty() { Value::Null } else { "resources not found".into() }, "FailedItems": failed}),
                )
            }
            ("ec2", _) => st.ec2.answer(call, now).map(|(answer, trail)| {
                recorded = trail;
                answer
            }),
            ("iam", op) => self.iam_answer(&mut st, op, call, now),
            (service, op) => Err(ApiError::new(
                "UnsupportedOperation",
                format!("the demo account does not implement {service}:{op}"),
            )),
        };
        // The responder's own call is in CloudTrail too, as it would be in a real account.
        st.responder_calls += 1;
        let event = responder_event(&self.scenario, &st, call, &recorded, result.as_ref().err());
        st.pending
            .push(NewRecord::new(now, "cloudtrail", RecordBody::Event(event)));
        result
    }
}

impl DemoWorld {
    /// The IAM calls that take a user apart: listing what it has, removing each, and
    /// refusing to delete it while anything is left, as IAM does.
    fn iam_answer(
        &self,
        st: &mut WorldState,
        op: &str,
        call: &ApiCall,
        now: DateTime<Utc>,
    ) -> Result<Value, ApiError> {
        let param = |name: &str| -> Result<String, ApiError> {
            call.params
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| ApiError::new("ValidationError", format!("{name} is required")))
        };
        let user = param("UserName").ok();
        let no_user = |u: &str| {
            ApiError::new(
                "NoSuchEntity",
                format!("The user with name {u} cannot be found."),
            )
        };
        let live_keys = |st: &WorldState, u: &str| -> Vec<String> {
            st.keys
                .iter()
                .filter(|(_, k)| k.user == u && k.status != KeyStatus::Deleted)
                .map(|(id, _)| id.clone())
                .collect()
        };
        // Calls about a user need the user.
        if let Some(u) = &user
            && !st.users.contains_key(u)
            && op != "DeleteVirtualMFADevice"
        {
            return Err(no_user(u));
        }
        let u = user.clone().unwrap_or_default();
        let answer = match op {
            "ListAccessKeys" => json!({"AccessKeyMetadata": live_keys(st, &u)
                .iter()
                .map(|k| json!({"AccessKeyId": k, "UserName": u, "Status": st.keys[k].status.as_str()}))
                .collect::<Vec<_>>()}),
            "GetLoginProfile" | "DeleteLoginProfile" => {
                let profile = &mut st
                    .users
                    .get_mut(&u)
                    .ok_or_else(|| no_user(&u))?
                    .login_profile;
                if !*profile {
                    return Err(ApiError::new(
                        "NoSuchEntity",
                        format!("Login Profile for User {u} cannot be found."),
                    ));
                }
                if op == "DeleteLoginProfile" {
                    *profile = false;
                }
                json!({})
            }
            "ListUserPolicies" => {
                json!({"PolicyNames": st.users[&u].inline.keys().collect::<Vec<_>>()})
            }
            "ListAttachedUserPolicies" => json!({"AttachedPolicies": st.users[&u]
                .attached
                .iter()
                .map(|arn| json!({"PolicyArn": arn, "PolicyName": arn.rsplit('/').next()}))
                .collect::<Vec<_>>()}),
            "DeleteUserPolicy" | "DetachUserPolicy" => {
                let entry = st.users.get_mut(&u).ok_or_else(|| no_user(&u))?;
                let gone = if op == "DeleteUserPolicy" {
                    entry.inline.remove(&param("PolicyName")?).is_some()
                } else {
                    let arn = param("PolicyArn")?;
                    let before = entry.attached.len();
                    entry.attached.retain(|a| *a != arn);
                    entry.attached.len() < before
                };
                if !gone {
                    return Err(ApiError::new(
                        "NoSuchEntity",
                        format!("The policy is not attached to user {u}."),
                    ));
                }
                let rec = user_record(&self.scenario, st, &u, now);
                st.pending.push(rec);
                json!({})
            }
            // The demo's users have no groups, MFA devices, certificates or SSH keys.
            "ListGroupsForUser" => json!({"Groups": []}),
            "ListMFADevices" => json!({"MFADevices": []}),
            "ListSigningCertificates" => json!({"Certificates": []}),
            "ListSSHPublicKeys" => json!({"SSHPublicKeys": []}),
            "DeleteUser" => {
                let entry = &st.users[&u];
                let left = if !live_keys(st, &u).is_empty() {
                    Some("access keys")
                } else if entry.login_profile {
                    Some("login profile")
                } else if !entry.inline.is_empty() || !entry.attached.is_empty() {
                    Some("policies")
                } else {
                    None
                };
                if let Some(what) = left {
                    return Err(ApiError::new(
                        "DeleteConflict",
                        format!("Cannot delete entity, must delete {what} first."),
                    ));
                }
                st.users.remove(&u);
                json!({})
            }
            op => {
                return Err(ApiError::new(
                    "UnsupportedOperation",
                    format!("the demo account does not implement iam:{op}"),
                ));
            }
        };
        Ok(answer)
    }
}

#[async_trait]
impl ResponseApi for DemoWorld {
    async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        self.respond(call)
    }
}

fn parse_document(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            "MalformedPolicyDocument",
            format!("The policy document is not valid JSON: {e}"),
        )
    })
}

/// The `aws:TokenIssueTime` cut-off in a revoke-sessions policy.
fn token_cutoff(doc: &Value) -> Option<DateTime<Utc>> {
    let text = doc
        .pointer("/Statement/0/Condition/DateLessThan/aws:TokenIssueTime")?
        .as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn user_record(sc: &Scenario, st: &WorldState, user: &str, now: DateTime<Utc>) -> NewRecord {
    let u = &st.users[user];
    NewRecord::new(
        now,
        "iam",
        RecordBody::User(UserSnapshot {
            name: user.to_string(),
            arn: format!("arn:aws:iam::{}:user/{user}", sc.account_id),
            created: u.created,
            inline_policies: u.inline.keys().cloned().collect(),
            attached_policies: u.attached.clone(),
        }),
    )
}

fn key_record(st: &WorldState, key_id: &str, now: DateTime<Utc>) -> NewRecord {
    let k = &st.keys[key_id];
    NewRecord::new(
        now,
        "iam",
        RecordBody::Key(KeySnapshot {
            user: k.user.clone(),
            access_key_id: key_id.to_string(),
            status: k.status,
            created: k.created,
            last_used: k.last_used.as_ref().map(|l| l.0),
            last_used_service: k.last_used.as_ref().map(|l| l.1.clone()),
            last_used_region: k.last_used.as_ref().map(|l| l.2.clone()),
            account: None,
        }),
    )
}

/// A deterministic identifier in UUID form, so replays and restarts agree on event IDs.
fn uuid_like(kind: &str, n: usize) -> String {
    let h = hex::encode(Sha256::digest(format!("{kind}:{n}").as_bytes()));
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// The CloudTrail event ID of scripted call `i`.
pub fn event_id(i: usize) -> String {
    uuid_like("event", i)
}

fn principal_id(prefix: &str, name: &str) -> String {
    let h = hex::encode(Sha256::digest(name.as_bytes())).to_uppercase();
    format!("{prefix}{}", &h[..17])
}

/// Decides what happens to a scripted call given the world as it is now, applies its
/// effect, and renders it as CloudTrail would record it.
fn play(
    sc: &Scenario,
    st: &mut WorldState,
    index: usize,
    call: &ScriptedCall,
    at: DateTime<Utc>,
) -> Arc<CloudTrailEvent> {
    let ec2 = call.event_source == "ec2.amazonaws.com";
    let denied = |who: &str| {
        let code = if ec2 {
            "Client.UnauthorizedOperation"
        } else {
            "AccessDenied"
        };
        let action = format!(
            "{}:{}",
            call.event_source.trim_end_matches(".amazonaws.com"),
            call.event_name
        );
        (
            code.to_string(),
            format!(
                "User: {who} is not authorized to perform: {action} with an explicit deny in an identity-based policy"
            ),
        )
    };
    let mut error = match &call.caller {
        Caller::User {
            user,
            access_key_id,
        } => {
            let usable = st
                .keys
                .get(access_key_id)
                .is_none_or(|k| k.status == KeyStatus::Active);
            let deny_all = st
                .users
                .get(user)
                .is_some_and(|u| u.inline.contains_key(DENY_ALL_POLICY));
            if !usable {
                Some(if ec2 {
                    (
                        "Client.AuthFailure".to_string(),
                        "AWS was not able to validate the provided access credentials".to_string(),
                    )
                } else {
                    (
                        "InvalidClientTokenId".to_string(),
                        "The security token included in the request is invalid.".to_string(),
                    )
                })
            } else if deny_all {
                Some(denied(&format!(
                    "arn:aws:iam::{}:user/{user}",
                    sc.account_id
                )))
            } else {
                None
            }
        }
        Caller::Role {
            role,
            session,
            issued_at,
            ..
        } => st
            .role_revocations
            .get(role)
            .filter(|cutoff| issued_at < *cutoff)
            .map(|_| {
                denied(&format!(
                    "arn:aws:sts::{}:assumed-role/{role}/{session}",
                    sc.account_id
                ))
            }),
        Caller::Service { .. } | Caller::Root => None,
    };
    if error.is_none() {
        error = call.error.clone();
    }
    if error.is_none() {
        apply_effect(st, &call.effect, at);
        made_by(st, call, at);
        if let Caller::User { access_key_id, .. } = &call.caller {
            let region = call.region.clone();
            let service = call
                .event_source
                .trim_end_matches(".amazonaws.com")
                .to_string();
            if let Some(k) = st.keys.get_mut(access_key_id) {
                let stale = k.last_used.as_ref().is_none_or(|(t, _, _)| {
                    at - *t >= Duration::minutes(LAST_USED_GRANULARITY_MINUTES)
                });
                k.last_used = Some((at, service, region));
                if stale {
                    let rec = key_record(st, access_key_id, at);
                    st.pending.push(rec);
                }
            }
        }
    }
    let ids = (event_id(index), uuid_like("request", index));
    Arc::new(render(sc, ids, call, at, error.as_ref()))
}

fn apply_effect(st: &mut WorldState, effect: &WorldChange, at: DateTime<Utc>) {
    match effect {
        WorldChange::CreateUser { user } => {
            st.users.entry(user.clone()).or_insert(UserState {
                created: at,
                ..UserState::default()
            });
            let rec = user_snapshot_at(st, user, at);
            st.pending.extend(rec);
        }
        WorldChange::CreateAccessKey {
            user,
            access_key_id,
        } => {
            st.keys.insert(
                access_key_id.clone(),
                KeyState {
                    user: user.clone(),
                    status: KeyStatus::Active,
                    created: at,
                    last_used: None,
                },
            );
            let rec = key_record(st, access_key_id, at);
            st.pending.push(rec);
        }
        WorldChange::AttachAdmin { user } => {
            if let Some(u) = st.users.get_mut(user) {
                u.attached
                    .push("arn:aws:iam::aws:policy/AdministratorAccess".to_string());
            }
            let rec = user_snapshot_at(st, user, at);
            st.pending.extend(rec);
        }
        // The instances are made from the call's response (see `made_by`).
        WorldChange::Launch { .. } => {}
        WorldChange::None => {}
    }
}

/// What a successful scripted call made that the responder can later undo: instances,
/// groups, ingress rules, key pairs, console passwords.
fn made_by(st: &mut WorldState, call: &ScriptedCall, at: DateTime<Utc>) {
    match (&call.effect, call.event_name.as_str()) {
        (
            WorldChange::Launch {
                hourly_usd,
                count,
                instance_type,
            },
            _,
        ) => {
            let event = json!({"responseElements": call.response_elements});
            let mut started = launched(&event);
            if started.is_empty() {
                // A scripted launch without a response still runs up its bill.
                let seed = format!("{}:{at}", call.region);
                started = (0..*count as usize)
                    .map(|n| Launched {
                        instance_id: format!("i-{}", &uuid_like(&seed, n)[..8]),
                        instance_type: instance_type.clone(),
                        vpc_id: None,
                        groups: Vec::new(),
                    })
                    .collect();
            }
            st.ec2.launch(&call.region, started, *hourly_usd, at);
        }
        (_, "CreateLoginProfile") => {
            if let Some(u) = call.request_parameters["userName"]
                .as_str()
                .and_then(|u| st.users.get_mut(u))
            {
                u.login_profile = true;
            }
        }
        (_, name) => st.ec2.record(
            name,
            &call.region,
            &call.request_parameters,
            &call.response_elements,
        ),
    }
}

fn user_snapshot_at(st: &WorldState, user: &str, at: DateTime<Utc>) -> Option<NewRecord> {
    let u = st.users.get(user)?;
    Some(NewRecord::new(
        at,
        "iam",
        RecordBody::User(UserSnapshot {
            name: user.to_string(),
            arn: String::new(),
            created: u.created,
            inline_policies: u.inline.keys().cloned().collect(),
            attached_policies: u.attached.clone(),
        }),
    ))
}

fn identity(sc: &Scenario, caller: &Caller) -> Value {
    let acct = &sc.account_id;
    match caller {
        Caller::User {
            user,
            access_key_id,
        } => json!({
            "type": "IAMUser",
            "principalId": principal_id("AIDA", user),
            "arn": format!("arn:aws:iam::{acct}:user/{user}"),
            "accountId": acct,
            "accessKeyId": access_key_id,
            "userName": user,
        }),
        Caller::Role {
            role,
            session,
            access_key_id,
            issued_at,
        } => {
            let role_id = principal_id("AROA", role);
            json!({
                "type": "AssumedRole",
                "principalId": format!("{role_id}:{session}"),
                "arn": format!("arn:aws:sts::{acct}:assumed-role/{role}/{session}"),
                "accountId": acct,
                "accessKeyId": access_key_id,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": role_id,
                        "arn": format!("arn:aws:iam::{acct}:role/{role}"),
                        "accountId": acct,
                        "userName": role,
                    },
                    "attributes": {
                        "creationDate": issued_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                        "mfaAuthenticated": "false",
                    },
                },
            })
        }
        Caller::Service { service } => json!({"type": "AWSService", "invokedBy": service}),
        Caller::Root => json!({
            "type": "Root",
            "principalId": acct,
            "arn": format!("arn:aws:iam::{acct}:root"),
            "accountId": acct,
        }),
    }
}

fn render(
    sc: &Scenario,
    ids: (String, String),
    call: &ScriptedCall,
    at: DateTime<Utc>,
    error: Option<&(String, String)>,
) -> CloudTrailEvent {
    let mut event = json!({
        "eventVersion": "1.09",
        "userIdentity": identity(sc, &call.caller),
        "eventTime": at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "eventSource": call.event_source,
        "eventName": call.event_name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
        "requestParameters": call.request_parameters,
        "responseElements": if error.is_some() { Value::Null } else { call.response_elements.clone() },
        "requestID": ids.1,
        "eventID": ids.0,
        "readOnly": call.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": sc.account_id,
        "eventCategory": "Management",
    });
    if let Some((code, message)) = error {
        event["errorCode"] = json!(code);
        event["errorMessage"] = json!(message);
    }
    let raw = event.to_string();
    // Rendered from a JSON object with an RFC 3339 time: parsing cannot fail.
    CloudTrailEvent::from_json(&raw).expect("rendered event parses")
}

/// The CloudTrail record of a call the responder made through the console.
fn responder_event(
    sc: &Scenario,
    st: &WorldState,
    call: &ApiCall,
    recorded: &Value,
    error: Option<&ApiError>,
) -> Arc<CloudTrailEvent> {
    let caller = Caller::Role {
        role: RESPONDER_ROLE.into(),
        session: "responder".into(),
        access_key_id: "ASIARESPONDER0000001".into(),
        issued_at: st.now - Duration::minutes(30),
    };
    let mut params = serde_json::Map::new();
    if let Some(obj) = call.params.as_object() {
        for (k, v) in obj {
            let mut key = k.clone();
            if let Some(first) = key.get_mut(0..1) {
                first.make_ascii_lowercase();
            }
            params.insert(key, v.clone());
        }
    }
    let scripted = ScriptedCall {
        offset: Duration::zero(),
        caller,
        event_source: format!("{}.amazonaws.com", call.service),
        event_name: call.operation.clone(),
        region: match &call.region {
            _ if call.service == "iam" => "us-east-1".into(),
            Some(r) => r.clone(),
            None => sc
                .findings
                .first()
                .map_or("us-east-1".into(), |f| f.region.clone()),
        },
        source_ip: RESPONDER_IP.into(),
        user_agent: format!("warroom/{}", env!("CARGO_PKG_VERSION")),
        request_parameters: Value::Object(params),
        response_elements: recorded.clone(),
        read_only: ["List", "Get", "Describe"]
            .iter()
            .any(|p| call.operation.starts_with(p)),
        error: None,
        effect: WorldChange::None,
        attacker: false,
    };
    let err = error.map(|e| (e.code.clone(), e.message.clone()));
    // Unique per call and instant, and stable if the same journal is replayed.
    let seed = format!("responder:{}:{}:{call}", st.now, st.responder_calls);
    let ids = (uuid_like(&seed, 0), uuid_like(&seed, 1));
    Arc::new(render(sc, ids, &scripted, st.now, err.as_ref()))
}

#[cfg(test)]
mod tests;
