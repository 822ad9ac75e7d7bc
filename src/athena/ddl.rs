//! The CloudTrail table of an organization's (or one account's) trail, as AWS documents it
//! for Athena, partitioned by account, region and day with partition projection: no crawler,
//! no `MSCK REPAIR`, and a query that names a day range reads only those days.

use chrono::NaiveDate;

/// What the table is over.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// `database.table`.
    pub database: String,
    pub table: String,
    pub bucket: String,
    /// A key prefix above `AWSLogs/` (a trail's `S3KeyPrefix`), without slashes around it.
    pub prefix: Option<String>,
    /// `o-…` for an organization trail.
    pub org: Option<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// The first day projected; the last is always today.
    pub since: NaiveDate,
}

/// Names Athena takes unquoted: letters, digits and underscores.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl TableSpec {
    /// `s3://bucket/[prefix/]AWSLogs/[o-…/]`: where the account folders are.
    pub fn logs_root(&self) -> String {
        let mut root = format!("s3://{}/", self.bucket);
        if let Some(p) = &self.prefix {
            root.push_str(p.trim_matches('/'));
            root.push('/');
        }
        root.push_str("AWSLogs/");
        if let Some(org) = &self.org {
            root.push_str(org);
            root.push('/');
        }
        root
    }

    pub fn create_database(&self) -> String {
        format!("CREATE DATABASE IF NOT EXISTS {}", self.database)
    }

    /// The table's DDL: the columns of AWS's CloudTrail table, partitions projected from
    /// the accounts, regions and days given.
    pub fn create_table(&self) -> String {
        let root = self.logs_root();
        format!(
            "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{table} (
{COLUMNS}
)
PARTITIONED BY (account string, region string, `timestamp` string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{root}'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.account.type'='enum',
  'projection.account.values'='{accounts}',
  'projection.region.type'='enum',
  'projection.region.values'='{regions}',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.range'='{since},NOW',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'storage.location.template'='{root}${{account}}/CloudTrail/${{region}}/${{timestamp}}'
)",
            db = self.database,
            table = self.table,
            accounts = self.accounts.join(","),
            regions = self.regions.join(","),
            since = self.since.format("%Y/%m/%d"),
        )
    }
}

/// The columns of the CloudTrail table in AWS's documentation (Athena user guide, "Creating
/// the table for CloudTrail logs in Athena using partition projection").
const COLUMNS: &str = "  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_organization_layout_is_projected_by_account_region_and_day() {
        let spec = TableSpec {
            database: "incident".into(),
            table: "cloudtrail".into(),
            bucket: "org-trail".into(),
            prefix: Some("/audit/".into()),
            org: Some("o-abc123".into()),
            accounts: vec!["111111111111".into(), "222222222222".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            since: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        let ddl = spec.create_table();
        for part in [
            "CREATE EXTERNAL TABLE IF NOT EXISTS incident.cloudtrail (",
            "PARTITIONED BY (account string, region string, `timestamp` string)",
            "LOCATION 's3://org-trail/audit/AWSLogs/o-abc123/'",
            "'projection.account.values'='111111111111,222222222222'",
            "'projection.region.values'='us-east-1,eu-west-1'",
            "'projection.timestamp.range'='2026/01/01,NOW'",
            "'storage.location.template'='s3://org-trail/audit/AWSLogs/o-abc123/${account}/CloudTrail/${region}/${timestamp}'",
        ] {
            assert!(ddl.contains(part), "{part} in {ddl}");
        }
        assert_eq!(
            spec.create_database(),
            "CREATE DATABASE IF NOT EXISTS incident"
        );
        assert!(valid_name("cloud_trail2") && !valid_name("a.b") && !valid_name(""));
    }
}
