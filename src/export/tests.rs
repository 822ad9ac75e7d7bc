use super::*;
use crate::model::{
    Action, ActionStep, IncidentChange, NewRecord, Note, Record, RecordBody, Step as ActionStage,
};
use crate::respond::plan::plan;
use crate::source::demo::scenario::{
    ATTACKER_IP, BACKDOOR_USER, LEAKED_KEY, LEAKED_USER, founding_scenario,
};
use crate::source::demo::world::DemoWorld;
use crate::source::ingest::Ingest;
use chrono::Duration;
use std::sync::OnceLock;

/// A note with everything that could break a table, a CSV row or the page.
const AWKWARD_NOTE: &str =
    "Key was in a public gist | see <https://gist.example/x> *now*, \"quoted\"\nsecond line";

fn step(at: DateTime<Utc>, actor: &str, action_id: &str, step: ActionStage) -> NewRecord {
    NewRecord::new(
        at,
        actor,
        RecordBody::Action(ActionStep {
            action_id: action_id.into(),
            step,
        }),
    )
}

fn number(records: Vec<NewRecord>) -> Vec<Record> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, r)| Record {
            seq: i as i64 + 1,
            at: r.at,
            actor: r.actor,
            body: r.body,
        })
        .collect()
}

/// The demo incident played to its end; then the leaked key deactivated the way the
/// console does it (asked by one responder, confirmed by another), a containment, a note,
/// and a deny-all asked for from Slack and never confirmed.
fn played() -> Vec<Record> {
    let world = DemoWorld::new(founding_scenario());
    let end = world.scenario().end();
    let mut ingest = Ingest::new();
    let mut records = world.opening_records("INC-20261122-0737", end);
    records.extend(ingest.process(end, world.advance(end)));

    let action = Action::DeactivateKey {
        user: LEAKED_USER.into(),
        access_key_id: LEAKED_KEY.into(),
    };
    let calls = plan(&action);
    let t = end + Duration::minutes(2);
    records.push(step(
        t,
        "alice@tui",
        "act-1",
        ActionStage::Requested {
            action,
            origin: Origin::Tui,
            calls: calls.clone(),
            expires_at: None,
            runs_at: None,
        },
    ));
    records.push(step(
        t + Duration::seconds(20),
        "bob@tui",
        "act-1",
        ActionStage::Confirmed,
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let detail = rt
        .block_on(crate::respond::execute(&world, &calls, &|_| {}, &|_, _| {}))
        .expect("the demo account deactivates the key");
    records.push(step(
        t + Duration::seconds(21),
        "bob@tui",
        "act-1",
        ActionStage::Succeeded { detail },
    ));
    let later = t + Duration::minutes(1);
    records.extend(ingest.process(later, world.advance(later)));
    records.push(NewRecord::new(
        later,
        "alice@tui",
        RecordBody::IncidentChanged(IncidentChange::Status(IncidentStatus::Contained)),
    ));
    records.push(NewRecord::new(
        later + Duration::seconds(5),
        "alice@tui",
        RecordBody::Note(Note {
            text: AWKWARD_NOTE.into(),
        }),
    ));
    let deny = Action::DenyAll {
        user: BACKDOOR_USER.into(),
    };
    records.push(step(
        later + Duration::minutes(1),
        "carol@slack",
        "act-2",
        ActionStage::Requested {
            calls: plan(&deny),
            action: deny,
            origin: Origin::Slack,
            expires_at: None,
            runs_at: None,
        },
    ));
    number(records)
}

/// Played once: the scenario is three days of an account's life.
fn report() -> &'static Postmortem {
    static REPORT: OnceLock<Postmortem> = OnceLock::new();
    REPORT.get_or_init(|| postmortem(&IncidentState::from_records(&played())))
}

fn follow_up_about<'a>(p: &'a Postmortem, kind: &str, subject: &str) -> Option<&'a FollowUp> {
    p.follow_ups
        .iter()
        .find(|f| f.kind == kind && f.subject == subject)
}

