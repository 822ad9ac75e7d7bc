//! The embedded demo: the founding scenario played by a small simulated AWS.

mod ec2;
pub mod infra;
pub mod play;
pub mod scenario;
pub mod script;
pub mod world;

#[cfg(test)]
mod tests {
    use super::scenario::{LEAKED_KEY, founding_scenario};
    use super::world::{DemoWorld, event_id};
    use crate::model::RecordBody;
    use crate::source::ingest::Ingest;
    use std::collections::{BTreeSet, HashSet};

    /// Plays the whole founding scenario through the detector.
    fn alerts() -> Vec<crate::model::Alert> {
        let world = DemoWorld::new(founding_scenario());
        let end = world.scenario().end();
        let mut ingest = Ingest::new();
        ingest
            .process(end, world.advance(end))
            .into_iter()
            .filter_map(|r| match r.body {
                RecordBody::Alert(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_attack_is_detected_and_the_background_is_quiet() {
        let sc = founding_scenario();
        let attacker: HashSet<String> = sc
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.attacker)
            .map(|(i, _)| event_id(i))
            .collect();
        let alerts = alerts();
        let rules: BTreeSet<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(
            rules,
            BTreeSet::from([
                "expensive-launch",
                "key-new-source",
                "launch-burst",
                "network-exposure",
                "persistence",
                "recon-caller-identity"
            ])
        );
        for a in &alerts {
            assert!(
                a.event_ids.iter().all(|id| attacker.contains(id)),
                "alert {} points at benign events",
                a.id
            );
            assert_eq!(a.access_key_id.as_deref(), Some(LEAKED_KEY), "{}", a.id);
        }
    }

    /// Folds records into a state, numbering them as the journal would.
    fn fold(state: &mut crate::state::IncidentState, records: Vec<crate::model::NewRecord>) {
        for r in records {
            let seq = state.last_seq + 1;
            state.apply(&crate::model::Record {
                seq,
                at: r.at,
                actor: r.actor,
                body: r.body,
            });
        }
    }

    #[test]
    fn containing_the_leaked_key_stops_the_bill_and_takes_the_back_door_apart() {
        use super::scenario::BACKDOOR_USER;
        use crate::model::{Action, ApiCall, InstanceState};
        use crate::respond::blast::Subject;
        use crate::respond::{ResponseApi, contain, execute, plan};
        let world = DemoWorld::new(founding_scenario());
        let end = world.scenario().end();
        let mut ingest = Ingest::new();
        let mut state = crate::state::IncidentState::default();
        fold(
            &mut state,
            world.opening_records("inc-1", world.scenario().start),
        );
        fold(&mut state, ingest.process(end, world.advance(end)));
        let attackers = |s: &crate::state::IncidentState| -> Vec<crate::state::InstanceView> {
            s.instances
                .values()
                .filter(|i| i.launched_by == super::scenario::LEAKED_USER)
                .cloned()
                .collect()
        };
        let launched = attackers(&state).len();
        let running = |s: &crate::state::IncidentState| {
            s.instances
                .values()
                .filter(|i| i.state == InstanceState::Running)
                .count()
        };
        let bystanders = running(&state) - launched;
        assert!(
            launched >= 50,
            "{launched} attacker instances known from CloudTrail"
        );
        assert!(
            state.instances.len() > launched,
            "the account's own instances are known too"
        );
        let before = state.spend_per_hour();
        assert!(before > 1000.0, "{before}");
        // Each launch counted once, not once per alert that names it.
        let loudest = state
            .alerts
            .iter()
            .filter_map(|a| state.alert_spend(&a.alert))
            .fold(0.0, f64::max);
        assert!((before - loudest).abs() < 0.01, "{before} vs {loudest}");

        let subject = Subject::Key(LEAKED_KEY.into());
        let plan = contain::default_plan(&subject, &state, end).unwrap();
        let steps = plan.steps();
        assert!(
            matches!(&steps[0], Action::DeactivateKey { access_key_id, .. } if access_key_id == LEAKED_KEY)
        );
        let count = |verb: &str| steps.iter().filter(|s| s.verb() == verb).count();
        assert_eq!(count("isolate"), launched);
        assert_eq!(count("snapshot"), launched);
        assert_eq!(count("stop"), 5, "one per region");
        assert_eq!(count("terminate"), 0, "terminating is offered, not ticked");
        assert_eq!(count("delete-user"), 1);
        assert_eq!(count("revoke-ingress"), 5);
        assert_eq!(count("delete-key-pair"), 5);
        assert!(
            steps
                .iter()
                .any(|s| matches!(s, Action::DeleteKey { user, .. } if user == "ci-deploy")),
            "the key added to another user goes"
        );
        // The isolation comes before the stop, the stop before the persistence.
        let first = |verb: &str| steps.iter().position(|s| s.verb() == verb).unwrap();
        assert!(first("isolate") < first("stop") && first("stop") < first("delete-user"));

        // Journaled as the lifecycle journals a plan: the request, then each step done.
        let step = |step: crate::model::Step| {
            crate::model::NewRecord::new(
                end,
                "tester",
                crate::model::RecordBody::Action(crate::model::ActionStep {
                    action_id: "act-1".into(),
                    step,
                }),
            )
        };
        fold(
            &mut state,
            vec![step(crate::model::Step::Requested {
                action: plan.clone(),
                origin: crate::model::Origin::Tui,
                calls: plan::plan(&plan),
                expires_at: None,
                runs_at: None,
            })],
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for (k, calls) in plan::parts(&plan).iter().enumerate() {
            let made = std::sync::Mutex::new(Vec::new());
            let outcome = rt.block_on(execute(&world, calls, &|_| {}, &|c, _| {
                made.lock().unwrap().push(c.name())
            }));
            assert!(outcome.is_ok(), "step {k} {:?}: {outcome:?}", steps[k]);
            fold(
                &mut state,
                vec![step(crate::model::Step::Progress {
                    detail: format!("step {k} done"),
                    done_step: Some(k),
                    made: None,
                })],
            );
        }
        fold(&mut state, world.drain());
        let spent = world.spend_so_far(end);
        assert!(
            (world.spend_so_far(end + chrono::Duration::hours(3)) - spent).abs() < 1e-6,
            "nothing runs up the bill any more"
        );
        assert!(
            attackers(&state)
                .iter()
                .all(|i| i.state == InstanceState::Stopped),
            "the state saw every stop in CloudTrail"
        );
        assert_eq!(
            running(&state),
            bystanders,
            "the account's own instances were not touched"
        );
        assert_eq!(state.spend_per_hour(), 0.0);
        // The back door is gone whole; a bystander's key survives.
        let list = ApiCall::new(
            "iam",
            "ListAccessKeys",
            None,
            serde_json::json!({"UserName": BACKDOOR_USER}),
        );
        let gone = rt.block_on(world.call(&list)).unwrap_err();
        assert_eq!(gone.code, "NoSuchEntity");
        assert_eq!(
            world.key_status("AKIAHFAEWQ4L33PXFDTQ"),
            Some(crate::model::KeyStatus::Active)
        );
        // A second plan has nothing left of what the first did.
        let again = contain::default_plan(&subject, &state, end);
        assert!(
            again.as_ref().map_or(true, |p| p
                .steps()
                .iter()
                .all(|s| s.verb() == "revoke-sessions")),
            "{again:?}"
        );
    }

    #[test]
    fn the_spend_estimate_is_the_bill_before_the_bill() {
        let spend = alerts()
            .into_iter()
            .filter_map(|a| a.spend_per_hour)
            .fold(0.0, f64::max);
        // Hundreds of dollars an hour: about $500 in the first half hour.
        assert!((500.0..5000.0).contains(&spend), "{spend}");
    }
}
