//! Writing the files.

use super::*;

#[derive(Default)]
pub(crate) struct Written {
    pub(crate) files: AtomicUsize,
    pub(crate) events: AtomicUsize,
    pub(crate) pivot: AtomicUsize,
    pub(crate) json_bytes: AtomicU64,
    pub(crate) gz_bytes: AtomicU64,
}

/// Files are handed out by index; each is made from its own seeded generator, so the bytes
/// do not depend on which thread writes which file.
pub(crate) fn write_all(args: &Args, world: &World, plan: &Plan) -> Result<Written> {
    let written = Written::default();
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..args.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= plan.files.len() || failure.lock().expect("lock").is_some() {
                        return;
                    }
                    if let Err(e) = write_file(args, world, plan, index, &written) {
                        *failure.lock().expect("lock") = Some(e);
                    }
                }
            });
        }
    });
    match failure.into_inner().expect("lock") {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

pub(crate) fn write_file(
    args: &Args,
    world: &World,
    plan: &Plan,
    index: usize,
    written: &Written,
) -> Result<()> {
    let count = plan.files[index];
    // CloudTrail writes no file for five quiet minutes.
    if count.events == 0 {
        return Ok(());
    }
    let region = world.regions[index / plan.slots];
    let slot = index % plan.slots;
    let mut rng = fastrand::Rng::with_seed(mix(args.seed, index as u64));
    let from = world.start + Duration::minutes(slot as i64 * SLOT_MINUTES);
    let mut records: Vec<String> = (0..count.events)
        .map(|i| {
            let at = from + Duration::milliseconds(rng.i64(0..SLOT_MINUTES * 60_000));
            let mut ctx = Ctx {
                rng: &mut rng,
                world,
                region,
                at,
            };
            let actor = if i < count.pivot {
                world.pivot.as_ref().expect("a pivot key")
            } else {
                ctx.pick_actor()
            };
            event(&mut ctx, actor)
        })
        .collect();
    // Records in a delivered file are in no particular order.
    rng.shuffle(&mut records);
    let body = wrap(&records);
    let delivered = from + Duration::minutes(SLOT_MINUTES);
    let path = file_path(&args.out, &world.account, region, delivered, &mut rng);
    let gz = gzip(body.as_bytes())?;
    std::fs::create_dir_all(path.parent().expect("a directory"))?;
    std::fs::write(&path, &gz).with_context(|| format!("writing {}", path.display()))?;
    written.files.fetch_add(1, Ordering::Relaxed);
    written
        .events
        .fetch_add(count.events as usize, Ordering::Relaxed);
    written
        .pivot
        .fetch_add(count.pivot as usize, Ordering::Relaxed);
    written
        .json_bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    written
        .gz_bytes
        .fetch_add(gz.len() as u64, Ordering::Relaxed);
    Ok(())
}

pub(crate) fn wrap(records: &[String]) -> String {
    let len = records.iter().map(|r| r.len() + 1).sum::<usize>() + 16;
    let mut body = String::with_capacity(len);
    body.push_str("{\"Records\":[");
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r);
    }
    body.push_str("]}");
    body
}

pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    // GzEncoder's header has no file name and a zero time: the bytes depend on input only.
    let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 6), Compression::default());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}

/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDD>T<HHMM>Z_<random>.json.gz`
pub(crate) fn file_path(
    out: &Path,
    account: &str,
    region: &str,
    delivered: DateTime<Utc>,
    rng: &mut fastrand::Rng,
) -> PathBuf {
    let day = delivered.format("%Y/%m/%d").to_string();
    let stamp = delivered.format("%Y%m%dT%H%MZ");
    let suffix = alnum(rng, 16);
    out.join("AWSLogs")
        .join(account)
        .join("CloudTrail")
        .join(region)
        .join(day)
        .join(format!(
            "{account}_CloudTrail_{region}_{stamp}_{suffix}.json.gz"
        ))
}

pub(crate) fn print_summary(args: &Args, plan: &Plan, w: &Written, secs: f64) {
    let files = w.files.load(Ordering::Relaxed);
    let events = w.events.load(Ordering::Relaxed);
    let json = w.json_bytes.load(Ordering::Relaxed);
    let gz = w.gz_bytes.load(Ordering::Relaxed);
    println!("archive:      {}", args.out.display());
    println!(
        "files:        {files} ({} regions x {} five-minute slots, quiet ones skipped)",
        plan.files.len() / plan.slots,
        plan.slots
    );
    println!("events:       {events}");
    println!(
        "bytes:        {gz} gzipped, {json} as JSON ({:.0} bytes an event)",
        json as f64 / events.max(1) as f64
    );
    match &args.pivot_key {
        Some(key) => println!(
            "pivot key:    {key} ({} events)",
            w.pivot.load(Ordering::Relaxed)
        ),
        None => println!("pivot key:    none"),
    }
    println!("seed:         {}", args.seed);
    println!(
        "took:         {secs:.1} s on {} threads",
        args.threads.max(1)
    );
}
