//! Every request that reaches the bridge is checked before anything else looks at it:
//! size, Slack's v0 signature (HMAC-SHA256 over `v0:timestamp:body`, compared in constant
//! time by slack-morphism's verifier) and a timestamp within five minutes. Whether it was
//! seen before is the journal's to say (it outlives the process).

use crate::config::secret::Secret;
use slack_morphism::prelude::SlackSigningSecret;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;

/// Slack's own window: a request older (or newer) than this is refused.
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;
/// Slash commands and button clicks are small; anything bigger is not Slack.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub const SIGNATURE_HEADER: &str = "x-slack-signature";
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";

/// Why a request was refused. Each is answered 401 (or 413 for size) and counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("no Slack signature or timestamp header")]
    Unsigned,
    #[error("timestamp {0:?} is not a number")]
    BadTimestamp(String),
    #[error("timestamp is {0} seconds off (more than 5 minutes): stale or replayed")]
    Stale(i64),
    #[error("signature does not match")]
    BadSignature,
    #[error("a request with this signature was already handled (replay)")]
    Replayed,
}

pub struct Verifier {
    verifier: SlackEventSignatureVerifier,
}

impl Verifier {
    pub fn new(signing_secret: &Secret) -> Self {
        Verifier {
            verifier: SlackEventSignatureVerifier::new(&SlackSigningSecret::new(
                signing_secret.expose().to_string(),
            )),
        }
    }

    /// Checks one request; its signed timestamp when it passes. `now` is the current Unix
    /// time in seconds.
    pub fn check(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<i64, Rejection> {
        if body.len() > MAX_BODY_BYTES {
            return Err(Rejection::TooLarge);
        }
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(Rejection::Unsigned);
        };
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Rejection::BadTimestamp(timestamp.to_string()))?;
        if (now - ts).abs() > MAX_SKEW_SECONDS {
            return Err(Rejection::Stale(now - ts));
        }
        let body = std::str::from_utf8(body).map_err(|_| Rejection::BadSignature)?;
        self.verifier
            .verify(signature, body, timestamp)
            .map_err(|_| Rejection::BadSignature)?;
        Ok(ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    /// An independent signer (the integration tests also sign with Slack's Python SDK).
    fn sign(secret: &str, ts: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn verifier() -> Verifier {
        Verifier::new(&Secret::new("8f742231b10e8888abcd99yyyzzz85a5"))
    }

    #[test]
    fn a_well_signed_fresh_request_passes() {
        let v = verifier();
        let t = now();
        let body = "command=%2Fwarroom&text=status";
        let sig = sign("8f742231b10e8888abcd99yyyzzz85a5", t, body);
        let ts = t.to_string();
        assert_eq!(v.check(Some(&sig), Some(&ts), body.as_bytes(), t), Ok(t));
    }

    #[test]
    fn everything_else_is_refused_with_its_reason() {
        let v = verifier();
        let t = now();
        let body = "command=%2Fwarroom&text=deactivate%20AKIA1";
        let good = sign("8f742231b10e8888abcd99yyyzzz85a5", t, body);
        let ts = t.to_string();
        let wrong_secret = sign("another-secret", t, body);
        assert_eq!(
            v.check(Some(&wrong_secret), Some(&ts), body.as_bytes(), t),
            Err(Rejection::BadSignature)
        );
        let tampered = body.replace("AKIA1", "AKIA2");
        assert_eq!(
            v.check(Some(&good), Some(&ts), tampered.as_bytes(), t),
            Err(Rejection::BadSignature)
        );
        let old = t - 301;
        let old_sig = sign("8f742231b10e8888abcd99yyyzzz85a5", old, body);
        assert_eq!(
            v.check(Some(&old_sig), Some(&old.to_string()), body.as_bytes(), t),
            Err(Rejection::Stale(301))
        );
        assert_eq!(
            v.check(None, Some(&ts), body.as_bytes(), t),
            Err(Rejection::Unsigned)
        );
        assert_eq!(
            v.check(Some(&good), Some("yesterday"), body.as_bytes(), t),
            Err(Rejection::BadTimestamp("yesterday".into()))
        );
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(
            v.check(Some(&good), Some(&ts), big.as_bytes(), t),
            Err(Rejection::TooLarge)
        );
    }
}
