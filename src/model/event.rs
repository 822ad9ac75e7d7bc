//! CloudTrail events in the compact form the panes need. The original JSON is kept verbatim:
//! inline for the events of an incident, or left where it came from (an archive file) for
//! the million events of a replayed archive, and read back only when someone looks.

use super::event_id::{EventId, IdKey};
use super::sym::Sym;
use super::text::Text;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Who made a call, as CloudTrail's `userIdentity` block describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`, `FederatedUser`, …
    pub kind: Sym,
    /// Empty when the other fields name the principal (see `CloudTrailEvent::parse`).
    pub principal_id: Sym,
    /// Empty when the other fields name the principal.
    pub arn: Sym,
    pub account_id: Sym,
    pub access_key_id: Option<Sym>,
    /// The IAM user name, or for an assumed role the role's name.
    pub user_name: Option<Sym>,
    /// For assumed roles, the session name after the role name in the ARN.
    pub session_name: Option<Sym>,
    pub invoked_by: Option<Sym>,
}

impl Identity {
    /// A short, human name for the principal: `alice`, `Deployer/gh-actions`, `root`,
    /// `config.amazonaws.com`.
    pub fn display(&self) -> String {
        self.name().to_string()
    }

    /// [`display`](Self::display) written where it is wanted, without a string of its own.
    pub fn name(&self) -> IdentityName<'_> {
        IdentityName(self)
    }

    /// The name a pivot on "principal" matches: the user or role name.
    pub fn principal_name(&self) -> String {
        match &*self.kind {
            "Root" => "root".to_string(),
            "AssumedRole" => self
                .user_name
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_else(|| self.display()),
            _ => self.display(),
        }
    }
}

/// A principal's short name, written piece by piece (a console draws a million of them).
pub struct IdentityName<'a>(&'a Identity);

impl fmt::Display for IdentityName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.0;
        match &*i.kind {
            "Root" => f.write_str("root"),
            "AWSService" => f.write_str(i.invoked_by.as_deref().unwrap_or(&i.principal_id)),
            "AssumedRole" => match (&i.user_name, &i.session_name) {
                (Some(role), Some(session)) => write!(f, "{role}/{session}"),
                (Some(role), None) => f.write_str(role),
                _ => f.write_str(i.arn.rsplit(':').next().unwrap_or_default()),
            },
            _ => f.write_str(
                i.user_name
                    .as_deref()
                    .or(i.invoked_by.as_deref())
                    .unwrap_or(if i.principal_id.is_empty() {
                        &i.arn
                    } else {
                        &i.principal_id
                    }),
            ),
        }
    }
}

/// Where an event's original JSON can be read again (an archive file).
pub trait RawSource: Send + Sync + fmt::Debug {
    /// The `index`-th record's JSON text.
    fn record(&self, index: u32) -> Option<String>;
    /// Where it is, for messages.
    fn describe(&self) -> String;
}

/// One place records are read again from, shared by all of its events. A thin pointer:
/// each event spends 8 bytes on where its JSON is, not 16.
pub type SharedSource = Arc<Box<dyn RawSource>>;

/// An event's original JSON. Both forms are thin pointers, so the whole is 16 bytes.
#[derive(Clone)]
enum RawJson {
    Inline(Box<Arc<str>>),
    Elsewhere(SharedSource, u32),
}

/// One CloudTrail record. Only the fields the console reads are lifted out; the event as it
/// arrived is kept (see [`CloudTrailEvent::raw_text`]) so nothing is lost.
#[derive(Clone)]
pub struct CloudTrailEvent {
    /// The ID's bytes when it is a UUID (see [`CloudTrailEvent::event_id`]); all zero when
    /// it is kept as text, in `rare`.
    id: [u8; 16],
    pub event_time: DateTime<Utc>,
    pub event_name: Sym,
    pub event_source: Sym,
    pub aws_region: Sym,
    pub source_ip: Sym,
    pub user_agent: Sym,
    pub identity: Identity,
    pub error_code: Option<Sym>,
    pub read_only: Option<bool>,
    /// What few events have, behind one pointer: the many without it pay 8 bytes for all.
    rare: Option<Box<Rare>>,
    raw: RawJson,
}

