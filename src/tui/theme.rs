//! Colour themes: one colour per semantic role, loaded from a flat TOML file.
//!
//! The built-in themes live in `themes/*.toml` and are compiled in; each sets every key.
//! A user theme starts from a built-in (`extends`, "dark" unless it says otherwise) and
//! overrides only the keys it sets. With NO_COLOR (<https://no-color.org>) every colour is
//! `Color::Reset` and the renderer falls back to bold and reverse video.

use super::keymap::{Entries, Source, in_file_order, line_suffix, looks_like_path};
use ratatui::style::Color;
use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;

/// The colour of every role the renderer paints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub no_color: bool,
    pub background: Color,
    pub foreground: Color,
    pub muted: Color,
    pub accent: Color,
    pub border: Color,
    pub border_focused: Color,
    pub title: Color,
    pub tab_fg: Color,
    pub tab_active_fg: Color,
    pub tab_active_bg: Color,
    pub header_fg: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    pub match_fg: Color,
    pub critical: Color,
    pub high: Color,
    pub medium: Color,
    pub low: Color,
    pub info: Color,
    pub ok: Color,
    pub warning: Color,
    pub error: Color,
    pub status_fg: Color,
    pub status_bg: Color,
    pub mode_fg: Color,
    pub mode_bg: Color,
    pub dialog_border: Color,
    pub button_fg: Color,
    pub button_bg: Color,
    pub button_focused_fg: Color,
    pub button_focused_bg: Color,
    pub code_fg: Color,
    pub code_bg: Color,
}

/// A theme file key and the colour it sets.
type Field = (&'static str, fn(&mut Theme) -> &mut Color);

/// Every colour key, in file order. Loading, completeness checks and NO_COLOR all go
/// through this one table so a new role cannot be forgotten in one of them.
const FIELDS: &[Field] = &[
    ("background", |t| &mut t.background),
    ("foreground", |t| &mut t.foreground),
    ("muted", |t| &mut t.muted),
    ("accent", |t| &mut t.accent),
    ("border", |t| &mut t.border),
    ("border_focused", |t| &mut t.border_focused),
    ("title", |t| &mut t.title),
    ("tab_fg", |t| &mut t.tab_fg),
    ("tab_active_fg", |t| &mut t.tab_active_fg),
    ("tab_active_bg", |t| &mut t.tab_active_bg),
    ("header_fg", |t| &mut t.header_fg),
    ("selection_fg", |t| &mut t.selection_fg),
    ("selection_bg", |t| &mut t.selection_bg),
    ("match_fg", |t| &mut t.match_fg),
    ("critical", |t| &mut t.critical),
    ("high", |t| &mut t.high),
    ("medium", |t| &mut t.medium),
    ("low", |t| &mut t.low),
    ("info", |t| &mut t.info),
    ("ok", |t| &mut t.ok),
    ("warning", |t| &mut t.warning),
    ("error", |t| &mut t.error),
    ("status_fg", |t| &mut t.status_fg),
    ("status_bg", |t| &mut t.status_bg),
    ("mode_fg", |t| &mut t.mode_fg),
    ("mode_bg", |t| &mut t.mode_bg),
    ("dialog_border", |t| &mut t.dialog_border),
    ("button_fg", |t| &mut t.button_fg),
    ("button_bg", |t| &mut t.button_bg),
    ("button_focused_fg", |t| &mut t.button_focused_fg),
    ("button_focused_bg", |t| &mut t.button_focused_bg),
    ("code_fg", |t| &mut t.code_fg),
    ("code_bg", |t| &mut t.code_bg),
];

/// Keys that are not colours.
const EXTENDS: &str = "extends";
const NAME: &str = "name";

fn field(key: &str) -> Option<fn(&mut Theme) -> &mut Color> {
    FIELDS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, slot)| *slot)
}

