//! The incident thread: one message per record that deserves one.

use super::*;

/// The message a journal record deserves in the incident thread, if any. `before` is the
/// incident state BEFORE `rec` is applied (so an alert can be told apart from its update).
pub fn message_for(
    rec: &Record,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    // No catch-all arm: a new kind of record has to be decided on here.
    match &rec.body {
        RecordBody::IncidentOpened(o) => Some(opened(rec, o, before)),
        RecordBody::IncidentChanged(c) => Some(changed(rec, c, before)),
        RecordBody::Note(n) => Some(note(rec, n)),
        // Each call, and each step of a plan, is in the journal; the thread hears that the
        // plan was asked for, confirmed, and how it ended (with the step that stopped it):
        // a plan of hundreds of steps must not bury the thread at one message a second.
        RecordBody::Action(ActionStep {
            step:
                Step::Progress { made: Some(_), .. }
                | Step::Progress {
                    done_step: Some(_), ..
                },
            ..
        }) => None,
        RecordBody::Action(s) => Some(action_step(rec, s, before)),
        RecordBody::Alert(a) => alert_raised(a, before, opts),
        RecordBody::AlertStatus(c) => alert_status(rec, c, before, opts),
        RecordBody::Finding(f) => finding(f, before, opts),
        RecordBody::Key(k) => key_changed(rec, k, before),
        // The raw feed is too loud for a thread; alerts and findings speak for it.
        RecordBody::Event(_)
        | RecordBody::User(_)
        | RecordBody::SourceStatus(_)
        | RecordBody::ChatQueued(_)
        | RecordBody::ChatDelivery(_)
        | RecordBody::Inbound(_)
        | RecordBody::Unknown { .. } => None,
    }
}

pub(super) fn source_words(source: &str) -> String {
    match source {
        "demo" => "the demo (a simulated AWS account)".into(),
        "live" => "the live AWS account (CloudTrail, IAM, Config)".into(),
        other => escape(other),
    }
}

pub(super) fn opened(rec: &Record, o: &IncidentOpened, before: &IncidentState) -> ChatMessage {
    let mut b = Blocks::default();
    b.header(&format!(":rotating_light: {}", o.title))
        .section(format!(
            "{} *{}* severity · {}",
            severity_icon(o.severity),
            severity_word(o.severity),
            before.meta.status
        ))
        .section(
            "Every alert, action and note of this incident lands in this thread.\n\
             Ask: `/warroom status` · `/warroom alerts` · `/warroom help`",
        )
        .context(format!(
            "Incident {} · opened {} by {} · facts from {}",
            code(&o.id),
            date_utc(rec.at),
            escape(&rec.actor),
            source_words(&o.source)
        ));
    ChatMessage::new(format!("Incident opened: {} ({})", o.title, o.severity), b)
}

pub(super) fn changed(rec: &Record, c: &IncidentChange, before: &IncidentState) -> ChatMessage {
    let meta = &before.meta;
    let (field, old, new) = match c {
        IncidentChange::Title(t) => ("Title", meta.title.clone(), t.clone()),
        IncidentChange::Severity(s) => ("Severity", meta.severity.to_string(), s.to_string()),
        IncidentChange::Status(s) => ("Status", meta.status.to_string(), s.to_string()),
    };
    let icon = match c {
        IncidentChange::Status(IncidentStatus::Resolved) => ":white_check_mark:",
        IncidentChange::Status(_) => ":traffic_light:",
        IncidentChange::Severity(s) => severity_icon(*s),
        IncidentChange::Title(_) => ":pencil2:",
    };
    let mut b = Blocks::default();
    b.section(format!("{icon} *{field}* → {}", bold(&new)))
        .context(format!(
            "was {} · by {} · {}",
            escape(&old),
            escape(&rec.actor),
            hm_utc(rec.at)
        ));
    ChatMessage::new(format!("{field} set to {new} by {}", rec.actor), b)
}

pub(super) fn note(rec: &Record, n: &Note) -> ChatMessage {
    let mut b = Blocks::default();
    b.section(format!(
        ":memo: {}: {}",
        bold(&rec.actor),
        escape(n.text.trim())
    ))
    .context(hm_utc(rec.at));
    ChatMessage::new(format!("{}: {}", rec.actor, n.text), b)
}

