//! Pivots: from the selection to everything the same key, principal, IP or operation did.

use super::*;

impl App {
    /// The pivots the selected row offers.
    pub(super) fn pivots_of_selection(&self) -> Vec<Pivot> {
        match self.selected_item() {
            Some(Item::Event(e)) => pivot::from_event(e),
            Some(Item::Alert(i)) => pivot::from_alert(&self.state.alerts[*i].alert),
            Some(Item::Key(i)) => pivot::from_key(&self.state.keys[*i]),
            Some(Item::Finding(i)) => {
                let f = &self.state.findings[*i];
                if f.resource_type == "AWS::IAM::User" {
                    vec![
                        Pivot::Principal(f.resource_id.clone()),
                        Pivot::Resource(f.resource_id.clone()),
                    ]
                } else {
                    // Who created it, who touched it.
                    vec![Pivot::Resource(f.resource_id.clone())]
                }
            }
            Some(Item::Entry(i)) => match &self.state.timeline[*i].kind {
                EntryKind::Event { event_id } => self
                    .state
                    .event(event_id)
                    .map(|e| pivot::from_event(e))
                    .unwrap_or_default(),
                EntryKind::Alert { alert_id, .. } => self
                    .state
                    .alert(alert_id)
                    .map(|a| pivot::from_alert(&a.alert))
                    .unwrap_or_default(),
                EntryKind::Action { action_id, .. } => self
                    .state
                    .action(action_id)
                    .and_then(|a| a.action.as_ref())
                    .map(|a| vec![Pivot::parse(&a.subject())])
                    .unwrap_or_default(),
                _ => vec![],
            },
            Some(Item::Rule(_)) | None => vec![],
        }
    }

    pub(super) fn pivot_on_selection(&mut self) -> Vec<Effect> {
        let candidates = self.pivots_of_selection();
        if candidates.is_empty() {
            self.flash(
                Level::Warning,
                "Nothing to pivot on here: select an event, alert or key",
            );
            return vec![];
        }
        // Pivoting again on a row of the current pivot follows that row's next identity:
        // from its access key to its principal, its IP, its operation.
        if let Some(top) = self.pivots.last_mut()
            && let Some(pos) = candidates.iter().position(|c| c == top.pivot())
        {
            top.index = (pos + 1) % candidates.len();
            top.candidates = candidates;
            return self.after_pivot();
        }
        self.push_pivot(candidates)
    }

    pub fn push_pivot(&mut self, candidates: Vec<Pivot>) -> Vec<Effect> {
        self.pivots.push(PivotFrame {
            candidates,
            index: 0,
            return_pane: self.pane,
            saved: self.save_cursors(),
        });
        self.after_pivot()
    }

    /// Shows the pivot; against a live account, also asks CloudTrail for the 90 days it
    /// keeps, beyond what is loaded.
    pub(super) fn after_pivot(&mut self) -> Vec<Effect> {
        self.show_pivot();
        match (self.mode.kind, self.pivot().cloned()) {
            (ModeKind::Live, Some(pivot)) => {
                self.flash(
                    Level::Info,
                    format!("Asking CloudTrail for 90 days of {pivot}…"),
                );
                vec![Effect::Lookup(pivot)]
            }
            _ => vec![],
        }
    }

    pub(super) fn show_pivot(&mut self) {
        for f in self.filters.iter_mut() {
            f.clear();
        }
        self.pane = Pane::Activity;
        self.rebuild_all();
        self.cursors = PaneMap::default();
        let last = self.rows[Pane::Timeline].len().saturating_sub(1);
        self.cursors[Pane::Timeline].selected = last;
    }
}