#[test]
fn the_summary_names_who_where_and_what_was_touched() {
    let s = &report().summary;
    let b = &s.blast_radius;
    assert!(b.principals.iter().any(|p| p == LEAKED_USER), "{b:?}");
    assert!(b.access_keys.iter().any(|k| k == LEAKED_KEY), "{b:?}");
    assert!(b.source_ips.iter().any(|ip| ip == ATTACKER_IP), "{b:?}");
    assert!(b.regions.len() >= 3, "{:?}", b.regions);
    let backdoor = b
        .resources
        .iter()
        .find(|r| r.name == BACKDOOR_USER)
        .expect("the backdoor user is among the resources touched");
    assert!(backdoor.created, "{backdoor:?}");
    assert!(backdoor.calls.iter().any(|c| c == "iam:CreateUser"));
    // The key added to an existing user changes that user; it does not create it.
    let ci = b.resources.iter().find(|r| r.name == "ci-deploy").unwrap();
    assert!(!ci.created, "{ci:?}");
    assert!(s.spend_per_hour > 0.0 && s.peak_spend_per_hour >= s.spend_per_hour);
}

#[test]
fn the_incident_starts_at_the_first_suspicious_event_and_is_contained_later() {
    let s = &report().summary;
    let first = s.first_event.as_ref().expect("events behind alerts");
    assert_eq!(s.started_at, Some(first.at));
    assert!(
        first.at < s.opened_at.unwrap(),
        "the attack began before the opening"
    );
    let contained = s.contained_at.expect("the status change is a milestone");
    assert_eq!(
        s.time_to_contain_seconds,
        Some((contained - first.at).num_seconds())
    );
    assert!(s.ongoing && s.resolved_at.is_none());
    assert_eq!(s.status, IncidentStatus::Contained);
}

#[test]
fn backdoors_that_still_exist_are_follow_ups_and_a_deactivated_key_is_not() {
    let p = report();
    let user = follow_up_about(p, "backdoor-user", BACKDOOR_USER).expect("backdoor user");
    assert!(user.what.contains(LEAKED_USER), "{}", user.what);
    let keys: Vec<_> = p
        .follow_ups
        .iter()
        .filter(|f| f.kind == "backdoor-key")
        .collect();
    assert_eq!(
        keys.len(),
        2,
        "one for svc-backup, one for ci-deploy: {keys:?}"
    );
    assert!(keys.iter().all(|k| k.what.contains("still Active")));
    assert!(
        !p.follow_ups.iter().any(|f| f.subject == LEAKED_KEY),
        "the leaked key was deactivated: {:?}",
        p.follow_ups
    );
}

#[test]
fn follow_ups_cover_alerts_unconfirmed_actions_and_manual_findings() {
    let p = report();
    let open = p
        .follow_ups
        .iter()
        .filter(|f| f.kind == "alert-open")
        .count();
    assert_eq!(open, p.alerts.len(), "no alert was resolved");
    let unconfirmed = follow_up_about(p, "action-unconfirmed", "act-2").expect("act-2");
    assert!(
        unconfirmed.what.contains("carol@slack"),
        "{}",
        unconfirmed.what
    );
    assert!(follow_up_about(p, "finding-manual", "dynamodb-table-encryption-enabled").is_some());
    assert!(follow_up_about(p, "finding-remediable", "s3-bucket-public-read-prohibited").is_some());
}

#[test]
fn an_action_says_who_asked_from_where_who_confirmed_and_how_it_ended() {
    let p = report();
    let a = p.actions.iter().find(|a| a.id == "act-1").unwrap();
    assert_eq!(
        a.what,
        format!("Deactivate access key {LEAKED_KEY} of {LEAKED_USER}")
    );
    assert_eq!(a.requested_by.as_deref(), Some("alice@tui"));
    assert_eq!(a.origin.as_deref(), Some("console"));
    assert_eq!(a.confirmed_by.as_deref(), Some("bob@tui"));
    assert_eq!(a.outcome, "succeeded");
    assert!(a.detail.contains("iam:UpdateAccessKey ok"), "{}", a.detail);
    assert_eq!(a.calls[0].operation, "UpdateAccessKey");
    assert_eq!(a.calls[0].params["AccessKeyId"], LEAKED_KEY);
    let steps: Vec<_> = a.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(steps, ["requested", "confirmed", "succeeded"]);

    let md = markdown(p);
    assert!(
        md.contains("- **Requested by:** `alice@tui` from console at "),
        "{md}"
    );
    assert!(md.contains("- **Confirmed by:** `bob@tui` at "), "{md}");
    assert!(md.contains("- **Result:** **succeeded** — iam:UpdateAccessKey ok"));
    assert!(md.contains("```text\niam:UpdateAccessKey {"));
    let slack = p.actions.iter().find(|a| a.id == "act-2").unwrap();
    assert_eq!(slack.origin.as_deref(), Some("slack"));
    assert_eq!(slack.outcome, "unconfirmed");
    assert_eq!(slack.confirmed_by, None);
}

