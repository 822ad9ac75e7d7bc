"""Runs SQL written for the Athena CloudTrail table on DuckDB, over CloudTrail files laid out
as an organization trail delivers them (AWSLogs/[o-…/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/).

The bridge between the dialects, all here:
- the table: a view with Athena's lower-case columns, `useridentity` a struct of the members
  AWS's DDL declares, the JSON columns as JSON text, and the partition columns `account`,
  `region` and `timestamp` (yyyy/MM/dd) read from each file's path, as partition projection
  reads them; `"$path"` is the file;
- `json_extract_scalar(json, path)`, Athena's, is DuckDB's `json_extract_string`;
- LIKE … ESCAPE and string comparison are the same in both.

Usage: athena_duckdb.py DIR TABLE SQLFILE — prints the rows the query returns, one per line,
the columns separated by tabs.
"""
import sys
import duckdb

root, table, sql_file = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")
ident = ", ".join(
    f"{name} := json_extract_string(r, '$.userIdentity.{path}')"
    for name, path in [
        ("type", "type"), ("principalid", "principalId"), ("arn", "arn"),
        ("accountid", "accountId"), ("invokedby", "invokedBy"),
        ("accesskeyid", "accessKeyId"), ("username", "userName"),
    ]
)
issuer = ", ".join(
    f"{name} := json_extract_string(r, '$.userIdentity.sessionContext.sessionIssuer.{path}')"
    for name, path in [("type", "type"), ("principalid", "principalId"), ("arn", "arn"),
                       ("accountid", "accountId"), ("username", "userName")]
)
attributes = ("mfaauthenticated := json_extract_string(r, '$.userIdentity.sessionContext.attributes.mfaAuthenticated'), "
              "creationdate := json_extract_string(r, '$.userIdentity.sessionContext.attributes.creationDate')")
text_columns = ["eventVersion", "eventTime", "eventSource", "eventName", "awsRegion",
                "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestID",
                "eventID", "eventType", "apiVersion", "readOnly", "recipientAccountId",
                "sharedEventID", "vpcEndpointId"]
texts = ", ".join(f"json_extract_string(r, '$.{c}') AS {c.lower()}" for c in text_columns)
jsons = ", ".join(f"json_extract(r, '$.{c}')::VARCHAR AS {c.lower()}"
                  for c in ["requestParameters", "responseElements", "additionalEventData"])
layout = r"AWSLogs/(?:o-[a-z0-9]+/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/"
con.execute(f"""
CREATE VIEW {table} AS
SELECT {texts}, {jsons},
  struct_pack({ident}, sessioncontext := struct_pack(attributes := struct_pack({attributes}),
                                                     sessionissuer := struct_pack({issuer}))) AS useridentity,
  filename AS "$path",
  regexp_extract(filename, '{layout}', 1) AS account,
  regexp_extract(filename, '{layout}', 2) AS region,
  regexp_extract(filename, '{layout}', 3) AS "timestamp"
FROM (
  SELECT unnest(Records) AS r, filename
  FROM read_json('{root}/**/*.json', columns = {{'Records': 'JSON[]'}}, filename = true,
                 format = 'auto', maximum_object_size = 100000000)
)
""")
sql = open(sql_file).read().strip().rstrip(";")
for row in con.execute(sql).fetchall():
    print("\t".join("" if v is None else str(v) for v in row))
