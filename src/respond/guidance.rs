//! The best-practice fix, as code, for findings that cannot be fixed automatically.

/// Guidance for a Config rule: why it cannot be auto-fixed, and the fix as code.
pub struct Guidance {
    pub summary: &'static str,
    pub language: &'static str,
    pub code: &'static str,
}

/// Guidance for the managed rules responders meet most, by rule name.
pub fn for_rule(rule: &str) -> Option<Guidance> {
    Some(match rule {
        "dynamodb-table-encryption-enabled" => Guidance {
            summary: "Encryption at rest is chosen when a DynamoDB table is created: recreate the table \
                      (or migrate its data) with SSESpecification set, in the stack that owns it.",
            language: "yaml",
            code: "OrdersTable:\n  Type: AWS::DynamoDB::Table\n  Properties:\n    # …existing properties…\n    SSESpecification:\n      SSEEnabled: true\n      SSEType: KMS\n      KMSMasterKeyId: alias/aws/dynamodb\n    PointInTimeRecoverySpecification:\n      PointInTimeRecoveryEnabled: true",
        },
        "iam-user-mfa-enabled" => Guidance {
            summary: "MFA has to be enrolled by the user; enforce it with a policy that denies \
                      everything except MFA setup until they do.",
            language: "json",
            code: "{\n  \"Effect\": \"Deny\",\n  \"NotAction\": [\"iam:CreateVirtualMFADevice\", \"iam:EnableMFADevice\", \"iam:ListMFADevices\", \"sts:GetSessionToken\"],\n  \"Resource\": \"*\",\n  \"Condition\": {\"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"}}\n}",
        },
        "access-keys-rotated" => Guidance {
            summary: "Rotate the key without breaking its users: create a second key, move every \
                      consumer to it, then deactivate and delete the old one.",
            language: "sh",
            code: "aws iam create-access-key --user-name USER\n# update every consumer, then:\naws iam update-access-key --user-name USER --access-key-id OLD_KEY --status Inactive\naws iam delete-access-key --user-name USER --access-key-id OLD_KEY",
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn dynamodb_guidance_is_the_sse_specification_snippet() {
        let g = super::for_rule("dynamodb-table-encryption-enabled").unwrap();
        assert!(g.code.contains("SSESpecification:"));
        assert!(g.code.contains("SSEEnabled: true"));
        assert!(super::for_rule("no-such-rule").is_none());
    }
}
