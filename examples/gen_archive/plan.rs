//! What the archive holds: how many events each file gets.

use super::*;

/// One delivery: a region's five minutes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileCount {
    pub(crate) events: u32,
    pub(crate) pivot: u32,
}

pub(crate) struct Plan {
    pub(crate) slots: usize,
    /// Indexed by `region * slots + slot`.
    pub(crate) files: Vec<FileCount>,
}

impl Plan {
    /// Spreads the events over regions and time: most in the first region (it also gets
    /// the global services), more in working hours than at night, fewer at weekends.
    pub(crate) fn new(args: &Args, world: &World) -> Plan {
        let slots = (args.days as i64 * 24 * 60 / SLOT_MINUTES) as usize;
        let regions = world.regions.len();
        let mut files = vec![FileCount::default(); regions * slots];
        let mut rng = fastrand::Rng::with_seed(mix(args.seed, u64::MAX));
        let planted = if args.pivot_key.is_some() {
            args.pivot_events
        } else {
            0
        };
        for i in 0..args.events {
            let region = weighted_region(&mut rng, regions);
            let slot = busy_slot(&mut rng, slots, world.start);
            let file = &mut files[region * slots + slot];
            file.events += 1;
            if i < planted {
                file.pivot += 1;
            }
        }
        Plan { slots, files }
    }
}

pub(crate) fn weighted_region(rng: &mut fastrand::Rng, regions: usize) -> usize {
    // The first region twice as busy as each other one.
    let r = rng.usize(..regions + 1);
    r.saturating_sub(1)
}

/// A five-minute slot, drawn by rejection so that working hours weigh more.
pub(crate) fn busy_slot(rng: &mut fastrand::Rng, slots: usize, start: DateTime<Utc>) -> usize {
    loop {
        let slot = rng.usize(..slots);
        let at = start + Duration::minutes(slot as i64 * SLOT_MINUTES);
        let mut weight = if (7..19).contains(&at.hour()) { 4 } else { 1 };
        if at.weekday().number_from_monday() >= 6 {
            weight = weight.max(2) / 2;
        }
        if rng.u32(..4) < weight {
            return slot;
        }
    }
}
