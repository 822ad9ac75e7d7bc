//! The IAM calls responses make, answered in the API's own JSON shape (which the plans'
//! bindings read): keys, policies, sessions, and everything a user must lose before IAM
//! lets it be deleted.

use super::calls::{acked, failed, param};
use crate::model::ApiCall;
use crate::respond::ApiError;
use aws_sdk_iam::types::StatusType;
use serde_json::{Value, json};

pub async fn call(iam: &aws_sdk_iam::Client, call: &ApiCall) -> Result<Value, ApiError> {
    let user = || param(call, "UserName");
    Ok(match call.operation.as_str() {
        "UpdateAccessKey" => {
            let status = match param(call, "Status")? {
                "Active" => StatusType::Active,
                _ => StatusType::Inactive,
            };
            acked(
                iam.update_access_key()
                    .user_name(user()?)
                    .access_key_id(param(call, "AccessKeyId")?)
                    .status(status)
                    .send()
                    .await,
                call,
            )?
        }
        "DeleteAccessKey" => acked(
            iam.delete_access_key()
                .user_name(user()?)
                .access_key_id(param(call, "AccessKeyId")?)
                .send()
                .await,
            call,
        )?,
        "PutUserPolicy" => acked(
            iam.put_user_policy()
                .user_name(user()?)
                .policy_name(param(call, "PolicyName")?)
                .policy_document(param(call, "PolicyDocument")?)
                .send()
                .await,
            call,
        )?,
        "PutRolePolicy" => acked(
            iam.put_role_policy()
                .role_name(param(call, "RoleName")?)
                .policy_name(param(call, "PolicyName")?)
                .policy_document(param(call, "PolicyDocument")?)
                .send()
                .await,
            call,
        )?,
        "ListAccessKeys" => {
            let out = iam
                .list_access_keys()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"AccessKeyMetadata": out.access_key_metadata().iter().map(|k| json!({
                "AccessKeyId": k.access_key_id(),
                "Status": k.status().map(|s| s.as_str()),
            })).collect::<Vec<_>>()})
        }
        "DeleteLoginProfile" => acked(
            iam.delete_login_profile().user_name(user()?).send().await,
            call,
        )?,
        "ListUserPolicies" => {
            let out = iam
                .list_user_policies()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"PolicyNames": out.policy_names()})
        }
        "DeleteUserPolicy" => acked(
            iam.delete_user_policy()
                .user_name(user()?)
                .policy_name(param(call, "PolicyName")?)
                .send()
                .await,
            call,
        )?,
        "ListAttachedUserPolicies" => {
            let out = iam
                .list_attached_user_policies()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"AttachedPolicies": out.attached_policies().iter().map(|p| json!({
                "PolicyArn": p.policy_arn(), "PolicyName": p.policy_name(),
            })).collect::<Vec<_>>()})
        }
        "DetachUserPolicy" => acked(
            iam.detach_user_policy()
                .user_name(user()?)
                .policy_arn(param(call, "PolicyArn")?)
                .send()
                .await,
            call,
        )?,
        "ListGroupsForUser" => {
            let out = iam
                .list_groups_for_user()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"Groups": out.groups().iter().map(|g| json!({"GroupName": g.group_name()})).collect::<Vec<_>>()})
        }
        "RemoveUserFromGroup" => acked(
            iam.remove_user_from_group()
                .user_name(user()?)
                .group_name(param(call, "GroupName")?)
                .send()
                .await,
            call,
        )?,
        "ListMFADevices" => {
            let out = iam
                .list_mfa_devices()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"MFADevices": out.mfa_devices().iter().map(|d| json!({"SerialNumber": d.serial_number()})).collect::<Vec<_>>()})
        }
        "DeactivateMFADevice" => acked(
            iam.deactivate_mfa_device()
                .user_name(user()?)
                .serial_number(param(call, "SerialNumber")?)
                .send()
                .await,
            call,
        )?,
        "DeleteVirtualMFADevice" => acked(
            iam.delete_virtual_mfa_device()
                .serial_number(param(call, "SerialNumber")?)
                .send()
                .await,
            call,
        )?,
        "ListSigningCertificates" => {
            let out = iam
                .list_signing_certificates()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"Certificates": out.certificates().iter().map(|c| json!({"CertificateId": c.certificate_id()})).collect::<Vec<_>>()})
        }
        "DeleteSigningCertificate" => acked(
            iam.delete_signing_certificate()
                .user_name(user()?)
                .certificate_id(param(call, "CertificateId")?)
                .send()
                .await,
            call,
        )?,
        "ListSSHPublicKeys" => {
            let out = iam
                .list_ssh_public_keys()
                .user_name(user()?)
                .send()
                .await
                .map_err(failed(call))?;
            json!({"SSHPublicKeys": out.ssh_public_keys().iter().map(|k| json!({"SSHPublicKeyId": k.ssh_public_key_id()})).collect::<Vec<_>>()})
        }
        "DeleteSSHPublicKey" => acked(
            iam.delete_ssh_public_key()
                .user_name(user()?)
                .ssh_public_key_id(param(call, "SSHPublicKeyId")?)
                .send()
                .await,
            call,
        )?,
        "DeleteUser" => acked(iam.delete_user().user_name(user()?).send().await, call)?,
        op => {
            return Err(ApiError::new(
                "UnsupportedOperation",
                format!("warroom does not make iam:{op} calls"),
            ));
        }
    })
}
