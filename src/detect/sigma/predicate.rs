//! A rule's condition in a form another engine can run (Athena's SQL): field tests joined by
//! all/any/not. Only what means the same everywhere is given: plain text tests (exact,
//! prefix, suffix, contains, any), `exists`, and absence. A rule with regular expressions,
//! numeric comparisons, networks, wildcards inside the text, keywords or field references has
//! no predicate: it runs here, where the engine is exact.

use super::condition::Expr;
use super::detection::{Detection, FieldTest, Selection};
use super::pattern::Pattern;

/// What a rule tests, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    All(Vec<Predicate>),
    Any(Vec<Predicate>),
    Not(Box<Predicate>),
    /// The field at a dotted path.
    Field {
        path: String,
        test: Test,
    },
}

/// One test of one field's scalar value (a number or boolean compared as its text).
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The field holds something other than null (`exists: true`), or does not.
    Exists(bool),
    /// Its text has this shape; `cased` unless compared case-insensitively, and then
    /// `text` is already lower-case.
    Text { shape: Shape, cased: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Any text at all (`*`).
    Any,
}

impl Detection {
    pub(super) fn predicate(&self) -> Option<Predicate> {
        expr(&self.condition, &self.selections)
    }
}

fn expr(e: &Expr, selections: &[Selection]) -> Option<Predicate> {
    Some(match e {
        Expr::Selection(i) => selection(selections.get(*i)?)?,
        Expr::Not(inner) => Predicate::Not(Box::new(expr(inner, selections)?)),
        Expr::And(items) => Predicate::All(
            items
                .iter()
                .map(|i| expr(i, selections))
                .collect::<Option<_>>()?,
        ),
        Expr::Or(items) => Predicate::Any(
            items
                .iter()
                .map(|i| expr(i, selections))
                .collect::<Option<_>>()?,
        ),
        // `1 of` is any, `all of` is all; other counts have no plain form.
        Expr::AtLeast(min, sels) => {
            let each: Vec<Predicate> = sels
                .iter()
                .map(|i| selection(selections.get(*i)?))
                .collect::<Option<_>>()?;
            match *min {
                1 => Predicate::Any(each),
                n if n == each.len() => Predicate::All(each),
                _ => return None,
            }
        }
    })
}

fn selection(s: &Selection) -> Option<Predicate> {
    let Selection::Fields(alternatives) = s else {
        return None;
    };
    let any = alternatives
        .iter()
        .map(|fields| {
            fields
                .iter()
                .map(|m| field(m.path.name(), &m.test))
                .collect::<Option<Vec<_>>>()
                .map(Predicate::All)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Predicate::Any(any))
}

fn field(path: &str, test: &FieldTest) -> Option<Predicate> {
    let at = |test| Predicate::Field {
        path: path.to_string(),
        test,
    };
    Some(match test {
        FieldTest::Exists(want) => at(Test::Exists(*want)),
        FieldTest::Values {
            patterns,
            all,
            or_null,
        } => {
            let tests: Vec<Predicate> = patterns
                .iter()
                .map(|p| text(p).map(&at))
                .collect::<Option<_>>()?;
            let mut p = if *all {
                Predicate::All(tests)
            } else {
                Predicate::Any(tests)
            };
            if *or_null {
                p = Predicate::Any(vec![at(Test::Exists(false)), p]);
            }
            p
        }
        FieldTest::FieldRef { .. } => return None,
    })
}

fn text(p: &Pattern) -> Option<Test> {
    let (shape, cased) = p.plain_shape()?;
    Some(Test::Text { shape, cased })
}
