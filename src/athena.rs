//! `warroom query`'s filters as SQL for Athena, over the CloudTrail table AWS documents
//! (lower-case columns, `useridentity` a struct, `requestparameters`, `responseelements` and
//! `additionaleventdata` JSON text), partitioned by `account`, `region` and `timestamp`
//! (`yyyy/MM/dd`, with partition projection): the partitions always in the WHERE clause, so
//! a time range reads only its days.

pub mod ddl;

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

/// The query for `filters` between `since` and `until` over `table`: every matching event's
/// ID, time and object, oldest first.
pub fn compile(
    table: &str,
    filters: &[Filter],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Compiled {
    let mut wheres = Vec::new();
    let mut unchecked = Vec::new();
    // The partitions first: they decide how much is read.
    match (since, until) {
        (Some(s), Some(u)) => wheres.push(format!(
            "\"timestamp\" BETWEEN {} AND {}",
            literal(&s.format("%Y/%m/%d").to_string()),
            literal(&u.format("%Y/%m/%d").to_string())
        )),
        (Some(s), None) => wheres.push(format!(
            "\"timestamp\" >= {}",
            literal(&s.format("%Y/%m/%d").to_string())
        )),
        (None, Some(u)) => wheres.push(format!(
            "\"timestamp\" <= {}",
            literal(&u.format("%Y/%m/%d").to_string())
        )),
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
}