/// The fields most events lack (see [`CloudTrailEvent`]'s accessors of the same names).
#[derive(Clone, Default)]
struct Rare {
    /// An ID that is not a UUID.
    event_id: Option<Text>,
    error_message: Option<Text>,
    malformed: Option<Text>,
    created: Option<Text>,
    params: Option<Arc<Value>>,
}

impl Rare {
    /// `Some` only when it holds something.
    fn boxed(self) -> Option<Box<Rare>> {
        let empty = self.event_id.is_none()
            && self.error_message.is_none()
            && self.malformed.is_none()
            && self.created.is_none()
            && self.params.is_none();
        (!empty).then(|| Box::new(self))
    }
}

impl fmt::Debug for CloudTrailEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudTrailEvent")
            .field("event_id", &self.event_id())
            .field("event_time", &self.event_time)
            .field("event_name", &self.event_name)
            .field("identity", &self.identity.display())
            .field("error_code", &self.error_code)
            .finish_non_exhaustive()
    }
}

impl PartialEq for CloudTrailEvent {
    fn eq(&self, other: &Self) -> bool {
        self.id_key() == other.id_key()
            && self.event_time == other.event_time
            && self.raw_text() == other.raw_text()
    }
}

/// The field of a stand-in event that carries why and what could not be parsed.
pub const UNPARSED_FIELD: &str = "warroomUnparsed";

/// Why a CloudTrail record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventParseError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("not a JSON object")]
    NotObject,
    #[error("missing eventTime")]
    MissingTime,
    #[error("eventTime {0:?} is not an RFC 3339 timestamp")]
    BadTime(String),
    #[error(
        "eventTime {0:?} is outside the years CloudTrail can have written ({first} to {last}): left out of the clock",
        first = super::time::RECORDED_YEARS.start(),
        last = super::time::RECORDED_YEARS.end()
    )]
    ImplausibleTime(String),
}

/// A scalar read leniently: a string (borrowed when it can be), a number or a boolean as
/// text; `null`, objects and arrays as nothing. Anonymised and hand-made logs put odd things
/// in odd places, and one odd field must not cost the event.
struct Lenient<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn text<'a>(l: &'a Option<Lenient<'_>>) -> Option<&'a str> {
    l.as_ref().and_then(|l| l.0.as_deref())
}

/// The fields of an event the console reads, borrowed from the JSON text where possible.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "eventID", borrow, default)]
    event_id: Option<Lenient<'a>>,
    #[serde(rename = "eventTime", borrow, default)]
    event_time: Option<Lenient<'a>>,
    #[serde(rename = "eventName", borrow, default)]
    event_name: Option<Lenient<'a>>,
    #[serde(rename = "eventSource", borrow, default)]
    event_source: Option<Lenient<'a>>,
    #[serde(rename = "awsRegion", borrow, default)]
    aws_region: Option<Lenient<'a>>,
    #[serde(rename = "sourceIPAddress", borrow, default)]
    source_ip: Option<Lenient<'a>>,
    #[serde(rename = "userAgent", borrow, default)]
    user_agent: Option<Lenient<'a>>,
    #[serde(rename = "errorCode", borrow, default)]
    error_code: Option<Lenient<'a>>,
    #[serde(rename = "errorMessage", borrow, default)]
    error_message: Option<Lenient<'a>>,
    #[serde(rename = "readOnly", borrow, default)]
    read_only: Option<Lenient<'a>>,
    #[serde(rename = "userIdentity", borrow, default)]
    user_identity: Option<WireIdentity<'a>>,
    #[serde(rename = "warroomUnparsed", borrow, default)]
    unparsed: Option<WireUnparsed<'a>>,
    #[serde(rename = "requestParameters", borrow, default)]
    request: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "responseElements", borrow, default)]
    response: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "additionalEventData", borrow, default)]
    additional: Option<&'a serde_json::value::RawValue>,
}

