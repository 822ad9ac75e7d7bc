//! Writes a synthetic CloudTrail archive in the S3 delivery layout, for benchmarks and soak
//! runs: `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz`, one gzipped
//! `{"Records":[…]}` per region and five minutes, records out of time order as CloudTrail
//! writes them. The same seed writes the same bytes, whatever the number of threads.
//!
//! ```text
//! cargo run --release --example gen_archive -- --events 1000000 --out target/archive \
//!     --pivot-key AKIAPIVOT00000000001 --pivot-events 2000
//! ```

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use clap::Parser;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Write a synthetic CloudTrail archive in the S3 delivery layout")]
struct Args {
    /// Events in all, the planted ones included.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// The archive's root: `AWSLogs/` is written under it.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Days of activity, from --start.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// The first day, UTC.
    #[arg(long, default_value = "2025-03-01")]
    start: NaiveDate,
    /// Regions with activity (1 to 12); the first one, us-east-1, also gets the global
    /// services (IAM, console sign-in), as in a real trail.
    #[arg(long, default_value_t = 4)]
    regions: usize,
    #[arg(long, default_value = "111122223333")]
    account: String,
    /// An access key to plant: exactly --pivot-events events are made with it, at random
    /// times, for pivot benchmarks.
    #[arg(long, value_name = "KEY")]
    pivot_key: Option<String>,
    #[arg(long, default_value_t = 2000)]
    pivot_events: usize,
    /// Threads writing files; the output does not depend on it.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Replace an archive already under --out.
    #[arg(long)]
    force: bool,
}

const REGIONS: [&str; 12] = [
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "ap-southeast-2",
    "eu-central-1",
    "ap-northeast-1",
    "us-east-2",
    "ca-central-1",
    "sa-east-1",
    "eu-north-1",
    "ap-south-1",
    "us-west-1",
];

/// CloudTrail delivers a region's events about every five minutes.
const SLOT_MINUTES: i64 = 5;

fn main() -> Result<()> {
    let args = Args::parse();
    check(&args)?;
    let started = Instant::now();
    let world = World::new(&args);
    let plan = Plan::new(&args, &world);
    prepare_out(&args)?;
    let written = write_all(&args, &world, &plan)?;
    print_summary(&args, &plan, &written, started.elapsed().as_secs_f64());
    Ok(())
}

fn check(args: &Args) -> Result<()> {
    if !(1..=REGIONS.len()).contains(&args.regions) {
        bail!("--regions must be between 1 and {}", REGIONS.len());
    }
    if args.days == 0 {
        bail!("--days must be at least 1");
    }
    if args.account.len() != 12 || !args.account.bytes().all(|b| b.is_ascii_digit()) {
        bail!("--account must be 12 digits");
    }
    if let Some(key) = &args.pivot_key {
        let ok = key.len() == 20 && key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok || !(key.starts_with("AKIA") || key.starts_with("ASIA")) {
            bail!("--pivot-key must look like an access key: AKIA or ASIA and 16 more characters");
        }
        if args.pivot_events > args.events {
            bail!("--pivot-events cannot exceed --events");
        }
    }
    Ok(())
}

/// An archive left by an earlier run would mix with this one: refuse, or clear it on --force.
fn prepare_out(args: &Args) -> Result<()> {
    let logs = args.out.join("AWSLogs");
    if logs.exists() {
        if !args.force {
            bail!(
                "{} already holds an archive: remove it, or pass --force",
                args.out.display()
            );
        }
        std::fs::remove_dir_all(&logs).with_context(|| format!("removing {}", logs.display()))?;
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))
}

// ---------------------------------------------------------------------------------------
// The account: who acts in it, from where, with what, on which resources.
// ---------------------------------------------------------------------------------------

