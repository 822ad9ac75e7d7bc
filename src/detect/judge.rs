//! Judging an event by the Sigma rules without building its JSON when that can be helped:
//! most rules test fields the event already holds, and most of the rest a few strings that a
//! scan of the raw text finds. The whole JSON is built only for what neither can tell
//! (keywords, numbers, lists).

use super::sigma::{Known, RuleSet};
use crate::model::{CloudTrailEvent, Sym};
use serde_json::Value;
use serde_json::value::RawValue;
use std::cell::OnceCell;
// A fast seeded hash: looked up for each of a million events.
use foldhash::HashMap;

/// The Sigma rules `e` (whose JSON text is `raw`) matches. `json` builds the whole event,
/// and is called at most once, only when a rule needs it.
pub fn judge(
    rules: &RuleSet,
    e: &CloudTrailEvent,
    raw: &str,
    json: &mut dyn FnMut() -> Value,
) -> Vec<usize> {
    let mut hits = Vec::new();
    if rules.may_match(&e.event_name) {
        let known = Either(Lifted(e), Scanned::new(raw));
        rules.matching_lazily(&e.event_name, &known, json, &mut hits);
    }
    hits
}

/// The first that knows.
struct Either<A, B>(A, B);

impl<A: Known, B: Known> Known for Either<A, B> {
    fn field(&self, path: &str) -> Option<Option<&str>> {
        self.0.field(path).or_else(|| self.1.field(path))
    }
}

/// The fields a parsed event holds as CloudTrail wrote them. An empty text may stand for a
/// field that was absent, so it is not known.
struct Lifted<'a>(&'a CloudTrailEvent);

impl Known for Lifted<'_> {
    fn field(&self, path: &str) -> Option<Option<&str>> {
        let e = self.0;
        fn text(t: &Sym) -> Option<Option<&str>> {
            (!t.is_empty()).then_some(Some(t.as_str()))
        }
        match path {
            "eventName" => text(&e.event_name),
            "eventSource" => text(&e.event_source),
            "awsRegion" => text(&e.aws_region),
            "sourceIPAddress" => text(&e.source_ip),
            "userAgent" => text(&e.user_agent),
            "userIdentity.type" => text(&e.identity.kind),
            // An empty key is read as none at all: only a present one is known.
            "userIdentity.accessKeyId" => e.identity.access_key_id.as_deref().map(Some),
            "errorCode" => Some(e.error_code.as_deref()),
            _ => None,
        }
    }
}

/// One JSON object with its values left as text: finding a key skips over the others
/// without building them.
type Object<'a> = HashMap<&'a str, &'a RawValue>;

/// Fields found by scanning the raw JSON, object by object down the path. Known: a plain
/// string (no escapes), and absence; anything else (numbers, lists, escaped text, keys
/// holding dots that Sigma would read as one name) is left to the whole JSON.
struct Scanned<'a> {
    raw: &'a str,
    top: OnceCell<Option<Object<'a>>>,
}

impl<'a> Scanned<'a> {
    fn new(raw: &'a str) -> Self {
        Scanned {
            raw,
            top: OnceCell::new(),
        }
    }
}

impl Known for Scanned<'_> {
    fn field(&self, path: &str) -> Option<Option<&str>> {
        let top = self
            .top
            .get_or_init(|| serde_json::from_str(self.raw).ok())
            .as_ref()?;
        let segments: Vec<&str> = path.split('.').collect();
        let mut inner: Option<Object<'_>> = None;
        for (depth, segment) in segments.iter().enumerate() {
            let object = inner.as_ref().unwrap_or(top);
            // Sigma prefers a key holding the dots ("a.b") to the nested reading.
            if depth + 1 < segments.len()
                && (depth + 2..=segments.len())
                    .any(|end| object.contains_key(segments[depth..end].join(".").as_str()))
            {
                return None;
            }
            let Some(value) = object.get(segment) else {
                return Some(None);
            };
            let text = value.get();
            if text == "null" {
                return Some(None);
            }
            if depth + 1 == segments.len() {
                let plain = text.len() >= 2
                    && text.starts_with('"')
                    && !text[1..text.len() - 1].contains(['\\', '"']);
                return plain.then(|| Some(&text[1..text.len() - 1]));
            }
            match text.as_bytes().first() {
                Some(b'{') => inner = Some(serde_json::from_str(text).ok()?),
                // Through a list, any element may match: the whole JSON knows.
                Some(b'[') => return None,
                // A string or number has no fields.
                _ => return Some(None),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_finds_plain_strings_and_absence_and_leaves_the_rest() {
        let raw = r#"{"eventName":"GetCallerIdentity","userIdentity":{"type":"AssumedRole",
            "sessionContext":{"ec2RoleDelivery":"2.0","attributes":{"mfaAuthenticated":"false"}}},
            "requestParameters":null,"tags":["a","b"],"count":3,"esc":"a\"b","a.b":"dotted","a":{"b":"nested"}}"#;
        let s = Scanned::new(raw);
        assert_eq!(
            s.field("userIdentity.sessionContext.ec2RoleDelivery"),
            Some(Some("2.0"))
        );
        assert_eq!(
            s.field("userIdentity.sessionContext.attributes.mfaAuthenticated"),
            Some(Some("false"))
        );
        assert_eq!(
            s.field("userIdentity.sessionContext.sourceIdentity"),
            Some(None)
        );
        assert_eq!(s.field("responseElements.x"), Some(None));
        assert_eq!(s.field("requestParameters.roleArn"), Some(None));
        assert_eq!(s.field("eventName.x"), Some(None));
        assert_eq!(s.field("tags"), None);
        assert_eq!(s.field("tags.x"), None);
        assert_eq!(s.field("count"), None);
        assert_eq!(s.field("esc"), None);
        assert_eq!(s.field("a.b"), None, "the dotted key decides, not the scan");
        assert_eq!(Scanned::new("not json").field("eventName"), None);
    }
}

#[cfg(test)]
mod agreement {
    use super::*;
    use crate::detect::rules::{RuleSources, load};

    /// Every recorded attack and every starter and benchmark rule: judging without the JSON
    /// agrees with judging on it, event by event.
    #[test]
    fn judging_lazily_agrees_with_the_whole_json_on_real_events() {
        let root = env!("CARGO_MANIFEST_DIR");
        let loaded = load(&RuleSources {
            starter: true,
            paths: vec![format!("{root}/benches/sigma-rules").into()],
        });
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        let rules = loaded.rules;
        let dir = format!("{root}/tests/data/stratus-detonation-logs");
        let (mut events, mut asked, mut hits) = (0, 0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let values: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for v in &values {
                let raw = v.to_string();
                let e = CloudTrailEvent::from_json(&raw).unwrap();
                let whole = rules.matching(&e.event_name, v);
                let lazy = judge(&rules, &e, &raw, &mut || {
                    asked += 1;
                    v.clone()
                });
                assert_eq!(lazy, whole, "{} in {}", e.event_id(), path.display());
                events += 1;
                hits += whole.len();
            }
        }
        assert!(events > 300 && hits > 30, "{events} events, {hits} hits");
        assert!(
            asked * 10 < events,
            "the JSON was built for {asked} of {events} events"
        );
    }
}
