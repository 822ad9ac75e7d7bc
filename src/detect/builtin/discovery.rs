//! `discovery`: a long-term access key mapping the account — the calls that enumerate IAM
//! in one go, or the account's e-mail sending (a stolen key's first question: can I spam
//! from here?), and bursts of many different read calls.

use super::signal::{Theme, by_a_service, raise};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity, Sym};
use chrono::{DateTime, Duration, Utc};
use foldhash::HashMap;
use std::collections::BTreeSet;

/// Calls that mean enumeration on their own, made with a long-term key.
const TELLING: &[(&str, &str)] = &[
    ("iam.amazonaws.com", "GetAccountAuthorizationDetails"),
    ("ses.amazonaws.com", "GetSendQuota"),
    ("ses.amazonaws.com", "ListIdentities"),
    ("ses.amazonaws.com", "GetAccountSendingEnabled"),
    ("ses.amazonaws.com", "GetAccount"),
    ("ses.amazonaws.com", "ListEmailIdentities"),
    ("ses.amazonaws.com", "GetIdentityVerificationAttributes"),
    ("servicequotas.amazonaws.com", "ListServiceQuotas"),
];

/// Different read calls within [`BURST_WINDOW`] minutes that make a burst: an engineer at
/// the command line asks a handful; enumeration tools ask dozens in a minute.
const BURST_CALLS: usize = 25;
const BURST_WINDOW: i64 = 5;

const THEME: Theme = Theme {
    rule: "discovery",
    severity: Severity::Medium,
    title: "Account enumeration with a long-term key by {}",
};

/// When a key's burst of reads started, and the calls (service, name) seen since.
type Burst = (DateTime<Utc>, BTreeSet<(Sym, Sym)>);

#[derive(Default)]
pub struct Discovery {
    /// Per key: its latest burst.
    reads: HashMap<Sym, Burst>,
}

fn is_read(name: &str) -> bool {
    ["List", "Describe", "Get"]
        .iter()
        .any(|p| name.starts_with(p))
}

impl Detection for Discovery {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        // Long-term keys only: a role's session is short-lived and usually a tool's.
        let Some(key) = e.identity.access_key_id.as_ref() else {
            return;
        };
        if e.failed()
            || !key.starts_with("AKIA")
            || e.identity.kind == "AssumedRole"
            || by_a_service(e)
        {
            return;
        }
        let (source, name) = (e.event_source.as_str(), e.event_name.as_str());
        if TELLING.iter().any(|(s, n)| *s == source && *n == name) {
            raise(
                cx,
                e,
                &THEME,
                format!("enumerate the account with {}:{name}", e.service()),
            );
            return;
        }
        if !is_read(name) {
            return;
        }
        let window = Duration::minutes(BURST_WINDOW);
        // Interned names: counting a million reads allocates nothing.
        let (start, calls) = self
            .reads
            .entry(*key)
            .or_insert_with(|| (e.event_time, BTreeSet::new()));
        if e.event_time - *start > window {
            *start = e.event_time;
            calls.clear();
        }
        let new = calls.insert((e.event_source, e.event_name));
        if new && calls.len() >= BURST_CALLS {
            let n = calls.len();
            raise(
                cx,
                e,
                &THEME,
                format!(
                    "enumerate the account: {n} different read calls within {BURST_WINDOW} minutes"
                ),
            );
        }
    }
}
