//! AWS's Price List files, read for the on-demand hourly rate of each Linux instance type:
//! a region's bulk offer file (`…/offers/v1.0/aws/AmazonEC2/current/<region>/index.json`,
//! gigabytes for the large regions, so it is streamed and only the rates kept) or the
//! output of `aws pricing get-products --service-code AmazonEC2` (a `PriceList` of JSON
//! strings, one product each).

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::collections::HashMap;
use std::fmt;

/// Rates read from price list files, and what they were.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub basis: String,
    /// USD per hour by (region, instance type).
    pub rates: HashMap<(String, String), f64>,
}

/// The attributes of a product that say whether it is what a plain launch runs: Linux,
/// shared tenancy, no software or reservation folded into the price.
#[derive(Debug, Deserialize)]
struct Attributes {
    #[serde(rename = "instanceType")]
    instance_type: Option<String>,
    #[serde(rename = "regionCode")]
    region_code: Option<String>,
    #[serde(rename = "operatingSystem")]
    operating_system: Option<String>,
    tenancy: Option<String>,
    #[serde(rename = "preInstalledSw")]
    pre_installed_sw: Option<String>,
    capacitystatus: Option<String>,
    #[serde(rename = "licenseModel")]
    license_model: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Product {
    sku: Option<String>,
    #[serde(default)]
    attributes: Option<Attributes>,
}

impl Product {
    /// (region, instance type) when this is a plain Linux instance-hour.
    fn plain_instance(self) -> Option<(String, (String, String))> {
        let a = self.attributes?;
        let is = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
        let plain = is(&a.operating_system, "Linux")
            && is(&a.tenancy, "Shared")
            && is(&a.pre_installed_sw, "NA")
            && a.capacitystatus.as_deref().is_none_or(|c| c == "Used")
            && a.license_model.as_deref() != Some("Bring your own license");
        if !plain {
            return None;
        }
        Some((self.sku?, (a.region_code?, a.instance_type?)))
    }
}

/// One on-demand term: its price dimensions.
#[derive(Debug, Deserialize)]
struct Term {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: HashMap<String, Dimension>,
}

#[derive(Debug, Deserialize)]
struct Dimension {
    unit: Option<String>,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: HashMap<String, String>,
}

/// The hourly USD price among a SKU's on-demand terms.
fn hourly(terms: impl IntoIterator<Item = Term>) -> Option<f64> {
    terms
        .into_iter()
        .flat_map(|t| t.price_dimensions.into_values())
        .filter(|d| d.unit.as_deref() == Some("Hrs"))
        .find_map(|d| d.price_per_unit.get("USD")?.parse::<f64>().ok())
        .filter(|p| p.is_finite() && *p > 0.0)
}

/// `products` of a bulk file: only the plain instance SKUs are kept.
struct Products<'a>(&'a mut HashMap<String, (String, String)>);

impl<'de> DeserializeSeed<'de> for Products<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Products<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of products by SKU")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some((_, product)) = map.next_entry::<IgnoredAny, Product>()? {
            if let Some((sku, place)) = product.plain_instance() {
                self.0.insert(sku, place);
            }
        }
        Ok(())
    }
}

/// `terms` of a bulk file: the on-demand hourly price of each SKU in `wanted`.
struct Terms<'a> {
    wanted: &'a HashMap<String, (String, String)>,
    prices: &'a mut HashMap<String, f64>,
}

impl<'de> DeserializeSeed<'de> for Terms<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Terms<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the price list's terms")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(kind) = map.next_key::<String>()? {
            if kind != "OnDemand" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            map.next_value_seed(OnDemand {
                wanted: self.wanted,
                prices: &mut *self.prices,
            })?;
        }
        Ok(())
    }
}

struct OnDemand<'a> {
    wanted: &'a HashMap<String, (String, String)>,
    prices: &'a mut HashMap<String, f64>,
}

impl<'de> DeserializeSeed<'de> for OnDemand<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnDemand<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("on-demand terms by SKU")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            if !self.wanted.contains_key(&sku) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let terms: HashMap<String, Term> = map.next_value()?;
            if let Some(p) = hourly(terms.into_values()) {
                self.prices.insert(sku, p);
            }
        }
        Ok(())
    }
}

/// One entry of `get-products`' `PriceList`.
#[derive(Debug, Deserialize)]
struct Listed {
    product: Product,
    #[serde(default)]
    terms: HashMap<String, HashMap<String, Term>>,
    #[serde(rename = "publicationDate")]
    publication_date: Option<String>,
}

/// The whole file, either form: read field by field, so a bulk file's products and terms
/// are never held whole.
struct File<'a> {
    skus: &'a mut HashMap<String, (String, String)>,
    prices: &'a mut HashMap<String, f64>,
    published: &'a mut Option<String>,
}

