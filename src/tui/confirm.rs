//! The confirmation every destructive action goes through. Cancel has the focus; the worst
//! actions also ask for part of the target's ID to be typed.

use crate::model::{Action, ApiCall};
use crate::respond::blast::Subject;
use crate::respond::contain::{PlanStep, plan_of};
use crate::respond::plan;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A plan shown as a checklist: the responder unticks what to skip, then confirms once.
#[derive(Debug, Clone, PartialEq)]
pub struct Checklist {
    pub subject: Subject,
    pub steps: Vec<PlanStep>,
    /// The step the cursor is on.
    pub cursor: usize,
}

/// One line of a checklist: a step, or one of its calls.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanLine {
    Step {
        index: usize,
        ticked: bool,
        text: String,
    },
    Call(String),
}

/// Lines of a checklist shown at once; the window follows the cursor.
pub const PLAN_ROWS: usize = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Pending,
    Confirmed,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub action_id: String,
    pub action: Action,
    pub calls: Vec<ApiCall>,
    pub focus: Button,
    /// Characters the responder must type before Confirm is allowed.
    pub code: Option<String>,
    pub typed: String,
    pub dry_run: bool,
    /// A line of extra caution (e.g. "this is the only active key of admin-ops").
    pub warning: Option<String>,
    /// Where and as whom it will act ("account 111122223333 (prod) as arn:…"), when the
    /// console knows: the account the dialog names is the one the calls go to.
    pub acting: Option<String>,
    /// Asks twice: for acting on the very credentials the console is signed with.
    pub twice: bool,
    /// Whether the first of two confirmations was given.
    pub confirmed_once: bool,
    /// A plan's steps to tick, when this confirms a plan. The plan is journaled when it
    /// is decided, as the steps then ticked.
    pub plan: Option<Checklist>,
}

impl Confirm {
    pub fn new(action_id: String, action: Action, calls: Vec<ApiCall>, dry_run: bool) -> Self {
        let code = action.confirmation_code();
        Confirm {
            action_id,
            action,
            calls,
            focus: Button::Cancel,
            code,
            typed: String::new(),
            dry_run,
            warning: None,
            acting: None,
            twice: false,
            confirmed_once: false,
            plan: None,
        }
    }

    /// A plan to confirm, its default steps ticked.
    pub fn for_plan(subject: Subject, steps: Vec<PlanStep>, dry_run: bool) -> Self {
        let action = plan_of(&subject, &steps);
        let calls = plan::plan(&action);
        let mut c = Confirm::new(String::new(), action, calls, dry_run);
        c.plan = Some(Checklist {
            subject,
            steps,
            cursor: 0,
        });
        c
    }

    /// After a tick changes: the plan, its calls and what must be typed follow it.
    fn retick(&mut self) {
        let Some(list) = &self.plan else { return };
        self.action = plan_of(&list.subject, &list.steps);
        self.calls = plan::plan(&self.action);
        let code = self.action.confirmation_code();
        if code != self.code {
            self.code = code;
            self.typed.clear();
            self.focus = Button::Cancel;
        }
    }

    /// Moves the checklist's cursor, or ticks the step under it.
    fn on_plan_key(&mut self, key: &KeyEvent) -> bool {
        let typing = self.code.is_some();
        let Some(list) = &mut self.plan else {
            return false;
        };
        let last = list.steps.len().saturating_sub(1);
        match key.code {
            KeyCode::Down => list.cursor = (list.cursor + 1).min(last),
            KeyCode::Char('j') if !typing => list.cursor = (list.cursor + 1).min(last),
            KeyCode::Up => list.cursor = list.cursor.saturating_sub(1),
            KeyCode::Char('k') if !typing => list.cursor = list.cursor.saturating_sub(1),
            KeyCode::Char(' ') => {
                if let Some(s) = list.steps.get_mut(list.cursor) {
                    s.ticked = !s.ticked;
                }
                self.retick();
            }
            _ => return false,
        }
        true
    }

