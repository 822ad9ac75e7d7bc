//! Answers to `/warroom` queries.

use super::*;

/// The vocabulary, as typed in Slack (console-only verbs left out).
pub fn help() -> ChatMessage {
    let mut b = Blocks::default();
    b.section("*warroom commands* — type them after `/warroom`");
    b.lines(VERBS.iter().filter(|v| !v.console_only).map(|v| {
        format!(
            "{}\n{}",
            code(&format!("/warroom {}", v.usage)),
            escape(v.help)
        )
    }));
    b.context("Actions that change AWS ask for a click to confirm before anything happens.");
    ChatMessage::new("warroom commands", b)
}

/// The incident at a glance.
pub fn status(state: &IncidentState) -> ChatMessage {
    let meta = &state.meta;
    let open: Vec<_> = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
        .collect();
    let by_severity: Vec<String> = Severity::ALL
        .into_iter()
        .filter_map(|s| {
            let n = open.iter().filter(|a| a.alert.severity == s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let rules = state.findings_by_rule();
    let findings: usize = rules.iter().map(|(_, f)| f.len()).sum();
    let active = state
        .keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .count();
    let mut facts = vec![
        format!(
            "{} *{}* · {}",
            severity_icon(meta.severity),
            severity_word(meta.severity),
            meta.status
        ),
        format!(
            "*Alerts open* {}",
            if by_severity.is_empty() {
                "none".to_string()
            } else {
                by_severity.join(", ")
            }
        ),
        format!(
            "*Findings* {findings} non-compliant ({} rule{})",
            rules.len(),
            if rules.len() == 1 { "" } else { "s" }
        ),
        format!(
            "*Keys* {active} active, {} inactive",
            state.keys.len() - active
        ),
    ];
    let spend = state.spend_per_hour();
    if spend > 0.0 {
        facts.push(format!("*Spend* {}", dollars_per_hour(spend)));
    }
    let mut b = Blocks::default();
    b.header(&meta.title).lines(facts);
    let recent: Vec<String> = state
        .actions
        .iter()
        .rev()
        .take(STATUS_ACTIONS_SHOWN)
        .map(action_line)
        .collect();
    if !recent.is_empty() {
        b.divider()
            .lines(std::iter::once("*Last actions*".to_string()).chain(recent));
    }
    let opened = meta.opened_at.map(date_utc).unwrap_or_default();
    b.context(format!(
        "Incident {} · opened {opened} · facts from {}",
        code(&meta.id),
        source_words(&meta.source)
    ));
    ChatMessage::new(
        format!(
            "{} — {}, {}, {} open alert{}",
            meta.title,
            meta.severity,
            meta.status,
            open.len(),
            plural(open.len())
        ),
        b,
    )
}

pub(super) fn action_line(a: &crate::state::ActionView) -> String {
    let what = a
        .action
        .as_ref()
        .map(Action::describe)
        .unwrap_or_else(|| a.id.clone());
    let (icon, label) = a.last().map(step_label).unwrap_or(("", "unknown"));
    let who = a.requested_by().unwrap_or("unknown");
    format!(
        "{icon} {} — {} _({})_",
        escape(&what),
        label.to_lowercase(),
        escape(who)
    )
}

/// Open alerts, worst first.
pub fn alerts(state: &IncidentState) -> ChatMessage {
    let mut open: Vec<_> = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
        .collect();
    open.sort_by(|x, y| {
        y.alert
            .severity
            .cmp(&x.alert.severity)
            .then(y.alert.last_seen.cmp(&x.alert.last_seen))
    });
    let mut b = Blocks::default();
    if open.is_empty() {
        b.section(":white_check_mark: No open alerts.");
        return ChatMessage::new("No open alerts", b);
    }
    b.section(format!("*{} open alert{}*", open.len(), plural(open.len())));
    let items = open.iter().take(LIST_CAP).map(|v| {
        let a = &v.alert;
        let acked = if v.status == AlertStatus::Acknowledged {
            " · acked"
        } else {
            ""
        };
        format!(
            "{} {}\n{}× · last {}{acked} · {}",
            severity_icon(a.severity),
            bold(&clip_plain(&a.title, MAX_LINE)),
            a.count,
            hm_utc(a.last_seen),
            code(&a.id)
        )
    });
    b.lines(items.chain(and_more(open.len().saturating_sub(LIST_CAP))));
    ChatMessage::new(
        format!("{} open alert{}", open.len(), plural(open.len())),
        b,
    )
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Non-compliant resources by rule.
pub fn findings(state: &IncidentState) -> ChatMessage {
    let rules = state.findings_by_rule();
    let total: usize = rules.iter().map(|(_, f)| f.len()).sum();
    let mut b = Blocks::default();
    if rules.is_empty() {
        b.section(":white_check_mark: No non-compliant resources.");
        return ChatMessage::new("No non-compliant resources", b);
    }
    b.section(format!(
        "*{total} non-compliant resource{}* · {} rule{}",
        plural(total),
        rules.len(),
        plural(rules.len())
    ));
    let items = rules.iter().take(LIST_CAP).map(|(rule, found)| {
        let names: Vec<String> = found
            .iter()
            .take(RESOURCES_PER_RULE)
            .map(|f| code(&f.resource_id))
            .collect();
        let more = found.len().saturating_sub(RESOURCES_PER_RULE);
        let mut line = format!("{} ({})\n{}", bold(rule), found.len(), names.join(", "));
        if more > 0 {
            line.push_str(&format!(" _+{more} more_"));
        }
        // Say what can be done about it: a remediation to run, or the fix as code.
        if found.iter().any(|f| f.remediation.is_some()) {
            line.push_str(&format!(
                "\nfix: {}",
                code(&format!("/warroom remediate {rule}"))
            ));
        } else if guidance::for_rule(rule).is_some() {
            line.push_str("\nno auto-fix; the fix as code is in the thread");
        }
        line
    });
    b.lines(items.chain(and_more(rules.len().saturating_sub(LIST_CAP))));
    ChatMessage::new(
        format!("{total} non-compliant resource{}", plural(total)),
        b,
    )
}

/// The latest instant the state knows: the incident's "now" (virtual in the demo).
pub(super) fn latest(state: &IncidentState) -> Option<DateTime<Utc>> {
    state.timeline.last().map(|e| e.at)
}

/// Access keys, full IDs so they can be pasted into a command.
pub fn keys(state: &IncidentState, user: Option<&str>) -> ChatMessage {
    let shown: Vec<&KeySnapshot> = state
        .keys
        .iter()
        .filter(|k| user.is_none_or(|u| k.user == u))
        .collect();
    let mut b = Blocks::default();
    let whose = user.map(|u| format!(" of {}", bold(u))).unwrap_or_default();
    if shown.is_empty() {
        b.section(format!("No access keys known{whose}."));
        return ChatMessage::new("No access keys", b);
    }
    b.section(format!(
        "*{} access key{}*{whose}",
        shown.len(),
        plural(shown.len())
    ));
    let now = latest(state);
    let items = shown
        .iter()
        .take(LIST_CAP * 2)
        .map(|k| key_line(k, state, now));
    b.lines(items.chain(and_more(shown.len().saturating_sub(LIST_CAP * 2))));
    ChatMessage::new(
        format!("{} access key{}", shown.len(), plural(shown.len())),
        b,
    )
}

pub(super) fn key_line(
    k: &KeySnapshot,
    state: &IncidentState,
    now: Option<DateTime<Utc>>,
) -> String {
    let icon = match k.status {
        KeyStatus::Active => ":key:",
        KeyStatus::Inactive => ":lock:",
        KeyStatus::Deleted => ":wastebasket:",
    };
    let age = now
        .map(|n| format!(", {} days old", (n - k.created).num_days().max(0)))
        .unwrap_or_default();
    let used = match k.last_used {
        Some(t) => {
            let via = [
                k.last_used_service.as_deref(),
                k.last_used_region.as_deref(),
            ]
            .into_iter()
            .flatten()
            .map(escape)
            .collect::<Vec<_>>()
            .join(", ");
            let via = if via.is_empty() {
                String::new()
            } else {
                format!(" ({via})")
            };
            format!("last used {}{via}", date_utc(t))
        }
        None => "never used".to_string(),
    };
    let alerted = state.alerts.iter().any(|a| {
        a.status != AlertStatus::Resolved
            && a.alert.access_key_id.as_deref() == Some(&k.access_key_id)
    });
    format!(
        "{icon} {}{}\n{} · {}{age}\n{used}",
        code(&k.access_key_id),
        if alerted { " :rotating_light:" } else { "" },
        escape(&k.user),
        k.status.as_str()
    )
}

/// The last `n` timeline entries, oldest first.
pub fn timeline(state: &IncidentState, n: usize) -> ChatMessage {
    let n = n.clamp(1, 100);
    let all = &state.timeline;
    let shown = &all[all.len().saturating_sub(n)..];
    let mut b = Blocks::default();
    if shown.is_empty() {
        b.section("The timeline is empty.");
        return ChatMessage::new("Empty timeline", b);
    }
    // Dates only when the entries span more than one day.
    let one_day = !spans_days(shown.iter().map(|e| &e.at));
    b.lines(shown.iter().map(|e| timeline_line(e, one_day)));
    b.context(format!(
        "Last {} of {} entries · times UTC{}",
        shown.len(),
        all.len(),
        if one_day {
            format!(" · {}", shown[0].at.format("%Y-%m-%d"))
        } else {
            String::new()
        }
    ));
    ChatMessage::new(format!("Last {} timeline entries", shown.len()), b)
}

pub(super) fn timeline_line(e: &TimelineEntry, one_day: bool) -> String {
    let at = list_time(e.at, !one_day);
    // Facts from sources name their actor in the summary; people are named after it.
    let by_person = matches!(
        e.kind,
        EntryKind::Incident | EntryKind::Note | EntryKind::Action { .. } | EntryKind::Chat { .. }
    );
    let who = if by_person {
        format!(" _({})_", escape(&e.actor))
    } else {
        String::new()
    };
    format!(
        "{} {}{who}",
        code(&at),
        escape(&clip_plain(&one_line(&e.summary), MAX_LINE))
    )
}

/// Everything done by one key, principal, IP, operation or resource: counts first, then
/// the latest events.
pub fn pivot(state: &IncidentState, pivot: &Pivot) -> ChatMessage {
    let events: Vec<&CloudTrailEvent> = state
        .events
        .iter()
        .filter(|e| pivot.matches_event(e))
        .map(|e| e.as_ref())
        .collect();
    let alerts = state
        .alerts
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved && pivot.matches_alert(&a.alert, state))
        .count();
    let keys: Vec<String> = state
        .keys
        .iter()
        .filter(|k| pivot.matches_key(k, state))
        .map(|k| format!("{} {}", code(&k.access_key_id), k.status.as_str()))
        .collect();
    let mut b = Blocks::default();
    b.section(format!(":mag: *Pivot* {}", escape(&pivot.to_string())));
    let failed = events.iter().filter(|e| e.failed()).count();
    let mut facts = vec![format!(
        "*Events* {}{}{}",
        events.len(),
        if failed > 0 {
            format!(" ({failed} failed)")
        } else {
            String::new()
        },
        match (events.first(), events.last()) {
            (Some(f), Some(l)) => format!(" · {}", span(f.event_time, l.event_time)),
            _ => String::new(),
        }
    )];
    facts.push(format!("*Open alerts* {alerts}"));
    if !keys.is_empty() {
        facts.push(format!("*Keys* {}", keys.join(", ")));
    }
    let top = top_counts(events.iter().map(|e| e.event_name.as_str()), 5);
    if !top.is_empty() {
        facts.push(format!("*Calls* {top}"));
    }
    if !matches!(pivot, Pivot::Ip(_)) {
        let ips = top_counts(events.iter().map(|e| e.source_ip.as_str()), 3);
        if !ips.is_empty() {
            facts.push(format!("*From* {ips}"));
        }
    }
    b.lines(facts);
    if !events.is_empty() {
        let latest = &events[events.len().saturating_sub(LIST_CAP)..];
        let dated = spans_days(latest.iter().map(|e| &e.event_time));
        // A principal's pivot is all that principal: naming them on every line is noise.
        let by = !matches!(pivot, Pivot::Principal(_));
        let latest = latest.iter().map(|e| event_line(e, dated, by));
        let earlier = events.len().saturating_sub(LIST_CAP);
        let heading = if earlier > 0 {
            format!("*Latest events* _({earlier} earlier not shown)_")
        } else {
            "*Latest events*".to_string()
        };
        b.lines(std::iter::once(heading).chain(latest));
    }
    ChatMessage::new(format!("Pivot on {pivot}: {} events", events.len()), b)
}

/// "RunInstances ×12, CreateUser ×1": the most frequent values, most frequent first.
pub(super) fn top_counts<'a>(values: impl Iterator<Item = &'a str>, n: usize) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_default() += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let more = sorted.len().saturating_sub(n);
    let mut out: Vec<String> = sorted
        .into_iter()
        .take(n)
        .map(|(v, c)| format!("{} ×{c}", escape(v)))
        .collect();
    if more > 0 {
        out.push(format!("+{more}"));
    }
    out.join(", ")
}

/// `/warroom blast`: what a key or principal created or changed, what it costs now, and
/// the command that undoes each.
pub fn blast(state: &IncidentState, subject: &crate::respond::blast::Subject) -> ChatMessage {
    let items = crate::respond::blast::blast_radius(subject, state);
    let cost: f64 = items.iter().filter_map(|t| t.cost_per_hour).sum();
    let refused = items.iter().filter(|t| t.attempt).count();
    let mut b = Blocks::default();
    b.section(format!(
        ":boom: *Blast radius of* {} — {} created or changed, {refused} refused, *${cost:.2}/h* now",
        escape(subject.name()),
        items.len() - refused
    ));
    let lines: Vec<String> = items
        .iter()
        .map(|t| {
            let undo = match &t.undo {
                Some(a) => format!(" → /warroom {} {}", a.verb(), a.subject()),
                None => String::new(),
            };
            format!(
                "{} {} {} {}{}{}",
                t.region.as_deref().unwrap_or("global"),
                t.kind,
                t.id,
                if t.attempt {
                    "refused".to_string()
                } else {
                    t.now.clone().unwrap_or_default()
                },
                t.cost_per_hour
                    .map_or(String::new(), |c| format!(" ${c:.2}/h")),
                undo
            )
        })
        .collect();
    b.code(&lines.join("\n"));
    b.context(format!(
        "/warroom contain {} plans all of it at once",
        escape(subject.name())
    ));
    ChatMessage::new(
        format!("Blast radius of {}: ${cost:.2}/h now", subject.name()),
        b,
    )
}
