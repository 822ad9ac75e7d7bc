//! Snapshots of every pane and overlay, drawn on a test backend from the fixed incident.
//! Each snapshot was read before it was accepted: a change to one is a change to what
//! responders see.

use crate::tui::app::{App, Msg};
use crate::tui::fixture::*;
use crate::tui::views::Pane;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| super::draw(f, &app.view())).unwrap();
    term.backend().to_string()
}

fn sized(w: u16, h: u16) -> App {
    let mut a = app();
    a.update(Msg::Resize(w, h));
    a
}

#[test]
fn alerts_pane() {
    let a = sized(120, 30);
    insta::assert_snapshot!(screen(&a, 120, 30));
}

#[test]
fn findings_pane_groups_by_rule_and_previews_the_fix() {
    let mut a = sized(120, 30);
    press(&mut a, KeyCode::Char('2'));
    insta::assert_snapshot!(screen(&a, 120, 30));
}

#[test]
fn activity_pane() {
    let mut a = sized(120, 30);
    press(&mut a, KeyCode::Char('3'));
    insta::assert_snapshot!(screen(&a, 120, 30));
}

#[test]
fn keys_pane_shows_full_key_ids() {
    let mut a = sized(120, 30);
    press(&mut a, KeyCode::Char('4'));
    let s = screen(&a, 120, 30);
    assert!(s.contains(LEAKED), "full key ID on screen");
    insta::assert_snapshot!(s);
}

#[test]
fn timeline_pane() {
    let mut a = sized(120, 30);
    press(&mut a, KeyCode::Char('5'));
    insta::assert_snapshot!(screen(&a, 120, 30));
}

#[test]
fn pivot_bar_and_filtered_activity() {
    let mut a = sized(120, 24);
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('j'));
    press(&mut a, KeyCode::Char('p'));
    insta::assert_snapshot!(screen(&a, 120, 24));
}

#[test]
fn filter_line_while_typing() {
    let mut a = sized(100, 20);
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Char('/'));
    typ(&mut a, "runin");
    insta::assert_snapshot!(screen(&a, 100, 20));
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let mut a = sized(110, 60);
    press(&mut a, KeyCode::Char('?'));
    let s = screen(&a, 110, 60);
    insta::assert_snapshot!(s);
}

#[test]
fn help_follows_a_rebound_key() {
    let mut a = sized(110, 60);
    a.keymap = crate::tui::keymap::Keymap::from_toml(
        "[keys]\n\"Z\" = \"pivot\"\n\"p\" = \"unbind\"\n",
        "mine.toml",
    )
    .unwrap();
    press(&mut a, KeyCode::Char('?'));
    let s = screen(&a, 110, 60);
    let pivot_line = s.lines().find(|l| l.contains("Pivot on")).unwrap();
    assert!(
        pivot_line.contains('Z') && !pivot_line.contains(" p "),
        "{pivot_line}"
    );
}

#[test]
fn confirm_dialog_with_cancel_focused() {
    let mut a = sized(100, 24);
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("deactivate {LEAKED}"));
    press(&mut a, KeyCode::Enter);
    insta::assert_snapshot!(screen(&a, 100, 24));
}

#[test]
fn delete_dialog_asks_for_the_last_four_characters() {
    let mut a = sized(100, 24);
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("delete-key {DANA_KEY}"));
    press(&mut a, KeyCode::Enter);
    typ(&mut a, "00");
    insta::assert_snapshot!(screen(&a, 100, 24));
}

