//! The command vocabulary shared by the console's `:` mode and the Slack `/warroom` command.

use crate::model::{IncidentStatus, Severity};
use std::fmt;

/// A parsed command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Deactivate(String),
    DeleteKey(String),
    DenyAll(String),
    RevokeSessions(String),
    Remediate {
        rule: String,
        resource: Option<String>,
    },
    /// Instances, and a region when the incident does not know where they run.
    Isolate(String, Option<String>),
    Snapshot(String, Option<String>),
    Stop(Vec<String>, Option<String>),
    Terminate(Vec<String>, Option<String>),
    RevokeIngress {
        group: String,
        rule: String,
        region: Option<String>,
    },
    DeleteUser(String),
    DeleteLoginProfile(String),
    DetachPolicy {
        user: String,
        policy_arn: String,
    },
    DeleteKeyPair(String, Option<String>),
    /// The containment plan for a principal or key (the selection's by default).
    Contain(Option<String>),
    /// The rest of a plan that stopped (the last failed one by default).
    Resume(Option<String>),
    /// What a principal or key created or changed (the selection's by default).
    Blast(Option<String>),
    /// Stop an unattended response before its time (the next one due by default).
    Veto(Option<String>),
    Pivot(String),
    Note(String),
    Status(Option<IncidentStatus>),
    Severity(Severity),
    Title(String),
    Ack(Option<String>),
    Resolve(Option<String>),
    Alerts,
    Findings,
    Keys(Option<String>),
    Timeline(Option<usize>),
    Help,
    // Console-only commands.
    Theme(String),
    Filter(String),
    /// Move the replay clock (`start`, `end`, `+5m`, `07:45`, a full time).
    Jump(String),
    /// Replay speed, 1 to 1000.
    Speed(f64),
    Play,
    Pause,
    /// Narrow Activity and Timeline to a time range; none clears it.
    Window(Option<(String, String)>),
    Quit,
}

/// What kind of value an argument takes, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    AccessKey,
    User,
    Principal,
    Rule,
    Instance,
    PivotTarget,
    Status,
    Severity,
    Alert,
    Theme,
    Text,
    Number,
}

/// One verb of the vocabulary.
pub struct Verb {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub help: &'static str,
    pub arg: Arg,
    /// Only meaningful in the console (not offered over Slack).
    pub console_only: bool,
}

