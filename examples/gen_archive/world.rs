//! The account: who acts in it, from where, with what, on which resources.

use super::*;

/// Who makes a call.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    User {
        name: String,
        id: String,
        key: String,
    },
    Session {
        role: usize,
        session: String,
        key: String,
    },
    Service(&'static str),
}

/// A principal with its habits: where it calls from and with which tool.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) who: Principal,
    pub(crate) ips: Vec<String>,
    pub(crate) agent: Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agent {
    /// AWS CLI v2: the agent names the command.
    Cli,
    Boto3,
    GoSdk,
    Terraform,
    /// The AWS console in a browser.
    Console,
    /// The SSM agent on an instance.
    Ssm,
    JavaSdk,
    /// An AWS service: its name is both source address and agent.
    Service,
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) name: String,
    pub(crate) id: String,
}

/// Everything events refer to, made once from the seed.
pub(crate) struct World {
    pub(crate) account: String,
    pub(crate) regions: Vec<&'static str>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) roles: Vec<Role>,
    pub(crate) users: Vec<Actor>,
    pub(crate) sessions: Vec<Actor>,
    pub(crate) services: Vec<Actor>,
    pub(crate) pivot: Option<Actor>,
    pub(crate) buckets: Vec<String>,
    pub(crate) functions: Vec<String>,
    pub(crate) tables: Vec<String>,
    pub(crate) secrets: Vec<String>,
    pub(crate) parameters: Vec<String>,
    pub(crate) stacks: Vec<String>,
    pub(crate) kms_keys: Vec<String>,
    pub(crate) instances: Vec<String>,
    pub(crate) vpcs: Vec<String>,
}

pub(crate) const FIRST_NAMES: [&str; 40] = [
    "alice", "bob", "carol", "dana", "erik", "fatima", "george", "hana", "ivan", "julia", "kofi",
    "li", "maria", "nikhil", "olga", "pedro", "quinn", "rosa", "sven", "tariq", "uma", "victor",
    "wei", "ximena", "yusuf", "zoe", "amir", "beatriz", "chen", "diego", "elena", "farah", "goran",
    "helga", "ines", "jonas", "keiko", "lars", "mei", "nora",
];

pub(crate) const WORDS: [&str; 40] = [
    "billing",
    "payments",
    "search",
    "ingest",
    "reports",
    "gateway",
    "orders",
    "catalog",
    "auth",
    "profile",
    "media",
    "events",
    "metrics",
    "audit",
    "backup",
    "export",
    "etl",
    "ledger",
    "cart",
    "notify",
    "pricing",
    "inventory",
    "shipping",
    "fraud",
    "chat",
    "feeds",
    "ads",
    "graph",
    "docs",
    "builds",
    "cache",
    "queue",
    "uploads",
    "thumbs",
    "geo",
    "mail",
    "sync",
    "ml",
    "warehouse",
    "portal",
];

pub(crate) const SERVICES: [&str; 12] = [
    "config.amazonaws.com",
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "cloudformation.amazonaws.com",
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "ssm.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "backup.amazonaws.com",
];

/// First octets of addresses in large public (cloud and ISP) ranges.
pub(crate) const PUBLIC_OCTETS: [u8; 14] =
    [3, 13, 18, 34, 35, 44, 52, 54, 81, 94, 176, 185, 198, 203];

impl World {
    pub(crate) fn new(args: &Args) -> World {
        let mut rng = fastrand::Rng::with_seed(args.seed);
        let ips: Vec<String> = (0..400).map(|_| public_ip(&mut rng)).collect();
        let roles = roles(&mut rng);
        let users = (0..320).map(|i| user_actor(&mut rng, i, &ips)).collect();
        let sessions = (0..1500)
            .map(|_| session_actor(&mut rng, &roles, &ips))
            .collect();
        let services = SERVICES
            .iter()
            .map(|s| Actor {
                who: Principal::Service(s),
                ips: vec![s.to_string()],
                agent: Agent::Service,
            })
            .collect();
        let pivot = args
            .pivot_key
            .as_ref()
            .map(|key| pivot_actor(&mut rng, key, &roles));
        let start = args.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        World {
            account: args.account.clone(),
            regions: REGIONS[..args.regions].to_vec(),
            start,
            buckets: names(&mut rng, 40, |r, w| {
                let kind = pick(r, &["logs", "assets", "data", "backups", "artifacts"]);
                format!("{}-{w}-{kind}", args.account)
            }),
            functions: names(&mut rng, 30, |r, w| {
                format!(
                    "{w}-{}",
                    pick(r, &["handler", "worker", "api", "cron", "sync"])
                )
            }),
            tables: names(&mut rng, 20, |r, w| {
                format!("{w}-{}", pick(r, &["prod", "staging", "events", "state"]))
            }),
            secrets: names(&mut rng, 20, |r, w| {
                let name = format!("prod/{w}/{}", pick(r, &["db", "api-key", "oauth"]));
                format!(
                    "arn:aws:secretsmanager:us-east-1:{}:secret:{name}-{}",
                    args.account,
                    alnum(r, 6)
                )
            }),
            parameters: names(&mut rng, 30, |r, w| {
                format!(
                    "/{w}/prod/{}",
                    pick(r, &["db_host", "db_password", "feature_flags", "endpoint"])
                )
            }),
            stacks: names(&mut rng, 15, |r, w| {
                format!("{w}-{}", pick(r, &["stack", "infra", "pipeline"]))
            }),
            kms_keys: (0..12).map(|_| uuid(&mut rng)).collect(),
            instances: (0..200)
                .map(|_| format!("i-{}", hex(&mut rng, 17)))
                .collect(),
            vpcs: (0..6)
                .map(|_| format!("vpc-{}", hex(&mut rng, 17)))
                .collect(),
            roles,
            users,
            sessions,
            services,
            pivot,
        }
    }
}

