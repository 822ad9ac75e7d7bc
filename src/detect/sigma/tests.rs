use serde_json::{Value, json};

use super::*;

/// A CloudTrail rule whose `detection:` section is `detection` (written without indentation).
fn rule_text(detection: &str) -> String {
    let body: String = detection.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "title: test rule\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{body}"
    )
}

fn compile(detection: &str) -> SigmaRule {
    let mut rules = parse_rules(&rule_text(detection), "rules/test.yml");
    assert_eq!(rules.len(), 1);
    match rules.remove(0) {
        Ok(rule) => rule,
        Err(e) => panic!("rule should load: {e}\n{detection}"),
    }
}

fn load_error(text: &str) -> String {
    let results = parse_rules(text, "rules/bad.yml");
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "expected one load error for:\n{text}");
    errors.into_iter().next().unwrap_or_default()
}

fn detection_error(detection: &str) -> String {
    load_error(&rule_text(detection))
}

#[test]
fn fieldref_compares_two_fields_of_the_event() {
    let own = compile(
        "self:\n  requestParameters.userName|fieldref: userIdentity.userName\ncondition: self",
    );
    let changed = |target: &str, caller: &str| {
        json!({"eventName": "UpdateLoginProfile",
            "requestParameters": {"userName": target},
            "userIdentity": {"userName": caller, "arn": format!("arn:aws:sts::1:assumed-role/Helpdesk/{caller}")}})
    };
    assert!(
        own.matches(&changed("alice", "Alice")),
        "case does not matter"
    );
    assert!(!own.matches(&changed("bob", "alice")));
    assert!(
        !own.matches(&json!({"requestParameters": {"userName": "bob"}})),
        "no other field"
    );
    let session = compile(
        "self:\n  userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: self",
    );
    assert!(session.matches(&changed("alice", "alice")));
    assert!(!session.matches(&changed("alice", "bob")));
}

/// A CloudTrail-shaped event used by most cases.
fn event() -> Value {
    json!({
        "eventName": "GetSecretValue",
        "eventSource": "secretsmanager.amazonaws.com",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11",
        "errorCode": null,
        "readOnly": true,
        "recipientAccountId": "123456789012",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::123456789012:user/alice",
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "alice",
            "sessionContext": {
                "sessionIssuer": {"userName": "deploy-role", "type": "Role"},
                "attributes": {"mfaAuthenticated": "false"}
            }
        },
        "requestParameters": {
            "secretId": "prod/db/Password",
            "maxResults": 42,
            "withDecryption": true,
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            "path*with?wild\\cards": "x",
            "tags": ["Red", "blue"],
            "empty": ""
        },
        "responseElements": {
            "instancesSet": {"items": [
                {"instanceType": "t3.micro", "placement": {"availabilityZone": "eu-west-1a"}},
                {"instanceType": "p4d.24xlarge"}
            ]}
        },
        "resources": [{"ARN": "arn:aws:s3:::bucket-a"}, {"ARN": "arn:aws:s3:::bucket-b"}],
        "additionalEventData": {"a.b": "literal-dotted", "a": {"b": "nested"}},
        "note": "Crème Brûlée"
    })
}

