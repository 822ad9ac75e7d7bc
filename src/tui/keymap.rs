//! Key bindings: which key asks for which action, loaded from a TOML keymap.
//!
//! The built-in keymaps live in `keymaps/*.toml` and are compiled in. A user keymap starts
//! from a built-in (`extends`, "default" unless it says otherwise) and overrides only the
//! keys it sets, so a one-line file is enough to move a single binding. The help overlay is
//! generated from the active keymap ([`Keymap::help_entries`]) so it cannot drift from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use toml::Spanned;

/// Something the user can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAction {
    Quit,
    Help,
    Filter,
    Command,
    NextPane,
    PrevPane,
    /// Jump straight to a pane, 1..=9.
    Pane(u8),
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Detail,
    Back,
    Pivot,
    DeactivateKey,
    DeleteKey,
    DenyAll,
    RevokeSessions,
    Remediate,
    /// The blast radius of the selected key or principal.
    BlastRadius,
    /// The containment plan for the selected key or principal.
    Contain,
    Acknowledge,
    ResolveAlert,
    ToggleEvents,
    Yank,
    /// The event-rate chart: select the bar to the left or right, narrow to it.
    ChartLeft,
    ChartRight,
    Window,
    PlayPause,
    Faster,
    Slower,
    StepForward,
    StepBack,
}

const PANE_NAMES: [&str; 9] = [
    "pane-1", "pane-2", "pane-3", "pane-4", "pane-5", "pane-6", "pane-7", "pane-8", "pane-9",
];

const PANE_DESCRIPTIONS: [&str; 9] = [
    "Jump to pane 1",
    "Jump to pane 2",
    "Jump to pane 3",
    "Jump to pane 4",
    "Jump to pane 5",
    "Jump to pane 6",
    "Jump to pane 7",
    "Jump to pane 8",
    "Jump to pane 9",
];

/// Index into the pane tables. Only 1..=9 are ever built by this module; anything else is
/// clamped rather than panicking in the middle of drawing the help overlay.
fn pane_index(n: u8) -> usize {
    usize::from(n.clamp(1, 9) - 1)
}

