//! The blast radius overlay: what a key or principal created or changed, one line each,
//! with where it is, what it is doing now, what it costs and what undoes it.

use super::theme::Theme;
use crate::respond::blast::{Subject, Touched};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The overlay's title: whose, how much, what it costs now.
pub fn title(subject: &Subject, items: &[Touched]) -> String {
    let made = items.iter().filter(|t| !t.attempt).count();
    let tried = items.len() - made;
    let cost: f64 = items.iter().filter_map(|t| t.cost_per_hour).sum();
    format!(
        "Blast radius of {} — {made} created or changed, {tried} refused, ${cost:.2}/h now",
        subject.name()
    )
}

/// One line per thing touched, oldest first; refused calls are shown as attempts.
pub fn lines(items: &[Touched], t: &Theme) -> Vec<Line<'static>> {
    let head = Style::default().fg(t.muted).add_modifier(Modifier::BOLD);
    let mut out = vec![Line::from(Span::styled(
        format!(
            "{:<8} {:<14} {:<14} {:<34} {:<22} {:>9}  {}",
            "WHEN", "REGION", "WHAT", "ID", "NOW", "$/HOUR", "UNDONE BY"
        ),
        head,
    ))];
    if items.is_empty() {
        out.push(Line::from(Span::styled(
            "Nothing created or changed in the loaded CloudTrail.",
            Style::default().fg(t.muted),
        )));
    }
    for i in items {
        let now = if i.attempt {
            format!("refused ({})", i.call)
        } else {
            i.now.clone().unwrap_or_else(|| "—".into())
        };
        let cost = i.cost_per_hour.map_or(String::new(), |c| format!("{c:.2}"));
        let undo = match &i.undo {
            Some(a) => format!(":{} {}", a.verb(), a.subject()),
            None if i.attempt => "nothing was made".into(),
            None => "by hand (no response for it)".into(),
        };
        let style = if i.attempt {
            Style::default().fg(t.muted)
        } else if i.cost_per_hour.is_some_and(|c| c > 0.0) {
            Style::default().fg(t.warning)
        } else {
            Style::default().fg(t.foreground)
        };
        out.push(Line::from(Span::styled(
            format!(
                "{:<8} {:<14} {:<14} {:<34} {:<22} {:>9}  {undo}",
                i.at.format("%H:%M:%S"),
                i.region.as_deref().unwrap_or("global"),
                i.kind,
                clip(&i.id, 34),
                clip(&now, 22),
                cost,
            ),
            style,
        )));
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}
