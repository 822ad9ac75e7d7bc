//! The embedded demo: the founding scenario played by a small simulated AWS.

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
