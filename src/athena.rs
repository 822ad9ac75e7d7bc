//! `warroom query`'s filters as SQL for Athena, over the CloudTrail table AWS documents
//! (lower-case columns, `useridentity` a struct, `requestparameters`, `responseelements` and
//! `additionaleventdata` JSON text), partitioned by `account`, `region` and `timestamp`
//! (`yyyy/MM/dd`, with partition projection): the partitions always in the WHERE clause, so
//! a time range reads only its days.

pub mod ddl;

use crate::detect::sigma::predicate::{Predicate, Shape, Test};
use crate::query::Filter;
use chrono::{DateTime, Utc};

/// The table's top-level text columns, by the name CloudTrail gives the field.
const COLUMNS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "readOnly",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
];

/// The members of the `useridentity` struct, as paths under it.
const IDENTITY: &[&str] = &[
    "type",
    "principalId",
    "arn",
    "accountId",
    "invokedBy",
    "accessKeyId",
    "userName",
    "sessionContext.attributes.mfaAuthenticated",
    "sessionContext.attributes.creationDate",
    "sessionContext.sessionIssuer.type",
    "sessionContext.sessionIssuer.principalId",
    "sessionContext.sessionIssuer.arn",
    "sessionContext.sessionIssuer.accountId",
    "sessionContext.sessionIssuer.userName",
];

/// The columns holding JSON text.
const JSON_COLUMNS: &[&str] = &[
    "requestParameters",
    "responseElements",
    "additionalEventData",
];

/// A string literal, quotes doubled.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A LIKE pattern for `text`'s characters in order, `%` and `_` escaped with `\`.
fn subsequence(chars: impl Iterator<Item = char>) -> String {
    let mut p = String::from("%");
    for c in chars {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
        p.push('%');
    }
    p
}

/// The SQL expression for a dotted CloudTrail path, and whether it is a JSON column (the
/// expression is then the column, the path below it given separately).
enum Column {
    Text(String),
    Json { column: String, path: String },
}

fn column_of(path: &[String]) -> Option<Column> {
    let dotted = path.join(".");
    if let [one] = path
        && let Some(c) = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(one))
    {
        return Some(Column::Text(c.to_ascii_lowercase()));
    }
    if let Some(rest) = dotted.strip_prefix("userIdentity.")
        && let Some(m) = IDENTITY.iter().find(|m| m.eq_ignore_ascii_case(rest))
    {
        return Some(Column::Text(format!(
            "useridentity.{}",
            m.to_ascii_lowercase()
        )));
    }
    let (head, rest) = path.split_first()?;
    let json = JSON_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(head))?;
    // JSONPath through the keys; a key JSONPath cannot spell plainly is left to the reader.
    if rest.is_empty()
        || rest
            .iter()
            .any(|k| !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return None;
    }
    Some(Column::Json {
        column: json.to_ascii_lowercase(),
        path: format!("$.{}", rest.join(".")),
    })
}

/// A CloudTrail `eventTime` as the table stores it.
fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// What the filters became: the SQL, and the filters left to be checked on what it returns
/// (paths the table cannot reach plainly: through arrays, `principal`, odd keys).
pub struct Compiled {
    pub sql: String,
    pub unchecked: Vec<String>,
}