pub(super) fn origin_words(origin: Origin) -> &'static str {
    match origin {
        Origin::Tui => "the console",
        Origin::Slack => "Slack",
        Origin::Cli => "the command line",
        Origin::Policy => "an unattended policy",
    }
}

/// The calls exactly as they will be made, one a line.
pub(super) fn calls_text(calls: &[ApiCall]) -> String {
    calls
        .iter()
        .map(ApiCall::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The calls an action makes, or a plan's steps (each call is journaled as it is made).
pub(super) fn what_runs(b: &mut Blocks, action: &Action, calls: &[ApiCall]) {
    match action {
        Action::Contain { steps, .. } => {
            let list: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(k, s)| format!("{}. {}", k + 1, s.describe()))
                .collect();
            b.section(format!(
                "{} steps in order, {} API calls in all; the first failure stops the plan:",
                steps.len(),
                calls.len()
            ))
            .code(&list.join("\n"));
        }
        _ => {
            b.code(&calls_text(calls));
        }
    }
}

pub(super) fn step_label(step: &Step) -> (&'static str, &'static str) {
    match step {
        Step::Requested { .. } => (":hourglass_flowing_sand:", "Requested"),
        Step::Confirmed => (":ballot_box_with_check:", "Confirmed"),
        Step::Progress { .. } => (":arrows_counterclockwise:", "In progress"),
        Step::Cancelled => (":heavy_multiplication_x:", "Cancelled"),
        Step::Refused { .. } => (":no_entry:", "Refused"),
        Step::Noop { .. } => (":heavy_minus_sign:", "Nothing to do"),
        Step::DryRun { .. } => (":test_tube:", "Dry run"),
        Step::Succeeded { .. } => (":white_check_mark:", "Done"),
        Step::Failed { .. } => (":x:", "Failed"),
    }
}

pub(super) fn action_step(rec: &Record, s: &ActionStep, before: &IncidentState) -> ChatMessage {
    let view = before.action(&s.action_id);
    let action = match &s.step {
        Step::Requested { action, .. } => Some(action),
        _ => view.and_then(|v| v.action.as_ref()),
    };
    let what = action
        .map(Action::describe)
        .unwrap_or_else(|| format!("action {}", s.action_id));
    let (icon, label) = step_label(&s.step);
    let by = format!("{} · {}", escape(&rec.actor), hm_utc(rec.at));
    let mut b = Blocks::default();
    b.section(format!("{icon} *{label}:* {}", escape(&what)));
    match &s.step {
        Step::Requested {
            origin,
            calls,
            runs_at,
            action,
            ..
        } => {
            b.context(format!(
                "by {} from {} · {}",
                escape(&rec.actor),
                origin_words(*origin),
                hm_utc(rec.at)
            ));
            what_runs(&mut b, action, calls);
            if let Some(at) = runs_at {
                // The announcement of an unattended response: anyone allowed may stop it.
                let value = crate::respond::lifecycle::confirmation_value(&s.action_id, action);
                b.section(format!(
                    ":stopwatch: Runs at *{}* unless vetoed",
                    at.format("%H:%M:%S UTC")
                ))
                .actions(vec![button("Veto", CANCEL_ACTION_ID, &value)]);
            }
        }
        Step::Confirmed => {
            let requester = view.and_then(|v| v.requested_by());
            let who = match requester {
                Some(r) if r != rec.actor => format!(
                    "by {} · requested by {} · two people agreed",
                    escape(&rec.actor),
                    escape(r)
                ),
                _ => format!("by {}, who requested it", escape(&rec.actor)),
            };
            b.context(format!("{who} · {}", hm_utc(rec.at)));
        }
        Step::Refused { reason } | Step::Noop { reason } => {
            b.section(escape(reason)).context(by);
        }
        Step::Progress { detail, .. } | Step::Succeeded { detail } => {
            b.section(escape(detail)).context(by);
        }
        Step::Failed { error } => {
            b.code(error).context(by);
        }
        Step::DryRun { calls } => {
            b.section("Nothing was changed. These calls would have been made:")
                .code(&calls_text(calls))
                .context(by);
        }
        Step::Cancelled => {
            b.context(by);
        }
    }
    let detail = match &s.step {
        Step::Refused { reason } | Step::Noop { reason } => format!(": {reason}"),
        Step::Failed { error } => format!(": {error}"),
        Step::Progress { detail, .. } | Step::Succeeded { detail } if !detail.is_empty() => {
            format!(": {detail}")
        }
        _ => String::new(),
    };
    ChatMessage::new(format!("{label}: {what} ({}){detail}", rec.actor), b)
}

/// The `/warroom` commands that answer an alert, in playbook order: stop the key, block
/// the principal whatever credentials it holds, end its live sessions, then review what
/// it did and created.
pub(super) fn suggested_responses(
    a: &Alert,
    before: &IncidentState,
) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    if let Some(k) = &a.access_key_id
        && !before.key_is_inactive(k)
    {
        out.push((format!("deactivate {k}"), "stop the key"));
    }
    if let Some(p) = &a.principal {
        match crate::respond::resolve::principal_named(p, before) {
            Some(crate::model::PrincipalRef::User(u)) => {
                out.push((format!("deny-all {u}"), "block the user, any credentials"));
                out.push((
                    format!("revoke-sessions {u}"),
                    "end sessions already issued",
                ));
            }
            Some(crate::model::PrincipalRef::Role(r)) => {
                out.push((
                    format!("revoke-sessions role/{r}"),
                    "end the role's live sessions",
                ));
            }
            None => {}
        }
    }
    let target = a
        .access_key_id
        .clone()
        .or_else(|| a.principal.clone())
        .or_else(|| a.source_ip.clone());
    if let Some(t) = target {
        out.push((format!("pivot {t}"), "review what it did and created"));
    }
    out
}