impl KeyAction {
    /// Help groups, in the order the help overlay shows them.
    pub const GROUPS: &'static [&'static str] = &[
        "General",
        "Panes",
        "Navigation",
        "Investigate",
        "Respond",
        "Replay",
    ];

    /// Every action, grouped as in [`KeyAction::GROUPS`], in display order.
    pub fn all() -> Vec<KeyAction> {
        use KeyAction::*;
        let mut all = vec![Help, Filter, Command, Quit, NextPane, PrevPane];
        all.extend((1..=9).map(Pane));
        all.extend([
            Down,
            Up,
            PageDown,
            PageUp,
            Top,
            Bottom,
            Detail,
            Back,
            Pivot,
            ToggleEvents,
            Yank,
            BlastRadius,
            ChartLeft,
            ChartRight,
            Window,
            DeactivateKey,
            DeleteKey,
            DenyAll,
            RevokeSessions,
            Remediate,
            Contain,
            Acknowledge,
            ResolveAlert,
            PlayPause,
            Faster,
            Slower,
            StepForward,
            StepBack,
        ]);
        all
    }

    /// The kebab-case name used in keymap files.
    pub fn name(&self) -> &'static str {
        use KeyAction::*;
        match self {
            Quit => "quit",
            Help => "help",
            Filter => "filter",
            Command => "command",
            NextPane => "next-pane",
            PrevPane => "prev-pane",
            Pane(n) => PANE_NAMES[pane_index(*n)],
            Down => "down",
            Up => "up",
            PageDown => "page-down",
            PageUp => "page-up",
            Top => "top",
            Bottom => "bottom",
            Detail => "detail",
            Back => "back",
            Pivot => "pivot",
            DeactivateKey => "deactivate-key",
            DeleteKey => "delete-key",
            DenyAll => "deny-all",
            RevokeSessions => "revoke-sessions",
            Remediate => "remediate",
            BlastRadius => "blast-radius",
            Contain => "contain",
            Acknowledge => "acknowledge",
            ResolveAlert => "resolve-alert",
            ToggleEvents => "toggle-events",
            Yank => "yank",
            ChartLeft => "chart-left",
            ChartRight => "chart-right",
            Window => "window",
            PlayPause => "play-pause",
            Faster => "faster",
            Slower => "slower",
            StepForward => "step",
            StepBack => "step-back",
        }
    }

    /// One line for the help overlay.
    pub fn description(&self) -> &'static str {
        use KeyAction::*;
        match self {
            Quit => "Quit warroom",
            Help => "Show or hide this help",
            Filter => "Filter the focused list",
            Command => "Open the command line",
            NextPane => "Focus the next pane",
            PrevPane => "Focus the previous pane",
            Pane(n) => PANE_DESCRIPTIONS[pane_index(*n)],
            Down => "Move the selection down",
            Up => "Move the selection up",
            PageDown => "Move one page down",
            PageUp => "Move one page up",
            Top => "Jump to the first row",
            Bottom => "Jump to the last row",
            Detail => "Open the selected row",
            Back => "Close the overlay or go back",
            Pivot => "Pivot on the selected key, principal or IP",
            ToggleEvents => "Show or hide the raw events",
            Yank => "Copy the selected value to the clipboard",
            DeactivateKey => "Deactivate the selected access key",
            DeleteKey => "Delete the selected access key",
            DenyAll => "Attach a deny-all policy to the selected user",
            RevokeSessions => "Revoke the sessions of the selected user or role",
            Remediate => "Run the Config remediation for the selected finding",
            BlastRadius => "What the selected key or principal created or changed",
            Contain => "Plan the whole containment of the selected key or principal",
            Acknowledge => "Acknowledge the selected alert",
            ResolveAlert => "Resolve the selected alert",
            ChartLeft => "Select the chart's bar to the left",
            ChartRight => "Select the chart's bar to the right",
            Window => "Narrow to the selected bar's time (esc widens)",
            PlayPause => "Play or pause the replay",
            Faster => "Replay faster",
            Slower => "Replay slower",
            StepForward => "Step the replay to the next record",
            StepBack => "Step the replay back one record",
        }
    }

    /// The help group this action is listed under; one of [`KeyAction::GROUPS`].
    pub fn group(&self) -> &'static str {
        use KeyAction::*;
        match self {
            Help | Filter | Command | Quit => "General",
            NextPane | PrevPane | Pane(_) => "Panes",
            Down | Up | PageDown | PageUp | Top | Bottom | Detail | Back => "Navigation",
            Pivot | ToggleEvents | Yank | BlastRadius | ChartLeft | ChartRight | Window => {
                "Investigate"
            }
            PlayPause | Faster | Slower | StepForward | StepBack => "Replay",
            DeactivateKey | DeleteKey | DenyAll | RevokeSessions | Remediate | Contain
            | Acknowledge | ResolveAlert => "Respond",
        }
    }
}

impl fmt::Display for KeyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The valid action names, comma-separated, for error messages.
fn action_names() -> String {
    let names: Vec<&str> = KeyAction::all().iter().map(KeyAction::name).collect();
    names.join(", ")
}

/// A name that is not a [`KeyAction`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action \"{0}\"; valid actions: {names}", names = action_names())]
pub struct ParseActionError(pub String);

impl FromStr for KeyAction {
    type Err = ParseActionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        KeyAction::all()
            .into_iter()
            .find(|action| action.name() == name)
            .ok_or_else(|| ParseActionError(name.to_string()))
    }
}

/// Modifier prefixes, in the order they are written back out.
const PREFIXES: [(&str, KeyModifiers); 3] = [
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
];

/// Keys with a name rather than a character. `shift-tab` is `shift-` + `tab`.
const NAMED_KEYS: [(&str, KeyCode); 15] = [
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
];

fn named_key_list() -> String {
    let names: Vec<&str> = NAMED_KEYS.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// A key text that does not describe a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyChordError {
    #[error(
        "unknown key \"{0}\"; a key is a single character or one of {names}, shift-tab, \
         f1..f12, optionally prefixed with ctrl-, alt- or shift- \
         (e.g. \"G\", \"?\", \"ctrl-d\", \"alt-<\", \"shift-tab\", \"f5\")",
        names = named_key_list()
    )]
    Unknown(String),
    /// Terminals fold shift into the character itself, so `shift-1` could never be told
    /// apart from `1` (or would arrive as `!`).
    #[error(
        "key \"{0}\": shift- combines only with letters and named keys; \
         write the shifted character itself (e.g. \"G\", \"!\", \"?\")"
    )]
    ShiftedSymbol(String),
}

