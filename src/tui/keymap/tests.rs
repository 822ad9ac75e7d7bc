use super::*;
use crossterm::event::KeyEventKind;

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c), KeyModifiers::NONE)
}

fn user(text: &str) -> Result<Keymap, KeymapError> {
    Keymap::from_toml(text, "keymaps/mine.toml")
}

#[test]
fn builtins_load() {
    for name in Keymap::BUILTIN {
        Keymap::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(Keymap::load(None).is_ok());
    assert!(matches!(
        Keymap::builtin("vi"),
        Err(KeymapError::UnknownBuiltin { .. })
    ));
}

#[test]
fn every_action_is_bound_in_every_builtin() {
    for name in Keymap::BUILTIN {
        let keymap = Keymap::builtin(name).unwrap();
        for action in KeyAction::all() {
            assert!(
                !keymap.keys_for(action).is_empty(),
                "{name}: {action} has no key"
            );
        }
    }
}

#[test]
fn default_bindings() {
    let keymap = Keymap::default();
    assert_eq!(keymap.lookup(&ch('q')), Some(KeyAction::Quit));
    assert_eq!(
        keymap.lookup(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(KeyAction::Quit)
    );
    assert_eq!(keymap.lookup(&ch('3')), Some(KeyAction::Pane(3)));
    assert_eq!(keymap.lookup(&ch('d')), Some(KeyAction::DeactivateKey));
    assert_eq!(keymap.lookup(&ch('D')), Some(KeyAction::DeleteKey));
    assert_eq!(keymap.keys_for(KeyAction::Down), vec!["j", "down"]);
    assert_eq!(keymap.lookup(&ch('z')), None);
}

#[test]
fn uppercase_matches_with_and_without_shift() {
    let keymap = Keymap::default();
    let bottom = Some(KeyAction::Bottom);
    assert_eq!(keymap.lookup(&ch('G')), bottom);
    assert_eq!(
        keymap.lookup(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        bottom
    );
    // kitty-style reporting: the base key plus SHIFT.
    assert_eq!(
        keymap.lookup(&key(KeyCode::Char('g'), KeyModifiers::SHIFT)),
        bottom
    );
    assert_eq!(keymap.lookup(&ch('g')), Some(KeyAction::Top));
}

#[test]
fn shift_tab_matches_backtab() {
    let keymap = Keymap::default();
    let prev = Some(KeyAction::PrevPane);
    assert_eq!(
        keymap.lookup(&key(KeyCode::BackTab, KeyModifiers::NONE)),
        prev
    );
    assert_eq!(
        keymap.lookup(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
        prev
    );
    assert_eq!(keymap.lookup(&key(KeyCode::Tab, KeyModifiers::SHIFT)), prev);
    assert_eq!(
        keymap.lookup(&key(KeyCode::Tab, KeyModifiers::NONE)),
        Some(KeyAction::NextPane)
    );
}

#[test]
fn modifiers_must_match() {
    let keymap = Keymap::default();
    assert_eq!(keymap.lookup(&ch('Z')), None);
    assert_eq!(
        keymap.lookup(&key(KeyCode::Char('q'), KeyModifiers::ALT)),
        None
    );
}

#[test]
fn chord_text_round_trips() {
    for text in [
        "a",
        "G",
        "?",
        "/",
        ":",
        "-",
        "space",
        "enter",
        "esc",
        "tab",
        "shift-tab",
        "backspace",
        "delete",
        "insert",
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "pageup",
        "pagedown",
        "f1",
        "f12",
        "ctrl-c",
        "alt-<",
        "ctrl-alt-x",
        "ctrl--",
        "shift-up",
        "ctrl-shift-tab",
        "ctrl-space",
    ] {
        let chord: KeyChord = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(chord.to_string(), text);
    }
}

#[test]
fn chord_text_is_normalised() {
    let canonical = |text: &str| text.parse::<KeyChord>().unwrap().to_string();
    assert_eq!(canonical("alt-ctrl-x"), "ctrl-alt-x");
    assert_eq!(canonical("Ctrl-c"), "ctrl-c");
    assert_eq!(canonical("shift-g"), "G");
    assert_eq!(canonical("PageDown"), "pagedown");
    assert_eq!(canonical("F5"), "f5");
}

#[test]
fn bad_chord_texts_are_rejected() {
    for text in ["", "ctrl-", "foo", "ctrl-foo", "f13", "f0", "ab"] {
        assert!(
            matches!(text.parse::<KeyChord>(), Err(KeyChordError::Unknown(_))),
            "{text:?} parsed"
        );
    }
    assert_eq!(
        "shift-1".parse::<KeyChord>(),
        Err(KeyChordError::ShiftedSymbol("shift-1".into()))
    );
}

#[test]
fn action_names_round_trip() {
    for action in KeyAction::all() {
        assert_eq!(action.name().parse::<KeyAction>(), Ok(action));
        assert!(KeyAction::GROUPS.contains(&action.group()));
        assert!(!action.description().is_empty());
    }
    assert_eq!("pane-7".parse(), Ok(KeyAction::Pane(7)));
    assert!("pane-0".parse::<KeyAction>().is_err());
}

#[test]
fn all_is_grouped_in_display_order() {
    let groups: Vec<&str> = KeyAction::all().iter().map(KeyAction::group).collect();
    let mut deduped = groups.clone();
    deduped.dedup();
    assert_eq!(deduped, KeyAction::GROUPS);
}

#[test]
fn user_file_overrides_one_key_and_keeps_the_rest() {
    let keymap = user("[keys]\n\"Q\" = \"quit\"\n\"j\" = \"up\"\n").unwrap();
    assert_eq!(keymap.lookup(&ch('Q')), Some(KeyAction::Quit));
    assert_eq!(keymap.lookup(&ch('q')), Some(KeyAction::Quit));
    assert_eq!(keymap.lookup(&ch('j')), Some(KeyAction::Up));
    assert_eq!(keymap.lookup(&ch('k')), Some(KeyAction::Up));
    assert_eq!(keymap.keys_for(KeyAction::Down), vec!["down"]);
    assert_eq!(keymap.lookup(&ch('p')), Some(KeyAction::Pivot));
}

#[test]
fn user_file_can_extend_another_builtin() {
    let keymap = user("extends = \"emacs\"\n").unwrap();
    assert_eq!(keymap, Keymap::builtin("emacs").unwrap());
    assert_ne!(keymap, Keymap::default());
}

#[test]
fn unbind_removes_an_inherited_binding() {
    let keymap = user("[keys]\n\"x\" = \"unbind\"\n").unwrap();
    assert_eq!(keymap.lookup(&ch('x')), None);
    assert!(keymap.keys_for(KeyAction::DenyAll).is_empty());
    assert_eq!(keymap.lookup(&ch('q')), Some(KeyAction::Quit));
}

#[test]
fn unknown_action_names_file_line_and_valid_actions() {
    let text = "# mine\n[keys]\n\"j\" = \"down\"\n\"q\" = \"quitt\"\n";
    let err = user(text).unwrap_err().to_string();
    assert!(
        err.starts_with("keymaps/mine.toml:4: unknown action \"quitt\"; valid actions: "),
        "{err}"
    );
    for action in KeyAction::all() {
        assert!(err.contains(action.name()), "{err} lacks {action}");
    }
}

#[test]
fn bad_key_text_names_line_and_examples() {
    let err = user("[keys]\n\n\"ctrl-foo\" = \"quit\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("keymaps/mine.toml:3: unknown key \"ctrl-foo\""),
        "{err}"
    );
    assert!(err.contains("\"ctrl-d\""), "{err}");
}

#[test]
fn syntax_error_names_line() {
    let err = user("[keys]\n\"q\" = \"quit\"\n\"j\" = down\n").unwrap_err();
    assert!(
        matches!(err, KeymapError::Toml { line: Some(3), .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("keymaps/mine.toml:3: "),
        "{err}"
    );
}

#[test]
fn unknown_table_is_rejected_with_line() {
    let err = user("\n[kyes]\n\"q\" = \"quit\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("keymaps/mine.toml:2: "), "{err}");
    assert!(err.contains("kyes"), "{err}");
}

#[test]
fn unknown_extends_lists_builtins() {
    let err = user("\nextends = \"vim\"\n").unwrap_err().to_string();
    assert_eq!(
        err,
        "keymaps/mine.toml:2: cannot extend unknown keymap \"vim\"; \
         built-in keymaps: default, emacs"
    );
}

#[test]
fn same_key_twice_is_rejected() {
    let err = user("[keys]\n\"G\" = \"top\"\n\"shift-g\" = \"bottom\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("keymaps/mine.toml:3: key \"shift-g\""),
        "{err}"
    );
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn unreadable_file_names_path() {
    let path = "/nonexistent/warroom/keys.toml";
    let err = Keymap::load(Some(path)).unwrap_err();
    assert!(matches!(err, KeymapError::Io { .. }));
    assert!(err.to_string().starts_with(path), "{err}");
}

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "[keys]\n\"ctrl-q\" = \"quit\"\n").unwrap();
    let keymap = Keymap::load(path.to_str()).unwrap();
    assert_eq!(
        keymap.keys_for(KeyAction::Quit),
        vec!["q", "ctrl-c", "ctrl-q"]
    );
    assert_eq!(
        Keymap::load(Some("emacs")).unwrap(),
        Keymap::builtin("emacs").unwrap()
    );
}

#[test]
fn help_follows_the_keymap() {
    let find = |keymap: &Keymap, description: &str| {
        keymap
            .help_entries()
            .into_iter()
            .flat_map(|(_, rows)| rows)
            .find(|(_, d)| *d == description)
            .map(|(keys, _)| keys)
    };
    let quit = KeyAction::Quit.description();
    let filter = KeyAction::Filter.description();
    assert_eq!(find(&Keymap::default(), quit).as_deref(), Some("q, ctrl-c"));

    let keymap = user("[keys]\n\"q\" = \"filter\"\n").unwrap();
    assert_eq!(find(&keymap, quit).as_deref(), Some("ctrl-c"));
    assert_eq!(find(&keymap, filter).as_deref(), Some("/, q"));
}

#[test]
fn help_groups_are_ordered_and_skip_unbound_actions() {
    let text = "[keys]\n\"p\" = \"unbind\"\n\"e\" = \"unbind\"\n\"y\" = \"unbind\"\n\
                \"[\" = \"unbind\"\n\"]\" = \"unbind\"\n\"w\" = \"unbind\"\n\"b\" = \"unbind\"\n";
    let groups: Vec<&str> = user(text)
        .unwrap()
        .help_entries()
        .iter()
        .map(|(group, _)| *group)
        .collect();
    assert_eq!(
        groups,
        ["General", "Panes", "Navigation", "Respond", "Replay"]
    );
}

#[test]
fn a_keymap_that_leaves_no_way_out_is_refused() {
    let trap = "[keys]\n\"q\" = \"unbind\"\n\"ctrl-c\" = \"unbind\"\n\":\" = \"unbind\"\n";
    let err = user(trap).unwrap_err().to_string();
    assert!(
        err.contains("no key quits or opens the command line"),
        "{err}"
    );
    // The command line alone is a way out (`:quit`).
    let ok = "[keys]\n\"q\" = \"unbind\"\n\"ctrl-c\" = \"unbind\"\n";
    assert!(user(ok).is_ok());
}