#[test]
fn field_matching_table() {
    // (detection, should match the sample event)
    let cases: &[(&str, bool)] = &[
        // equality, case-insensitive by default
        ("sel:\n  eventName: GetSecretValue\ncondition: sel", true),
        ("sel:\n  eventName: getsecretvalue\ncondition: sel", true),
        ("sel:\n  eventName: GetSecret\ncondition: sel", false),
        ("sel:\n  eventName: GetSecretValueX\ncondition: sel", false),
        // a map is an AND of its fields
        (
            "sel:\n  eventName: GetSecretValue\n  userIdentity.type: IAMUser\ncondition: sel",
            true,
        ),
        (
            "sel:\n  eventName: GetSecretValue\n  userIdentity.type: Root\ncondition: sel",
            false,
        ),
        // a value list is an OR
        (
            "sel:\n  eventName: [PutSecretValue, GetSecretValue]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  eventName:\n    - PutSecretValue\n    - DeleteSecret\ncondition: sel",
            false,
        ),
        // a list of maps is an OR of maps
        (
            "sel:\n  - eventName: Nope\n  - userIdentity.userName: ALICE\ncondition: sel",
            true,
        ),
        (
            "sel:\n  - eventName: Nope\n  - userIdentity.userName: bob\ncondition: sel",
            false,
        ),
        // numbers and booleans compare as text, either way round
        (
            "sel:\n  requestParameters.maxResults: 42\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.maxResults: '42'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.maxResults: 43\ncondition: sel",
            false,
        ),
        (
            "sel:\n  recipientAccountId: 123456789012\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.withDecryption: true\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.withDecryption: 'TRUE'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.withDecryption: false\ncondition: sel",
            false,
        ),
        ("sel:\n  readOnly: 'true'\ncondition: sel", true),
        // wildcards
        (
            "sel:\n  userIdentity.arn: 'arn:aws:iam::*:user/alice'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  userIdentity.arn: 'arn:aws:iam::*:user/bob'\ncondition: sel",
            false,
        ),
        ("sel:\n  userAgent: 'aws-cli/*'\ncondition: sel", true),
        ("sel:\n  userAgent: '*Python*'\ncondition: sel", true),
        ("sel:\n  userAgent: '*python/3.11'\ncondition: sel", true),
        ("sel:\n  userAgent: '*boto*'\ncondition: sel", false),
        ("sel:\n  awsRegion: 'eu-west-?'\ncondition: sel", true),
        ("sel:\n  awsRegion: 'eu-west-??'\ncondition: sel", false),
        ("sel:\n  awsRegion: 'eu-*-?'\ncondition: sel", true),
        ("sel:\n  awsRegion: 'us-*'\ncondition: sel", false),
        ("sel:\n  sourceIPAddress: '203.0.*.7'\ncondition: sel", true),
        (
            "sel:\n  sourceIPAddress: '203.0.*.8'\ncondition: sel",
            false,
        ),
        ("sel:\n  note: 'cr?me*'\ncondition: sel", true),
        ("sel:\n  note: 'CRÈME BRÛLÉE'\ncondition: sel", true),
        ("sel:\n  note: 'crème brûlée'\ncondition: sel", true),
        ("sel:\n  note|cased: 'crème brûlée'\ncondition: sel", false),
        // escaped wildcards are literal
        // field names are never wildcards
        (
            "sel:\n  requestParameters.path*with?wild\\cards: x\ncondition: sel",
            true,
        ),
        ("sel:\n  eventName: 'GetSecret\\*'\ncondition: sel", false),
        ("sel:\n  eventName: '*'\ncondition: sel", true),
        // modifiers
        (
            "sel:\n  requestParameters.secretId|contains: db/pass\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|contains: db/user\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|startswith: PROD/\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|startswith: db/\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|endswith: password\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|endswith: prod\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|contains|all: [prod, pass]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|contains|all: [prod, user]\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|contains: [user, pass]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|contains: 'db*word'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|contains: 'db?word'\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|cased: prod/db/Password\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|cased: prod/db/password\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|contains|cased: Pass\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|contains|cased: pass\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|re: '^prod/.*Pass'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.secretId|re: '^prod/.*pass'\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId|re|i: '^PROD/.*pass'\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.maxResults|gt: 41\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.maxResults|gt: 42\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.maxResults|gte: 42\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.maxResults|lt: 42\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.maxResults|lte: 42.5\ncondition: sel",
            true,
        ),
        ("sel:\n  recipientAccountId|gt: 100\ncondition: sel", true),
        (
            "sel:\n  sourceIPAddress|cidr: 203.0.113.0/24\ncondition: sel",
            true,
        ),
        (
            "sel:\n  sourceIPAddress|cidr: [10.0.0.0/8, 203.0.112.0/23]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  sourceIPAddress|cidr: 203.0.114.0/24\ncondition: sel",
            false,
        ),
        (
            "sel:\n  sourceIPAddress|cidr: 0.0.0.0/0\ncondition: sel",
            true,
        ),
        (
            "sel:\n  sourceIPAddress|cidr: '::/0'\ncondition: sel",
            false,
        ),
        // exists
        (
            "sel:\n  userIdentity.accessKeyId|exists: true\ncondition: sel",
            true,
        ),
        (
            "sel:\n  userIdentity.accessKeyId|exists: false\ncondition: sel",
            false,
        ),
        (
            "sel:\n  userIdentity.invokedBy|exists: false\ncondition: sel",
            true,
        ),
        (
            "sel:\n  userIdentity.invokedBy|exists: true\ncondition: sel",
            false,
        ),
        ("sel:\n  errorCode|exists: true\ncondition: sel", false),
        // null: absent or JSON null
        ("sel:\n  errorCode: null\ncondition: sel", true),
        ("sel:\n  userIdentity.invokedBy: null\ncondition: sel", true),
        ("sel:\n  userIdentity.userName: null\ncondition: sel", false),
        (
            "sel:\n  userIdentity.userName: [null, alice]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  userIdentity.invokedBy: [null, x]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  userIdentity.userName: [null, bob]\ncondition: sel",
            false,
        ),
        // the empty string matches only the empty string
        ("sel:\n  requestParameters.empty: ''\ncondition: sel", true),
        ("sel:\n  userIdentity.invokedBy: ''\ncondition: sel", false),
        ("sel:\n  errorCode: ''\ncondition: sel", false),
        ("sel:\n  userIdentity.userName: ''\ncondition: sel", false),
        // dotted paths, arrays, literal dotted keys
        (
            "sel:\n  userIdentity.sessionContext.sessionIssuer.userName: deploy-role\ncondition: sel",
            true,
        ),
        (
            "sel:\n  responseElements.instancesSet.items.instanceType: p4d.24xlarge\ncondition: sel",
            true,
        ),
        (
            "sel:\n  responseElements.instancesSet.items.instanceType: m5.large\ncondition: sel",
            false,
        ),
        (
            "sel:\n  responseElements.instancesSet.items.placement.availabilityZone: eu-west-1a\ncondition: sel",
            true,
        ),
        (
            "sel:\n  resources.ARN|endswith: bucket-b\ncondition: sel",
            true,
        ),
        (
            "sel:\n  resources.ARN|endswith: bucket-c\ncondition: sel",
            false,
        ),
        ("sel:\n  requestParameters.tags: red\ncondition: sel", true),
        (
            "sel:\n  requestParameters.tags|all: [red, blue]\ncondition: sel",
            true,
        ),
        (
            "sel:\n  requestParameters.tags|all: [red, green]\ncondition: sel",
            false,
        ),
        (
            "sel:\n  additionalEventData.a.b: literal-dotted\ncondition: sel",
            true,
        ),
        (
            "sel:\n  additionalEventData.a.b: nested\ncondition: sel",
            false,
        ),
        (
            "sel:\n  requestParameters.secretId.deeper: x\ncondition: sel",
            false,
        ),
        ("sel:\n  userIdentity: alice\ncondition: sel", false),
        // keywords: substring anywhere in any string value
        (
            "keywords:\n  - administratoraccess\ncondition: keywords",
            true,
        ),
        (
            "keywords:\n  - nothing-like-this\n  - P4D.24X\ncondition: keywords",
            true,
        ),
        (
            "keywords:\n  - nothing-like-this\ncondition: keywords",
            false,
        ),
        (
            "keywords:\n  - 'arn:aws:iam::*:user/alice'\ncondition: keywords",
            true,
        ),
        ("keywords:\n  - '42'\ncondition: keywords", false),
    ];
    let event = event();
    for (i, (detection, expected)) in cases.iter().enumerate() {
        let rule = compile(detection);
        assert_eq!(rule.matches(&event), *expected, "case {i}:\n{detection}");
    }
}

