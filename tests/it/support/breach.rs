//! A compromised user's footprint made for real in moto — instances in several regions,
//! an SSH key pair, a security group opened to the world, a back-door user with every kind
//! of dependant IAM knows — and the CloudTrail that recorded it, built from moto's own
//! answers (moto has no CloudTrail `LookupEvents`: the tests feed the trail as an archive,
//! as `--cloudtrail` reads one). A bystander user and instance stand beside it, to show
//! that nothing else is touched.

use aws_sdk_ec2::types::{InstanceType, IpPermission, IpRange};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const ACCOUNT: &str = super::moto::ACCOUNT_ID;
pub const LEAKED_USER: &str = "build-bot";
pub const BACKDOOR: &str = "svc-backup";
pub const BYSTANDER: &str = "alice";
/// An instance type warroom prices and calls expensive: the launches raise alerts.
pub const GPU: &str = "p3.2xlarge";

pub struct Breach {
    pub leaked_key: String,
    pub backdoor_key: String,
    pub bystander_key: String,
    /// Region → the attacker's instances there.
    pub instances: Vec<(String, Vec<String>)>,
    /// Region → (group, rule) of the ingress the attacker opened.
    pub ingress: Vec<(String, String, String)>,
    pub bystander_instance: (String, String),
    pub trail: Vec<Value>,
}

impl Breach {
    pub fn attacker_instances(&self) -> impl Iterator<Item = (&str, &str)> {
        self.instances
            .iter()
            .flat_map(|(r, ids)| ids.iter().map(move |i| (r.as_str(), i.as_str())))
    }

    /// The trail as a CloudTrail file (`{"Records": [...]}`), as S3 delivery writes it.
    pub fn write_trail(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!(
            "{ACCOUNT}_CloudTrail_us-east-1_20261201T0900Z_breach.json"
        ));
        std::fs::write(&path, json!({"Records": self.trail}).to_string()).unwrap();
        path
    }
}

pub fn ec2_in(sdk: &aws_config::SdkConfig, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(sdk)
            .region(aws_config::Region::new(region.to_string()))
            .build(),
    )
}

struct Trail {
    at: DateTime<Utc>,
    key: String,
    events: Vec<Value>,
}

impl Trail {
    fn record(&mut self, source: &str, name: &str, region: &str, request: Value, response: Value) {
        static EVENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        self.at += Duration::seconds(7);
        let n = EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.events.push(json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDABUILDBOT0000000001",
                "arn": format!("arn:aws:iam::{ACCOUNT}:user/{LEAKED_USER}"),
                "accountId": ACCOUNT,
                "accessKeyId": self.key,
                "userName": LEAKED_USER,
            },
            "eventTime": self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "eventSource": format!("{source}.amazonaws.com"),
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": "203.0.113.77",
            "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0",
            "requestParameters": request,
            "responseElements": response,
            "requestID": format!("req-{n:04}"),
            "eventID": format!("00000000-0000-4000-a000-{n:012}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
        }));
    }
}

