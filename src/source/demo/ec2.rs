//! The demo account's EC2: the instances the scenario launches, the security groups and
//! key pairs it makes, and the answers EC2 gives the responder — including the awkward
//! ones (an instance already terminated, a quarantine group that already exists).

use crate::model::{ApiCall, InstanceState, Launched, strings};
use crate::respond::ApiError;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub struct Instance {
    pub region: String,
    pub vpc_id: String,
    pub groups: Vec<String>,
    pub volumes: Vec<String>,
    pub state: InstanceState,
    /// USD per hour while it runs.
    pub hourly: f64,
    /// When it last started running, and the bill it ran up before that.
    pub running_since: Option<DateTime<Utc>>,
    pub spent_before: f64,
}

pub struct Group {
    pub region: String,
    pub vpc_id: String,
    pub name: String,
    pub ingress: Vec<String>,
    pub egress_open: bool,
}

#[derive(Default)]
pub struct Ec2 {
    pub instances: BTreeMap<String, Instance>,
    pub groups: BTreeMap<String, Group>,
    /// `(region, name)`.
    pub key_pairs: Vec<(String, String)>,
    /// Snapshot ID → (volume, tags).
    pub snapshots: BTreeMap<String, (String, Value)>,
    made: usize,
}

/// A stable, AWS-looking ID: `sg-` and 17 hex digits.
fn fake_id(prefix: &str, seed: &str) -> String {
    let digest = hex::encode(Sha256::digest(seed.as_bytes()));
    format!("{prefix}-{}", &digest[..17])
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        "InvalidInstanceID.NotFound",
        format!("The instance ID '{id}' does not exist"),
    )
}

fn no_group(id: &str) -> ApiError {
    ApiError::new(
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

fn str_param<'a>(call: &'a ApiCall, name: &str) -> Result<&'a str, ApiError> {
    call.params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new("MissingParameter", format!("{name} is required")))
}

fn first_id(call: &ApiCall) -> Result<String, ApiError> {
    call.params
        .pointer("/InstanceIds/0")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ApiError::new("MissingParameter", "InstanceIds is required"))
}

impl Ec2 {
    /// Instances a scripted `RunInstances` started: they run up a bill from `at` on.
    pub fn launch(
        &mut self,
        region: &str,
        launched: Vec<Launched>,
        hourly: f64,
        at: DateTime<Utc>,
    ) {
        for l in launched {
            let volumes = vec![fake_id("vol", &l.instance_id)];
            self.instances.insert(
                l.instance_id.clone(),
                Instance {
                    region: region.to_string(),
                    vpc_id: l.vpc_id.unwrap_or_else(|| "vpc-default".into()),
                    groups: l.groups,
                    volumes,
                    state: InstanceState::Running,
                    hourly,
                    running_since: Some(at),
                    spent_before: 0.0,
                },
            );
        }
    }