/// Calls whose parameters the detections, the instance tracking and the blast radius read:
/// kept parsed on the event, so a million archived events need not be read twice for the
/// few that matter.
const KEEP_PARAMETERS: &[&str] = &[
    "RunInstances",
    "StartInstances",
    "StopInstances",
    "TerminateInstances",
    "ModifyInstanceAttribute",
    "ImportKeyPair",
    "CreateKeyPair",
    "CreateSecurityGroup",
    "AuthorizeSecurityGroupIngress",
    "ModifySnapshotAttribute",
    "ModifyImageAttribute",
    "CreateFunction",
    "CreateFunction20150331",
    "RequestSpotInstances",
    "RequestSpotFleet",
    "CreateFleet",
    "CreateAccessKey",
    "CreateUser",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "AttachUserPolicy",
    "AttachRolePolicy",
    "AttachGroupPolicy",
    "PutUserPolicy",
    "PutRolePolicy",
    "PutGroupPolicy",
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "ConsoleLogin",
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "PutBucketPolicy",
    "PutBucketAcl",
    "PutObjectAcl",
    "DeleteBucketPublicAccessBlock",
    "DeletePublicAccessBlock",
    "PutBucketPublicAccessBlock",
    "PutPublicAccessBlock",
    "PutAccountPublicAccessBlock",
    "PutKeyPolicy",
    "SetQueueAttributes",
    "SetTopicAttributes",
    "SetRepositoryPolicy",
    "PutResourcePolicy",
    "AddPermission",
    "AddPermission20150331",
    "AddPermission20150331v2",
    "AddLayerVersionPermission",
    "AddLayerVersionPermission20181031",
    "ModifyDBInstance",
    "CreateDBInstance",
    "ModifyDBCluster",
    "RestoreDBInstanceFromDBSnapshot",
    "ModifyDBSnapshotAttribute",
    "ModifyDBClusterSnapshotAttribute",
    "StartExportTask",
    "UpdateProjectVisibility",
    "PutBucketVersioning",
    "DeleteBucketReplication",
    "DeleteBucketEncryption",
    "DeleteBucketLifecycle",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "PutObject",
    "DisableKey",
    "ScheduleKeyDeletion",
    "DeleteDBInstance",
    "DeleteDBCluster",
    "DeleteDBSnapshot",
    "DeleteDBClusterSnapshot",
    "DeleteSnapshot",
    "DeleteRecoveryPoint",
    "DeleteBackupVault",
    "DeleteBackupPlan",
    "DeleteDetector",
    "UpdateDetector",
    "CreateFilter",
    "UpdateFilter",
    "CreateIPSet",
    "UpdateIPSet",
    "UpdateMacieSession",
    "BatchUpdateFindings",
    "UpdateFindings",
    "CreateAutomationRule",
    "BatchUpdateAutomationRules",
    "DisassociateWebACL",
    "DeleteWebACL",
    "DeleteGuardrail",
    "StopActivityStream",
    "PutBucketLogging",
    "CreateNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "AuthorizeDBSecurityGroupIngress",
    "UpdateFunctionCode",
    "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration",
    "UpdateFunctionConfiguration20150331v2",
    "PublishLayerVersion",
    "PublishLayerVersion20181031",
    "PublishVersion",
    "PublishVersion20150331",
    "PutImage",
    "BatchDeleteImage",
    "CreateRepository",
    "DeleteAccountPublicAccessBlock",
    "CreateQueue",
    "CreateTopic",
    "PutBucketEncryption",
    "DeleteBackupVaultLockConfiguration",
    "ModifySecurityGroupRules",
    "CreateFindingsFilter",
    "UpdateFindingsFilter",
    "UpdateClassificationJob",
];

/// [`KEEP_PARAMETERS`] as a set: asked once for each of a million events.
fn keeps_parameters(event_name: &str) -> bool {
    static KEEP: std::sync::LazyLock<foldhash::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| KEEP_PARAMETERS.iter().copied().collect());
    KEEP.contains(event_name)
}