/// One CloudTrail call in a list: when, what, where, by whom (unless the list is all one
/// principal's), and how it failed.
pub(super) fn event_line(e: &CloudTrailEvent, dated: bool, by: bool) -> String {
    let mut line = format!(
        "{} {} {}",
        code(&list_time(e.event_time, dated)),
        escape(e.service()),
        bold(&e.event_name)
    );
    if !e.aws_region.is_empty() {
        line.push_str(&format!(" ({})", escape(&e.aws_region)));
    }
    if by {
        line.push_str(&format!(" by {}", escape(&e.identity.display())));
    }
    if let Some(err) = &e.error_code {
        line.push_str(&format!(" — {}", escape(err)));
    }
    line
}

pub(super) fn alert_raised(
    a: &Alert,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    if a.severity < opts.min_alert_severity {
        return None;
    }
    // A grown record is the alert's new calls: the message is about all of them.
    let whole = before.alert(&a.id).map(|p| a.grown_onto(&p.alert));
    let a = whole.as_ref().unwrap_or(a);
    let icon = severity_icon(a.severity);
    let sev = severity_word(a.severity);
    let title = escape(&a.title.replace('*', ""));
    // Same order as the state's fold: a resolved alert that fires again is reopened.
    let (headline, summary) = match before.alert(&a.id) {
        None => (
            format!("{icon} *{sev} · {title}*"),
            format!("Alert {}", a.severity),
        ),
        Some(p) if p.status == AlertStatus::Resolved && a.last_seen > p.alert.last_seen => (
            format!("{icon} *Reopened, {sev} · {title}*"),
            format!("Alert reopened ({})", a.severity),
        ),
        Some(p) if a.severity > p.alert.severity => (
            format!(
                "{icon} *Escalated {} → {sev} · {title}*",
                severity_word(p.alert.severity),
            ),
            format!("Alert escalated to {}", a.severity),
        ),
        Some(_) => return None,
    };
    let mut b = Blocks::default();
    b.section(headline).section(escape(&a.explanation));
    b.lines(alert_facts(a, before));
    let calls: Vec<&CloudTrailEvent> = a
        .event_ids
        .iter()
        .rev()
        .filter_map(|id| before.event(id))
        .take(ALERT_CALLS_SHOWN)
        .map(|e| e.as_ref())
        .collect();
    let dated = spans_days(calls.iter().map(|e| &e.event_time));
    // The alert already names its principal: the calls need not repeat it.
    let shown: Vec<String> = calls.iter().map(|e| event_line(e, dated, false)).collect();
    if !shown.is_empty() {
        let more = a.event_ids.len().saturating_sub(shown.len());
        b.lines(
            std::iter::once("*Latest calls*".to_string())
                .chain(shown.into_iter().rev())
                .chain(and_more(more)),
        );
    }
    let responses = suggested_responses(a, before);
    if !responses.is_empty() {
        b.lines(
            std::iter::once("*Respond*".to_string()).chain(responses.iter().enumerate().map(
                |(i, (cmd, why))| {
                    format!("{}. {} — {why}", i + 1, code(&format!("/warroom {cmd}")))
                },
            )),
        );
    }
    b.context(format!("Rule {} · alert {}", code(&a.rule), code(&a.id)));
    Some(ChatMessage::new(format!("{summary}: {}", a.title), b))
}

