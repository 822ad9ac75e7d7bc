//! EC2 instances as CloudTrail reports them: what a launch started and what a state change
//! left behind. The state folds these into the instances the incident knows, and the spend
//! follows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An instance's life, as EC2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
}

impl InstanceState {
    pub fn parse(name: &str) -> Option<InstanceState> {
        Some(match name {
            "pending" => InstanceState::Pending,
            "running" => InstanceState::Running,
            "stopping" => InstanceState::Stopping,
            "stopped" => InstanceState::Stopped,
            "shutting-down" => InstanceState::ShuttingDown,
            "terminated" => InstanceState::Terminated,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
        }
    }

    /// Whether the instance is billed by the hour in this state.
    pub fn is_running(self) -> bool {
        matches!(self, InstanceState::Pending | InstanceState::Running)
    }
}

/// One instance a launch call started.
#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    pub instance_id: String,
    pub instance_type: String,
    pub vpc_id: Option<String>,
    pub groups: Vec<String>,
}

fn items(event: &Value) -> impl Iterator<Item = &Value> {
    event
        .pointer("/responseElements/instancesSet/items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The instances a successful `RunInstances` started, from its response.
pub fn launched(event: &Value) -> Vec<Launched> {
    items(event)
        .filter_map(|i| {
            Some(Launched {
                instance_id: i.get("instanceId")?.as_str()?.to_string(),
                instance_type: i
                    .get("instanceType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                vpc_id: i.get("vpcId").and_then(Value::as_str).map(str::to_string),
                groups: i
                    .pointer("/groupSet/items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.get("groupId").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// The states a `StopInstances`, `StartInstances` or `TerminateInstances` response says
/// its instances are now in.
pub fn state_changes(event: &Value) -> Vec<(String, InstanceState)> {
    items(event)
        .filter_map(|i| {
            let id = i.get("instanceId")?.as_str()?.to_string();
            let state = i.pointer("/currentState/name")?.as_str()?;
            Some((id, InstanceState::parse(state)?))
        })
        .collect()
}

/// The instance types and the number of instances a launch call started or asked for.
pub fn launch_request(json: &Value) -> (Vec<String>, u32) {
    let params = json.get("requestParameters").unwrap_or(&Value::Null);
    let ty = params
        .get("instanceType")
        .or_else(|| params.pointer("/launchSpecification/instanceType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let items = json
        .pointer("/responseElements/instancesSet/items")
        .and_then(Value::as_array);
    let mut types: Vec<String> = items
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("instanceType").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if types.is_empty() {
        types.extend(ty);
    }
    let asked = || {
        // RunInstances records the counts inside `instancesSet.items`; spot requests at the top.
        let within = params
            .pointer("/instancesSet/items")
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .filter_map(|i| i.get("maxCount").and_then(as_u32))
                    .reduce(|a, b| a + b)
            });
        within.or_else(|| {
            ["instanceCount", "maxCount"]
                .iter()
                .find_map(|k| params.get(*k).and_then(as_u32))
        })
    };
    let count = match items {
        Some(i) if !i.is_empty() => i.len() as u32,
        _ => asked().unwrap_or(1),
    };
    (types, count)
}

fn as_u32(v: &Value) -> Option<u32> {
    v.as_u64()
        .map(|n| n.min(u64::from(u32::MAX)) as u32)
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn launches_and_state_changes_are_read_from_responses() {
        let run = json!({"responseElements": {"instancesSet": {"items": [
            {"instanceId": "i-1", "instanceType": "p3.16xlarge", "vpcId": "vpc-1",
             "groupSet": {"items": [{"groupId": "sg-1"}]}},
            {"instanceType": "broken"}
        ]}}});
        let l = launched(&run);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].groups, ["sg-1"]);
        let stop = json!({"responseElements": {"instancesSet": {"items": [
            {"instanceId": "i-1", "currentState": {"code": 64, "name": "stopping"}}
        ]}}});
        assert_eq!(
            state_changes(&stop),
            [("i-1".to_string(), InstanceState::Stopping)]
        );
        assert!(!InstanceState::Stopping.is_running());
    }
}
