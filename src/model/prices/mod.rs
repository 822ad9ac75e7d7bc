//! What EC2 instances cost, so an alert can say what a launch costs before the bill does.
//!
//! One price book: the rates embedded with warroom (us-east-1, dated in the file), or the
//! ones `warroom prices import` read from AWS's own Price List files, installed once at
//! start. A launch in a region without its own rate is priced at us-east-1's.

mod price_list;

pub use price_list::{Imported, read_price_list};

use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded table: its header says when and from where.
const EMBEDDED: &str = include_str!("ec2-on-demand.csv");

/// The region whose rates stand in where a region has none of its own.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Hourly on-demand rates by region and instance type, and what they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceBook {
    /// Where the rates come from and when they were current, for people.
    pub basis: String,
    /// By region, then instance type: looked up with the two `&str`s, no key made (the
    /// header's spend looks up every running launch on every frame).
    rates: HashMap<String, HashMap<String, f64>>,
}

static INSTALLED: OnceLock<PriceBook> = OnceLock::new();

/// The book every price is looked up in: the installed one, else the embedded one.
pub fn book() -> &'static PriceBook {
    static EMBEDDED_BOOK: OnceLock<PriceBook> = OnceLock::new();
    INSTALLED.get().unwrap_or_else(|| {
        EMBEDDED_BOOK.get_or_init(|| {
            PriceBook::parse(EMBEDDED, "the embedded table").expect("the embedded table reads")
        })
    })
}

/// Makes `book` the one prices come from, for the rest of the process. Only the first
/// call counts: prices do not change under a running console.
pub fn install(book: PriceBook) {
    let _ = INSTALLED.set(book);
}

/// Hourly on-demand price of an instance type in a region, when known (the region's own
/// rate, else us-east-1's).
pub fn hourly_usd(instance_type: &str, region: &str) -> Option<f64> {
    book().hourly_usd(instance_type, region)
}

impl PriceBook {
    pub fn hourly_usd(&self, instance_type: &str, region: &str) -> Option<f64> {
        let rate = |r: &str| self.rates.get(r)?.get(instance_type).copied();
        rate(region).or_else(|| rate(FALLBACK_REGION))
    }

    pub fn len(&self) -> usize {
        self.rates.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The regions with rates of their own.
    pub fn regions(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self.rates.keys().map(String::as_str).collect();
        r.sort_unstable();
        r
    }

    /// Every rate, by region then instance type.
    pub fn rows(&self) -> Vec<(&str, &str, f64)> {
        let mut rows: Vec<(&str, &str, f64)> = self
            .rates
            .iter()
            .flat_map(|(r, types)| types.iter().map(|(t, p)| (r.as_str(), t.as_str(), *p)))
            .collect();
        rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        rows
    }

    /// Reads the CSV form (`region,instance_type,usd_per_hour`, `#` comments, the first
    /// comments being the basis). `name` says where the text came from, for errors.
    pub fn parse(text: &str, name: &str) -> Result<PriceBook, String> {
        let basis = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join("\n");
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let mut rates: HashMap<String, HashMap<String, f64>> = HashMap::new();
        for row in reader.records() {
            let row = row.map_err(|e| format!("{name}: {e}"))?;
            let line = row.position().map_or(0, |p| p.line());
            let (Some(region), Some(kind), Some(price)) = (row.get(0), row.get(1), row.get(2))
            else {
                return Err(format!(
                    "{name}:{line}: expected region,instance_type,usd_per_hour"
                ));
            };
            let price: f64 = price
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| format!("{name}:{line}: {price:?} is not a price in USD"))?;
            rates
                .entry(region.trim().into())
                .or_default()
                .insert(kind.trim().into(), price);
        }
        Ok(PriceBook { basis, rates })
    }

