//! The founding scenario. Early on Sunday 2026-11-22 someone finds the access key of
//! `admin-ops`, an administrator, in a public Git repository and starts mining
//! cryptocurrency with it: within half an hour GPU instances run in five regions and the
//! attacker has made itself two ways back in. Around the attack, three days of the
//! account's ordinary life give the console a baseline to tell the attack apart from.
//!
//! Addresses come from the documentation ranges: 198.51.100.0/24 is the office and its
//! VPN, 192.0.2.0/24 the company's own servers and CI runners (and stands in for the AWS
//! addresses its Lambda function calls from), 203.0.113.0/24 the attacker.

use super::script::{Caller, KeySeed, Scenario, ScriptedCall, UserSeed, WorldChange};
use crate::model::Finding;
use chrono::{DateTime, Duration, TimeZone, Utc};
use fastrand::Rng;
use serde_json::{Value, json};

pub const ACCOUNT_ID: &str = "491783620375";
pub const LEAKED_USER: &str = "admin-ops";
/// Like every key of the account, its characters 5 to 12 encode the account ID.
pub const LEAKED_KEY: &str = "AKIAHFAEWQ4LXTCBEH6G";
pub const ATTACKER_IP: &str = "203.0.113.77";
/// A name that passes for a service account at a glance.
pub const BACKDOOR_USER: &str = "svc-backup";

const DANA_KEY: &str = "AKIAHFAEWQ4LQRL577X4";
const LI_KEY: &str = "AKIAHFAEWQ4LXK4ZTTEF";
const LI_OLD_KEY: &str = "AKIAHFAEWQ4L7CIKYRWI";
const CI_KEY: &str = "AKIAHFAEWQ4L33PXFDTQ";
const MONITORING_KEY: &str = "AKIAHFAEWQ4L75WM5BQ6";

/// The region the company works in; AWS Config records only here.
const HOME: &str = "us-east-1";
const OFFICE_IP: &str = "198.51.100.23";
const VPN_IP: &str = "198.51.100.140";
const MONITORING_IP: &str = "192.0.2.50";
const JENKINS_IPS: [&str; 2] = ["192.0.2.11", "192.0.2.12"];

const MARKETING_BUCKET: &str = "tideline-marketing-site";
const EXPORTS_BUCKET: &str = "tideline-orders-exports";
const ARTIFACTS_BUCKET: &str = "tideline-ci-artifacts";
const WEB_BUCKET: &str = "tideline-web-frontend";
const BASTION_SG: &str = "sg-0b7e3c1f9a2d45e86";
const INTERNAL_SG: &str = "sg-04d2a9e61c7b83f05";
const WEB_SG: &str = "sg-0e61f0a7b3c29d548";
const VPC_ID: &str = "vpc-0a3f5e7c91b2d4068";
const WEB_SUBNET: &str = "subnet-07c4e2b9a15f3d860";
const WEB_LAUNCH_TEMPLATE: &str = "lt-05b8e1c3a7d92f406";
const WEB_AMI: &str = "ami-0c1e7a3b95d84f216";
const STACK: &str = "orders-api-prod";
const FUNCTION: &str = "orders-api";
const DISTRIBUTION: &str = "E2QWRUHAPOMQZL";
const TABLES: [&str; 3] = ["orders", "customers", "sessions-v2"];
const EXPORTS_KEY_ID: &str = "3f1c8a52-7d4e-4b9a-9e61-0c5d2b7a8f14";
const SECRET_PARAMETERS: [&str; 2] = [
    "/orders-api/prod/stripe-secret",
    "/orders-api/prod/jwt-signing-key",
];
const FLAGS_PARAMETER: &str = "/orders-api/prod/feature-flags";