/// Makes the breach in moto: `per_region` instances in each of `regions`.
pub async fn make(sdk: &aws_config::SdkConfig, regions: &[&str], per_region: i32) -> Breach {
    let iam = aws_sdk_iam::Client::new(sdk);
    let user_with_key = |name: &'static str| {
        let iam = iam.clone();
        async move {
            iam.create_user().user_name(name).send().await.unwrap();
            let k = iam
                .create_access_key()
                .user_name(name)
                .send()
                .await
                .unwrap();
            k.access_key().unwrap().access_key_id().to_string()
        }
    };
    let leaked_key = user_with_key(LEAKED_USER).await;
    let bystander_key = user_with_key(BYSTANDER).await;
    iam.create_login_profile()
        .user_name(BYSTANDER)
        .password("Correct-Horse-9")
        .send()
        .await
        .unwrap();
    let mut trail = Trail {
        at: Utc::now() - Duration::minutes(30),
        key: leaked_key.clone(),
        events: Vec::new(),
    };
    let mut instances = Vec::new();
    let mut ingress = Vec::new();
    for region in regions {
        let (ids, opened) = launch_in(sdk, region, per_region, &mut trail).await;
        ingress.push(opened);
        instances.push((region.to_string(), ids));
    }
    // The back door: a user with one of everything IAM makes a user keep.
    iam.create_user().user_name(BACKDOOR).send().await.unwrap();
    trail.record(
        "iam",
        "CreateUser",
        "us-east-1",
        json!({"userName": BACKDOOR}),
        json!({"user": {"userName": BACKDOOR}}),
    );
    let policy = iam
        .create_policy()
        .policy_name("backup-admin")
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string())
        .send()
        .await
        .unwrap();
    let arn = policy.policy().unwrap().arn().unwrap().to_string();
    iam.attach_user_policy()
        .user_name(BACKDOOR)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    trail.record(
        "iam",
        "AttachUserPolicy",
        "us-east-1",
        json!({"userName": BACKDOOR, "policyArn": arn}),
        Value::Null,
    );
    iam.put_user_policy()
        .user_name(BACKDOOR)
        .policy_name("inline-admin")
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string())
        .send()
        .await
        .unwrap();
    trail.record(
        "iam",
        "PutUserPolicy",
        "us-east-1",
        json!({"userName": BACKDOOR, "policyName": "inline-admin"}),
        Value::Null,
    );
    iam.create_login_profile()
        .user_name(BACKDOOR)
        .password("Hunter2-Hunter2")
        .send()
        .await
        .unwrap();
    trail.record(
        "iam",
        "CreateLoginProfile",
        "us-east-1",
        json!({"userName": BACKDOOR}),
        json!({"loginProfile": {"userName": BACKDOOR}}),
    );
    let k = iam
        .create_access_key()
        .user_name(BACKDOOR)
        .send()
        .await
        .unwrap();
    let backdoor_key = k.access_key().unwrap().access_key_id().to_string();
    trail.record(
        "iam",
        "CreateAccessKey",
        "us-east-1",
        json!({"userName": BACKDOOR}),
        json!({"accessKey": {"userName": BACKDOOR, "accessKeyId": backdoor_key, "status": "Active"}}),
    );
    iam.create_group()
        .group_name("operators")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group()
        .group_name("operators")
        .user_name(BACKDOOR)
        .send()
        .await
        .unwrap();
    let mfa = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("backup-mfa")
        .send()
        .await
        .unwrap();
    let serial = mfa
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_string();
    iam.enable_mfa_device()
        .user_name(BACKDOOR)
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    iam.upload_ssh_public_key()
        .user_name(BACKDOOR)
        .ssh_public_key_body("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDdzKa1Zxr5w5xyZq3pJ0n2z8nK5Hn6bX1vV1o9O8F2m7nUq0YhTg2Yb0k5p0S4M0m9n3Q1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6A7B8C9D0E1F2G3H4I5J6K7L8M9N0O1P2Q3R4S5T6U7V8W9X0Y1Z2a3b4c5d6e7f8g9h0i1j2k3l4m5n6o7p8q9r0s1t2u3v4w5x6y7z8 backup")
        .send()
        .await
        .unwrap();
    // The bystander's own instance, in the first region, in its own group.
    let ec2 = ec2_in(sdk, regions[0]);
    let web = ec2
        .create_security_group()
        .group_name("web")
        .description("the team's own")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let own = ec2
        .run_instances()
        .security_group_ids(web)
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap();
    let bystander_instance = (
        regions[0].to_string(),
        own.instances()[0].instance_id().unwrap().to_string(),
    );
    Breach {
        leaked_key,
        backdoor_key,
        bystander_key,
        instances,
        ingress,
        bystander_instance,
        trail: trail.events,
    }
}

