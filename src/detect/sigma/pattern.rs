//! One rule value, compiled with its modifiers, tested against one event value.
//!
//! Text is compared the Sigma way: case-insensitively unless `cased`, with numbers and booleans
//! on either side compared as their text. Needles are lower-cased once at load, so a comparison
//! folds only the event's side, byte by byte, without allocating.

use std::io::Write as _;
use std::net::IpAddr;

use memchr::{memchr, memchr2, memmem};
use regex::Regex;
use serde_json::Value;

/// Where a plain value must sit within the event's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// Numeric comparison modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compare {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone)]
pub(super) struct Pattern {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Text tests; `needle` is lower-cased unless `cased`.
    Text(TextTest),
    Regex(Regex),
    Compare(Compare, f64),
    Cidr(Cidr),
}

#[derive(Debug, Clone)]
struct TextTest {
    shape: Shape,
    cased: bool,
    /// The needle has non-ASCII letters, so a non-ASCII event value must be folded with full
    /// Unicode rules before comparing; ASCII folding is enough for everything else.
    unicode_fold: bool,
}

/// The simplest form a wildcard pattern reduces to; most rules never need the general glob.
#[derive(Debug, Clone)]
enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// A lone `*`: any text at all.
    AnyText,
    Glob(Vec<GlobByte>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlobByte {
    Byte(u8),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Star,
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Pattern {
    /// A plain value (Sigma wildcards and escapes apply) placed by `anchor`.
    pub(super) fn text(value: &str, anchor: Anchor, cased: bool) -> Pattern {
        let mut tokens = wildcard_tokens(value);
        if matches!(anchor, Anchor::Contains | Anchor::EndsWith) {
            tokens.insert(0, Token::Star);
        }
        if matches!(anchor, Anchor::Contains | Anchor::StartsWith) {
            tokens.push(Token::Star);
        }
        // Adjacent stars mean the same as one, and collapsing them keeps the shape detection simple.
        tokens.dedup_by(|a, b| *a == Token::Star && *b == Token::Star);
        let fold = |s: String| if cased { s } else { s.to_lowercase() };
        let shape = match tokens.as_slice() {
            [] => Shape::Exact(String::new()),
            [Token::Star] => Shape::AnyText,
            [Token::Lit(s)] => Shape::Exact(fold(s.clone())),
            [Token::Lit(s), Token::Star] => Shape::Prefix(fold(s.clone())),
            [Token::Star, Token::Lit(s)] => Shape::Suffix(fold(s.clone())),
            [Token::Star, Token::Lit(s), Token::Star] => Shape::Contains(fold(s.clone())),
            _ => Shape::Glob(glob_bytes(&tokens, cased)),
        };
        let unicode_fold = !cased && !value.is_ascii();
        Pattern {
            kind: Kind::Text(TextTest {
                shape,
                cased,
                unicode_fold,
            }),
        }
    }

    pub(super) fn regex(regex: Regex) -> Pattern {
        Pattern {
            kind: Kind::Regex(regex),
        }
    }

    pub(super) fn compare(op: Compare, bound: f64) -> Pattern {
        Pattern {
            kind: Kind::Compare(op, bound),
        }
    }

    /// A `cidr` network such as `10.0.0.0/8` or `2001:db8::/32`.
    pub(super) fn cidr(text: &str) -> Result<Pattern, String> {
        let bad = || format!("`{text}` is not a CIDR network such as 10.0.0.0/8");
        let (addr, prefix) = text.trim().split_once('/').ok_or_else(bad)?;
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(bad());
        }
        Ok(Pattern {
            kind: Kind::Cidr(Cidr { net, prefix }),
        })
    }

    /// The shape of a plain text test and whether it is cased (its text is lower-case when
    /// not): for engines that can run no more than that. None for a glob with wildcards
    /// inside, a regular expression, a comparison, a network, or non-ASCII text folded
    /// case-insensitively (other engines fold differently).
    pub(super) fn plain_shape(&self) -> Option<(super::predicate::Shape, bool)> {
        use super::predicate::Shape as S;
        let Kind::Text(t) = &self.kind else {
            return None;
        };
        if t.unicode_fold {
            return None;
        }
        let shape = match &t.shape {
            Shape::Exact(s) => S::Exact(s.clone()),
            Shape::Prefix(s) => S::Prefix(s.clone()),
            Shape::Suffix(s) => S::Suffix(s.clone()),
            Shape::Contains(s) => S::Contains(s.clone()),
            Shape::AnyText => S::Any,
            Shape::Glob(_) => return None,
        };
        Some((shape, t.cased))
    }

    /// The exact text this pattern requires, lower-cased, when it is a plain equality; used to
    /// index rules by `eventName`.
    pub(super) fn exact_lowercase(&self) -> Option<String> {
        match &self.kind {
            Kind::Text(TextTest {
                shape: Shape::Exact(s),
                ..
            }) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    }

    /// Whether one event value (a leaf: arrays are expanded by the caller) matches.
    pub(super) fn matches(&self, value: &Value) -> bool {
        match &self.kind {
            Kind::Text(test) => with_text(value, |text| test.matches(text)),
            Kind::Regex(re) => with_text(value, |text| re.is_match(text)),
            Kind::Compare(op, bound) => number_of(value).is_some_and(|n| match op {
                Compare::Gt => n > *bound,
                Compare::Gte => n >= *bound,
                Compare::Lt => n < *bound,
                Compare::Lte => n <= *bound,
            }),
            Kind::Cidr(cidr) => match value {
                Value::String(s) => s.parse::<IpAddr>().is_ok_and(|ip| cidr.contains(ip)),
                _ => false,
            },
        }
    }

    /// Whether a string matches; keyword search uses this on every string of an event.
    pub(super) fn matches_str(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Text(test) => test.matches(text),
            Kind::Regex(re) => re.is_match(text),
            Kind::Compare(..) | Kind::Cidr(_) => self.matches(&Value::String(text.to_owned())),
        }
    }
}

impl TextTest {
    fn matches(&self, text: &str) -> bool {
        if self.unicode_fold && !text.is_ascii() {
            return self.matches_folded(&text.to_lowercase(), true);
        }
        self.matches_folded(text, self.cased)
    }

    /// `exact_bytes`: compare bytes as they are (cased rules, or text already folded).
    fn matches_folded(&self, text: &str, exact_bytes: bool) -> bool {
        let hay = text.as_bytes();
        let eq = |a: &[u8], b: &[u8]| {
            if exact_bytes {
                a == b
            } else {
                a.eq_ignore_ascii_case(b)
            }
        };
        match &self.shape {
            Shape::Exact(n) => hay.len() == n.len() && eq(hay, n.as_bytes()),
            Shape::Prefix(n) => hay.len() >= n.len() && eq(&hay[..n.len()], n.as_bytes()),
            Shape::Suffix(n) => {
                hay.len() >= n.len() && eq(&hay[hay.len() - n.len()..], n.as_bytes())
            }
            Shape::Contains(n) => {
                if exact_bytes {
                    memmem::find(hay, n.as_bytes()).is_some()
                } else {
                    contains_ignore_ascii_case(hay, n.as_bytes())
                }
            }
            Shape::AnyText => true,
            Shape::Glob(pattern) => glob_match(pattern, hay, exact_bytes),
        }
    }
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_eq(net: u128, ip: u128, prefix: u8, bits: u32) -> bool {
    let host_bits = bits - u32::from(prefix);
    if host_bits >= bits {
        return true;
    }
    (net >> host_bits) == (ip >> host_bits)
}

/// Calls `f` with the text of a string, number or boolean; other values never match text.
/// Numbers are written into a stack buffer so comparing them does not allocate.
fn with_text(value: &Value, f: impl FnOnce(&str) -> bool) -> bool {
    match value {
        Value::String(s) => f(s),
        Value::Bool(b) => f(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let mut buf = [0u8; 48];
            let mut cursor = &mut buf[..];
            if write!(cursor, "{n}").is_ok() {
                let len = 48 - cursor.len();
                std::str::from_utf8(&buf[..len]).is_ok_and(f)
            } else {
                f(&n.to_string())
            }
        }
        Value::Null | Value::Array(_) | Value::Object(_) => false,
    }
}

/// A number, or a string holding one: CloudTrail writes some numbers as strings.
fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if needle.len() > hay.len() {
        return false;
    }
    let last_start = hay.len() - needle.len();
    let mut pos = 0;
    while pos <= last_start {
        let window = &hay[pos..=last_start];
        let found = if first.is_ascii_lowercase() {
            memchr2(first, first.to_ascii_uppercase(), window)
        } else {
            memchr(first, window)
        };
        let Some(offset) = found else {
            return false;
        };
        let start = pos + offset;
        if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
            return true;
        }
        pos = start + 1;
    }
    false
}