#[test]
fn event_detail_shows_the_raw_json() {
    let mut a = sized(100, 30);
    press(&mut a, KeyCode::Char('3'));
    press(&mut a, KeyCode::Enter);
    let s = screen(&a, 100, 30);
    assert!(s.contains("\"eventName\": \"DescribeVolumes\""), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn finding_detail_shows_the_fix_as_code() {
    let mut a = sized(100, 40);
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Enter);
    let s = screen(&a, 100, 40);
    assert!(s.contains("SSESpecification:"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn small_terminals_still_draw() {
    for (w, h) in [(40, 8), (20, 5), (1, 1)] {
        let mut a = sized(w, h);
        for pane in Pane::ALL {
            a.pane = pane;
            screen(&a, w, h);
        }
        press(&mut a, KeyCode::Char('?'));
        screen(&a, w, h);
    }
}

#[test]
fn no_color_draws_the_selection_in_reverse() {
    let mut a = sized(80, 20);
    a.theme = crate::tui::theme::Theme::load(None, true).unwrap();
    let mut term = Terminal::new(TestBackend::new(80, 20)).unwrap();
    term.draw(|f| super::draw(f, &a.view())).unwrap();
    let buf = term.backend().buffer().clone();
    let colored = buf
        .content
        .iter()
        .any(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset);
    assert!(!colored, "NO_COLOR: no colour anywhere");
    let l = crate::tui::layout::compute(ratatui::layout::Rect::new(0, 0, 80, 20), &a.view());
    let cell = &buf[(l.rows.x + 1, l.rows.y)];
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED));
}

#[test]
fn a_long_title_gives_way_to_the_clock() {
    let mut a = sized(90, 20);
    a.state.meta.title =
        "A very long incident title that could never fit on one narrow line".into();
    let s = screen(&a, 90, 20);
    let first = s.lines().next().unwrap();
    assert!(first.contains("07:47:00 UTC"), "{first}");
    assert!(first.contains("A very long"), "{first}");
    assert!(first.contains('…'), "{first}");
}

#[test]
fn a_failing_source_is_named_on_its_pane() {
    use crate::source::SourceReport;
    let mut a = sized(120, 24);
    for (source, ok, message) in [
        ("cloudtrail:us-east-1", true, "48 events"),
        (
            "cloudtrail:eu-west-1",
            false,
            "AccessDenied — missing permission cloudtrail:LookupEvents",
        ),
    ] {
        a.update(Msg::Source(SourceReport {
            source: source.into(),
            ok,
            message: message.into(),
            at: t(9),
        }));
    }
    press(&mut a, KeyCode::Char('3'));
    let s = screen(&a, 120, 24);
    assert!(
        s.contains(
            "cloudtrail:eu-west-1: AccessDenied — missing permission cloudtrail:LookupEvents"
        ),
        "{s}"
    );
    press(&mut a, KeyCode::Char('4'));
    assert!(
        !screen(&a, 120, 24).contains("AccessDenied"),
        "only on the pane it concerns"
    );
}

#[test]
fn calls_wrap_after_commas_and_never_lose_a_character() {
    let text = r#"iam:UpdateAccessKey {"UserName":"admin-ops","AccessKeyId":"AKIATESTLEAKED000001","Status":"Inactive"}"#;
    let lines = crate::tui::confirm::wrap_at_commas(text, 60);
    assert_eq!(lines.concat(), text);
    assert!(lines.iter().all(|l| l.chars().count() <= 60));
    assert!(
        lines.iter().any(|l| l.contains("\"AKIATESTLEAKED000001\"")),
        "{lines:?}"
    );
    let long = "x".repeat(130);
    assert_eq!(crate::tui::confirm::wrap_at_commas(&long, 60).len(), 3);
}

#[test]
fn the_dialog_draws_as_many_lines_as_its_layout_counts() {
    use crate::model::{Action, ApiCall};
    use crate::tui::confirm::Confirm;
    let theme = crate::tui::theme::Theme::builtin("dark").unwrap();
    let long = ApiCall::new(
        "config",
        "StartRemediationExecution",
        Some("us-east-1"),
        serde_json::json!({"ResourceKeys": (0..12).map(|i| format!("table-{i}")).collect::<Vec<_>>()}),
    );
    let key = Action::DeleteKey {
        user: "u".into(),
        access_key_id: "AKIA0000000000001234".into(),
    };
    for (warning, calls, acting) in [
        (None, vec![], None),
        (Some("careful".to_string()), vec![long.clone(), long], None),
        (
            None,
            vec![],
            Some("account 1 as arn:aws:iam::1:user/r".to_string()),
        ),
    ] {
        let mut c = Confirm::new("a".into(), key.clone(), calls, false);
        c.warning = warning;
        c.acting = acting;
        assert_eq!(super::confirm_lines(&c, &theme).len(), c.line_count());
    }
}

/// Every confirmation names the account it acts in, with its alias, and as whom.
#[test]
fn a_confirmation_names_the_account_and_who_acts() {
    let mut a = sized(100, 24);
    a.acting = Some(
        "account 111122223333 (prod-payments) as arn:aws:iam::111122223333:user/responder".into(),
    );
    press(&mut a, KeyCode::Char(':'));
    typ(&mut a, &format!("deactivate {LEAKED}"));
    press(&mut a, KeyCode::Enter);
    let s = screen(&a, 100, 24);
    assert!(s.contains("In account 111122223333 (prod-payments)"), "{s}");
    assert!(
        s.contains("as arn:aws:iam::111122223333:user/responder"),
        "{s}"
    );
}

#[test]
fn an_unattended_response_counts_down_in_the_status_line_until_vetoed() {
    use crate::model::{Action, ActionStep, Origin, Record, RecordBody, Step};
    let mut a = sized(140, 30);
    let seq = a.state.last_seq + 1;
    let action = Action::DeactivateKey {
        user: "admin-ops".into(),
        access_key_id: LEAKED.into(),
    };
    let runs_at = chrono::Utc::now() + chrono::Duration::seconds(95);
    a.update(Msg::Records(vec![Record {
        seq,
        at: t(30),
        actor: "policy:cut-keys".into(),
        body: RecordBody::Action(ActionStep {
            action_id: "act-9".into(),
            step: Step::Requested {
                action,
                origin: Origin::Policy,
                calls: vec![],
                expires_at: None,
                runs_at: Some(runs_at),
            },
        }),
    }]));
    let s = screen(&a, 140, 30);
    assert!(
        s.contains("unless vetoed (:veto) — Deactivate access key")
            && s.contains("by policy:cut-keys"),
        "{s}"
    );
    typ(&mut a, ":veto");
    let effects = press(&mut a, KeyCode::Enter);
    assert!(
        effects.iter().any(|e| matches!(e, crate::tui::app::Effect::Decide { action_id, decision: crate::respond::lifecycle::Decision::Cancel, .. } if action_id == "act-9")),
        "{effects:?}"
    );
}
