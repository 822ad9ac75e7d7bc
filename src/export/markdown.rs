//! The postmortem as GitHub-flavoured Markdown: headings, pipe tables, fenced code, task
//! lists, no raw HTML. Every piece of recorded text is escaped, so nothing an attacker put
//! in a name or a responder typed in a note can break a table or inject markup.

use super::{
    ActionReport, AlertReport, BlastRadius, CallReport, FollowUp, JournalCheck, Line, Postmortem,
    RuleReport, Summary, md_time,
};
use crate::model::AlertStatus;
use chrono::{DateTime, Utc};

fn md_opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(md_time).unwrap_or_else(|| "—".into())
}

/// A span of time in the largest two units that matter: `2d 3h`, `1h 12m`, `35m 10s`.
fn human_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Plain text made safe for Markdown: characters that would format, link or open HTML are
/// escaped, and line breaks (which would end a table row) become spaces.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Journals written before text was neutralised on the way in may still hold controls.
    for c in crate::model::printable(text).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Text as inline code: the fence is one backtick longer than any run inside.
fn code(text: &str) -> String {
    let flat = crate::model::printable(text).replace(['\r', '\n'], " ");
    let fence = "`".repeat(longest_run(&flat, '`') + 1);
    // A space keeps a backtick at either end from joining the fence.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// Inline code in a table cell. The table is split at bare `|` before code spans are
/// read, so a pipe inside must be escaped; a backslash in front of one would cancel that
/// escape, so text with backslashes is shown escaped instead of as code.
pub(super) fn cell_code(text: &str) -> String {
    if text.contains('\\') {
        return esc(text);
    }
    code(&text.replace('|', "\\|"))
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A fenced code block whose fence no line of `body` can close.
fn fenced(language: &str, body: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    format!(
        "{fence}{language}\n{}\n{fence}\n",
        body.trim_end_matches('\n')
    )
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let row = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    out.push_str(&row(&header));
    out.push_str(&row(&vec!["---".to_string(); header.len()]));
    for r in rows {
        out.push_str(&row(r));
    }
    out.push('\n');
}

fn codes(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
}

fn usd(rate: f64) -> String {
    format!("${rate:.2}/h")
}

/// The postmortem as Markdown.
pub fn markdown(p: &Postmortem) -> String {
    let mut out = String::new();
    md_summary(&mut out, &p.summary);
    md_follow_ups(&mut out, &p.follow_ups);
    md_timeline(&mut out, &p.timeline);
    md_actions(&mut out, &p.actions);
    md_alerts(&mut out, &p.alerts);
    md_findings(&mut out, &p.findings);
    md_journal(&mut out, &p.journal);
    out
}

fn md_summary(out: &mut String, s: &Summary) {
    out.push_str(&format!("# Postmortem: {}\n\n", esc(&s.title)));
    out.push_str("All times are UTC.\n\n## Summary\n\n");
    let started = match &s.first_event {
        Some(e) => format!(
            "{} (first suspicious event: {})",
            md_time(e.at),
            esc(&e.what)
        ),
        None => format!("{} (incident opened)", md_opt_time(s.started_at)),
    };
    let duration = match s.duration_seconds {
        Some(d) if s.ongoing => format!("{} so far (still {})", human_duration(d), s.status),
        Some(d) => format!("{} (start to resolution)", human_duration(d)),
        None => "—".into(),
    };
    let contained = match s.time_to_contain_seconds {
        Some(d) => format!(
            "{} ({} after the start)",
            md_opt_time(s.contained_at),
            human_duration(d)
        ),
        None => md_opt_time(s.contained_at),
    };
    let rows = vec![
        vec!["Incident".into(), cell_code(&s.incident_id)],
        vec!["Title".into(), esc(&s.title)],
        vec!["Severity".into(), s.severity.to_string()],
        vec!["Status".into(), s.status.to_string()],
        vec!["Source".into(), esc(&s.source)],
        vec!["Started".into(), started],
        vec!["Opened".into(), md_opt_time(s.opened_at)],
        vec!["Contained".into(), contained],
        vec!["Resolved".into(), md_opt_time(s.resolved_at)],
        vec!["Duration".into(), duration],
        vec![
            "Compute spend rate".into(),
            format!(
                "{} now (open alerts), {} at peak (estimated, on-demand prices)",
                usd(s.spend_per_hour),
                usd(s.peak_spend_per_hour)
            ),
        ],
    ];
    table(out, &["Fact", "Value"], &rows);
    md_blast_radius(out, &s.blast_radius);
}

fn md_blast_radius(out: &mut String, b: &BlastRadius) {
    out.push_str("### Blast radius\n\n");
    out.push_str(&format!("- **Principals:** {}\n", codes(&b.principals)));
    out.push_str(&format!("- **Access keys:** {}\n", codes(&b.access_keys)));
    out.push_str(&format!("- **Source IPs:** {}\n", codes(&b.source_ips)));
    out.push_str(&format!("- **Regions:** {}\n\n", codes(&b.regions)));
    if b.resources.is_empty() {
        out.push_str("No resource was created or changed by the suspicious calls.\n\n");
        return;
    }
    out.push_str("Resources the suspicious calls created or changed:\n\n");
    let rows: Vec<Vec<String>> = b
        .resources
        .iter()
        .map(|r| {
            vec![
                cell_code(&r.name),
                if r.created { "created" } else { "changed" }.into(),
                r.calls
                    .iter()
                    .map(|c| esc(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    table(out, &["Resource", "How", "Calls"], &rows);
}

fn md_follow_ups(out: &mut String, items: &[FollowUp]) {
    out.push_str("## Open follow-ups\n\n");
    if items.is_empty() {
        out.push_str("Nothing left open.\n\n");
        return;
    }
    for f in items {
        out.push_str(&format!("- [ ] {}\n", esc(&f.what)));
    }
    out.push('\n');
}

fn md_timeline(out: &mut String, lines: &[Line]) {
    out.push_str("## Timeline\n\n");
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| vec![md_time(l.at), esc(&l.actor), l.kind.clone(), esc(&l.what)])
        .collect();
    table(out, &["Time (UTC)", "Actor", "Kind", "What"], &rows);
}

fn md_actions(out: &mut String, actions: &[ActionReport]) {
    out.push_str("## Actions\n\n");
    if actions.is_empty() {
        out.push_str("No action was taken from the console or Slack.\n\n");
        return;
    }
    for (i, a) in actions.iter().enumerate() {
        md_action(out, i + 1, a);
    }
}

fn md_action(out: &mut String, n: usize, a: &ActionReport) {
    out.push_str(&format!("### {n}. {} — {}\n\n", esc(&a.what), a.outcome));
    let requested = match (&a.requested_by, a.requested_at) {
        (Some(who), Some(at)) => format!(
            "{} from {} at {}",
            code(who),
            a.origin.as_deref().unwrap_or("an unknown place"),
            md_time(at)
        ),
        _ => "—".into(),
    };
    let confirmed = match (&a.confirmed_by, a.confirmed_at) {
        (Some(who), Some(at)) => format!("{} at {}", code(who), md_time(at)),
        _ => "never".into(),
    };
    let result = if a.detail.is_empty() {
        format!("**{}**", a.outcome)
    } else {
        format!("**{}** — {}", a.outcome, esc(&a.detail))
    };
    out.push_str(&format!(
        "- **Requested by:** {requested}\n- **Confirmed by:** {confirmed}\n- **Result:** {result}\n\n"
    ));
    if !a.calls.is_empty() {
        let calls: Vec<String> = a.calls.iter().map(call_line).collect();
        out.push_str("API calls:\n\n");
        out.push_str(&fenced("text", &calls.join("\n")));
        out.push('\n');
    }
    let rows: Vec<Vec<String>> = a
        .steps
        .iter()
        .map(|s| {
            vec![
                md_time(s.at),
                cell_code(&s.actor),
                s.step.clone(),
                esc(&s.detail),
            ]
        })
        .collect();
    table(out, &["Time (UTC)", "Actor", "Step", "Detail"], &rows);
}

/// A call the way `--dry-run` shows it: `service:Operation (region) {params}`.
fn call_line(c: &CallReport) -> String {
    let region = c
        .region
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    format!("{}:{}{region} {}", c.service, c.operation, c.params)
}

fn md_alerts(out: &mut String, alerts: &[AlertReport]) {
    out.push_str("## Alerts\n\n");
    if alerts.is_empty() {
        out.push_str("No alert was raised.\n\n");
        return;
    }
    let opt = |v: &Option<String>| v.as_deref().map(cell_code).unwrap_or_else(|| "—".into());
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                a.severity.to_string(),
                alert_status(a.status).into(),
                esc(&a.title),
                esc(&a.explanation),
                opt(&a.principal),
                opt(&a.access_key_id),
                opt(&a.source_ip),
                a.count.to_string(),
                md_time(a.first_seen),
                md_time(a.last_seen),
            ]
        })
        .collect();
    table(
        out,
        &[
            "Severity",
            "Status",
            "Alert",
            "Explanation",
            "Principal",
            "Access key",
            "Source IP",
            "Events",
            "First seen",
            "Last seen",
        ],
        &rows,
    );
}

fn alert_status(s: AlertStatus) -> &'static str {
    match s {
        AlertStatus::Open => "open",
        AlertStatus::Acknowledged => "acknowledged",
        AlertStatus::Resolved => "resolved",
    }
}

fn md_findings(out: &mut String, rules: &[RuleReport]) {
    out.push_str("## Findings still non-compliant\n\n");
    if rules.is_empty() {
        out.push_str("None: every evaluated resource is compliant.\n\n");
        return;
    }
    for r in rules {
        md_rule(out, r);
    }
}

fn md_rule(out: &mut String, r: &RuleReport) {
    out.push_str(&format!(
        "### {} ({} resource{})\n\n",
        esc(&r.rule),
        r.resources.len(),
        if r.resources.len() == 1 { "" } else { "s" }
    ));
    if !r.description.is_empty() {
        out.push_str(&format!("{}\n\n", esc(&r.description)));
    }
    let rows: Vec<Vec<String>> = r
        .resources
        .iter()
        .map(|f| {
            vec![
                cell_code(&f.resource_id),
                esc(&f.resource_type),
                esc(&f.region),
                md_opt_time(f.evaluated_at),
                esc(f.annotation.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    table(
        out,
        &["Resource", "Type", "Region", "Evaluated", "Annotation"],
        &rows,
    );
    out.push_str(&format!("**Fix:** {}\n\n", esc(&r.fix.summary)));
    if let Some(code) = &r.fix.code {
        out.push_str(&fenced(r.fix.language.as_deref().unwrap_or(""), code));
        out.push('\n');
    }
}

fn md_journal(out: &mut String, check: &JournalCheck) {
    out.push_str("## Journal\n\n");
    let line = match check {
        JournalCheck::Verified { records, head } => {
            format!("Journal verified: {records} records, head {}.", code(head))
        }
        JournalCheck::Tampered { finding } => {
            format!("**Journal chain check failed:** {}.", esc(finding))
        }
        JournalCheck::NotChecked => "The journal's hash chain was not checked.".into(),
    };
    out.push_str(&line);
    out.push('\n');
}