#[test]
fn the_dynamodb_finding_comes_with_its_fix_as_code() {
    let p = report();
    let rule = p
        .findings
        .iter()
        .find(|r| r.rule == "dynamodb-table-encryption-enabled")
        .expect("the table finding");
    assert_eq!(rule.resources.len(), 3);
    assert_eq!(rule.fix.kind, "code");
    assert_eq!(rule.fix.language.as_deref(), Some("yaml"));
    assert!(
        rule.fix
            .code
            .as_deref()
            .unwrap()
            .contains("SSEEnabled: true")
    );
    let s3 = p
        .findings
        .iter()
        .find(|r| r.rule == "s3-bucket-public-read-prohibited")
        .unwrap();
    assert_eq!(
        s3.fix.remediation.as_deref(),
        Some("AWS-DisableS3BucketPublicReadWrite")
    );
    let md = markdown(p);
    assert!(md.contains("### dynamodb-table-encryption-enabled (3 resources)"));
    assert!(md.contains("```yaml\nOrdersTable:"), "{md}");
}

#[test]
fn the_timeline_tells_the_story_in_time_order() {
    let p = report();
    assert!(
        p.timeline.windows(2).all(|w| w[0].at <= w[1].at),
        "out of order"
    );
    let kinds: BTreeSet<&str> = p.timeline.iter().map(|l| l.kind.as_str()).collect();
    for kind in ["incident", "event", "alert", "action", "note", "key"] {
        assert!(kinds.contains(kind), "no {kind} line: {kinds:?}");
    }
    assert!(
        p.timeline
            .iter()
            .any(|l| l.what == "Status set to contained")
    );
    assert!(p.timeline.iter().any(|l| {
        l.what == format!("Access key {LEAKED_KEY} of {LEAKED_USER} is now Inactive")
    }));
    // Only the events behind alerts: three days of routine calls stay out.
    let events = p.timeline.iter().filter(|l| l.kind == "event");
    assert!(events.clone().all(|l| l.event_id.is_some()));
    assert!(events.clone().any(|l| l.what.contains(ATTACKER_IP)));
    assert!(!events.clone().any(|l| l.what.contains("198.51.100.23")));
}

/// The number of table-splitting pipes in a Markdown table row: a backslash escapes the
/// character after it, as GitHub's table parser reads it.
fn bare_pipes(row: &str) -> usize {
    let mut chars = row.chars();
    let mut n = 0;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '|' => n += 1,
            _ => {}
        }
    }
    n
}

