//! The demo world as a [`Source`]: what falls due on the incident's clock, or (for a
//! process that only answers responses, like the Slack bridge) only what the world did in
//! answer to them.

use super::world::DemoWorld;
use crate::source::{Outlet, Source};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub struct DemoSource {
    world: Arc<DemoWorld>,
    every: Duration,
    /// Plays the scenario; otherwise passes on the world's answers alone.
    plays: bool,
}

impl DemoSource {
    /// The scenario as it falls due, and the world's answers to responses.
    pub fn playing(world: Arc<DemoWorld>, every: Duration) -> DemoSource {
        DemoSource {
            world,
            every,
            plays: true,
        }
    }

    /// Only the world's answers to responses (its CloudTrail, its IAM).
    pub fn answering(world: Arc<DemoWorld>, every: Duration) -> DemoSource {
        DemoSource {
            world,
            every,
            plays: false,
        }
    }
}

impl Source for DemoSource {
    fn run(self: Box<Self>, outlet: Outlet) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut tick = tokio::time::interval(self.every);
            loop {
                tick.tick().await;
                let due = if self.plays {
                    self.world.advance(outlet.clock.now())
                } else {
                    self.world.drain()
                };
                outlet.send_records(due);
            }
        })
    }
}