fn valid_keys() -> String {
    let keys: Vec<&str> = [EXTENDS, NAME]
        .into_iter()
        .chain(FIELDS.iter().map(|(name, _)| *name))
        .collect();
    keys.join(", ")
}

const ANSI_COLORS: [(&str, Color); 17] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

fn ansi_names() -> String {
    let names: Vec<&str> = ANSI_COLORS.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// A colour as theme files write it: an ANSI name (case-insensitive) or `#rrggbb`.
pub fn parse_color(text: &str) -> Option<Color> {
    match text.strip_prefix('#') {
        Some(hex) => parse_hex(hex),
        None => ANSI_COLORS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|(_, color)| *color),
    }
}

fn parse_hex(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

/// Whether the user asked for no colour: NO_COLOR present and non-empty.
fn no_color_set(value: Option<OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Why a theme could not be loaded. Every variant names the file; those about its
/// contents name the line too, as `file:line: reason`.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{path}: cannot read theme: {source}")]
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
    #[error("{origin}:{line}: unknown key \"{key}\"; valid keys: {keys}", keys = valid_keys())]
    UnknownKey {
        origin: String,
        line: usize,
        key: String,
    },
    #[error(
        "{origin}:{line}: bad colour \"{value}\" for {key}; expected \"#rrggbb\" or one of {names}",
        names = ansi_names()
    )]
    BadColor {
        origin: String,
        line: usize,
        key: String,
        value: String,
    },
    #[error(
        "{origin}:{line}: cannot extend unknown theme \"{name}\"; built-in themes: {names}",
        names = Theme::BUILTIN.join(", ")
    )]
    UnknownExtends {
        origin: String,
        line: usize,
        name: String,
    },
    /// Only built-in themes must be complete; user themes inherit what they leave out.
    #[error("{origin}: missing keys: {}", keys.join(", "))]
    Missing {
        origin: String,
        keys: Vec<&'static str>,
    },
    #[error(
        "unknown theme \"{name}\"; built-in themes: {names} (or give a path to a .toml file)",
        names = Theme::BUILTIN.join(", ")
    )]
    UnknownBuiltin { name: String },
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("dark").expect("the built-in dark theme is valid")
    }
}