    /// The CSV form [`parse`](Self::parse) reads.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for line in self.basis.split('\n') {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str("region,instance_type,usd_per_hour\n");
        for (region, kind, price) in self.rows() {
            out.push_str(&format!("{region},{kind},{price}\n"));
        }
        out
    }

    /// This book with `imported`'s rates in place of its own for the regions `imported`
    /// covers: importing one region's file after another's keeps both.
    pub fn merged(&self, imported: &Imported) -> PriceBook {
        let mut fresh: HashMap<String, HashMap<String, f64>> = HashMap::new();
        for ((region, kind), price) in &imported.rates {
            fresh
                .entry(region.clone())
                .or_default()
                .insert(kind.clone(), *price);
        }
        let mut rates = self.rates.clone();
        // A region imported is replaced whole; the others stay as they were.
        rates.extend(fresh);
        // What was imported first, then what the rest still comes from.
        let mut lines: Vec<&str> = imported.basis.lines().collect();
        for line in self.basis.lines() {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        PriceBook {
            basis: lines.join("\n"),
            rates,
        }
    }
}

/// Whether an instance type is a GPU / accelerator type or a very large one — what
/// cryptomining and model-training abuse launch.
pub fn is_expensive(instance_type: &str) -> bool {
    let (family, size) = instance_type.split_once('.').unwrap_or((instance_type, ""));
    let accelerated = ["p", "g", "inf", "trn", "dl", "vt", "f"]
        .iter()
        .any(|prefix| {
            family.starts_with(prefix)
                && family[prefix.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
        });
    let huge = size == "metal"
        || size
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 16);
    accelerated || huge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_and_huge_types_are_expensive_small_ones_are_not() {
        for t in [
            "p3.16xlarge",
            "g4dn.xlarge",
            "inf2.48xlarge",
            "c5.24xlarge",
            "m5.metal",
            "p6-b200.48xlarge",
        ] {
            assert!(is_expensive(t), "{t}");
        }
        for t in ["t3.micro", "m5.large", "c5.4xlarge", "gp3", "garbage"] {
            assert!(!is_expensive(t), "{t}");
        }
    }

    #[test]
    fn the_embedded_table_is_dated_and_priced_in_us_east_1() {
        let b = book();
        assert!(b.basis.contains("As of 2025-08"), "{}", b.basis);
        assert_eq!(b.regions(), [FALLBACK_REGION]);
        assert_eq!(b.hourly_usd("p3.16xlarge", "us-east-1"), Some(24.48));
        // The June 2025 cut, and the types launched since.
        assert_eq!(b.hourly_usd("p5.48xlarge", "us-east-1"), Some(55.04));
        assert!(b.hourly_usd("g6e.48xlarge", "us-east-1").is_some());
        assert!(b.hourly_usd("p6-b200.48xlarge", "us-east-1").is_some());
        // Another region: us-east-1's rate stands in.
        assert_eq!(b.hourly_usd("p3.16xlarge", "ap-south-1"), Some(24.48));
        assert_eq!(b.hourly_usd("nope.large", "us-east-1"), None);
        for (_, kind, price) in b.rows() {
            assert!(price > 0.0, "{kind}");
        }
    }

    #[test]
    fn a_bad_table_names_its_line() {
        let err = PriceBook::parse(
            "region,instance_type,usd_per_hour\nus-east-1,t3.micro,0.01\nus-east-1,p5.48xlarge,lots\n",
            "prices.csv",
        )
        .unwrap_err();
        assert_eq!(err, r#"prices.csv:3: "lots" is not a price in USD"#);
    }

    #[test]
    fn a_region_imported_replaces_that_region_only_and_round_trips() {
        let base = PriceBook::parse(EMBEDDED, "embedded").unwrap();
        let mut imported = Imported {
            basis: "imported".into(),
            ..Imported::default()
        };
        imported
            .rates
            .insert(("eu-west-1".into(), "p3.16xlarge".into()), 25.94);
        let merged = base.merged(&imported);
        assert_eq!(merged.hourly_usd("p3.16xlarge", "eu-west-1"), Some(25.94));
        assert_eq!(merged.hourly_usd("p3.16xlarge", "us-east-1"), Some(24.48));
        assert_eq!(merged.len(), base.len() + 1);
        let again = PriceBook::parse(&merged.to_csv(), "again").unwrap();
        assert_eq!(again, merged);
    }
}