    /// Every line of the checklist: each step, then the calls it makes.
    pub fn plan_lines(&self) -> Vec<PlanLine> {
        let Some(list) = &self.plan else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, s) in list.steps.iter().enumerate() {
            out.push(PlanLine::Step {
                index,
                ticked: s.ticked,
                text: format!("{}. {}", index + 1, s.action.describe()),
            });
            for call in plan::plan(&s.action) {
                out.extend(
                    wrap_at_commas(&call.to_string(), CALL_WIDTH - 6)
                        .into_iter()
                        .map(PlanLine::Call),
                );
            }
        }
        out
    }

    /// The checklist lines on screen: a window that keeps the cursor's step in view.
    pub fn plan_window(&self) -> Vec<(bool, PlanLine)> {
        let lines = self.plan_lines();
        let cursor = self.plan.as_ref().map_or(0, |l| l.cursor);
        let at = lines
            .iter()
            .position(|l| matches!(l, PlanLine::Step { index, .. } if *index == cursor))
            .unwrap_or(0);
        let start = at
            .saturating_sub(2)
            .min(lines.len().saturating_sub(PLAN_ROWS));
        lines
            .into_iter()
            .enumerate()
            .skip(start)
            .take(PLAN_ROWS)
            .map(|(i, l)| (i == at, l))
            .collect()
    }

    /// Whether Confirm may be pressed: always, unless a code is asked for and not typed,
    /// or a plan has nothing ticked.
    pub fn armed(&self) -> bool {
        let something = self
            .plan
            .as_ref()
            .is_none_or(|l| l.steps.iter().any(|s| s.ticked));
        something
            && self
                .code
                .as_ref()
                .is_none_or(|c| c.eq_ignore_ascii_case(self.typed.trim()))
    }

    /// Presses a button (by key or mouse).
    pub fn press(&mut self, button: Button) -> ConfirmOutcome {
        match button {
            Button::Cancel => ConfirmOutcome::Cancelled,
            Button::Confirm if self.armed() && self.twice && !self.confirmed_once => {
                // The first yes only arms the second question; focus goes back to Cancel.
                self.confirmed_once = true;
                self.focus = Button::Cancel;
                ConfirmOutcome::Pending
            }
            Button::Confirm if self.armed() => ConfirmOutcome::Confirmed,
            Button::Confirm => ConfirmOutcome::Pending,
        }
    }

    pub fn handle(&mut self, key: &KeyEvent) -> ConfirmOutcome {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return ConfirmOutcome::Cancelled;
        }
        if self.on_plan_key(key) {
            return ConfirmOutcome::Pending;
        }
        match key.code {
            KeyCode::Esc => ConfirmOutcome::Cancelled,
            KeyCode::Enter => self.press(self.focus),
            // Once the code is typed, `y` confirms here as in every dialog: a complete
            // code takes no more characters.
            KeyCode::Char('y') | KeyCode::Char('Y') if self.code.is_some() && self.armed() => {
                self.press(Button::Confirm)
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                self.focus = match self.focus {
                    Button::Cancel => Button::Confirm,
                    Button::Confirm => Button::Cancel,
                };
                ConfirmOutcome::Pending
            }
            // With a code to type, letters are the code, not shortcuts.
            KeyCode::Char(c) if self.code.is_some() => {
                self.typed.push(c);
                if self.armed() {
                    self.focus = Button::Confirm;
                }
                ConfirmOutcome::Pending
            }
            KeyCode::Backspace if self.code.is_some() => {
                self.typed.pop();
                if !self.armed() {
                    self.focus = Button::Cancel;
                }
                ConfirmOutcome::Pending
            }
            KeyCode::Char('y') | KeyCode::Char('Y') => self.press(Button::Confirm),
            KeyCode::Char('n') | KeyCode::Char('N') => ConfirmOutcome::Cancelled,
            KeyCode::Char('h') => {
                self.focus = Button::Cancel;
                ConfirmOutcome::Pending
            }
            KeyCode::Char('l') => {
                self.focus = Button::Confirm;
                ConfirmOutcome::Pending
            }
            _ => ConfirmOutcome::Pending,
        }
    }
}