impl Theme {
    pub const BUILTIN: &'static [&'static str] = &["dark", "light", "high-contrast"];

    /// A compiled-in theme by name, in colour.
    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        let (origin, text) = builtin_source(name).ok_or_else(|| ThemeError::UnknownBuiltin {
            name: name.to_string(),
        })?;
        let mut theme = Theme::parse(&Source { origin, text }, None)?;
        theme.name = name.to_string();
        Ok(theme)
    }

    /// `spec`: a built-in name or a path to a .toml file (a path if it contains '/' or
    /// ends in .toml); `None` is "dark".
    pub fn load(spec: Option<&str>, no_color: bool) -> Result<Theme, ThemeError> {
        let theme = match spec {
            None => Theme::builtin("dark")?,
            Some(path) if looks_like_path(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ThemeError::Io {
                    path: path.to_string(),
                    source,
                })?;
                Theme::from_toml(&text, path, false)?
            }
            Some(name) => Theme::builtin(name)?,
        };
        Ok(theme.with_no_color(no_color))
    }

    /// A user theme from its text; `origin` is the path shown in errors. Its name is the
    /// file's `name` key, else the file name without extension.
    pub fn from_toml(text: &str, origin: &str, no_color: bool) -> Result<Theme, ThemeError> {
        let theme = Theme::parse(&Source { origin, text }, Some("dark"))?;
        Ok(theme.with_no_color(no_color))
    }

    /// NO_COLOR is present in the environment and non-empty (<https://no-color.org>).
    pub fn no_color_requested() -> bool {
        no_color_set(std::env::var_os("NO_COLOR"))
    }

    /// Every colour `Reset` when `no_color`, unchanged otherwise.
    fn with_no_color(mut self, no_color: bool) -> Theme {
        if no_color {
            for (_, slot) in FIELDS {
                *slot(&mut self) = Color::Reset;
            }
            self.no_color = true;
        }
        self
    }

    /// A theme with every colour `Reset`: the starting point of a built-in file, which
    /// must then set every key.
    fn blank(name: String) -> Theme {
        let c = Color::Reset;
        Theme {
            name,
            no_color: false,
            background: c,
            foreground: c,
            muted: c,
            accent: c,
            border: c,
            border_focused: c,
            title: c,
            tab_fg: c,
            tab_active_fg: c,
            tab_active_bg: c,
            header_fg: c,
            selection_fg: c,
            selection_bg: c,
            match_fg: c,
            critical: c,
            high: c,
            medium: c,
            low: c,
            info: c,
            ok: c,
            warning: c,
            error: c,
            status_fg: c,
            status_bg: c,
            mode_fg: c,
            mode_bg: c,
            dialog_border: c,
            button_fg: c,
            button_bg: c,
            button_focused_fg: c,
            button_focused_bg: c,
            code_fg: c,
            code_bg: c,
        }
    }

    /// Parses a theme file on top of its base: the `extends` it names, else
    /// `implicit_base`; with neither, the file must set every colour.
    fn parse(src: &Source, implicit_base: Option<&str>) -> Result<Theme, ThemeError> {
        let entries: Entries = toml::from_str(src.text).map_err(|err| toml_error(src, err))?;
        let entries = in_file_order(&entries);
        let extends = entries
            .iter()
            .find(|(key, _)| key.get_ref() == EXTENDS)
            .map(|(_, value)| *value);
        let complete = extends.is_none() && implicit_base.is_none();
        let mut theme = match (extends, implicit_base) {
            (Some(name), _) => base(src, name)?,
            (None, Some(name)) => Theme::builtin(name)?,
            (None, None) => Theme::blank(String::new()),
        };
        theme.name = file_stem(src.origin);
        let set = theme.apply(src, &entries)?;
        if complete {
            require_all(src, &set)?;
        }
        Ok(theme)
    }

    /// Applies the file's keys and returns the colour keys it set.
    fn apply<'e>(
        &mut self,
        src: &Source,
        entries: &[(&'e toml::Spanned<String>, &'e toml::Spanned<String>)],
    ) -> Result<HashSet<&'e str>, ThemeError> {
        let mut set = HashSet::new();
        for (key, value) in entries {
            match key.get_ref().as_str() {
                EXTENDS => {}
                NAME => self.name = value.get_ref().clone(),
                name => {
                    *slot(src, key)?(self) = color_value(src, name, value)?;
                    set.insert(name);
                }
            }
        }
        Ok(set)
    }
}

/// The setter for a colour key, or an error naming the line.
fn slot(
    src: &Source,
    key: &toml::Spanned<String>,
) -> Result<fn(&mut Theme) -> &mut Color, ThemeError> {
    field(key.get_ref()).ok_or_else(|| ThemeError::UnknownKey {
        origin: src.origin.to_string(),
        line: src.line(key.span()),
        key: key.get_ref().clone(),
    })
}

fn toml_error(src: &Source, err: toml::de::Error) -> ThemeError {
    ThemeError::Toml {
        origin: src.origin.to_string(),
        line: err.span().map(|span| src.line(span)),
        message: err.message().trim_end().to_string(),
    }
}

fn color_value(
    src: &Source,
    key: &str,
    value: &toml::Spanned<String>,
) -> Result<Color, ThemeError> {
    parse_color(value.get_ref()).ok_or_else(|| ThemeError::BadColor {
        origin: src.origin.to_string(),
        line: src.line(value.span()),
        key: key.to_string(),
        value: value.get_ref().clone(),
    })
}