/// A key with its modifiers, in the one normalised form bindings are stored in, so that a
/// chord written in a keymap and the same chord reported by any terminal compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// Builds a normalised chord. Shift is folded into the key where terminals disagree
    /// about reporting it: a character carries it in its case (some terminals send `G`
    /// with SHIFT, some without, kitty-style ones may send `g` with SHIFT), and Back Tab
    /// is Shift+Tab by definition (sometimes reported with SHIFT, sometimes as Tab+SHIFT).
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let shift = mods.contains(KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) if shift => KeyCode::Char(c.to_ascii_uppercase()),
            KeyCode::Tab if shift => KeyCode::BackTab,
            other => other,
        };
        let mods = match code {
            KeyCode::Char(_) | KeyCode::BackTab => mods - KeyModifiers::SHIFT,
            _ => mods,
        };
        KeyChord { code, mods }
    }

    /// The chord a key event stands for. Event kind (press/repeat/release) is the
    /// caller's business and is not looked at.
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        KeyChord::new(event.code, event.modifiers)
    }

    pub fn matches(&self, event: &KeyEvent) -> bool {
        *self == KeyChord::from_event(event)
    }

    /// How simple the chord is to type, for listing the easiest key first.
    fn simplicity(&self) -> (u32, usize) {
        (self.mods.bits().count_ones(), self.to_string().len())
    }
}

/// Strips one modifier prefix, ignoring case, if something follows it (so "-" and
/// "alt--" keep their minus key).
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    let rest = &text[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && !rest.is_empty()).then_some(rest)
}

/// Splits "ctrl-alt-x" into its modifiers and "x". Prefixes may come in any order.
fn split_modifiers(text: &str) -> (KeyModifiers, &str) {
    let mut mods = KeyModifiers::NONE;
    let mut rest = text;
    while let Some((m, tail)) = PREFIXES
        .iter()
        .find_map(|(prefix, m)| Some((*m, strip_prefix_ignore_case(rest, prefix)?)))
    {
        mods |= m;
        rest = tail;
    }
    (mods, rest)
}

fn parse_function_key(name: &str) -> Option<KeyCode> {
    let digits = name.strip_prefix(['f', 'F'])?;
    let n: u8 = digits.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

/// The key part of a chord: one character (case matters) or a key name (case does not).
fn parse_key_name(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    NAMED_KEYS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
        .or_else(|| parse_function_key(name))
}

impl FromStr for KeyChord {
    type Err = KeyChordError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (mods, name) = split_modifiers(text);
        let code = parse_key_name(name).ok_or_else(|| KeyChordError::Unknown(text.into()))?;
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
            && !c.is_ascii_alphabetic()
        {
            return Err(KeyChordError::ShiftedSymbol(text.into()));
        }
        Ok(KeyChord::new(code, mods))
    }
}

/// The canonical text: what a keymap file would say, and what the help overlay shows.
impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (prefix, m) in PREFIXES {
            if self.mods.contains(m) {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Char(c) if c != ' ' => write!(f, "{c}"),
            code => match NAMED_KEYS.iter().find(|(_, known)| *known == code) {
                Some((name, _)) => f.write_str(name),
                // Keys a keymap cannot name (media keys, …) only show up when displaying
                // an event; crossterm's own name is good enough there.
                None => write!(f, "{}", code.to_string().to_lowercase().replace(' ', "-")),
            },
        }
    }
}

/// Written after a key to remove the binding it had in the base keymap.
const UNBIND: &str = "unbind";