/// The parameters of `Create*` calls that name what they create.
#[derive(Deserialize)]
struct WireRequest<'a> {
    #[serde(rename = "tableName", borrow, default)]
    table: Option<Lenient<'a>>,
    #[serde(rename = "bucketName", borrow, default)]
    bucket: Option<Lenient<'a>>,
    #[serde(rename = "userName", borrow, default)]
    user: Option<Lenient<'a>>,
    #[serde(rename = "roleName", borrow, default)]
    role: Option<Lenient<'a>>,
    #[serde(rename = "functionName", borrow, default)]
    function: Option<Lenient<'a>>,
    #[serde(rename = "groupName", borrow, default)]
    group: Option<Lenient<'a>>,
    #[serde(rename = "stackName", borrow, default)]
    stack: Option<Lenient<'a>>,
    #[serde(rename = "groupId", borrow, default)]
    group_id: Option<Lenient<'a>>,
}

impl WireRequest<'_> {
    fn created_name(&self) -> Option<&str> {
        [
            &self.table,
            &self.bucket,
            &self.user,
            &self.role,
            &self.function,
            &self.group,
            &self.stack,
            &self.group_id,
        ]
        .into_iter()
        .find_map(|f| text(f))
    }
}

#[derive(Deserialize)]
struct WireIdentity<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Lenient<'a>>,
    #[serde(rename = "principalId", borrow, default)]
    principal_id: Option<Lenient<'a>>,
    #[serde(borrow, default)]
    arn: Option<Lenient<'a>>,
    #[serde(rename = "accountId", borrow, default)]
    account_id: Option<Lenient<'a>>,
    #[serde(rename = "accessKeyId", borrow, default)]
    access_key_id: Option<Lenient<'a>>,
    #[serde(rename = "userName", borrow, default)]
    user_name: Option<Lenient<'a>>,
    #[serde(rename = "invokedBy", borrow, default)]
    invoked_by: Option<Lenient<'a>>,
    #[serde(rename = "sessionContext", borrow, default)]
    session_context: Option<WireSession<'a>>,
}

#[derive(Deserialize)]
struct WireSession<'a> {
    #[serde(rename = "sessionIssuer", borrow, default)]
    session_issuer: Option<WireIssuer<'a>>,
}

#[derive(Deserialize)]
struct WireIssuer<'a> {
    #[serde(rename = "userName", borrow, default)]
    user_name: Option<Lenient<'a>>,
}

#[derive(Deserialize)]
struct WireUnparsed<'a> {
    #[serde(borrow, default)]
    error: Option<Lenient<'a>>,
}

/// The handle of a field that may be absent.
fn opt_sym(s: Option<&str>) -> Option<Sym> {
    s.map(Sym::new)
}

/// An event's time: one a replay clock and a `--since` can stand on. A time CloudTrail
/// cannot have written (a placeholder `9999-12-31`, an epoch zero) would stretch the clock
/// over centuries, so it is named, like an unreadable one.
pub fn parse_event_time(s: &str) -> Result<DateTime<Utc>, EventParseError> {
    let t = super::time::parse(s).ok_or_else(|| EventParseError::BadTime(s.to_string()))?;
    if !super::time::RECORDED_YEARS.contains(&chrono::Datelike::year(&t)) {
        return Err(EventParseError::ImplausibleTime(s.to_string()));
    }
    Ok(t)
}

/// An event's principal as the console shows it: `alice`, `Deployer/gh-actions`, `root`.
pub struct PrincipalName<'a>(&'a CloudTrailEvent);

impl fmt::Display for PrincipalName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.identity.name().fmt(f)
    }
}

