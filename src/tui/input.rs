//! The one-line editor behind `/` (filter) and `:` (command).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    /// The text changed (a filter re-runs).
    Edited,
    /// The cursor moved or nothing happened.
    Unchanged,
    /// `enter`: the line is done.
    Submit,
    /// `esc`: the line is abandoned.
    Cancel,
    /// `tab`: the caller offers completions.
    Complete,
    /// `up`/`down`: the caller walks the history.
    HistoryPrev,
    HistoryNext,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// Cursor position, in characters.
    pub cursor: usize,
    /// Candidates of the last `tab`, cycled by further `tab`s.
    pub completions: Vec<String>,
    pub completion_index: usize,
    /// Position in the command history while walking it.
    pub history_index: Option<usize>,
}

impl Input {
    pub fn new(kind: InputKind, text: &str) -> Self {
        Input {
            kind,
            text: text.to_string(),
            cursor: text.chars().count(),
            completions: Vec::new(),
            completion_index: 0,
            history_index: None,
        }
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.cursor = text.chars().count();
    }

    /// Edits the line with one key.
    pub fn handle(&mut self, key: &KeyEvent) -> InputOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code != KeyCode::Tab {
            self.completions.clear();
        }
        match key.code {
            KeyCode::Enter => InputOutcome::Submit,
            KeyCode::Esc => InputOutcome::Cancel,
            KeyCode::Tab => InputOutcome::Complete,
            KeyCode::Up => InputOutcome::HistoryPrev,
            KeyCode::Down => InputOutcome::HistoryNext,
            KeyCode::Char('c') if ctrl => InputOutcome::Cancel,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                InputOutcome::Edited
            }
            KeyCode::Char('w') if ctrl => {
                let at = self.byte_at(self.cursor);
                let before = self.text[..at].trim_end();
                let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                self.text.replace_range(start..at, "");
                self.cursor = self.text[..start].chars().count();
                InputOutcome::Edited
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                InputOutcome::Unchanged
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = self.text.chars().count();
                InputOutcome::Unchanged
            }
            KeyCode::Char(c) if !ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                InputOutcome::Edited
            }
            KeyCode::Backspace => {
                if self.cursor == 0 {
                    // Backspace on an empty line leaves it, as in vim's command line.
                    return if self.text.is_empty() {
                        InputOutcome::Cancel
                    } else {
                        InputOutcome::Unchanged
                    };
                }
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                InputOutcome::Edited
            }
            KeyCode::Delete => {
                if self.cursor < self.text.chars().count() {
                    let at = self.byte_at(self.cursor);
                    self.text.remove(at);
                    return InputOutcome::Edited;
                }
                InputOutcome::Unchanged
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                InputOutcome::Unchanged
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(self.text.chars().count());
                InputOutcome::Unchanged
            }
            KeyCode::Home => {
                self.cursor = 0;
                InputOutcome::Unchanged
            }
            KeyCode::End => {
                self.cursor = self.text.chars().count();
                InputOutcome::Unchanged
            }
            _ => InputOutcome::Unchanged,
        }
    }

    /// Applies the next completion of a `tab` press: the first `tab` computes candidates
    /// (given by the caller), later ones cycle through them.
    pub fn complete_with(&mut self, candidates: impl FnOnce(&str) -> Vec<String>) {
        if self.completions.is_empty() {
            self.completions = candidates(&self.text);
            self.completion_index = 0;
        } else {
            self.completion_index = (self.completion_index + 1) % self.completions.len();
        }
        if let Some(c) = self.completions.get(self.completion_index).cloned() {
            self.set(&c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(text: &str) -> Input {
        let mut i = Input::new(InputKind::Command, "");
        for c in text.chars() {
            i.handle(&key(KeyCode::Char(c)));
        }
        i
    }

    #[test]
    fn typing_and_editing_in_the_middle() {
        let mut i = typed("note hllo");
        for _ in 0..3 {
            i.handle(&key(KeyCode::Left));
        }
        i.handle(&key(KeyCode::Char('e')));
        assert_eq!(i.text, "note hello");
        i.handle(&key(KeyCode::End));
        i.handle(&key(KeyCode::Backspace));
        assert_eq!(i.text, "note hell");
        i.handle(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(i.text, "note ");
    }

    #[test]
    fn multibyte_text_is_edited_by_character() {
        let mut i = typed("naïve");
        i.handle(&key(KeyCode::Left));
        i.handle(&key(KeyCode::Left));
        i.handle(&key(KeyCode::Backspace));
        assert_eq!(i.text, "nave");
    }

    #[test]
    fn tab_cycles_through_completions() {
        let mut i = typed("de");
        assert_eq!(i.handle(&key(KeyCode::Tab)), InputOutcome::Complete);
        let cands = || vec!["deactivate ".to_string(), "deny-all ".to_string()];
        i.complete_with(|_| cands());
        assert_eq!(i.text, "deactivate ");
        i.complete_with(|_| panic!("candidates are computed once"));
        assert_eq!(i.text, "deny-all ");
        i.handle(&key(KeyCode::Char('x')));
        assert!(i.completions.is_empty());
    }

    #[test]
    fn enter_submits_and_esc_or_backspace_on_empty_cancels() {
        let mut i = typed("x");
        assert_eq!(i.handle(&key(KeyCode::Enter)), InputOutcome::Submit);
        assert_eq!(i.handle(&key(KeyCode::Esc)), InputOutcome::Cancel);
        i.handle(&key(KeyCode::Backspace));
        assert_eq!(i.handle(&key(KeyCode::Backspace)), InputOutcome::Cancel);
    }
}
