//! One event.

use super::*;

pub(crate) struct Ctx<'a> {
    pub(crate) rng: &'a mut fastrand::Rng,
    pub(crate) world: &'a World,
    pub(crate) region: &'static str,
    pub(crate) at: DateTime<Utc>,
}

impl<'a> Ctx<'a> {
    /// A few principals do most of the calling, as in a real account: squaring a uniform
    /// draw skews it towards the front of each list.
    pub(crate) fn pick_actor(&mut self) -> &'a Actor {
        let w = self.world;
        let list = match self.rng.u32(..100) {
            0..15 => &w.services,
            15..45 => &w.users,
            _ => &w.sessions,
        };
        let u = self.rng.f64();
        &list[((u * u) * list.len() as f64) as usize]
    }

    pub(crate) fn pick<'s>(&mut self, items: &'s [String]) -> &'s str {
        &items[self.rng.usize(..items.len())]
    }
}

/// An API call: the service's short name (as in `<name>.amazonaws.com`) and the event name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Api {
    pub(crate) service: &'static str,
    pub(crate) name: &'static str,
    pub(crate) weight: u32,
}

pub(crate) const fn api(service: &'static str, name: &'static str, weight: u32) -> Api {
    Api {
        service,
        name,
        weight,
    }
}

/// What people, instances and pipelines call, weighted by how often.
pub(crate) const PEOPLE_APIS: [Api; 33] = [
    api("ec2", "DescribeInstances", 80),
    api("ec2", "DescribeSecurityGroups", 30),
    api("ec2", "DescribeVolumes", 20),
    api("ec2", "DescribeSnapshots", 10),
    api("ec2", "CreateTags", 8),
    api("ec2", "RunInstances", 2),
    api("ec2", "TerminateInstances", 2),
    api("s3", "ListBuckets", 15),
    api("s3", "GetBucketAcl", 25),
    api("s3", "GetBucketPolicy", 10),
    api("s3", "GetBucketLocation", 10),
    api("iam", "ListUsers", 6),
    api("iam", "GetUser", 5),
    api("iam", "ListRoles", 6),
    api("iam", "GetRole", 8),
    api("iam", "ListAttachedRolePolicies", 6),
    api("iam", "CreateAccessKey", 1),
    api("iam", "AttachUserPolicy", 1),
    api("sts", "AssumeRole", 30),
    api("sts", "GetCallerIdentity", 20),
    api("kms", "Decrypt", 40),
    api("kms", "GenerateDataKey", 15),
    api("logs", "CreateLogStream", 25),
    api("logs", "DescribeLogGroups", 10),
    api("monitoring", "DescribeAlarms", 15),
    api("ssm", "UpdateInstanceInformation", 30),
    api("ssm", "GetParameter", 15),
    api("lambda", "GetFunction20150331v2", 6),
    api("dynamodb", "DescribeTable", 10),
    api("cloudformation", "DescribeStacks", 6),
    api("secretsmanager", "GetSecretValue", 8),
    api("ecr", "GetAuthorizationToken", 8),
    api("signin", "ConsoleLogin", 2),
];

/// What AWS services call on the account's behalf.
pub(crate) const SERVICE_APIS: [Api; 6] = [
    api("sts", "AssumeRole", 50),
    api("kms", "Decrypt", 40),
    api("kms", "GenerateDataKey", 10),
    api("config", "PutEvaluations", 15),
    api("logs", "CreateLogStream", 10),
    api("ec2", "DescribeInstances", 10),
];

/// IAM and console sign-in are global: CloudTrail logs them in us-east-1.
pub(crate) fn is_global(api: &Api) -> bool {
    matches!(api.service, "iam" | "signin")
}

pub(crate) fn choose_api(ctx: &mut Ctx<'_>, actor: &Actor) -> Api {
    let table: &[Api] = if actor.agent == Agent::Service {
        &SERVICE_APIS
    } else {
        &PEOPLE_APIS
    };
    let total: u32 = table.iter().map(|a| a.weight).sum();
    loop {
        let mut draw = ctx.rng.u32(..total);
        let api = table
            .iter()
            .find(|a| {
                if draw < a.weight {
                    true
                } else {
                    draw -= a.weight;
                    false
                }
            })
            .copied()
            .expect("a weighted draw lands on an entry");
        if !is_global(&api) || ctx.region == "us-east-1" {
            return api;
        }
    }
}