impl<'de> Visitor<'de> for File<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AWS Price List file (an offer file or get-products output)")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "publicationDate" => *self.published = map.next_value()?,
                "products" => map.next_value_seed(Products(&mut *self.skus))?,
                // Terms follow products in AWS's files; terms seen first would find no
                // SKU wanted, so that order is required.
                "terms" => map.next_value_seed(Terms {
                    wanted: self.skus,
                    prices: &mut *self.prices,
                })?,
                "PriceList" => {
                    for text in map.next_value::<Vec<String>>()? {
                        let listed: Listed =
                            serde_json::from_str(&text).map_err(de::Error::custom)?;
                        if self.published.is_none() {
                            *self.published = listed.publication_date;
                        }
                        let Some((sku, place)) = listed.product.plain_instance() else {
                            continue;
                        };
                        let on_demand = listed.terms.into_iter().find(|(k, _)| k == "OnDemand");
                        if let Some(p) = on_demand.and_then(|(_, t)| hourly(t.into_values())) {
                            self.prices.insert(sku.clone(), p);
                            self.skus.insert(sku, place);
                        }
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for File<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// Reads one price list file's Linux on-demand rates. `name` says where it came from, in
/// the basis and in errors.
pub fn read_price_list(reader: impl std::io::Read, name: &str) -> Result<Imported, String> {
    let mut skus = HashMap::new();
    let mut prices = HashMap::new();
    let mut published = None;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    File {
        skus: &mut skus,
        prices: &mut prices,
        published: &mut published,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| format!("{name}: not an AWS Price List file: {e}"))?;
    let mut rates = HashMap::new();
    for (sku, price) in prices {
        if let Some(place) = skus.remove(&sku) {
            rates.insert(place, price);
        }
    }
    if rates.is_empty() {
        return Err(format!(
            "{name}: no on-demand Linux instance rates in it (is it the AmazonEC2 price list?)"
        ));
    }
    let mut regions: Vec<&str> = rates.keys().map(|(r, _)| r.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let basis = format!(
        "{}: {} rates, published {}, imported from {name}",
        regions.join(", "),
        rates.len(),
        published.as_deref().unwrap_or("(no date in the file)"),
    );
    Ok(Imported { basis, rates })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product(sku: &str, kind: &str, region: &str, os: &str, sw: &str) -> serde_json::Value {
        json!({"sku": sku, "productFamily": "Compute Instance", "attributes": {
            "servicecode": "AmazonEC2", "location": "EU (Ireland)", "locationType": "AWS Region",
            "instanceType": kind, "regionCode": region, "operatingSystem": os,
            "tenancy": "Shared", "preInstalledSw": sw, "capacitystatus": "Used",
            "licenseModel": "No License required", "usagetype": format!("EU-BoxUsage:{kind}"),
            "operation": "RunInstances"}})
    }

    fn terms(sku: &str, usd: &str) -> serde_json::Value {
        json!({format!("{sku}.JRTCKXETXF"): {"offerTermCode": "JRTCKXETXF", "sku": sku,
            "effectiveDate": "2025-08-01T00:00:00Z", "termAttributes": {},
            "priceDimensions": {format!("{sku}.JRTCKXETXF.6YS6EN2CT7"): {
                "rateCode": format!("{sku}.JRTCKXETXF.6YS6EN2CT7"), "unit": "Hrs",
                "description": "per On Demand Linux Instance Hour", "beginRange": "0",
                "endRange": "Inf", "appliesTo": [], "pricePerUnit": {"USD": usd}}}}})
    }

    /// A bulk offer file in AWS's shape: the plain Linux SKU is kept, Windows and SQL
    /// Server ones and reserved terms are not.
    #[test]
    fn a_bulk_offer_file_gives_the_plain_linux_rates() {
        let file = json!({
            "formatVersion": "v1.0", "disclaimer": "…", "offerCode": "AmazonEC2",
            "version": "20250801000000", "publicationDate": "2025-08-01T00:00:00Z",
            "products": {
                "A": product("A", "p5.48xlarge", "eu-west-1", "Linux", "NA"),
                "B": product("B", "p5.48xlarge", "eu-west-1", "Windows", "NA"),
                "C": product("C", "p5.48xlarge", "eu-west-1", "Linux", "SQL Std"),
                "D": {"sku": "D", "productFamily": "Storage", "attributes": {"volumeType": "gp3"}}
            },
            "terms": {
                "OnDemand": {"A": terms("A", "60.5500000000"), "B": terms("B", "70.0"),
                    "C": terms("C", "80.0")},
                "Reserved": {"A": terms("A", "1.0")}
            }
        });
        let got = read_price_list(file.to_string().as_bytes(), "eu-west-1.json").unwrap();
        assert_eq!(got.rates.len(), 1, "{got:?}");
        assert_eq!(
            got.rates[&("eu-west-1".into(), "p5.48xlarge".into())],
            60.55
        );
        assert!(got.basis.contains("published 2025-08-01"), "{}", got.basis);
        assert!(got.basis.contains("eu-west-1.json"), "{}", got.basis);
    }

    #[test]
    fn get_products_output_gives_the_same() {
        let listed = |sku: &str, os: &str, usd: &str| {
            json!({"product": product(sku, "g6e.xlarge", "us-west-2", os, "NA"),
                "serviceCode": "AmazonEC2", "publicationDate": "2025-09-02T18:00:00Z",
                "terms": {"OnDemand": terms(sku, usd)}})
            .to_string()
        };
        let output = json!({"FormatVersion": "aws_v1", "PriceList": [
            listed("A", "Linux", "1.8610000000"), listed("B", "RHEL", "2.0")]});
        let got = read_price_list(output.to_string().as_bytes(), "get-products").unwrap();
        assert_eq!(
            got.rates,
            HashMap::from([(("us-west-2".into(), "g6e.xlarge".into()), 1.861)])
        );
        assert!(got.basis.contains("2025-09-02"), "{}", got.basis);
    }

    #[test]
    fn what_is_not_a_price_list_says_so() {
        let err = read_price_list(&b"{\"Records\":[]}"[..], "trail.json").unwrap_err();
        assert!(err.contains("trail.json: no on-demand Linux"), "{err}");
        let err = read_price_list(&b"{\"products\": ["[..], "cut.json").unwrap_err();
        assert!(
            err.starts_with("cut.json: not an AWS Price List file"),
            "{err}"
        );
    }
}
