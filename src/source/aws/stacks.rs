//! Which CloudFormation stack made a resource: every stack's resources in a region, by
//! physical ID, read again once older than the source's refresh. (`DescribeStackResources`
//! by physical ID answers one resource per call; listing answers every finding of a poll
//! in one pass per stack.)

use super::errors::{self, AwsFailure};
use crate::model::StackResource;
use aws_sdk_cloudformation::types::StackStatus;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct StackIndex {
    client: aws_sdk_cloudformation::Client,
    by_physical: HashMap<String, StackResource>,
    read_at: Option<Instant>,
    max_age: Duration,
}

impl StackIndex {
    pub fn new(client: aws_sdk_cloudformation::Client, max_age: Duration) -> Self {
        StackIndex {
            client,
            by_physical: HashMap::new(),
            read_at: None,
            max_age,
        }
    }

    /// The stack resource whose physical ID is `physical_id`, reading the stacks again
    /// when the index is older than its age.
    pub async fn stack_of(
        &mut self,
        physical_id: &str,
    ) -> Result<Option<StackResource>, AwsFailure> {
        if self.read_at.is_none_or(|t| t.elapsed() >= self.max_age) {
            self.by_physical = self.read().await?;
            self.read_at = Some(Instant::now());
        }
        Ok(self.by_physical.get(physical_id).cloned())
    }

    async fn read(&self) -> Result<HashMap<String, StackResource>, AwsFailure> {
        let stacks = self
            .client
            .describe_stacks()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| errors::describe("cloudformation:DescribeStacks", &e))?;
        let mut out = HashMap::new();
        for stack in stacks
            .iter()
            .filter(|s| s.stack_status() != Some(&StackStatus::DeleteComplete))
        {
            let Some(name) = stack.stack_name() else {
                continue;
            };
            let resources = self
                .client
                .list_stack_resources()
                .stack_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| errors::describe("cloudformation:ListStackResources", &e))?;
            for r in resources {
                if let (Some(physical), Some(logical)) =
                    (r.physical_resource_id(), r.logical_resource_id())
                {
                    out.insert(
                        physical.to_string(),
                        StackResource {
                            stack: name.to_string(),
                            logical_id: logical.to_string(),
                        },
                    );
                }
            }
        }
        Ok(out)
    }
}
