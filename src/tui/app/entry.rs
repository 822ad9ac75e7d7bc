//! Typing in the console: the filter and command lines, their completion and history.

use super::*;

impl App {
    pub(super) fn on_input_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(input) = &mut self.input else {
            return vec![];
        };
        let outcome = input.handle(&key);
        let kind = input.kind;
        match (kind, outcome) {
            (InputKind::Filter, InputOutcome::Edited) => {
                let text = input.text.clone();
                self.filters[self.pane] = text;
                self.cursors[self.pane] = Cursor::default();
                self.rebuild_pane(self.pane);
                self.move_by(0);
            }
            (InputKind::Filter, InputOutcome::Submit) => self.input = None,
            (InputKind::Filter, InputOutcome::Cancel) => {
                self.input = None;
                self.filters[self.pane].clear();
                self.rebuild_pane(self.pane);
            }
            (InputKind::Command, InputOutcome::Submit) => {
                let line = input.text.trim().to_string();
                self.input = None;
                if line.is_empty() {
                    return vec![];
                }
                if self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                }
                return match vocabulary::parse(&line) {
                    Ok(cmd) => self.run_command(cmd),
                    Err(e) => {
                        self.flash(Level::Error, e.0);
                        vec![]
                    }
                };
            }
            (InputKind::Command, InputOutcome::Cancel) => self.input = None,
            (InputKind::Command, InputOutcome::Complete) => {
                let values = |arg: Arg| self.completion_values(arg);
                let candidates = vocabulary::complete(
                    &self
                        .input
                        .as_ref()
                        .map(|i| i.text.clone())
                        .unwrap_or_default(),
                    &values,
                );
                if let Some(input) = &mut self.input {
                    input.complete_with(|_| candidates);
                }
            }
            (InputKind::Command, InputOutcome::HistoryPrev | InputOutcome::HistoryNext) => {
                let n = self.history.len();
                if n > 0 {
                    let idx = match (outcome, input.history_index) {
                        (InputOutcome::HistoryPrev, None) => Some(n - 1),
                        (InputOutcome::HistoryPrev, Some(i)) => Some(i.saturating_sub(1)),
                        (_, Some(i)) if i + 1 < n => Some(i + 1),
                        _ => None,
                    };
                    input.history_index = idx;
                    let text = idx.map(|i| self.history[i].clone()).unwrap_or_default();
                    input.set(&text);
                }
            }
            _ => {}
        }
        vec![]
    }

    /// Known values for completing an argument.
    pub fn completion_values(&self, arg: Arg) -> Vec<String> {
        let s = &self.state;
        let mut v: Vec<String> = match arg {
            Arg::AccessKey => s.keys.iter().map(|k| k.access_key_id.clone()).collect(),
            Arg::Instance => s.instances.keys().cloned().collect(),
            Arg::User => s.users.iter().map(|u| u.name.clone()).collect(),
            Arg::Principal => s
                .users
                .iter()
                .map(|u| u.name.clone())
                .chain(
                    s.events
                        .iter()
                        .filter(|&e| e.identity.kind == "AssumedRole")
                        .map(|e| format!("role/{}", e.identity.principal_name())),
                )
                .collect(),
            Arg::Rule => s
                .findings_by_rule()
                .iter()
                .map(|(r, _)| r.to_string())
                .collect(),
            Arg::PivotTarget => s
                .keys
                .iter()
                .map(|k| k.access_key_id.clone())
                .chain(s.users.iter().map(|u| u.name.clone()))
                .chain(s.alerts.iter().filter_map(|a| a.alert.source_ip.clone()))
                .collect(),
            Arg::Status => crate::model::IncidentStatus::ALL
                .iter()
                .map(|x| x.as_str().to_string())
                .collect(),
            Arg::Severity => crate::model::Severity::ALL
                .iter()
                .map(|x| x.as_str().to_string())
                .collect(),
            Arg::Alert => s.alerts.iter().map(|a| a.alert.id.clone()).collect(),
            Arg::Theme => Theme::BUILTIN.iter().map(|t| t.to_string()).collect(),
            Arg::None | Arg::Text | Arg::Number => vec![],
        };
        v.sort();
        v.dedup();
        v
    }
}