    /// What a scripted call made: groups, ingress rules, key pairs.
    pub fn record(&mut self, event_name: &str, region: &str, request: &Value, response: &Value) {
        let s = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match event_name {
            "CreateSecurityGroup" => {
                self.groups.insert(
                    s(response, "groupId"),
                    Group {
                        region: region.into(),
                        vpc_id: s(request, "vpcId"),
                        name: s(request, "groupName"),
                        ingress: Vec::new(),
                        egress_open: true,
                    },
                );
            }
            "AuthorizeSecurityGroupIngress" => {
                let rules = response
                    .pointer("/securityGroupRuleSet/items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.get("securityGroupRuleId").and_then(Value::as_str));
                if let Some(g) = self.groups.get_mut(&s(request, "groupId")) {
                    g.ingress.extend(rules.map(str::to_string));
                }
            }
            "ImportKeyPair" | "CreateKeyPair" => {
                self.key_pairs.push((region.into(), s(request, "keyName")))
            }
            _ => {}
        }
    }

    fn set_state(&mut self, id: &str, to: InstanceState, now: DateTime<Utc>) {
        if let Some(i) = self.instances.get_mut(id) {
            if !to.is_running()
                && let Some(since) = i.running_since.take()
            {
                i.spent_before += hours(now - since) * i.hourly;
            }
            i.state = to;
        }
    }

    /// What the instances have cost so far, in USD.
    pub fn spend_so_far(&self, now: DateTime<Utc>) -> f64 {
        self.instances
            .values()
            .map(|i| i.spent_before + i.running_since.map_or(0.0, |s| hours(now - s) * i.hourly))
            .sum()
    }

    /// Follows a state change recorded elsewhere (another process answering for the same
    /// demo account, or a reopened journal).
    pub fn observe_state(&mut self, id: &str, to: InstanceState, at: DateTime<Utc>) {
        self.set_state(id, to, at);
    }

    pub fn observe_groups(&mut self, id: &str, groups: Vec<String>) {
        if let Some(i) = self.instances.get_mut(id) {
            i.groups = groups;
        }
    }

    /// An instance of `region` (EC2 knows an instance only in its own region).
    fn instance_in(&self, id: &str, region: &str) -> Result<&Instance, ApiError> {
        self.instances
            .get(id)
            .filter(|i| i.region == region)
            .ok_or_else(|| not_found(id))
    }

    /// Answers an EC2 call as EC2 would, changing the account. Also returns what
    /// CloudTrail records as the call's `responseElements`.
    pub fn answer(
        &mut self,
        call: &ApiCall,
        now: DateTime<Utc>,
    ) -> Result<(Value, Value), ApiError> {
        let region = call.region.clone().unwrap_or_default();
        self.made += 1;
        match call.operation.as_str() {
            "DescribeInstances" => {
                let id = first_id(call)?;
                let i = self.instance_in(&id, &region)?;
                Ok((
                    json!({"Reservations": [{"Instances": [{
                        "InstanceId": id,
                        "VpcId": i.vpc_id,
                        "State": {"Name": i.state.as_str()},
                        "SecurityGroups": i.groups.iter().map(|g| json!({"GroupId": g})).collect::<Vec<_>>(),
                        "BlockDeviceMappings": i.volumes.iter().map(|v| json!({"DeviceName": "/dev/sda1", "Ebs": {"VolumeId": v}})).collect::<Vec<_>>(),
                    }]}]}),
                    Value::Null,
                ))
            }
            "DescribeSecurityGroups" => {
                let filter = |name: &str| {
                    call.params["Filters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|f| f["Name"] == name)
                        .and_then(|f| f["Values"][0].as_str())
                        .map(str::to_string)
                };
                let (vpc, name) = (filter("vpc-id"), filter("group-name"));
                let found: Vec<Value> = self
                    .groups
                    .iter()
                    .filter(|(_, g)| g.region == region)
                    .filter(|(_, g)| vpc.as_ref().is_none_or(|v| *v == g.vpc_id))
                    .filter(|(_, g)| name.as_ref().is_none_or(|n| *n == g.name))
                    .map(|(id, g)| json!({"GroupId": id, "GroupName": g.name, "VpcId": g.vpc_id}))
                    .collect();
                Ok((json!({"SecurityGroups": found}), Value::Null))
            }
            "CreateSecurityGroup" => {
                let name = str_param(call, "GroupName")?.to_string();
                let vpc = str_param(call, "VpcId")?.to_string();
                if self
                    .groups
                    .values()
                    .any(|g| g.region == region && g.vpc_id == vpc && g.name == name)
                {
                    return Err(ApiError::new(
                        "InvalidGroup.Duplicate",
                        format!("The security group '{name}' already exists for VPC '{vpc}'"),
                    ));
                }
                let id = fake_id("sg", &format!("{region}:{vpc}:{name}"));
                self.groups.insert(
                    id.clone(),
                    Group {
                        region,
                        vpc_id: vpc,
                        name,
                        ingress: Vec::new(),
                        egress_open: true,
                    },
                );
                Ok((
                    json!({"GroupId": id}),
                    json!({"_return": true, "groupId": id}),
                ))
            }
            "RevokeSecurityGroupEgress" => {
                let id = str_param(call, "GroupId")?;
                let g = self.groups.get_mut(id).ok_or_else(|| no_group(id))?;
                g.egress_open = false;
                Ok((json!({"Return": true}), json!({"_return": true})))
            }
            "ModifyInstanceAttribute" => {
                let id = str_param(call, "InstanceId")?.to_string();
                let groups = strings(&call.params["Groups"]);
                if let Some(g) = groups.iter().find(|g| !self.groups.contains_key(*g)) {
                    return Err(no_group(g));
                }
                let i = self.instances.get_mut(&id).ok_or_else(|| not_found(&id))?;
                if i.state == InstanceState::Terminated {
                    return Err(ApiError::new(
                        "IncorrectInstanceState",
                        format!(
                            "The instance '{id}' is not in a state from which it can be modified."
                        ),
                    ));
                }
                i.groups = groups;
                Ok((json!({}), json!({"_return": true})))
            }
            "CreateSnapshot" => {
                let volume = str_param(call, "VolumeId")?.to_string();
                if !self.instances.values().any(|i| i.volumes.contains(&volume)) {
                    return Err(ApiError::new(
                        "InvalidVolume.NotFound",
                        format!("The volume '{volume}' does not exist."),
                    ));
                }
                let id = fake_id("snap", &format!("{volume}:{}", self.made));
                let tags = call.params["TagSpecifications"][0]["Tags"].clone();
                self.snapshots.insert(id.clone(), (volume.clone(), tags));
                Ok((
                    json!({"SnapshotId": id, "VolumeId": volume, "State": "pending"}),
                    json!({"snapshotId": id, "volumeId": volume, "status": "pending"}),
                ))
            }
            op @ ("StopInstances" | "TerminateInstances") => {
                let id = first_id(call)?;
                let i = self.instance_in(&id, &region)?;
                let before = i.state;
                let to = if op == "StopInstances" {
                    if before == InstanceState::Terminated {
                        return Err(ApiError::new(
                            "IncorrectInstanceState",
                            format!(
                                "The instance '{id}' is not in a state from which it can be stopped."
                            ),
                        ));
                    }
                    InstanceState::Stopped
                } else {
                    InstanceState::Terminated
                };
                self.set_state(&id, to, now);
                let shown = if to == InstanceState::Stopped {
                    "stopping"
                } else {
                    "shutting-down"
                };
                let key = if op == "StopInstances" {
                    "StoppingInstances"
                } else {
                    "TerminatingInstances"
                };
                Ok((
                    json!({key: [{"InstanceId": id, "CurrentState": {"Name": shown}, "PreviousState": {"Name": before.as_str()}}]}),
                    json!({"instancesSet": {"items": [{"instanceId": id, "currentState": {"name": to.as_str()}, "previousState": {"name": before.as_str()}}]}}),
                ))
            }
            "RevokeSecurityGroupIngress" => {
                let id = str_param(call, "GroupId")?;
                let g = self.groups.get_mut(id).ok_or_else(|| no_group(id))?;
                let rules = strings(&call.params["SecurityGroupRuleIds"]);
                for r in &rules {
                    if !g.ingress.iter().any(|x| x == r) {
                        return Err(ApiError::new(
                            "InvalidSecurityGroupRuleId.NotFound",
                            format!("The security group rule ID '{r}' does not exist"),
                        ));
                    }
                }
                g.ingress.retain(|x| !rules.contains(x));
                Ok((json!({"Return": true}), json!({"_return": true})))
            }
            "DeleteKeyPair" => {
                // EC2 answers success whether or not the pair exists.
                let name = str_param(call, "KeyName")?;
                self.key_pairs.retain(|(r, n)| !(*r == region && n == name));
                Ok((json!({"Return": true}), json!({"_return": true})))
            }
            op => Err(ApiError::new(
                "UnsupportedOperation",
                format!("the demo account does not implement ec2:{op}"),
            )),
        }
    }
}

fn hours(d: chrono::Duration) -> f64 {
    d.num_milliseconds().max(0) as f64 / 3_600_000.0
}
