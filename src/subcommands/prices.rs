//! `warroom prices`: the EC2 rates spend estimates use, and importing current ones.

use crate::cli::{PricesArgs, PricesCommand};
use crate::model::prices::{self, PriceBook};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Makes the imported rates, when there are any, the ones every estimate uses. A file that
/// cannot be read is said once on standard error and the embedded rates stand.
pub(super) fn install_imported() {
    let path = crate::paths::prices_file();
    match read_imported(&path) {
        Ok(Some(book)) => prices::install(book),
        Ok(None) => {}
        Err(e) => eprintln!(
            "warning: {e:#}; spend estimates use the embedded rates (warroom prices import again to replace it)"
        ),
    }
}

fn read_imported(path: &Path) -> anyhow::Result<Option<PriceBook>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    };
    PriceBook::parse(&text, &path.display().to_string())
        .map(Some)
        .map_err(anyhow::Error::msg)
}

pub(super) fn prices(args: &PricesArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(PricesCommand::Import { files }) => import(files),
        None => super::print_all(list(prices::book(), args.instance_type.as_deref()).as_bytes()),
    }
}

/// The book as a table, after where its rates come from.
fn list(book: &PriceBook, only: Option<&str>) -> String {
    let mut out =
        String::from("EC2 on-demand rates, USD per instance-hour (Linux, shared tenancy)\n");
    for line in book.basis.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!(
        "\n{:<16} {:<22} {:>12}\n",
        "REGION", "INSTANCE TYPE", "USD/HOUR"
    ));
    let rows: Vec<_> = book
        .rows()
        .into_iter()
        .filter(|(_, kind, _)| only.is_none_or(|o| o == *kind))
        .collect();
    for (region, kind, price) in &rows {
        out.push_str(&format!("{region:<16} {kind:<22} {price:>12.4}\n"));
    }
    if rows.is_empty() {
        out.push_str("(no rate for that type: its launches are counted, not priced)\n");
    }
    out.push_str(&format!(
        "\nA region without rates of its own is priced at {}'s.\n",
        prices::FALLBACK_REGION
    ));
    out
}

/// Reads every file (all must read: nothing is half-imported), merges their rates over
/// the ones in use, and writes the result where the next run finds it.
fn import(files: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let mut book = prices::book().clone();
    for file in files {
        let name = file.display().to_string();
        let reader = std::fs::File::open(file).with_context(|| format!("opening {name}"))?;
        let imported = prices::read_price_list(reader, &name).map_err(anyhow::Error::msg)?;
        println!("{}", imported.basis);
        book = book.merged(&imported);
    }
    let path = crate::paths::prices_file();
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Written beside and renamed over: a full disk leaves the old rates, not half a table.
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    std::io::Write::write_all(&mut file, book.to_csv().as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    file.persist(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "{} rates for {} regions in {}",
        book.len(),
        book.regions().len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
