//! Arbitrary bytes through the archive reader, as a file from a bucket would go: gunzip if
//! gzip, split into records, parse each record into an event. Bad input must come back as
//! a reason, never as a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::archive::parse::{decompress, for_each_record};
use warroom::model::CloudTrailEvent;

fuzz_target!(|data: &[u8]| {
    let (text, _why) = decompress(data);
    let _ = for_each_record(&text, |record| {
        if let Ok(event) = CloudTrailEvent::from_json(record) {
            // The panes call these on every event they draw.
            let _ = event.identity.display();
            let _ = event.identity.principal_name();
        }
    });
});