const CLI_ADMIN: &str = "aws-cli/2.31.12 md/awscrt#0.27.6 ua/2.1 os/macos#24.6.0 md/arch#arm64 lang/python#3.13.7 md/pyimpl#CPython m/E,b,Z cfg/retry-mode#standard md/installer#exe md/prompt#off";
const CLI_DANA: &str = "aws-cli/2.32.3 md/awscrt#0.28.4 ua/2.1 os/macos#25.1.0 md/arch#arm64 lang/python#3.13.9 md/pyimpl#CPython m/E,b,Z cfg/retry-mode#standard md/installer#exe md/prompt#off";
const CLI_RUNNER: &str = "aws-cli/2.31.18 md/awscrt#0.28.1 ua/2.1 os/linux#6.11.0-1018-azure md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/b,E,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off";
const CLI_JENKINS: &str = "aws-cli/1.36.40 md/Botocore#1.35.99 ua/2.0 os/linux#5.15.0-1075-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.35.99";
const TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.13.4 (+https://www.terraform.io) terraform-provider-aws/6.19.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.39.5 ua/2.1 os/macos lang/go#1.24.8 md/GOOS#darwin md/GOARCH#arm64";
const MONITORING_AGENT: &str =
    "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64";
const LAMBDA_JS: &str =
    "aws-sdk-js/3.893.0 ua/2.1 os/linux#5.10.240-258.953.amzn2.x86_64 lang/js md/nodejs#22.19.0";
/// The attacker's script: nothing in the account has ever called with boto3.
const BOTO3: &str = "Boto3/1.40.61 md/Botocore#1.40.61 ua/2.1 os/linux#6.8.0-87-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython m/Z,b cfg/retry-mode#legacy Botocore/1.40.61";

/// The attacker imports the same key pair everywhere (one fingerprint ties the regions).
const ATTACKER_KEY_NAME: &str = "node-key";
const ATTACKER_PUBLIC_KEY: &str = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUtWTnloZ2xNTHNkYlJNczN0WWpleTdaSGo5eUg4c1pjUmRFbE5aSlBKMWMgcm9vdEBsb2NhbGhvc3Q=";
const ATTACKER_KEY_FINGERPRINT: &str = "SHA256:vKctzddHkIT4/nvE6qW6Ww02g2c/8QKIVGAeQmOJmJ4";
const ATTACKER_GROUP: &str = "node-ssh";
const GPU_AMI_NAME: &str = "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *";
/// EC2 vCPU quotas: "Running On-Demand P instances", "Running On-Demand G and VT instances".
const P_QUOTA: &str = "L-417A185B";
const G_QUOTA: &str = "L-DB2E81BA";
const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Seconds from midnight to the first attacker call (07:37:12).
const START_OF_DAY_SECS: i64 = 7 * 3600 + 37 * 60 + 12;

/// A wall-clock time `day` days from Sunday 2026-11-22 (Thursday is -3), as an offset
/// from the scenario start: the benign story follows office hours, not the attack.
fn clock(day: i64, h: i64, m: i64, s: i64) -> Duration {
    Duration::seconds(day * 86_400 + h * 3600 + m * 60 + s - START_OF_DAY_SECS)
}

/// Minutes and seconds into the attack.
fn live(m: i64, s: i64) -> Duration {
    Duration::seconds(m * 60 + s)
}

fn secs(s: i64) -> Duration {
    Duration::seconds(s)
}

/// Linux on-demand list prices in USD per hour. us-east-1, us-east-2 and us-west-2 share
/// one price list; Ireland and Singapore cost more.
fn on_demand_usd(region: &str, instance_type: &str) -> f64 {
    match (region, instance_type) {
        ("eu-west-1", "p3.16xlarge") => 26.44,
        ("eu-west-1", "p3.8xlarge") => 13.22,
        ("ap-southeast-1", "p3.16xlarge") => 33.872,
        ("ap-southeast-1", "p3.8xlarge") => 16.936,
        (_, "p3.16xlarge") => 24.48,
        (_, "p3.8xlarge") => 12.24,
        (_, "p4d.24xlarge") => 32.7726,
        (_, "g5.48xlarge") => 16.288,
        (_, "g4dn.12xlarge") => 3.912,
        (_, "t3.large") => 0.0832,
        _ => panic!("no price for {instance_type} in {region}"),
    }
}

fn vcpus(instance_type: &str) -> u32 {
    match instance_type {
        "g5.48xlarge" => 192,
        "p4d.24xlarge" => 96,
        "p3.16xlarge" => 64,
        "g4dn.12xlarge" => 48,
        "p3.8xlarge" => 32,
        _ => 2,
    }
}

/// What produced a call's `userAgent`.
#[derive(Debug, Clone, Copy)]
enum Agent {
    /// AWS CLI v2: the agent names the command that was run.
    Cli(&'static str),
    /// Go SDK v2 (Terraform, the monitoring agent): the agent names the API client.
    GoSdk(&'static str),
    /// JavaScript SDK v3 inside Lambda.
    LambdaJs,
    /// Used as is: AWS CLI v1, boto3, AWS services.
    Fixed(&'static str),
}

impl Agent {
    fn user_agent(self, service: &str, event_name: &str) -> String {
        match self {
            Agent::Cli(base) => format!(
                "{base} md/command#{}.{}",
                cli_service(service),
                kebab(event_name)
            ),
            Agent::GoSdk(base) => {
                let client = go_client(service);
                format!("{base} api/{client}#{}", go_client_version(client))
            }
            Agent::LambdaJs => {
                format!("{LAMBDA_JS} api/{service}#3.893.0 m/N,E,e exec-env/AWS_Lambda_nodejs22.x")
            }
            Agent::Fixed(agent) => agent.to_string(),
        }
    }
}

fn cli_service(service: &str) -> &str {
    match service {
        "s3" => "s3api",
        "config" => "configservice",
        "servicequotas" => "service-quotas",
        other => other,
    }
}

fn go_client(service: &str) -> &str {
    match service {
        "logs" => "cloudwatchlogs",
        "config" => "configservice",
        other => other,
    }
}

fn go_client_version(client: &str) -> &'static str {
    match client {
        "ec2" => "1.258.0",
        "iam" => "1.47.8",
        "sts" => "1.38.6",
        "s3" => "1.88.4",
        "kms" => "1.45.3",
        "cloudwatchlogs" => "1.57.0",
        "ssm" => "1.64.4",
        "lambda" => "1.77.4",
        "dynamodb" => "1.50.1",
        "cloudformation" => "1.66.0",
        "configservice" => "1.57.2",
        _ => "1.44.0",
    }
}

/// `GetFunction20150331v2` → `get-function`, as the CLI names its commands.
fn kebab(event_name: &str) -> String {
    // Lambda's event names carry the API version.
    let name = event_name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v');
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// CloudTrail's own notion of a read-only call, for the names this scenario uses.
fn is_read_only(event_name: &str) -> bool {
    const READS: [&str; 6] = ["Describe", "List", "Get", "Lookup", "Filter", "Search"];
    // KMS counts decryption as a read.
    READS.iter().any(|p| event_name.starts_with(p)) || event_name == "Decrypt"
}

fn user(name: &str, key: &str) -> Caller {
    Caller::User {
        user: name.to_string(),
        access_key_id: key.to_string(),
    }
}

fn service(name: &str) -> Caller {
    Caller::Service {
        service: name.to_string(),
    }
}

fn caller_arn(caller: &Caller) -> String {
    match caller {
        Caller::User { user, .. } => format!("arn:aws:iam::{ACCOUNT_ID}:user/{user}"),
        Caller::Role { role, session, .. } => {
            format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session}")
        }
        Caller::Service { service } => service.clone(),
        Caller::Root => format!("arn:aws:iam::{ACCOUNT_ID}:root"),
    }
}

/// The message IAM gives when no policy allows an action.
fn not_authorized(caller: &Caller, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        caller_arn(caller)
    )
}

/// Who calls, from where, with what.
#[derive(Debug, Clone)]
struct Actor {
    caller: Caller,
    ip: String,
    agent: Agent,
    attacker: bool,
}

impl Actor {
    fn new(caller: Caller, ip: &str, agent: Agent) -> Actor {
        Actor {
            caller,
            ip: ip.to_string(),
            agent,
            attacker: false,
        }
    }

    /// An AWS service acting for the account: CloudTrail shows the service as both source
    /// address and agent.
    fn service(name: &'static str) -> Actor {
        Actor::new(service(name), name, Agent::Fixed(name))
    }

    /// One call; `api` is `service:EventName`, e.g. `ec2:RunInstances`.
    fn call(&self, offset: Duration, api: &str, region: &str, request: Value) -> ScriptedCall {
        let (service, name) = api.split_once(':').expect("api is service:EventName");
        ScriptedCall {
            offset,
            caller: self.caller.clone(),
            event_source: format!("{service}.amazonaws.com"),
            event_name: name.to_string(),
            region: region.to_string(),
            source_ip: self.ip.clone(),
            user_agent: self.agent.user_agent(service, name),
            request_parameters: request,
            response_elements: Value::Null,
            read_only: is_read_only(name),
            error: None,
            effect: WorldChange::None,
            attacker: self.attacker,
        }
    }
}

/// How a call ends, on top of what [`Actor::call`] builds.
trait Outcome {
    fn answer(self, response: Value) -> Self;
    fn fails(self, code: &str, message: impl Into<String>) -> Self;
    fn does(self, effect: WorldChange) -> Self;
}

impl Outcome for ScriptedCall {
    fn answer(mut self, response: Value) -> Self {
        self.response_elements = response;
        self
    }

    fn fails(mut self, code: &str, message: impl Into<String>) -> Self {
        self.error = Some((code.to_string(), message.into()));
        self
    }

    fn does(mut self, effect: WorldChange) -> Self {
        self.effect = effect;
        self
    }
}

/// The calls being written, and the one seeded generator every identifier comes from.
struct Trail {
    start: DateTime<Utc>,
    rng: Rng,
    calls: Vec<ScriptedCall>,
}

impl Trail {
    fn push(&mut self, call: ScriptedCall) {
        self.calls.push(call);
    }

    fn time(&self, offset: Duration) -> DateTime<Utc> {
        self.start + offset
    }

    /// The date format of IAM, DynamoDB and CloudFront responses in CloudTrail.
    fn aws_date(&self, offset: Duration) -> String {
        self.time(offset)
            .format("%b %-d, %Y, %-I:%M:%S %p")
            .to_string()
    }

    fn millis(&self, offset: Duration) -> i64 {
        self.time(offset).timestamp_millis()
    }

    /// An EC2-style identifier: `i-`, `sg-`, `ami-`… and 17 hex digits, of which the
    /// first is 0 as in every long ID EC2 has issued so far.
    fn hex(&mut self, prefix: &str) -> String {
        let digits: String = (0..16).map(|_| self.rng.digit(16)).collect();
        format!("{prefix}0{digits}")
    }

    fn uuid(&mut self) -> String {
        let mut hex = |n: usize| -> String { (0..n).map(|_| self.rng.digit(16)).collect() };
        let (a, b, c, d, e) = (hex(8), hex(4), hex(3), hex(3), hex(12));
        let variant = ['8', '9', 'a', 'b'][self.rng.usize(..4)];
        format!("{a}-{b}-4{c}-{variant}{d}-{e}")
    }

    fn upper(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| {
                if self.rng.u8(..4) == 0 {
                    self.rng.digit(10)
                } else {
                    self.rng.uppercase()
                }
            })
            .collect()
    }

    /// An access key ID of this account: characters 5 to 12 encode the account ID the way
    /// AWS does (account << 7 in the first six decoded bytes), the rest is random.
    fn key_id(&mut self, prefix: &str) -> String {
        let account: u64 = ACCOUNT_ID.parse().expect("account ID is numeric");
        let head = (account << 7) | self.rng.u64(..128);
        let mut bytes = head.to_be_bytes()[2..].to_vec();
        bytes.extend((0..4).map(|_| self.rng.u8(..)));
        format!("{prefix}{}", base32(&bytes))
    }

    /// A role session whose credentials were issued `lead` before `first_use`.
    fn session(&mut self, role: &str, session: &str, first_use: Duration, lead: i64) -> Caller {
        Caller::Role {
            role: role.to_string(),
            session: session.to_string(),
            access_key_id: self.key_id("ASIA"),
            issued_at: self.time(first_use - secs(lead)),
        }
    }

    fn jitter(&mut self, max_secs: i64) -> Duration {
        secs(self.rng.i64(0..=max_secs))
    }

    fn private_ip(&mut self, prefix: &str) -> String {
        format!("{prefix}.{}.{}", self.rng.u8(16..64), self.rng.u8(4..250))
    }
}

/// A SHA-256 digest in base64, as Lambda reports code hashes: 43 characters and `=`, the
/// last character carrying only 2 bits of the digest.
fn sha256_base64(t: &mut Trail) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out: String = (0..42).map(|_| B64[t.rng.usize(..64)] as char).collect();
    out.push(B64[t.rng.usize(..16) * 4] as char);
    out.push('=');
    out
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = ((buffer << 8) | u32::from(byte)) & 0xFFFF;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Request and response shapes shared by several callers.

fn bucket(name: &str, subresource: &str) -> Value {
    let mut v = json!({ "bucketName": name, "Host": format!("{name}.s3.amazonaws.com") });
    if !subresource.is_empty() {
        v[subresource] = json!("");
    }
    v
}

fn table(name: &str) -> Value {
    json!({ "tableName": name })
}

fn table_arn(name: &str) -> String {
    format!("arn:aws:dynamodb:{HOME}:{ACCOUNT_ID}:table/{name}")
}

fn stack(name: &str) -> Value {
    json!({ "stackName": name })
}

fn all_instances() -> Value {
    json!({ "instancesSet": {}, "filterSet": {} })
}

fn ingress(group_id: &str, port: u16, cidr: &str) -> Value {
    json!({
        "groupId": group_id,
        "ipPermissions": { "items": [{
            "ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
            "ipRanges": { "items": [{ "cidrIp": cidr }] },
            "ipv6Ranges": {}, "prefixListIds": {}
        }] }
    })
}

fn ingress_answer(t: &mut Trail, group_id: &str, port: u16, cidr: &str) -> Value {
    json!({
        "_return": true,
        "securityGroupRuleSet": { "items": [{
            "groupOwnerId": ACCOUNT_ID, "groupId": group_id,
            "securityGroupRuleId": t.hex("sgr-"), "isEgress": false,
            "ipProtocol": "tcp", "fromPort": port, "toPort": port, "cidrIpv4": cidr
        }] }
    })
}

/// Where instances land: the subnet, group and image a launch uses.
struct Kit {
    region: &'static str,
    az: String,
    vpc: String,
    subnet: String,
    group_id: String,
    group_name: &'static str,
    image: String,
    key_name: Option<&'static str>,
    /// The first two octets of the VPC's private range.
    net: &'static str,
}

impl Kit {
    fn dns_suffix(&self) -> String {
        if self.region == "us-east-1" {
            "ec2.internal".to_string()
        } else {
            format!("{}.compute.internal", self.region)
        }
    }
}

/// The `responseElements` of a successful RunInstances.
fn reservation(
    t: &mut Trail,
    kit: &Kit,
    instance_type: &str,
    count: u32,
    at: Duration,
    token: &str,
) -> Value {
    let launch_time = t.millis(at);
    let mut items = Vec::new();
    for index in 0..count {
        let ip = t.private_ip(kit.net);
        let mut item = json!({
            "instanceId": t.hex("i-"),
            "imageId": kit.image,
            "currentInstanceBootMode": "legacy-bios",
            "instanceState": { "code": 0, "name": "pending" },
            "privateDnsName": format!("ip-{}.{}", ip.replace('.', "-"), kit.dns_suffix()),
            "amiLaunchIndex": index,
            "productCodes": {},
            "instanceType": instance_type,
            "launchTime": launch_time,
            "placement": { "availabilityZone": kit.az, "tenancy": "default" },
            "monitoring": { "state": "disabled" },
            "subnetId": kit.subnet,
            "vpcId": kit.vpc,
            "privateIpAddress": ip,
            "stateReason": { "code": "pending", "message": "pending" },
            "architecture": "x86_64",
            "rootDeviceType": "ebs",
            "rootDeviceName": "/dev/sda1",
            "blockDeviceMapping": {},
            "virtualizationType": "hvm",
            "hypervisor": "xen",
            "clientToken": token,
            "groupSet": { "items": [{ "groupId": kit.group_id, "groupName": kit.group_name }] },
            "sourceDestCheck": true,
            "ebsOptimized": true,
            "enaSupport": true,
            "cpuOptions": { "coreCount": vcpus(instance_type) / 2, "threadsPerCore": 2 },
            "capacityReservationSpecification": { "capacityReservationPreference": "open" },
            "enclaveOptions": { "enabled": false },
            "metadataOptions": {
                "state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                "httpEndpoint": "enabled", "httpProtocolIpv6": "disabled",
                "instanceMetadataTags": "disabled"
            },
            "maintenanceOptions": { "autoRecovery": "default" },
            "privateDnsNameOptions": {
                "hostnameType": "ip-name", "enableResourceNameDnsARecord": false,
                "enableResourceNameDnsAAAARecord": false
            }
        });
        if let Some(key) = kit.key_name {
            item["keyName"] = json!(key);
        }
        items.push(item);
    }
    json!({
        "reservationId": t.hex("r-"),
        "ownerId": ACCOUNT_ID,
        "groupSet": {},
        "instancesSet": { "items": items }
    })
}

// ---------------------------------------------------------------------------------------
// The attack.

/// How a launch attempt ends.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Runs,
    NoCapacity,
    /// The region's vCPU quota for the instance family, already used up.
    OverVcpuLimit(u32),
    SpotCountLimit,
    /// An open spot request: it bills nothing until EC2 fulfils it, which the demo never does.
    SpotOpen,
}