/// Who, which key, from where, how often, at what cost: one short line each.
pub(super) fn alert_facts(a: &Alert, before: &IncidentState) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(p) = &a.principal {
        facts.push(format!("*Who* {}", escape(p)));
    }
    if let Some(k) = &a.access_key_id {
        let state = before
            .key(k)
            .map(|s| format!(" ({})", s.status.as_str()))
            .unwrap_or_default();
        facts.push(format!("*Key* {}{state}", code(k)));
    }
    if let Some(ip) = &a.source_ip {
        facts.push(format!("*From* {}", escape(ip)));
    }
    let times = span(a.first_seen, a.last_seen);
    facts.push(format!(
        "*Seen* {} time{} · {times}",
        a.count,
        plural(a.count as usize)
    ));
    if let Some(usd) = a.spend_per_hour {
        facts.push(format!("*Spend* {}", dollars_per_hour(usd)));
    }
    facts
}

pub(super) fn alert_status(
    rec: &Record,
    c: &AlertStatusChange,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    // The state ignores changes to unknown alerts; so does the thread, and it stays quiet
    // about alerts it never announced or that are already where the change puts them.
    let view = before.alert(&c.alert_id)?;
    if view.alert.severity < opts.min_alert_severity || view.status == c.status {
        return None;
    }
    let (icon, word) = match c.status {
        AlertStatus::Acknowledged => (":eyes:", "Acknowledged"),
        AlertStatus::Resolved => (":white_check_mark:", "Resolved"),
        AlertStatus::Open => (":leftwards_arrow_with_hook:", "Reopened"),
    };
    let mut b = Blocks::default();
    b.section(format!("{icon} *{word}:* {}", escape(&view.alert.title)))
        .context(format!(
            "by {} · {} · alert {}",
            escape(&rec.actor),
            hm_utc(rec.at),
            code(&c.alert_id)
        ));
    Some(ChatMessage::new(
        format!("Alert {word} by {}: {}", rec.actor, view.alert.title),
        b,
    ))
}

pub(super) fn finding(
    f: &Finding,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    let prior = before
        .findings
        .iter()
        .find(|p| p.rule == f.rule && p.resource_id == f.resource_id);
    match prior {
        None if f.is_non_compliant() && f.remediation.is_none() => fix_as_code(f, before, opts),
        Some(p) if p.is_non_compliant() && f.compliance == "COMPLIANT" => Some(compliant_again(f)),
        _ => None,
    }
}

