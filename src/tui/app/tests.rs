use super::*;
use crate::model::{ActionStep, Note};
use crate::respond::lifecycle::Decision;
use crate::tui::fixture::*;
use crate::tui::views;
use crossterm::event::{KeyCode, KeyModifiers, MouseEvent};

fn steps(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .flat_map(|e| match e {
            Effect::Append(records) => records
                .iter()
                .filter_map(|r| match &r.body {
                    RecordBody::Action(s) => Some(s.step.name()),
                    _ => None,
                })
                .collect(),
            Effect::Decide {
                decision: Decision::Confirm,
                ..
            } => vec!["CONFIRM"],
            Effect::Decide {
                decision: Decision::Cancel,
                ..
            } => vec!["CANCEL"],
            _ => vec![],
        })
        .collect()
}

fn select_key(app: &mut App, id: &str) {
    press(app, KeyCode::Char('4'));
    let pos = (0..app.current_rows().len())
        .position(|i| cells_of(app, i)[1] == id)
        .unwrap();
    app.cursors[Pane::Keys].selected = pos;
}

/// The text of row `i` of the current pane.
fn cells_of(app: &App, i: usize) -> Vec<String> {
    views::cells(app.pane, &app.current_rows().items[i], &app.state, app.now).0
}

fn selected_cells(app: &App) -> Vec<String> {
    cells_of(app, app.cursor().selected)
}

#[test]
fn panes_switch_by_number_tab_and_back_tab() {
    let mut a = app();
    assert_eq!(a.pane, Pane::Alerts);
    press(&mut a, KeyCode::Char('3'));
    assert_eq!(a.pane, Pane::Activity);
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.pane, Pane::Keys);
    press(&mut a, KeyCode::BackTab);
    press(&mut a, KeyCode::BackTab);
    assert_eq!(a.pane, Pane::Findings);
}

#[test]
fn activity_is_newest_first_and_j_k_g_shift_g_move() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    assert_eq!(selected_cells(&a)[4], "ec2:DescribeVolumes");
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(selected_cells(&a)[4], "ec2:RunInstances");
    press(&mut a, KeyCode::Char('G'));
    assert_eq!(a.cursor().selected, a.current_rows().len() - 1);
    press(&mut a, KeyCode::Char('g'));
    assert_eq!(a.cursor().selected, 0);
    press(&mut a, KeyCode::Char('k'));
    assert_eq!(a.cursor().selected, 0, "stays on the first row");
}

#[test]
fn findings_are_grouped_and_headings_are_skipped() {
    let mut a = app();
    press(&mut a, KeyCode::Char('2'));
    assert!(a.current_rows().items[0].is_banner());
    assert!(cells_of(&a, 0)[0].starts_with("dynamodb-table-encryption-enabled (2 non-compliant)"));
    assert_eq!(
        a.cursor().selected,
        1,
        "the cursor starts on a resource, not a heading"
    );
    press(&mut a, KeyCode::Char('j'));
    press(&mut a, KeyCode::Char('j'));
    assert_eq!(
        selected_cells(&a)[0],
        "  marketing",
        "stepped over the s3 heading"
    );
}

#[test]
fn the_fuzzy_filter_narrows_live_and_esc_clears_it() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    let all = a.current_rows().len();
    press(&mut a, KeyCode::Char('/'));
    typ(&mut a, "runin");
    assert_eq!(a.current_rows().len(), 1);
    assert_eq!(a.current_rows().unfiltered, all);
    press(&mut a, KeyCode::Enter);
    assert!(a.input.is_none());
    assert_eq!(
        a.filters[Pane::Activity],
        "runin",
        "the filter stays after enter"
    );
    press(&mut a, KeyCode::Esc);
    assert_eq!(a.current_rows().len(), all);
}