fn label_of(c: &Confirm) -> String {
    // "deny-all" → "Deny all": any action's verb reads as its button.
    let words = c.action.verb().replace('-', " ");
    let mut chars = words.chars();
    let verb: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if c.dry_run {
        format!("  {verb} (dry run)  ")
    } else {
        format!("  {verb}  ")
    }
}

/// Breaks `text` into lines of at most `width` characters, preferring to break after a
/// comma; a piece longer than a line is cut where it must be.
pub fn wrap_at_commas(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for piece in text.split_inclusive(',') {
        if line.chars().count() + piece.chars().count() > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line.push_str(piece);
        while line.chars().count() > width {
            let rest: String = line.chars().skip(width).collect();
            line = line.chars().take(width).collect();
            lines.push(std::mem::replace(&mut line, rest));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Characters of an API call per dialog line (the dialog is 84 wide).
const CALL_WIDTH: usize = 78;

impl Confirm {
    /// The text of the confirming button.
    pub fn label(&self) -> String {
        label_of(self)
    }

    /// The lines an API call takes in the dialog: shown whole, wrapped after commas, so
    /// what is confirmed is exactly what will be sent and no ID is split across lines.
    pub fn call_lines(&self, call: &crate::model::ApiCall) -> Vec<String> {
        wrap_at_commas(&call.to_string(), CALL_WIDTH)
    }

    /// How many lines the dialog's body has (the renderer draws exactly these; the layout
    /// and the mouse need the count without drawing).
    pub fn line_count(&self) -> usize {
        let calls: usize = if self.plan.is_some() {
            self.plan_lines().len().min(PLAN_ROWS)
        } else {
            self.calls.iter().map(|c| self.call_lines(c).len()).sum()
        };
        1 + 2 * usize::from(self.acting.is_some())
            + usize::from(self.warning.is_some())
            + 2
            + calls
            + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn deactivate() -> Confirm {
        Confirm::new(
            "a1".into(),
            Action::DeactivateKey {
                user: "u".into(),
                access_key_id: "AKIA0000000000001234".into(),
            },
            vec![],
            false,
        )
    }

    fn delete() -> Confirm {
        Confirm::new(
            "a2".into(),
            Action::DeleteKey {
                user: "u".into(),
                access_key_id: "AKIA0000000000001234".into(),
            },
            vec![],
            false,
        )
    }

    #[test]
    fn cancel_is_focused_so_enter_cancels() {
        let mut c = deactivate();
        assert_eq!(c.focus, Button::Cancel);
        assert_eq!(c.handle(&key(KeyCode::Enter)), ConfirmOutcome::Cancelled);
    }

    #[test]
    fn y_confirms_n_and_esc_cancel() {
        assert_eq!(
            deactivate().handle(&key(KeyCode::Char('y'))),
            ConfirmOutcome::Confirmed
        );
        assert_eq!(
            deactivate().handle(&key(KeyCode::Char('n'))),
            ConfirmOutcome::Cancelled
        );
        assert_eq!(
            deactivate().handle(&key(KeyCode::Esc)),
            ConfirmOutcome::Cancelled
        );
    }

    #[test]
    fn tab_then_enter_confirms() {
        let mut c = deactivate();
        c.handle(&key(KeyCode::Tab));
        assert_eq!(c.handle(&key(KeyCode::Enter)), ConfirmOutcome::Confirmed);
    }

    #[test]
    fn deleting_a_key_needs_its_last_four_characters() {
        let mut c = delete();
        assert_eq!(c.code.as_deref(), Some("1234"));
        // `y` is just a character here, and Confirm stays disarmed.
        assert_eq!(c.handle(&key(KeyCode::Char('y'))), ConfirmOutcome::Pending);
        assert_eq!(c.press(Button::Confirm), ConfirmOutcome::Pending);
        c.handle(&key(KeyCode::Backspace));
        for ch in "1234".chars() {
            c.handle(&key(KeyCode::Char(ch)));
        }
        assert!(c.armed());
        assert_eq!(c.focus, Button::Confirm);
        assert_eq!(c.handle(&key(KeyCode::Enter)), ConfirmOutcome::Confirmed);
    }

    #[test]
    fn the_console_own_key_needs_two_confirmations() {
        let mut c = deactivate();
        c.twice = true;
        assert_eq!(c.handle(&key(KeyCode::Char('y'))), ConfirmOutcome::Pending);
        assert!(c.confirmed_once);
        assert_eq!(
            c.focus,
            Button::Cancel,
            "focus back on Cancel for the second question"
        );
        assert_eq!(c.handle(&key(KeyCode::Enter)), ConfirmOutcome::Cancelled);
        let mut c = deactivate();
        c.twice = true;
        c.handle(&key(KeyCode::Char('y')));
        assert_eq!(
            c.handle(&key(KeyCode::Char('y'))),
            ConfirmOutcome::Confirmed
        );
    }

    #[test]
    fn once_the_code_is_typed_y_confirms_as_everywhere() {
        let mut c = delete();
        for ch in "123".chars() {
            c.handle(&key(KeyCode::Char(ch)));
        }
        // Not yet armed: `y` is typed (and is wrong).
        assert_eq!(c.handle(&key(KeyCode::Char('y'))), ConfirmOutcome::Pending);
        c.handle(&key(KeyCode::Backspace));
        c.handle(&key(KeyCode::Char('4')));
        assert_eq!(
            c.handle(&key(KeyCode::Char('y'))),
            ConfirmOutcome::Confirmed
        );
    }

    #[test]
    fn a_plan_is_a_checklist_whose_ticks_decide_what_runs_and_what_is_typed() {
        let steps = vec![
            PlanStep {
                action: Action::DeactivateKey {
                    user: "u".into(),
                    access_key_id: "AKIA0000000000001234".into(),
                },
                ticked: true,
            },
            PlanStep {
                action: Action::TerminateInstances {
                    region: "us-east-1".into(),
                    instance_ids: vec!["i-0abc".into()],
                },
                ticked: false,
            },
        ];
        let mut c = Confirm::for_plan(Subject::Principal("u".into()), steps, false);
        assert_eq!(c.action.steps().len(), 1);
        assert_eq!(c.code, None, "nothing irreversible is ticked");
        assert_eq!(c.calls.len(), 1);
        c.handle(&key(KeyCode::Down));
        c.handle(&key(KeyCode::Char(' ')));
        assert_eq!(c.action.steps().len(), 2);
        assert_eq!(c.code.as_deref(), Some("u"), "terminating is typed");
        assert!(!c.armed());
        c.handle(&key(KeyCode::Char('u')));
        assert_eq!(
            c.handle(&key(KeyCode::Char('y'))),
            ConfirmOutcome::Confirmed
        );
        // Unticking everything disarms it.
        let mut c = c.clone();
        c.handle(&key(KeyCode::Char(' ')));
        c.handle(&key(KeyCode::Up));
        c.handle(&key(KeyCode::Char(' ')));
        assert!(!c.armed());
        let lines = c.plan_lines();
        assert!(matches!(&lines[0], PlanLine::Step { ticked: false, .. }));
        assert!(matches!(&lines[1], PlanLine::Call(t) if t.contains("UpdateAccessKey")));
    }

    #[test]
    fn a_wrong_code_never_confirms() {
        let mut c = delete();
        for ch in "1235".chars() {
            c.handle(&key(KeyCode::Char(ch)));
        }
        c.focus = Button::Confirm;
        assert_eq!(c.handle(&key(KeyCode::Enter)), ConfirmOutcome::Pending);
    }
}
