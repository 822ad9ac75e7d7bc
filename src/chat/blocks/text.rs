//! Text: escaping, clipping, formatting — everything that goes into a message passes here.

use super::*;

/// Escapes the three characters Slack gives meaning to. After this, user text cannot
/// become `<!channel>`, `<@U…>` or a disguised link.
pub fn escape(s: &str) -> String {
    crate::model::printable(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Collapses newlines and runs of spaces: fallback text, headers and list lines are one line.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts plain text to `max` characters, ending with "…" when cut.
pub(super) fn clip_plain(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Cuts escaped mrkdwn to `max` characters without leaving half an entity (`&am`) or half
/// a mention or link (`<@U12`), which Slack would show as garbage or refuse.
pub(super) fn clip_mrkdwn(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    loop {
        let len = cut.len();
        if let Some(amp) = cut.rfind('&')
            && !cut[amp..].contains(';')
        {
            cut.truncate(amp);
        }
        if let Some(lt) = cut.rfind('<')
            && !cut[lt..].contains('>')
        {
            cut.truncate(lt);
        }
        if cut.len() == len {
            break;
        }
    }
    cut.push('…');
    cut
}

/// Inline code. A backtick inside would end the span early, so it becomes a quote.
pub(super) fn code(s: &str) -> String {
    format!("`{}`", escape(&s.replace('`', "'")))
}

/// Bold. An asterisk inside would end the emphasis early, so it is dropped.
pub(super) fn bold(s: &str) -> String {
    format!("*{}*", escape(&s.replace('*', "")))
}

/// A fenced code block whose body fits `max` characters with its fences.
pub(super) fn code_block(raw: &str, max: usize) -> String {
    // Three backticks inside would close the fence: break them up.
    let body = escape(&raw.replace("```", "`\u{200b}``"));
    let body = clip_mrkdwn(&body, max.saturating_sub(8));
    format!("```\n{body}\n```")
}

pub(super) fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

pub(super) fn hm_utc(t: DateTime<Utc>) -> String {
    t.format("%H:%M UTC").to_string()
}

pub(super) fn date_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A time in a list: the date too when the list spans more than one day, so that
/// yesterday's 09:02 is not read as this morning's.
pub(super) fn list_time(t: DateTime<Utc>, dated: bool) -> String {
    if dated {
        t.format("%m-%d %H:%M").to_string()
    } else {
        hms(t)
    }
}

pub(super) fn spans_days<'a>(mut times: impl Iterator<Item = &'a DateTime<Utc>>) -> bool {
    let Some(first) = times.next() else {
        return false;
    };
    times.any(|t| t.date_naive() != first.date_naive())
}

/// "07:38–08:12 UTC", or with dates when the two are on different days.
pub(super) fn span(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    if first.date_naive() != last.date_naive() {
        format!(
            "{} – {} UTC",
            first.format("%m-%d %H:%M"),
            last.format("%m-%d %H:%M")
        )
    } else if first.format("%H:%M").to_string() == last.format("%H:%M").to_string() {
        hm_utc(last)
    } else {
        format!("{}–{}", first.format("%H:%M"), hm_utc(last))
    }
}

pub(super) fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":red_circle:",
        Severity::High => ":large_orange_circle:",
        Severity::Medium => ":large_yellow_circle:",
        Severity::Low => ":large_blue_circle:",
        Severity::Info => ":white_circle:",
    }
}

pub(super) fn severity_word(s: Severity) -> String {
    s.as_str().to_uppercase()
}

pub(super) fn dollars_per_hour(usd: f64) -> String {
    format!("≈ ${usd:.0}/hour")
}

/// "and 3 more" after a capped list.
pub(super) fn and_more(n: usize) -> Option<String> {
    (n > 0).then(|| format!("_…and {n} more_"))
}

/// A Slack user mention for a principal, when the configuration maps it. IDs are
/// checked for shape so a bad config entry cannot inject markup.
pub(super) fn mention(opts: &MirrorOptions, names: &[String]) -> Option<String> {
    slack_user(opts, names).map(|id| format!("<@{id}>"))
}

/// The Slack user ID the configuration maps one of `names` to, checked for shape.
pub(super) fn slack_user<'a>(opts: &'a MirrorOptions, names: &[String]) -> Option<&'a str> {
    names
        .iter()
        .filter_map(|n| opts.mentions.get(n))
        .find(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(String::as_str)
}
