//! Drawing: reads the view, never changes it, never waits.

use super::app::{Level, ModeKind, Overlay};
use super::confirm::{Button, Confirm};
use super::detail;
use super::layout::{self, AppLayout, CANCEL_LABEL};
use super::theme::Theme;
use super::view::View;
use super::views::{self, Column, Pane, Row, Tone};
use crate::model::Severity;
use crate::vocabulary::VERBS;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// Draws the whole console.
pub fn draw(frame: &mut Frame<'_>, view: &View<'_>) {
    let area = frame.area();
    let t = view.theme;
    frame.render_widget(Block::default().style(base(t)), area);
    let l = layout::compute(area, view);
    header(frame, view, l.header);
    tabs(frame, view, l.tabs);
    if let Some(r) = l.pivot {
        pivot_bar(frame, view, r);
    }
    if let Some(r) = l.chart {
        timebar::chart(frame, view, r);
    }
    pane(frame, view, &l);
    if let Some(r) = l.replay {
        timebar::replay_line(frame, view, r);
    }
    if let Some(r) = l.preview {
        preview(frame, view, r);
    }
    status(frame, view, l.status);
    match &view.overlay {
        Some(Overlay::Help { scroll }) => help(frame, view, area, *scroll),
        Some(Overlay::Detail { item, scroll }) => {
            let (title, lines) = detail::lines(view, item);
            scrolled_box(frame, view, area, &title, lines, *scroll, detail_hint(view));
        }
        Some(Overlay::Confirm(c)) => confirm(frame, view, area, c),
        Some(Overlay::Blast {
            subject,
            items,
            scroll,
            ..
        }) => {
            let hint = {
                use super::keymap::KeyAction as K;
                let key = |a| view.keymap.keys_for(a).first().cloned().unwrap_or_default();
                format!(
                    " {} close · {}/{} scroll · {} contain ",
                    key(K::Back),
                    key(K::Down),
                    key(K::Up),
                    key(K::Contain)
                )
            };
            scrolled_box(
                frame,
                view,
                area,
                &super::blast::title(subject, items),
                super::blast::lines(items, view.theme),
                *scroll,
                hint,
            );
        }
        None => {}
    }
}

fn base(t: &Theme) -> Style {
    Style::default().fg(t.foreground).bg(t.background)
}

/// The style of a tone, for text in the normal background.
pub fn tone_style(t: &Theme, tone: Tone) -> Style {
    let fg = match tone {
        Tone::Normal => t.foreground,
        Tone::Muted => t.muted,
        Tone::Severity(s) => severity_color(t, s),
        Tone::Ok => t.ok,
        Tone::Warning => t.warning,
        Tone::Error => t.error,
        Tone::Accent => t.accent,
    };
    let mut style = Style::default().fg(fg);
    if matches!(tone, Tone::Severity(Severity::Critical) | Tone::Error) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if t.no_color && tone == Tone::Muted {
        style = style.add_modifier(Modifier::DIM);
    }
    style
}

pub fn severity_color(t: &Theme, s: Severity) -> Color {
    match s {
        Severity::Critical => t.critical,
        Severity::High => t.high,
        Severity::Medium => t.medium,
        Severity::Low => t.low,
        Severity::Info => t.info,
    }
}

fn selection(t: &Theme) -> Style {
    if t.no_color {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
            .fg(t.selection_fg)
            .bg(t.selection_bg)
            .add_modifier(Modifier::BOLD)
    }
}

fn matched(t: &Theme) -> Style {
    let s = Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    if t.no_color { s } else { s.fg(t.match_fg) }
}