impl CloudTrailEvent {
    /// The event's `eventID` (made from its text when it has none: see `synthetic_id`).
    pub fn event_id(&self) -> EventId<'_> {
        EventId::of(&self.id, self.text_id())
    }

    /// What finds this event in an index by ID.
    pub fn id_key(&self) -> IdKey<'_> {
        match self.text_id() {
            Some(t) => IdKey::Text(t),
            None => IdKey::Uuid(self.id),
        }
    }

    /// Whether the event came with an ID at all (one without, or with an empty one, is
    /// never the same as another).
    pub fn has_id(&self) -> bool {
        self.text_id().is_none_or(|t| !t.is_empty())
    }

    fn text_id(&self) -> Option<&str> {
        if self.id != [0; 16] {
            return None;
        }
        Some(
            self.rare
                .as_ref()
                .and_then(|r| r.event_id.as_deref())
                .unwrap_or_default(),
        )
    }

    /// The error's message, for a call that failed with one.
    pub fn error_message(&self) -> Option<&str> {
        self.rare.as_ref()?.error_message.as_deref()
    }

    /// Set when the source's JSON for this event could not be read: why. The event is then
    /// built from what the source said around it, and the original text is kept.
    pub fn malformed(&self) -> Option<&str> {
        self.rare.as_ref()?.malformed.as_deref()
    }

    /// For a successful `Create*` call: the name of what it created (a table, a user…), so
    /// a finding can say who created its resource without reading the raw JSON again.
    pub fn created(&self) -> Option<&str> {
        self.rare.as_ref()?.created.as_deref()
    }

    /// `requestParameters`, `responseElements` and `additionalEventData`, for the calls the
    /// detections look into (see `KEEP_PARAMETERS`).
    pub fn params(&self) -> Option<&Value> {
        self.rare.as_ref()?.params.as_deref()
    }

    /// One line about the event, for the timeline and the postmortem.
    pub fn summary(&self) -> String {
        format!(
            "{} {} by {} from {}{}",
            self.service(),
            self.event_name,
            self.principal(),
            self.source_ip,
            self.error_code
                .as_ref()
                .map(|c| format!(" — {c}"))
                .unwrap_or_default()
        )
    }

    /// The principal as the console shows it (`identity.display()`, without allocating).
    pub fn principal(&self) -> PrincipalName<'_> {
        PrincipalName(self)
    }

    /// Parses one event from its JSON text, keeping the text.
    pub fn from_json(raw: &str) -> Result<Self, EventParseError> {
        Self::parse(raw).map(|e| e.with_raw(Arc::from(raw)))
    }

    /// Parses one event of an archive file; its JSON stays in the file (never copied: a
    /// million events would hold a million copies for a moment each).
    pub fn from_archive(
        raw: &str,
        source: SharedSource,
        index: u32,
    ) -> Result<Self, EventParseError> {
        Self::parse(raw).map(|e| e.stored_elsewhere(source, index))
    }

    /// Parses one event from an already-parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Self, EventParseError> {
        if !value.is_object() {
            return Err(EventParseError::NotObject);
        }
        Self::from_json(&value.to_string())
    }

    fn with_raw(mut self, raw: Arc<str>) -> Self {
        self.raw = RawJson::Inline(Box::new(raw));
        self
    }

    fn parse(raw: &str) -> Result<Self, EventParseError> {
        let trimmed = raw.trim_start();
        if !trimmed.starts_with('{') {
            return match serde_json::from_str::<IgnoredAny>(raw) {
                Ok(_) => Err(EventParseError::NotObject),
                Err(e) => Err(EventParseError::Json(e.to_string())),
            };
        }
        let w: Wire<'_> =
            serde_json::from_str(raw).map_err(|e| EventParseError::Json(e.to_string()))?;
        let time_text = text(&w.event_time).ok_or(EventParseError::MissingTime)?;
        let event_time = parse_event_time(time_text)?;
        let ui = w.user_identity.as_ref();
        let kind = ui.and_then(|u| text(&u.kind)).unwrap_or_default();
        let arn = ui.and_then(|u| text(&u.arn)).unwrap_or_default();
        let (user_name, session_name) = if kind == "AssumedRole" {
            let issuer = ui
                .and_then(|u| u.session_context.as_ref())
                .and_then(|s| s.session_issuer.as_ref())
                .and_then(|i| text(&i.user_name));
            // assumed-role/<role>/<session>
            let role = issuer.or_else(|| arn.split('/').nth(1));
            (role, arn.split('/').nth(2))
        } else {
            (ui.and_then(|u| text(&u.user_name)), None)
        };
        // The principal's ID and ARN are kept only when its name cannot be told without
        // them: for sessions they are unique, and a million events would carry a million
        // of each for nothing (the raw JSON still has them).
        let named = match kind {
            "AssumedRole" => user_name.is_some() && session_name.is_some(),
            "Root" => true,
            "AWSService" => ui.and_then(|u| text(&u.invoked_by)).is_some(),
            _ => user_name.is_some(),
        };
        fn unless(named: bool, v: &str) -> &str {
            if named { "" } else { v }
        }
        let identity = Identity {
            kind: Sym::new(kind),
            principal_id: Sym::new(unless(
                named,
                ui.and_then(|u| text(&u.principal_id)).unwrap_or_default(),
            )),
            arn: Sym::new(unless(named, arn)),
            account_id: Sym::new(ui.and_then(|u| text(&u.account_id)).unwrap_or_default()),
            access_key_id: opt_sym(
                ui.and_then(|u| text(&u.access_key_id))
                    .filter(|k| !k.is_empty()),
            ),
            user_name: opt_sym(user_name),
            session_name: opt_sym(session_name),
            invoked_by: opt_sym(ui.and_then(|u| text(&u.invoked_by))),
        };
        let (id, event_id) = match text(&w.event_id) {
            Some(id) => match super::event_id::pack(id) {
                Some(bytes) => (bytes, None),
                None => ([0; 16], Some(Text::from(id))),
            },
            None => ([0; 16], Some(Text::from(synthetic_id(raw)))),
        };
        Ok(CloudTrailEvent {
            id,
            event_time,
            event_name: Sym::new(text(&w.event_name).unwrap_or_default()),
            event_source: Sym::new(text(&w.event_source).unwrap_or_default()),
            aws_region: Sym::new(text(&w.aws_region).unwrap_or_default()),
            source_ip: Sym::new(text(&w.source_ip).unwrap_or_default()),
            user_agent: Sym::new(text(&w.user_agent).unwrap_or_default()),
            identity,
            error_code: opt_sym(text(&w.error_code)),
            read_only: text(&w.read_only).and_then(|r| r.parse().ok()),
            rare: Rare {
                event_id,
                error_message: text(&w.error_message).map(Text::from),
                malformed: w
                    .unparsed
                    .as_ref()
                    .and_then(|u| text(&u.error))
                    .map(Text::from),
                created: w
                    .request
                    .filter(|_| {
                        text(&w.event_name).is_some_and(|n| n.starts_with("Create"))
                            && text(&w.error_code).is_none()
                    })
                    .and_then(|r| serde_json::from_str::<WireRequest<'_>>(r.get()).ok())
                    .and_then(|r| r.created_name().map(Text::from)),
                params: text(&w.event_name)
                    .filter(|n| keeps_parameters(n))
                    .map(|_| {
                        let parse = |r: Option<&serde_json::value::RawValue>| {
                            r.and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
                                .unwrap_or(Value::Null)
                        };
                        Arc::new(serde_json::json!({
                            "requestParameters": parse(w.request),
                            "responseElements": parse(w.response),
                            "additionalEventData": parse(w.additional),
                        }))
                    }),
            }
            .boxed(),
            raw: RawJson::Inline(Box::default()),
        })
    }

    /// Lets the raw text go, to be read again from `source` when needed.
    pub fn stored_elsewhere(mut self, source: SharedSource, index: u32) -> Self {
        self.raw = RawJson::Elsewhere(source, index);
        self
    }

    /// The event's JSON as it arrived.
    pub fn raw_text(&self) -> Arc<str> {
        match &self.raw {
            RawJson::Inline(s) => Arc::clone(s),
            RawJson::Elsewhere(source, index) => Arc::from(
                source
                    .record(*index)
                    .unwrap_or_else(|| {
                        format!("{{\"eventID\":\"{}\",\"{UNPARSED_FIELD}\":\"no longer readable at {}\"}}", self.event_id(), source.describe())
                    })
                    .as_str(),
            ),
        }
    }

    /// Whether the raw JSON is held in memory.
    pub fn raw_is_inline(&self) -> bool {
        matches!(self.raw, RawJson::Inline(_))
    }

    /// The short service name: `ec2` for `ec2.amazonaws.com`.
    pub fn service(&self) -> &str {
        self.event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(&self.event_source)
    }

    /// The full parsed JSON (parsed on demand: only the detail view and rules need it).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.raw_text()).unwrap_or(Value::Null)
    }

    /// The raw event pretty-printed for the detail view.
    pub fn pretty(&self) -> String {
        let raw = self.raw_text();
        match serde_json::from_str::<Value>(&raw) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| raw.to_string()),
            Err(_) => raw.to_string(),
        }
    }

    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }

    /// The stack and logical ID CloudFormation tagged what this call created with
    /// (`aws:cloudformation:stack-name`, `aws:cloudformation:logical-id`), wherever the
    /// request carries its tags (`tags`, `Tags`, `tagSpecificationSet.items[].tags`…).
    pub fn cloudformation_stack(&self) -> Option<super::StackResource> {
        let json = self.json();
        let mut stack = None;
        let mut logical_id = None;
        tags_in(json.get("requestParameters")?, &mut |k, v| match k {
            "aws:cloudformation:stack-name" => stack = Some(v.to_string()),
            "aws:cloudformation:logical-id" => logical_id = Some(v.to_string()),
            _ => {}
        });
        Some(super::StackResource {
            stack: stack?,
            logical_id: logical_id?,
        })
    }
}