#[test]
fn null_and_exists_on_missing_parents_and_non_objects() {
    let cases: &[(&str, Value, bool)] = &[
        (
            "sel:\n  requestParameters.userName: null\ncondition: sel",
            json!({"requestParameters": null}),
            true,
        ),
        (
            "sel:\n  requestParameters.userName: null\ncondition: sel",
            json!({}),
            true,
        ),
        (
            "sel:\n  requestParameters.userName: null\ncondition: sel",
            json!({"requestParameters": {"userName": "x"}}),
            false,
        ),
        (
            "sel:\n  items.name: null\ncondition: sel",
            json!({"items": [{"name": "a"}, {}]}),
            false,
        ),
        (
            "sel:\n  items.name: null\ncondition: sel",
            json!({"items": [{}, {"name": null}]}),
            true,
        ),
        (
            "sel:\n  items.name|exists: true\ncondition: sel",
            json!({"items": []}),
            false,
        ),
        (
            "sel:\n  errorCode: '*'\ncondition: sel",
            json!({"errorCode": null}),
            false,
        ),
        (
            "sel:\n  errorCode: '*'\ncondition: sel",
            json!({"errorCode": "AccessDenied"}),
            true,
        ),
        (
            "sel:\n  value: 1.5\ncondition: sel",
            json!({"value": 1.5}),
            true,
        ),
        (
            "sel:\n  value: 1.5\ncondition: sel",
            json!({"value": "1.5"}),
            true,
        ),
        (
            "sel:\n  value: -3\ncondition: sel",
            json!({"value": -3}),
            true,
        ),
        (
            "sel:\n  nested: [a, b]\ncondition: sel",
            json!({"nested": [["x", ["b"]]]}),
            true,
        ),
        // escapes: `\*`, `\?` and `\\` are literal; any other backslash is itself
        (
            "sel:\n  v: 'a\\*b'\ncondition: sel",
            json!({"v": "A*B"}),
            true,
        ),
        (
            "sel:\n  v: 'a\\*b'\ncondition: sel",
            json!({"v": "axb"}),
            false,
        ),
        (
            "sel:\n  v: 'a\\?b'\ncondition: sel",
            json!({"v": "a?b"}),
            true,
        ),
        (
            "sel:\n  v: 'a\\?b'\ncondition: sel",
            json!({"v": "axb"}),
            false,
        ),
        (
            "sel:\n  v: 'a\\\\*'\ncondition: sel",
            json!({"v": "a\\bc"}),
            true,
        ),
        (
            "sel:\n  v: 'a\\\\*'\ncondition: sel",
            json!({"v": "abc"}),
            false,
        ),
        (
            "sel:\n  v: 'C:\\Windows'\ncondition: sel",
            json!({"v": "c:\\windows"}),
            true,
        ),
        (
            "sel:\n  v|contains: '\\*'\ncondition: sel",
            json!({"v": "principal *"}),
            true,
        ),
        (
            "sel:\n  v|contains: '\\*'\ncondition: sel",
            json!({"v": "principal"}),
            false,
        ),
    ];
    for (i, (detection, event, expected)) in cases.iter().enumerate() {
        assert_eq!(
            compile(detection).matches(event),
            *expected,
            "case {i}:\n{detection}\n{event}"
        );
    }
}