/// Who hears of record `rec` by direct message besides the thread: with
/// `notify_committers`, the people who wrote the template lines of a finding that gets the
/// fix as code, the most recent first, at most [`COMMITTERS_TOLD`] of them — each as the
/// Slack user `[slack.users]` maps them to, or else their e-mail, to be looked up.
pub fn direct_recipients(
    rec: &Record,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Vec<String> {
    let RecordBody::Finding(f) = &rec.body else {
        return Vec::new();
    };
    if !opts.notify_committers || finding(f, before, opts).is_none() || !f.is_non_compliant() {
        return Vec::new();
    }
    let Some(c) = opts
        .code
        .finding(f, before.tagged_stack(&f.resource_id).as_ref())
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for a in &c.authors {
        let names = [a.email.clone(), a.name.clone()];
        let to = match slack_user(opts, &names) {
            Some(id) => id.to_string(),
            None if a.email.contains('@') => a.email.clone(),
            None => continue,
        };
        if !out.contains(&to) {
            out.push(to);
        }
    }
    out.truncate(COMMITTERS_TOLD);
    out
}

/// The recent committers a finding is sent to directly: the people who own the lines now.
pub const COMMITTERS_TOLD: usize = 5;

/// A finding no remediation can fix: the fix as code, and who to ask to apply it.
pub(super) fn fix_as_code(
    f: &Finding,
    before: &IncidentState,
    opts: &MirrorOptions,
) -> Option<ChatMessage> {
    let known = guidance::for_rule(&f.rule);
    let (why, snippet) = match (&known, &f.guidance) {
        (Some(g), _) => (g.summary.to_string(), g.code.to_string()),
        (None, Some(code)) => (f.rule_description.clone(), code.clone()),
        (None, None) => return None,
    };
    let mut b = Blocks::default();
    b.section(format!(
        ":warning: {} fails {}",
        code(&f.resource_id),
        bold(&f.rule)
    ))
    .context(format!(
        "{} · {} · no automatic remediation",
        escape(&f.resource_type),
        escape(&f.region)
    ));
    if let Some(a) = &f.annotation {
        b.section(escape(a));
    }
    match opts
        .code
        .finding(f, before.tagged_stack(&f.resource_id).as_ref())
    {
        // In the code: where, under which rule it is checked before deploy, the patch.
        Some(c) if c.patch.is_some() => {
            let checked = if c.rule.is_empty() {
                String::new()
            } else {
                format!(", checked before deploy as {}", code(c.rule))
            };
            b.section(format!(
                "*In the code* {} ({}){checked} — {}",
                code(&format!("{}:{}", c.path, c.line)),
                escape(&c.logical_id),
                escape(&why)
            ))
            .code(c.patch.as_deref().unwrap_or_default());
            if !c.authors.is_empty() {
                // The people who wrote those lines, latest first: they own the fix.
                let who: Vec<String> = c
                    .authors
                    .iter()
                    .map(|a| {
                        let names = [a.email.clone(), a.name.clone()];
                        match mention(opts, &names) {
                            Some(m) => format!("{} {m}", escape(&a.name)),
                            None => escape(&a.name),
                        }
                    })
                    .collect();
                b.section(format!("*Written by* {}", who.join(", ")));
            }
        }
        _ => {
            b.section(format!("*The fix* {}", escape(&why)))
                .code(&snippet);
        }
    }
    b.section(creator_line(&f.resource_id, before, opts));
    Some(ChatMessage::new(
        format!("{} fails {}: fix as code", f.resource_id, f.rule),
        b,
    ))
}

/// Who created a resource, from the CloudTrail call that made it, mentioning them when
/// their Slack user is known: they own the stack the fix goes into.
pub(super) fn creator_line(resource: &str, before: &IncidentState, opts: &MirrorOptions) -> String {
    match before.creator_of(resource) {
        Some(e) => {
            let names = [e.identity.display(), e.identity.principal_name()];
            let who = mention(opts, &names)
                .map(|m| format!(" {m}"))
                .unwrap_or_default();
            format!(
                "*Created by* {}{who}\n{} on {}",
                escape(&names[0]),
                escape(&e.event_name),
                date_utc(e.event_time)
            )
        }
        None => "_Creator unknown: its Create call is not in the loaded CloudTrail history._"
            .to_string(),
    }
}

pub(super) fn compliant_again(f: &Finding) -> ChatMessage {
    let mut b = Blocks::default();
    b.section(format!(
        ":white_check_mark: {} now complies with {}",
        code(&f.resource_id),
        bold(&f.rule)
    ));
    let when = f.evaluated_at.map(hm_utc).unwrap_or_default();
    let why = f.annotation.as_deref().map(escape).unwrap_or_default();
    b.context(
        [why, when]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
    );
    ChatMessage::new(format!("{} now complies with {}", f.resource_id, f.rule), b)
}

pub(super) fn key_changed(
    rec: &Record,
    k: &KeySnapshot,
    before: &IncidentState,
) -> Option<ChatMessage> {
    let old = before.key(&k.access_key_id)?.status;
    if old == k.status {
        return None;
    }
    // A key coming back to life during an incident is a warning, not good news.
    let icon = match k.status {
        KeyStatus::Inactive => ":lock:",
        KeyStatus::Deleted => ":wastebasket:",
        KeyStatus::Active => ":warning:",
    };
    let mut b = Blocks::default();
    b.section(format!(
        "{icon} Access key {} of {} is now *{}*",
        code(&k.access_key_id),
        bold(&k.user),
        k.status.as_str()
    ))
    .context(format!("was {} · IAM at {}", old.as_str(), hm_utc(rec.at)));
    Some(ChatMessage::new(
        format!(
            "Access key {} of {} is now {}",
            k.access_key_id,
            k.user,
            k.status.as_str()
        ),
        b,
    ))
}
