//! The EC2 calls a containment makes, one SDK client per region (made on first use: an
//! attacker's instances can be in any region, watched or not). Answers are the API's own
//! JSON shape, which the plans' bindings read.

use super::calls::{acked, failed, param, strings};
use crate::model::ApiCall;
use crate::respond::ApiError;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Ec2Clients {
    sdk: aws_config::SdkConfig,
    clients: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
}

impl Ec2Clients {
    pub fn new(sdk: aws_config::SdkConfig) -> Self {
        Ec2Clients {
            sdk,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, region: &str) -> aws_sdk_ec2::Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = aws_sdk_ec2::config::Builder::from(&self.sdk)
                    .region(aws_config::Region::new(region.to_string()))
                    .build();
                aws_sdk_ec2::Client::from_conf(conf)
            })
            .clone()
    }

    pub async fn call(&self, call: &ApiCall) -> Result<Value, ApiError> {
        let region = call.region.as_deref().ok_or_else(|| {
            ApiError::new("ValidationError", format!("{} needs a region", call.name()))
        })?;
        let ec2 = self.client(region);
        Ok(match call.operation.as_str() {
            "DescribeInstances" => {
                let out = ec2
                    .describe_instances()
                    .set_instance_ids(Some(strings(call, "InstanceIds")))
                    .send()
                    .await
                    .map_err(failed(call))?;
                let instances: Vec<Value> = out
                    .reservations()
                    .iter()
                    .flat_map(|r| r.instances())
                    .map(|i| {
                        json!({
                            "InstanceId": i.instance_id(),
                            "VpcId": i.vpc_id(),
                            "State": {"Name": i.state().and_then(|s| s.name()).map(|n| n.as_str())},
                            "SecurityGroups": i.security_groups().iter().map(|g| json!({"GroupId": g.group_id()})).collect::<Vec<_>>(),
                            "BlockDeviceMappings": i.block_device_mappings().iter().map(|b| json!({
                                "DeviceName": b.device_name(),
                                "Ebs": {"VolumeId": b.ebs().and_then(|e| e.volume_id())},
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                json!({"Reservations": [{"Instances": instances}]})
            }
            "DescribeSecurityGroups" => {
                let filters: Vec<Filter> = call.params["Filters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        Filter::builder()
                            .name(f["Name"].as_str().unwrap_or_default())
                            .set_values(Some(
                                f["Values"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect(),
                            ))
                            .build()
                    })
                    .collect();
                let out = ec2
                    .describe_security_groups()
                    .set_filters(Some(filters))
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({"SecurityGroups": out.security_groups().iter().map(|g| json!({
                    "GroupId": g.group_id(), "GroupName": g.group_name(), "VpcId": g.vpc_id(),
                })).collect::<Vec<_>>()})
            }
            "CreateSecurityGroup" => {
                let out = ec2
                    .create_security_group()
                    .group_name(param(call, "GroupName")?)
                    .description(param(call, "Description")?)
                    .vpc_id(param(call, "VpcId")?)
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({"GroupId": out.group_id()})
            }
            "RevokeSecurityGroupEgress" => {
                let everything = IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build();
                acked(
                    ec2.revoke_security_group_egress()
                        .group_id(param(call, "GroupId")?)
                        .ip_permissions(everything)
                        .send()
                        .await,
                    call,
                )?;
                json!({"Return": true})
            }
            "ModifyInstanceAttribute" => {
                ec2.modify_instance_attribute()
                    .instance_id(param(call, "InstanceId")?)
                    .set_groups(Some(strings(call, "Groups")))
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({})
            }
            "CreateSnapshot" => {
                let tags: Vec<Tag> = call.params["TagSpecifications"][0]["Tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        Tag::builder()
                            .key(t["Key"].as_str().unwrap_or_default())
                            .value(t["Value"].as_str().unwrap_or_default())
                            .build()
                    })
                    .collect();
                let out = ec2
                    .create_snapshot()
                    .volume_id(param(call, "VolumeId")?)
                    .description(param(call, "Description")?)
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::Snapshot)
                            .set_tags(Some(tags))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({"SnapshotId": out.snapshot_id(), "VolumeId": out.volume_id()})
            }
            "StopInstances" => {
                let out = ec2
                    .stop_instances()
                    .set_instance_ids(Some(strings(call, "InstanceIds")))
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({"StoppingInstances": out.stopping_instances().iter().map(state_change).collect::<Vec<_>>()})
            }
            "TerminateInstances" => {
                let out = ec2
                    .terminate_instances()
                    .set_instance_ids(Some(strings(call, "InstanceIds")))
                    .send()
                    .await
                    .map_err(failed(call))?;
                json!({"TerminatingInstances": out.terminating_instances().iter().map(state_change).collect::<Vec<_>>()})
            }
            "RevokeSecurityGroupIngress" => {
                acked(
                    ec2.revoke_security_group_ingress()
                        .group_id(param(call, "GroupId")?)
                        .set_security_group_rule_ids(Some(strings(call, "SecurityGroupRuleIds")))
                        .send()
                        .await,
                    call,
                )?;
                json!({"Return": true})
            }
            "DeleteKeyPair" => {
                acked(
                    ec2.delete_key_pair()
                        .key_name(param(call, "KeyName")?)
                        .send()
                        .await,
                    call,
                )?;
                json!({"Return": true})
            }
            op => {
                return Err(ApiError::new(
                    "UnsupportedOperation",
                    format!("warroom does not make ec2:{op} calls"),
                ));
            }
        })
    }
}

fn state_change(c: &aws_sdk_ec2::types::InstanceStateChange) -> Value {
    json!({
        "InstanceId": c.instance_id(),
        "CurrentState": {"Name": c.current_state().and_then(|s| s.name()).map(|n| n.as_str())},
        "PreviousState": {"Name": c.previous_state().and_then(|s| s.name()).map(|n| n.as_str())},
    })
}
