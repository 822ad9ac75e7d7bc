//! `console-login-no-mfa`: a console sign-in with a password alone.

use crate::detect::detection::{AlertSeed, Context, Detection};
use crate::model::{CloudTrailEvent, Severity};
use serde_json::Value;

pub struct ConsoleLoginWithoutMfa;

impl Detection for ConsoleLoginWithoutMfa {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        if e.event_name != "ConsoleLogin" {
            return;
        }
        let p = e.params().unwrap_or(&Value::Null);
        let succeeded = p
            .pointer("/responseElements/ConsoleLogin")
            .and_then(Value::as_str)
            == Some("Success");
        let mfa = p
            .pointer("/additionalEventData/MFAUsed")
            .and_then(Value::as_str);
        // Federated sign-ins (SAML/SSO) leave MFA to the identity provider.
        let federated = matches!(&*e.identity.kind, "AssumedRole" | "FederatedUser");
        if !succeeded || mfa != Some("No") || federated {
            return;
        }
        let principal = e.identity.display();
        let explain = format!(
            "{principal} signed in to the console from {} with a password alone: a stolen password is all it takes",
            e.source_ip
        );
        cx.raise(
            AlertSeed {
                group: format!("console-login-no-mfa:{principal}"),
                rule: "console-login-no-mfa".into(),
                severity: Severity::Medium,
                title: format!("{principal} signed in to the console without MFA"),
            },
            explain,
            e,
        );
    }
}
