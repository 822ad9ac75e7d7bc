//! The built-in detections, one file each, with their own state. A new rule is a file here
//! and a line in [`all`].

mod access_denied;
mod caller_identity;
mod code_change;
mod compromise;
mod console_login;
mod correlation;
mod destruction;
mod discovery;
mod evasion;
mod expensive_launch;
mod exposure;
mod launch_burst;
mod network;
mod new_source;
mod persistence;
mod root_use;
mod sigma;
mod signal;
mod trail_tampering;
mod unusual_region;

use super::detection::Detection;
use super::sigma::RuleSet;
use std::sync::Arc;

/// Every detection, in the order each event is shown to them (and so the order of the
/// alerts one event raises): the built-ins, then the Sigma rules.
pub fn all(rules: Option<Arc<RuleSet>>) -> Vec<Box<dyn Detection>> {
    let mut all: Vec<Box<dyn Detection>> = vec![
        Box::<new_source::KeyNewSource>::default(),
        Box::<caller_identity::CallerIdentityFromNewSource>::default(),
        Box::<access_denied::AccessDeniedBurst>::default(),
        Box::<expensive_launch::ExpensiveLaunch>::default(),
        Box::<unusual_region::LaunchInUnusualRegion>::default(),
        Box::<launch_burst::LaunchBurst>::default(),
        Box::<persistence::Persistence>::default(),
        Box::new(trail_tampering::TrailTampering),
        Box::new(root_use::RootUse),
        Box::new(console_login::ConsoleLoginWithoutMfa),
        Box::<compromise::Compromise>::default(),
        Box::new(exposure::Exposure),
        Box::new(destruction::Destruction),
        Box::new(evasion::Evasion),
        Box::new(network::NetworkExposure),
        Box::<discovery::Discovery>::default(),
        Box::new(code_change::CodeChange),
    ];
    if let Some(rules) = rules {
        if let Some(c) = correlation::Correlations::new(rules.clone()) {
            all.push(Box::new(c));
        }
        all.push(Box::new(sigma::SigmaAlerts::new(rules)));
    }
    all
}

/// `s`, cut to `n` characters with an ellipsis.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