/// One launch attempt: region, minute:second into the attack, type, count, outcome.
type Attempt = (&'static str, (i64, i64), &'static str, u32, Fate);

/// The attacker works region by region; the vCPU quotas it checked first are, per region,
/// P: us-east-1 1024, us-west-2 768, eu-west-1 640, ap-southeast-1 512, us-east-2 256;
/// G: us-east-1 1536, us-west-2 1152, us-east-2 1152. Failures follow from those.
const ATTEMPTS: [Attempt; 19] = [
    ("us-east-1", (4, 50), "p4d.24xlarge", 8, Fate::NoCapacity),
    ("us-east-1", (5, 20), "p3.16xlarge", 16, Fate::Runs),
    ("us-east-1", (6, 5), "g5.48xlarge", 8, Fate::Runs),
    ("us-east-1", (6, 45), "p3.16xlarge", 8, Fate::SpotCountLimit),
    ("us-west-2", (7, 40), "p4d.24xlarge", 8, Fate::Runs),
    (
        "us-west-2",
        (8, 25),
        "p3.16xlarge",
        4,
        Fate::OverVcpuLimit(768),
    ),
    ("us-west-2", (9, 20), "g5.48xlarge", 6, Fate::Runs),
    ("eu-west-1", (12, 40), "p3.16xlarge", 8, Fate::Runs),
    ("eu-west-1", (13, 20), "p3.8xlarge", 4, Fate::Runs),
    ("eu-west-1", (14, 10), "p3.8xlarge", 4, Fate::SpotOpen),
    ("ap-southeast-1", (17, 30), "p3.16xlarge", 8, Fate::Runs),
    (
        "ap-southeast-1",
        (18, 15),
        "p3.8xlarge",
        4,
        Fate::OverVcpuLimit(512),
    ),
    (
        "ap-southeast-1",
        (19, 0),
        "g5.48xlarge",
        4,
        Fate::NoCapacity,
    ),
    ("us-east-2", (21, 30), "g5.48xlarge", 4, Fate::Runs),
    ("us-east-2", (22, 10), "p3.16xlarge", 4, Fate::Runs),
    (
        "us-east-1",
        (26, 30),
        "g4dn.12xlarge",
        16,
        Fate::OverVcpuLimit(1536),
    ),
    ("us-east-2", (31, 30), "g4dn.12xlarge", 8, Fate::Runs),
    (
        "eu-west-1",
        (33, 20),
        "p3.8xlarge",
        4,
        Fate::OverVcpuLimit(640),
    ),
    (
        "us-west-2",
        (34, 10),
        "g4dn.12xlarge",
        8,
        Fate::OverVcpuLimit(1152),
    ),
];

/// Regions in the order the attacker sets them up, with when it starts on each.
const CAMPAIGN: [(&str, (i64, i64)); 5] = [
    ("us-east-1", (3, 5)),
    ("us-west-2", (7, 0)),
    ("eu-west-1", (12, 0)),
    ("ap-southeast-1", (16, 45)),
    ("us-east-2", (20, 45)),
];

/// Every region the attacker's script sweeps for running instances.
const SWEEP: [&str; 12] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-central-1",
    "eu-north-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-south-1",
    "sa-east-1",
];

fn attack(t: &mut Trail) {
    let a = Actor {
        attacker: true,
        ..Actor::new(
            user(LEAKED_USER, LEAKED_KEY),
            ATTACKER_IP,
            Agent::Fixed(BOTO3),
        )
    };
    recon(t, &a);
    let kits: Vec<Kit> = CAMPAIGN
        .iter()
        .map(|&(region, (m, s))| prepare_region(t, &a, region, live(m, s)))
        .collect();
    for (region, (m, s), instance_type, count, fate) in ATTEMPTS {
        let kit = kits
            .iter()
            .find(|k| k.region == region)
            .expect("every attempted region is prepared");
        launch(t, &a, kit, live(m, s), instance_type, count, fate);
    }
    persistence(t, &a, live(10, 5));

    // The attacker checks on its fleet between launches, until the half hour is out.
    let running = json!({
        "instancesSet": {},
        "filterSet": { "items": [{ "name": "instance-state-name",
            "valueSet": { "items": [{ "value": "running" }] } }] }
    });
    for (region, (m, s)) in [
        ("us-east-1", (24, 30)),
        ("us-west-2", (25, 5)),
        ("us-east-1", (30, 40)),
        ("us-west-2", (32, 40)),
        ("eu-west-1", (35, 0)),
        ("ap-southeast-1", (35, 20)),
    ] {
        t.push(a.call(live(m, s), "ec2:DescribeInstances", region, running.clone()));
    }
    t.push(a.call(
        live(28, 0),
        "ec2:DescribeSpotInstanceRequests",
        "eu-west-1",
        json!({ "spotInstanceRequestIdSet": {}, "filterSet": {} }),
    ));
}

/// Whose key is this, what may it do, where can it run GPUs and what runs already.
fn recon(t: &mut Trail, a: &Actor) {
    t.push(a.call(live(0, 0), "sts:GetCallerIdentity", HOME, Value::Null));
    t.push(a.call(live(0, 6), "iam:ListUsers", HOME, Value::Null));
    t.push(a.call(
        live(0, 11),
        "iam:ListAttachedUserPolicies",
        HOME,
        json!({ "userName": LEAKED_USER }),
    ));
    t.push(a.call(
        live(0, 15),
        "iam:ListAccessKeys",
        HOME,
        json!({ "userName": LEAKED_USER }),
    ));
    t.push(a.call(
        live(0, 21),
        "ec2:DescribeRegions",
        HOME,
        json!({ "regionSet": {} }),
    ));
    let mut at = live(0, 27);
    for (region, _) in CAMPAIGN {
        for quota in [P_QUOTA, G_QUOTA] {
            t.push(a.call(
                at,
                "servicequotas:GetServiceQuota",
                region,
                json!({ "serviceCode": "ec2", "quotaCode": quota }),
            ));
            at += secs(2) + t.jitter(2);
        }
    }
    at += secs(6);
    for region in SWEEP {
        t.push(a.call(at, "ec2:DescribeInstances", region, all_instances()));
        at += secs(3) + t.jitter(3);
    }
}

/// Find a GPU image and the default subnets, import the key pair, open SSH.
fn prepare_region(t: &mut Trail, a: &Actor, region: &'static str, at: Duration) -> Kit {
    let az = format!("{region}{}", ['a', 'b', 'c'][t.rng.usize(..3)]);
    let kit = Kit {
        region,
        az,
        vpc: t.hex("vpc-"),
        subnet: t.hex("subnet-"),
        group_id: t.hex("sg-"),
        group_name: ATTACKER_GROUP,
        image: t.hex("ami-"),
        key_name: Some(ATTACKER_KEY_NAME),
        net: "172.31",
    };
    t.push(a.call(
        at,
        "ec2:DescribeImages",
        region,
        json!({
            "executableBySet": {}, "imagesSet": {},
            "ownersSet": { "items": [{ "owner": "amazon" }] },
            "filterSet": { "items": [{ "name": "name",
                "valueSet": { "items": [{ "value": GPU_AMI_NAME }] } }] }
        }),
    ));
    t.push(a.call(
        at + secs(6),
        "ec2:DescribeSubnets",
        region,
        json!({
            "subnetSet": {},
            "filterSet": { "items": [{ "name": "default-for-az",
                "valueSet": { "items": [{ "value": "true" }] } }] }
        }),
    ));
    let key_pair_id = t.hex("key-");
    t.push(
        a.call(
            at + secs(14),
            "ec2:ImportKeyPair",
            region,
            json!({ "keyName": ATTACKER_KEY_NAME, "publicKeyMaterial": ATTACKER_PUBLIC_KEY }),
        )
        .answer(json!({
            "keyName": ATTACKER_KEY_NAME,
            "keyFingerprint": ATTACKER_KEY_FINGERPRINT,
            "keyPairId": key_pair_id
        })),
    );
    t.push(
        a.call(
            at + secs(21),
            "ec2:CreateSecurityGroup",
            region,
            json!({ "groupName": ATTACKER_GROUP, "groupDescription": "ssh", "vpcId": kit.vpc }),
        )
        .answer(json!({
            "_return": true,
            "groupId": kit.group_id,
            "securityGroupArn":
                format!("arn:aws:ec2:{region}:{ACCOUNT_ID}:security-group/{}", kit.group_id)
        })),
    );
    let rule = ingress_answer(t, &kit.group_id, 22, "0.0.0.0/0");
    t.push(
        a.call(
            at + secs(24),
            "ec2:AuthorizeSecurityGroupIngress",
            region,
            ingress(&kit.group_id, 22, "0.0.0.0/0"),
        )
        .answer(rule),
    );
    kit
}