/// The WHERE terms that decide what is read: the days (`timestamp`), and the account and
/// region when `filters` name one.
fn partitions(
    filters: &[Filter],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<String> {
    let mut wheres = Vec::new();
    let day = |t: DateTime<Utc>| literal(&t.format("%Y/%m/%d").to_string());
    match (since, until) {
        (Some(s), Some(u)) => {
            wheres.push(format!("\"timestamp\" BETWEEN {} AND {}", day(s), day(u)))
        }
        (Some(s), None) => wheres.push(format!("\"timestamp\" >= {}", day(s))),
        (None, Some(u)) => wheres.push(format!("\"timestamp\" <= {}", day(u))),
        (None, None) => {}
    }
    for f in filters {
        if let Filter::Equals { path, value } = f {
            let dotted = path.join(".");
            if dotted.eq_ignore_ascii_case("recipientAccountId") {
                wheres.push(format!("account = {}", literal(value)));
            } else if dotted.eq_ignore_ascii_case("awsRegion") {
                wheres.push(format!("region = {}", literal(value)));
            }
        }
    }
    wheres
}

/// The SQL of a column's value at a dotted path, when the table reaches it plainly.
fn value_of(path: &[String]) -> Option<String> {
    Some(match column_of(path)? {
        Column::Text(c) => c,
        Column::Json { column, path } => {
            format!("json_extract_scalar({column}, {})", literal(&path))
        }
    })
}

/// A Sigma rule's condition ([`Predicate`]) as a SQL boolean that is never NULL (so `NOT`
/// means what Sigma means by it); None when a field is one the table cannot reach plainly,
/// or an `exists` on JSON text (present-but-an-object cannot be told there).
pub fn condition(p: &Predicate) -> Option<String> {
    Some(match p {
        Predicate::All(items) if items.is_empty() => "TRUE".into(),
        Predicate::Any(items) if items.is_empty() => "FALSE".into(),
        Predicate::All(items) | Predicate::Any(items) => {
            let joiner = if matches!(p, Predicate::All(_)) {
                " AND "
            } else {
                " OR "
            };
            let parts: Vec<String> = items.iter().map(condition).collect::<Option<_>>()?;
            format!("({})", parts.join(joiner))
        }
        Predicate::Not(inner) => format!("NOT {}", condition(inner)?),
        Predicate::Field { path, test } => {
            let segments: Vec<String> = path.split('.').map(str::to_string).collect();
            let plain = matches!(column_of(&segments)?, Column::Text(_));
            let expr = value_of(&segments)?;
            let sql = match test {
                Test::Exists(want) if plain => {
                    format!("{expr} IS {}NULL", if *want { "NOT " } else { "" })
                }
                Test::Exists(_) => return None,
                Test::Text { shape, cased } => {
                    let expr = if *cased {
                        expr
                    } else {
                        format!("lower({expr})")
                    };
                    let like = |p: String| format!("{expr} LIKE {} ESCAPE '\\'", literal(&p));
                    match shape {
                        Shape::Exact(t) => format!("{expr} = {}", literal(t)),
                        Shape::Prefix(t) => like(format!("{}%", escape_like(t))),
                        Shape::Suffix(t) => like(format!("%{}", escape_like(t))),
                        Shape::Contains(t) => like(format!("%{}%", escape_like(t))),
                        Shape::Any => format!("{expr} IS NOT NULL"),
                    }
                }
            };
            format!("coalesce({sql}, false)")
        }
    })
}

/// `%`, `_` and `\` taken literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The queries that find the events of `conditions` (SQL booleans from [`condition`]) between
/// `since` and `until`, `per_query` conditions each: every matching event's ID, time and file.
pub fn detection_queries(
    table: &str,
    conditions: &[String],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    per_query: usize,
) -> Vec<String> {
    conditions
        .chunks(per_query.max(1))
        .map(|batch| {
            let mut wheres = partitions(&[], since, until);
            if let Some(s) = since {
                wheres.push(format!("eventtime >= {}", literal(&iso(s))));
            }
            if let Some(u) = until {
                wheres.push(format!("eventtime <= {}", literal(&iso(u))));
            }
            wheres.push(format!("(\n    {}\n  )", batch.join("\n    OR ")));
            format!(
                "SELECT eventid, eventtime, \"$path\"\nFROM {table}\nWHERE {}\nORDER BY eventtime, eventid",
                wheres.join("\n  AND ")
            )
        })
        .collect()
}

/// The query for `filters` between `since` and `until` over `table`: every matching event's
/// ID, time and object, oldest first.
pub fn compile(
    table: &str,
    filters: &[Filter],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Compiled {
    let mut wheres = partitions(filters, since, until);
    let mut unchecked = Vec::new();
    if let Some(s) = since {
        wheres.push(format!("eventtime >= {}", literal(&iso(s))));
    }
    if let Some(u) = until {
        wheres.push(format!("eventtime <= {}", literal(&iso(u))));
    }
    for f in filters {
        let (path, shown) = match f {
            Filter::Equals { path, value } => (path, format!("{}={value}", path.join("."))),
            Filter::Fuzzy { path, text } => (path, format!("{}~{text}", path.join("."))),
        };
        let Some(column) = column_of(path) else {
            unchecked.push(shown);
            continue;
        };
        let expr = match column {
            Column::Text(c) => c,
            Column::Json { column, path } => {
                format!("json_extract_scalar({column}, {})", literal(&path))
            }
        };
        wheres.push(match f {
            Filter::Equals { value, .. } => format!("{expr} = {}", literal(value)),
            Filter::Fuzzy { text, .. } => {
                // The fuzzy filter's rule: the characters in order, whitespace ignored,
                // case-sensitive only when the text has a capital.
                let chars = text.chars().filter(|c| !c.is_whitespace());
                if text.chars().any(char::is_uppercase) {
                    format!("{expr} LIKE {} ESCAPE '\\'", literal(&subsequence(chars)))
                } else {
                    format!(
                        "lower({expr}) LIKE {} ESCAPE '\\'",
                        literal(&subsequence(chars.flat_map(char::to_lowercase)))
                    )
                }
            }
        });
    }
    let mut sql = format!("SELECT eventid, eventtime, \"$path\"\nFROM {table}");
    if !wheres.is_empty() {
        sql.push_str("\nWHERE ");
        sql.push_str(&wheres.join("\n  AND "));
    }
    sql.push_str("\nORDER BY eventtime, eventid");
    Compiled { sql, unchecked }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Filter {
        Filter::parse(s).unwrap()
    }

    #[test]
    fn filters_become_columns_struct_members_and_json_paths_with_partitions_first() {
        let since = "2026-11-20T00:00:00Z".parse().unwrap();
        let until = "2026-11-22T12:00:00Z".parse().unwrap();
        let c = compile(
            "cloudtrail",
            &[
                f("userIdentity.accessKeyId=AKIA'X"),
                f("requestParameters.bucketName=logs"),
                f("eventName~runi"),
                f("awsRegion=eu-west-1"),
                f("resources.ARN=arn:aws:s3:::x"),
            ],
            Some(since),
            Some(until),
        );
        let where_part = c.sql.split("WHERE ").nth(1).unwrap();
        assert!(
            where_part.starts_with("\"timestamp\" BETWEEN '2026/11/20' AND '2026/11/22'"),
            "{}",
            c.sql
        );
        for part in [
            "region = 'eu-west-1'",
            "eventtime >= '2026-11-20T00:00:00Z'",
            "useridentity.accesskeyid = 'AKIA''X'",
            "json_extract_scalar(requestparameters, '$.bucketName') = 'logs'",
            "lower(eventname) LIKE '%r%u%n%i%' ESCAPE '\\'",
        ] {
            assert!(c.sql.contains(part), "{part} in {}", c.sql);
        }
        assert_eq!(c.unchecked, ["resources.ARN=arn:aws:s3:::x"]);
    }

    #[test]
    fn sigma_conditions_become_null_safe_sql_or_nothing() {
        let field = |path: &str, test| Predicate::Field {
            path: path.into(),
            test,
        };
        let text = |shape, cased| Test::Text { shape, cased };
        let p = Predicate::All(vec![
            field("eventName", text(Shape::Exact("stoplogging".into()), false)),
            Predicate::Not(Box::new(field(
                "userAgent",
                text(Shape::Prefix("aws_%".into()), true),
            ))),
            field("userIdentity.invokedBy", Test::Exists(false)),
            field(
                "requestParameters.bucketName",
                text(Shape::Contains("o'k".into()), false),
            ),
        ]);
        assert_eq!(
            condition(&p).unwrap(),
            "(coalesce(lower(eventname) = 'stoplogging', false) AND NOT coalesce(useragent LIKE 'aws\\_\\%%' ESCAPE '\\', false) AND coalesce(useridentity.invokedby IS NULL, false) AND coalesce(lower(json_extract_scalar(requestparameters, '$.bucketName')) LIKE '%o''k%' ESCAPE '\\', false))"
        );
        // Present-but-an-object cannot be told in JSON text; arrays are not reached plainly.
        assert_eq!(
            condition(&field("requestParameters.policy", Test::Exists(true))),
            None
        );
        assert_eq!(
            condition(&field("resources.ARN", text(Shape::Any, false))),
            None
        );
        assert_eq!(condition(&Predicate::Any(vec![])).unwrap(), "FALSE");
    }
}
