//! Pivots: from one event, alert or key to everything done by the same access key,
//! principal or source IP.

use super::{EntryKind, IncidentState, TimelineEntry};
use crate::model::{Alert, CloudTrailEvent, KeySnapshot};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

/// What a pivot follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pivot {
    Key(String),
    Principal(String),
    Ip(String),
    /// Every call of one API operation (`RunInstances`).
    EventName(String),
    /// Every event that names a resource (a table, a bucket, an instance).
    Resource(String),
    /// Everything in one account (of several watched).
    Account(String),
    /// The events that raised one alert.
    AlertEvents {
        alert_id: String,
        events: Arc<BTreeSet<String>>,
    },
}

impl fmt::Display for Pivot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pivot::Key(k) => write!(f, "access key {k}"),
            Pivot::Principal(p) => write!(f, "principal {p}"),
            Pivot::Ip(ip) => write!(f, "source IP {ip}"),
            Pivot::EventName(n) => write!(f, "event {n}"),
            Pivot::Resource(r) => write!(f, "resource {r}"),
            Pivot::Account(a) => write!(f, "account {a}"),
            Pivot::AlertEvents { alert_id, events } => {
                write!(f, "the {} events behind alert {alert_id}", events.len())
            }
        }
    }
}

impl Pivot {
    /// Reads a typed pivot target: key IDs by their prefix, IPs by their shape, and
    /// anything else as a principal name.
    pub fn parse(text: &str) -> Pivot {
        let t = text.trim();
        if let Some(name) = t.strip_prefix("event:") {
            return Pivot::EventName(name.to_string());
        }
        if let Some(name) = t.strip_prefix("resource:") {
            return Pivot::Resource(name.to_string());
        }
        if let Some(id) = t.strip_prefix("account:") {
            return Pivot::Account(id.to_string());
        }
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            return Pivot::Account(t.to_string());
        }
        let looks_like_key = t.len() >= 16
            && (t.starts_with("AKIA") || t.starts_with("ASIA"))
            && t.chars().all(|c| c.is_ascii_alphanumeric());
        // Anonymised logs carry IPs like 211.9.016.253, so accept any dotted digits too.
        let looks_like_ip = t.parse::<std::net::IpAddr>().is_ok()
            || (t.split('.').count() == 4
                && t.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())));
        if looks_like_key {
            Pivot::Key(t.to_string())
        } else if looks_like_ip {
            Pivot::Ip(t.to_string())
        } else {
            Pivot::Principal(t.to_string())
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Pivot::Key(v)
            | Pivot::Principal(v)
            | Pivot::Ip(v)
            | Pivot::EventName(v)
            | Pivot::Resource(v)
            | Pivot::Account(v)
            | Pivot::AlertEvents { alert_id: v, .. } => v,
        }
    }

    pub fn matches_event(&self, e: &CloudTrailEvent) -> bool {
        match self {
            Pivot::Key(k) => e.identity.access_key_id.as_deref() == Some(k),
            Pivot::Principal(p) => e.identity.principal_name() == *p || e.identity.display() == *p,
            Pivot::Ip(ip) => e.source_ip == *ip,
            Pivot::EventName(n) => e.event_name == *n,
            // Resource names sit in different fields for every service: look for the name
            // as a whole JSON string anywhere in the event.
            Pivot::Resource(r) => {
                let raw = e.raw_text();
                raw.contains(&format!("\"{r}\"")) || raw.contains(&format!("/{r}\""))
            }
            Pivot::Account(a) => e.identity.account_id == *a,
            Pivot::AlertEvents { events, .. } => events.contains(e.event_id().as_str()),
        }
    }

    /// Whether a finding is in the pivot: the resource itself, or its account.
    pub fn matches_finding(&self, f: &crate::model::Finding) -> bool {
        match self {
            Pivot::Principal(name) | Pivot::Resource(name) => *name == f.resource_id,
            Pivot::Account(a) => f.account.as_deref() == Some(a),
            _ => false,
        }
    }

    pub fn matches_alert(&self, a: &Alert, state: &IncidentState) -> bool {
        match self {
            Pivot::Key(k) => a.access_key_id.as_deref() == Some(k),
            Pivot::Principal(p) => a.principal.as_deref() == Some(p),
            Pivot::Ip(ip) => a.source_ip.as_deref() == Some(ip),
            Pivot::AlertEvents { alert_id, .. } => a.id == *alert_id,
            // An alert about an operation, a resource or an account is one raised by such
            // events.
            Pivot::EventName(_) | Pivot::Resource(_) | Pivot::Account(_) => a
                .event_ids
                .iter()
                .any(|id| state.event(id).is_some_and(|e| self.matches_event(e))),
        }
    }

    pub fn matches_key(&self, k: &KeySnapshot, state: &IncidentState) -> bool {
        match self {
            Pivot::Key(id) => k.access_key_id == *id,
            Pivot::Principal(p) => k.user == *p,
            Pivot::Account(a) => k.account.as_deref() == Some(a),
            Pivot::Ip(_) | Pivot::EventName(_) | Pivot::Resource(_) | Pivot::AlertEvents { .. } => {
                state.events.iter().any(|e| {
                    self.matches_event(e)
                        && e.identity.access_key_id.as_deref() == Some(&k.access_key_id)
                })
            }
        }
    }

    pub fn matches_entry(&self, entry: &TimelineEntry, state: &IncidentState) -> bool {
        match &entry.kind {
            EntryKind::Alert { alert_id, .. } => state
                .alert(alert_id)
                .is_some_and(|a| self.matches_alert(&a.alert, state)),
            EntryKind::Action { action_id, .. } => state
                .action(action_id)
                .and_then(|a| a.action.as_ref())
                .is_some_and(|a| {
                    a.subject() == self.value() || a.describe().contains(self.value())
                }),
            _ => entry.summary.contains(self.value()),
        }
    }
}