/// The zones EC2 would suggest instead of the one that is out of capacity.
fn other_zones(kit: &Kit) -> String {
    let letters: &[char] = if kit.region == "us-east-1" {
        &['a', 'b', 'c', 'd', 'f']
    } else {
        &['a', 'b', 'c']
    };
    letters
        .iter()
        .map(|l| format!("{}{l}", kit.region))
        .filter(|z| *z != kit.az)
        .collect::<Vec<_>>()
        .join(", ")
}

fn launch(
    t: &mut Trail,
    a: &Actor,
    kit: &Kit,
    at: Duration,
    instance_type: &str,
    count: u32,
    fate: Fate,
) {
    let spot = matches!(fate, Fate::SpotCountLimit | Fate::SpotOpen);
    let key_name = kit.key_name.unwrap_or_default();
    let call = if spot {
        a.call(
            at,
            "ec2:RequestSpotInstances",
            kit.region,
            json!({
                "instanceCount": count,
                "type": "one-time",
                "launchSpecification": {
                    "imageId": kit.image, "keyName": key_name,
                    "groupSet": { "items": [{ "groupId": kit.group_id }] },
                    "instanceType": instance_type, "subnetId": kit.subnet,
                    "blockDeviceMapping": {}, "monitoring": { "enabled": false },
                    "userData": "<sensitiveDataRemoved>"
                }
            }),
        )
    } else {
        let token = t.uuid();
        a.call(
            at,
            "ec2:RunInstances",
            kit.region,
            json!({
                "instancesSet": { "items": [{
                    "imageId": kit.image, "minCount": count, "maxCount": count,
                    "keyName": key_name
                }] },
                "groupSet": { "items": [{ "groupId": kit.group_id }] },
                "userData": "<sensitiveDataRemoved>",
                "instanceType": instance_type,
                "blockDeviceMapping": { "items": [{ "deviceName": "/dev/sda1",
                    "ebs": { "volumeSize": 200, "deleteOnTermination": true, "volumeType": "gp3" } }] },
                "monitoring": { "enabled": false },
                "subnetId": kit.subnet,
                "disableApiTermination": false,
                "disableApiStop": false,
                "clientToken": token
            }),
        )
    };
    let call = match fate {
        Fate::Runs => {
            let token = call.request_parameters["clientToken"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let answer = reservation(t, kit, instance_type, count, at, &token);
            call.answer(answer).does(WorldChange::Launch {
                instance_type: instance_type.to_string(),
                count,
                hourly_usd: on_demand_usd(kit.region, instance_type),
            })
        }
        Fate::NoCapacity => call.fails(
            "Server.InsufficientInstanceCapacity",
            format!(
                "We currently do not have sufficient {instance_type} capacity in the Availability Zone you requested ({}). Our system will be working on provisioning additional capacity. You can currently get {instance_type} capacity by not specifying an Availability Zone in your request or choosing {}.",
                kit.az,
                other_zones(kit)
            ),
        ),
        Fate::OverVcpuLimit(limit) => call.fails(
            "Client.VcpuLimitExceeded",
            format!(
                "You have requested more vCPU capacity than your current vCPU limit of {limit} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."
            ),
        ),
        Fate::SpotCountLimit => call.fails(
            "Client.MaxSpotInstanceCountExceeded",
            "Max spot instance count exceeded",
        ),
        Fate::SpotOpen => {
            let mut items = Vec::new();
            for _ in 0..count {
                let id: String = (0..8).map(|_| t.rng.alphanumeric().to_ascii_lowercase()).collect();
                items.push(json!({
                    "spotInstanceRequestId": format!("sir-{id}"),
                    "spotPrice": format!("{:.6}", on_demand_usd(kit.region, instance_type)),
                    "type": "one-time",
                    "state": "open",
                    "status": {
                        "code": "pending-evaluation",
                        "updateTime": t.millis(at),
                        "message": "Your Spot request has been submitted for review, and is pending evaluation."
                    },
                    "launchSpecification": {
                        "imageId": kit.image, "keyName": key_name,
                        "groupSet": { "items": [{ "groupId": kit.group_id, "groupName": kit.group_name }] },
                        "instanceType": instance_type,
                        "placement": { "availabilityZone": kit.az, "tenancy": "default" },
                        "subnetId": kit.subnet, "monitoring": { "enabled": false }
                    },
                    "createTime": t.millis(at),
                    "productDescription": "Linux/UNIX",
                    "instanceInterruptionBehavior": "terminate"
                }));
            }
            call.answer(json!({ "spotInstanceRequestSet": { "items": items } }))
        }
    };
    t.push(call);
}

/// Two ways back in: an administrator of its own, and a second key for the CI user,
/// which nobody watches.
fn persistence(t: &mut Trail, a: &Actor, at: Duration) {
    let user_id = format!("{}{}", t.key_id("AIDA"), t.rng.uppercase());
    t.push(
        a.call(
            at,
            "iam:CreateUser",
            HOME,
            json!({ "userName": BACKDOOR_USER }),
        )
        .answer(json!({ "user": {
            "path": "/", "userName": BACKDOOR_USER, "userId": user_id,
            "arn": format!("arn:aws:iam::{ACCOUNT_ID}:user/{BACKDOOR_USER}"),
            "createDate": t.aws_date(at)
        } }))
        .does(WorldChange::CreateUser {
            user: BACKDOOR_USER.to_string(),
        }),
    );
    let attach = at + secs(15);
    t.push(
        a.call(
            attach,
            "iam:AttachUserPolicy",
            HOME,
            json!({ "userName": BACKDOOR_USER, "policyArn": ADMIN_POLICY }),
        )
        .does(WorldChange::AttachAdmin {
            user: BACKDOOR_USER.to_string(),
        }),
    );
    let profile = at + secs(22);
    t.push(
        a.call(
            profile,
            "iam:CreateLoginProfile",
            HOME,
            json!({ "userName": BACKDOOR_USER, "passwordResetRequired": false }),
        )
        .answer(json!({ "loginProfile": {
            "userName": BACKDOOR_USER, "createDate": t.aws_date(profile),
            "passwordResetRequired": false
        } })),
    );
    new_access_key(t, a, at + secs(29), BACKDOOR_USER);
    t.push(a.call(
        at + secs(50),
        "iam:ListAccessKeys",
        HOME,
        json!({ "userName": "ci-deploy" }),
    ));
    new_access_key(t, a, at + secs(59), "ci-deploy");
    t.push(a.call(
        at + secs(75),
        "iam:ListAttachedUserPolicies",
        HOME,
        json!({ "userName": BACKDOOR_USER }),
    ));
}

fn new_access_key(t: &mut Trail, a: &Actor, at: Duration, for_user: &str) {
    let key = t.key_id("AKIA");
    t.push(
        a.call(
            at,
            "iam:CreateAccessKey",
            HOME,
            json!({ "userName": for_user }),
        )
        .answer(json!({ "accessKey": {
            "userName": for_user, "accessKeyId": key, "status": "Active",
            "createDate": t.aws_date(at)
        } }))
        .does(WorldChange::CreateAccessKey {
            user: for_user.to_string(),
            access_key_id: key,
        }),
    );
}

// ---------------------------------------------------------------------------------------
// The account's ordinary life.

/// admin-ops at the office on Thursday and Friday: the usual look around, a cost check and
/// a credential report. The key's history: this address and the AWS CLI, nothing else.
fn admin_routine(t: &mut Trail) {
    let a = Actor::new(
        user(LEAKED_USER, LEAKED_KEY),
        OFFICE_IP,
        Agent::Cli(CLI_ADMIN),
    );
    let calls: [(Duration, &str, Value); 15] = [
        (clock(-3, 9, 2, 10), "sts:GetCallerIdentity", Value::Null),
        (clock(-3, 9, 2, 31), "iam:ListUsers", Value::Null),
        (
            clock(-3, 9, 3, 5),
            "iam:ListAccessKeys",
            json!({ "userName": "li.wei" }),
        ),
        (
            clock(-3, 9, 5, 40),
            "ce:GetCostAndUsage",
            json!({ "timePeriod": { "start": "2026-11-01", "end": "2026-11-19" },
                    "granularity": "DAILY", "metrics": ["UnblendedCost"] }),
        ),
        (
            clock(-3, 9, 7, 12),
            "config:DescribeComplianceByConfigRule",
            json!({ "complianceTypes": ["NON_COMPLIANT"] }),
        ),
        (
            clock(-3, 16, 31, 50),
            "ec2:DescribeInstances",
            all_instances(),
        ),
        (
            clock(-3, 16, 33, 4),
            "s3:ListBuckets",
            json!({ "Host": "s3.us-east-1.amazonaws.com" }),
        ),
        (clock(-3, 16, 34, 19), "kms:ListKeys", Value::Null),
        (clock(-2, 10, 5, 9), "iam:GetCredentialReport", Value::Null),
        (
            clock(-2, 10, 12, 44),
            "config:GetComplianceDetailsByConfigRule",
            json!({ "configRuleName": "access-keys-rotated", "complianceTypes": ["NON_COMPLIANT"] }),
        ),
        (
            clock(-2, 10, 14, 3),
            "iam:GetAccessKeyLastUsed",
            json!({ "accessKeyId": CI_KEY }),
        ),
        (
            clock(-2, 10, 20, 37),
            "cloudtrail:LookupEvents",
            json!({ "lookupAttributes": [{ "attributeKey": "Username", "attributeValue": "ci-deploy" }],
                    "maxResults": 50 }),
        ),
        (clock(-2, 17, 41, 8), "sts:GetCallerIdentity", Value::Null),
        (
            clock(-2, 17, 42, 15),
            "ec2:DescribeInstances",
            all_instances(),
        ),
        (
            clock(-2, 17, 43, 2),
            "ec2:DescribeSecurityGroups",
            json!({ "securityGroupSet": {}, "securityGroupIdSet": { "items": [{ "groupId": BASTION_SG }] }, "filterSet": {} }),
        ),
    ];
    for (at, api, request) in calls {
        t.push(a.call(at, api, HOME, request));
    }
    t.push(
        a.call(
            clock(-2, 10, 5, 2),
            "iam:GenerateCredentialReport",
            HOME,
            Value::Null,
        )
        .answer(json!({ "state": "STARTED",
            "description": "No report exists. Starting a new report generation task" })),
    );
}

/// dana.kim builds and runs the orders API: she created its tables 40 days ago, looks at
/// its logs and tables during the week and once on Saturday night from the VPN.
fn dana(t: &mut Trail) {
    let office = Actor::new(user("dana.kim", DANA_KEY), OFFICE_IP, Agent::Cli(CLI_DANA));
    let vpn = Actor {
        ip: VPN_IP.to_string(),
        ..office.clone()
    };

    // The tables, without SSESpecification: AWS-owned keys, which Config flags.
    for (i, name) in TABLES.into_iter().enumerate() {
        let at = clock(-40, 10, 12, 31) + secs(i as i64 * 137);
        let (attributes, key_schema, indexes) = table_design(name);
        let mut request = json!({
            "tableName": name,
            "attributeDefinitions": attributes,
            "keySchema": key_schema,
            "billingMode": "PAY_PER_REQUEST"
        });
        let mut description = json!({
            "attributeDefinitions": attributes,
            "tableName": name,
            "keySchema": key_schema,
            "tableStatus": "CREATING",
            "creationDateTime": t.aws_date(at),
            "provisionedThroughput": { "numberOfDecreasesToday": 0, "readCapacityUnits": 0, "writeCapacityUnits": 0 },
            "tableSizeBytes": 0,
            "itemCount": 0,
            "tableArn": table_arn(name),
            "tableId": t.uuid(),
            "billingModeSummary": { "billingMode": "PAY_PER_REQUEST" },
            "deletionProtectionEnabled": false
        });
        if !indexes.is_null() {
            request["globalSecondaryIndexes"] = indexes.clone();
            description["globalSecondaryIndexes"] = indexes;
        }
        t.push(
            office
                .call(at, "dynamodb:CreateTable", HOME, request)
                .answer(json!({ "tableDescription": description })),
        );
    }
    t.push(office.call(
        clock(-40, 10, 17, 30),
        "dynamodb:ListTables",
        HOME,
        Value::Null,
    ));
    t.push(office.call(
        clock(-40, 10, 18, 5),
        "dynamodb:DescribeTable",
        HOME,
        table("sessions-v2"),
    ));

    let log_group = format!("/aws/lambda/{FUNCTION}");
    let errors_since = |t: &Trail, at: Duration| {
        json!({ "logGroupName": log_group, "startTime": t.millis(at - Duration::hours(2)),
                "filterPattern": "ERROR", "interleaved": true })
    };
    let week: Vec<(Duration, &str, Value)> = vec![
        (
            clock(-3, 9, 20, 11),
            "logs:DescribeLogGroups",
            json!({ "logGroupNamePrefix": "/aws/lambda/orders" }),
        ),
        (
            clock(-3, 9, 21, 2),
            "logs:FilterLogEvents",
            errors_since(t, clock(-3, 9, 21, 2)),
        ),
        (
            clock(-3, 9, 24, 40),
            "logs:FilterLogEvents",
            errors_since(t, clock(-3, 9, 24, 40)),
        ),
        (
            clock(-3, 9, 30, 5),
            "lambda:GetFunction20150331v2",
            json!({ "functionName": FUNCTION }),
        ),
        (
            clock(-3, 11, 2, 14),
            "dynamodb:DescribeTable",
            table("sessions-v2"),
        ),
        (
            clock(-3, 11, 4, 1),
            "dynamodb:DescribeTimeToLive",
            table("sessions-v2"),
        ),
        (
            clock(-3, 14, 40, 9),
            "ssm:GetParameter",
            json!({ "name": FLAGS_PARAMETER }),
        ),
        (
            clock(-3, 16, 10, 45),
            "dynamodb:DescribeTable",
            table("orders"),
        ),
        (
            clock(-3, 16, 11, 20),
            "dynamodb:DescribeContinuousBackups",
            table("orders"),
        ),
        (
            clock(-2, 9, 50, 3),
            "logs:FilterLogEvents",
            errors_since(t, clock(-2, 9, 50, 3)),
        ),
        (
            clock(-2, 9, 52, 31),
            "logs:FilterLogEvents",
            errors_since(t, clock(-2, 9, 52, 31)),
        ),
        (
            clock(-2, 10, 30, 12),
            "cloudformation:DescribeStacks",
            stack(STACK),
        ),
        (
            clock(-2, 10, 31, 0),
            "cloudformation:DescribeStackEvents",
            stack(STACK),
        ),
        (clock(-2, 15, 15, 22), "dynamodb:ListTables", Value::Null),
        (
            clock(-2, 15, 16, 5),
            "dynamodb:DescribeTable",
            table("customers"),
        ),
        (
            clock(-2, 15, 20, 48),
            "kms:DescribeKey",
            json!({ "keyId": "alias/aws/dynamodb" }),
        ),
    ];
    for (at, api, request) in week {
        t.push(office.call(at, api, HOME, request));
    }
    // Developers may not read IAM.
    let denied = not_authorized(
        &office.caller,
        "iam:ListRoles",
        &format!("arn:aws:iam::{ACCOUNT_ID}:role/"),
    );
    t.push(
        office
            .call(
                clock(-3, 14, 33, 27),
                "iam:ListRoles",
                HOME,
                json!({ "pathPrefix": "/" }),
            )
            .fails("AccessDenied", denied),
    );

    // Session TTL switched on; Config re-evaluates the table afterwards.
    let ttl = json!({ "enabled": true, "attributeName": "expiresAt" });
    t.push(
        office
            .call(
                TTL_CHANGE,
                "dynamodb:UpdateTimeToLive",
                HOME,
                json!({ "tableName": "sessions-v2", "timeToLiveSpecification": ttl }),
            )
            .answer(json!({ "timeToLiveSpecification": ttl })),
    );
    t.push(office.call(
        TTL_CHANGE + secs(61),
        "dynamodb:DescribeTimeToLive",
        HOME,
        table("sessions-v2"),
    ));

    // On call, Saturday night.
    for (at, api) in [
        (clock(-1, 21, 40, 18), "logs:FilterLogEvents"),
        (clock(-1, 21, 42, 55), "logs:FilterLogEvents"),
    ] {
        let request = errors_since(t, at);
        t.push(vpn.call(at, api, HOME, request));
    }
    t.push(vpn.call(
        clock(-1, 21, 44, 30),
        "lambda:GetFunction20150331v2",
        HOME,
        json!({ "functionName": FUNCTION }),
    ));
}

/// When dana.kim switched on TTL for `sessions-v2` (Thursday 11:06).
const TTL_CHANGE: Duration =
    Duration::seconds(-3 * 86_400 + 11 * 3600 + 6 * 60 + 3 - START_OF_DAY_SECS);

fn table_design(name: &str) -> (Value, Value, Value) {
    let s = |n: &str| json!({ "attributeName": n, "attributeType": "S" });
    let hash = |n: &str| json!({ "attributeName": n, "keyType": "HASH" });
    let range = |n: &str| json!({ "attributeName": n, "keyType": "RANGE" });
    match name {
        "orders" => (
            json!([s("pk"), s("sk")]),
            json!([hash("pk"), range("sk")]),
            Value::Null,
        ),
        "customers" => (
            json!([s("customerId"), s("email")]),
            json!([hash("customerId")]),
            json!([{ "indexName": "email-index", "keySchema": [hash("email")],
                     "projection": { "projectionType": "ALL" } }]),
        ),
        _ => (
            json!([s("sessionId")]),
            json!([hash("sessionId")]),
            Value::Null,
        ),
    }
}

/// li.wei runs the platform's Terraform: a plan reads a little of everything, an apply
/// changes a few settings. The provider's organization lookup is always denied.
fn li_wei(t: &mut Trail) {
    let a = Actor::new(user("li.wei", LI_KEY), OFFICE_IP, Agent::GoSdk(TERRAFORM));
    for at in [
        clock(-3, 11, 30, 14),
        clock(-3, 11, 52, 40),
        clock(-2, 14, 20, 55),
    ] {
        terraform_plan(t, &a, at);
    }
    let apply = clock(-3, 11, 54, 2);
    t.push(a.call(
        apply,
        "logs:PutRetentionPolicy",
        HOME,
        json!({ "logGroupName": format!("/aws/lambda/{FUNCTION}"), "retentionInDays": 30 }),
    ));
    t.push(
        a.call(
            apply + secs(1),
            "ssm:PutParameter",
            HOME,
            json!({ "name": FLAGS_PARAMETER, "type": "String", "overwrite": true, "tier": "Standard" }),
        )
        .answer(json!({ "version": 13, "tier": "Standard" })),
    );
    t.push(a.call(
        apply + secs(2),
        "kms:EnableKeyRotation",
        HOME,
        json!({ "keyId": format!("arn:aws:kms:{HOME}:{ACCOUNT_ID}:key/{EXPORTS_KEY_ID}") }),
    ));
    let rule = ingress_answer(t, INTERNAL_SG, 443, "10.20.0.0/16");
    t.push(
        a.call(
            apply + secs(3),
            "ec2:AuthorizeSecurityGroupIngress",
            HOME,
            ingress(INTERNAL_SG, 443, "10.20.0.0/16"),
        )
        .answer(rule),
    );
}

fn terraform_plan(t: &mut Trail, a: &Actor, at: Duration) {
    let key_arn = format!("arn:aws:kms:{HOME}:{ACCOUNT_ID}:key/{EXPORTS_KEY_ID}");
    let vpc_filter =
        json!({ "items": [{ "name": "vpc-id", "valueSet": { "items": [{ "value": VPC_ID }] } }] });
    let reads: [(&str, Value); 18] = [
        (
            "ec2:DescribeVpcs",
            json!({ "vpcSet": { "items": [{ "vpcId": VPC_ID }] }, "filterSet": {} }),
        ),
        (
            "ec2:DescribeSubnets",
            json!({ "subnetSet": {}, "filterSet": vpc_filter }),
        ),
        (
            "ec2:DescribeSecurityGroups",
            json!({ "securityGroupSet": {}, "securityGroupIdSet": { "items": [{ "groupId": INTERNAL_SG }] }, "filterSet": {} }),
        ),
        (
            "ec2:DescribeSecurityGroupRules",
            json!({ "DescribeSecurityGroupRulesRequest": { "Filter": { "Name": "group-id", "Value": INTERNAL_SG }, "MaxResults": 1000 } }),
        ),
        ("iam:GetRole", json!({ "roleName": "GitHubActionsDeploy" })),
        (
            "iam:ListRolePolicies",
            json!({ "roleName": "GitHubActionsDeploy" }),
        ),
        (
            "iam:ListAttachedRolePolicies",
            json!({ "roleName": "GitHubActionsDeploy" }),
        ),
        ("iam:GetRole", json!({ "roleName": "OrdersApiLambdaRole" })),
        (
            "iam:ListAttachedRolePolicies",
            json!({ "roleName": "OrdersApiLambdaRole" }),
        ),
        ("s3:GetBucketPolicy", bucket(EXPORTS_BUCKET, "policy")),
        (
            "s3:GetBucketVersioning",
            bucket(EXPORTS_BUCKET, "versioning"),
        ),
        (
            "s3:GetBucketEncryption",
            bucket(EXPORTS_BUCKET, "encryption"),
        ),
        (
            "s3:GetBucketPublicAccessBlock",
            bucket(EXPORTS_BUCKET, "publicAccessBlock"),
        ),
        ("kms:DescribeKey", json!({ "keyId": key_arn })),
        (
            "kms:GetKeyPolicy",
            json!({ "keyId": key_arn, "policyName": "default" }),
        ),
        ("kms:GetKeyRotationStatus", json!({ "keyId": key_arn })),
        (
            "logs:DescribeLogGroups",
            json!({ "logGroupNamePrefix": format!("/aws/lambda/{FUNCTION}") }),
        ),
        (
            "ssm:GetParameter",
            json!({ "name": FLAGS_PARAMETER, "withDecryption": true }),
        ),
    ];
    t.push(a.call(at, "sts:GetCallerIdentity", HOME, Value::Null));
    t.push(
        a.call(
            at + secs(1),
            "organizations:DescribeOrganization",
            HOME,
            Value::Null,
        )
        .fails(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        ),
    );
    let mut when = at + secs(1);
    for (api, request) in reads {
        when += t.jitter(1);
        t.push(a.call(when, api, HOME, request));
    }
}

/// The legacy Jenkins user: a nightly export of the orders table and the web front end's
/// deploys, from the two build agents.
fn ci_deploy(t: &mut Trail) {
    for (n, day) in [-2, -1, 0].into_iter().enumerate() {
        let at = clock(day, 2, 10, 4) + t.jitter(40);
        let ci = Actor::new(
            user("ci-deploy", CI_KEY),
            JENKINS_IPS[n % 2],
            Agent::Fixed(CLI_JENKINS),
        );
        t.push(ci.call(at, "sts:GetCallerIdentity", HOME, Value::Null));
        t.push(ci.call(
            at + secs(2),
            "dynamodb:DescribeContinuousBackups",
            HOME,
            table("orders"),
        ));
        let export_id = format!(
            "{}-{}",
            t.millis(at + secs(4)),
            (0..8).map(|_| t.rng.digit(16)).collect::<String>()
        );
        let export_arn = format!("{}/export/{export_id}", table_arn("orders"));
        let prefix = format!("orders/{}", t.time(at).format("%Y-%m-%d"));
        t.push(
            ci.call(
                at + secs(4),
                "dynamodb:ExportTableToPointInTime",
                HOME,
                json!({ "tableArn": table_arn("orders"), "s3Bucket": EXPORTS_BUCKET,
                        "s3Prefix": prefix, "exportFormat": "DYNAMODB_JSON" }),
            )
            .answer(json!({ "exportDescription": {
                "exportArn": export_arn, "exportStatus": "IN_PROGRESS",
                "tableArn": table_arn("orders"), "exportTime": t.millis(at + secs(4)),
                "s3Bucket": EXPORTS_BUCKET, "s3Prefix": prefix,
                "exportFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT"
            } })),
        );
        for poll in [64, 185] {
            t.push(ci.call(
                at + secs(poll),
                "dynamodb:DescribeExport",
                HOME,
                json!({ "exportArn": export_arn }),
            ));
        }
    }

    for (n, at) in [
        clock(-3, 10, 22, 31),
        clock(-3, 15, 47, 8),
        clock(-2, 11, 5, 40),
    ]
    .into_iter()
    .enumerate()
    {
        let ci = Actor::new(
            user("ci-deploy", CI_KEY),
            JENKINS_IPS[(n + 1) % 2],
            Agent::Fixed(CLI_JENKINS),
        );
        let build = 1485 + n;
        t.push(ci.call(
            at,
            "s3:GetBucketLocation",
            HOME,
            bucket(WEB_BUCKET, "location"),
        ));
        let batch = json!({ "paths": { "quantity": 1, "items": ["/*"] },
                            "callerReference": format!("web-frontend-build-{build}") });
        let id = format!("I{}", t.upper(13));
        let created = at + secs(38);
        t.push(
            ci.call(
                created,
                "cloudfront:CreateInvalidation",
                HOME,
                json!({ "distributionId": DISTRIBUTION, "invalidationBatch": batch }),
            )
            .answer(json!({
                "location": format!("https://cloudfront.amazonaws.com/2020-05-31/distribution/{DISTRIBUTION}/invalidation/{id}"),
                "invalidation": { "id": id, "status": "InProgress",
                    "createTime": t.aws_date(created), "invalidationBatch": batch }
            })),
        );
        t.push(ci.call(
            created + secs(20),
            "cloudfront:GetInvalidation",
            HOME,
            json!({ "distributionId": DISTRIBUTION, "id": id }),
        ));
        if n == 2 {
            // A new step in the job that the user's policy never allowed.
            let call = ci.call(
                created + secs(26),
                "cloudfront:ListDistributions",
                HOME,
                Value::Null,
            );
            let message = format!(
                "User: {} is not authorized to perform: cloudfront:ListDistributions because no identity-based policy allows the cloudfront:ListDistributions action",
                caller_arn(&call.caller)
            );
            t.push(call.fails("AccessDenied", message));
        }
    }
}

/// The monitoring agent polls every half hour, around the clock, one probe at a time.
fn monitoring(t: &mut Trail) {
    let m = Actor::new(
        user("monitoring", MONITORING_KEY),
        MONITORING_IP,
        Agent::GoSdk(MONITORING_AGENT),
    );
    let probes: [(&str, Value); 8] = [
        (
            "ec2:DescribeVolumes",
            json!({ "volumeSet": {}, "filterSet": {} }),
        ),
        ("lambda:ListFunctions20150331", Value::Null),
        ("dynamodb:DescribeTable", table("orders")),
        (
            "logs:DescribeLogGroups",
            json!({ "logGroupNamePrefix": "/aws/lambda/" }),
        ),
        (
            "s3:ListBuckets",
            json!({ "Host": "s3.us-east-1.amazonaws.com" }),
        ),
        ("cloudformation:DescribeStacks", Value::Null),
        (
            "config:DescribeComplianceByConfigRule",
            json!({ "complianceTypes": ["NON_COMPLIANT"] }),
        ),
        ("dynamodb:DescribeTable", table("sessions-v2")),
    ];
    let first = clock(-3, 7, 45, 0);
    let mut i = 0;
    loop {
        let at = first + Duration::minutes(30 * i) + t.jitter(90);
        if at > live(40, 0) {
            break;
        }
        // Every other poll lists instances; the rest rotate through the probes.
        let (api, request) = if i % 2 == 0 {
            ("ec2:DescribeInstances", all_instances())
        } else {
            let (api, request) = &probes[(i as usize / 2) % probes.len()];
            (*api, request.clone())
        };
        t.push(m.call(at, api, HOME, request));
        i += 1;
    }
}

/// The orders API's deploys from GitHub Actions (a role session per workflow run, issued
/// seconds before use) and the daily drift check at 07:50, which falls inside the attack
/// on Sunday. CloudFormation updates the function on the run's behalf.
fn github_actions(t: &mut Trail) {
    let stack_id = format!(
        "arn:aws:cloudformation:{HOME}:{ACCOUNT_ID}:stack/{STACK}/{}",
        t.uuid()
    );
    let cfn = Actor::service("cloudformation.amazonaws.com");
    for (n, at) in [
        clock(-3, 9, 41, 5),
        clock(-3, 14, 12, 40),
        clock(-3, 16, 55, 10),
        clock(-2, 10, 20, 33),
        clock(-2, 13, 48, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let runner = workflow_run(t, at);
        let sha: String = (0..40).map(|_| t.rng.digit(16)).collect();
        let change_set_name = format!(
            "awscli-cloudformation-package-deploy-{}",
            t.time(at).timestamp()
        );
        let change_set = format!(
            "arn:aws:cloudformation:{HOME}:{ACCOUNT_ID}:changeSet/{change_set_name}/{}",
            t.uuid()
        );
        let named = json!({ "changeSetName": change_set_name, "stackName": STACK });
        t.push(runner.call(at, "sts:GetCallerIdentity", HOME, Value::Null));
        if n == 1 {
            // A step added to print the function's role; the deploy role may not read IAM.
            let call = runner.call(
                at + secs(3),
                "iam:GetRole",
                HOME,
                json!({ "roleName": "OrdersApiLambdaRole" }),
            );
            let message = not_authorized(
                &call.caller,
                "iam:GetRole",
                &format!("arn:aws:iam::{ACCOUNT_ID}:role/OrdersApiLambdaRole"),
            );
            t.push(call.fails("AccessDenied", message));
        }
        t.push(runner.call(
            at + secs(5),
            "cloudformation:DescribeStacks",
            HOME,
            stack(STACK),
        ));
        t.push(
            runner
                .call(
                    at + secs(7),
                    "cloudformation:CreateChangeSet",
                    HOME,
                    json!({
                        "stackName": STACK,
                        "templateURL": format!("https://s3.us-east-1.amazonaws.com/{ARTIFACTS_BUCKET}/{FUNCTION}/{sha}.template"),
                        "parameters": [{ "parameterKey": "Stage", "parameterValue": "prod" }],
                        "capabilities": ["CAPABILITY_IAM"],
                        "changeSetName": change_set_name,
                        "changeSetType": "UPDATE",
                        "description": format!("Created by AWS CLI at {} UTC", t.time(at + secs(7)).format("%Y-%m-%dT%H:%M:%S%.6f"))
                    }),
                )
                .answer(json!({ "id": change_set, "stackId": stack_id })),
        );
        for wait in [9, 14] {
            t.push(runner.call(
                at + secs(wait),
                "cloudformation:DescribeChangeSet",
                HOME,
                named.clone(),
            ));
        }
        t.push(runner.call(
            at + secs(16),
            "cloudformation:ExecuteChangeSet",
            HOME,
            named.clone(),
        ));
        t.push(runner.call(
            at + secs(18),
            "cloudformation:DescribeStacks",
            HOME,
            stack(STACK),
        ));
        let update = at + secs(24);
        let code_sha = sha256_base64(t);
        let revision = t.uuid();
        let code_size = 1_843_220 + t.rng.u32(..40_000);
        t.push(
            cfn.call(
                update,
                "lambda:UpdateFunctionCode20150331v2",
                HOME,
                json!({ "functionName": FUNCTION, "s3Bucket": ARTIFACTS_BUCKET,
                        "s3Key": format!("{FUNCTION}/{sha}.zip"), "publish": false, "dryRun": false }),
            )
            .answer(json!({
                "functionName": FUNCTION,
                "functionArn": format!("arn:aws:lambda:{HOME}:{ACCOUNT_ID}:function:{FUNCTION}"),
                "runtime": "nodejs22.x",
                "role": format!("arn:aws:iam::{ACCOUNT_ID}:role/OrdersApiLambdaRole"),
                "handler": "dist/handler.main",
                "codeSize": code_size,
                "description": "",
                "timeout": 15,
                "memorySize": 1024,
                "lastModified": t.time(update).format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
                "codeSha256": code_sha,
                "version": "$LATEST",
                "tracingConfig": { "mode": "PassThrough" },
                "revisionId": revision,
                "state": "Active",
                "lastUpdateStatus": "InProgress",
                "packageType": "Zip",
                "architectures": ["arm64"],
                "ephemeralStorage": { "size": 512 },
                "loggingConfig": { "logFormat": "Text", "logGroup": format!("/aws/lambda/{FUNCTION}") }
            })),
        );
        t.push(cfn.call(
            update + secs(3),
            "lambda:GetFunction20150331v2",
            HOME,
            json!({ "functionName": FUNCTION }),
        ));
        t.push(runner.call(
            at + secs(48),
            "cloudformation:DescribeStacks",
            HOME,
            stack(STACK),
        ));
        t.push(runner.call(
            at + secs(49),
            "cloudformation:DescribeStackEvents",
            HOME,
            stack(STACK),
        ));
    }

    for day in [-3, -2, -1, 0] {
        let at = clock(day, 7, 50, 2) + t.jitter(25);
        let runner = workflow_run(t, at);
        let detection = t.uuid();
        t.push(runner.call(at, "sts:GetCallerIdentity", HOME, Value::Null));
        t.push(
            runner
                .call(
                    at + secs(4),
                    "cloudformation:DetectStackDrift",
                    HOME,
                    stack(STACK),
                )
                .answer(json!({ "stackDriftDetectionId": detection })),
        );
        for wait in [9, 15] {
            t.push(runner.call(
                at + secs(wait),
                "cloudformation:DescribeStackDriftDetectionStatus",
                HOME,
                json!({ "stackDriftDetectionId": detection }),
            ));
        }
        t.push(runner.call(
            at + secs(16),
            "cloudformation:DescribeStackResourceDrifts",
            HOME,
            json!({ "stackName": STACK, "stackResourceDriftStatusFilters": ["MODIFIED", "DELETED"] }),
        ));
    }
}

/// A GitHub-hosted runner with a fresh GitHubActionsDeploy session.
fn workflow_run(t: &mut Trail, first_use: Duration) -> Actor {
    let lead = 3 + t.rng.i64(0..6);
    let caller = t.session("GitHubActionsDeploy", "GitHubActions", first_use, lead);
    let ip = format!("192.0.2.{}", 160 + t.rng.u8(..40));
    Actor::new(caller, &ip, Agent::Cli(CLI_RUNNER))
}

/// Cold starts of the orders API: each new execution environment reads its secrets from
/// Parameter Store (SSM decrypts them with KMS on its behalf) and checks its table.
fn orders_lambda(t: &mut Trail) {
    let cold_starts = [
        clock(-3, 8, 12, 9),
        clock(-3, 10, 47, 33),
        clock(-3, 13, 5, 51),
        clock(-3, 16, 31, 2),
        clock(-3, 19, 58, 40),
        clock(-3, 23, 40, 15),
        clock(-2, 8, 3, 27),
        clock(-2, 11, 26, 5),
        clock(-2, 14, 52, 48),
        clock(-2, 18, 9, 30),
        clock(-2, 22, 30, 11),
        clock(-1, 9, 41, 56),
        clock(-1, 15, 20, 3),
        clock(-1, 21, 5, 44),
        clock(0, 3, 50, 19),
        live(15, 7),
        live(33, 41),
    ];
    for at in cold_starts {
        let caller = t.session("OrdersApiLambdaRole", FUNCTION, at, 1);
        let ip = format!("192.0.2.{}", 90 + t.rng.u8(..8));
        let function = Actor::new(caller.clone(), &ip, Agent::LambdaJs);
        let via_ssm = Actor::new(
            caller,
            "ssm.amazonaws.com",
            Agent::Fixed("ssm.amazonaws.com"),
        );
        t.push(function.call(
            at,
            "ssm:GetParameters",
            HOME,
            json!({ "names": SECRET_PARAMETERS, "withDecryption": true }),
        ));
        for parameter in SECRET_PARAMETERS {
            t.push(via_ssm.call(
                at,
                "kms:Decrypt",
                HOME,
                json!({
                    "encryptionContext": { "PARAMETER_ARN": format!("arn:aws:ssm:{HOME}:{ACCOUNT_ID}:parameter{parameter}") },
                    "encryptionAlgorithm": "SYMMETRIC_DEFAULT"
                }),
            ));
        }
        t.push(function.call(
            at + secs(1),
            "dynamodb:DescribeTable",
            HOME,
            table("orders"),
        ));
    }
}

/// The web front end's Auto Scaling group adds two instances each weekday morning and
/// removes them in the evening. Ordinary spend: no launch effect.
fn autoscaling(t: &mut Trail) {
    let asg = Actor::service("autoscaling.amazonaws.com");
    let kit = Kit {
        region: HOME,
        az: "us-east-1b".to_string(),
        vpc: VPC_ID.to_string(),
        subnet: WEB_SUBNET.to_string(),
        group_id: WEB_SG.to_string(),
        group_name: "web-frontend",
        image: WEB_AMI.to_string(),
        key_name: None,
        net: "10.20",
    };
    for (out, back) in [
        (clock(-3, 8, 5, 12), clock(-3, 19, 10, 40)),
        (clock(-2, 8, 4, 51), clock(-2, 19, 20, 3)),
    ] {
        let mut launched = Vec::new();
        for n in 0..2 {
            let at = out + secs(n);
            let token = t.uuid();
            let answer = reservation(t, &kit, "t3.large", 1, at, &token);
            launched.push(answer["instancesSet"]["items"][0]["instanceId"].clone());
            t.push(
                asg.call(
                    at,
                    "ec2:RunInstances",
                    HOME,
                    json!({
                        "instancesSet": { "items": [{ "minCount": 1, "maxCount": 1 }] },
                        "launchTemplate": { "launchTemplateId": WEB_LAUNCH_TEMPLATE, "version": "7" },
                        "subnetId": WEB_SUBNET,
                        "clientToken": token,
                        "tagSpecificationSet": { "items": [{ "resourceType": "instance",
                            "tags": [{ "key": "aws:autoscaling:groupName", "value": "web-frontend-asg" }] }] }
                    }),
                )
                .answer(answer),
            );
        }
        for (n, id) in launched.into_iter().enumerate() {
            t.push(
                asg.call(
                    back + secs(n as i64),
                    "ec2:TerminateInstances",
                    HOME,
                    json!({ "instancesSet": { "items": [{ "instanceId": id }] } }),
                )
                .answer(json!({ "instancesSet": { "items": [{
                    "instanceId": id,
                    "currentState": { "code": 32, "name": "shutting-down" },
                    "previousState": { "code": 16, "name": "running" }
                }] } })),
            );
        }
    }
}

/// Config's periodic snapshot, every six hours; the 03:12 run on Sunday is the one whose
/// evaluations the findings carry.
fn config_periodic(t: &mut Trail) {
    let config = Actor::service("config.amazonaws.com");
    let mut at = clock(-3, 9, 12, 0);
    while at < Duration::zero() {
        let run = at + t.jitter(30);
        let reads: [(&str, Value); 4] = [
            (
                "ec2:DescribeSecurityGroups",
                json!({ "securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {} }),
            ),
            ("s3:GetBucketAcl", bucket(MARKETING_BUCKET, "acl")),
            ("s3:GetBucketPolicy", bucket(MARKETING_BUCKET, "policy")),
            (
                "iam:GetAccountAuthorizationDetails",
                json!({ "filter": ["User", "Role", "Group", "LocalManagedPolicy"] }),
            ),
        ];
        for (n, (api, request)) in reads.into_iter().enumerate() {
            t.push(config.call(run + secs(n as i64 * 2), api, HOME, request));
        }
        at += Duration::hours(6);
    }
}

/// Config records changes in the home region shortly after they happen: it describes
/// what changed. Runs last, over everything written so far, attack included.
fn config_recorder(t: &mut Trail) {
    let config = Actor::service("config.amazonaws.com");
    let follow_ups: Vec<(Duration, &str, Value)> = t
        .calls
        .iter()
        .filter(|c| c.region == HOME && !c.read_only && c.error.is_none())
        .filter_map(|c| {
            let (api, request) = describe_change(c)?;
            Some((c.offset, api, request))
        })
        .collect();
    // A burst of changes to one resource is recorded once.
    let mut recorded: Vec<(Duration, &str, Value)> = Vec::new();
    for (at, api, request) in follow_ups {
        let fresh = !recorded
            .iter()
            .any(|(when, a, r)| *a == api && *r == request && at - *when < Duration::minutes(5));
        if fresh {
            let delay = secs(35) + t.jitter(60);
            t.push(config.call(at + delay, api, HOME, request.clone()));
            recorded.push((at, api, request));
        }
    }
}

/// The describe call with which Config records a change, if it records that kind.
fn describe_change(call: &ScriptedCall) -> Option<(&'static str, Value)> {
    let request = &call.request_parameters;
    let response = &call.response_elements;
    match (call.event_source.as_str(), call.event_name.as_str()) {
        ("ec2.amazonaws.com", "CreateSecurityGroup") => Some(groups(&response["groupId"])),
        ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress") => Some(groups(&request["groupId"])),
        ("ec2.amazonaws.com", "RunInstances" | "TerminateInstances") => {
            let ids: Vec<Value> = response["instancesSet"]["items"]
                .as_array()?
                .iter()
                .map(|i| json!({ "instanceId": i["instanceId"] }))
                .collect();
            Some((
                "ec2:DescribeInstances",
                json!({ "instancesSet": { "items": ids }, "filterSet": {} }),
            ))
        }
        (
            "iam.amazonaws.com",
            "CreateUser" | "AttachUserPolicy" | "CreateAccessKey" | "CreateLoginProfile",
        ) => Some(("iam:GetUser", json!({ "userName": request["userName"] }))),
        ("dynamodb.amazonaws.com", "CreateTable" | "UpdateTimeToLive") => Some((
            "dynamodb:DescribeTable",
            json!({ "tableName": request["tableName"] }),
        )),
        _ => None,
    }
}

fn groups(group_id: &Value) -> (&'static str, Value) {
    (
        "ec2:DescribeSecurityGroups",
        json!({ "securityGroupSet": {}, "securityGroupIdSet": { "items": [{ "groupId": group_id }] }, "filterSet": {} }),
    )
}

// ---------------------------------------------------------------------------------------
// What exists when the scenario starts.

fn users(start: DateTime<Utc>) -> Vec<UserSeed> {
    [
        (LEAKED_USER, 400, true),
        ("dana.kim", 300, false),
        ("li.wei", 410, false),
        ("ci-deploy", 640, false),
        ("monitoring", 180, false),
    ]
    .into_iter()
    .map(|(name, days, admin)| UserSeed {
        name: name.to_string(),
        created: start - Duration::days(days),
        admin,
    })
    .collect()
}

fn keys(start: DateTime<Utc>) -> Vec<KeySeed> {
    [
        (LEAKED_USER, LEAKED_KEY, 200, true),
        ("dana.kim", DANA_KEY, 75, true),
        ("li.wei", LI_KEY, 32, true),
        // Rotated out a month ago and never deleted.
        ("li.wei", LI_OLD_KEY, 402, false),
        // Never rotated: the CI job's key predates everyone's memory of it.
        ("ci-deploy", CI_KEY, 610, true),
        ("monitoring", MONITORING_KEY, 60, true),
    ]
    .into_iter()
    .map(|(user, key, days, active)| KeySeed {
        user: user.to_string(),
        access_key_id: key.to_string(),
        created: start - Duration::days(days),
        active,
    })
    .collect()
}

/// The managed rules that flag something: description as AWS gives it, and the SSM
/// document of the remediation configuration where the account set one up.
const RULES: [(&str, &str, Option<&str>); 5] = [
    (
        "dynamodb-table-encryption-enabled",
        "Checks if the Amazon DynamoDB tables are encrypted and checks their status. The rule is COMPLIANT if the status is enabled or enabling.",
        None,
    ),
    (
        "s3-bucket-public-read-prohibited",
        "Checks if your Amazon S3 buckets do not allow public read access. The rule checks the Block Public Access settings, the bucket policy, and the bucket access control list (ACL).",
        Some("AWS-DisableS3BucketPublicReadWrite"),
    ),
    (
        "restricted-ssh",
        "Checks if the incoming SSH traffic for the security groups is accessible. The rule is COMPLIANT if the IP addresses of the incoming SSH traffic in the security groups are restricted (CIDR other than 0.0.0.0/0 or ::/0). Otherwise, NON_COMPLIANT.",
        Some("AWS-DisableIncomingSSHOnPort22"),
    ),
    (
        "iam-user-mfa-enabled",
        "Checks if the AWS Identity and Access Management (IAM) users have multi-factor authentication (MFA) enabled. The rule is NON_COMPLIANT if MFA is not enabled for at least one IAM user.",
        None,
    ),
    (
        // The account runs it with maxAccessKeyAge = 365, so admin-ops' 200-day key passes.
        "access-keys-rotated",
        "Checks if active IAM access keys are rotated (changed) within the number of days specified in maxAccessKeyAge. The rule is NON_COMPLIANT if access keys are not rotated within the specified time period. The default value is 90 days.",
        None,
    ),
];

fn finding(
    start: DateTime<Utc>,
    rule: &str,
    resource_type: &str,
    resource_id: &str,
    evaluated: Duration,
) -> Finding {
    let (_, description, remediation) = RULES
        .iter()
        .find(|(name, _, _)| *name == rule)
        .expect("rule is listed in RULES");
    Finding {
        rule: rule.to_string(),
        rule_description: description.to_string(),
        resource_type: resource_type.to_string(),
        resource_id: resource_id.to_string(),
        region: HOME.to_string(),
        compliance: "NON_COMPLIANT".to_string(),
        annotation: None,
        remediation: remediation.map(str::to_string),
        guidance: None,
        evaluated_at: Some(start + evaluated),
    }
}

fn findings(start: DateTime<Utc>) -> Vec<Finding> {
    // The table rule runs on configuration changes only: each table was last evaluated
    // when it was created, sessions-v2 again after its TTL change. The others also run
    // daily; Sunday's run was at 03:14.
    let table_evaluated = |name: &str| match name {
        "sessions-v2" => TTL_CHANGE + secs(134),
        _ => {
            let i = TABLES.iter().position(|t| *t == name).unwrap_or(0) as i64;
            clock(-40, 10, 12, 31) + secs(i * 137 + 170)
        }
    };
    let mut out: Vec<Finding> = TABLES
        .iter()
        .map(|name| {
            finding(
                start,
                "dynamodb-table-encryption-enabled",
                "AWS::DynamoDB::Table",
                name,
                table_evaluated(name),
            )
        })
        .collect();
    out.push(finding(
        start,
        "s3-bucket-public-read-prohibited",
        "AWS::S3::Bucket",
        MARKETING_BUCKET,
        clock(0, 3, 14, 7),
    ));
    out.push(finding(
        start,
        "restricted-ssh",
        "AWS::EC2::SecurityGroup",
        BASTION_SG,
        clock(0, 3, 14, 9),
    ));
    for name in [LEAKED_USER, "ci-deploy"] {
        out.push(finding(
            start,
            "iam-user-mfa-enabled",
            "AWS::IAM::User",
            name,
            clock(0, 3, 15, 2),
        ));
    }
    out.push(finding(
        start,
        "access-keys-rotated",
        "AWS::IAM::User",
        "ci-deploy",
        clock(0, 3, 15, 4),
    ));
    out
}

/// The founding scenario. Deterministic: every identifier comes from one seeded
/// generator, and the story is written in a fixed order.
pub fn founding_scenario() -> Scenario {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 22, 7, 37, 12)
        .single()
        .expect("a valid instant");
    let mut t = Trail {
        start,
        rng: Rng::with_seed(0x2026_1122_0737),
        calls: Vec::new(),
    };
    attack(&mut t);
    admin_routine(&mut t);
    dana(&mut t);
    li_wei(&mut t);
    ci_deploy(&mut t);
    monitoring(&mut t);
    github_actions(&mut t);
    orders_lambda(&mut t);
    autoscaling(&mut t);
    config_periodic(&mut t);
    config_recorder(&mut t);
    // Stable: calls at the same second keep the order they were written in.
    t.calls.sort_by_key(|c| c.offset);

    Scenario {
        title: "Leaked admin access key — GPU instances in several regions".to_string(),
        account_id: ACCOUNT_ID.to_string(),
        start,
        users: users(start),
        keys: keys(start),
        roles: [
            "GitHubActionsDeploy",
            "OrdersApiLambdaRole",
            "AWSServiceRoleForConfig",
            "AWSServiceRoleForAutoScaling",
        ]
        .map(str::to_string)
        .to_vec(),
        calls: t.calls,
        findings: findings(start),
        remediations: RULES
            .iter()
            .filter_map(|(rule, _, document)| Some((rule.to_string(), (*document)?.to_string())))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
