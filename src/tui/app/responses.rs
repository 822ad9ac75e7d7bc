//! Responses from the console: the selection or a command into an action, through the shared response lifecycle; changes to the incident itself.

use super::*;
use crate::respond::blast::{self, Subject};
use crate::respond::contain;
use crate::respond::plan;

impl App {
    pub(super) fn record(&self, body: RecordBody) -> NewRecord {
        NewRecord::new(self.now, self.actor.clone(), body)
    }

    /// Starts an action through the response lifecycle: journals the request, then refuses
    /// it, records it as a no-op, or opens the confirmation.
    pub fn request(&mut self, action: Action) -> Vec<Effect> {
        let opening = lifecycle::open(action, Origin::Tui, &self.policy(), &self.state, None);
        match &opening.outcome {
            Opened::Refused { reason } => self.flash(
                Level::Warning,
                format!("Refused: {} — {reason}", opening.action.describe()),
            ),
            Opened::Noop { reason } => {
                self.flash(Level::Info, format!("Nothing to do: {reason} (recorded)"))
            }
            Opened::Awaiting => {
                let mut confirm = Confirm::new(
                    opening.id.clone(),
                    opening.action.clone(),
                    opening.calls.clone(),
                    self.mode.dry_run,
                );
                confirm.warning = self.warning_for(&confirm.action);
                confirm.acting = self.acting_for(plan::account_of_calls(&confirm.calls));
                if let Some(own) = self.signs_with(&confirm.action) {
                    confirm.twice = true;
                    confirm.warning = Some(format!(
                        "{own} is the key this console is signed with: after this it can no longer act. You will be asked twice."
                    ));
                }
                self.overlay = Some(Overlay::Confirm(Box::new(confirm)));
            }
        }
        let records = opening.bodies.into_iter().map(|b| self.record(b)).collect();
        vec![Effect::Append(records)]
    }

    /// Where and as whom calls in `account` act, as the confirmation says it: with several
    /// accounts, the one the calls name (and plainly, when they name none).
    pub(super) fn acting_for(&self, account: Option<&str>) -> Option<String> {
        match account {
            Some(a) => Some(self.acting_in.get(a).cloned().unwrap_or_else(|| {
                format!(
                    "account {a}, which this console does not act in: the calls will be refused"
                )
            })),
            None if self.acting_in.len() == 1 => self.acting_in.values().next().cloned(),
            None if self.acting_in.len() > 1 => Some(format!(
                "no account: which of the {} accounts this acts in is not known, so the calls will be refused",
                self.acting_in.len()
            )),
            None => self.acting.clone(),
        }
    }

    /// The console's own access key, when the action would disable it.
    pub(super) fn signs_with(&self, action: &Action) -> Option<&str> {
        let own = self.own_key.as_deref()?;
        match action {
            Action::DeactivateKey { access_key_id, .. }
            | Action::DeleteKey { access_key_id, .. }
                if access_key_id == own =>
            {
                Some(own)
            }
            _ => None,
        }
    }

    /// Extra caution shown in the dialog.
    pub(super) fn warning_for(&self, action: &Action) -> Option<String> {
        match action {
            Action::DeleteKey { .. } => {
                Some("Deleting cannot be undone; deactivating is usually enough.".into())
            }
            Action::DenyAll { user } => Some(format!(
                "Everything {user} does will be refused, including by legitimate automation."
            )),
            _ => None,
        }
    }

    /// Whose blast radius or containment a command means: the one it names, or the
    /// selection's access key, else its principal.
    pub(super) fn subject_for(&mut self, named: Option<String>) -> Option<Subject> {
        if let Some(n) = named {
            return Some(Subject::parse(&n));
        }
        let item = self.selected_item().cloned();
        let subject = item.as_ref().and_then(|item| {
            self.key_of(item)
                .map(|(_, key)| Subject::Key(key))
                .or_else(|| match item {
                    // The alert's key, even before IAM has listed it; else its principal.
                    Item::Alert(i) => {
                        let a = &self.state.alerts[*i].alert;
                        a.access_key_id
                            .clone()
                            .map(Subject::Key)
                            .or_else(|| a.principal.clone().map(Subject::Principal))
                    }
                    Item::Event(e) => Some(Subject::Principal(e.identity.display())),
                    _ => self
                        .principal_of(item)
                        .map(|p| Subject::Principal(p.name().to_string())),
                })
        });
        if subject.is_none() {
            self.flash(
                Level::Warning,
                "Select an alert, event or key, or name a principal or key",
            );
        }
        subject
    }

    pub(super) fn open_blast(&mut self, subject: Subject) {
        let items = blast::blast_radius(&subject, &self.state);
        self.overlay = Some(Overlay::Blast {
            subject,
            items,
            version: self.state.version,
            scroll: 0,
        });
    }

    /// Keeps an open blast radius in step with the incident.
    pub(super) fn refresh_blast(&mut self) {
        if let Some(Overlay::Blast {
            subject,
            items,
            version,
            ..
        }) = &mut self.overlay
            && *version != self.state.version
        {
            *items = blast::blast_radius(subject, &self.state);
            *version = self.state.version;
        }
    }