fn header(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let m = &view.state.meta;
    let mut spans = vec![
        Span::styled(
            " warroom ",
            Style::default().fg(t.title).add_modifier(Modifier::BOLD),
        ),
        Span::styled("│ ", Style::default().fg(t.border)),
        Span::styled(
            m.title.clone(),
            Style::default()
                .fg(t.foreground)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(" │ ", Style::default().fg(t.border)),
        Span::styled(
            m.severity.as_str().to_uppercase(),
            Style::default()
                .fg(severity_color(t, m.severity))
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(" │ ", Style::default().fg(t.border)),
        Span::styled(m.status.as_str(), Style::default().fg(t.accent)),
    ];
    let spend = view.state.spend_per_hour();
    let compute = view.state.alerts.iter().any(|a| {
        a.status != crate::model::AlertStatus::Resolved && a.alert.spend_per_hour.is_some()
    });
    if spend > 0.0 {
        spans.push(Span::styled(" │ ", Style::default().fg(t.border)));
        spans.push(Span::styled(
            format!("attacker compute ≈ ${spend:.0}/h"),
            Style::default().fg(t.critical).add_modifier(Modifier::BOLD),
        ));
    } else if compute {
        // It ran up a bill, and now nothing of it runs: say so rather than go quiet.
        spans.push(Span::styled(" │ ", Style::default().fg(t.border)));
        spans.push(Span::styled(
            "attacker compute stopped ($0/h)",
            Style::default().fg(t.ok).add_modifier(Modifier::BOLD),
        ));
    }
    let clock = format!(" {} UTC ", view.now.format("%a %Y-%m-%d %H:%M:%S"));
    // The clock always shows; the title gives way when the line is too narrow.
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let width = area.width as usize;
    let overflow = (used + clock.width()).saturating_sub(width);
    if overflow > 0 {
        let title_width = spans[2].content.width();
        let keep = title_width.saturating_sub(overflow + 1).max(1);
        spans[2].content = fit(&m.title, keep).trim_end().to_string().into();
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let pad = width.saturating_sub(used + clock.width());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(clock, Style::default().fg(t.muted)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn tabs(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let mut spans = Vec::new();
    for (pane, label) in layout::tab_labels(view) {
        let style = if pane == view.pane {
            let s = Style::default().add_modifier(Modifier::BOLD);
            if t.no_color {
                s.add_modifier(Modifier::REVERSED)
            } else {
                s.fg(t.tab_active_fg).bg(t.tab_active_bg)
            }
        } else {
            Style::default().fg(t.tab_fg)
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn pivot_bar(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let Some(frame_) = view.pivots.last() else {
        return;
    };
    let events = view.rows[Pane::Activity].unfiltered;
    let alerts = view.rows[Pane::Alerts].unfiltered;
    // The identity the pivot key moves to next.
    let next = (frame_.candidates.len() > 1)
        .then(|| frame_.candidates[(frame_.index + 1) % frame_.candidates.len()].to_string());
    let mut spans = vec![
        Span::styled(
            " PIVOT ",
            Style::default()
                .fg(t.mode_fg)
                .bg(t.mode_bg)
                .add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" {} ", frame_.pivot()),
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!("· {events} events · {alerts} alerts "),
            Style::default().fg(t.foreground),
        ),
    ];
    let key = |a| view.keymap.keys_for(a).first().cloned().unwrap_or_default();
    if let Some(next) = next {
        spans.push(Span::styled(
            format!("│ {}: {next} ", key(super::keymap::KeyAction::Pivot)),
            Style::default().fg(t.muted),
        ));
    }
    spans.push(Span::styled(
        format!("│ {}: back", key(super::keymap::KeyAction::Back)),
        Style::default().fg(t.muted),
    ));
    if view.pivots.len() > 1 {
        spans.push(Span::styled(
            format!(" ({} levels)", view.pivots.len()),
            Style::default().fg(t.muted),
        ));
    }
    // Where the organization's table is asked too: how that is going, what it scanned.
    let shown = frame_.pivot().to_string();
    if let Some(r) = view
        .sources
        .get("athena")
        .filter(|r| r.message.contains(&shown))
    {
        spans.push(Span::styled(
            format!(
                " │ athena: {}",
                r.message.replace(&format!(" for {shown}"), "")
            ),
            Style::default().fg(if r.ok { t.muted } else { t.warning }),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Widths of the columns for a given inner width, one space between columns.
pub fn column_widths(columns: &[Column], width: u16) -> Vec<u16> {
    let gaps = columns.len().saturating_sub(1) as u16;
    let fixed: u16 = columns.iter().map(|c| c.fixed).sum();
    let shares: u16 = columns.iter().map(|c| c.fill).sum();
    let left = width.saturating_sub(fixed + gaps);
    let mut given = 0;
    let mut out: Vec<u16> = columns
        .iter()
        .map(|c| {
            if c.fill == 0 {
                c.fixed
            } else {
                let w = left * c.fill / shares.max(1);
                given += w;
                w
            }
        })
        .collect();
    // Rounding leftovers go to the last flexible column.
    if let Some(i) = columns.iter().rposition(|c| c.fill > 0) {
        out[i] += left.saturating_sub(given);
    }
    out
}

/// Cuts text to `width` columns, marking the cut with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return format!("{text:width$}");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    w += 1;
    out.push_str(&" ".repeat(width.saturating_sub(w)));
    out
}

/// One cell as spans, with fuzzy-matched characters highlighted.
fn cell_spans(
    text: &str,
    width: usize,
    matches: &[usize],
    style: Style,
    hl: Style,
) -> Vec<Span<'static>> {
    let fitted = fit(text, width);
    if matches.is_empty() {
        return vec![Span::styled(fitted, style)];
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_hl = false;
    for (i, c) in fitted.chars().enumerate() {
        let is_hl = matches.contains(&i);
        if is_hl != run_hl && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_hl { style.patch(hl) } else { style },
            ));
        }
        run_hl = is_hl;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(
            run,
            if run_hl { style.patch(hl) } else { style },
        ));
    }
    spans
}

fn row_line(
    view: &View<'_>,
    pane: Pane,
    row: &Row,
    widths: &[u16],
    selected: bool,
) -> Line<'static> {
    let t = view.theme;
    let tone = tone_style(t, row.tone);
    let normal = Style::default().fg(t.foreground);
    let hl = matched(t);
    let mut spans = Vec::new();
    if row.banner {
        let text = format!(
            "{}   {}",
            row.cells[0],
            row.cells.last().cloned().unwrap_or_default()
        );
        let total: usize =
            widths.iter().map(|w| *w as usize).sum::<usize>() + widths.len().saturating_sub(1);
        let style = tone.add_modifier(Modifier::BOLD);
        spans.extend(cell_spans(&text, total, &row.matches[0], style, hl));
    } else {
        let toned = pane.spec().toned_cell;
        for (i, (cell, w)) in row.cells.iter().zip(widths).enumerate() {
            let style = match toned {
                Some(c) if c == i => tone,
                Some(_) => normal,
                None => tone,
            };
            if i > 0 {
                spans.push(Span::raw(" "));
            }
            spans.extend(cell_spans(cell, *w as usize, &row.matches[i], style, hl));
        }
    }
    let line = Line::from(spans);
    if selected {
        line.style(selection(t))
    } else {
        line
    }
}

fn pane(frame: &mut Frame<'_>, view: &View<'_>, l: &AppLayout) {
    let t = view.theme;
    let pane = view.pane;
    let rows = view.current_rows();
    let filter = &view.filters[pane];
    let mut title = format!(" {} ", pane.title());
    if !filter.is_empty() {
        let searching = if rows.filtering {
            ", still searching…"
        } else {
            ""
        };
        title.push_str(&format!(
            "— {} of {} matching \"{filter}\"{searching} ",
            rows.count, rows.unfiltered
        ));
    }
    if pane == Pane::Timeline && view.show_all_events {
        title.push_str("— all events ");
    }
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(t.border_focused))
        .title(Span::styled(
            title,
            Style::default().fg(t.title).add_modifier(Modifier::BOLD),
        ));
    if let Some((text, ok)) = source_health(view, pane) {
        let style = if ok {
            Style::default().fg(t.muted)
        } else {
            Style::default().fg(t.error).add_modifier(Modifier::BOLD)
        };
        block = block.title_bottom(Span::styled(format!(" {text} "), style));
    }
    frame.render_widget(block, l.pane);
    let inner_width = l.rows.width;
    let widths = column_widths(pane.columns(), inner_width);
    let head: Vec<Span> = pane
        .columns()
        .iter()
        .zip(&widths)
        .enumerate()
        .flat_map(|(i, (c, w))| {
            let sep = (i > 0).then(|| Span::raw(" "));
            sep.into_iter().chain(std::iter::once(Span::styled(
                fit(c.title, *w as usize),
                Style::default()
                    .fg(t.header_fg)
                    .add_modifier(Modifier::BOLD),
            )))
        })
        .collect();
    frame.render_widget(
        Paragraph::new(Line::from(head)),
        Rect {
            y: l.rows.y.saturating_sub(1),
            height: 1,
            ..l.rows
        },
    );
    if rows.is_empty() {
        let msg = if rows.filtering {
            format!("Searching for \"{filter}\"…")
        } else if !filter.is_empty() {
            format!("Nothing matches \"{filter}\" — esc clears the filter")
        } else {
            pane.spec().empty.to_string()
        };
        frame.render_widget(
            Paragraph::new(Span::styled(msg, Style::default().fg(t.muted))),
            l.rows,
        );
        return;
    }
    let cursor = view.cursor();
    // The rows on screen were made ready by the last update.
    let lines: Vec<Line> = view
        .visible
        .iter()
        .enumerate()
        .take(l.rows.height as usize)
        .map(|(i, r)| row_line(view, pane, r, &widths, cursor.offset + i == cursor.selected))
        .collect();
    frame.render_widget(Paragraph::new(lines), l.rows);
}

/// One line on how fresh a pane's data is, or what is wrong with its source.
pub fn source_health(view: &View<'_>, pane: Pane) -> Option<(String, bool)> {
    let reports: Vec<_> = view
        .sources
        .values()
        .filter(|r| {
            let family = r.source.split(':').next().unwrap_or(&r.source);
            pane.spec().sources.contains(&family)
        })
        .collect();
    let failing: Vec<_> = reports.iter().filter(|r| !r.ok).collect();
    if let Some(first) = failing.first() {
        let more = match failing.len() {
            1 => String::new(),
            n => format!(" (and {} more failing)", n - 1),
        };
        return Some((format!("{}: {}{more}", first.source, first.message), false));
    }
    let latest = reports.iter().map(|r| r.at).max()?;
    let what = if reports.len() == 1 {
        format!("{}: {}", reports[0].source, reports[0].message)
    } else {
        format!("{} sources", reports.len())
    };
    Some((
        format!("{what} · refreshed {}", views::ago(latest, view.now)),
        true,
    ))
}

fn preview(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(t.border))
        .title(Span::styled(
            " Preview (enter: full detail) ",
            Style::default().fg(t.muted),
        ));
    let lines = match view.selected_item() {
        Some(item) => detail::preview(view, item),
        None => vec![],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn mode_badges(view: &View<'_>) -> Vec<String> {
    let mut out = vec![match view.mode.kind {
        ModeKind::Demo { speed } => format!(" DEMO {speed}× "),
        ModeKind::Live => " LIVE ".into(),
        ModeKind::Replay => " REPLAY ".into(),
    }];
    if view.mode.read_only {
        out.push(" READ-ONLY ".into());
    }
    if view.mode.dry_run {
        out.push(" DRY-RUN ".into());
    }
    if let Some(who) = &view.identity {
        out.push(format!(" as {who} "));
    }
    if let Some(channel) = &view.slack {
        out.push(slack_badge(view, channel));
    }
    out
}

/// The mirror at a glance: the channel, and what is waiting or failing.
fn slack_badge(view: &View<'_>, channel: &str) -> String {
    let waiting: Vec<_> = view.state.undelivered().collect();
    let failing = waiting.iter().find_map(|c| match &c.state {
        crate::state::ChatState::Retrying { error, .. } => Some(error.clone()),
        _ => None,
    });
    match (waiting.len(), failing) {
        (0, _) => format!(" SLACK {channel} ✓ "),
        (n, Some(error)) => format!(" SLACK {n} waiting: {error} "),
        (n, None) => format!(" SLACK {n} queued "),
    }
}

/// Key hints for the current pane, from the live keymap.
pub fn hints(view: &View<'_>) -> Vec<(String, &'static str)> {
    use super::keymap::KeyAction as K;
    let mut wanted = vec![
        (K::Help, "help"),
        (K::Filter, "filter"),
        (K::Command, "command"),
    ];
    wanted.extend(view.pane.spec().hints.iter().copied());
    wanted.push((K::Quit, "quit"));
    wanted
        .into_iter()
        .filter_map(|(a, label)| view.keymap.keys_for(a).first().map(|k| (k.clone(), label)))
        .collect()
}

fn status(frame: &mut Frame<'_>, view: &View<'_>, area: Rect) {
    let t = view.theme;
    if let Some(input) = &view.input {
        let prompt = match input.kind {
            super::input::InputKind::Filter => "/",
            super::input::InputKind::Command => ":",
        };
        let mut spans = vec![
            Span::styled(
                prompt,
                Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
            ),
            Span::styled(input.text.clone(), Style::default().fg(t.foreground)),
        ];
        if input.completions.len() > 1 {
            spans.push(Span::styled(
                format!("   tab: {}", input.completions.join(" │ ")),
                Style::default().fg(t.muted),
            ));
        } else if input.kind == super::input::InputKind::Command && input.text.is_empty() {
            spans.push(Span::styled(
                "   tab completes · help lists commands · esc cancels",
                Style::default().fg(t.muted),
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        let before: String = input.text.chars().take(input.cursor).collect();
        frame.set_cursor_position(Position::new(area.x + 1 + before.width() as u16, area.y));
        return;
    }
    let mut spans = Vec::new();
    for badge in mode_badges(view) {
        spans.push(Span::styled(
            badge,
            if t.no_color {
                Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::default()
                    .fg(t.mode_fg)
                    .bg(t.mode_bg)
                    .add_modifier(Modifier::BOLD)
            },
        ));
        spans.push(Span::raw(" "));
    }
    let next_unattended = crate::respond::unattended::pending(view.state).min_by_key(|(_, at)| *at);
    match (&view.flash, next_unattended) {
        (Some(f), _) => {
            let color = match f.level {
                Level::Info => t.ok,
                Level::Warning => t.warning,
                Level::Error => t.error,
            };
            spans.push(Span::styled(
                f.text.clone(),
                Style::default().fg(color).add_modifier(Modifier::BOLD),
            ));
        }
        // An unattended response waiting for its time says so until it runs or is vetoed.
        (None, Some((v, at))) => {
            if let Some(action) = &v.action {
                // The time and the way to stop it first: the line may be cut at the edge.
                spans.push(Span::styled(
                    format!(
                        "in {} unless vetoed (:veto) — {} by {}",
                        crate::respond::unattended::time_left(at, chrono::Utc::now()),
                        action.describe(),
                        v.requested_by().unwrap_or_default(),
                    ),
                    Style::default().fg(t.warning).add_modifier(Modifier::BOLD),
                ));
            }
        }
        (None, None) => {
            for (key, label) in hints(view) {
                spans.push(Span::styled(
                    key,
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ));
                spans.push(Span::styled(
                    format!(" {label}  "),
                    Style::default().fg(t.status_fg),
                ));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::default().bg(t.status_bg)),
        area,
    );
}

fn detail_hint(view: &View<'_>) -> String {
    use super::keymap::KeyAction as K;
    let key = |a| {
        view.keymap
            .keys_for(a)
            .first()
            .cloned()
            .unwrap_or_else(|| "?".into())
    };
    format!(
        " {} close · {}/{} scroll · {} pivot · {} deactivate key ",
        key(K::Back),
        key(K::Down),
        key(K::Up),
        key(K::Pivot),
        key(K::DeactivateKey)
    )
}

fn scrolled_box(
    frame: &mut Frame<'_>,
    view: &View<'_>,
    screen: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: u16,
    hint: String,
) {
    let t = view.theme;
    let area = layout::centered(
        screen,
        screen.width.saturating_sub(6).max(20),
        screen.height.saturating_sub(4).max(5),
    );
    frame.render_widget(Clear, area);
    let inner_h = area.height.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(inner_h);
    let scroll = scroll.min(max_scroll);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(t.border_focused))
        .title(Span::styled(
            format!(" {title} "),
            Style::default().fg(t.title).add_modifier(Modifier::BOLD),
        ))
        .title_bottom(Span::styled(hint, Style::default().fg(t.muted)))
        .style(base(t));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The help overlay: generated from the active keymap, so it never lies.
pub fn help_lines(view: &View<'_>) -> Vec<Line<'static>> {
    let t = view.theme;
    let mut lines = Vec::new();
    for (group, entries) in view.keymap.help_entries() {
        lines.push(Line::from(Span::styled(
            group.to_string(),
            Style::default().fg(t.title).add_modifier(Modifier::BOLD),
        )));
        for (keys, desc) in entries {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<22}"), Style::default().fg(t.accent)),
                Span::styled(desc.to_string(), Style::default().fg(t.foreground)),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled(
        "Commands (press : then type; tab completes)",
        Style::default().fg(t.title).add_modifier(Modifier::BOLD),
    )));
    for v in VERBS {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<42}", v.usage), Style::default().fg(t.accent)),
            Span::styled(v.help.to_string(), Style::default().fg(t.foreground)),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Dialogs: y confirms (once any code asked for is typed), n or esc cancels, enter presses the focused button (Cancel first), tab switches; in a plan, space ticks a step.",
        Style::default().fg(t.muted),
    )));
    lines.push(Line::from(Span::styled(
        "Mouse: wheel scrolls, click selects, click a selected row to open it, click a tab to switch.",
        Style::default().fg(t.muted),
    )));
    lines
}

fn help(frame: &mut Frame<'_>, view: &View<'_>, area: Rect, scroll: u16) {
    let hint = format!(
        " {} close ",
        view.keymap
            .keys_for(super::keymap::KeyAction::Back)
            .first()
            .cloned()
            .unwrap_or_default()
    );
    scrolled_box(
        frame,
        view,
        area,
        "Help — keys of the active keymap",
        help_lines(view),
        scroll,
        hint,
    );
}

/// The text of the confirm button.
/// The body of the confirmation dialog.
pub fn confirm_lines(c: &Confirm, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        c.action.describe(),
        Style::default()
            .fg(t.foreground)
            .add_modifier(Modifier::BOLD),
    ))];
    if let Some(a) = &c.acting {
        // The account on a line of its own, the principal (a long ARN) on the next: neither
        // is cut at the dialog's edge.
        let (account, who) = a.split_once(" as ").unwrap_or((a.as_str(), ""));
        // An assumed role's session (who at the console) on a third.
        let (who, session) = match who.split_once(" (session ") {
            Some((arn, s)) => (arn, Some(s.trim_end_matches(')'))),
            None => (who, None),
        };
        let mut texts = vec![format!("In {account}"), format!("as {who}")];
        texts.extend(session.map(|s| format!("in session {s}")));
        for text in texts {
            lines.push(Line::from(Span::styled(
                text,
                Style::default().fg(t.foreground),
            )));
        }
    }
    if let Some(w) = &c.warning {
        lines.push(Line::from(Span::styled(
            w.clone(),
            Style::default().fg(t.warning),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        if c.dry_run {
            "Dry run: these calls will be shown, not made:"
        } else {
            "API calls:"
        },
        Style::default().fg(t.muted),
    )));
    // A plan is a checklist of steps, each with its calls, in a window that follows the
    // cursor.
    for (at_cursor, line) in c.plan_window() {
        use super::confirm::PlanLine;
        lines.push(match line {
            PlanLine::Step { ticked, text, .. } => {
                let style = Style::default().fg(if ticked { t.foreground } else { t.muted });
                let style = if at_cursor {
                    style.add_modifier(Modifier::REVERSED)
                } else {
                    style
                };
                Line::from(Span::styled(
                    format!(
                        "{} [{}] {text}",
                        if at_cursor { ">" } else { " " },
                        if ticked { "x" } else { " " }
                    ),
                    style,
                ))
            }
            PlanLine::Call(text) => Line::from(Span::styled(
                format!("        {text}"),
                Style::default().fg(t.code_fg),
            )),
        });
    }
    // Calls are shown whole, wrapped after commas: what is confirmed is exactly what will
    // be sent, and no ID is split across lines.
    for call in c.calls.iter().filter(|_| c.plan.is_none()) {
        for line in c.call_lines(call) {
            lines.push(Line::from(Span::styled(
                format!("  {line}"),
                Style::default().fg(t.code_fg),
            )));
        }
    }
    if let Some(code) = &c.code {
        lines.push(Line::default());
        let typed_ok = c.armed();
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "Type the last {} characters of {} to enable it, then y: ",
                    code.chars().count(),
                    c.action.subject()
                ),
                Style::default().fg(t.warning),
            ),
            Span::styled(
                format!("[{:<4}]", c.typed),
                Style::default()
                    .fg(if typed_ok { t.ok } else { t.foreground })
                    .add_modifier(Modifier::BOLD),
            ),
        ]));
    } else {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "y confirms · n / esc cancels · enter presses the focused button",
            Style::default().fg(t.muted),
        )));
    }
    lines
}