pub(crate) fn is_read_only(name: &str) -> bool {
    const READS: [&str; 5] = ["Describe", "List", "Get", "Lookup", "Decrypt"];
    READS.iter().any(|p| name.starts_with(p)) || name == "AssumeRole" || name == "GenerateDataKey"
}

/// The JSON text of one event, fields in the order CloudTrail writes them.
pub(crate) fn event(ctx: &mut Ctx<'_>, actor: &Actor) -> String {
    let api = choose_api(ctx, actor);
    let error = error_for(ctx, actor, &api);
    let mut j = Json::with_capacity(2048);
    j.open();
    j.raw(
        "eventVersion",
        if api.service == "signin" {
            "\"1.08\""
        } else {
            "\"1.09\""
        },
    );
    identity(&mut j, ctx, actor);
    j.str("eventTime", &timestamp(ctx.at));
    j.str("eventSource", &format!("{}.amazonaws.com", api.service));
    j.str("eventName", api.name);
    j.str("awsRegion", ctx.region);
    let ip = &actor.ips[ctx.rng.usize(..actor.ips.len())];
    j.str("sourceIPAddress", ip);
    j.str("userAgent", &user_agent(actor, &api));
    if let Some((code, message)) = &error {
        j.str("errorCode", code);
        j.str("errorMessage", message);
    }
    j.key("requestParameters");
    request(&mut j, ctx, actor, &api);
    j.key("responseElements");
    if error.is_some() {
        j.null();
    } else {
        response(&mut j, ctx, actor, &api);
    }
    additional_data(&mut j, ctx, &api);
    j.str("requestID", &request_id(ctx, &api));
    j.str("eventID", &uuid(ctx.rng));
    if api.name != "ConsoleLogin" {
        j.raw(
            "readOnly",
            if is_read_only(api.name) {
                "true"
            } else {
                "false"
            },
        );
    }
    resources(&mut j, ctx, &api);
    let event_type = if api.name == "ConsoleLogin" {
        "AwsConsoleSignIn"
    } else {
        "AwsApiCall"
    };
    j.str("eventType", event_type);
    j.raw("managementEvent", "true");
    j.str("recipientAccountId", &ctx.world.account);
    if actor.agent == Agent::Service {
        j.str("sharedEventID", &uuid(ctx.rng));
    }
    j.str("eventCategory", "Management");
    if actor.agent == Agent::Console && api.name != "ConsoleLogin" {
        j.str("sessionCredentialFromConsole", "true");
    }
    if actor.agent != Agent::Service {
        tls(&mut j, ctx, &api);
    }
    j.close();
    j.finish()
}

pub(crate) fn identity(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor) {
    let account = &ctx.world.account;
    j.key("userIdentity");
    j.open();
    match &actor.who {
        Principal::User { name, id, key } => {
            j.str("type", "IAMUser");
            j.str("principalId", id);
            j.str("arn", &format!("arn:aws:iam::{account}:user/{name}"));
            j.str("accountId", account);
            j.str("accessKeyId", key);
            j.str("userName", name);
            if actor.agent == Agent::Console {
                j.key("sessionContext");
                j.open();
                j.key("attributes");
                j.open();
                j.str("creationDate", &timestamp(session_start(ctx)));
                j.str("mfaAuthenticated", "true");
                j.close();
                j.close();
            }
        }
        Principal::Session { role, session, key } => {
            let role = &ctx.world.roles[*role];
            j.str("type", "AssumedRole");
            j.str("principalId", &format!("{}:{session}", role.id));
            j.str(
                "arn",
                &format!(
                    "arn:aws:sts::{account}:assumed-role/{}/{session}",
                    role.name
                ),
            );
            j.str("accountId", account);
            j.str("accessKeyId", key);
            j.key("sessionContext");
            j.open();
            j.key("sessionIssuer");
            j.open();
            j.str("type", "Role");
            j.str("principalId", &role.id);
            j.str("arn", &format!("arn:aws:iam::{account}:role/{}", role.name));
            j.str("accountId", account);
            j.str("userName", &role.name);
            j.close();
            j.key("attributes");
            j.open();
            j.str("creationDate", &timestamp(session_start(ctx)));
            j.str("mfaAuthenticated", "false");
            j.close();
            if session.starts_with("i-") {
                j.str("ec2RoleDelivery", "2.0");
            }
            j.close();
        }
        Principal::Service(service) => {
            j.str("type", "AWSService");
            j.str("invokedBy", service);
        }
    }
    j.close();
}