/// In `region`: the attacker's key pair, a group open to the world on SSH, and `n`
/// instances in it; recorded in `trail`. Returns the instances and the ingress rule.
async fn launch_in(
    sdk: &aws_config::SdkConfig,
    region: &str,
    per_region: i32,
    trail: &mut Trail,
) -> (Vec<String>, (String, String, String)) {
    let ec2 = ec2_in(sdk, region);
    ec2.import_key_pair()
        .key_name("node-key")
        .public_key_material(aws_smithy_types::Blob::new(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKVNyhglMLsdbRMs3tYjey7ZHj9yH8sZcRdElNZJPJ8G node",
        ))
        .send()
        .await
        .unwrap();
    trail.record(
        "ec2",
        "ImportKeyPair",
        region,
        json!({"keyName": "node-key"}),
        json!({"keyName": "node-key"}),
    );
    let vpc = ec2
        .describe_vpcs()
        .send()
        .await
        .unwrap()
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id().map(str::to_string))
        .unwrap();
    let group = ec2
        .create_security_group()
        .group_name("node-ssh")
        .description("ssh")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    trail.record(
        "ec2",
        "CreateSecurityGroup",
        region,
        json!({"groupName": "node-ssh", "groupDescription": "ssh", "vpcId": vpc}),
        json!({"_return": true, "groupId": group}),
    );
    let rules = ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rule = rules.security_group_rules()[0]
        .security_group_rule_id()
        .unwrap()
        .to_string();
    trail.record(
        "ec2",
        "AuthorizeSecurityGroupIngress",
        region,
        json!({"groupId": group, "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}),
        json!({"_return": true, "securityGroupRuleSet": {"items": [{"groupId": group, "securityGroupRuleId": rule, "isEgress": false}]}}),
    );
    let opened = (region.to_string(), group.clone(), rule);
    let run = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(InstanceType::from(GPU))
        .min_count(per_region)
        .max_count(per_region)
        .key_name("node-key")
        .security_group_ids(&group)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = run
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_string())
        .collect();
    let items: Vec<Value> = run
        .instances()
        .iter()
        .map(|i| {
            json!({
                "instanceId": i.instance_id(),
                "instanceType": GPU,
                "vpcId": i.vpc_id(),
                "instanceState": {"code": 0, "name": "pending"},
                "groupSet": {"items": [{"groupId": group, "groupName": "node-ssh"}]},
            })
        })
        .collect();
    trail.record(
        "ec2",
        "RunInstances",
        region,
        json!({"instancesSet": {"items": [{"imageId": "ami-12c6146b", "minCount": per_region, "maxCount": per_region, "keyName": "node-key"}]}, "instanceType": GPU}),
        json!({"reservationId": run.reservation_id(), "instancesSet": {"items": items}}),
    );
    (ids, opened)
}

/// `n` more instances of the attacker in `region`, with their key pair and open group, and
/// the trail of it signed with `key`.
pub async fn more_instances(
    sdk: &aws_config::SdkConfig,
    region: &str,
    n: i32,
    key: &str,
) -> (Vec<String>, Vec<Value>, Vec<(String, String, String)>) {
    let mut trail = Trail {
        at: Utc::now() - Duration::minutes(20),
        key: key.to_string(),
        events: Vec::new(),
    };
    let (ids, opened) = launch_in(sdk, region, n, &mut trail).await;
    (ids, trail.events, vec![opened])
}

/// An instance's state and groups, as moto has them now.
pub async fn instance(
    sdk: &aws_config::SdkConfig,
    region: &str,
    id: &str,
) -> (String, Vec<String>) {
    let out = ec2_in(sdk, region)
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    let i = &out.reservations()[0].instances()[0];
    (
        i.state().unwrap().name().unwrap().as_str().to_string(),
        i.security_groups()
            .iter()
            .map(|g| g.group_id().unwrap().to_string())
            .collect(),
    )
}
