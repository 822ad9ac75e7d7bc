//! Queries run on Athena: started, waited for, and their result pages read one at a time, so
//! a caller can act on the first rows while the next page is still being fetched.

use super::errors::{self, AwsFailure, FailureKind};
use aws_sdk_athena::Client;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use std::time::Duration;

/// What Athena charges per terabyte scanned (SQL queries, every commercial region but a
/// few), and the least it bills a query for.
pub const DOLLARS_PER_TB: f64 = 5.0;
const MIN_BILLED_BYTES: u64 = 10 * 1024 * 1024;

/// The first and the longest wait between looks at a running query.
const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL: Duration = Duration::from_secs(2);

/// Where queries run: the workgroup (its settings may fix the output location) and where the
/// results go when the workgroup does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub workgroup: Option<String>,
    pub output: Option<String>,
    pub database: Option<String>,
}

/// A query that finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub id: String,
    pub bytes_scanned: u64,
    pub engine_ms: u64,
}

impl Finished {
    /// What the query cost, at [`DOLLARS_PER_TB`] with the 10 MB minimum.
    pub fn dollars(&self) -> f64 {
        self.bytes_scanned.max(MIN_BILLED_BYTES) as f64 / 1e12 * DOLLARS_PER_TB
    }

    /// "scanned 1.2 GB, ≈ $0.0060": for a status line.
    pub fn short(&self) -> String {
        format!(
            "scanned {}, ≈ ${:.4}",
            bytes(self.bytes_scanned),
            self.dollars()
        )
    }

    /// "scanned 1.2 GB in 3.4 s (≈ $0.0060 at $5/TB, 10 MB minimum)".
    pub fn summary(&self) -> String {
        format!(
            "scanned {} in {:.1} s (≈ ${:.4} at ${DOLLARS_PER_TB}/TB, 10 MB minimum)",
            bytes(self.bytes_scanned),
            self.engine_ms as f64 / 1000.0,
            self.dollars()
        )
    }
}

/// Bytes in the decimal units Athena bills by.
fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e12 {
        format!("{:.2} TB", n / 1e12)
    } else if n >= 1e9 {
        format!("{:.2} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{} bytes", n as u64)
    }
}

pub struct Athena {
    client: Client,
    place: Place,
}

impl Athena {
    pub fn new(sdk: &aws_config::SdkConfig, place: Place) -> Self {
        Athena {
            client: Client::new(sdk),
            place,
        }
    }

    /// Starts `sql` and waits until it has finished; a query Athena failed or cancelled is
    /// a failure with Athena's reason.
    pub async fn execute(&self, sql: &str) -> Result<Finished, AwsFailure> {
        let mut start = self.client.start_query_execution().query_string(sql);
        if let Some(w) = &self.place.workgroup {
            start = start.work_group(w);
        }
        if let Some(out) = &self.place.output {
            start = start
                .result_configuration(ResultConfiguration::builder().output_location(out).build());
        }
        if let Some(db) = &self.place.database {
            start = start
                .query_execution_context(QueryExecutionContext::builder().database(db).build());
        }
        let started = start
            .send()
            .await
            .map_err(|e| errors::describe("athena:StartQueryExecution", &e))?;
        let id = started.query_execution_id().unwrap_or_default().to_string();
        let mut wait = FIRST_POLL;
        loop {
            let got = self
                .client
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await
                .map_err(|e| errors::describe("athena:GetQueryExecution", &e))?;
            let execution = got.query_execution();
            let status = execution.and_then(|e| e.status());
            match status.and_then(|s| s.state()) {
                Some(QueryExecutionState::Succeeded) => {
                    let stats = execution.and_then(|e| e.statistics());
                    return Ok(Finished {
                        id,
                        bytes_scanned: stats
                            .and_then(|s| s.data_scanned_in_bytes())
                            .unwrap_or(0)
                            .max(0) as u64,
                        engine_ms: stats
                            .and_then(|s| s.engine_execution_time_in_millis())
                            .unwrap_or(0)
                            .max(0) as u64,
                    });
                }
                Some(state @ (QueryExecutionState::Failed | QueryExecutionState::Cancelled)) => {
                    let reason = status
                        .and_then(|s| s.state_change_reason())
                        .unwrap_or("no reason given");
                    return Err(AwsFailure {
                        kind: FailureKind::Other,
                        operation: "athena:StartQueryExecution".into(),
                        code: Some(state.as_str().to_string()),
                        message: format!("Athena query {id} {}: {reason}", state.as_str()),
                    });
                }
                _ => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_POLL);
                }
            }
        }
    }

    /// The rows of a finished query, page by page, each row its columns' text (None for
    /// NULL); the header row Athena puts first is not one of them.
    pub async fn rows(
        &self,
        id: &str,
        mut each_page: impl FnMut(Vec<Vec<Option<String>>>),
    ) -> Result<(), AwsFailure> {
        let mut pages = self
            .client
            .get_query_results()
            .query_execution_id(id)
            .into_paginator()
            .send();
        let mut first = true;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| errors::describe("athena:GetQueryResults", &e))?;
            let Some(set) = page.result_set() else {
                continue;
            };
            let names: Vec<&str> = set
                .result_set_metadata()
                .map(|m| m.column_info().iter().map(|c| c.name()).collect())
                .unwrap_or_default();
            let mut rows: Vec<Vec<Option<String>>> = set
                .rows()
                .iter()
                .map(|r| {
                    r.data()
                        .iter()
                        .map(|d| d.var_char_value().map(str::to_string))
                        .collect()
                })
                .collect();
            // A SELECT's first page starts with the column names.
            if first
                && rows.first().is_some_and(|r| {
                    !names.is_empty()
                        && r.len() == names.len()
                        && r.iter().zip(&names).all(|(v, n)| v.as_deref() == Some(*n))
                })
            {
                rows.remove(0);
            }
            first = false;
            each_page(rows);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_has_athenas_minimum_and_units_read_plainly() {
        let small = Finished {
            id: "q".into(),
            bytes_scanned: 0,
            engine_ms: 1200,
        };
        assert!((small.dollars() - 10.0 * 1024.0 * 1024.0 / 1e12 * 5.0).abs() < 1e-12);
        let big = Finished {
            bytes_scanned: 2_000_000_000_000,
            ..small.clone()
        };
        assert!((big.dollars() - 10.0).abs() < 1e-9);
        assert!(
            big.summary()
                .starts_with("scanned 2.00 TB in 1.2 s (≈ $10.0000")
        );
        assert_eq!(bytes(3_400_000), "3.4 MB");
    }
}