#[test]
fn pivot_follows_the_key_then_the_principal_then_the_ip_and_esc_returns() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('j')); // the attacker's RunInstances
    let before = a.cursors;
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pivot(), Some(&Pivot::Key(LEAKED.into())));
    assert_eq!(a.pane, Pane::Activity);
    assert_eq!(
        a.current_rows().len(),
        6,
        "every event made with the leaked key"
    );
    assert_eq!(a.rows[Pane::Alerts].len(), 1);
    assert_eq!(a.rows[Pane::Keys].len(), 1);
    // Same selection, same candidates: `p` again moves on to the next identity.
    a.cursors[Pane::Activity].selected = 1;
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pivot(), Some(&Pivot::Principal("admin-ops".into())));
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pivot(), Some(&Pivot::Ip(ATTACKER.into())));
    assert_eq!(a.current_rows().len(), 2);
    press(&mut a, KeyCode::Esc);
    assert!(a.pivot().is_none());
    assert_eq!(a.pane, Pane::Activity);
    assert_eq!(a.cursors, before);
    assert_eq!(a.current_rows().len(), 7);
}

#[test]
fn pivot_on_an_alert_shows_the_events_that_raised_it_then_its_key() {
    let mut a = app();
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Char('p'));
    assert!(
        matches!(a.pivot(), Some(Pivot::AlertEvents { alert_id, .. }) if alert_id == "key-new-source:test"),
        "{:?}",
        a.pivot()
    );
    let ids: Vec<String> = a.rows[Pane::Activity]
        .items
        .iter()
        .filter_map(|item| match item {
            views::Item::Event(e) => Some(e.event_id().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.iter().all(|id| id == "ev-010" || id == "ev-011"),
        "{ids:?}"
    );
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pivot(), Some(&Pivot::Key(LEAKED.into())));
}

#[test]
fn pivot_by_command_classifies_what_was_typed() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("pivot {ATTACKER}"));
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.pivot(), Some(&Pivot::Ip(ATTACKER.into())));
    assert_eq!(a.current_rows().len(), 2);
}

#[test]
fn deactivating_asks_first_with_cancel_focused() {
    let mut a = app();
    select_key(&mut a, LEAKED);
    let fx = press(&mut a, KeyCode::Char('d'));
    assert_eq!(steps(&fx), ["requested"]);
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no dialog");
    };
    assert_eq!(c.focus, Button::Cancel);
    assert_eq!(c.calls[0].operation, "UpdateAccessKey");
    // Enter presses the focused button: Cancel, through the lifecycle's guard.
    let fx = press(&mut a, KeyCode::Enter);
    assert_eq!(steps(&fx), ["CANCEL"]);
    assert!(a.overlay.is_none());
}

#[test]
fn confirming_names_the_request_and_what_it_does() {
    let mut a = app();
    select_key(&mut a, LEAKED);
    let fx = press(&mut a, KeyCode::Char('d'));
    let Effect::Append(records) = &fx[0] else {
        panic!()
    };
    assert_eq!(records[0].actor, "alice@tui");
    let RecordBody::Action(ActionStep {
        action_id: requested,
        step: Step::Requested { action, calls, .. },
    }) = &records[0].body
    else {
        panic!("{records:?}")
    };
    assert_eq!(calls[0].params["AccessKeyId"], LEAKED);
    assert_eq!(calls[0].params["UserName"], "admin-ops");
    let fx = press(&mut a, KeyCode::Char('y'));
    assert_eq!(steps(&fx), ["CONFIRM"]);
    let Effect::Decide {
        action_id,
        fingerprint,
        ..
    } = &fx[0]
    else {
        panic!()
    };
    assert!(action_id.starts_with("act-"));
    assert_eq!(action_id, requested);
    assert_eq!(fingerprint, &action.fingerprint());
}

#[test]
fn read_only_refuses_and_says_so() {
    let mut a = app_with(Mode {
        kind: ModeKind::Live,
        read_only: true,
        dry_run: false,
    });
    select_key(&mut a, LEAKED);
    let fx = press(&mut a, KeyCode::Char('d'));
    assert_eq!(steps(&fx), ["requested", "refused"]);
    assert!(a.overlay.is_none());
    assert!(a.flash.as_ref().unwrap().text.contains("read-only"));
}

#[test]
fn dry_run_records_the_calls_instead_of_making_them() {
    let mut a = app_with(Mode {
        kind: ModeKind::Live,
        read_only: false,
        dry_run: true,
    });
    select_key(&mut a, LEAKED);
    press(&mut a, KeyCode::Char('d'));
    let fx = press(&mut a, KeyCode::Char('y'));
    assert_eq!(
        steps(&fx),
        ["CONFIRM"],
        "the lifecycle journals the dry run"
    );
    assert!(
        a.flash
            .as_ref()
            .unwrap()
            .text
            .contains("iam:UpdateAccessKey")
    );
}

