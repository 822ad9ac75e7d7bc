//! The console's pivots reaching past the 90 days LookupEvents keeps, and into every account
//! of the organization trail: each pivot on a key, principal, address, operation or account
//! is also asked of the Athena table (`[athena] table`), over `[athena] pivot_days`, and the
//! events found join the incident like any source's. Progress and the bytes scanned show as
//! the `athena` source's status.

use super::{place_of_config, run_and_read};
use crate::query::Filter;
use crate::source::aws::athena::Place;
use crate::source::aws::live::Health;
use crate::source::{Outlet, Source};
use crate::state::pivot::Pivot;
use futures::future::BoxFuture;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// How far back a pivot asks Athena, unless `[athena] pivot_days` says.
pub const DEFAULT_PIVOT_DAYS: u32 = 365;

/// The filters that ask the table about a pivot; None for what it cannot be asked about
/// plainly (a resource name may be in any field; an alert's events are already here).
pub fn filters_of(p: &Pivot) -> Option<Vec<Filter>> {
    let one = |path: &str, value: &str| {
        Some(vec![Filter::Equals {
            path: path.split('.').map(str::to_string).collect(),
            value: value.to_string(),
        }])
    };
    match p {
        Pivot::Key(k) => one("userIdentity.accessKeyId", k),
        // A role session is shown as role/session: the role is the session's issuer.
        Pivot::Principal(name) => match name.split_once('/') {
            Some((role, _)) => one("userIdentity.sessionContext.sessionIssuer.userName", role),
            None => one("userIdentity.userName", name),
        },
        Pivot::Ip(ip) => one("sourceIPAddress", ip),
        Pivot::EventName(n) => one("eventName", n),
        Pivot::Account(a) => one("recipientAccountId", a),
        Pivot::Resource(_) | Pivot::AlertEvents { .. } => None,
    }
}

/// Asks Athena about each pivot it is sent.
pub struct AthenaPivots {
    sdk: aws_config::SdkConfig,
    place: Place,
    table: String,
    days: u32,
    pivots: UnboundedReceiver<Pivot>,
}

impl AthenaPivots {
    /// The source, and where to send it pivots; None without `[athena] table`.
    pub fn configured(
        config: &crate::config::Config,
        sdk: &aws_config::SdkConfig,
    ) -> anyhow::Result<Option<(AthenaPivots, UnboundedSender<Pivot>)>> {
        let Some(table) = &config.athena.table else {
            return Ok(None);
        };
        let table = super::table_name(table, config)?;
        let sdk = match &config.athena.region {
            Some(r) => crate::source::aws::connect::in_region(sdk, r),
            None => sdk.clone(),
        };
        let (tx, pivots) = unbounded_channel();
        Ok(Some((
            AthenaPivots {
                sdk,
                place: place_of_config(config),
                table,
                days: config.athena.pivot_days.unwrap_or(DEFAULT_PIVOT_DAYS),
                pivots,
            },
            tx,
        )))
    }
}

impl Source for AthenaPivots {
    fn run(mut self: Box<Self>, outlet: Outlet) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            while let Some(pivot) = self.pivots.recv().await {
                let Some(filters) = filters_of(&pivot) else {
                    Health::new("athena", &outlet).ok(format!(
                        "Athena is not asked about {pivot}: it names no column"
                    ));
                    continue;
                };
                // Each pivot runs on its own: a long scan holds up no other.
                let job = Job {
                    sdk: self.sdk.clone(),
                    place: self.place.clone(),
                    table: self.table.clone(),
                    days: self.days,
                    pivot,
                    filters,
                };
                tokio::spawn(job.run(outlet.clone()));
            }
        })
    }
}

struct Job {
    sdk: aws_config::SdkConfig,
    place: Place,
    table: String,
    days: u32,
    pivot: Pivot,
    filters: Vec<Filter>,
}

impl Job {
    async fn run(self, outlet: Outlet) {
        let mut health = Health::new("athena", &outlet);
        let since = outlet.clock.now() - chrono::Duration::days(i64::from(self.days));
        let sql = crate::athena::compile(&self.table, &self.filters, Some(since), None).sql;
        health.ok(format!(
            "asking {} about {} over {} days…",
            self.table, self.pivot, self.days
        ));
        let opts = crate::archive::ReadOptions {
            since: Some(since),
            ..Default::default()
        };
        let found = std::sync::Mutex::new(Vec::new());
        let ran = run_and_read(&self.sdk, self.place, &[sql], &opts, &|batch, ids| {
            let named = batch
                .events
                .into_iter()
                .filter(|e| ids.contains(&*e.event_id()))
                .map(crate::model::RecordBody::Event);
            found
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(named);
        })
        .await;
        match ran {
            Ok(ran) => {
                let mut events = found.into_inner().unwrap_or_else(|p| p.into_inner());
                events.sort_by_key(|b| match b {
                    crate::model::RecordBody::Event(e) => e.event_time,
                    _ => chrono::DateTime::<chrono::Utc>::MIN_UTC,
                });
                let n = events.len();
                health.send("athena", events);
                let cost: Vec<String> = ran.queries.iter().map(|(d, _)| d.short()).collect();
                let unread = match ran.problems.len() {
                    0 => String::new(),
                    k => format!("; {k} files could not be read"),
                };
                health.ok(format!(
                    "{n} events in {} days for {} · {}{unread}",
                    self.days,
                    self.pivot,
                    cost.join("; ")
                ));
            }
            Err(f) => health.failed(&f),
        }
    }
}

/// Sends each pivot on to both: the console's own lookups and Athena's.
pub fn tee(
    lookups: UnboundedSender<Pivot>,
    athena: UnboundedSender<Pivot>,
) -> (UnboundedSender<Pivot>, Box<dyn Source>) {
    let (tx, rx) = unbounded_channel();
    (
        tx,
        Box::new(Tee {
            rx,
            lookups,
            athena,
        }),
    )
}

struct Tee {
    rx: UnboundedReceiver<Pivot>,
    lookups: UnboundedSender<Pivot>,
    athena: UnboundedSender<Pivot>,
}

impl Source for Tee {
    fn run(mut self: Box<Self>, _outlet: Outlet) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            while let Some(p) = self.rx.recv().await {
                let _ = self.lookups.send(p.clone());
                let _ = self.athena.send(p);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivots_ask_the_columns_that_name_them() {
        let path = |p: &Pivot| {
            filters_of(p).map(|f| match &f[0] {
                Filter::Equals { path, value } => format!("{}={value}", path.join(".")),
                other => format!("{other:?}"),
            })
        };
        assert_eq!(
            path(&Pivot::parse("AKIAIOSFODNN7EXAMPLE")).as_deref(),
            Some("userIdentity.accessKeyId=AKIAIOSFODNN7EXAMPLE")
        );
        assert_eq!(
            path(&Pivot::Principal("Deployer/gh-actions".into())).as_deref(),
            Some("userIdentity.sessionContext.sessionIssuer.userName=Deployer")
        );
        assert_eq!(
            path(&Pivot::parse("111122223333")).as_deref(),
            Some("recipientAccountId=111122223333")
        );
        assert_eq!(path(&Pivot::parse("resource:orders")), None);
    }
}