/// Why a keymap could not be loaded. Every variant names the file; those about its
/// contents name the line too, as `file:line: reason`.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{path}: cannot read keymap: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}{}: {message}", line_suffix(*line))]
    Toml {
        origin: String,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "{origin}: no key quits or opens the command line (quit, command): keep one, or nothing could close the console"
    )]
    NoWayOut { origin: String },
    #[error("{origin}:{line}: {reason}")]
    BadKey {
        origin: String,
        line: usize,
        reason: KeyChordError,
    },
    #[error("{origin}:{line}: {reason}")]
    UnknownAction {
        origin: String,
        line: usize,
        reason: ParseActionError,
    },
    #[error(
        "{origin}:{line}: key \"{key}\" is bound twice (same key as \"{first}\" on line {first_line})"
    )]
    DuplicateKey {
        origin: String,
        line: usize,
        key: String,
        first: String,
        first_line: usize,
    },
    #[error(
        "{origin}:{line}: cannot extend unknown keymap \"{name}\"; built-in keymaps: {names}",
        names = Keymap::BUILTIN.join(", ")
    )]
    UnknownExtends {
        origin: String,
        line: usize,
        name: String,
    },
    #[error(
        "unknown keymap \"{name}\"; built-in keymaps: {names} (or give a path to a .toml file)",
        names = Keymap::BUILTIN.join(", ")
    )]
    UnknownBuiltin { name: String },
}

/// ":12" for a known line, nothing when the TOML error has no position.
pub(super) fn line_suffix(line: Option<usize>) -> String {
    line.map(|n| format!(":{n}")).unwrap_or_default()
}

/// A keymap or theme text with the name it is reported under (theme loading shares
/// this and the helpers below so both report `file:line: reason` the same way).
pub(super) struct Source<'a> {
    pub(super) origin: &'a str,
    pub(super) text: &'a str,
}

impl Source<'_> {
    /// The 1-based line a byte span starts on.
    pub(super) fn line(&self, span: Range<usize>) -> usize {
        let start = span.start.min(self.text.len());
        1 + self.text.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn toml_error(&self, err: toml::de::Error) -> KeymapError {
        KeymapError::Toml {
            origin: self.origin.to_string(),
            line: err.span().map(|span| self.line(span)),
            message: err.message().trim_end().to_string(),
        }
    }
}

/// A spec names a file rather than a built-in if it looks like a path.
pub(super) fn looks_like_path(spec: &str) -> bool {
    spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR) || spec.ends_with(".toml")
}

pub(super) type Entries = BTreeMap<Spanned<String>, Spanned<String>>;

/// A keymap file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    extends: Option<Spanned<String>>,
    #[serde(default)]
    keys: Entries,
}

/// The bindings in the order they are written, so that errors come out top to bottom.
pub(super) fn in_file_order(entries: &Entries) -> Vec<(&Spanned<String>, &Spanned<String>)> {
    let mut ordered: Vec<_> = entries.iter().collect();
    ordered.sort_by_key(|(key, _)| key.span().start);
    ordered
}

/// The active key bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: HashMap<KeyChord, KeyAction>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::builtin("default").expect("the built-in default keymap is valid")
    }
}