pub const VERBS: &[Verb] = &[
    Verb {
        name: "deactivate",
        aliases: &["revoke"],
        usage: "deactivate <key-id>",
        help: "Deactivate an access key (the playbook's first step)",
        arg: Arg::AccessKey,
        console_only: false,
    },
    Verb {
        name: "delete-key",
        aliases: &[],
        usage: "delete-key <key-id>",
        help: "Delete an access key for good (asks for its last four characters)",
        arg: Arg::AccessKey,
        console_only: false,
    },
    Verb {
        name: "deny-all",
        aliases: &[],
        usage: "deny-all <user>",
        help: "Attach an explicit deny-all inline policy to a user",
        arg: Arg::User,
        console_only: false,
    },
    Verb {
        name: "revoke-sessions",
        aliases: &[],
        usage: "revoke-sessions <user|role>",
        help: "Deny every session issued before now (role/NAME for a role)",
        arg: Arg::Principal,
        console_only: false,
    },
    Verb {
        name: "remediate",
        aliases: &[],
        usage: "remediate <rule> [resource]",
        help: "Run the Config remediation configured for a rule",
        arg: Arg::Rule,
        console_only: false,
    },
    Verb {
        name: "contain",
        aliases: &[],
        usage: "contain [principal|key-id]",
        help: "Plan the whole playbook for a compromised credential: cut it, stop what it started, undo what it left",
        arg: Arg::Principal,
        console_only: false,
    },
    Verb {
        name: "resume",
        aliases: &[],
        usage: "resume [action-id]",
        help: "Run the rest of a plan that stopped (the last failed one by default)",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "veto",
        aliases: &[],
        usage: "veto [action-id]",
        help: "Stop an unattended response announced by a policy before it runs",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "blast",
        aliases: &["blast-radius"],
        usage: "blast [principal|key-id]",
        help: "What a principal or key created or changed, where, what it costs now, and what undoes it",
        arg: Arg::Principal,
        console_only: false,
    },
    Verb {
        name: "isolate",
        aliases: &[],
        usage: "isolate <instance-id> [region]",
        help: "Swap an instance's security groups for a quarantine group (no rules)",
        arg: Arg::Instance,
        console_only: false,
    },
    Verb {
        name: "snapshot",
        aliases: &[],
        usage: "snapshot <instance-id> [region]",
        help: "Snapshot an instance's EBS volumes for forensics, tagged with the incident",
        arg: Arg::Instance,
        console_only: false,
    },
    Verb {
        name: "stop",
        aliases: &[],
        usage: "stop <instance-id>... [region]",
        help: "Stop instances",
        arg: Arg::Instance,
        console_only: false,
    },
    Verb {
        name: "terminate",
        aliases: &[],
        usage: "terminate <instance-id>... [region]",
        help: "Terminate instances for good (asks for the last four characters of the first)",
        arg: Arg::Instance,
        console_only: false,
    },
    Verb {
        name: "revoke-ingress",
        aliases: &[],
        usage: "revoke-ingress <sg-id> <sgr-id> [region]",
        help: "Remove an ingress rule from a security group",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "delete-user",
        aliases: &[],
        usage: "delete-user <user>",
        help: "Delete a user with everything IAM requires gone first (asks for its last four characters)",
        arg: Arg::User,
        console_only: false,
    },
    Verb {
        name: "delete-login-profile",
        aliases: &[],
        usage: "delete-login-profile <user>",
        help: "Delete a user's console password",
        arg: Arg::User,
        console_only: false,
    },
    Verb {
        name: "detach-policy",
        aliases: &[],
        usage: "detach-policy <user> <policy-arn>",
        help: "Detach a managed policy from a user",
        arg: Arg::User,
        console_only: false,
    },
    Verb {
        name: "delete-key-pair",
        aliases: &[],
        usage: "delete-key-pair <name> [region]",
        help: "Delete an EC2 key pair",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "pivot",
        aliases: &[],
        usage: "pivot <key-id|user|ip>",
        help: "Show everything done by an access key, principal or IP",
        arg: Arg::PivotTarget,
        console_only: false,
    },
    Verb {
        name: "note",
        aliases: &[],
        usage: "note <text>",
        help: "Add a note to the incident timeline",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "status",
        aliases: &[],
        usage: "status [investigating|contained|resolved]",
        help: "Show the incident, or set its status",
        arg: Arg::Status,
        console_only: false,
    },
    Verb {
        name: "severity",
        aliases: &[],
        usage: "severity <critical|high|medium|low|info>",
        help: "Set the incident's severity",
        arg: Arg::Severity,
        console_only: false,
    },
    Verb {
        name: "title",
        aliases: &[],
        usage: "title <text>",
        help: "Rename the incident",
        arg: Arg::Text,
        console_only: false,
    },
    Verb {
        name: "ack",
        aliases: &["acknowledge"],
        usage: "ack [alert-id]",
        help: "Acknowledge an alert (the selected one by default)",
        arg: Arg::Alert,
        console_only: false,
    },
    Verb {
        name: "resolve",
        aliases: &[],
        usage: "resolve [alert-id]",
        help: "Resolve an alert (the selected one by default)",
        arg: Arg::Alert,
        console_only: false,
    },
    Verb {
        name: "alerts",
        aliases: &[],
        usage: "alerts",
        help: "List the alerts",
        arg: Arg::None,
        console_only: false,
    },
    Verb {
        name: "findings",
        aliases: &[],
        usage: "findings",
        help: "List the non-compliant resources",
        arg: Arg::None,
        console_only: false,
    },
    Verb {
        name: "keys",
        aliases: &[],
        usage: "keys [user]",
        help: "List access keys, or one user's",
        arg: Arg::User,
        console_only: false,
    },
    Verb {
        name: "timeline",
        aliases: &[],
        usage: "timeline [n]",
        help: "Show the timeline (the last n entries)",
        arg: Arg::Number,
        console_only: false,
    },
    Verb {
        name: "help",
        aliases: &[],
        usage: "help",
        help: "List the commands",
        arg: Arg::None,
        console_only: false,
    },
    Verb {
        name: "theme",
        aliases: &[],
        usage: "theme <name>",
        help: "Switch the colour theme",
        arg: Arg::Theme,
        console_only: true,
    },
    Verb {
        name: "filter",
        aliases: &[],
        usage: "filter <text>",
        help: "Fuzzy-filter the current pane",
        arg: Arg::Text,
        console_only: true,
    },
    Verb {
        name: "jump",
        aliases: &["seek"],
        usage: "jump <start|end|+5m|-30s|HH:MM|time>",
        help: "Move the replay clock",
        arg: Arg::Text,
        console_only: true,
    },
    Verb {
        name: "speed",
        aliases: &[],
        usage: "speed <1-1000>",
        help: "Replay speed: recorded seconds per second",
        arg: Arg::Number,
        console_only: true,
    },
    Verb {
        name: "play",
        aliases: &[],
        usage: "play",
        help: "Play the replay",
        arg: Arg::None,
        console_only: true,
    },
    Verb {
        name: "pause",
        aliases: &[],
        usage: "pause",
        help: "Pause the replay",
        arg: Arg::None,
        console_only: true,
    },
    Verb {
        name: "window",
        aliases: &[],
        usage: "window [<from> <to>]",
        help: "Narrow Activity and Timeline to a time range (HH:MM or full times); none clears it",
        arg: Arg::Text,
        console_only: true,
    },
    Verb {
        name: "quit",
        aliases: &["q"],
        usage: "quit",
        help: "Leave the console (the journal is kept)",
        arg: Arg::None,
        console_only: true,
    },
];