#[test]
fn an_inactive_key_is_a_recorded_no_op() {
    let mut a = app();
    select_key(&mut a, OLD_KEY);
    let fx = press(&mut a, KeyCode::Char('d'));
    assert_eq!(steps(&fx), ["requested", "no-op"]);
    assert!(a.overlay.is_none());
}

#[test]
fn deleting_a_key_needs_its_last_four_characters() {
    let mut a = app();
    select_key(&mut a, DANA_KEY);
    press(&mut a, KeyCode::Char('D'));
    assert!(
        steps(&press(&mut a, KeyCode::Char('y'))).is_empty(),
        "y is typed, not confirmed"
    );
    press(&mut a, KeyCode::Backspace);
    typ(&mut a, "0002");
    let fx = press(&mut a, KeyCode::Enter);
    assert_eq!(steps(&fx), ["CONFIRM"]);
}

#[test]
fn commands_reach_the_same_responses() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("revoke {LEAKED}"));
    let fx = press(&mut a, KeyCode::Enter);
    assert_eq!(steps(&fx), ["requested"]);
    assert!(matches!(a.overlay, Some(Overlay::Confirm(_))));
    press(&mut a, KeyCode::Esc);

    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "deny-all nobody");
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    assert!(
        a.flash
            .as_ref()
            .unwrap()
            .text
            .contains("Unknown IAM user nobody")
    );

    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "revoke-sessions role/Deployer");
    press(&mut a, KeyCode::Enter);
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!()
    };
    assert_eq!(c.calls[0].operation, "PutRolePolicy");
}

#[test]
fn notes_status_and_severity_are_journaled() {
    let mut a = app();
    let mut all = Vec::new();
    for line in [
        "note key rotated",
        "status contained",
        "severity critical",
        "title Key leak",
    ] {
        press(&mut a, KeyCode::Char(':'));
        typ(&mut a, line);
        all.extend(press(&mut a, KeyCode::Enter));
    }
    let kinds: Vec<String> = all
        .iter()
        .flat_map(|e| match e {
            Effect::Append(r) => r.iter().map(|r| r.body.kind().to_string()).collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "note",
            "incident-changed",
            "incident-changed",
            "incident-changed"
        ]
    );
}

#[test]
fn a_mistyped_command_explains_itself() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "deactivat AKIA");
    press(&mut a, KeyCode::Enter);
    assert!(
        a.flash
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command `deactivat`")
    );
}

#[test]
fn tab_completes_commands_and_key_ids() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "deac");
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.input.as_ref().unwrap().text, "deactivate ");
    typ(&mut a, "akiatestl");
    press(&mut a, KeyCode::Tab);
    assert_eq!(
        a.input.as_ref().unwrap().text,
        format!("deactivate {LEAKED}")
    );
}

#[test]
fn history_recalls_earlier_commands() {
    let mut a = app();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "alerts");
    press(&mut a, KeyCode::Enter);
    press(&mut a, KeyCode::Char(':'));
    press(&mut a, KeyCode::Up);
    assert_eq!(a.input.as_ref().unwrap().text, "alerts");
}