/// Who makes a call.
#[derive(Debug, Clone)]
enum Principal {
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
struct Actor {
    who: Principal,
    ips: Vec<String>,
    agent: Agent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Agent {
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
struct Role {
    name: String,
    id: String,
}

/// Everything events refer to, made once from the seed.
struct World {
    account: String,
    regions: Vec<&'static str>,
    start: DateTime<Utc>,
    roles: Vec<Role>,
    users: Vec<Actor>,
    sessions: Vec<Actor>,
    services: Vec<Actor>,
    pivot: Option<Actor>,
    buckets: Vec<String>,
    functions: Vec<String>,
    tables: Vec<String>,
    secrets: Vec<String>,
    parameters: Vec<String>,
    stacks: Vec<String>,
    kms_keys: Vec<String>,
    instances: Vec<String>,
    vpcs: Vec<String>,
}

const FIRST_NAMES: [&str; 40] = [
    "alice", "bob", "carol", "dana", "erik", "fatima", "george", "hana", "ivan", "julia", "kofi",
    "li", "maria", "nikhil", "olga", "pedro", "quinn", "rosa", "sven", "tariq", "uma", "victor",
    "wei", "ximena", "yusuf", "zoe", "amir", "beatriz", "chen", "diego", "elena", "farah", "goran",
    "helga", "ines", "jonas", "keiko", "lars", "mei", "nora",
];

const WORDS: [&str; 40] = [
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

const SERVICES: [&str; 12] = [
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
const PUBLIC_OCTETS: [u8; 14] = [3, 13, 18, 34, 35, 44, 52, 54, 81, 94, 176, 185, 198, 203];

impl World {
    fn new(args: &Args) -> World {
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

fn names(
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

fn roles(rng: &mut fastrand::Rng) -> Vec<Role> {
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

fn user_actor(rng: &mut fastrand::Rng, i: usize, ips: &[String]) -> Actor {
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

fn session_actor(rng: &mut fastrand::Rng, roles: &[Role], ips: &[String]) -> Actor {
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
fn pivot_actor(rng: &mut fastrand::Rng, key: &str, roles: &[Role]) -> Actor {
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

// ---------------------------------------------------------------------------------------
// What the archive holds: how many events each file gets.
// ---------------------------------------------------------------------------------------

/// One delivery: a region's five minutes.
#[derive(Debug, Clone, Copy, Default)]
struct FileCount {
    events: u32,
    pivot: u32,
}

struct Plan {
    slots: usize,
    /// Indexed by `region * slots + slot`.
    files: Vec<FileCount>,
}

impl Plan {
    /// Spreads the events over regions and time: most in the first region (it also gets
    /// the global services), more in working hours than at night, fewer at weekends.
    fn new(args: &Args, world: &World) -> Plan {
        let slots = (args.days as i64 * 24 * 60 / SLOT_MINUTES) as usize;
        let regions = world.regions.len();
        let mut files = vec![FileCount::default(); regions * slots];
        let mut rng = fastrand::Rng::with_seed(mix(args.seed, u64::MAX));
        let planted = if args.pivot_key.is_some() {
            args.pivot_events
        } else {
            0
        };
        for i in 0..args.events {
            let region = weighted_region(&mut rng, regions);
            let slot = busy_slot(&mut rng, slots, world.start);
            let file = &mut files[region * slots + slot];
            file.events += 1;
            if i < planted {
                file.pivot += 1;
            }
        }
        Plan { slots, files }
    }
}

fn weighted_region(rng: &mut fastrand::Rng, regions: usize) -> usize {
    // The first region twice as busy as each other one.
    let r = rng.usize(..regions + 1);
    r.saturating_sub(1)
}

/// A five-minute slot, drawn by rejection so that working hours weigh more.
fn busy_slot(rng: &mut fastrand::Rng, slots: usize, start: DateTime<Utc>) -> usize {
    loop {
        let slot = rng.usize(..slots);
        let at = start + Duration::minutes(slot as i64 * SLOT_MINUTES);
        let mut weight = if (7..19).contains(&at.hour()) { 4 } else { 1 };
        if at.weekday().number_from_monday() >= 6 {
            weight = weight.max(2) / 2;
        }
        if rng.u32(..4) < weight {
            return slot;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Writing the files.
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Written {
    files: AtomicUsize,
    events: AtomicUsize,
    pivot: AtomicUsize,
    json_bytes: AtomicU64,
    gz_bytes: AtomicU64,
}

/// Files are handed out by index; each is made from its own seeded generator, so the bytes
/// do not depend on which thread writes which file.
fn write_all(args: &Args, world: &World, plan: &Plan) -> Result<Written> {
    let written = Written::default();
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..args.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= plan.files.len() || failure.lock().expect("lock").is_some() {
                        return;
                    }
                    if let Err(e) = write_file(args, world, plan, index, &written) {
                        *failure.lock().expect("lock") = Some(e);
                    }
                }
            });
        }
    });
    match failure.into_inner().expect("lock") {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

fn write_file(
    args: &Args,
    world: &World,
    plan: &Plan,
    index: usize,
    written: &Written,
) -> Result<()> {
    let count = plan.files[index];
    // CloudTrail writes no file for five quiet minutes.
    if count.events == 0 {
        return Ok(());
    }
    let region = world.regions[index / plan.slots];
    let slot = index % plan.slots;
    let mut rng = fastrand::Rng::with_seed(mix(args.seed, index as u64));
    let from = world.start + Duration::minutes(slot as i64 * SLOT_MINUTES);
    let mut records: Vec<String> = (0..count.events)
        .map(|i| {
            let at = from + Duration::milliseconds(rng.i64(0..SLOT_MINUTES * 60_000));
            let mut ctx = Ctx {
                rng: &mut rng,
                world,
                region,
                at,
            };
            let actor = if i < count.pivot {
                world.pivot.as_ref().expect("a pivot key")
            } else {
                ctx.pick_actor()
            };
            event(&mut ctx, actor)
        })
        .collect();
    // Records in a delivered file are in no particular order.
    rng.shuffle(&mut records);
    let body = wrap(&records);
    let delivered = from + Duration::minutes(SLOT_MINUTES);
    let path = file_path(&args.out, &world.account, region, delivered, &mut rng);
    let gz = gzip(body.as_bytes())?;
    std::fs::create_dir_all(path.parent().expect("a directory"))?;
    std::fs::write(&path, &gz).with_context(|| format!("writing {}", path.display()))?;
    written.files.fetch_add(1, Ordering::Relaxed);
    written
        .events
        .fetch_add(count.events as usize, Ordering::Relaxed);
    written
        .pivot
        .fetch_add(count.pivot as usize, Ordering::Relaxed);
    written
        .json_bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    written
        .gz_bytes
        .fetch_add(gz.len() as u64, Ordering::Relaxed);
    Ok(())
}

fn wrap(records: &[String]) -> String {
    let len = records.iter().map(|r| r.len() + 1).sum::<usize>() + 16;
    let mut body = String::with_capacity(len);
    body.push_str("{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r);
    }
    body.push_str("]}");
    body
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    // GzEncoder's header has no file name and a zero time: the bytes depend on input only.
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 6), Compression::default());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDD>T<HHMM>Z_<random>.json.gz`
fn file_path(
    out: &Path,
    account: &str,
    region: &str,
    delivered: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> PathBuf {
    let day = delivered.format("%Y/%m/%d").to_string();
    let stamp = delivered.format("%Y%m%dT%H%MZ");
    let suffix = alnum(rng, 16);
    out.join("AWSLogs")
        .join(account)
        .join("CloudTrail")
        .join(region)
        .join(day)
        .join(format!(
            "{account}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"
        ))
}

fn print_summary(args: &Args, plan: &Plan, w: &Written, secs: f64) {
    let files = w.files.load(Ordering::Relaxed);
    let events = w.events.load(Ordering::Relaxed);
    let json = w.json_bytes.load(Ordering::Relaxed);
    let gz = w.gz_bytes.load(Ordering::Relaxed);
    println!("archive:      {}", args.out.display());
    println!(
        "files:        {files} ({} regions x {} five-minute slots, quiet ones skipped)",
        plan.files.len() / plan.slots,
        plan.slots
    );
    println!("events:       {events}");
    println!(
        "bytes:        {gz} gzipped, {json} as JSON ({:.0} bytes an event)",
        json as f64 / events.max(1) as f64
    );
    match &args.pivot_key {
        Some(key) => println!(
            "pivot key:    {key} ({} events)",
            w.pivot.load(Ordering::Relaxed)
        ),
        None => println!("pivot key:    none"),
    }
    println!("seed:         {}", args.seed);
    println!(
        "took:         {secs:.1} s on {} threads",
        args.threads.max(1)
    );
}

// ---------------------------------------------------------------------------------------
// One event.
// ---------------------------------------------------------------------------------------

struct Ctx<'a> {
    rng: &'a mut fastrand::Rng,
    world: &'a World,
    region: &'static str,
    at: DateTime<Utc>,
}

impl<'a> Ctx<'a> {
    /// A few principals do most of the calling, as in a real account: squaring a uniform
    /// draw skews it towards the front of each list.
    fn pick_actor(&mut self) -> &'a Actor {
        let w = self.world;
        let list = match self.rng.u32(..100) {
            0..15 => &w.services,
            15..45 => &w.users,
            _ => &w.sessions,
        };
        let u = self.rng.f64();
        &list[((u * u) * list.len() as f64) as usize]
    }

    fn pick<'s>(&mut self, items: &'s [String]) -> &'s str {
        &items[self.rng.usize(..items.len())]
    }
}

/// An API call: the service's short name (as in `<name>.amazonaws.com`) and the event name.
#[derive(Debug, Clone, Copy)]
struct Api {
    service: &'static str,
    name: &'static str,
    weight: u32,
}

const fn api(service: &'static str, name: &'static str, weight: u32) -> Api {
    Api {
        service,
        name,
        weight,
    }
}

/// What people, instances and pipelines call, weighted by how often.
const PEOPLE_APIS: [Api; 33] = [
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
const SERVICE_APIS: [Api; 6] = [
    api("sts", "AssumeRole", 50),
    api("kms", "Decrypt", 40),
    api("kms", "GenerateDataKey", 10),
    api("config", "PutEvaluations", 15),
    api("logs", "CreateLogStream", 10),
    api("ec2", "DescribeInstances", 10),
];

/// IAM and console sign-in are global: CloudTrail logs them in us-east-1.
fn is_global(api: &Api) -> bool {
    matches!(api.service, "iam" | "signin")
}

fn choose_api(ctx: &mut Ctx<'_>, actor: &Actor) -> Api {
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

fn is_read_only(name: &str) -> bool {
    const READS: [&str; 5] = ["Describe", "List", "Get", "Lookup", "Decrypt"];
    READS.iter().any(|p| name.starts_with(p)) || name == "AssumeRole" || name == "GenerateDataKey"
}

/// The JSON text of one event, fields in the order CloudTrail writes them.
fn event(ctx: &mut Ctx<'_>, actor: &Actor) -> String {
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

fn identity(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor) {
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
fn session_start(ctx: &mut Ctx<'_>) -> DateTime<Utc> {
    ctx.at - Duration::seconds(ctx.rng.i64(60..6 * 3600))
}

fn user_agent(actor: &Actor, api: &Api) -> String {
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
fn kebab(name: &str) -> String {
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
fn error_for(ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) -> Option<(String, String)> {
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
fn kebab_free(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v')
}

fn caller_arn(world: &World, actor: &Actor) -> String {
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

fn request(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) {
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
fn user_name(ctx: &mut Ctx<'_>, actor: &Actor) -> String {
    match &actor.who {
        Principal::User { name, .. } if ctx.rng.bool() => name.clone(),
        _ => match &ctx.world.users[ctx.rng.usize(..ctx.world.users.len())].who {
            Principal::User { name, .. } => name.clone(),
            _ => "unknown".to_string(),
        },
    }
}

fn response(j: &mut Json, ctx: &mut Ctx<'_>, actor: &Actor, api: &Api) {
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

fn run_instances_response(j: &mut Json, ctx: &mut Ctx<'_>) {
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

fn additional_data(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
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
fn request_id(ctx: &mut Ctx<'_>, api: &Api) -> String {
    if api.service == "s3" {
        upper(ctx.rng, 16)
    } else {
        uuid(ctx.rng)
    }
}

fn resources(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
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

fn tls(j: &mut Json, ctx: &mut Ctx<'_>, api: &Api) {
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

// ---------------------------------------------------------------------------------------
// Small pieces.
// ---------------------------------------------------------------------------------------

/// A compact JSON writer: a comma goes before every member but the first of its object.
struct Json(String);

impl Json {
    fn with_capacity(n: usize) -> Json {
        Json(String::with_capacity(n))
    }

    fn comma(&mut self) {
        if !matches!(self.0.as_bytes().last(), None | Some(b'{') | Some(b'[')) {
            self.0.push(',');
        }
    }

    fn key(&mut self, key: &str) {
        self.comma();
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    /// A value right after its key, or an element of an array.
    fn value_start(&mut self) {
        if !self.0.ends_with(':') {
            self.comma();
        }
    }

    fn open(&mut self) {
        self.value_start();
        self.0.push('{');
    }

    fn close(&mut self) {
        self.0.push('}');
    }

    fn open_array(&mut self) {
        self.value_start();
        self.0.push('[');
    }

    fn close_array(&mut self) {
        self.0.push(']');
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.push('"');
        for ch in value.chars() {
            match ch {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", c as u32);
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    /// A literal (number, boolean, or a JSON text made here) as a member.
    fn raw(&mut self, key: &str, literal: &str) {
        self.key(key);
        self.0.push_str(literal);
    }

    /// A JSON text made here, as the value of the key just written.
    fn raw_value(&mut self, literal: &str) {
        self.0.push_str(literal);
    }

    fn null(&mut self) {
        self.0.push_str("null");
    }

    fn finish(self) -> String {
        self.0
    }
}

/// `2025-03-01T13:33:28Z`
fn timestamp(t: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The date format of some services' responses: `Mar 1, 2025, 1:33:28 PM`.
fn aws_date(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// Mixes the seed with an index, so that neighbouring files get unrelated generators.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'t, T>(rng: &mut fastrand::Rng, items: &'t [T]) -> &'t T {
    &items[rng.usize(..items.len())]
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let v = rng.u128(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (v >> 96) as u32,
        (v >> 80) as u16,
        (v >> 68) as u16 & 0xfff,
        ((v >> 52) as u16 & 0x3fff) | 0x8000,
        v as u64 & 0xffff_ffff_ffff
    )
}

fn hex(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.u32(..16), 16).expect("a hex digit"))
        .collect()
}

/// Upper-case letters and digits, as in access key and principal ids.
fn upper(rng: &mut fastrand::Rng, n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..n)
        .map(|_| SET[rng.usize(..SET.len())] as char)
        .collect()
}

fn alnum(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n).map(|_| rng.alphanumeric()).collect()
}

fn public_ip(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        pick(rng, &PUBLIC_OCTETS),
        rng.u8(..),
        rng.u8(..),
        rng.u8(1..255)
    )
}

fn private_ip(rng: &mut fastrand::Rng) -> String {
    format!("10.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(1..255))
}