/// Why a command line was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub String);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

/// The verb a word names, by name or alias.
pub fn verb(word: &str) -> Option<&'static Verb> {
    VERBS
        .iter()
        .find(|v| v.name == word || v.aliases.contains(&word))
}

/// Parses one command line (without the leading `:` or `/warroom`).
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let line = line.trim();
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    if word.is_empty() {
        return Err(CommandError("empty command: try `help`".into()));
    }
    let v = verb(&word.to_ascii_lowercase()).ok_or_else(|| {
        CommandError(format!(
            "unknown command `{word}`; commands: {}",
            VERBS.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let args: Vec<&str> = rest.split_whitespace().collect();
    let need_one = || -> Result<String, CommandError> {
        match args.as_slice() {
            [one] => Ok(one.to_string()),
            [] => Err(CommandError(format!("usage: {}", v.usage))),
            _ => Err(CommandError(format!(
                "too many arguments; usage: {}",
                v.usage
            ))),
        }
    };
    let need_text = || -> Result<String, CommandError> {
        if rest.is_empty() {
            Err(CommandError(format!("usage: {}", v.usage)))
        } else {
            Ok(rest.to_string())
        }
    };
    let optional = || args.first().map(|s| s.to_string());
    let at_most_one = || match args.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.to_string())),
        _ => Err(CommandError(format!(
            "too many arguments; usage: {}",
            v.usage
        ))),
    };
    // Instance IDs start with `i-`; a last word that does not is the region.
    let instances_and_region = || -> Result<(Vec<String>, Option<String>), CommandError> {
        let (ids, rest): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with("i-"));
        match (ids.as_slice(), rest.as_slice()) {
            ([], _) => Err(CommandError(format!("usage: {}", v.usage))),
            (_, []) => Ok((ids.iter().map(|s| s.to_string()).collect(), None)),
            (_, [region]) if args.last() == Some(region) => Ok((
                ids.iter().map(|s| s.to_string()).collect(),
                Some(region.to_string()),
            )),
            (_, other) => Err(CommandError(format!(
                "`{}` is not an instance ID; usage: {}",
                other[0], v.usage
            ))),
        }
    };
    let no_args = |c: Command| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(CommandError(format!("`{}` takes no arguments", v.name)))
        }
    };
    Ok(match v.name {
        "deactivate" => Command::Deactivate(need_one()?),
        "delete-key" => Command::DeleteKey(need_one()?),
        "deny-all" => Command::DenyAll(need_one()?),
        "revoke-sessions" => Command::RevokeSessions(need_one()?),
        "remediate" => match args.as_slice() {
            [rule] => Command::Remediate {
                rule: rule.to_string(),
                resource: None,
            },
            [rule, resource] => Command::Remediate {
                rule: rule.to_string(),
                resource: Some(resource.to_string()),
            },
            _ => return Err(CommandError(format!("usage: {}", v.usage))),
        },
        "contain" => Command::Contain(at_most_one()?),
        "resume" => Command::Resume(at_most_one()?),
        "blast" => Command::Blast(at_most_one()?),
        "veto" => Command::Veto(at_most_one()?),
        "isolate" | "snapshot" => {
            let (ids, region) = instances_and_region()?;
            let [id] = <[String; 1]>::try_from(ids)
                .map_err(|_| CommandError(format!("one instance at a time; usage: {}", v.usage)))?;
            if v.name == "isolate" {
                Command::Isolate(id, region)
            } else {
                Command::Snapshot(id, region)
            }
        }
        "stop" => {
            let (ids, region) = instances_and_region()?;
            Command::Stop(ids, region)
        }
        "terminate" => {
            let (ids, region) = instances_and_region()?;
            Command::Terminate(ids, region)
        }
        "revoke-ingress" => match args.as_slice() {
            [group, rule] | [group, rule, _] => Command::RevokeIngress {
                group: group.to_string(),
                rule: rule.to_string(),
                region: args.get(2).map(|r| r.to_string()),
            },
            _ => return Err(CommandError(format!("usage: {}", v.usage))),
        },
        "delete-user" => Command::DeleteUser(need_one()?),
        "delete-login-profile" => Command::DeleteLoginProfile(need_one()?),
        "detach-policy" => match args.as_slice() {
            [user, arn] => Command::DetachPolicy {
                user: user.to_string(),
                policy_arn: arn.to_string(),
            },
            _ => return Err(CommandError(format!("usage: {}", v.usage))),
        },
        "delete-key-pair" => match args.as_slice() {
            [name] => Command::DeleteKeyPair(name.to_string(), None),
            [name, region] => Command::DeleteKeyPair(name.to_string(), Some(region.to_string())),
            _ => return Err(CommandError(format!("usage: {}", v.usage))),
        },
        "pivot" => Command::Pivot(need_one()?),
        "note" => Command::Note(need_text()?),
        "title" => Command::Title(need_text()?),
        "status" => match optional() {
            None => Command::Status(None),
            Some(s) => Command::Status(Some(IncidentStatus::parse(&s).ok_or_else(|| {
                CommandError(format!(
                    "unknown status `{s}`: use investigating, contained or resolved"
                ))
            })?)),
        },
        "severity" => {
            let s = need_one()?;
            Command::Severity(Severity::parse(&s).ok_or_else(|| {
                CommandError(format!(
                    "unknown severity `{s}`: use critical, high, medium, low or info"
                ))
            })?)
        }
        "ack" => Command::Ack(optional()),
        "resolve" => Command::Resolve(optional()),
        "alerts" => no_args(Command::Alerts)?,
        "findings" => no_args(Command::Findings)?,
        "keys" => Command::Keys(optional()),
        "timeline" => {
            Command::Timeline(match optional() {
                None => None,
                Some(n) => Some(n.parse().map_err(|_| {
                    CommandError(format!("`{n}` is not a number; usage: {}", v.usage))
                })?),
            })
        }
        "help" => Command::Help,
        "theme" => Command::Theme(need_one()?),
        "filter" => Command::Filter(rest.to_string()),
        "jump" => Command::Jump(need_text()?),
        "speed" => {
            let n = need_one()?;
            let speed = crate::replay::parse_speed(&n).ok_or_else(|| {
                CommandError(format!(
                    "`{n}` is not a speed from 1 to 1000; usage: {}",
                    v.usage
                ))
            })?;
            Command::Speed(speed)
        }
        "play" => no_args(Command::Play)?,
        "pause" => no_args(Command::Pause)?,
        "window" => match args.as_slice() {
            [] => Command::Window(None),
            [from, to] => Command::Window(Some((from.to_string(), to.to_string()))),
            _ => return Err(CommandError(format!("usage: {}", v.usage))),
        },
        "quit" => no_args(Command::Quit)?,
        other => unreachable!("verb {other} has no parser"),
    })
}

