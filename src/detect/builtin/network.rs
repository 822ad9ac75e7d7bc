//! `network-exposure`: doors opened to the whole internet — any port of a security group
//! opened to `0.0.0.0/0` or `::/0`, allow-all network ACL entries, database security groups
//! opened, and traffic mirrored to somewhere it can be read.

use super::signal::{Theme, at, by_a_service, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

pub struct NetworkExposure;

const THEME: Theme = Theme {
    rule: "network-exposure",
    severity: Severity::High,
    title: "Network opened to the internet by {}",
};

/// Whether a CIDR block is the whole internet: any address with a `/0` prefix.
fn world(cidr: &str) -> bool {
    cidr.trim().ends_with("/0")
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => match o.get("items") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![v.unwrap_or(&Value::Null)],
        },
        _ => Vec::new(),
    }
}

/// The ports of ingress permissions that open to the world: `"22"`, `"0-65535"`, `"all"`.
fn world_ports(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let ports = |p: &Value| match (p.get("fromPort"), p.get("toPort"), text(p, "ipProtocol")) {
        (_, _, "-1") => "all ports".to_string(),
        (Some(f), Some(t), _) if f == t => format!("port {f}"),
        (Some(f), Some(t), _) => format!("ports {f}-{t}"),
        _ => "all ports".to_string(),
    };
    for p in items(r.get("ipPermissions")) {
        let v4 = items(at(p, "ipRanges"))
            .into_iter()
            .any(|r| world(text(r, "cidrIp")));
        let v6 = items(at(p, "ipv6Ranges"))
            .into_iter()
            .any(|r| world(text(r, "cidrIpv6")));
        if v4 || v6 {
            out.push(ports(p));
        }
    }
    // The older form: one permission in the request itself.
    if world(text(r, "cidrIp")) || world(text(r, "cidrIpv6")) {
        out.push(ports(r));
    }
    out
}

impl Detection for NetworkExposure {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let name = e.event_name.as_str();
        if !matches!(
            name,
            "AuthorizeSecurityGroupIngress"
                | "ModifySecurityGroupRules"
                | "CreateNetworkAclEntry"
                | "ReplaceNetworkAclEntry"
                | "AuthorizeDBSecurityGroupIngress"
                | "CreateTrafficMirrorSession"
                | "CreateTrafficMirrorTarget"
                | "CreateTrafficMirrorFilter"
                | "CreateTrafficMirrorFilterRule"
        ) || by_a_service(e)
            || e.failed()
        {
            return;
        }
        let r = request(e);
        let what = match name {
            "AuthorizeSecurityGroupIngress" => {
                let ports = world_ports(r);
                (!ports.is_empty()).then(|| {
                    let group = match text(r, "groupId") {
                        "" => text(r, "groupName"),
                        g => g,
                    };
                    format!(
                        "open {} of security group {group} to the whole internet",
                        ports.join(", ")
                    )
                })
            }
            "ModifySecurityGroupRules" => {
                // The rule as changed: `CidrIpv4`/`CidrIpv6` of an ingress rule.
                let rule = at(
                    r,
                    "ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule",
                )
                .unwrap_or(&Value::Null);
                let open = world(text(rule, "CidrIpv4")) || world(text(rule, "CidrIpv6"));
                open.then(|| {
                    format!(
                        "open a rule of security group {} to the whole internet",
                        text(r, "ModifySecurityGroupRulesRequest.GroupId")
                    )
                })
            }
            "CreateNetworkAclEntry" | "ReplaceNetworkAclEntry" => {
                let world = world(text(r, "cidrBlock")) || world(text(r, "ipv6CidrBlock"));
                let allow = text(r, "ruleAction") == "allow";
                let all = matches!(text(r, "aclProtocol"), "-1" | "all")
                    || r.get("aclProtocol") == Some(&Value::from(-1));
                let ingress = !r.get("egress").is_some_and(|v| v == true || v == "true");
                let what = match (all, at(r, "portRange.from"), at(r, "portRange.to")) {
                    (true, _, _) => "all traffic".to_string(),
                    (_, Some(f), Some(t)) if f == t => format!("port {f}"),
                    (_, Some(f), Some(t)) => format!("ports {f}-{t}"),
                    _ => "traffic".to_string(),
                };
                (world && allow && ingress).then(|| {
                    format!(
                        "allow {what} from the internet through network ACL {}",
                        text(r, "networkAclId")
                    )
                })
            }
            "AuthorizeDBSecurityGroupIngress" => Some(format!(
                "open database security group {} to {}",
                text(r, "dBSecurityGroupName"),
                match text(r, "cIDRIP") {
                    "" => "another group".to_string(),
                    c if world(c) => "the whole internet".into(),
                    c => c.to_string(),
                }
            )),
            _ => Some(format!(
                "mirror traffic ({name}): a copy of every packet goes where it is sent"
            )),
        };
        if let Some(what) = what {
            raise(cx, e, &THEME, what);
        }
    }
}