/// The built-in an `extends` line names.
fn base(src: &Source, name: &toml::Spanned<String>) -> Result<Theme, ThemeError> {
    match Theme::builtin(name.get_ref()) {
        Err(ThemeError::UnknownBuiltin { name: unknown }) => Err(ThemeError::UnknownExtends {
            origin: src.origin.to_string(),
            line: src.line(name.span()),
            name: unknown,
        }),
        other => other,
    }
}

fn require_all(src: &Source, set: &HashSet<&str>) -> Result<(), ThemeError> {
    let missing: Vec<&'static str> = FIELDS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !set.contains(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ThemeError::Missing {
        origin: src.origin.to_string(),
        keys: missing,
    })
}

/// "themes/solarized.toml" → "solarized": the default name of a user theme.
fn file_stem(origin: &str) -> String {
    Path::new(origin)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| origin.to_string())
}

/// The origin (the repository path, so errors in a built-in point at the file to fix) and
/// text of a built-in theme.
fn builtin_source(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "dark" => Some(("themes/dark.toml", include_str!("../../themes/dark.toml"))),
        "light" => Some(("themes/light.toml", include_str!("../../themes/light.toml"))),
        "high-contrast" => Some((
            "themes/high-contrast.toml",
            include_str!("../../themes/high-contrast.toml"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Result<Theme, ThemeError> {
        Theme::from_toml(text, "themes/mine.toml", false)
    }

    fn colors(theme: &Theme) -> Vec<Color> {
        let mut theme = theme.clone();
        FIELDS.iter().map(|(_, slot)| *slot(&mut theme)).collect()
    }

    #[test]
    fn builtins_load() {
        for name in Theme::BUILTIN {
            let theme = Theme::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, *name);
            assert!(!theme.no_color);
        }
        assert_eq!(Theme::load(None, false).unwrap(), Theme::default());
        assert_eq!(Theme::default().name, "dark");
        assert!(matches!(
            Theme::builtin("solarized"),
            Err(ThemeError::UnknownBuiltin { .. })
        ));
    }

    #[test]
    fn every_builtin_file_sets_every_key() {
        for name in Theme::BUILTIN {
            let (_, text) = builtin_source(name).unwrap();
            let entries: Entries = toml::from_str(text).unwrap();
            for (key, _) in FIELDS {
                assert!(
                    entries.keys().any(|k| k.get_ref() == key),
                    "{name} does not set {key}"
                );
            }
        }
    }

    #[test]
    fn builtins_differ() {
        let dark = Theme::builtin("dark").unwrap();
        let light = Theme::builtin("light").unwrap();
        let contrast = Theme::builtin("high-contrast").unwrap();
        assert_ne!(colors(&dark), colors(&light));
        assert_ne!(colors(&dark), colors(&contrast));
        assert_eq!(contrast.background, Color::Black);
        assert_eq!(contrast.selection_bg, Color::LightYellow);
    }

    #[test]
    fn a_file_without_base_must_be_complete() {
        let src = Source {
            origin: "themes/partial.toml",
            text: "background = \"black\"\n",
        };
        let err = Theme::parse(&src, None).unwrap_err();
        match &err {
            ThemeError::Missing { keys, .. } => {
                assert_eq!(keys.len(), FIELDS.len() - 1);
                assert!(!keys.contains(&"background"));
            }
            other => panic!("{other}"),
        }
        assert!(
            err.to_string()
                .starts_with("themes/partial.toml: missing keys: foreground")
        );
    }

    #[test]
    fn override_keeps_other_colours() {
        let dark = Theme::builtin("dark").unwrap();
        let theme = user("# mine\nselection_bg = \"#102030\"\n").unwrap();
        assert_eq!(theme.selection_bg, Color::Rgb(0x10, 0x20, 0x30));
        assert_ne!(dark.selection_bg, theme.selection_bg);
        assert_eq!(theme.foreground, dark.foreground);
        assert_eq!(theme.critical, dark.critical);
        assert_eq!(theme.name, "mine");
    }

    #[test]
    fn extends_picks_the_base() {
        let light = Theme::builtin("light").unwrap();
        let theme = user("extends = \"light\"\nname = \"paper\"\naccent = \"red\"\n").unwrap();
        assert_eq!(theme.name, "paper");
        assert_eq!(theme.accent, Color::Red);
        assert_eq!(theme.background, light.background);
    }

    #[test]
    fn unknown_extends_lists_builtins() {
        let err = user("\nextends = \"solarized\"\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "themes/mine.toml:2: cannot extend unknown theme \"solarized\"; \
             built-in themes: dark, light, high-contrast"
        );
    }

    #[test]
    fn bad_colour_names_line_and_accepted_forms() {
        let err = user("accent = \"red\"\n\nborder = \"#12345g\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("themes/mine.toml:3: bad colour \"#12345g\" for border"),
            "{err}"
        );
        assert!(
            err.contains("#rrggbb") && err.contains("dark-gray"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_line_and_valid_keys() {
        let err = user("accent = \"red\"\nselection = \"blue\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("themes/mine.toml:2: unknown key \"selection\"; valid keys: "),
            "{err}"
        );
        for (key, _) in FIELDS {
            assert!(err.contains(key), "{err} lacks {key}");
        }
    }

    #[test]
    fn syntax_error_names_line() {
        let err = user("accent = \"red\"\nborder = \n").unwrap_err();
        assert!(
            matches!(err, ThemeError::Toml { line: Some(2), .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("themes/mine.toml:2: "), "{err}");
    }

    #[test]
    fn non_string_value_names_line() {
        let err = user("\naccent = 3\n").unwrap_err().to_string();
        assert!(err.starts_with("themes/mine.toml:2: "), "{err}");
    }

    #[test]
    fn no_color_resets_everything() {
        for name in Theme::BUILTIN {
            let theme = Theme::load(Some(name), true).unwrap();
            assert!(theme.no_color);
            assert!(colors(&theme).iter().all(|c| *c == Color::Reset), "{name}");
        }
        let theme = Theme::from_toml("accent = \"red\"\n", "mine.toml", true).unwrap();
        assert!(theme.no_color);
        assert!(colors(&theme).iter().all(|c| *c == Color::Reset));
    }

    #[test]
    fn no_color_env_value_must_be_non_empty() {
        assert!(no_color_set(Some("1".into())));
        assert!(no_color_set(Some("0".into())));
        assert!(!no_color_set(Some("".into())));
        assert!(!no_color_set(None));
    }

    #[test]
    fn parses_hex_and_ansi_names() {
        assert_eq!(parse_color("#264f78"), Some(Color::Rgb(0x26, 0x4f, 0x78)));
        assert_eq!(parse_color("#FFFFFF"), Some(Color::Rgb(255, 255, 255)));
        assert_eq!(parse_color("dark-gray"), Some(Color::DarkGray));
        assert_eq!(parse_color("Light-Cyan"), Some(Color::LightCyan));
        assert_eq!(parse_color("reset"), Some(Color::Reset));
        for (name, color) in ANSI_COLORS {
            assert_eq!(parse_color(name), Some(color));
        }
        for bad in ["#fff", "#1234567", "#zzzzzz", "264f78", "darkgray", "", "#"] {
            assert_eq!(parse_color(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn load_reads_a_file_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.toml");
        std::fs::write(&path, "extends = \"high-contrast\"\nok = \"#00ff00\"\n").unwrap();
        let theme = Theme::load(path.to_str(), false).unwrap();
        assert_eq!(theme.name, "ops");
        assert_eq!(theme.ok, Color::Rgb(0, 255, 0));
        assert_eq!(theme.background, Color::Black);

        let missing = "/nonexistent/warroom/theme.toml";
        let err = Theme::load(Some(missing), false).unwrap_err();
        assert!(matches!(err, ThemeError::Io { .. }));
        assert!(err.to_string().starts_with(missing), "{err}");
    }
}