#[test]
fn conditions_table() {
    let selections = "a:\n  eventName: GetSecretValue\nb:\n  userIdentity.type: IAMUser\nc:\n  userIdentity.type: Root\nsel_x:\n  awsRegion: eu-west-1\nsel_y:\n  awsRegion: us-east-1\n_helper:\n  eventName: Nope\n";
    let cases: &[(&str, bool)] = &[
        ("a", true),
        ("c", false),
        ("a and b", true),
        ("a and c", false),
        ("a or c", true),
        ("c or _helper", false),
        ("not c", true),
        ("not a", false),
        ("a and not c", true),
        ("not a or b", true), // (not a) or b
        ("not (a or c)", false),
        ("c and a or b", true), // (c and a) or b
        ("c and (a or b)", false),
        ("b or c and _helper", true), // b or (c and _helper)
        ("(b or c) and _helper", false),
        ("not not a", true),
        ("1 of sel_*", true),
        ("all of sel_*", false),
        ("any of sel_*", true),
        ("2 of sel_* ", false),
        ("1 of them", true),
        ("all of them", false), // c and sel_y fail
        ("a and 1 of sel_*", true),
        ("not 1 of sel_*", false),
        ("all of a", true),
        ("1 of _*", false),
    ];
    let event = event();
    for (condition, expected) in cases {
        let rule = compile(&format!("{selections}condition: {condition}"));
        assert_eq!(rule.matches(&event), *expected, "condition `{condition}`");
    }
    // `them` skips selections whose names start with `_`, so this holds.
    let rule =
        compile("a:\n  eventName: GetSecretValue\n_b:\n  eventName: Nope\ncondition: all of them");
    assert!(rule.matches(&event));
    // A list of conditions is an OR.
    let rule = compile(&format!("{selections}condition:\n  - c\n  - a and b"));
    assert!(rule.matches(&event));
    let rule = compile(&format!("{selections}condition:\n  - c\n  - _helper"));
    assert!(!rule.matches(&event));
}

#[test]
fn unsupported_or_broken_rules_are_load_errors() {
    // (detection, fragment the error must contain)
    let cases: &[(&str, &str)] = &[
        (
            "sel:\n  eventName: x\ncondition: sel | count() by userIdentity.arn > 5",
            "aggregations",
        ),
        (
            "sel:\n  eventName: x\nother:\n  eventName: y\ncondition: sel near other",
            "`near` is not supported",
        ),
        (
            "sel:\n  eventName: x\ntimeframe: 5m\ncondition: sel",
            "`timeframe` is not supported",
        ),
        ("sel:\n  eventName: x", "no `condition`"),
        (
            "sel:\n  eventName: x\ncondition: sel and missing",
            "`missing` is not a selection",
        ),
        (
            "sel:\n  eventName: x\ncondition: A",
            "`A` is not a selection",
        ),
        (
            "sel:\n  eventName: x\ncondition: 1 of nothing_*",
            "names no selection",
        ),
        (
            "sel:\n  eventName: x\ncondition: 3 of sel*",
            "can never hold",
        ),
        (
            "sel:\n  eventName: x\ncondition: sel and",
            "expected a selection",
        ),
        ("sel:\n  eventName: x\ncondition: (sel", "expected `)`"),
        (
            "sel:\n  eventName: x\ncondition: sel sel",
            "unexpected `sel`",
        ),
        ("sel:\n  eventName: x\ncondition: ''", "empty"),
        (
            "sel:\n  eventName|expand: '%names%'\ncondition: sel",
            "modifier `expand` is not supported",
        ),
        (
            "sel:\n  eventName|base64: x\ncondition: sel",
            "modifier `base64` is not supported",
        ),
        (
            "sel:\n  eventName|base64offset|contains: x\ncondition: sel",
            "modifier `base64offset` is not supported",
        ),
        (
            "sel:\n  eventName|windash: x\ncondition: sel",
            "modifier `windash` is not supported",
        ),
        (
            "sel:\n  eventName|fieldref: [a, b]\ncondition: sel",
            "`fieldref` needs the name of another field",
        ),
        (
            "sel:\n  eventName|fieldref|re: userName\ncondition: sel",
            "`fieldref` combines only with",
        ),
        (
            "sel:\n  eventName|frobnicate: x\ncondition: sel",
            "unknown modifier `frobnicate`",
        ),
        (
            "sel:\n  eventName|contains|startswith: x\ncondition: sel",
            "only one of",
        ),
        (
            "sel:\n  eventName|exists: yes please\ncondition: sel",
            "`exists` needs true or false",
        ),
        (
            "sel:\n  eventName|re: '(unclosed'\ncondition: sel",
            "invalid regular expression",
        ),
        (
            "sel:\n  eventName|gt: many\ncondition: sel",
            "is not a number",
        ),
        (
            "sel:\n  sourceIPAddress|cidr: 10.0.0.0/33\ncondition: sel",
            "not a CIDR",
        ),
        (
            "sel:\n  eventName|i: x\ncondition: sel",
            "only valid after `re`",
        ),
        ("sel:\n  eventName: []\ncondition: sel", "empty list"),
        (
            "sel:\n  eventName:\n    nested: map\ncondition: sel",
            "values must be text",
        ),
        ("sel: {}\ncondition: sel", "empty map"),
        ("sel: just-a-string\ncondition: sel", "a selection must be"),
        (
            "sel:\n  - eventName: x\n  - keyword\ncondition: sel",
            "only maps or only keywords",
        ),
        (
            "sel:\n  '|all':\n    - a\ncondition: sel",
            "field name is required",
        ),
    ];
    for (detection, fragment) in cases {
        let error = detection_error(detection);
        assert!(
            error.starts_with("rules/bad.yml: "),
            "error should name the file: {error}"
        );
        assert!(
            error.contains(fragment),
            "`{error}` should contain `{fragment}`"
        );
    }
}

