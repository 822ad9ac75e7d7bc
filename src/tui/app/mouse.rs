//! The mouse: clicks on tabs, rows, chart bars and dialog buttons; the wheel.

use super::*;

impl App {
    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let screen = self.screen();
        if let Some(Overlay::Confirm(confirm)) = &mut self.overlay {
            if let MouseEventKind::Down(MouseButton::Left) = m.kind {
                let d = layout::dialog(screen, confirm.line_count() as u16, &confirm.label());
                let at = Position::new(m.column, m.row);
                let outcome = if d.cancel.contains(at) {
                    confirm.press(Button::Cancel)
                } else if d.confirm.contains(at) {
                    confirm.press(Button::Confirm)
                } else {
                    ConfirmOutcome::Pending
                };
                return self.on_confirm_outcome(outcome);
            }
            return vec![];
        }
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let delta = if m.kind == MouseEventKind::ScrollDown {
                    1
                } else {
                    -1
                };
                match &mut self.overlay {
                    Some(Overlay::Help { scroll }) | Some(Overlay::Detail { scroll, .. }) => {
                        *scroll = scroll.saturating_add_signed(delta * 3);
                    }
                    _ => self.move_by(delta as isize * 3),
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.overlay.is_some() {
                    self.overlay = None;
                    return vec![];
                }
                let l = layout::compute(screen, &self.view());
                if let Some(chart) = l.chart
                    && chart.contains(Position::new(m.column, m.row))
                {
                    self.chart_click(m.column);
                } else if m.row == l.tabs.y {
                    if let Some(p) = layout::tab_at(&self.view(), m.column) {
                        self.go_to(p);
                    }
                } else if l.rows.contains(Position::new(m.column, m.row)) {
                    let index = self.cursors[self.pane].offset + (m.row - l.rows.y) as usize;
                    if index < self.rows[self.pane].len() {
                        // A click on the selected row opens it, like a double-click.
                        if self.cursors[self.pane].selected == index {
                            return self.on_action(KeyAction::Detail);
                        }
                        self.cursors[self.pane].selected = index;
                    }
                }
            }
            _ => {}
        }
        vec![]
    }
}