fn confirm(frame: &mut Frame<'_>, view: &View<'_>, screen: Rect, c: &Confirm) {
    let t = view.theme;
    let lines = confirm_lines(c, t);
    let label = c.label();
    let d = layout::dialog(screen, lines.len() as u16, &label);
    frame.render_widget(Clear, d.area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(
            Style::default()
                .fg(t.dialog_border)
                .add_modifier(Modifier::BOLD),
        )
        .title(Span::styled(
            if c.dry_run {
                " Confirm (dry run) "
            } else {
                " Confirm "
            },
            Style::default()
                .fg(t.dialog_border)
                .add_modifier(Modifier::BOLD),
        ))
        .style(base(t));
    frame.render_widget(Paragraph::new(lines).block(block), d.area);
    let button = |focused: bool, enabled: bool| {
        let s = if t.no_color {
            if focused {
                Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
            } else {
                Style::default()
            }
        } else if focused {
            Style::default()
                .fg(t.button_focused_fg)
                .bg(t.button_focused_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.button_fg).bg(t.button_bg)
        };
        if enabled {
            s
        } else {
            s.add_modifier(Modifier::DIM | Modifier::CROSSED_OUT)
        }
    };
    let focus = c.focus;
    frame.render_widget(
        Paragraph::new(Span::styled(
            CANCEL_LABEL,
            button(focus == Button::Cancel, true),
        )),
        d.cancel,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(
            label,
            button(focus == Button::Confirm, c.armed()),
        )),
        d.confirm,
    );
}

mod timebar;

#[cfg(test)]
mod tests;