/// A session began some time before the call.
pub(crate) fn session_start(ctx: &mut Ctx<'_>) -> DateTime<Utc> {
    ctx.at - Duration::seconds(ctx.rng.i64(60..6 * 3600))
}

pub(crate) fn user_agent(actor: &Actor, api: &Api) -> String {
    let service = api.service;
    match actor.agent {
        Agent::Cli => {
            let command = match service {
                "s3" => "s3api",
                "monitoring" => "cloudwatch",
                other => other,
            };
            format!(
                "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.79-99.164.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#{command}.{}",
                kebab(api.name)
            )
        }
        Agent::Boto3 => "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69".to_string(),
        Agent::GoSdk => format!(
            "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/{service}#1.44.0"
        ),
        Agent::Terraform => format!(
            "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.43.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/{service}#1.44.0"
        ),
        Agent::Console => {
            if service == "signin" || service == "iam" || service == "s3" {
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36".to_string()
            } else {
                "AWS Internal".to_string()
            }
        }
        Agent::Ssm => "aws-sdk-go/1.44.260 (go1.20.10; linux; amd64) amazon-ssm-agent/3.3.131.0".to_string(),
        Agent::JavaSdk => "aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy".to_string(),
        Agent::Service => match &actor.who {
            Principal::Service(s) => s.to_string(),
            _ => "AWS Internal".to_string(),
        },
    }
}