#[test]
fn rule_level_problems_are_load_errors() {
    let detection = "detection:\n  sel:\n    eventName: x\n  condition: sel\n";
    let aws = "logsource:\n  product: aws\n  service: cloudtrail\n";
    let cases: Vec<(String, &str)> = vec![
        (format!("title: t\n{aws}"), "no `detection`"),
        (format!("{aws}{detection}"), "no `title`"),
        (
            format!("title: t\n{aws}level: severe\n{detection}"),
            "unknown level \"severe\"",
        ),
        (
            format!("title: t\nlogsource:\n  product: windows\n  service: security\n{detection}"),
            "logsource is product \"windows\", service \"security\": only aws/cloudtrail rules apply to CloudTrail events",
        ),
        (
            format!(
                "title: t\nlogsource:\n  category: process_creation\n  product: linux\n{detection}"
            ),
            "logsource is product \"linux\", no service",
        ),
        (format!("title: t\n{detection}"), "no `logsource`"),
        (
            format!("title: t\n{aws}correlation:\n  type: event_count\n{detection}"),
            "correlation: the correlation names no `rules`",
        ),
        (
            "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: soon\n  condition: {gte: 2}\n".to_string(),
            "`timespan` \"soon\" is not a duration",
        ),
        (
            "title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {lt: 2}\n".to_string(),
            "`lt`/`lte` conditions are not supported",
        ),
        (
            "title: t\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 2}\n".to_string(),
            "needs the `field`",
        ),
        (
            format!("action: global\ntitle: t\n{aws}{detection}"),
            "`action: global`",
        ),
        (
            format!("title: t\n{aws}tags: {{a: b}}\n{detection}"),
            "`tags` must be a list",
        ),
        ("- just\n- a list\n".to_owned(), "must be a YAML mapping"),
        ("".to_owned(), "holds no rule"),
        ("# only a comment\n---\n".to_owned(), "holds no rule"),
    ];
    for (text, fragment) in &cases {
        let error = load_error(text);
        assert!(error.starts_with("rules/bad.yml: "), "{error}");
        assert!(
            error.contains(fragment),
            "`{error}` should contain `{fragment}`"
        );
    }
}

#[test]
fn bad_yaml_reports_line_and_column() {
    let text = "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n    eventName: a: b\n  condition: sel\n";
    let error = load_error(text);
    assert!(
        error.starts_with("rules/bad.yml: invalid YAML: "),
        "{error}"
    );
    assert!(error.contains("line 7"), "{error}");
    assert!(error.contains("column"), "{error}");
}

#[test]
fn metadata_is_read_with_defaults() {
    let text = "title: Secret read\nid: 0b7c8a57-0000-4000-8000-000000000001\ndescription: Someone read a secret\nlevel: High\ntags:\n  - attack.credential_access\n  - attack.t1555\nfalsepositives: Backup jobs\nlogsource:\n  product: AWS\n  service: CloudTrail\ndetection:\n  sel:\n    eventName: GetSecretValue\n  condition: sel\n";
    let rule = parse_rules(text, "dir/secret-read.yml")
        .remove(0)
        .expect("loads");
    assert_eq!(rule.id, "0b7c8a57-0000-4000-8000-000000000001");
    assert_eq!(rule.title, "Secret read");
    assert_eq!(rule.description.as_deref(), Some("Someone read a secret"));
    assert_eq!(rule.level, Level::High);
    assert_eq!(rule.tags, ["attack.credential_access", "attack.t1555"]);
    assert_eq!(rule.falsepositives, ["Backup jobs"]);
    assert_eq!(rule.origin, "dir/secret-read.yml");

    let minimal = compile("sel:\n  eventName: x\ncondition: sel");
    assert_eq!(minimal.id, "test");
    assert_eq!(minimal.level, Level::Medium);
    assert!(minimal.tags.is_empty() && minimal.falsepositives.is_empty());
    assert_eq!(minimal.description, None);
    assert_eq!(Level::parse("critical"), Some(Level::Critical));
    assert_eq!(Level::Informational.to_string(), "informational");
    assert!(Level::Critical > Level::High && Level::Low > Level::Informational);
}

