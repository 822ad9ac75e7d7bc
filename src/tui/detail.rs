//! What the detail view and the preview say about a row.

use super::keymap::KeyAction;
use super::render::{severity_color, tone_style};
use super::view::View;
use super::views::{Item, Tone, ago, full_time};
use crate::model::{CloudTrailEvent, Finding, KeyStatus};
use crate::respond::guidance;
use crate::state::EntryKind;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

fn label(view: &View<'_>, name: &str, value: impl Into<String>) -> Line<'static> {
    let t = view.theme;
    Line::from(vec![
        Span::styled(format!("{name:<14}"), Style::default().fg(t.muted)),
        Span::styled(value.into(), Style::default().fg(t.foreground)),
    ])
}

fn heading(view: &View<'_>, text: impl Into<String>) -> Line<'static> {
    Line::from(Span::styled(
        text.into(),
        Style::default()
            .fg(view.theme.title)
            .add_modifier(Modifier::BOLD),
    ))
}

fn plain(view: &View<'_>, text: impl Into<String>) -> Line<'static> {
    Line::from(Span::styled(
        text.into(),
        Style::default().fg(view.theme.foreground),
    ))
}

fn muted(view: &View<'_>, text: impl Into<String>) -> Line<'static> {
    Line::from(Span::styled(
        text.into(),
        tone_style(view.theme, Tone::Muted),
    ))
}

fn code(view: &View<'_>, text: &str) -> Vec<Line<'static>> {
    let t = view.theme;
    text.lines()
        .map(|l| {
            Line::from(Span::styled(
                format!("  {l}"),
                Style::default().fg(t.code_fg).bg(t.code_bg),
            ))
        })
        .collect()
}

fn key(view: &View<'_>, action: KeyAction) -> String {
    view.keymap
        .keys_for(action)
        .first()
        .cloned()
        .unwrap_or_else(|| ":".into())
}

/// The detail view: a title and every line there is.
pub fn lines(view: &View<'_>, item: &Item) -> (String, Vec<Line<'static>>) {
    match item {
        Item::Event(e) => (
            format!("Event {}", e.event_name),
            event_lines(view, e, true),
        ),
        Item::Alert(i) => ("Alert".into(), alert_lines(view, *i, true)),
        Item::Finding(i) => (
            "Finding".into(),
            finding_lines(view, &view.state.findings[*i], true),
        ),
        Item::Rule(rule) => (format!("Rule {rule}"), rule_lines(view, rule)),
        Item::Key(i) => ("Access key".into(), key_lines(view, *i, true)),
        Item::Entry(i) => entry_lines(view, *i),
    }
}

/// A few lines for the preview under the list.
pub fn preview(view: &View<'_>, item: &Item) -> Vec<Line<'static>> {
    match item {
        Item::Event(e) => event_lines(view, e, false),
        Item::Alert(i) => alert_lines(view, *i, false),
        Item::Finding(i) => finding_lines(view, &view.state.findings[*i], false),
        Item::Rule(rule) => rule_lines(view, rule),
        Item::Key(i) => key_lines(view, *i, false),
        Item::Entry(i) => entry_lines(view, *i).1,
    }
}

fn event_lines(view: &View<'_>, e: &CloudTrailEvent, full: bool) -> Vec<Line<'static>> {
    let mut out = vec![
        heading(
            view,
            format!(
                "{}:{} by {} ({})",
                e.service(),
                e.event_name,
                e.identity.display(),
                e.identity.kind
            ),
        ),
        label(view, "Time", format!("{} UTC", full_time(e.event_time))),
        label(
            view,
            "From",
            format!("{}  —  {}", e.source_ip, e.user_agent),
        ),
        label(
            view,
            "Key / region",
            format!(
                "{}  —  {}",
                e.identity.access_key_id.unwrap_or_else(|| "-".into()),
                e.aws_region
            ),
        ),
    ];
    if let Some(code) = &e.error_code {
        out.push(Line::from(Span::styled(
            format!(
                "{:<14}{code}: {}",
                "Error",
                e.error_message().unwrap_or_default()
            ),
            tone_style(view.theme, Tone::Error),
        )));
    }
    if let Some(why) = e.malformed() {
        out.push(Line::from(Span::styled(
            format!(
                "{:<14}its JSON could not be read ({why}); the text as received is below",
                "Unreadable"
            ),
            tone_style(view.theme, Tone::Error),
        )));
    }
    if full {
        out.push(Line::default());
        out.push(muted(view, "Raw event (as CloudTrail recorded it):"));
        out.extend(code(view, &e.pretty()));
    }
    out
}

fn alert_lines(view: &View<'_>, i: usize, full: bool) -> Vec<Line<'static>> {
    let shown = &view.state.alerts[i];
    let a = &shown.alert;
    let t = view.theme;
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("[{}] ", a.severity.as_str().to_uppercase()),
                Style::default()
                    .fg(severity_color(t, a.severity))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                a.title.clone(),
                Style::default()
                    .fg(t.foreground)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!("  ({})", shown.status.as_str()),
                Style::default().fg(t.muted),
            ),
        ]),
        plain(view, a.explanation.clone()),
        label(
            view,
            "Seen",
            format!(
                "{} × from {} to {} UTC",
                a.count,
                full_time(a.first_seen),
                full_time(a.last_seen)
            ),
        ),
        label(
            view,
            "Who",
            format!(
                "{}  key {}  from {}",
                a.principal.clone().unwrap_or_else(|| "-".into()),
                a.access_key_id.clone().unwrap_or_else(|| "-".into()),
                a.source_ip.clone().unwrap_or_else(|| "-".into())
            ),
        ),
    ];
    if let (Some(now), Some(at_alert)) = (view.state.alert_spend(a), a.spend_per_hour) {
        // What its instances cost now, as they are stopped; and what it was when raised.
        out.push(label(
            view,
            "Spend",
            if (now - at_alert).abs() < 0.005 {
                format!("about ${now:.2} per hour while they run")
            } else {
                format!("about ${now:.2} per hour now (${at_alert:.2} when raised)")
            },
        ));
    }
    out.push(Line::default());
    out.push(heading(view, "Suggested responses, in playbook order"));
    let mut step = 1;
    if let Some(k) = &a.access_key_id {
        let state = view.state.key(k).map(|k| k.status);
        let done = if state.is_some_and(|s| s != KeyStatus::Active) {
            " (done)"
        } else {
            ""
        };
        out.push(plain(
            view,
            format!(
                "  {step}. {}  deactivate key {k}{done}",
                key(view, KeyAction::DeactivateKey)
            ),
        ));
        step += 1;
    }
    if let Some(p) = &a.principal {
        out.push(plain(
            view,
            format!(
                "  {step}. {}  deny-all on {p}",
                key(view, KeyAction::DenyAll)
            ),
        ));
        step += 1;
        out.push(plain(
            view,
            format!(
                "  {step}. {}  revoke older sessions of {p}",
                key(view, KeyAction::RevokeSessions)
            ),
        ));
        step += 1;
    }
    out.push(plain(
        view,
        format!(
            "  {step}. {}  review what it did and created (pivot: the events behind this alert, again for its key, principal, IP)",
            key(view, KeyAction::Pivot)
        ),
    ));
    if full {
        out.push(Line::default());
        out.push(heading(
            view,
            format!("Events behind it ({})", a.event_ids.len()),
        ));
        for id in &a.event_ids {
            match view.state.event(id) {
                Some(e) => out.push(plain(
                    view,
                    format!(
                        "  {}  {:<12} {}:{} {}",
                        full_time(e.event_time),
                        e.aws_region,
                        e.service(),
                        e.event_name,
                        e.error_code.unwrap_or_default()
                    ),
                )),
                None => out.push(muted(view, format!("  {id} (not loaded)"))),
            }
        }
        out.extend(alert_in_code(view, a));
    }
    out
}

/// Events of an alert read for the resources they touch: enough for what it did.
const ALERT_EVENTS_IN_CODE: usize = 50;

/// The resources the alert's calls touched that the team's templates make: where, and who
/// wrote them, so a changed resource leads to the code and its owners.
fn alert_in_code(view: &View<'_>, a: &crate::model::Alert) -> Vec<Line<'static>> {
    let mut found: Vec<crate::iac::locate::InCode> = Vec::new();
    for e in a
        .event_ids
        .iter()
        .take(ALERT_EVENTS_IN_CODE)
        .filter_map(|id| view.state.event(id))
    {
        for c in view.code.touched_by(e) {
            if !found.contains(&c) {
                found.push(c);
            }
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Line::default(), heading(view, "In the code")];
    for c in found {
        let who = if c.authors.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = c.authors.iter().map(|a| a.name.as_str()).collect();
            format!(" — written by {}", names.join(", "))
        };
        out.push(plain(
            view,
            format!(
                "  {}:{}  {} ({}){who}",
                c.path, c.line, c.logical_id, c.resource_type
            ),
        ));
    }
    out
}

fn finding_lines(view: &View<'_>, f: &Finding, full: bool) -> Vec<Line<'static>> {
    let mut out = vec![
        heading(view, format!("{} — {}", f.rule, f.compliance)),
        plain(view, f.rule_description.clone()),
        label(
            view,
            "Resource",
            format!("{} {} ({})", f.resource_type, f.resource_id, f.region),
        ),
    ];
    if let Some(a) = &f.annotation {
        out.push(label(view, "Annotation", a.clone()));
    }
    match &f.remediation {
        Some(doc) => out.push(label(
            view,
            "Remediation",
            format!(
                "{doc} — press {} to run it",
                key(view, KeyAction::Remediate)
            ),
        )),
        None => out.push(label(
            view,
            "Remediation",
            "none configured: fix it at the source",
        )),
    }
    match view.state.creator_of(&f.resource_id) {
        Some(e) => out.push(label(
            view,
            "Created by",
            format!(
                "{} on {} UTC ({}:{} from {})",
                e.identity.display(),
                full_time(e.event_time),
                e.service(),
                e.event_name,
                e.source_ip
            ),
        )),
        None => out.push(label(view, "Created by", "not in the loaded CloudTrail")),
    }
    let in_code = view
        .code
        .finding(f, view.state.tagged_stack(&f.resource_id).as_ref());
    if let Some(c) = &in_code {
        let checked = if c.rule.is_empty() {
            String::new()
        } else {
            let nag = if c.cfn_nag.is_empty() {
                String::new()
            } else {
                format!(", cfn_nag {}", c.cfn_nag.join(", "))
            };
            format!(" — checked before deploy as {}{nag}", c.rule)
        };
        out.push(label(
            view,
            "Template",
            format!("{}:{} ({}){checked}", c.path, c.line, c.logical_id),
        ));
        if !c.authors.is_empty() {
            let who: Vec<String> = c
                .authors
                .iter()
                .map(|a| format!("{} <{}> ({})", a.name, a.email, a.at.format("%Y-%m-%d")))
                .collect();
            out.push(label(view, "Written by", who.join(", ")));
        }
    }
    if let Some(patch) = in_code.as_ref().and_then(|c| c.patch.as_deref()) {
        out.push(Line::default());
        out.push(heading(
            view,
            format!(
                "The fix, as a patch to the template ({} copies it)",
                key(view, KeyAction::Yank)
            ),
        ));
        out.extend(code(view, patch));
        return out;
    }
    let guide = guidance::for_rule(&f.rule);
    if full || f.remediation.is_none() {
        if let Some(g) = &guide {
            out.push(Line::default());
            out.push(heading(view, "The fix, as code"));
            out.push(plain(view, g.summary));
            out.extend(code(view, g.code));
        } else if let Some(text) = &f.guidance {
            out.push(Line::default());
            out.push(heading(view, "The fix, as code"));
            out.extend(code(view, text));
        }
    }
    out
}

fn rule_lines(view: &View<'_>, rule: &str) -> Vec<Line<'static>> {
    let findings: Vec<&Finding> = view
        .state
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.is_non_compliant())
        .collect();
    let mut out = vec![heading(
        view,
        format!("{rule}: {} non-compliant", findings.len()),
    )];
    if let Some(f) = findings.first() {
        out.push(plain(view, f.rule_description.clone()));
        out.push(label(
            view,
            "Remediation",
            f.remediation
                .clone()
                .map(|d| {
                    format!(
                        "{d} — {} runs it on all of them",
                        key(view, KeyAction::Remediate)
                    )
                })
                .unwrap_or_else(|| "none: see each resource for the fix as code".into()),
        ));
    }
    for f in findings {
        out.push(plain(view, format!("  {} ({})", f.resource_id, f.region)));
    }
    out
}

fn key_lines(view: &View<'_>, i: usize, full: bool) -> Vec<Line<'static>> {
    let k = &view.state.keys[i];
    let events: Vec<_> = view
        .state
        .events
        .iter()
        .filter(|e| e.identity.access_key_id.as_deref() == Some(&k.access_key_id))
        .collect();
    let mut ips: Vec<&str> = events.iter().map(|e| e.source_ip.as_str()).collect();
    ips.sort();
    ips.dedup();
    let status_tone = match k.status {
        KeyStatus::Active => Tone::Ok,
        KeyStatus::Inactive => Tone::Warning,
        KeyStatus::Deleted => Tone::Muted,
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("{}  ", k.access_key_id),
                Style::default()
                    .fg(view.theme.foreground)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(k.status.as_str(), tone_style(view.theme, status_tone)),
        ]),
        label(view, "User", k.user.clone()),
        label(
            view,
            "Created",
            format!(
                "{} UTC ({})",
                full_time(k.created),
                ago(k.created, view.now)
            ),
        ),
        label(
            view,
            "Last used",
            match k.last_used {
                Some(t) => format!(
                    "{} UTC — {} in {}",
                    full_time(t),
                    k.last_used_service.clone().unwrap_or_default(),
                    k.last_used_region.clone().unwrap_or_default()
                ),
                None => "never".into(),
            },
        ),
        label(
            view,
            "Loaded events",
            format!(
                "{} from {} IPs: {}",
                events.len(),
                ips.len(),
                ips.join(", ")
            ),
        ),
    ];
    if let Some(u) = view.state.user(&k.user) {
        let policies: Vec<String> = u
            .attached_policies
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .chain(u.inline_policies.iter().map(|p| format!("{p} (inline)")))
            .collect();
        out.push(label(
            view,
            "Policies",
            if policies.is_empty() {
                "-".into()
            } else {
                policies.join(", ")
            },
        ));
    }
    if full {
        out.push(Line::default());
        out.push(muted(
            view,
            format!(
                "{} deactivate · {} delete · {} deny-all on {} · {} pivot",
                key(view, KeyAction::DeactivateKey),
                key(view, KeyAction::DeleteKey),
                key(view, KeyAction::DenyAll),
                k.user,
                key(view, KeyAction::Pivot)
            ),
        ));
    }
    out
}

fn entry_lines(view: &View<'_>, i: usize) -> (String, Vec<Line<'static>>) {
    let e = &view.state.timeline[i];
    match &e.kind {
        EntryKind::Event { event_id } => {
            if let Some(ev) = view.state.event(event_id) {
                return (
                    format!("Event {}", ev.event_name),
                    event_lines(view, ev, true),
                );
            }
        }
        EntryKind::Alert { alert_id, .. } => {
            if let Some(pos) = view
                .state
                .alerts
                .iter()
                .position(|a| a.alert.id == *alert_id)
            {
                return ("Alert".into(), alert_lines(view, pos, true));
            }
        }
        EntryKind::Action { action_id, .. } => {
            if let Some(a) = view.state.action(action_id) {
                let mut out = vec![heading(
                    view,
                    a.action
                        .as_ref()
                        .map(|x| x.describe())
                        .unwrap_or_else(|| a.id.clone()),
                )];
                out.push(label(view, "Action ID", a.id.clone()));
                for s in &a.steps {
                    out.push(plain(
                        view,
                        format!(
                            "  {}  {:<10} by {}",
                            full_time(s.at),
                            s.step.name(),
                            s.actor
                        ),
                    ));
                    match &s.step {
                        crate::model::Step::Refused { reason }
                        | crate::model::Step::Noop { reason } => {
                            out.push(muted(view, format!("      {reason}")))
                        }
                        crate::model::Step::Failed { error } => out.push(Line::from(Span::styled(
                            format!("      {error}"),
                            tone_style(view.theme, Tone::Error),
                        ))),
                        crate::model::Step::Succeeded { detail } => {
                            out.push(muted(view, format!("      {detail}")))
                        }
                        _ => {}
                    }
                }
                out.push(Line::default());
                out.push(muted(view, "API calls:"));
                for c in &a.calls {
                    out.extend(code(view, &c.to_string()));
                }
                return ("Action".into(), out);
            }
        }
        _ => {}
    }
    (
        "Timeline entry".into(),
        vec![
            heading(view, e.summary.clone()),
            label(view, "When", format!("{} UTC", full_time(e.at))),
            label(view, "By", e.actor.clone()),
            label(view, "Record", format!("#{}", e.seq)),
        ],
    )
}
