//! On-demand Linux prices (USD per hour, us-east-1) for the instance types attackers favour,
//! so an alert can say what a launch costs before the bill does.

/// Hourly on-demand price of an instance type, when known.
pub fn hourly_usd(instance_type: &str) -> Option<f64> {
    PRICES
        .iter()
        .find(|(t, _)| *t == instance_type)
        .map(|&(_, p)| p)
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

const PRICES: &[(&str, f64)] = &[
    ("p3.2xlarge", 3.06),
    ("p3.8xlarge", 12.24),
    ("p3.16xlarge", 24.48),
    ("p3dn.24xlarge", 31.212),
    ("p4d.24xlarge", 32.7726),
    ("p4de.24xlarge", 40.966),
    ("p5.48xlarge", 98.32),
    ("g4dn.xlarge", 0.526),
    ("g4dn.2xlarge", 0.752),
    ("g4dn.4xlarge", 1.204),
    ("g4dn.8xlarge", 2.176),
    ("g4dn.12xlarge", 3.912),
    ("g4dn.16xlarge", 4.352),
    ("g4dn.metal", 7.824),
    ("g5.xlarge", 1.006),
    ("g5.2xlarge", 1.212),
    ("g5.4xlarge", 1.624),
    ("g5.8xlarge", 2.448),
    ("g5.12xlarge", 5.672),
    ("g5.16xlarge", 4.096),
    ("g5.24xlarge", 8.144),
    ("g5.48xlarge", 16.288),
    ("g6.xlarge", 0.8048),
    ("g6.12xlarge", 4.6016),
    ("g6.48xlarge", 13.3504),
    ("inf2.48xlarge", 12.9813),
    ("trn1.32xlarge", 21.50),
    ("c5.18xlarge", 3.06),
    ("c5.24xlarge", 4.08),
    ("c6i.32xlarge", 5.44),
    ("c7i.48xlarge", 8.568),
    ("m5.24xlarge", 4.608),
    ("r5.24xlarge", 6.048),
    ("x1e.32xlarge", 26.688),
    ("p2.xlarge", 0.90),
    ("p2.8xlarge", 7.20),
    ("p2.16xlarge", 14.40),
    ("t2.micro", 0.0116),
    ("t3.nano", 0.0052),
    ("t3.micro", 0.0104),
    ("t3.small", 0.0208),
    ("t3.medium", 0.0416),
    ("t3.large", 0.0832),
    ("t3.xlarge", 0.1664),
    ("t3.2xlarge", 0.3328),
    ("m5.large", 0.096),
    ("m5.xlarge", 0.192),
    ("m5.2xlarge", 0.384),
    ("m5.4xlarge", 0.768),
    ("m6i.large", 0.096),
    ("m6i.xlarge", 0.192),
    ("c5.large", 0.085),
    ("c5.xlarge", 0.17),
    ("c5.2xlarge", 0.34),
    ("c5.4xlarge", 0.68),
    ("c6i.large", 0.085),
    ("r5.large", 0.126),
    ("r5.xlarge", 0.252),
];

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
        ] {
            assert!(is_expensive(t), "{t}");
        }
        for t in ["t3.micro", "m5.large", "c5.4xlarge", "gp3", "garbage"] {
            assert!(!is_expensive(t), "{t}");
        }
    }

    #[test]
    fn known_prices() {
        assert_eq!(hourly_usd("p3.16xlarge"), Some(24.48));
        assert_eq!(hourly_usd("nope.large"), None);
    }
}