    /// Opens the containment plan for `subject` as a checklist. Nothing is journaled until
    /// it is decided: then the plan of the steps ticked at that moment is.
    pub(super) fn propose_plan(&mut self, subject: Subject) -> Vec<Effect> {
        match contain::proposal(&subject, &self.state, self.now) {
            Ok(steps) => {
                let mut confirm = Confirm::for_plan(subject, steps, self.mode.dry_run);
                let account = plan::account_of(&confirm.action, &self.state);
                confirm.acting = self.acting_for(account.as_deref());
                confirm.warning = Some(
                    "Space ticks or unticks the step under the cursor (↑/↓); the steps run in order and the first failure stops the plan.".into(),
                );
                self.overlay = Some(Overlay::Confirm(Box::new(confirm)));
            }
            Err(why) => self.flash(Level::Warning, why),
        }
        vec![]
    }

    /// A plan decided in its checklist: the plan as ticked is journaled now, then decided.
    fn decide_plan(&mut self, confirm: Confirm, decision: Decision) -> Vec<Effect> {
        let policy = self.policy();
        let opening = lifecycle::open(confirm.action, Origin::Tui, &policy, &self.state, None);
        let records: Vec<NewRecord> = opening.bodies.into_iter().map(|b| self.record(b)).collect();
        let mut effects = vec![Effect::Append(records)];
        match opening.outcome {
            Opened::Awaiting => effects.push(Effect::Decide {
                action_id: opening.id,
                fingerprint: opening.action.fingerprint(),
                decision,
            }),
            Opened::Refused { reason } | Opened::Noop { reason } => {
                self.flash(Level::Warning, format!("Refused: {reason}"))
            }
        }
        effects
    }

    fn policy(&self) -> Policy {
        Policy {
            presenter: "console",
            read_only: self.mode.read_only,
            dry_run: self.mode.dry_run,
        }
    }

    pub(super) fn on_confirm_outcome(&mut self, outcome: ConfirmOutcome) -> Vec<Effect> {
        let Some(Overlay::Confirm(confirm)) = &self.overlay else {
            return vec![];
        };
        let confirm = confirm.clone();
        let decision = match outcome {
            ConfirmOutcome::Pending => return vec![],
            ConfirmOutcome::Cancelled => {
                self.flash(
                    Level::Info,
                    format!("Cancelled: {}", confirm.action.describe()),
                );
                Decision::Cancel
            }
            ConfirmOutcome::Confirmed if confirm.dry_run => {
                let calls: Vec<String> = confirm.calls.iter().map(|c| c.to_string()).collect();
                self.flash(
                    Level::Info,
                    format!("Dry run — would call: {}", calls.join("; ")),
                );
                Decision::Confirm
            }
            ConfirmOutcome::Confirmed => {
                self.flash(
                    Level::Info,
                    format!("Running: {}", confirm.action.describe()),
                );
                Decision::Confirm
            }
        };
        self.overlay = None;
        if confirm.plan.is_some() {
            return self.decide_plan(*confirm, decision);
        }
        vec![Effect::Decide {
            action_id: confirm.action_id,
            fingerprint: confirm.action.fingerprint(),
            decision,
        }]
    }

    /// The access key a row is about, with its user.
    pub(super) fn key_of(&self, item: &Item) -> Option<(String, String)> {
        let key_id = match item {
            Item::Key(i) => Some(self.state.keys[*i].access_key_id.clone()),
            Item::Event(e) => e.identity.access_key_id.as_ref().map(|k| k.to_string()),
            Item::Alert(i) => self.state.alerts[*i].alert.access_key_id.clone(),
            Item::Entry(i) => match &self.state.timeline[*i].kind {
                EntryKind::Alert { alert_id, .. } => self
                    .state
                    .alert(alert_id)
                    .and_then(|a| a.alert.access_key_id.clone()),
                _ => None,
            },
            _ => None,
        }?;
        let user = self.state.key(&key_id)?.user.clone();
        Some((user, key_id))
    }

    /// The principal a row is about.
    pub(super) fn principal_of(&self, item: &Item) -> Option<PrincipalRef> {
        let from_event = |e: &crate::model::CloudTrailEvent| match e.identity.kind.as_str() {
            "IAMUser" => e
                .identity
                .user_name
                .as_ref()
                .map(|u| PrincipalRef::User(u.to_string())),
            "AssumedRole" => e
                .identity
                .user_name
                .as_ref()
                .map(|u| PrincipalRef::Role(u.to_string())),
            _ => None,
        };
        match item {
            Item::Key(i) => Some(PrincipalRef::User(self.state.keys[*i].user.clone())),
            Item::Event(e) => from_event(e),
            Item::Alert(i) => {
                let a = &self.state.alerts[*i].alert;
                a.access_key_id
                    .as_ref()
                    .and_then(|k| self.state.key(k))
                    .map(|k| PrincipalRef::User(k.user.clone()))
                    .or_else(|| {
                        a.principal
                            .as_ref()
                            .and_then(|p| resolve::principal_named(p, &self.state))
                    })
            }
            Item::Finding(i) => {
                let f = &self.state.findings[*i];
                (f.resource_type == "AWS::IAM::User")
                    .then(|| PrincipalRef::User(f.resource_id.clone()))
            }
            Item::Entry(i) => match &self.state.timeline[*i].kind {
                EntryKind::Event { event_id } => {
                    self.state.event(event_id).and_then(|e| from_event(e))
                }
                _ => None,
            },
            Item::Rule(_) => None,
        }
    }

