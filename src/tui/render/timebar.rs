//! The event-rate chart and the replay line: time, drawn.

use super::super::app::{describe_window, human_bytes};
use super::super::keymap::KeyAction;
use super::super::rate;
use super::super::view::View;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, SparklineBar};

/// The first key bound to `action`, for hints.
fn key(view: &View<'_>, action: KeyAction) -> String {
    view.keymap
        .keys_for(action)
        .first()
        .cloned()
        .unwrap_or_else(|| format!(":{}", action.name()))
}

/// Bars of events per slice of time, the selected one marked, and a legend under them.
pub(super) fn chart(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let Some(chart) = &view.chart else {
        return;
    };
    let [bars, legend] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Min(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(area);
    let selected = view.chart_bar;
    let data: Vec<SparklineBar> = chart
        .counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let bar = SparklineBar::from(c);
            if Some(i) == selected {
                bar.style(Style::default().fg(t.match_fg).add_modifier(Modifier::BOLD))
            } else {
                bar
            }
        })
        .collect();
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .style(Style::default().fg(t.info).bg(t.background)),
        bars,
    );
    let whole = rate::Window {
        from: chart.from,
        to: chart.from + chart.bucket * chart.counts.len() as i32,
    };
    let mut spans = vec![Span::styled(
        format!(
            "events per {} · {} · {} in all",
            rate::describe(chart.bucket),
            describe_window(whole),
            chart.total()
        ),
        Style::default().fg(t.muted),
    )];
    if let Some(i) = selected {
        let w = chart.bar(i);
        spans.push(Span::styled(
            format!(
                "  ▍{} {}: {}",
                w.from.format("%H:%M:%S"),
                rate::describe(chart.bucket),
                chart.counts.get(i).copied().unwrap_or(0)
            ),
            Style::default().fg(t.match_fg),
        ));
    }
    spans.push(Span::styled(
        format!(
            "  {}/{} select · {} narrow{}",
            key(view, KeyAction::ChartLeft),
            key(view, KeyAction::ChartRight),
            key(view, KeyAction::Window),
            if view.window().is_some() {
                format!(" · {} widen", key(view, KeyAction::Back))
            } else {
                String::new()
            }
        ),
        Style::default().fg(t.muted),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), legend);
}

/// Where the replay clock is in the recording, and how a long load is going.
pub(super) fn replay_line(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let mut spans = Vec::new();
    if let Some(load) = view.load.as_ref().filter(|l| !l.done) {
        let files = if load.files_total > 0 {
            format!("{}/{} files", load.files_done, load.files_total)
        } else {
            format!("{} files", load.files_done)
        };
        spans.push(Span::styled(
            format!(
                "loading {} · {files} · {} events · {} · {:.0} events/s · {} stops  ",
                load.source,
                load.events,
                human_bytes(load.bytes),
                load.events_per_second(),
                key(view, KeyAction::Back),
            ),
            Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(clock) = view.replay_clock() {
        let icon = if clock.playing { "▶" } else { "⏸" };
        spans.push(Span::styled(
            format!(
                "{icon} {}× {} UTC ",
                clock.speed,
                clock.at.format("%Y-%m-%d %H:%M:%S")
            ),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ));
        let width = 24usize;
        let done = ((clock.fraction() * width as f64).round() as usize).min(width);
        spans.push(Span::styled(
            "━".repeat(done),
            Style::default().fg(t.accent),
        ));
        spans.push(Span::styled(
            "─".repeat(width - done),
            Style::default().fg(t.muted),
        ));
        let position = match view.replay.as_ref().and_then(|r| r.script.as_ref()) {
            Some(s) => format!(
                " {:>3.0}% · record {}/{}",
                clock.fraction() * 100.0,
                s.applied(),
                s.len()
            ),
            None => format!(" {:>3.0}%", clock.fraction() * 100.0),
        };
        spans.push(Span::styled(position, Style::default().fg(t.foreground)));
        spans.push(Span::styled(
            format!(
                "  {} play/pause · {}/{} speed · {}/{} step · :jump TIME",
                key(view, KeyAction::PlayPause),
                key(view, KeyAction::Slower),
                key(view, KeyAction::Faster),
                key(view, KeyAction::StepBack),
                key(view, KeyAction::StepForward),
            ),
            Style::default().fg(t.muted),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
