//! Slack: the mirror of the incident into its channel, and the `/warroom` bridge.

pub mod blocks;
pub mod bridge;
pub mod http;
pub mod outbox;
pub mod slack;
pub mod socket;
pub mod verify;