#[test]
fn remediation_needs_a_configured_remediation() {
    let mut a = app();
    press(&mut a, KeyCode::Char('2'));
    let fx = press(&mut a, KeyCode::Char('r'));
    assert!(fx.is_empty());
    assert!(
        a.flash
            .as_ref()
            .unwrap()
            .text
            .contains("no automatic remediation")
    );
    let s3 = (0..a.current_rows().len())
        .position(|i| cells_of(&a, i)[0] == "  marketing")
        .unwrap();
    a.cursors[Pane::Findings].selected = s3;
    press(&mut a, KeyCode::Char('r'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no dialog")
    };
    assert_eq!(c.calls[0].operation, "StartRemediationExecution");
    assert_eq!(
        c.calls[0].params["ResourceKeys"][0]["resourceId"],
        "marketing"
    );
}

#[test]
fn alerts_are_acknowledged_from_the_alerts_pane() {
    let mut a = app();
    let fx = press(&mut a, KeyCode::Char('a'));
    let Effect::Append(r) = &fx[0] else { panic!() };
    assert_eq!(r[0].body.kind(), "alert-status");
}

#[test]
fn new_records_keep_a_cursor_at_the_top_of_activity_following() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    let mut next = fixture_records().len() as i64;
    let mut feed = |a: &mut App, n: usize, name: &str| {
        next += 1;
        a.update(Msg::Records(vec![Record {
            seq: next,
            at: t(9),
            actor: "cloudtrail".into(),
            body: event(n, 9, "admin-ops", LEAKED, ATTACKER, name),
        }]));
    };
    feed(&mut a, 50, "CreateUser");
    assert_eq!(
        selected_cells(&a)[4],
        "ec2:CreateUser",
        "followed the newest"
    );
    press(&mut a, KeyCode::Char('j'));
    let held = selected_cells(&a);
    feed(&mut a, 51, "CreateAccessKey");
    assert_eq!(
        selected_cells(&a),
        held,
        "a cursor away from the top stays on its row"
    );
}

#[test]
fn mouse_clicks_switch_tabs_and_select_rows() {
    let mut a = app();
    let click = |col, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let labels = layout::tab_labels(&a.view());
    let x = labels[0].1.chars().count() as u16 + 1 + labels[1].1.chars().count() as u16 + 2;
    a.update(click(x, 1));
    assert_eq!(a.pane, Pane::Activity);
    let l = layout::compute(Rect::new(0, 0, 140, 40), &a.view());
    a.update(click(5, l.rows.y + 2));
    assert_eq!(a.cursor().selected, 2);
    a.update(click(5, l.rows.y + 2));
    assert!(
        matches!(a.overlay, Some(Overlay::Detail { .. })),
        "second click opens it"
    );
    a.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: 10,
        modifiers: KeyModifiers::NONE,
    }));
    assert!(matches!(a.overlay, Some(Overlay::Detail { scroll: 3, .. })));
}

#[test]
fn keys_act_through_a_rebound_keymap() {
    let mut a = app();
    a.keymap = Keymap::from_toml(
        "[keys]\n\"z\" = \"pivot\"\n\"p\" = \"unbind\"\n",
        "mine.toml",
    )
    .unwrap();
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('p'));
    assert!(a.pivot().is_none());
    press(&mut a, KeyCode::Char('z'));
    assert!(a.pivot().is_some());
}

#[test]
fn the_timeline_keeps_following_across_a_pivot() {
    let mut a = app();
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('p'));
    a.update(Msg::Records(vec![Record {
        seq: fixture_records().len() as i64 + 1,
        at: t(20),
        actor: "alice@tui".into(),
        body: RecordBody::Note(Note {
            text: "while pivoted".into(),
        }),
    }]));
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('5'));
    assert_eq!(
        selected_cells(&a)[2],
        "Note: while pivoted",
        "still at the newest entry"
    );
}

#[test]
fn the_console_own_key_is_only_deactivated_after_two_confirmations() {
    let mut a = app();
    a.own_key = Some(LEAKED.into());
    select_key(&mut a, LEAKED);
    press(&mut a, KeyCode::Char('d'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!()
    };
    assert!(c.warning.as_ref().unwrap().contains("signed with"));
    assert!(
        steps(&press(&mut a, KeyCode::Char('y'))).is_empty(),
        "first yes"
    );
    assert!(matches!(a.overlay, Some(Overlay::Confirm(_))));
    assert_eq!(steps(&press(&mut a, KeyCode::Char('y'))), ["CONFIRM"]);
}

#[test]
fn a_finding_pivots_to_everything_that_names_its_resource() {
    let mut a = app();
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Char('p'));
    assert_eq!(a.pivot(), Some(&Pivot::Resource("orders".into())));
    assert_eq!(a.pane, Pane::Activity);
    assert_eq!(a.rows[Pane::Findings].len(), 2, "the rule and the resource");
}