    pub(super) fn respond_on_selection(&mut self, verb: KeyAction) -> Vec<Effect> {
        let Some(item) = self.selected_item().cloned() else {
            self.flash(Level::Warning, "Nothing selected");
            return vec![];
        };
        let action = match verb {
            KeyAction::DeactivateKey | KeyAction::DeleteKey => match self.key_of(&item) {
                Some((user, access_key_id)) if verb == KeyAction::DeactivateKey => {
                    Action::DeactivateKey {
                        user,
                        access_key_id,
                    }
                }
                Some((user, access_key_id)) => Action::DeleteKey {
                    user,
                    access_key_id,
                },
                None => {
                    self.flash(
                        Level::Warning,
                        "No known access key here: select a key, or an event or alert made with one",
                    );
                    return vec![];
                }
            },
            KeyAction::DenyAll => match self.principal_of(&item) {
                Some(PrincipalRef::User(user)) => Action::DenyAll { user },
                Some(PrincipalRef::Role(role)) => {
                    self.flash(
                        Level::Warning,
                        format!("deny-all applies to users; for role {role} use revoke-sessions"),
                    );
                    return vec![];
                }
                None => {
                    self.flash(Level::Warning, "No IAM user here to deny");
                    return vec![];
                }
            },
            KeyAction::RevokeSessions => match self.principal_of(&item) {
                Some(principal) => Action::RevokeSessions {
                    principal,
                    issued_before: self.now,
                },
                None => {
                    self.flash(
                        Level::Warning,
                        "No user or role here whose sessions to revoke",
                    );
                    return vec![];
                }
            },
            KeyAction::Remediate => {
                let (rule, only) = match &item {
                    Item::Rule(rule) => (rule.to_string(), None),
                    Item::Finding(i) => {
                        let f = &self.state.findings[*i];
                        (f.rule.clone(), Some(f.resource_id.clone()))
                    }
                    _ => {
                        self.flash(
                            Level::Warning,
                            "Select a finding (Findings pane) to remediate",
                        );
                        return vec![];
                    }
                };
                return self.remediate(&rule, only.as_deref());
            }
            _ => return vec![],
        };
        self.request(action)
    }

    pub(super) fn remediate(&mut self, rule: &str, only: Option<&str>) -> Vec<Effect> {
        match resolve::remediation(&self.state, rule, only) {
            Ok(action) => self.request(action),
            Err(why) => {
                self.flash(Level::Warning, why);
                vec![]
            }
        }
    }

    /// A change to the incident itself (note, status, severity, title, alert status), as
    /// the shared vocabulary resolves it; an alert command without an ID is about the
    /// selected alert.
    pub(super) fn annotate(&mut self, cmd: Command) -> Vec<Effect> {
        let selected = match self.selected_item() {
            Some(Item::Alert(i)) => Some(self.state.alerts[*i].alert.id.clone()),
            Some(Item::Entry(i)) => match &self.state.timeline[*i].kind {
                EntryKind::Alert { alert_id, .. } => Some(alert_id.clone()),
                _ => None,
            },
            _ => None,
        };
        match resolve::annotation_for(&cmd, &self.state, || selected) {
            Some(Ok(body)) => {
                if matches!(cmd, Command::Note(_)) {
                    self.flash(Level::Info, "Note added");
                }
                vec![Effect::Append(vec![self.record(body)])]
            }
            Some(Err(why)) => {
                self.flash(Level::Warning, why);
                vec![]
            }
            None => vec![],
        }
    }

    pub(super) fn yank(&mut self) -> Vec<Effect> {
        let text = match self.selected_item() {
            Some(Item::Key(i)) => Some(self.state.keys[*i].access_key_id.clone()),
            Some(Item::Event(e)) => Some(e.event_id().to_string()),
            Some(Item::Alert(i)) => Some(self.state.alerts[*i].alert.id.clone()),
            Some(Item::Finding(i)) => {
                let f = &self.state.findings[*i];
                // The patch to the template, when the code is known; else the resource.
                self.code
                    .finding(f, self.state.tagged_stack(&f.resource_id).as_ref())
                    .and_then(|c| c.patch)
                    .or_else(|| Some(f.resource_id.clone()))
            }
            Some(Item::Rule(r)) => Some(r.to_string()),
            Some(Item::Entry(i)) => Some(self.state.timeline[*i].summary.clone()),
            None => None,
        };
        match text {
            Some(t) => {
                let shown = match t.lines().count() {
                    0 | 1 => t.clone(),
                    n => format!("the patch ({n} lines)"),
                };
                self.flash(Level::Info, format!("Copied {shown}"));
                vec![Effect::Copy(t)]
            }
            None => vec![],
        }
    }
}