#[test]
fn multi_document_files_give_one_result_per_document() {
    let one = rule_text("sel:\n  eventName: A\ncondition: sel");
    let text = format!(
        "# leading comment\n{one}---\n{one}id: explicit\n---\n{one}level: nonsense\n---\ntitle: broken: yaml: here\n---\n"
    );
    let results = parse_rules(&text, "rules/many.yml");
    assert_eq!(results.len(), 4);
    let first = results[0].as_ref().expect("first loads");
    assert_eq!(
        (first.id.as_str(), first.origin.as_str()),
        ("many", "rules/many.yml")
    );
    let second = results[1].as_ref().expect("second loads");
    assert_eq!(
        (second.id.as_str(), second.origin.as_str()),
        ("explicit", "rules/many.yml#2")
    );
    let third = results[2].as_ref().expect_err("bad level");
    assert_eq!(third.origin, "rules/many.yml#3");
    let fourth = results[3].as_ref().expect_err("bad yaml");
    assert_eq!(fourth.origin, "rules/many.yml#4");
    // Line numbers count from the top of the file, not of the document.
    let broken_line = text
        .lines()
        .position(|l| l.starts_with("title: broken"))
        .unwrap_or(0)
        + 1;
    assert!(
        fourth.reason.contains(&format!("line {broken_line}")),
        "{}",
        fourth.reason
    );

    // A leading `---` does not count as a document.
    let results = parse_rules(&format!("---\n{one}"), "rules/lead.yml");
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0].as_ref().map(|r| r.origin.clone()),
        Ok("rules/lead.yml".to_owned())
    );

    // A document without an id gets the file stem and its position.
    let text = format!("{one}---\n{one}");
    let results = parse_rules(&text, "x/stem.yaml");
    assert_eq!(
        results[1].as_ref().map(|r| r.id.clone()),
        Ok("stem#2".to_owned())
    );
}

#[test]
fn event_names_prefilter_table() {
    let cases: &[(&str, Option<&[&str]>)] = &[
        (
            "sel:\n  eventName: GetSecretValue\ncondition: sel",
            Some(&["getsecretvalue"]),
        ),
        (
            "sel:\n  eventName: [B, A]\ncondition: sel",
            Some(&["a", "b"]),
        ),
        ("sel:\n  eventName|cased: A\ncondition: sel", Some(&["a"])),
        (
            "sel:\n  eventName: A\nf:\n  userAgent: x\ncondition: sel and not f",
            Some(&["a"]),
        ),
        (
            "sel:\n  eventName: A\nf:\n  userAgent: x\ncondition: f and sel",
            Some(&["a"]),
        ),
        (
            "sel:\n  eventName: [A, B]\nt:\n  eventName: [B, C]\ncondition: sel and t",
            Some(&["b"]),
        ),
        (
            "a:\n  eventName: A\nb:\n  eventName: B\ncondition: a or b",
            Some(&["a", "b"]),
        ),
        (
            "a:\n  eventName: A\nb:\n  userAgent: x\ncondition: a or b",
            None,
        ),
        (
            "sel:\n  - eventName: A\n  - eventName: B\n    userAgent: x\ncondition: sel",
            Some(&["a", "b"]),
        ),
        (
            "sel:\n  - eventName: A\n  - userAgent: x\ncondition: sel",
            None,
        ),
        (
            "sel_a:\n  eventName: A\nsel_b:\n  eventName: B\ncondition: 1 of sel_*",
            Some(&["a", "b"]),
        ),
        (
            "sel_a:\n  eventName: A\nsel_b:\n  userAgent: x\ncondition: all of sel_*",
            Some(&["a"]),
        ),
        (
            "sel_a:\n  eventName: A\nsel_b:\n  userAgent: x\ncondition: 1 of sel_*",
            None,
        ),
        ("sel:\n  eventName: A\ncondition: not sel", None),
        ("sel:\n  eventName: 'Get*'\ncondition: sel", None),
        ("sel:\n  eventName|contains: Secret\ncondition: sel", None),
        ("sel:\n  eventName|all: [A]\ncondition: sel", None),
        ("sel:\n  eventName: [A, null]\ncondition: sel", None),
        ("sel:\n  eventName|exists: true\ncondition: sel", None),
        ("kw:\n  - GetSecretValue\ncondition: kw", None),
        ("sel:\n  userAgent: x\ncondition: sel", None),
        (
            "a:\n  eventName: A\nb:\n  eventName: B\ncondition: a and b",
            Some(&[]),
        ),
    ];
    for (detection, expected) in cases {
        let rule = compile(detection);
        let got: Option<Vec<&str>> = rule
            .event_names()
            .map(|names| names.iter().map(String::as_str).collect());
        assert_eq!(got.as_deref(), *expected, "{detection}");
    }
}

