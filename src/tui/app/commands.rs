//! The `:` commands: the shared vocabulary and the console's own.

use super::*;

impl App {
    pub fn run_command(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Deactivate(_)
            | Command::DeleteKey(_)
            | Command::DenyAll(_)
            | Command::RevokeSessions(_)
            | Command::Remediate { .. }
            | Command::Isolate(..)
            | Command::Snapshot(..)
            | Command::Stop(..)
            | Command::Terminate(..)
            | Command::RevokeIngress { .. }
            | Command::DeleteUser(_)
            | Command::DeleteLoginProfile(_)
            | Command::DetachPolicy { .. }
            | Command::DeleteKeyPair(..)
            | Command::Resume(_) => match resolve::action_for(&cmd, &self.state, self.now) {
                Some(Ok(action)) => self.request(action),
                Some(Err(why)) => {
                    self.flash(Level::Error, why);
                    vec![]
                }
                None => vec![],
            },
            Command::Contain(target) => match self.subject_for(target) {
                Some(subject) => self.propose_plan(subject),
                None => vec![],
            },
            Command::Veto(id) => {
                let found = crate::respond::unattended::to_veto(&self.state, id.as_deref())
                    .map(|v| (v.id.clone(), v.action.clone()));
                match found {
                    Ok((action_id, action)) => {
                        let Some(action) = action else {
                            return vec![];
                        };
                        self.flash(Level::Info, format!("Vetoed: {}", action.describe()));
                        vec![Effect::Decide {
                            action_id,
                            fingerprint: action.fingerprint(),
                            decision: Decision::Cancel,
                        }]
                    }
                    Err(why) => {
                        self.flash(Level::Warning, why);
                        vec![]
                    }
                }
            }
            Command::Blast(target) => {
                if let Some(subject) = self.subject_for(target) {
                    self.open_blast(subject);
                }
                vec![]
            }
            Command::Pivot(target) => self.push_pivot(vec![Pivot::parse(&target)]),
            Command::Note(_)
            | Command::Status(Some(_))
            | Command::Severity(_)
            | Command::Title(_)
            | Command::Ack(_)
            | Command::Resolve(_) => self.annotate(cmd),
            Command::Status(None) => {
                let m = &self.state.meta;
                let open = self
                    .state
                    .alerts
                    .iter()
                    .filter(|a| a.status == AlertStatus::Open)
                    .count();
                self.flash(
                    Level::Info,
                    format!(
                        "{} — {}, severity {}; {open} open alerts, {} findings",
                        m.title,
                        m.status,
                        m.severity,
                        self.state
                            .findings
                            .iter()
                            .filter(|f| f.is_non_compliant())
                            .count()
                    ),
                );
                vec![]
            }
            Command::Alerts => {
                self.go_to(Pane::Alerts);
                vec![]
            }
            Command::Findings => {
                self.go_to(Pane::Findings);
                vec![]
            }
            Command::Keys(user) => {
                self.go_to(Pane::Keys);
                self.filters[Pane::Keys] = user.unwrap_or_default();
                self.rebuild_pane(Pane::Keys);
                vec![]
            }
            Command::Timeline(_) => {
                self.go_to(Pane::Timeline);
                self.on_action(KeyAction::Bottom)
            }
            Command::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                vec![]
            }
            // A built-in theme is at hand; a file is read by the runner, never here.
            Command::Theme(name) if crate::tui::keymap::looks_like_path(&name) => {
                vec![Effect::LoadTheme(name)]
            }
            Command::Theme(name) => {
                let theme =
                    Theme::load(Some(&name), self.theme.no_color).map_err(|e| e.to_string());
                self.update(Msg::Theme(theme))
            }
            Command::Filter(text) => {
                self.filters[self.pane] = text;
                self.rebuild_pane(self.pane);
                vec![]
            }
            Command::Jump(to) => self.replay_command(ReplayCommand::Jump(to)),
            Command::Speed(s) => self.replay_command(ReplayCommand::Speed(s)),
            Command::Play => self.replay_command(ReplayCommand::Play),
            Command::Pause => self.replay_command(ReplayCommand::Pause),
            Command::Window(range) => {
                self.set_window(range);
                vec![]
            }
            Command::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
        }
    }
}
