//! The command line: `warroom <subcommand>`, with global options shared by all.

use clap::{Args, Parser};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "warroom",
    version,
    about = "A terminal console for AWS incident response",
    long_about = "A terminal console for AWS incident response: alerts, AWS Config findings, \
                  CloudTrail activity and IAM keys in one place; containment behind a \
                  confirmation; every step in a hash-chained incident journal.\n\n\
                  Try it without an AWS account: warroom demo"
)]
pub struct Cli {
    /// The incident journal (SQLite). Default: a new file under the data directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// The configuration file. Default: ~/.config/warroom/config.toml if it exists.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Refuse every action that would change AWS (they are still journaled as refused).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Show the exact API calls an action would make, without making them.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Colour theme: dark, light, high-contrast, or a theme file. NO_COLOR is honoured.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
    /// Keymap: default, emacs, or a keymap file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub keymap: Option<String>,
    /// The Slack Web API's base URL (a proxy, or a stand-in for tests). Also SLACK_API_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub slack_api_url: Option<String>,
    /// An infrastructure repository (CloudFormation templates): a finding's detail shows its
    /// template, line and the fix as a patch. Repeatable; adds to `[iac] repos`.
    #[arg(long = "iac-repo", global = true, value_name = "DIR")]
    pub iac_repos: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Subcommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Open the console on the embedded demo incident: no AWS account, no Slack needed.
    Demo(DemoArgs),
    /// Open the console on a real AWS account (the standard credential chain).
    Live(LiveArgs),
    /// Reopen a recorded incident journal (read-only).
    Replay(ReplayArgs),
    /// Run the Slack bridge: /warroom slash commands and buttons, on an incident's journal.
    Serve(ServeArgs),
    /// Search CloudTrail events headlessly and print JSON lines, CSV or a table.
    Query(QueryArgs),
    /// Run every detection headlessly over a journal, file, directory or s3:// prefix and
    /// print the alerts.
    Detect(DetectArgs),
    /// Write the postmortem of an incident (Markdown, JSON or CSV).
    Export(ExportArgs),
    /// Check a journal's hash chain; name the first record edited, removed or reordered.
    Verify(VerifyArgs),
    /// Infrastructure as code: check CloudFormation templates before they are deployed.
    #[command(subcommand)]
    Iac(IacCommand),
    /// Athena over the organization's CloudTrail: the table to search it at any scale.
    #[command(subcommand)]
    Athena(AthenaCommand),
    /// The EC2 on-demand rates behind every spend estimate: list them, with where and when
    /// they are from, or import current, regional ones from AWS's Price List.
    Prices(PricesArgs),
    /// Print the shell's completion script (e.g. `warroom completions bash >
    /// ~/.local/share/bash-completion/completions/warroom`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `warroom man > ~/.local/share/man/man1/warroom.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct PricesArgs {
    #[command(subcommand)]
    pub command: Option<PricesCommand>,
    /// Only the rates of this instance type (e.g. p5.48xlarge).
    #[arg(long = "type", value_name = "INSTANCE_TYPE")]
    pub instance_type: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum PricesCommand {
    /// Read AWS Price List files and price launches with their rates from now on: a
    /// region's offer file
    /// (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/REGION/index.json)
    /// or the output of `aws pricing get-products --service-code AmazonEC2`. The regions a
    /// file covers replace those regions' rates; the others are kept.
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AthenaCommand {
    /// Create (or with --print, show) the CloudTrail table over the trail's bucket, with
    /// partition projection by account, region and day.
    Setup(AthenaSetupArgs),
}

#[derive(Debug, Args)]
pub struct AthenaSetupArgs {
    /// The bucket the (organization) trail delivers to.
    #[arg(long)]
    pub bucket: String,
    /// The trail's S3 key prefix, if it has one (what comes before `AWSLogs/`).
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// The organization's ID (`o-…`) for an organization trail. Without --account, its
    /// accounts are listed with organizations:ListAccounts.
    #[arg(long, value_name = "o-…")]
    pub org: Option<String>,
    /// The accounts to project (repeatable). Default: the organization's, or the caller's.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// The regions to project, comma-separated. Default: the 17 enabled in every account.
    #[arg(long, value_name = "REGION,…", value_delimiter = ',')]
    pub regions: Vec<String>,
    #[arg(long, default_value = "warroom")]
    pub database: String,
    #[arg(long, default_value = "cloudtrail")]
    pub table: String,
    /// The first day the table reaches back to.
    #[arg(long, value_name = "DATE", default_value = "2020-01-01")]
    pub since: chrono::NaiveDate,
    /// Print the statements instead of running them.
    #[arg(long)]
    pub print: bool,
    #[command(flatten)]
    pub place: AthenaPlaceArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where Athena queries run; each flag else its `[athena]` setting.
#[derive(Debug, Clone, Default, Args)]
pub struct AthenaPlaceArgs {
    /// The Athena workgroup (default: `[athena] workgroup`, else Athena's `primary`).
    #[arg(long)]
    pub workgroup: Option<String>,
    /// Where Athena writes results, `s3://…/` (default: `[athena] output`, else the
    /// workgroup's own setting).
    #[arg(long, value_name = "S3_URL")]
    pub output_location: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum IacCommand {
    /// Check CloudFormation templates (JSON or YAML) against rules named as AWS Config
    /// names them; exit 1 when a violation at or above --fail-on is found, 2 when a file
    /// cannot be read.
    Check(IacCheckArgs),
}

#[derive(Debug, Args)]
pub struct IacCheckArgs {
    /// Template files, or directories to search for `.yaml`, `.yml`, `.json`, `.template`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: IacFormat,
    /// The least level that fails the check (exit 1).
    #[arg(long, value_enum, default_value = "failure")]
    pub fail_on: IacLevel,
    /// The team's own rules, written as data: a directory of `.yaml` files (or one file).
    /// Repeatable; adds to `[iac] rules`.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Run only these rules (rule IDs, AWS Config rule names or cfn_nag IDs; repeatable).
    #[arg(long = "only", value_name = "RULE")]
    pub only: Vec<String>,
    /// Do not run these rules (as for --only; repeatable).
    #[arg(long = "skip", value_name = "RULE")]
    pub skip: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IacFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IacLevel {
    Warning,
    Failure,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many times faster than real time the incident unfolds (default 15: the half hour
    /// of the attack in about two minutes).
    #[arg(long, value_name = "FACTOR")]
    pub speed: Option<f64>,
    /// Load the whole scenario at once instead of letting it unfold.
    #[arg(long)]
    pub instant: bool,
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    /// The AWS profile (SSO, assume-role and static profiles all work). Default: AWS_PROFILE,
    /// then the default profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// A region to watch; repeat for several, or `all` for every region enabled for the
    /// account. Default: the profile's region.
    #[arg(long = "region", value_name = "REGION|all")]
    pub regions: Vec<String>,
    /// Talk to this endpoint instead of AWS (an emulator such as moto, or a proxy).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// How far back the first CloudTrail look reaches (e.g. 90m, 6h, 2d).
    #[arg(long, value_name = "DURATION")]
    pub lookback: Option<String>,
    /// Seconds between CloudTrail polls (other services: four times as long).
    #[arg(long, value_name = "SECONDS")]
    pub poll_seconds: Option<u64>,
    /// Security Hub findings at or above this severity become alerts.
    #[arg(long, value_name = "SEVERITY")]
    pub min_severity: Option<String>,
    /// Also read CloudTrail from a trail's archive (a file, a directory in the S3 delivery
    /// layout, or s3://bucket/prefix) when the console starts: events LookupEvents does not
    /// give (data events, other accounts' trails, more than it allows per second). Events
    /// already in the journal are not journaled again.
    #[arg(long, value_name = "FILE|DIR|s3://BUCKET/PREFIX")]
    pub cloudtrail: Option<String>,
    /// Watch every active account of the organization (organizations:ListAccounts, from
    /// the management or a delegated administrator account), each through --role-name.
    #[arg(long)]
    pub org: bool,
    /// Watch this account (repeatable), through --role-name; with --org, besides its own.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,
    /// The role assumed to watch each account. Default: WarroomIncidentReadOnly.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// The role assumed to respond in each account. Default: WarroomIncidentResponse.
    #[arg(long, value_name = "NAME")]
    pub response_role_name: Option<String>,
    /// Read every account's AWS Config findings from this aggregator (in the first region)
    /// instead of each account's Config.
    #[arg(long, value_name = "NAME")]
    pub config_aggregator: Option<String>,
    /// Read Security Hub from its aggregation region (every account's and region's findings)
    /// instead of each account's regions.
    #[arg(long, value_name = "REGION")]
    pub securityhub_region: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen for Slack's HTTP requests (/slack/commands, /slack/interactions).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: std::net::SocketAddr,
    /// Also (or, without a signing secret, only) take requests over Socket Mode, with the
    /// app-level token (SLACK_APP_TOKEN): no public endpoint needed.
    #[arg(long)]
    pub socket_mode: bool,
    /// Act on the embedded demo account (the incident of `warroom demo`).
    #[arg(long)]
    pub demo: bool,
    /// Log to standard output (redacted as ever) instead of the log file: for a container,
    /// whose runtime keeps the logs.
    #[arg(long)]
    pub log_stdout: bool,
    /// As for `warroom live`: the account to act on.
    #[command(flatten)]
    pub aws: LiveArgs,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// A CloudTrail file, a directory (the S3 delivery layout or any tree), s3://bucket/prefix,
    /// or an incident journal. None with --athena.
    #[arg(required_unless_present = "athena")]
    pub source: Option<String>,
    /// `field=value` (a dotted path into the event: `userIdentity.accessKeyId=AKIA…`) or
    /// `field~text` (fuzzy); every filter must match.
    pub filters: Vec<String>,
    /// Only events at or after this time (RFC 3339, a date, or how long ago: 2h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events at or before this time (RFC 3339, a date, or how long ago: 30m).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    #[arg(long, value_enum, default_value_t = QueryFormat::Jsonl)]
    pub format: QueryFormat,
    /// Print only the number of matching events.
    #[arg(long)]
    pub count: bool,
    /// Newest first (oldest first without it). Over local files or s3:// in JSON lines or
    /// CSV, each match is printed as soon as no unread file can hold a newer one: `| head`
    /// returns at once. Oldest first has to read every file before it prints.
    #[arg(long)]
    pub newest_first: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Search on Athena instead: the table of the organization's CloudTrail
    /// (`database.table`; without a value, `[athena] table`). The filters become its SQL with
    /// the partitions pruned; the files it names are read and matched exactly, and print as a
    /// local query's do.
    #[arg(long, value_name = "TABLE", num_args = 0..=1, default_missing_value = "")]
    pub athena: Option<String>,
    /// With --athena: print the SQL the filters make, and run nothing.
    #[arg(long, requires = "athena")]
    pub print_sql: bool,
    #[command(flatten)]
    pub place: AthenaPlaceArgs,
}

/// Where to read `s3://` sources from: flags win over `[aws]` in the config file, which
/// wins over the standard chain (AWS_PROFILE, AWS_REGION, …).
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// For s3:// sources: the AWS profile. It wins over keys exported in the environment.
    #[arg(long)]
    pub profile: Option<String>,
    /// For s3:// sources: the region to start in (each bucket's own region is found).
    #[arg(long)]
    pub region: Option<String>,
    /// For s3:// sources: talk to this endpoint instead of AWS (an emulator such as moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// One event per line, as CloudTrail wrote it.
    Jsonl,
    Csv,
    Table,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// A CloudTrail file, a directory (the S3 delivery layout or any tree), s3://bucket/prefix,
    /// or an incident journal (its events are judged afresh). None with --athena.
    #[arg(required_unless_present = "athena")]
    pub source: Option<String>,
    /// Only events at or after this time (RFC 3339, a date, or how long ago: 2h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events at or before this time (RFC 3339, a date, or how long ago: 30m).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Run on Athena instead, over the organization's CloudTrail table (`database.table`;
    /// without a value, `[athena] table`): the Sigma rules made of plain field tests as SQL,
    /// the rest here over the events those queries return.
    #[arg(long, value_name = "TABLE", num_args = 0..=1, default_missing_value = "")]
    pub athena: Option<String>,
    /// With --athena: print the queries, and run nothing.
    #[arg(long, requires = "athena")]
    pub print_sql: bool,
    /// With --athena: Sigma rules OR-ed into one query (more, fewer queries; 1 shows what
    /// each rule alone scans and finds).
    #[arg(long, value_name = "N", default_value_t = 25, requires = "athena")]
    pub rules_per_query: usize,
    #[command(flatten)]
    pub place: AthenaPlaceArgs,
    /// A directory (or file) of Sigma rules to run besides the starter rules and the
    /// configured ones; repeat for several.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Run only the given rules: not the starter set, not the configured directories.
    #[arg(long)]
    pub only_given_rules: bool,
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
    /// Exit 3 when an alert at or above this severity is raised (critical, high, medium,
    /// low, info): for a pipeline's gate.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectFormat {
    /// One alert per line as JSON, with every event ID.
    Jsonl,
    /// Aligned columns for people.
    Table,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The incident's journal.
    pub journal: PathBuf,
    #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
    pub format: ExportFormat,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Markdown, for a code host or a wiki.
    Md,
    Json,
    /// The timeline as CSV.
    Csv,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// An incident journal written by `warroom demo` or `warroom live`; or CloudTrail: a
    /// file, a directory (the S3 delivery layout or any tree), or s3://bucket/prefix.
    pub source: String,
    /// Where the clock starts: `start`, `end` (the default), `HH:MM[:SS]` on the incident's
    /// last day, or a full time. Journals only; in an archive, `:jump` once it is loaded.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Recorded seconds per second when playing, 1 to 1000.
    #[arg(long, default_value_t = 10.0, value_parser = speed)]
    pub speed: f64,
    /// Start playing at once (from the start, when the clock is at the end).
    #[arg(long)]
    pub play: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

fn speed(s: &str) -> Result<f64, String> {
    crate::replay::parse_speed(s).ok_or_else(|| format!("`{s}` is not a speed from 1 to 1000"))
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The journal to check (or --journal).
    pub path: Option<PathBuf>,
}

/// Arguments of subcommands this version does not have yet: accepted, then explained.
#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::parse_from([
            "warroom",
            "demo",
            "--instant",
            "--journal",
            "x.sqlite",
            "--dry-run",
        ]);
        assert!(cli.dry_run);
        assert_eq!(cli.journal, Some(PathBuf::from("x.sqlite")));
        assert!(matches!(
            cli.command,
            Subcommand::Demo(DemoArgs { instant: true, .. })
        ));
    }
}