fn rule_named(id: &str, detection: &str) -> SigmaRule {
    let mut rule = compile(detection);
    rule.id = id.to_owned();
    rule
}

#[test]
fn rule_set_uses_the_index_and_keeps_rule_order() {
    let rules = vec![
        rule_named(
            "secret",
            "sel:\n  eventName: GetSecretValue\ncondition: sel",
        ),
        rule_named(
            "any-alice",
            "sel:\n  userIdentity.userName: alice\ncondition: sel",
        ),
        rule_named(
            "two",
            "sel:\n  eventName: [GetSecretValue, ListUsers]\n  userIdentity.type: IAMUser\ncondition: sel",
        ),
        rule_named("users", "sel:\n  eventName: ListUsers\ncondition: sel"),
    ];
    let set = RuleSet::new(rules);
    assert_eq!(set.len(), 4);
    assert!(!set.is_empty());
    assert_eq!(set.rules()[3].id, "users");
    let event = event();
    assert_eq!(set.matching("GetSecretValue", &event), [0, 1, 2]);
    // The index is consulted with the caller's name, case-insensitively.
    assert_eq!(set.matching("GETSECRETVALUE", &event), [0, 1, 2]);
    // Under another name only the rules indexed there and the unindexed one are tried ("secret"
    // is skipped although its condition would hold for this event).
    assert_eq!(set.matching("ListUsers", &event), [1, 2]);
    let mut hits = vec![99];
    set.matching_into("GetSecretValue", &event, &mut hits);
    assert_eq!(hits, [99, 0, 1, 2]);
    assert!(
        set.may_match("anything"),
        "an unindexed rule may match anything"
    );

    let indexed_only = RuleSet::new(vec![
        rule_named(
            "secret",
            "sel:\n  eventName: GetSecretValue\ncondition: sel",
        ),
        rule_named("users", "sel:\n  eventName: ListUsers\ncondition: sel"),
    ]);
    assert!(indexed_only.may_match("GetSecretValue"));
    assert!(indexed_only.may_match("listusers"));
    assert!(!indexed_only.may_match("DescribeInstances"));
    assert!(
        indexed_only
            .matching("DescribeInstances", &event)
            .is_empty()
    );
    let long_name = "X".repeat(500);
    assert!(!indexed_only.may_match(&long_name));

    let empty = RuleSet::new(Vec::new());
    assert!(empty.is_empty() && !empty.may_match("GetSecretValue"));
    assert!(empty.matching("GetSecretValue", &event).is_empty());
}

#[test]
fn load_dir_walks_sorted_and_reports_problems() {
    let root = std::env::temp_dir().join(format!("sigma-load-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let sub = root.join("b-sub");
    std::fs::create_dir_all(&sub).expect("temp dir");
    let good = |id: &str| {
        format!(
            "{}id: {id}\n",
            rule_text("sel:\n  eventName: A\ncondition: sel")
        )
    };
    std::fs::write(root.join("c.yml"), good("c")).expect("write");
    std::fs::write(root.join("a.yaml"), good("a")).expect("write");
    std::fs::write(sub.join("nested.yml"), good("nested")).expect("write");
    std::fs::write(root.join("dup.yml"), good("a")).expect("write");
    std::fs::write(root.join("notes.txt"), "not a rule").expect("write");
    std::fs::write(root.join("broken.yml"), "title: [").expect("write");
    std::fs::write(root.join("bad-utf8.yml"), [0xff, 0xfe, 0x00]).expect("write");

    let (rules, errors) = load_dir(&root);
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "nested", "c"]);
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{messages:?}");
    assert!(
        messages[0].contains("bad-utf8.yml: cannot read the file"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("broken.yml: invalid YAML"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("dup.yml: rule id a is already used by"),
        "{messages:?}"
    );
    std::fs::remove_dir_all(&root).expect("clean up");

    let (rules, errors) = load_dir(&root);
    assert!(rules.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .ends_with("rules directory does not exist")
    );
}

#[test]
fn text_patterns_table() {
    use super::pattern::{Anchor, Pattern};
    // (value, anchor, cased, event text, expected)
    let cases: &[(&str, Anchor, bool, &str, bool)] = &[
        ("aab", Anchor::Contains, false, "xaaab", true),
        ("aab", Anchor::Contains, false, "XAAAB", true),
        ("aab", Anchor::Contains, false, "aa", false),
        ("AAB", Anchor::Contains, true, "aab", false),
        ("ab", Anchor::EndsWith, false, "b", false),
        ("", Anchor::Whole, false, "", true),
        ("", Anchor::Whole, false, "x", false),
        ("", Anchor::Contains, false, "anything", true),
        ("a*b*c", Anchor::Whole, false, "aXbYbZc", true),
        ("a*b*c", Anchor::Whole, false, "aXbYcZ", false),
        (
            "*a*a*a*b",
            Anchor::Whole,
            false,
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
            false,
        ),
        ("?", Anchor::Whole, false, "é", true),
        ("??", Anchor::Whole, false, "é", false),
        ("a?c", Anchor::Whole, false, "a€c", true),
        ("*€*", Anchor::Whole, false, "price: 5€", true),
        ("ÉTÉ", Anchor::StartsWith, false, "été indien", true),
        ("été", Anchor::Whole, false, "ÉTÉ", true),
        ("\\\\", Anchor::Whole, false, "\\", true),
        ("a\\b", Anchor::Whole, false, "a\\b", true),
        ("trailing\\", Anchor::Whole, false, "trailing\\", true),
    ];
    for (value, anchor, cased, text, expected) in cases {
        let pattern = Pattern::text(value, *anchor, *cased);
        assert_eq!(
            pattern.matches(&json!(text)),
            *expected,
            "{value:?} ({anchor:?}, cased {cased}) against {text:?}"
        );
    }
}

#[test]
fn cidr_patterns_table() {
    use super::pattern::Pattern;
    let cases: &[(&str, &str, bool)] = &[
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("192.168.1.7/32", "192.168.1.7", true),
        ("192.168.1.7/32", "192.168.1.8", false),
        ("2001:db8::/32", "2001:db8:1::5", true),
        ("2001:db8::/32", "2001:db9::5", false),
        ("::/0", "fe80::1", true),
        ("10.0.0.0/8", "not an address", false),
        ("10.0.0.0/8", "AWS Internal", false),
    ];
    for (net, ip, expected) in cases {
        let pattern = Pattern::cidr(net).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pattern.matches(&json!(ip)), *expected, "{ip} in {net}");
    }
    assert!(Pattern::cidr("10.0.0.0").is_err());
    assert!(Pattern::cidr("::/129").is_err());
}

/// What a caller knows without the JSON, in the test: these paths, read from the event.
struct KnownFrom<'a> {
    event: &'a Value,
    paths: &'a [&'a str],
}

