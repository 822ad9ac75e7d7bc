//! warroom's template rules. A rule that answers to an AWS Config managed rule carries that
//! rule's identifier, so a template checked before deploy and a resource flagged after it
//! are told about under one name; it also names the cfn_nag rules it matches (as cfn_nag's
//! own rule files and the Guard registry's suppressions name them), so cfn_nag's
//! suppressions keep working, and the names AWS's Guard rules registry gives it.

use serde_json::Value;

/// How bad a violation is: a warning informs, a failure should stop the pipeline.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Failure,
}

pub struct Rule {
    /// The AWS Config managed rule's identifier, where there is one.
    pub id: &'static str,
    /// The AWS Config rule's name (`dynamodb-table-encryption-enabled`).
    pub config_rule: Option<&'static str>,
    pub cfn_nag: &'static [&'static str],
    /// Other names for the same check (AWS Guard rules registry).
    pub also: &'static [&'static str],
    pub level: Level,
    pub types: &'static [&'static str],
    /// Whether a resource of those types is one the rule is about (an old engine version
    /// that cannot do what the rule asks is not).
    pub applies: fn(&Value) -> bool,
    pub title: &'static str,
    pub check: Check,
    /// The fix, as the template's YAML.
    pub fix: &'static str,
}

/// How a rule judges a resource's `Properties`.
pub enum Check {
    /// warroom's own rules, in Rust: what is wrong, if anything.
    Code(fn(&Value) -> Option<String>),
    /// A team's rules, written as data (`--rules DIR`).
    Data(super::custom::Tests),
}

impl Rule {
    /// Whether the rule is about a resource of one of its types with these `Properties`.
    pub fn is_about(&self, props: &Value) -> bool {
        (self.applies)(props)
            && match &self.check {
                Check::Code(_) => true,
                Check::Data(tests) => tests.is_about(props),
            }
    }

    /// What is wrong with a resource's `Properties`, if anything.
    pub fn judge(&self, props: &Value) -> Option<String> {
        match &self.check {
            Check::Code(check) => check(props),
            Check::Data(tests) => tests.judge(props),
        }
    }

    /// Whether `name` (a suppression's, a Config finding's) means this rule.
    pub fn answers_to(&self, name: &str) -> bool {
        let n = name.trim();
        n.eq_ignore_ascii_case(self.id)
            || self.also.iter().any(|a| a.eq_ignore_ascii_case(n))
            || self.cfn_nag.iter().any(|c| c.eq_ignore_ascii_case(n))
            || self.config_rule.is_some_and(|c| c.eq_ignore_ascii_case(n))
    }
}

pub(super) fn always(_: &Value) -> bool {
    true
}

/// A property by dotted path (`SSESpecification.SSEEnabled`).
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// True as CloudFormation takes it: `true` or `"true"`.
pub(super) fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn must_be_true(props: &Value, path: &str) -> Option<String> {
    (!truthy(at(props, path))).then(|| format!("{path} is not true"))
}

fn must_exist(props: &Value, path: &str) -> Option<String> {
    at(props, path)
        .filter(|v| !v.is_null())
        .is_none()
        .then(|| format!("{path} is not set"))
}

pub(super) fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    let items: Vec<&Value> = match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    };
    items.into_iter()
}

/// The statements of a policy document that allow.
fn allows(doc: Option<&Value>) -> impl Iterator<Item = &Value> {
    list(doc.and_then(|d| d.get("Statement"))).filter(|s| s["Effect"] == "Allow")
}

fn has_star(v: Option<&Value>) -> bool {
    list(v).any(|a| a.as_str().is_some_and(|s| s == "*"))
}

/// The policy documents of an IAM resource: a policy's, a managed policy's, every inline
/// policy of a role, user or group.
fn documents(props: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = at(props, "PolicyDocument").into_iter().collect();
    out.extend(list(props.get("Policies")).filter_map(|p| p.get("PolicyDocument")));
    out
}

/// A bucket is public if its ACL says so, or if nothing blocks a public ACL or policy.
fn s3_public_acl(props: &Value, acls: &[&str]) -> Option<String> {
    if let Some(a) = props
        .get("AccessControl")
        .and_then(Value::as_str)
        .filter(|a| acls.contains(a))
    {
        return Some(format!("AccessControl is {a}"));
    }
    [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ]
    .iter()
    .find(|k| !truthy(at(props, &format!("PublicAccessBlockConfiguration.{k}"))))
    .map(|k| {
        format!("PublicAccessBlockConfiguration.{k} is not true: nothing stops a public grant")
    })
}