/// Every tag (`{key, value}` or `{Key, Value}`) anywhere under `v`, and tag maps
/// (`"tags": {"k": "v"}`, as Lambda writes them).
fn tags_in(v: &Value, found: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::Object(m) => {
            let pair = |a: &str, b: &str| Some((m.get(a)?.as_str()?, m.get(b)?.as_str()?));
            if let Some((k, v)) = pair("key", "value").or_else(|| pair("Key", "Value")) {
                found(k, v);
            }
            for (k, child) in m {
                match child {
                    Value::String(s) if k.starts_with("aws:cloudformation:") => found(k, s),
                    _ => tags_in(child, found),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| tags_in(c, found)),
        _ => {}
    }
}

/// A stable identifier for an event that has none, so that de-duplication still works.
fn synthetic_id(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(raw.as_bytes());
    format!("synthetic-{}", &hex::encode(digest)[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRATUS: &str = include_str!(
        "../../tests/data/stratus-detonation-logs/aws.persistence.iam-backdoor-user.json"
    );

    #[test]
    fn parses_real_stratus_event_without_validating_anonymised_values() {
        let events: Vec<Value> = serde_json::from_str(STRATUS).unwrap();
        let e = CloudTrailEvent::from_value(&events[0]).unwrap();
        assert_eq!(e.event_name, "CreateAccessKey");
        assert_eq!(e.aws_region, "ap-central-2r");
        assert_eq!(e.source_ip, "211.9.016.253");
        assert_eq!(
            e.identity.access_key_id.as_deref(),
            Some("AKIA30BEZSJBVKOFKZW0")
        );
        assert_eq!(e.identity.display(), "christophe");
        assert_eq!(e.service(), "iam");
        assert!(e.error_code.is_none());
    }

    #[test]
    fn the_stack_a_resource_came_from_is_read_from_its_tags() {
        // RunInstances as CloudFormation calls it: tags in a tag specification.
        let run = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"RunInstances","requestParameters":{"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"aws:cloudformation:stack-name","value":"web"},{"key":"team","value":"x"},{"key":"aws:cloudformation:logical-id","value":"WebServer"}]}]}}}"#;
        let stack = CloudTrailEvent::from_json(run)
            .unwrap()
            .cloudformation_stack()
            .unwrap();
        assert_eq!(
            (stack.stack.as_str(), stack.logical_id.as_str()),
            ("web", "WebServer")
        );
        // DynamoDB's `Tags` with capitals; Lambda's tag map.
        let table = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"CreateTable","requestParameters":{"tableName":"orders","tags":[{"Key":"aws:cloudformation:logical-id","Value":"Orders"},{"Key":"aws:cloudformation:stack-name","Value":"shop"}]}}"#;
        let stack = CloudTrailEvent::from_json(table)
            .unwrap()
            .cloudformation_stack();
        assert_eq!(stack.unwrap().logical_id, "Orders");
        let function = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"CreateFunction20150331","requestParameters":{"tags":{"aws:cloudformation:stack-name":"api","aws:cloudformation:logical-id":"Handler"}}}"#;
        let stack = CloudTrailEvent::from_json(function)
            .unwrap()
            .cloudformation_stack();
        assert_eq!(stack.unwrap().stack, "api");
        // Half a pair is no stack.
        let half = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"CreateTable","requestParameters":{"tags":[{"Key":"aws:cloudformation:stack-name","Value":"shop"}]}}"#;
        assert_eq!(
            CloudTrailEvent::from_json(half)
                .unwrap()
                .cloudformation_stack(),
            None
        );
    }

    #[test]
    fn assumed_role_names_role_and_session() {
        let raw = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":"X","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Deployer/gh-123","sessionContext":{"sessionIssuer":{"userName":"Deployer"}}}}"#;
        let e = CloudTrailEvent::from_json(raw).unwrap();
        assert_eq!(e.identity.display(), "Deployer/gh-123");
        assert_eq!(e.identity.principal_name(), "Deployer");
        assert!(e.event_id().starts_with("synthetic-"));
    }

    #[test]
    fn odd_values_are_read_leniently_and_strings_are_shared() {
        let raw = r#"{"eventTime":"2026-01-01T00:00:00Z","eventName":42,"readOnly":"true","awsRegion":null,"userAgent":{"nested":[1,2]},"userIdentity":{"type":"IAMUser","userName":"a\"b"}}"#;
        let e = CloudTrailEvent::from_json(raw).unwrap();
        assert_eq!(e.event_name, "42");
        assert_eq!(e.read_only, Some(true));
        assert_eq!(e.aws_region, "");
        assert_eq!(e.user_agent, "");
        assert_eq!(e.identity.user_name.as_deref(), Some("a\"b"));
        let again = CloudTrailEvent::from_json(raw).unwrap();
        assert_eq!(again.identity.kind, e.identity.kind);
        assert_eq!(&*e.raw_text(), raw);
    }

    #[derive(Debug)]
    struct OneRecord(String);

    impl RawSource for OneRecord {
        fn record(&self, index: u32) -> Option<String> {
            (index == 0).then(|| self.0.clone())
        }
        fn describe(&self) -> String {
            "test".into()
        }
    }

    #[test]
    fn raw_text_can_live_elsewhere_and_come_back() {
        let raw = r#"{"eventTime":"2026-01-01T00:00:00Z","eventID":"e1","eventName":"X"}"#;
        let e = CloudTrailEvent::from_json(raw)
            .unwrap()
            .stored_elsewhere(Arc::new(Box::new(OneRecord(raw.to_string()))), 0);
        assert!(!e.raw_is_inline());
        assert_eq!(&*e.raw_text(), raw);
        assert_eq!(e.json()["eventName"], "X");
    }

    /// The console holds millions of these: 112 bytes, and with its reference counts one
    /// 128-byte allocation each. A field that grows it should go in `Rare`.
    #[test]
    fn an_event_stays_small() {
        assert!(std::mem::size_of::<CloudTrailEvent>() <= 112);
        assert_eq!(std::mem::size_of::<RawJson>(), 16);
    }

    #[test]
    fn rejects_events_without_time_and_says_why() {
        assert_eq!(
            CloudTrailEvent::from_json(r#"{"eventName":"X"}"#),
            Err(EventParseError::MissingTime)
        );
        assert!(matches!(
            CloudTrailEvent::from_json(r#"{"eventTime":"yesterday"}"#),
            Err(EventParseError::BadTime(_))
        ));
        assert!(matches!(
            CloudTrailEvent::from_json("{"),
            Err(EventParseError::Json(_))
        ));
    }

    #[test]
    fn a_time_cloudtrail_cannot_have_written_is_named_not_kept() {
        for t in [
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2101-01-01T00:00:00Z",
        ] {
            let e = CloudTrailEvent::from_json(&format!(r#"{{"eventTime":"{t}"}}"#));
            assert_eq!(e, Err(EventParseError::ImplausibleTime(t.into())), "{t}");
        }
        let message = EventParseError::ImplausibleTime("9999-12-31T23:59:59Z".into()).to_string();
        assert!(message.contains("2013 to 2099"), "{message}");
        assert!(CloudTrailEvent::from_json(r#"{"eventTime":"2013-11-13T00:00:00Z"}"#).is_ok());
    }
}