/// `GetFunction20150331v2` → `get-function`, as the CLI names its commands.
pub(crate) fn kebab(name: &str) -> String {
    let name = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v');
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

/// Some calls fail: missing permissions, throttling, and S3's "no policy" answer.
pub(crate) fn error_for(ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) -> Option<(String, String)> {
    if api.name == "GetBucketPolicy" && ctx.rng.u32(..10) < 4 {
        return Some((
            "NoSuchBucketPolicy".into(),
            "The bucket policy does not exist".into(),
        ));
    }
    if actor.agent == Agent::Service || api.name == "ConsoleLogin" {
        return None;
    }
    let draw = ctx.rng.u32(..1000);
    if draw < 25 {
        let code = match api.service {
            "ec2" => "Client.UnauthorizedOperation",
            "iam" | "s3" | "sts" => "AccessDenied",
            _ => "AccessDeniedException",
        };
        let arn = caller_arn(ctx.world, actor);
        let action = format!("{}:{}", api.service, kebab_free(api.name));
        let message = format!(
            "User: {arn} is not authorized to perform: {action} on resource: arn:aws:{}:{}:{}:* because no identity-based policy allows the {action} action",
            api.service, ctx.region, ctx.world.account
        );
        return Some((code.into(), message));
    }
    if draw < 30 {
        let code = if api.service == "ec2" {
            "Client.RequestLimitExceeded"
        } else {
            "ThrottlingException"
        };
        return Some((code.into(), "Rate exceeded".into()));
    }
    None
}

/// `GetFunction20150331v2` → `GetFunction`, as IAM names the action.
pub(crate) fn kebab_free(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v')
}

pub(crate) fn caller_arn(world: &World, actor: &Actor) -> String {
    let account = &world.account;
    match &actor.who {
        Principal::User { name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
        Principal::Session { role, session, .. } => format!(
            "arn:aws:sts::{account}:assumed-role/{}/{session}",
            world.roles[*role].name
        ),
        Principal::Service(s) => s.to_string(),
    }
}

pub(crate) fn request(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) {
    let w = ctx.world;
    let account = &w.account;
    let region = ctx.region;
    match api.name {
        "DescribeInstances" => {
            j.open();
            j.key("instancesSet");
            j.raw_value("{}");
            j.key("filterSet");
            j.open();
            j.key("items");
            j.open_array();
            j.open();
            j.str("name", "instance-state-name");
            j.key("valueSet");
            j.raw_value("{\"items\":[{\"value\":\"running\"}]}");
            j.close();
            j.close_array();
            j.close();
            j.close();
        }
        "DescribeSecurityGroups" => {
            let vpc = ctx.pick(&w.vpcs).to_string();
            j.raw_value(&format!(
                "{{\"securityGroupSet\":{{}},\"securityGroupIdSet\":{{}},\"filterSet\":{{\"items\":[{{\"name\":\"vpc-id\",\"valueSet\":{{\"items\":[{{\"value\":\"{vpc}\"}}]}}}}]}}}}"
            ));
        }
        "DescribeVolumes" => j.raw_value("{\"volumeSet\":{},\"filterSet\":{},\"maxResults\":500}"),
        "DescribeSnapshots" => j.raw_value(&format!(
            "{{\"snapshotSet\":{{}},\"ownersSet\":{{\"items\":[{{\"owner\":\"{account}\"}}]}},\"sharedUsersSet\":{{}},\"filterSet\":{{}}}}"
        )),
        "CreateTags" | "TerminateInstances" => {
            let instance = ctx.pick(&w.instances).to_string();
            if api.name == "CreateTags" {
                let team = pick(ctx.rng, &WORDS);
                j.raw_value(&format!(
                    "{{\"resourcesSet\":{{\"items\":[{{\"resourceId\":\"{instance}\"}}]}},\"tagSet\":{{\"items\":[{{\"key\":\"team\",\"value\":\"{team}\"}},{{\"key\":\"cost-center\",\"value\":\"cc-{}\"}}]}}}}",
                    ctx.rng.u32(1000..9999)
                ));
            } else {
                j.raw_value(&format!(
                    "{{\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{instance}\"}}]}}}}"
                ));
            }
        }
        "RunInstances" => {
            let kind = pick(ctx.rng, &["t3.micro", "t3.large", "m6i.xlarge", "c6i.2xlarge", "r6g.large"]);
            j.raw_value(&format!(
                "{{\"instancesSet\":{{\"items\":[{{\"imageId\":\"ami-{}\",\"minCount\":1,\"maxCount\":1}}]}},\"instanceType\":\"{kind}\",\"blockDeviceMapping\":{{}},\"monitoring\":{{\"enabled\":false}},\"disableApiTermination\":false,\"disableApiStop\":false,\"clientToken\":\"{}\",\"subnetId\":\"subnet-{}\",\"tagSpecificationSet\":{{\"items\":[{{\"resourceType\":\"instance\",\"tags\":[{{\"key\":\"Name\",\"value\":\"{}-worker\"}}]}}]}}}}",
                hex(ctx.rng, 17),
                uuid(ctx.rng),
                hex(ctx.rng, 17),
                pick(ctx.rng, &WORDS)
            ));
        }
        "ListBuckets" => j.raw_value(&format!("{{\"Host\":\"s3.{region}.amazonaws.com\"}}")),
        "GetBucketAcl" | "GetBucketPolicy" | "GetBucketLocation" => {
            let bucket = ctx.pick(&w.buckets).to_string();
            let sub = match api.name {
                "GetBucketAcl" => "acl",
                "GetBucketPolicy" => "policy",
                _ => "location",
            };
            j.raw_value(&format!(
                "{{\"bucketName\":\"{bucket}\",\"Host\":\"{bucket}.s3.{region}.amazonaws.com\",\"{sub}\":\"\"}}"
            ));
        }
        "ListUsers" | "ListRoles" => j.raw_value("{\"maxItems\":100}"),
        "GetUser" | "CreateAccessKey" => {
            let name = user_name(ctx, actor);
            j.raw_value(&format!("{{\"userName\":\"{name}\"}}"));
        }
        "AttachUserPolicy" => {
            let name = user_name(ctx, actor);
            let policy = pick(ctx.rng, &["ReadOnlyAccess", "AmazonS3FullAccess", "AdministratorAccess"]);
            j.raw_value(&format!(
                "{{\"userName\":\"{name}\",\"policyArn\":\"arn:aws:iam::aws:policy/{policy}\"}}"
            ));
        }
        "GetRole" | "ListAttachedRolePolicies" => {
            let role = &w.roles[ctx.rng.usize(..w.roles.len())].name;
            j.raw_value(&format!("{{\"roleName\":\"{role}\"}}"));
        }
        "AssumeRole" => {
            let role = &w.roles[ctx.rng.usize(..w.roles.len())].name;
            let session = match &actor.who {
                Principal::Service(_) => format!("{}", 1_700_000_000_000u64 + ctx.rng.u64(..100_000_000_000)),
                _ => format!("botocore-session-{}", 1_700_000_000 + ctx.rng.u32(..50_000_000)),
            };
            j.raw_value(&format!(
                "{{\"roleArn\":\"arn:aws:iam::{account}:role/{role}\",\"roleSessionName\":\"{session}\",\"durationSeconds\":3600}}"
            ));
        }
        "Decrypt" | "GenerateDataKey" => {
            let key = ctx.pick(&w.kms_keys).to_string();
            let function = ctx.pick(&w.functions).to_string();
            let spec = if api.name == "Decrypt" {
                "\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"".to_string()
            } else {
                format!("\"keyId\":\"arn:aws:kms:{region}:{account}:key/{key}\",\"keySpec\":\"AES_256\"")
            };
            j.raw_value(&format!(
                "{{{spec},\"encryptionContext\":{{\"aws:lambda:FunctionArn\":\"arn:aws:lambda:{region}:{account}:function:{function}\"}}}}"
            ));
        }
        "CreateLogStream" => {
            let function = ctx.pick(&w.functions).to_string();
            j.raw_value(&format!(
                "{{\"logGroupName\":\"/aws/lambda/{function}\",\"logStreamName\":\"{}/[$LATEST]{}\"}}",
                ctx.at.format("%Y/%m/%d"),
                hex(ctx.rng, 32)
            ));
        }
        "DescribeLogGroups" => j.raw_value("{\"limit\":50,\"logGroupNamePrefix\":\"/aws/lambda/\"}"),
        "DescribeAlarms" => j.raw_value("{\"stateValue\":\"ALARM\",\"maxRecords\":100}"),
        "UpdateInstanceInformation" => {
            let instance = ctx.pick(&w.instances).to_string();
            let ip = private_ip(ctx.rng);
            j.raw_value(&format!(
                "{{\"instanceId\":\"{instance}\",\"agentVersion\":\"3.3.131.0\",\"agentStatus\":\"Active\",\"platformType\":\"Linux\",\"platformName\":\"Amazon Linux\",\"platformVersion\":\"2023\",\"iPAddress\":\"{ip}\",\"computerName\":\"ip-{}.{region}.compute.internal\",\"agentName\":\"amazon-ssm-agent\",\"availabilityZone\":\"{region}a\",\"availabilityZoneId\":\"use1-az1\",\"sSMConnectionChannel\":\"ssmmessages\"}}",
                ip.replace('.', "-")
            ));
        }
        "GetParameter" => {
            let name = ctx.pick(&w.parameters).to_string();
            j.raw_value(&format!("{{\"name\":\"{name}\",\"withDecryption\":true}}"));
        }
        "GetFunction20150331v2" => {
            let name = ctx.pick(&w.functions).to_string();
            j.raw_value(&format!("{{\"functionName\":\"{name}\"}}"));
        }
        "DescribeTable" => {
            let name = ctx.pick(&w.tables).to_string();
            j.raw_value(&format!("{{\"tableName\":\"{name}\"}}"));
        }
        "DescribeStacks" => {
            let name = ctx.pick(&w.stacks).to_string();
            j.raw_value(&format!("{{\"stackName\":\"{name}\"}}"));
        }
        "GetSecretValue" => {
            let id = ctx.pick(&w.secrets).to_string();
            j.raw_value(&format!("{{\"secretId\":\"{id}\"}}"));
        }
        "GetAuthorizationToken" => j.raw_value(&format!("{{\"registryIds\":[\"{account}\"]}}")),
        "PutEvaluations" => {
            let instance = ctx.pick(&w.instances).to_string();
            let rule = pick(ctx.rng, &["ec2-imdsv2-check", "s3-bucket-public-read-prohibited", "restricted-ssh", "encrypted-volumes"]);
            let compliance = if ctx.rng.u32(..5) == 0 { "NON_COMPLIANT" } else { "COMPLIANT" };
            j.raw_value(&format!(
                "{{\"evaluations\":[{{\"complianceResourceType\":\"AWS::EC2::Instance\",\"complianceResourceId\":\"{instance}\",\"complianceType\":\"{compliance}\",\"annotation\":\"{rule}\",\"orderingTimestamp\":\"{}\"}}],\"resultToken\":\"{}\",\"testMode\":false}}",
                aws_date(ctx.at),
                alnum(ctx.rng, 96)
            ));
        }
        // GetCallerIdentity, ConsoleLogin: no parameters.
        _ => j.null(),
    }
}

/// A user name for IAM calls: the caller's own, or a colleague's.
pub(crate) fn user_name(ctx: &mut Ctx<'_>, actor: &Actor) -> String {
    match &actor.who {
        Principal::User { name, .. } if ctx.rng.bool() => name.clone(),
        _ => match &ctx.world.users[ctx.rng.usize(..ctx.world.users.len())].who {
            Principal::User { name, .. } => name.clone(),
            _ => "unknown".to_string(),
        },
    }
}

pub(crate) fn response(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) {
    let w = ctx.world;
    let account = &w.account;
    match api.name {
        "AssumeRole" => {
            let role = &w.roles[ctx.rng.usize(..w.roles.len())];
            let session = format!("{}", 1_700_000_000_000u64 + ctx.rng.u64(..100_000_000_000));
            let expires = aws_date(ctx.at + Duration::hours(1));
            j.raw_value(&format!(
                "{{\"credentials\":{{\"accessKeyId\":\"ASIA{}\",\"sessionToken\":\"IQoJb3JpZ2luX2VjE{}\",\"expiration\":\"{expires}\"}},\"assumedRoleUser\":{{\"assumedRoleId\":\"{}:{session}\",\"arn\":\"arn:aws:sts::{account}:assumed-role/{}/{session}\"}}}}",
                upper(ctx.rng, 16),
                alnum(ctx.rng, 180),
                role.id,
                role.name
            ));
        }
        "GetCallerIdentity" => j.raw_value(&format!(
            "{{\"userId\":\"{}\",\"account\":\"{account}\",\"arn\":\"{}\"}}",
            match &actor.who {
                Principal::User { id, .. } => id.clone(),
                Principal::Session { role, session, .. } =>
                    format!("{}:{session}", w.roles[*role].id),
                Principal::Service(s) => s.to_string(),
            },
            caller_arn(w, actor)
        )),
        "CreateAccessKey" => {
            let name = user_name(ctx, actor);
            j.raw_value(&format!(
                "{{\"accessKey\":{{\"userName\":\"{name}\",\"accessKeyId\":\"AKIA{}\",\"status\":\"Active\",\"createDate\":\"{}\"}}}}",
                upper(ctx.rng, 16),
                aws_date(ctx.at)
            ));
        }
        "CreateTags" => j.raw_value(&format!(
            "{{\"requestId\":\"{}\",\"_return\":true}}",
            uuid(ctx.rng)
        )),
        "TerminateInstances" => {
            let instance = ctx.pick(&w.instances).to_string();
            j.raw_value(&format!(
                "{{\"requestId\":\"{}\",\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{instance}\",\"currentState\":{{\"code\":32,\"name\":\"shutting-down\"}},\"previousState\":{{\"code\":16,\"name\":\"running\"}}}}]}}}}",
                uuid(ctx.rng)
            ));
        }
        "RunInstances" => run_instances_response(j, ctx),
        "ConsoleLogin" => j.raw_value("{\"ConsoleLogin\":\"Success\"}"),
        "GetAuthorizationToken" => j.null(),
        _ => j.null(),
    }
}

pub(crate) fn run_instances_response(j: &mut Json, ctx: &mut Ctx<'_>) {
    let account = &ctx.world.account;
    let region = ctx.region;
    let ip = private_ip(ctx.rng);
    j.raw_value(&format!(
        "{{\"requestId\":\"{}\",\"reservationId\":\"r-{}\",\"ownerId\":\"{account}\",\"groupSet\":{{}},\"instancesSet\":{{\"items\":[{{\"instanceId\":\"i-{}\",\"imageId\":\"ami-{}\",\"currentInstanceBootMode\":\"legacy-bios\",\"instanceState\":{{\"code\":0,\"name\":\"pending\"}},\"privateDnsName\":\"ip-{}.{region}.compute.internal\",\"amiLaunchIndex\":0,\"productCodes\":{{}},\"instanceType\":\"t3.micro\",\"launchTime\":{},\"placement\":{{\"availabilityZone\":\"{region}a\",\"tenancy\":\"default\"}},\"monitoring\":{{\"state\":\"disabled\"}},\"subnetId\":\"subnet-{}\",\"vpcId\":\"{}\",\"privateIpAddress\":\"{ip}\",\"stateReason\":{{\"code\":\"pending\",\"message\":\"pending\"}},\"architecture\":\"x86_64\",\"rootDeviceType\":\"ebs\",\"rootDeviceName\":\"/dev/xvda\",\"blockDeviceMapping\":{{}},\"virtualizationType\":\"hvm\",\"hypervisor\":\"xen\",\"groupSet\":{{\"items\":[{{\"groupId\":\"sg-{}\",\"groupName\":\"default\"}}]}},\"networkInterfaceSet\":{{\"items\":[{{\"networkInterfaceId\":\"eni-{}\",\"status\":\"in-use\",\"privateIpAddress\":\"{ip}\",\"sourceDestCheck\":true,\"interfaceType\":\"interface\",\"macAddress\":\"0a:{}:{}:{}:{}:{}\"}}]}},\"ebsOptimized\":false,\"enaSupport\":true,\"cpuOptions\":{{\"coreCount\":1,\"threadsPerCore\":2}},\"capacityReservationSpecification\":{{\"capacityReservationPreference\":\"open\"}},\"metadataOptions\":{{\"state\":\"pending\",\"httpTokens\":\"required\",\"httpPutResponseHopLimit\":2,\"httpEndpoint\":\"enabled\"}},\"maintenanceOptions\":{{\"autoRecovery\":\"default\"}}}}]}}}}",
        uuid(ctx.rng),
        hex(ctx.rng, 17),
        hex(ctx.rng, 17),
        hex(ctx.rng, 17),
        ip.replace('.', "-"),
        ctx.at.timestamp_millis(),
        hex(ctx.rng, 17),
        ctx.pick(&ctx.world.vpcs),
        hex(ctx.rng, 17),
        hex(ctx.rng, 17),
        hex(ctx.rng, 2),
        hex(ctx.rng, 2),
        hex(ctx.rng, 2),
        hex(ctx.rng, 2),
        hex(ctx.rng, 2),
    ));
}

pub(crate) fn additional_data(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
    match api.service {
        "s3" => {
            j.key("additionalEventData");
            j.raw_value(&format!(
                "{{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"{}\",\"bytesTransferredOut\":{}}}",
                alnum(ctx.rng, 76),
                ctx.rng.u32(100..4000)
            ));
        }
        "signin" => {
            j.key("additionalEventData");
            j.raw_value("{\"LoginTo\":\"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAUsed\":\"Yes\"}");
        }
        _ => {}
    }
}

/// S3 request ids are 16 upper-case characters; other services use a UUID.
pub(crate) fn request_id(ctx: &mut Ctx<'_>, api: &Api) -> String {
    if api.service == "s3" {
        upper(ctx.rng, 16)
    } else {
        uuid(ctx.rng)
    }
}

pub(crate) fn resources(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
    let account = &ctx.world.account;
    let region = ctx.region;
    let (kind, arn) = match api.name {
        "Decrypt" | "GenerateDataKey" => {
            let key = ctx.pick(&ctx.world.kms_keys);
            (
                "AWS::KMS::Key",
                format!("arn:aws:kms:{region}:{account}:key/{key}"),
            )
        }
        "AssumeRole" => {
            let role = &ctx.world.roles[ctx.rng.usize(..ctx.world.roles.len())].name;
            (
                "AWS::IAM::Role",
                format!("arn:aws:iam::{account}:role/{role}"),
            )
        }
        "GetBucketAcl" | "GetBucketPolicy" | "GetBucketLocation" => {
            let bucket = ctx.pick(&ctx.world.buckets);
            ("AWS::S3::Bucket", format!("arn:aws:s3:::{bucket}"))
        }
        _ => return,
    };
    j.key("resources");
    j.raw_value(&format!(
        "[{{\"accountId\":\"{account}\",\"type\":\"{kind}\",\"ARN\":\"{arn}\"}}]"
    ));
}

pub(crate) fn tls(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
    let host = match api.service {
        "iam" | "signin" => format!("{}.amazonaws.com", api.service),
        "s3" => format!("s3.{}.amazonaws.com", ctx.region),
        other => format!("{other}.{}.amazonaws.com", ctx.region),
    };
    let (version, cipher) = if ctx.rng.u32(..10) < 8 {
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    } else {
        ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    };
    j.key("tlsDetails");
    j.open();
    j.str("tlsVersion", version);
    j.str("cipherSuite", cipher);
    j.str("clientProvidedHostHeader", &host);
    j.close();
}