#[test]
fn markdown_tables_are_well_formed_and_recorded_text_is_escaped() {
    let md = markdown(report());
    let lines: Vec<&str> = md.lines().collect();
    let mut tables = 0;
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('|') {
            i += 1;
            continue;
        }
        tables += 1;
        let header = bare_pipes(lines[i]);
        assert!(header >= 3, "{}", lines[i]);
        assert!(
            lines[i + 1].starts_with("| ---"),
            "separator after {}",
            lines[i]
        );
        let mut j = i + 1;
        while j < lines.len() && lines[j].starts_with('|') {
            assert_eq!(bare_pipes(lines[j]), header, "row {j}: {}", lines[j]);
            j += 1;
        }
        assert!(
            lines.get(j).is_none_or(|l| l.is_empty()),
            "a table ends at a blank line: {:?}",
            lines.get(j)
        );
        i = j;
    }
    assert!(
        tables >= 6,
        "summary, resources, timeline, steps, alerts, findings"
    );
    let note = "Key was in a public gist \\| see \\<https://gist.example/x\\> \\*now\\*, \"quoted\" second line";
    assert!(md.contains(note), "{md}");
    // Every `<` in recorded text is escaped: none opens a raw autolink or HTML tag.
    assert!(!md.replace("\\<", "").contains("<https"), "no raw markup");
    for heading in [
        "# Postmortem: ",
        "## Summary",
        "### Blast radius",
        "## Open follow-ups",
        "## Timeline",
        "## Actions",
        "## Alerts",
        "## Findings still non-compliant",
        "## Journal",
    ] {
        assert!(md.lines().any(|l| l.starts_with(heading)), "{heading}");
    }
    assert!(md.contains("- [ ] User svc-backup was created by admin-ops"));
}

#[test]
fn cells_that_need_escaping_stay_in_their_column() {
    for text in ["a|b", "a\\|b", "a\\", "`a|b`", "x\ny|z"] {
        for cell in [markdown::cell_code(text), markdown::esc(text)] {
            assert_eq!(
                bare_pipes(&format!("| {cell} |")),
                2,
                "{text:?} as {cell:?}"
            );
            assert!(!cell.contains('\n'));
        }
    }
}

/// Splits RFC 4180 text into rows of fields.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "text ends with a full row"
    );
    rows
}

#[test]
fn csv_rows_parse_back_to_the_timeline() {
    let p = report();
    let rows = read_csv(&csv(p));
    assert_eq!(rows[0], ["time_utc", "actor", "kind", "what"]);
    assert_eq!(rows.len(), p.timeline.len() + 1);
    for (row, line) in rows[1..].iter().zip(&p.timeline) {
        assert_eq!(row.len(), 4, "{row:?}");
        assert_eq!(row[0], crate::journal::format_time(line.at));
        assert!(row[0].ends_with('Z'));
        assert_eq!(row[1], line.actor);
        assert_eq!(row[2], line.kind);
        assert_eq!(row[3], line.what);
    }
    assert!(
        rows.iter().any(|r| r[3] == format!("Note: {AWKWARD_NOTE}")),
        "the note survives quoting"
    );
}

#[test]
fn json_has_the_documented_top_level_structure() {
    let v = json(report());
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec![
        "actions",
        "alerts",
        "findings",
        "follow_ups",
        "journal",
        "summary",
        "timeline",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(v["journal"]["status"], "not-checked");
    assert_eq!(v["summary"]["severity"], "high");
    assert_eq!(v["summary"]["status"], "contained");
    assert_eq!(v["actions"][0]["requested_by"], "alice@tui");
    assert!(v["summary"]["started_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn the_journal_verdict_is_stated_and_tampering_leads_the_follow_ups() {
    let ok = report().clone().with_journal(JournalCheck::Verified {
        records: 42,
        head: "abc123".into(),
    });
    assert!(markdown(&ok).contains("Journal verified: 42 records, head `abc123`."));
    assert_eq!(json(&ok)["journal"]["records"], 42);
    assert!(!ok.follow_ups.iter().any(|f| f.kind == "journal-tampered"));

    let bad = report().clone().with_journal(JournalCheck::Tampered {
        finding: "record 3 (note at 2026-11-22T08:00:00.000Z) was edited".into(),
    });
    assert_eq!(bad.follow_ups[0].kind, "journal-tampered");
    let md = markdown(&bad);
    assert!(
        md.contains("**Journal chain check failed:** record 3"),
        "{md}"
    );
    assert_eq!(json(&bad)["journal"]["status"], "tampered");
}

#[test]
fn an_empty_journal_still_makes_a_postmortem() {
    let p = postmortem(&IncidentState::default());
    let md = markdown(&p);
    assert!(md.contains("Nothing left open."));
    assert!(md.contains("No action was taken"));
    assert_eq!(csv(&p), "time_utc,actor,kind,what\r\n");
    assert!(p.summary.started_at.is_none());
}