/// Completions for a partly typed line: whole-line candidates, best first. `values` gives
/// the known values for an argument kind (key IDs, users, …).
pub fn complete(line: &str, values: &dyn Fn(Arg) -> Vec<String>) -> Vec<String> {
    let trimmed = line.trim_start();
    match trimmed.split_once(char::is_whitespace) {
        None => VERBS
            .iter()
            .filter(|v| v.name.starts_with(trimmed))
            .map(|v| {
                if v.arg == Arg::None {
                    v.name.to_string()
                } else {
                    format!("{} ", v.name)
                }
            })
            .collect(),
        Some((word, rest)) => {
            let Some(v) = verb(word) else {
                return Vec::new();
            };
            // `remediate <rule> <resource>`: the second word completes resources of the rule.
            let rest = rest.trim_start();
            if rest.contains(char::is_whitespace) {
                return Vec::new();
            }
            let lower = rest.to_ascii_lowercase();
            let mut out: Vec<String> = values(v.arg)
                .into_iter()
                .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
                .map(|c| format!("{} {c}", v.name))
                .collect();
            out.dedup();
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_replay_and_window_commands() {
        assert_eq!(parse("jump 07:45"), Ok(Command::Jump("07:45".into())));
        assert_eq!(parse("speed 50x"), Ok(Command::Speed(50.0)));
        assert!(
            parse("speed 5000")
                .unwrap_err()
                .0
                .contains("from 1 to 1000")
        );
        assert_eq!(parse("play"), Ok(Command::Play));
        assert_eq!(parse("window"), Ok(Command::Window(None)));
        assert_eq!(
            parse("window 07:40 07:45"),
            Ok(Command::Window(Some(("07:40".into(), "07:45".into()))))
        );
        assert!(parse("window 07:40").is_err());
    }

    #[test]
    fn parses_the_vocabulary() {
        assert_eq!(
            parse("deactivate AKIA1"),
            Ok(Command::Deactivate("AKIA1".into()))
        );
        assert_eq!(
            parse("  revoke AKIA1 "),
            Ok(Command::Deactivate("AKIA1".into()))
        );
        assert_eq!(
            parse("remediate s3-rule bucket-1"),
            Ok(Command::Remediate {
                rule: "s3-rule".into(),
                resource: Some("bucket-1".into())
            })
        );
        assert_eq!(
            parse("note key is off, checking EC2"),
            Ok(Command::Note("key is off, checking EC2".into()))
        );
        assert_eq!(
            parse("status contained"),
            Ok(Command::Status(Some(IncidentStatus::Contained)))
        );
        assert_eq!(parse("status"), Ok(Command::Status(None)));
        assert_eq!(parse("timeline 20"), Ok(Command::Timeline(Some(20))));
        assert_eq!(parse("q"), Ok(Command::Quit));
    }

    #[test]
    fn errors_say_what_is_wrong_and_how_to_fix_it() {
        assert!(
            parse("deactivate")
                .unwrap_err()
                .0
                .contains("usage: deactivate <key-id>")
        );
        assert!(
            parse("explode now")
                .unwrap_err()
                .0
                .contains("unknown command `explode`")
        );
        assert!(
            parse("status done")
                .unwrap_err()
                .0
                .contains("investigating, contained or resolved")
        );
        assert!(
            parse("timeline lots")
                .unwrap_err()
                .0
                .contains("not a number")
        );
        assert!(
            parse("alerts please")
                .unwrap_err()
                .0
                .contains("takes no arguments")
        );
        assert!(parse("").is_err());
    }

    #[test]
    fn containment_commands_take_instances_and_an_optional_region() {
        assert_eq!(
            parse("stop i-1 i-2 eu-west-1"),
            Ok(Command::Stop(
                vec!["i-1".into(), "i-2".into()],
                Some("eu-west-1".into())
            ))
        );
        assert_eq!(
            parse("terminate i-1"),
            Ok(Command::Terminate(vec!["i-1".into()], None))
        );
        assert!(
            parse("isolate i-1 i-2")
                .unwrap_err()
                .0
                .contains("one instance")
        );
        assert!(
            parse("stop eu-west-1 i-1")
                .unwrap_err()
                .0
                .contains("not an instance ID")
        );
        assert_eq!(parse("contain"), Ok(Command::Contain(None)));
        assert_eq!(
            parse("contain AKIA1"),
            Ok(Command::Contain(Some("AKIA1".into())))
        );
    }

    #[test]
    fn completes_verbs_then_arguments() {
        let values = |arg: Arg| match arg {
            Arg::AccessKey => vec!["AKIAONE".to_string(), "AKIATWO".to_string()],
            _ => vec![],
        };
        assert_eq!(
            complete("de", &values),
            [
                "deactivate ",
                "delete-key ",
                "deny-all ",
                "delete-user ",
                "delete-login-profile ",
                "detach-policy ",
                "delete-key-pair "
            ]
        );
        assert_eq!(
            complete("deactivate akiat", &values),
            ["deactivate AKIATWO"]
        );
        assert!(complete("nope x", &values).is_empty());
    }

    #[test]
    fn every_verb_parses_its_own_usage_shape() {
        for v in VERBS {
            let example = v
                .usage
                .replace("<key-id>", "AKIA1")
                .replace("<user|role>", "u")
                .replace("<user>", "u")
                .replace("[user]", "")
                .replace("<rule>", "r")
                .replace("[resource]", "")
                .replace("<key-id|user|ip|event:NAME|resource:NAME>", "1.2.3.4")
                .replace("<text>", "hello")
                .replace("[investigating|contained|resolved]", "")
                .replace("<critical|high|medium|low|info>", "low")
                .replace("[alert-id]", "")
                .replace("[n]", "")
                .replace("<name>", "dark")
                .replace("<start|end|+5m|-30s|HH:MM|time>", "+5m")
                .replace("<1-1000>", "20")
                .replace("[<from> <to>]", "07:40 07:45")
                .replace("[principal|key-id]", "admin-ops")
                .replace("[action-id]", "")
                .replace("<instance-id>...", "i-1 i-2")
                .replace("<instance-id>", "i-1")
                .replace("[region]", "us-east-1")
                .replace("<sg-id> <sgr-id>", "sg-1 sgr-1")
                .replace(
                    "<policy-arn>",
                    "arn:aws:iam::aws:policy/AdministratorAccess",
                );
            assert!(parse(&example).is_ok(), "{} -> {example}", v.name);
        }
    }
}
