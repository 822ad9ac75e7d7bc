//! `code-changed-by-person`: a function's code, configuration or layers, or an image,
//! changed by a person's federated or SSO session rather than the pipeline — the way an
//! attacker with a stolen session plants code that runs with the function's role. And
//! images made public.

use super::signal::{Theme, by_a_service, raise, request, text};
use crate::detect::detection::{Context, Detection};
use crate::model::{CloudTrailEvent, Severity};

pub struct CodeChange;

const THEME: Theme = Theme {
    rule: "code-changed-by-person",
    severity: Severity::Medium,
    title: "Deployed code changed by hand by {}",
};

/// A person's session: SSO (`AWSReservedSSO_…` roles), SAML or web-identity federation, a
/// federated user.
fn a_persons_session(e: &CloudTrailEvent) -> bool {
    let id = &e.identity;
    id.kind == "FederatedUser"
        || id.kind == "SAMLUser"
        || id.kind == "WebIdentityUser"
        || id
            .user_name
            .as_deref()
            .is_some_and(|r| r.starts_with("AWSReservedSSO_"))
        || id.arn.contains(":assumed-role/AWSReservedSSO_")
}

impl Detection for CodeChange {
    fn observe(&mut self, e: &CloudTrailEvent, cx: &mut Context<'_>) {
        if e.failed() {
            return;
        }
        let name = e.event_name.as_str();
        let source = e.event_source.as_str();
        if source == "ecr-public.amazonaws.com" && name == "CreateRepository" {
            let r = request(e);
            raise(
                cx,
                e,
                &super::exposure::THEME,
                format!(
                    "create public image repository {}",
                    text(r, "repositoryName")
                ),
            );
            return;
        }
        let lambda = source == "lambda.amazonaws.com"
            && [
                "UpdateFunctionCode",
                "UpdateFunctionConfiguration",
                "PublishLayerVersion",
                "PublishVersion",
            ]
            .iter()
            .any(|p| name.starts_with(p));
        let ecr = source == "ecr.amazonaws.com" && matches!(name, "PutImage" | "BatchDeleteImage");
        if !(lambda || ecr) || by_a_service(e) || !a_persons_session(e) {
            return;
        }
        let r = request(e);
        let target = match text(r, "functionName") {
            "" => match text(r, "layerName") {
                "" => text(r, "repositoryName"),
                l => l,
            },
            f => f,
        };
        let what = match name {
            n if n.starts_with("UpdateFunctionCode") => {
                format!("change the code of function {target}")
            }
            n if n.starts_with("UpdateFunctionConfiguration") => {
                format!("change the configuration of function {target}")
            }
            n if n.starts_with("PublishLayerVersion") => {
                format!("publish a new version of layer {target}")
            }
            n if n.starts_with("PublishVersion") => {
                format!("publish a new version of function {target}")
            }
            "PutImage" => format!("push an image to repository {target}"),
            _ => format!("delete images from repository {target}"),
        };
        raise(
            cx,
            e,
            &THEME,
            format!("{what} from a person's session, not the pipeline"),
        );
    }
}