/// Redis before 3.2.6 cannot encrypt in transit: the rule is not about it.
fn supports_transit_encryption(props: &Value) -> bool {
    let version = props.get("EngineVersion").and_then(Value::as_str);
    let old = version.is_some_and(|v| {
        let parts: Vec<u32> = v.split('.').filter_map(|n| n.parse().ok()).collect();
        parts < vec![3, 2, 6]
    });
    !old
}

/// Ingress from anywhere (0.0.0.0/0 or ::/0); with `port`, only ingress that includes it.
fn open_ingress(props: &Value, port: Option<i64>) -> Option<String> {
    // A group's own rules, or a standalone ingress rule.
    let rules: Vec<&Value> = match props.get("SecurityGroupIngress") {
        Some(r) => list(Some(r)).collect(),
        None if props.get("CidrIp").is_some() || props.get("CidrIpv6").is_some() => vec![props],
        None => vec![],
    };
    let number = |v: &Value| v.as_i64().or_else(|| v.as_str()?.parse().ok());
    rules.iter().find_map(|r| {
        let world = r["CidrIp"] == "0.0.0.0/0" || r["CidrIpv6"] == "::/0";
        let all_ports = r["IpProtocol"] == "-1" || r["IpProtocol"] == -1;
        let covers = port.is_none_or(|p| {
            all_ports
                || match (number(&r["FromPort"]), number(&r["ToPort"])) {
                    (Some(from), Some(to)) => from <= p && p <= to,
                    _ => false,
                }
        });
        (world && covers).then(|| {
            format!(
                "ingress from {} on {}",
                r["CidrIp"]
                    .as_str()
                    .or(r["CidrIpv6"].as_str())
                    .unwrap_or("?"),
                match (&r["FromPort"], &r["ToPort"]) {
                    (Value::Null, _) => "every port".to_string(),
                    (f, t) if f == t => format!("port {f}"),
                    (f, t) => format!("ports {f}-{t}"),
                }
            )
        })
    })
}

fn block_devices_encrypted(devices: Option<&Value>) -> Option<String> {
    list(devices).find_map(|d| {
        let ebs = d.get("Ebs")?;
        (!truthy(ebs.get("Encrypted"))).then(|| {
            format!(
                "block device {} is not encrypted",
                d["DeviceName"].as_str().unwrap_or("?")
            )
        })
    })
}

/// The IAM resources that hold policy documents.
const IAM_POLICY_HOLDERS: &[&str] = &[
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
];