impl Keymap {
    pub const BUILTIN: &'static [&'static str] = &["default", "emacs"];

    /// A compiled-in keymap by name.
    pub fn builtin(name: &str) -> Result<Keymap, KeymapError> {
        let (origin, text) = builtin_source(name).ok_or_else(|| KeymapError::UnknownBuiltin {
            name: name.to_string(),
        })?;
        // Built-ins are complete on their own unless they say what they extend.
        Keymap::parse(&Source { origin, text }, None)
    }

    /// `spec`: a built-in name or a path to a .toml file (a path if it contains '/' or
    /// ends in .toml); `None` is the default keymap. A user file starts from its `extends`
    /// base (default "default") and overrides only what it sets.
    pub fn load(spec: Option<&str>) -> Result<Keymap, KeymapError> {
        match spec {
            None => Keymap::builtin("default"),
            Some(path) if looks_like_path(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| KeymapError::Io {
                    path: path.to_string(),
                    source,
                })?;
                Keymap::from_toml(&text, path)
            }
            Some(name) => Keymap::builtin(name),
        }
    }

    /// A user keymap from its text; `origin` is the path shown in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        Keymap::parse(&Source { origin, text }, Some("default"))
    }

    /// What a key press asks for, if anything.
    pub fn lookup(&self, key: &KeyEvent) -> Option<KeyAction> {
        self.bindings.get(&KeyChord::from_event(key)).copied()
    }

    /// The canonical texts of the keys bound to `action`, simplest first.
    pub fn keys_for(&self, action: KeyAction) -> Vec<String> {
        let mut chords: Vec<KeyChord> = self
            .bindings
            .iter()
            .filter(|(_, bound)| **bound == action)
            .map(|(chord, _)| *chord)
            .collect();
        chords.sort_by_cached_key(|chord| (chord.simplicity(), chord.to_string()));
        chords.iter().map(KeyChord::to_string).collect()
    }

    /// The help overlay's contents: per group (in [`KeyAction::GROUPS`] order), each bound
    /// action's keys joined by ", " and its description. Unbound actions are left out.
    pub fn help_entries(&self) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
        KeyAction::GROUPS
            .iter()
            .filter_map(|&group| {
                let rows = self.help_rows(group);
                (!rows.is_empty()).then_some((group, rows))
            })
            .collect()
    }

    fn help_rows(&self, group: &str) -> Vec<(String, &'static str)> {
        KeyAction::all()
            .into_iter()
            .filter(|action| action.group() == group)
            .filter_map(|action| {
                let keys = self.keys_for(action);
                (!keys.is_empty()).then(|| (keys.join(", "), action.description()))
            })
            .collect()
    }

    /// Parses a keymap file on top of its base: the `extends` it names, else
    /// `implicit_base`, else nothing.
    fn parse(src: &Source, implicit_base: Option<&str>) -> Result<Keymap, KeymapError> {
        let file: KeymapFile = toml::from_str(src.text).map_err(|err| src.toml_error(err))?;
        let mut keymap = match &file.extends {
            Some(name) => Keymap::base(src, name)?,
            None => match implicit_base {
                Some(name) => Keymap::builtin(name)?,
                None => Keymap {
                    bindings: HashMap::new(),
                },
            },
        };
        keymap.apply(src, &file.keys)?;
        // A console that cannot be left is a trap at 3 a.m.: some key must quit, or open
        // the command line (where `:quit` does).
        if keymap.keys_for(KeyAction::Quit).is_empty()
            && keymap.keys_for(KeyAction::Command).is_empty()
        {
            return Err(KeymapError::NoWayOut {
                origin: src.origin.to_string(),
            });
        }
        Ok(keymap)
    }

    /// The built-in an `extends` line names.
    fn base(src: &Source, name: &Spanned<String>) -> Result<Keymap, KeymapError> {
        match Keymap::builtin(name.get_ref()) {
            Err(KeymapError::UnknownBuiltin { name: unknown }) => {
                Err(KeymapError::UnknownExtends {
                    origin: src.origin.to_string(),
                    line: src.line(name.span()),
                    name: unknown,
                })
            }
            other => other,
        }
    }

    fn apply(&mut self, src: &Source, entries: &Entries) -> Result<(), KeymapError> {
        // Two texts for one key ("G" and "shift-g") would silently shadow each other.
        let mut seen: HashMap<KeyChord, (&str, usize)> = HashMap::new();
        for (key, value) in in_file_order(entries) {
            let line = src.line(key.span());
            let chord = parse_chord(src, key.get_ref(), line)?;
            if let Some(&(first, first_line)) = seen.get(&chord) {
                return Err(KeymapError::DuplicateKey {
                    origin: src.origin.to_string(),
                    line,
                    key: key.get_ref().clone(),
                    first: first.to_string(),
                    first_line,
                });
            }
            seen.insert(chord, (key.get_ref(), line));
            self.bind(src, chord, value)?;
        }
        Ok(())
    }

    fn bind(
        &mut self,
        src: &Source,
        chord: KeyChord,
        value: &Spanned<String>,
    ) -> Result<(), KeymapError> {
        if value.get_ref() == UNBIND {
            self.bindings.remove(&chord);
            return Ok(());
        }
        let action = value
            .get_ref()
            .parse()
            .map_err(|reason| KeymapError::UnknownAction {
                origin: src.origin.to_string(),
                line: src.line(value.span()),
                reason,
            })?;
        self.bindings.insert(chord, action);
        Ok(())
    }
}

fn parse_chord(src: &Source, text: &str, line: usize) -> Result<KeyChord, KeymapError> {
    text.parse().map_err(|reason| KeymapError::BadKey {
        origin: src.origin.to_string(),
        line,
        reason,
    })
}

/// The origin (the repository path, so errors in a built-in point at the file to fix) and
/// text of a built-in keymap.
fn builtin_source(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "default" => Some((
            "keymaps/default.toml",
            include_str!("../../keymaps/default.toml"),
        )),
        "emacs" => Some((
            "keymaps/emacs.toml",
            include_str!("../../keymaps/emacs.toml"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