/// The pivots an event offers, most specific first.
pub fn from_event(e: &CloudTrailEvent) -> Vec<Pivot> {
    let mut out = Vec::new();
    if let Some(k) = &e.identity.access_key_id {
        out.push(Pivot::Key(k.to_string()));
    }
    let p = e.identity.principal_name();
    if !p.is_empty() {
        out.push(Pivot::Principal(p));
    }
    if !e.source_ip.is_empty() {
        out.push(Pivot::Ip(e.source_ip.to_string()));
    }
    if !e.event_name.is_empty() {
        out.push(Pivot::EventName(e.event_name.to_string()));
    }
    out
}

/// The pivots an alert offers: the events that raised it, then who and where.
pub fn from_alert(a: &Alert) -> Vec<Pivot> {
    let mut out = Vec::new();
    if !a.event_ids.is_empty() {
        out.push(Pivot::AlertEvents {
            alert_id: a.id.clone(),
            events: Arc::new(a.event_ids.iter().cloned().collect()),
        });
    }
    out.extend(a.access_key_id.clone().map(Pivot::Key));
    out.extend(a.principal.clone().map(Pivot::Principal));
    out.extend(a.source_ip.clone().map(Pivot::Ip));
    out
}

/// The pivots an access key offers (its account last, when known).
pub fn from_key(k: &KeySnapshot) -> Vec<Pivot> {
    let mut out = vec![
        Pivot::Key(k.access_key_id.clone()),
        Pivot::Principal(k.user.clone()),
    ];
    out.extend(k.account.clone().map(Pivot::Account));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_targets_are_classified() {
        assert_eq!(
            Pivot::parse("AKIA3OPSLEAKEDK3Y7QZ"),
            Pivot::Key("AKIA3OPSLEAKEDK3Y7QZ".into())
        );
        assert_eq!(
            Pivot::parse("203.0.113.77"),
            Pivot::Ip("203.0.113.77".into())
        );
        assert_eq!(
            Pivot::parse("211.9.016.253"),
            Pivot::Ip("211.9.016.253".into())
        );
        assert_eq!(Pivot::parse("2001:db8::1"), Pivot::Ip("2001:db8::1".into()));
        assert_eq!(
            Pivot::parse("admin-ops"),
            Pivot::Principal("admin-ops".into())
        );
        assert_eq!(Pivot::parse("AKIA"), Pivot::Principal("AKIA".into()));
        assert_eq!(
            Pivot::parse("event:RunInstances"),
            Pivot::EventName("RunInstances".into())
        );
        assert_eq!(
            Pivot::parse("resource:orders"),
            Pivot::Resource("orders".into())
        );
    }

    #[test]
    fn a_resource_pivot_finds_the_name_as_a_whole_value() {
        let e = CloudTrailEvent::from_json(
            r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"CreateTable","requestParameters":{"tableName":"orders"},"resources":[{"ARN":"arn:aws:dynamodb:us-east-1:1:table/orders-archive"}]}"#,
        )
        .unwrap();
        assert!(Pivot::Resource("orders".into()).matches_event(&e));
        assert!(
            Pivot::Resource("orders-archive".into()).matches_event(&e),
            "an ARN's last part"
        );
        assert!(
            !Pivot::Resource("order".into()).matches_event(&e),
            "not a substring"
        );
        assert!(Pivot::EventName("CreateTable".into()).matches_event(&e));
    }

    #[test]
    fn events_offer_key_then_principal_then_ip_then_operation() {
        let e = CloudTrailEvent::from_json(
            r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"RunInstances","sourceIPAddress":"203.0.113.77","userIdentity":{"type":"IAMUser","userName":"admin-ops","accessKeyId":"AKIA1"}}"#,
        )
        .unwrap();
        let p = from_event(&e);
        assert_eq!(
            p,
            [
                Pivot::Key("AKIA1".into()),
                Pivot::Principal("admin-ops".into()),
                Pivot::Ip("203.0.113.77".into()),
                Pivot::EventName("RunInstances".into()),
            ]
        );
        assert!(p.iter().all(|p| p.matches_event(&e)));
        assert!(!Pivot::Key("AKIA2".into()).matches_event(&e));
    }
}