pub static RULES: &[Rule] = &[
    Rule {
        id: "DYNAMODB_TABLE_ENCRYPTION_ENABLED",
        config_rule: Some("dynamodb-table-encryption-enabled"),
        cfn_nag: &["W74"],
        also: &["DYNAMODB_TABLE_MUST_BE_ENCRYPTED"],
        level: Level::Failure,
        applies: always,
        types: &["AWS::DynamoDB::Table"],
        title: "DynamoDB table encrypted at rest",
        check: Check::Code(|p| must_be_true(p, "SSESpecification.SSEEnabled")),
        fix: "SSESpecification:\n  SSEEnabled: true\n  SSEType: KMS\n",
    },
    Rule {
        id: "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
        config_rule: Some("s3-bucket-server-side-encryption-enabled"),
        cfn_nag: &["W41"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::S3::Bucket"],
        title: "S3 bucket encrypted at rest",
        check: Check::Code(|p| {
            let configured = list(at(p, "BucketEncryption.ServerSideEncryptionConfiguration"))
                .any(|c| at(c, "ServerSideEncryptionByDefault.SSEAlgorithm").is_some());
            (!configured).then(|| "BucketEncryption has no default encryption".into())
        }),
        fix: "BucketEncryption:\n  ServerSideEncryptionConfiguration:\n    - ServerSideEncryptionByDefault:\n        SSEAlgorithm: aws:kms\n",
    },
    Rule {
        id: "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
        config_rule: Some("s3-bucket-level-public-access-prohibited"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::S3::Bucket"],
        title: "S3 bucket blocks public access",
        check: Check::Code(|p| {
            [
                "BlockPublicAcls",
                "BlockPublicPolicy",
                "IgnorePublicAcls",
                "RestrictPublicBuckets",
            ]
            .iter()
            .find(|k| !truthy(at(p, &format!("PublicAccessBlockConfiguration.{k}"))))
            .map(|k| format!("PublicAccessBlockConfiguration.{k} is not true"))
        }),
        fix: "PublicAccessBlockConfiguration:\n  BlockPublicAcls: true\n  BlockPublicPolicy: true\n  IgnorePublicAcls: true\n  RestrictPublicBuckets: true\n",
    },
    Rule {
        id: "S3_BUCKET_PUBLIC_READ_PROHIBITED",
        config_rule: Some("s3-bucket-public-read-prohibited"),
        cfn_nag: &["W31"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::S3::Bucket"],
        title: "S3 bucket not readable by everyone",
        check: Check::Code(|p| s3_public_acl(p, &["PublicRead", "PublicReadWrite"])),
        fix: "AccessControl: Private\n",
    },
    Rule {
        id: "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
        config_rule: Some("s3-bucket-public-write-prohibited"),
        cfn_nag: &["F14"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::S3::Bucket"],
        title: "S3 bucket not writable by everyone",
        check: Check::Code(|p| s3_public_acl(p, &["PublicReadWrite"])),
        fix: "AccessControl: Private\n",
    },
    Rule {
        id: "S3_BUCKET_SSL_REQUESTS_ONLY",
        config_rule: Some("s3-bucket-ssl-requests-only"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::S3::BucketPolicy"],
        title: "S3 bucket policy refuses requests without TLS",
        check: Check::Code(|p| {
            let insecure = |s: &Value| match at(s, "Condition.Bool.aws:SecureTransport") {
                Some(Value::Bool(b)) => !b,
                Some(Value::String(v)) => v.eq_ignore_ascii_case("false"),
                _ => false,
            };
            let denies = list(at(p, "PolicyDocument.Statement"))
                .any(|s| s["Effect"] == "Deny" && insecure(s));
            (!denies).then(|| "no Deny statement for aws:SecureTransport false".into())
        }),
        fix: "PolicyDocument:\n  Statement:\n    - Effect: Deny\n      Principal: '*'\n      Action: 's3:*'\n      Resource: [!GetAtt Bucket.Arn, !Sub '${Bucket.Arn}/*']\n      Condition:\n        Bool:\n          aws:SecureTransport: false\n",
    },
    Rule {
        id: "ENCRYPTED_VOLUMES",
        config_rule: Some("encrypted-volumes"),
        cfn_nag: &["F1"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::EC2::Volume"],
        title: "EBS volume encrypted",
        // A volume given a KMS key is encrypted with it.
        check: Check::Code(|p| {
            if at(p, "KmsKeyId").is_some_and(|k| !k.is_null() && k != "") {
                return None;
            }
            must_be_true(p, "Encrypted")
        }),
        fix: "Encrypted: true\n",
    },
    Rule {
        id: "EC2_INSTANCE_EBS_ENCRYPTED",
        config_rule: None,
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::EC2::Instance"],
        title: "EBS volumes of an instance encrypted",
        check: Check::Code(|p| block_devices_encrypted(p.get("BlockDeviceMappings"))),
        fix: "BlockDeviceMappings:\n  - DeviceName: /dev/xvda\n    Ebs:\n      Encrypted: true\n",
    },
    Rule {
        id: "EC2_LAUNCH_TEMPLATE_EBS_ENCRYPTED",
        config_rule: None,
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::EC2::LaunchTemplate"],
        title: "EBS volumes of a launch template encrypted",
        check: Check::Code(|p| {
            block_devices_encrypted(at(p, "LaunchTemplateData.BlockDeviceMappings"))
        }),
        fix: "LaunchTemplateData:\n  BlockDeviceMappings:\n    - DeviceName: /dev/xvda\n      Ebs:\n        Encrypted: true\n",
    },
    Rule {
        id: "RDS_STORAGE_ENCRYPTED",
        config_rule: Some("rds-storage-encrypted"),
        cfn_nag: &["F26", "F27"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        title: "RDS instance storage encrypted",
        check: Check::Code(|p| {
            // An Aurora instance's storage is its cluster's, checked on the cluster.
            if p.get("DBClusterIdentifier").is_some() {
                return None;
            }
            must_be_true(p, "StorageEncrypted")
        }),
        fix: "StorageEncrypted: true\n",
    },
    Rule {
        id: "NEPTUNE_CLUSTER_ENCRYPTED",
        config_rule: Some("neptune-cluster-encrypted"),
        cfn_nag: &["F30"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &[
            "AWS::RDS::DBCluster",
            "AWS::Neptune::DBCluster",
            "AWS::DocDB::DBCluster",
        ],
        title: "RDS, Neptune or DocumentDB cluster storage encrypted",
        check: Check::Code(|p| must_be_true(p, "StorageEncrypted")),
        fix: "StorageEncrypted: true\n",
    },
    Rule {
        id: "DOCDB_CLUSTER_ENCRYPTED",
        config_rule: Some("docdb-cluster-encrypted"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::DocDB::DBCluster"],
        title: "DocumentDB cluster storage encrypted",
        check: Check::Code(|p| must_be_true(p, "StorageEncrypted")),
        fix: "StorageEncrypted: true\n",
    },
    Rule {
        id: "EFS_ENCRYPTED_CHECK",
        config_rule: Some("efs-encrypted-check"),
        cfn_nag: &["F32"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::EFS::FileSystem"],
        title: "EFS file system encrypted",
        check: Check::Code(|p| must_be_true(p, "Encrypted")),
        fix: "Encrypted: true\n",
    },
    Rule {
        id: "SNS_ENCRYPTED_KMS",
        config_rule: Some("sns-encrypted-kms"),
        cfn_nag: &["W47"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::SNS::Topic"],
        title: "SNS topic encrypted with KMS",
        check: Check::Code(|p| must_exist(p, "KmsMasterKeyId")),
        fix: "KmsMasterKeyId: alias/aws/sns\n",
    },
    Rule {
        id: "SQS_QUEUE_KMS_MASTER_KEY_ID_RULE",
        config_rule: None,
        cfn_nag: &["W48"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::SQS::Queue"],
        title: "SQS queue encrypted with KMS",
        check: Check::Code(|p| {
            if truthy(p.get("SqsManagedSseEnabled")) {
                return None;
            }
            must_exist(p, "KmsMasterKeyId")
        }),
        fix: "KmsMasterKeyId: alias/aws/sqs\n",
    },
    Rule {
        id: "KINESIS_STREAM_ENCRYPTION_RULE",
        config_rule: None,
        cfn_nag: &["W49"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::Kinesis::Stream"],
        title: "Kinesis stream encrypted",
        check: Check::Code(|p| {
            if at(p, "StreamEncryption.EncryptionType").and_then(Value::as_str) != Some("KMS") {
                return Some("StreamEncryption.EncryptionType is not KMS".into());
            }
            must_exist(p, "StreamEncryption.KeyId")
        }),
        fix: "StreamEncryption:\n  EncryptionType: KMS\n  KeyId: alias/aws/kinesis\n",
    },
    Rule {
        id: "OPENSEARCH_ENCRYPTED_AT_REST",
        config_rule: Some("opensearch-encrypted-at-rest"),
        cfn_nag: &["W54"],
        also: &["ELASTICSEARCH_ENCRYPTED_AT_REST"],
        level: Level::Failure,
        applies: always,
        types: &[
            "AWS::OpenSearchService::Domain",
            "AWS::Elasticsearch::Domain",
        ],
        title: "OpenSearch (or Elasticsearch) domain encrypted at rest",
        check: Check::Code(|p| must_be_true(p, "EncryptionAtRestOptions.Enabled")),
        fix: "EncryptionAtRestOptions:\n  Enabled: true\n",
    },
    Rule {
        id: "OPENSEARCH_NODE_TO_NODE_ENCRYPTION_CHECK",
        config_rule: Some("opensearch-node-to-node-encryption-check"),
        cfn_nag: &["W85"],
        also: &["ELASTICSEARCH_NODE_TO_NODE_ENCRYPTION_CHECK"],
        level: Level::Failure,
        applies: always,
        types: &[
            "AWS::OpenSearchService::Domain",
            "AWS::Elasticsearch::Domain",
        ],
        title: "OpenSearch (or Elasticsearch) nodes talk encrypted",
        check: Check::Code(|p| must_be_true(p, "NodeToNodeEncryptionOptions.Enabled")),
        fix: "NodeToNodeEncryptionOptions:\n  Enabled: true\n",
    },
    Rule {
        id: "ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_AT_REST",
        config_rule: None,
        cfn_nag: &["F25"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::ElastiCache::ReplicationGroup"],
        title: "ElastiCache replication group encrypted at rest",
        check: Check::Code(|p| must_be_true(p, "AtRestEncryptionEnabled")),
        fix: "AtRestEncryptionEnabled: true\n",
    },
    Rule {
        id: "ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_IN_TRANSIT",
        config_rule: None,
        cfn_nag: &["F33"],
        also: &[],
        level: Level::Failure,
        applies: supports_transit_encryption,
        types: &["AWS::ElastiCache::ReplicationGroup"],
        title: "ElastiCache replication group encrypted in transit",
        check: Check::Code(|p| must_be_true(p, "TransitEncryptionEnabled")),
        fix: "TransitEncryptionEnabled: true\n",
    },
    Rule {
        id: "REDSHIFT_CLUSTER_CONFIGURATION_CHECK",
        config_rule: Some("redshift-cluster-configuration-check"),
        cfn_nag: &["F28"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::Redshift::Cluster"],
        title: "Redshift cluster encrypted",
        check: Check::Code(|p| must_be_true(p, "Encrypted")),
        fix: "Encrypted: true\n",
    },
    Rule {
        id: "CLOUD_TRAIL_ENCRYPTION_ENABLED",
        config_rule: Some("cloud-trail-encryption-enabled"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::CloudTrail::Trail"],
        title: "CloudTrail logs encrypted with KMS",
        check: Check::Code(|p| must_exist(p, "KMSKeyId")),
        fix: "KMSKeyId: !Ref TrailKey\n",
    },
    Rule {
        id: "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        config_rule: Some("cloud-trail-log-file-validation-enabled"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::CloudTrail::Trail"],
        title: "CloudTrail log file validation on",
        check: Check::Code(|p| must_be_true(p, "EnableLogFileValidation")),
        fix: "EnableLogFileValidation: true\n",
    },
    Rule {
        id: "LAMBDA_ENVIRONMENT_ENCRYPTED",
        config_rule: None,
        cfn_nag: &[],
        also: &[],
        level: Level::Warning,
        applies: always,
        types: &["AWS::Lambda::Function", "AWS::Serverless::Function"],
        title: "Lambda environment variables encrypted with a customer key",
        check: Check::Code(|p| {
            let has_env = at(p, "Environment.Variables").is_some_and(|v| !v.is_null());
            (has_env && p.get("KmsKeyArn").is_none())
                .then(|| "Environment.Variables without KmsKeyArn".into())
        }),
        fix: "KmsKeyArn: !GetAtt FunctionKey.Arn\n",
    },
    Rule {
        id: "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
        config_rule: Some("iam-policy-no-statements-with-admin-access"),
        cfn_nag: &["F3", "F4", "F5"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: IAM_POLICY_HOLDERS,
        title: "IAM policy does not allow every action on every resource",
        check: Check::Code(|p| {
            documents(p)
                .into_iter()
                .flat_map(|d| allows(Some(d)))
                .find(|s| has_star(s.get("Action")) && has_star(s.get("Resource")))
                .map(|_| "a statement allows Action * on Resource *".into())
        }),
        fix: "PolicyDocument:\n  Statement:\n    - Effect: Allow\n      Action: [dynamodb:GetItem, dynamodb:PutItem]   # only what is needed\n      Resource: !GetAtt Table.Arn\n",
    },
    Rule {
        id: "IAM_ROLE_OR_POLICY_NO_ALLOW_PLUS_NOT_ACTION",
        config_rule: None,
        cfn_nag: &["W15", "W16", "W17"],
        also: &[],
        level: Level::Warning,
        applies: always,
        types: IAM_POLICY_HOLDERS,
        title: "IAM policy does not allow with NotAction",
        check: Check::Code(|p| {
            documents(p)
                .into_iter()
                .flat_map(|d| allows(Some(d)))
                .find(|s| s.get("NotAction").is_some())
                .map(|_| "a statement allows NotAction: everything but a list".into())
        }),
        fix: "PolicyDocument:\n  Statement:\n    - Effect: Allow\n      Action: [s3:GetObject]   # name what is allowed\n",
    },
    Rule {
        id: "IAM_ROLE_NO_FULL_ACCESS_ON_TRUST_POLICY",
        config_rule: None,
        cfn_nag: &["F2"],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::IAM::Role"],
        title: "IAM role trusts only named principals",
        check: Check::Code(|p| {
            allows(p.get("AssumeRolePolicyDocument"))
                .find(|s| {
                    s["Principal"] == "*"
                        || has_star(at(s, "Principal.AWS"))
                        || has_star(s.get("Action"))
                })
                .map(|_| "the trust policy allows any principal, or any action".into())
        }),
        fix: "AssumeRolePolicyDocument:\n  Statement:\n    - Effect: Allow\n      Principal:\n        Service: lambda.amazonaws.com\n      Action: sts:AssumeRole\n",
    },
    Rule {
        id: "INCOMING_SSH_DISABLED",
        config_rule: Some("restricted-ssh"),
        cfn_nag: &[],
        also: &[],
        level: Level::Failure,
        applies: always,
        types: &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        title: "SSH not open to the whole internet",
        check: Check::Code(|p| open_ingress(p, Some(22))),
        fix: "SecurityGroupIngress:\n  - IpProtocol: tcp\n    FromPort: 22\n    ToPort: 22\n    CidrIp: 10.0.0.0/16   # a bastion or VPN range, not 0.0.0.0/0\n",
    },
    Rule {
        id: "EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE",
        config_rule: None,
        cfn_nag: &["W2"],
        also: &[],
        level: Level::Warning,
        applies: always,
        types: &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"],
        title: "Security group not open to the whole internet",
        check: Check::Code(|p| open_ingress(p, None)),
        fix: "SecurityGroupIngress:\n  - IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n    CidrIp: 10.0.0.0/16   # the callers, not 0.0.0.0/0\n",
    },
];

/// The warroom rule that `name` means (an ID, another name for it, a Config rule, a cfn_nag
/// ID).
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.answers_to(name))
}

/// The rules in force: warroom's own, and a team's (`--rules DIR`, `[iac] rules`).
#[derive(Clone)]
pub struct RuleBook {
    rules: Vec<&'static Rule>,
}

impl Default for RuleBook {
    fn default() -> Self {
        RuleBook {
            rules: RULES.iter().collect(),
        }
    }
}

impl std::fmt::Debug for RuleBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.rules.iter().map(|r| r.id))
            .finish()
    }
}

impl PartialEq for RuleBook {
    fn eq(&self, other: &Self) -> bool {
        self.rules.len() == other.rules.len()
            && self
                .rules
                .iter()
                .zip(&other.rules)
                .all(|(a, b)| std::ptr::eq(*a, *b))
    }
}

impl RuleBook {
    /// warroom's rules and those in `dirs`. A team rule whose name another rule answers
    /// to is refused (a suppression or a finding must mean one rule); what cannot be read
    /// is returned beside, the rest loaded.
    pub fn load(dirs: &[std::path::PathBuf]) -> (RuleBook, Vec<super::template::TemplateError>) {
        let mut book = RuleBook::default();
        let (team, mut problems) = super::custom::load(dirs);
        for rule in team {
            let names = std::iter::once(rule.id)
                .chain(rule.config_rule)
                .chain(rule.cfn_nag.iter().copied());
            let taken: Vec<&str> = names.filter(|n| book.find(n).is_some()).collect();
            if taken.is_empty() {
                book.rules.push(Box::leak(Box::new(rule)));
            } else {
                problems.push(super::template::TemplateError {
                    path: "--rules".into(),
                    line: 0,
                    reason: format!(
                        "rule {}: {} already names another rule",
                        rule.id,
                        taken.join(", ")
                    ),
                });
            }
        }
        (book, problems)
    }

    /// The rule that `name` means, warroom's first.
    pub fn find(&self, name: &str) -> Option<&'static Rule> {
        self.rules.iter().copied().find(|r| r.answers_to(name))
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied()
    }
}