impl Known for KnownFrom<'_> {
    fn field(&self, path: &str) -> Option<Option<&str>> {
        if !self.paths.contains(&path) {
            return None;
        }
        let pointer = format!("/{}", path.replace('.', "/"));
        Some(self.event.pointer(&pointer).and_then(Value::as_str))
    }
}

#[test]
fn rules_settled_by_known_fields_agree_with_the_json_and_never_ask_for_it() {
    let known_paths = ["eventName", "eventSource", "userIdentity.type", "errorCode"];
    // (detection, settled without the JSON for event())
    let cases: &[(&str, bool)] = &[
        ("sel:\n  userIdentity.type: IAMUser\ncondition: sel", true),
        ("sel:\n  userIdentity.type: Root\ncondition: sel", true),
        ("sel:\n  errorCode: null\ncondition: sel", true),
        ("sel:\n  errorCode|exists: true\ncondition: sel", true),
        (
            "sel:\n  eventSource|endswith: .amazonaws.com\n  eventName|startswith: get\ncondition: sel",
            true,
        ),
        // Root is false whatever the agent says: `and` settles it.
        (
            "sel:\n  userIdentity.type: Root\nf:\n  userAgent|contains: kali\ncondition: sel and not f",
            true,
        ),
        // The agent decides: the JSON is needed.
        (
            "sel:\n  userIdentity.type: IAMUser\nf:\n  userAgent|contains: kali\ncondition: sel and not f",
            false,
        ),
        (
            "sel:\n  userIdentity.type: IAMUser\nf:\n  userAgent|contains: kali\ncondition: 1 of them",
            true,
        ),
        (
            "sel:\n  userIdentity.type: Root\nf:\n  userAgent|contains: kali\ncondition: all of them",
            true,
        ),
        (
            "sel:\n  userIdentity.type: Root\nf:\n  userAgent|contains: kali\ncondition: 1 of them",
            false,
        ),
        ("keywords:\n  - secret\ncondition: keywords", false),
    ];
    let ev = event();
    for (detection, settled) in cases {
        let rule = compile(detection);
        let known = KnownFrom {
            event: &ev,
            paths: &known_paths,
        };
        assert_eq!(
            rule.verdict_on(&known).is_some(),
            *settled,
            "settled?\n{detection}"
        );
        if let Some(verdict) = rule.verdict_on(&known) {
            assert_eq!(verdict, rule.matches(&ev), "verdict\n{detection}");
        }
        let set = RuleSet::new(vec![rule.clone()]);
        let mut asked = 0;
        let mut hits = Vec::new();
        set.matching_lazily(
            ev["eventName"].as_str().unwrap(),
            &known,
            &mut || {
                asked += 1;
                ev.clone()
            },
            &mut hits,
        );
        assert_eq!(hits.is_empty(), !rule.matches(&ev), "hits\n{detection}");
        assert_eq!(asked, usize::from(!settled), "JSON asked for\n{detection}");
    }
}
