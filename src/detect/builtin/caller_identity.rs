//! `recon-caller-identity`: `GetCallerIdentity` — the first thing someone runs with
//! credentials they just found — from a network the principal never worked from.

use crate::detect::baseline::SourceBaseline;
use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::detect::principal_key;
use crate::model::{CloudTrailEvent, Severity, Sym};
use foldhash::HashMap;

#[derive(Default)]
pub struct CallerIdentityFromNewSource {
    /// Users and roles, by account and name: the networks each works from.
    principals: HashMap<(Sym, Sym), SourceBaseline>,
}

impl Detection for CallerIdentityFromNewSource {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        let network = cx.network;
        let Some(name) = principal_key(e) else {
            return;
        };
        let baseline = self
            .principals
            .entry((e.identity.account_id, *name))
            .or_default();
        let novelty = baseline.novelty(network, None);
        let suspicious = e.event_name == "GetCallerIdentity"
            && baseline.established()
            && novelty.network.is_some();
        baseline.learn(network, None);
        if !suspicious {
            return;
        }
        let principal = e.identity.display();
        let explain = format!(
            "GetCallerIdentity as {principal} from {}, a network it never worked from: someone checking what the credentials they found can do",
            e.source_ip
        );
        cx.raise(
            AlertSeed {
                group: format!("recon-caller-identity:{principal}"),
                rule: "recon-caller-identity".into(),
                severity: Severity::Medium,
                title: format!("{principal} asked \"who am I\" from a new network"),
            },
            explain,
            e,
        );
    }
}
