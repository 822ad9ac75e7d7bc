//! What a detection is: something that looks at each event once, in order, with its own
//! state, and raises or grows alerts through the one grouping engine every detection shares.

use super::baseline::{Network, RegionBaseline};
use super::{MAX_EVENT_IDS, Settings};
use crate::model::{Alert, CloudTrailEvent, Severity};
use chrono::Duration;
use foldhash::HashMap;

/// One detection. A new built-in rule is a type implementing this, in a file of its own
/// under `detect/builtin/`, and one line in [`super::builtin::all`].
pub trait Detection: Send {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>);
}

/// What identifies an alert group and how it is first announced.
pub struct AlertSeed {
    /// Rule and principal (and what else makes it one story): the group's key.
    pub group: String,
    pub rule: String,
    pub severity: Severity,
    pub title: String,
}

/// Alert groups and their IDs: the same rule and principal (or whatever the seed's group
/// says) within the window is one alert; after a longer quiet, a new one opens as
/// `group@time`. Re-reading the same events gives the same IDs.
#[derive(Default)]
pub struct Grouping {
    pub(super) settings: Settings,
    /// Whether each event's alerts are reported as they grow (a run over a whole archive
    /// only wants the end).
    pub(super) report_each: bool,
    /// Group key → the alert it is currently growing.
    groups: HashMap<String, String>,
    /// The account of the first event (in time order) that names one: another account's
    /// events make alerts of their own (the same user name in two accounts is two people),
    /// named with their account; the first account's keep the plain names.
    first_account: Option<crate::model::Sym>,
    pub(super) alerts: HashMap<String, Alert>,
}

impl Grouping {
    /// Learns the first account, from the first event that names one.
    pub(super) fn note_account(&mut self, account: &crate::model::Sym) {
        if self.first_account.is_none() && !account.is_empty() {
            self.first_account = Some(*account);
        }
    }

    pub fn new(settings: Settings) -> Grouping {
        Grouping {
            settings,
            report_each: true,
            ..Grouping::default()
        }
    }
}

/// What a detection sees besides the event: the grouping engine, the alerts this event has
/// raised so far, and the facts worked out once for all detections.
pub struct Context<'a> {
    pub(super) grouping: &'a mut Grouping,
    pub(super) out: &'a mut Vec<Alert>,
    /// The network the event came from, when it is one a baseline can learn.
    pub network: Option<Network>,
    /// Indexes of the Sigma rules that matched the event.
    pub matched: &'a [usize],
    pub(super) regions: &'a RegionBaseline,
    /// Told by a pass that worked the regions out beforehand.
    pub(super) region_told: Option<bool>,
}

impl Context<'_> {
    /// The grouping window.
    pub fn window(&self) -> Duration {
        self.grouping.settings.group_window
    }

    /// Whether `e`'s region is one its account never worked in.
    pub fn unusual_region(&self, e: &CloudTrailEvent) -> bool {
        self.region_told.unwrap_or_else(|| {
            self.regions
                .is_unusual(&e.identity.account_id, &e.aws_region)
        })
    }

    pub fn alert(&self, id: &str) -> Option<&Alert> {
        self.grouping.alerts.get(id)
    }

    pub fn alert_mut(&mut self, id: &str) -> Option<&mut Alert> {
        self.grouping.alerts.get_mut(id)
    }

    /// Adds `e` to the alert the seed's group is growing, opening a new alert when the group
    /// has been quiet longer than the window. Returns the alert's ID — empty, and no alert,
    /// when `[detect.allow]` lets the principal be for this rule.
    pub fn bump(&mut self, seed: AlertSeed, e: &CloudTrailEvent) -> String {
        let g = &mut *self.grouping;
        if g.settings.allow.allows(&seed.rule, e) {
            return String::new();
        }
        let window = g.settings.group_window;
        let account = &e.identity.account_id;
        let mut seed = seed;
        if !account.is_empty() && g.first_account.as_ref().is_some_and(|f| f != account) {
            seed.group = format!("{}/{account}", seed.group);
        }
        let current = g
            .groups
            .get(&seed.group)
            .filter(|id| {
                g.alerts
                    .get(*id)
                    .is_some_and(|a| e.event_time <= a.last_seen + window)
            })
            .cloned();
        let id = match current {
            Some(id) => id,
            None => {
                // The first group keeps the plain key, so IDs stay short and stable.
                let id = if g.groups.contains_key(&seed.group) {
                    format!(
                        "{}@{}",
                        seed.group,
                        e.event_time.format("%Y-%m-%dT%H:%M:%SZ")
                    )
                } else {
                    seed.group.clone()
                };
                g.groups.insert(seed.group, id.clone());
                id
            }
        };
        let alert = g.alerts.entry(id.clone()).or_insert_with(|| Alert {
            id: id.clone(),
            rule: seed.rule,
            severity: seed.severity,
            title: seed.title,
            explanation: String::new(),
            principal: Some(e.identity.display()),
            access_key_id: e.identity.access_key_id.as_ref().map(|k| k.to_string()),
            source_ip: Some(e.source_ip.to_string()).filter(|ip| !ip.is_empty()),
            first_seen: e.event_time,
            last_seen: e.event_time,
            count: 0,
            event_ids: Vec::new(),
            spend_per_hour: None,
            grown: false,
        });
        alert.count += 1;
        alert.first_seen = alert.first_seen.min(e.event_time);
        alert.last_seen = alert.last_seen.max(e.event_time);
        if alert.event_ids.len() < MAX_EVENT_IDS {
            alert.event_ids.push(e.event_id().to_string());
        }
        id
    }

    /// Whether the alert `group` is growing has been quiet for longer than the window by the
    /// time of `e`.
    pub fn went_quiet(&self, group: &str, e: &CloudTrailEvent) -> bool {
        let g = &*self.grouping;
        g.groups
            .get(group)
            .and_then(|id| g.alerts.get(id))
            .is_some_and(|a| e.event_time > a.last_seen + g.settings.group_window)
    }

    /// [`Context::bump`], then [`Context::report`] with `explain` as the explanation.
    pub fn raise(&mut self, seed: AlertSeed, explain: String, e: &CloudTrailEvent) {
        let id = self.bump(seed, e);
        self.report(&id, Some(explain));
    }

    /// Sets the explanation (when `explain` gives one) and reports the alert.
    pub fn report(&mut self, id: &str, explain: Option<String>) {
        if let Some(alert) = self.grouping.alerts.get_mut(id) {
            if let Some(text) = explain {
                alert.explanation = text;
            }
            if self.grouping.report_each {
                self.out.push(alert.clone());
            }
        }
    }
}