/// Wildcard matching with single-star backtracking: linear for patterns with one `*`, and
/// never worse than quadratic.
fn glob_match(pattern: &[GlobByte], hay: &[u8], exact_bytes: bool) -> bool {
    let (mut p, mut h) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while h < hay.len() {
        if let Some(&tok) = pattern.get(p) {
            match tok {
                GlobByte::Star => {
                    star = Some((p, h));
                    p += 1;
                    continue;
                }
                GlobByte::One => {
                    h += char_len(hay[h]);
                    p += 1;
                    continue;
                }
                GlobByte::Byte(b) => {
                    let same = if exact_bytes {
                        b == hay[h]
                    } else {
                        b.eq_ignore_ascii_case(&hay[h])
                    };
                    if same {
                        p += 1;
                        h += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((star_p, star_h)) => {
                let next = star_h + char_len(hay[star_h]);
                star = Some((star_p, next));
                p = star_p + 1;
                h = next;
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|&t| t == GlobByte::Star)
}

/// Length of the UTF-8 character starting with `lead` (1 for a stray continuation byte).
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Lit(String),
    Star,
    One,
}

/// Splits a Sigma value into literal runs and wildcards. A backslash escapes only `*`, `?`
/// and itself; before anything else it is a plain backslash, so Windows-style paths need no
/// doubling (Sigma's rule).
fn wildcard_tokens(value: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    lit.push(next);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    tokens.push(Token::Lit(std::mem::take(&mut lit)));
                }
                tokens.push(if c == '*' { Token::Star } else { Token::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        tokens.push(Token::Lit(lit));
    }
    tokens
}

fn glob_bytes(tokens: &[Token], cased: bool) -> Vec<GlobByte> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            Token::Star => out.push(GlobByte::Star),
            Token::One => out.push(GlobByte::One),
            Token::Lit(s) => {
                let s = if cased { s.clone() } else { s.to_lowercase() };
                out.extend(s.bytes().map(GlobByte::Byte));
            }
        }
    }
    out
}