pub(crate) fn names(
    rng: &mut fastrand::Rng,
    n: usize,
    make: impl Fn(&mut fastrand::Rng, &str) -> String,
) -> Vec<String> {
    (0..n)
        .map(|i| {
            let word = WORDS[i % WORDS.len()];
            make(rng, word)
        })
        .collect()
}

pub(crate) fn roles(rng: &mut fastrand::Rng) -> Vec<Role> {
    const KINDS: [&str; 10] = [
        "app",
        "ecs-task",
        "lambda",
        "ci-deploy",
        "eks-node",
        "etl",
        "readonly",
        "ops",
        "backup",
        "monitoring",
    ];
    let mut roles: Vec<Role> = (0..150)
        .map(|i| {
            let name = format!(
                "{}-{}-role",
                KINDS[i % KINDS.len()],
                WORDS[(i * 7) % WORDS.len()]
            );
            Role {
                name: if i >= WORDS.len() {
                    format!("{name}-{}", i / WORDS.len())
                } else {
                    name
                },
                id: format!("AROA{}", upper(rng, 17)),
            }
        })
        .collect();
    for set in ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"] {
        roles.push(Role {
            name: format!("AWSReservedSSO_{set}_{}", hex(rng, 16)),
            id: format!("AROA{}", upper(rng, 17)),
        });
    }
    roles
}

pub(crate) fn user_actor(rng: &mut fastrand::Rng, i: usize, ips: &[String]) -> Actor {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()];
    let name = match i / FIRST_NAMES.len() {
        0 => first.to_string(),
        1 => format!("svc-{}", WORDS[i % WORDS.len()]),
        n => format!("{first}.{}", (b'a' + ((n * 3 + i) % 26) as u8) as char),
    };
    let agent = *pick(
        rng,
        &[
            Agent::Cli,
            Agent::Cli,
            Agent::Boto3,
            Agent::Terraform,
            Agent::Console,
            Agent::GoSdk,
        ],
    );
    Actor {
        who: Principal::User {
            name,
            id: format!("AIDA{}", upper(rng, 17)),
            key: format!("AKIA{}", upper(rng, 16)),
        },
        ips: (0..rng.usize(1..=3))
            .map(|_| pick(rng, ips).clone())
            .collect(),
        agent,
    }
}

pub(crate) fn session_actor(rng: &mut fastrand::Rng, roles: &[Role], ips: &[String]) -> Actor {
    let role = rng.usize(..roles.len());
    let name = &roles[role].name;
    let (session, agent) = if name.starts_with("AWSReservedSSO") {
        let who = pick(rng, &FIRST_NAMES);
        (
            format!("{who}@example.com"),
            *pick(rng, &[Agent::Console, Agent::Cli]),
        )
    } else if name.starts_with("eks-node") || name.starts_with("app") {
        (
            format!("i-{}", hex(rng, 17)),
            *pick(rng, &[Agent::Ssm, Agent::Boto3, Agent::JavaSdk]),
        )
    } else if name.starts_with("ci-deploy") {
        ("GitHubActions".to_string(), Agent::Terraform)
    } else if name.starts_with("lambda") || name.starts_with("ecs-task") {
        (
            format!("botocore-session-{}", 1_700_000_000 + rng.u32(..50_000_000)),
            Agent::Boto3,
        )
    } else {
        (
            format!(
                "aws-go-sdk-{}",
                1_740_000_000_000_000_000u64 + rng.u64(..10_000_000_000_000_000)
            ),
            Agent::GoSdk,
        )
    };
    Actor {
        who: Principal::Session {
            role,
            session,
            key: format!("ASIA{}", upper(rng, 16)),
        },
        ips: vec![pick(rng, ips).clone()],
        agent,
    }
}

/// The planted key's owner: an IAM user (AKIA) or a role session (ASIA), calling from a few
/// addresses no one else uses.
pub(crate) fn pivot_actor(rng: &mut fastrand::Rng, key: &str, roles: &[Role]) -> Actor {
    let who = if key.starts_with("ASIA") {
        Principal::Session {
            role: roles.len() - 1,
            session: "temp-admin".to_string(),
            key: key.to_string(),
        }
    } else {
        Principal::User {
            name: "jenkins-legacy".to_string(),
            id: format!("AIDA{}", upper(rng, 17)),
            key: key.to_string(),
        }
    };
    Actor {
        who,
        ips: vec![
            "185.220.101.47".to_string(),
            "45.142.212.61".to_string(),
            "193.142.146.35".to_string(),
        ],
        agent: Agent::Boto3,
    }
}