#[test]
fn pivoting_on_a_live_account_also_asks_cloudtrail() {
    let mut a = app_with(Mode {
        kind: ModeKind::Live,
        read_only: false,
        dry_run: false,
    });
    press(&mut a, KeyCode::Char('3'));
    let fx = press(&mut a, KeyCode::Char('p'));
    assert_eq!(fx, [Effect::Lookup(Pivot::Key(DANA_KEY.into()))]);
    assert!(a.flash.as_ref().unwrap().text.contains("90 days"));
    // The demo has nothing more to ask.
    let mut d = app();
    press(&mut d, KeyCode::Char('3'));
    assert!(press(&mut d, KeyCode::Char('p')).is_empty());
}

#[test]
fn a_builtin_theme_applies_at_once_and_a_theme_file_is_read_by_the_runner() {
    let mut a = app();
    let other = Theme::BUILTIN.iter().find(|t| **t != a.theme.name).unwrap();
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("theme {other}"));
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    assert_eq!(a.theme.name, *other);
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, "theme /nowhere/mine.toml");
    let fx = press(&mut a, KeyCode::Enter);
    assert_eq!(
        fx,
        [Effect::LoadTheme("/nowhere/mine.toml".into())],
        "update reads no file"
    );
    a.update(Msg::Theme(
        Err("theme /nowhere/mine.toml: not found".into()),
    ));
    assert_eq!(a.theme.name, *other, "a failed load keeps the theme");
    assert!(a.flash.as_ref().unwrap().text.contains("not found"));
}

/// Keys of two accounts: the same user name in each, a key each.
fn two_accounts() -> App {
    let mut a = app();
    for (account, key) in [
        ("111111111111", "AKIATESTPAYMENTS0001"),
        ("222222222222", "AKIATESTDATA00000002"),
    ] {
        for body in [
            RecordBody::User(crate::model::UserSnapshot {
                name: "deploy".into(),
                arn: format!("arn:aws:iam::{account}:user/deploy"),
                created: t(-100),
                inline_policies: vec![],
                attached_policies: vec![],
            }),
            RecordBody::Key(crate::model::KeySnapshot {
                user: "deploy".into(),
                access_key_id: key.into(),
                status: crate::model::KeyStatus::Active,
                created: t(-100),
                last_used: None,
                last_used_service: None,
                last_used_region: None,
                account: Some(account.into()),
            }),
        ] {
            let seq = a.state.last_seq + 1;
            a.state.apply(&crate::model::Record {
                seq,
                at: t(1),
                actor: "aws".into(),
                body,
            });
        }
    }
    a.acting_in = [
        ("111111111111", "account 111111111111 (payments) as arn:aws:iam::111111111111:role/WarroomIncidentResponse"),
        ("222222222222", "account 222222222222 (data) as arn:aws:iam::222222222222:role/WarroomIncidentResponse"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    a
}

#[test]
fn with_several_accounts_a_response_names_and_goes_to_its_keys_account() {
    let mut a = two_accounts();
    select_key(&mut a, "AKIATESTDATA00000002");
    assert!(
        selected_cells(&a)[5].starts_with("in 222222222222"),
        "{:?}",
        selected_cells(&a)
    );
    press(&mut a, KeyCode::Char('d'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no dialog");
    };
    assert_eq!(c.calls[0].account.as_deref(), Some("222222222222"));
    assert_eq!(
        c.acting.as_deref(),
        Some(
            "account 222222222222 (data) as arn:aws:iam::222222222222:role/WarroomIncidentResponse"
        )
    );
    press(&mut a, KeyCode::Esc);
    // The same user name is in both accounts: deny-all cannot tell which, and says so.
    let action = Action::DenyAll {
        user: "deploy".into(),
    };
    assert_eq!(crate::respond::plan::account_of(&action, &a.state), None);
    assert!(
        a.acting_for(None)
            .unwrap()
            .starts_with("no account: which of the 2 accounts"),
        "{:?}",
        a.acting_for(None)
    );
    // Pivoting on the account keeps its keys only.
    let pivot = Pivot::parse("account:111111111111");
    let keys: Vec<&str> = a
        .state
        .keys
        .iter()
        .filter(|k| pivot.matches_key(k, &a.state))
        .map(|k| k.access_key_id.as_str())
        .collect();
    assert_eq!(keys, ["AKIATESTPAYMENTS0001"]);
}
