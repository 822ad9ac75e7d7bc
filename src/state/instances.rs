//! The EC2 instances the incident knows: started by the launches CloudTrail recorded, moved
//! on by state changes (anyone's, and the responses' own), and what they cost while they
//! run. The header's and the alerts' spend are worked out here, so they agree.

use super::IncidentState;
use crate::model::{Action, Alert, AlertStatus, CloudTrailEvent, InstanceState, prices};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// One instance and what has been done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceView {
    pub instance_id: String,
    pub region: String,
    pub instance_type: String,
    /// Who launched it, as the event names the principal.
    pub launched_by: String,
    pub launched_at: DateTime<Utc>,
    /// The `RunInstances` event that started it.
    pub launch_event: String,
    pub vpc_id: Option<String>,
    pub state: InstanceState,
    pub isolated: bool,
    pub snapshotted: bool,
}

impl InstanceView {
    /// USD per hour while it runs, when its type's price is known.
    pub fn hourly(&self) -> Option<f64> {
        prices::hourly_usd(&self.instance_type, &self.region)
    }

    /// What it costs now: nothing once it is stopped or gone.
    pub fn costs_now(&self) -> f64 {
        if self.state.is_running() {
            self.hourly().unwrap_or(0.0)
        } else {
            0.0
        }
    }
}

impl IncidentState {
    /// Follows a CloudTrail event's effect on instances: launches start them, state changes
    /// move them. Events come in time order (a batch is sorted first).
    pub(super) fn track_instances(&mut self, e: &CloudTrailEvent) {
        if e.error_code.is_some() || e.aws_region.is_empty() {
            return;
        }
        let Some(params) = e.params() else {
            return;
        };
        match e.event_name.as_str() {
            "RunInstances" => {
                let launched = crate::model::instance::launched(params);
                let ids: Vec<String> = launched.iter().map(|l| l.instance_id.clone()).collect();
                for l in launched {
                    self.instances.insert(
                        l.instance_id.clone(),
                        InstanceView {
                            instance_id: l.instance_id,
                            region: e.aws_region.to_string(),
                            instance_type: l.instance_type,
                            launched_by: e.identity.display(),
                            launched_at: e.event_time,
                            launch_event: e.event_id().to_string(),
                            vpc_id: l.vpc_id,
                            state: InstanceState::Running,
                            isolated: false,
                            snapshotted: false,
                        },
                    );
                }
                self.launches.insert(e.event_id().to_string(), ids);
            }
            "StopInstances" | "StartInstances" | "TerminateInstances" => {
                for (id, state) in crate::model::instance::state_changes(params) {
                    if let Some(i) = self.instances.get_mut(&id) {
                        i.state = state;
                    }
                }
            }
            _ => {}
        }
    }

    /// Follows a response step that succeeded: what it did to instances is known at once,
    /// before CloudTrail reports it.
    pub(super) fn track_response(&mut self, done: &Action) {
        self.responded.push(done.clone());
        let mut set = |ids: &[String], f: &dyn Fn(&mut InstanceView)| {
            for id in ids {
                if let Some(i) = self.instances.get_mut(id) {
                    f(i);
                }
            }
        };
        match done {
            Action::StopInstances { instance_ids, .. } => set(instance_ids, &|i| {
                if i.state.is_running() {
                    i.state = InstanceState::Stopped
                }
            }),
            Action::TerminateInstances { instance_ids, .. } => {
                set(instance_ids, &|i| i.state = InstanceState::Terminated)
            }
            Action::IsolateInstance { instance_id, .. } => {
                set(std::slice::from_ref(instance_id), &|i| i.isolated = true)
            }
            Action::SnapshotInstance { instance_id, .. } => {
                set(std::slice::from_ref(instance_id), &|i| i.snapshotted = true)
            }
            _ => {}
        }
    }

    pub fn instance(&self, id: &str) -> Option<&InstanceView> {
        self.instances.get(id)
    }

    /// The instances a launch event started.
    pub fn launched_by_event(&self, event_id: &str) -> impl Iterator<Item = &InstanceView> {
        self.launches
            .get(event_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.instances.get(id))
    }

    /// What the launches behind these events cost now, each event counted once: the
    /// instances they started while they run; a launch whose response named no instances
    /// at the price it asked for; an open spot request nothing yet.
    fn launches_cost<'a>(
        &self,
        event_ids: impl Iterator<Item = &'a String>,
        cost: fn(&InstanceView) -> f64,
    ) -> Option<f64> {
        let mut seen = HashSet::new();
        let mut known = false;
        let mut total = 0.0;
        for id in event_ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let Some(e) = self.event(id) else { continue };
            let Some(params) = e.params() else {
                continue;
            };
            if !matches!(
                e.event_name.as_str(),
                "RunInstances" | "RequestSpotInstances"
            ) {
                continue;
            }
            known = true;
            if e.failed() {
                continue;
            }
            if self
                .launches
                .get(id.as_str())
                .is_some_and(|l| !l.is_empty())
            {
                total += self.launched_by_event(id).map(cost).sum::<f64>();
            } else if e.event_name.as_str() == "RequestSpotInstances" {
                // Nothing runs until the request is fulfilled, and then its instances are
                // known by their own launch.
            } else {
                let (types, count) = crate::model::launch_request(params);
                total += types
                    .first()
                    .and_then(|t| prices::hourly_usd(t, &e.aws_region))
                    .map_or(0.0, |p| p * f64::from(count));
            }
        }
        known.then_some(total)
    }

    /// The most the compute alerts' launches cost at once: every instance they started
    /// as if it ran, each launch counted once (for the postmortem).
    pub fn peak_spend_per_hour(&self) -> f64 {
        self.compute_spend(|_| true, |i| i.hourly().unwrap_or(0.0))
    }

    /// What an alert's launches cost now. The detection's own figure (at the time it
    /// fired) stands in when its events are not loaded.
    pub fn alert_spend(&self, a: &Alert) -> Option<f64> {
        a.spend_per_hour?;
        self.launches_cost(a.event_ids.iter(), InstanceView::costs_now)
            .or(a.spend_per_hour)
    }

    /// The spend rate of every unresolved compute alert's launches now, USD per hour: a
    /// launch behind two alerts counts once.
    pub fn spend_per_hour(&self) -> f64 {
        self.compute_spend(
            |a| a.status != AlertStatus::Resolved,
            InstanceView::costs_now,
        )
    }

    /// What the launches behind the compute alerts `which` picks cost, each launch once, at
    /// `cost` per instance; the detections' own figures stand in for alerts whose events are
    /// not loaded.
    fn compute_spend(
        &self,
        which: fn(&super::AlertView) -> bool,
        cost: fn(&InstanceView) -> f64,
    ) -> f64 {
        let alerts = || {
            self.alerts
                .iter()
                .filter(|a| which(a) && a.alert.spend_per_hour.is_some())
        };
        let unloaded: f64 = alerts()
            .filter(|a| self.launches_cost(a.alert.event_ids.iter(), cost).is_none())
            .filter_map(|a| a.alert.spend_per_hour)
            .sum();
        let loaded = self
            .launches_cost(alerts().flat_map(|a| a.alert.event_ids.iter()), cost)
            .unwrap_or(0.0);
        loaded + unloaded
    }
}
