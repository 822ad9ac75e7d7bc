//! Every account of an organization, against moto: its accounts listed by Organizations, each
//! reached through STS AssumeRole (moto keeps each account's IAM apart, and answers assumed
//! credentials in the role's account), keys listed per account, and a deactivation that lands
//! in the account its calls name and no other. One account's refusal is injected (moto's STS
//! never refuses; see `support/refuse.rs`) and that account alone is left out.

use crate::support::moto::{ACCOUNT_ID, Moto};
use crate::support::refuse::RefuseAssumeRole;
use warroom::model::{ApiCall, KeyStatus};
use warroom::respond::ResponseApi;
use warroom::source::aws::accounts::{self, AccountOptions};
use warroom::source::aws::connect::Account;
use warroom::source::aws::iam::IamSource;
use warroom::source::aws::live;

/// An account outside the organization whose role refuses the console.
const REFUSING: &str = "999999999999";

async fn organization(sdk: &aws_config::SdkConfig) -> Vec<String> {
    let orgs = aws_sdk_organizations::Client::new(sdk);
    orgs.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let mut members = Vec::new();
    for name in ["payments", "data"] {
        let made = orgs
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
        members.push(
            made.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    members
}

/// The user `deploy` with one access key, in the account `sdk` acts in; the key's ID.
async fn deploy_key(sdk: &aws_config::SdkConfig) -> String {
    let iam = aws_sdk_iam::Client::new(sdk);
    iam.create_user().user_name("deploy").send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name("deploy")
        .send()
        .await
        .unwrap();
    key.access_key().unwrap().access_key_id().to_string()
}

async fn status_of(sdk: &aws_config::SdkConfig, key: &str) -> String {
    let keys = aws_sdk_iam::Client::new(sdk)
        .list_access_keys()
        .user_name("deploy")
        .send()
        .await
        .unwrap();
    let k = keys
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(key))
        .unwrap_or_else(|| panic!("{key} not in its account"));
    k.status().unwrap().as_str().to_string()
}

fn deactivate(account: Option<&str>, key: &str) -> ApiCall {
    let mut call = ApiCall::new(
        "iam",
        "UpdateAccessKey",
        None,
        serde_json::json!({"UserName": "deploy", "AccessKeyId": key, "Status": "Inactive"}),
    );
    call.account = account.map(str::to_string);
    call
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_account_is_reached_through_its_role_and_a_response_lands_in_its_own() {
    let moto = Moto::start();
    let plain = moto.sdk_config().await;
    let members = organization(&plain).await;
    let home_sdk = plain
        .to_builder()
        .http_client(RefuseAssumeRole::into(&[REFUSING]))
        .build();
    let home = Account {
        sdk: home_sdk,
        regions: vec!["us-east-1".into()],
        account_id: ACCOUNT_ID.into(),
        arn: format!("arn:aws:iam::{ACCOUNT_ID}:user/responder"),
        own_key: None,
        note: None,
        alias: None,
    };
    let opts = AccountOptions {
        accounts: vec![REFUSING.into()],
        org: true,
        role_name: accounts::DEFAULT_ROLE.into(),
        response_role_name: accounts::DEFAULT_RESPONSE_ROLE.into(),
        responder: "dana kim".into(),
    };
    let (reached, unreachable) = accounts::reach(&home, &opts).await.unwrap();

    // The organization's three (the management account with the console's own credentials),
    // each in its own account; the refusing one alone left out, with STS's reason.
    let mut ids: Vec<&str> = reached
        .iter()
        .map(|m| m.account.account_id.as_str())
        .collect();
    ids.sort();
    let mut expected: Vec<&str> = members
        .iter()
        .map(String::as_str)
        .chain([ACCOUNT_ID])
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(unreachable.len(), 1);
    assert_eq!(unreachable[0].account_id, REFUSING);
    let why = &unreachable[0].failure.message;
    assert!(
        why.contains("cannot assume arn:aws:iam::999999999999:role/WarroomIncidentReadOnly")
            && why.contains("AccessDenied"),
        "{why}"
    );
    let payments = reached
        .iter()
        .find(|m| m.account.account_id == members[0])
        .unwrap();
    let data = reached
        .iter()
        .find(|m| m.account.account_id == members[1])
        .unwrap();
    assert!(
        payments.account.arn.starts_with(&format!(
            "arn:aws:sts::{}:assumed-role/WarroomIncidentReadOnly/warroom-dana-kim",
            members[0]
        )),
        "{}",
        payments.account.arn
    );
    assert!(
        payments.acting().contains(&format!(
            "account {} as arn:aws:iam::{}:role/WarroomIncidentResponse (session warroom-dana-kim)",
            members[0], members[0]
        )),
        "{}",
        payments.acting()
    );

    // The same user name in two accounts, a key each: listed in its own account.
    let payments_key = deploy_key(&payments.respond).await;
    let data_key = deploy_key(&data.respond).await;
    let listed = IamSource::new(aws_sdk_iam::Client::new(&payments.account.sdk))
        .snapshot()
        .await
        .unwrap();
    let keys: Vec<(&str, Option<&str>)> = listed
        .keys
        .iter()
        .map(|k| (k.access_key_id.as_str(), k.account.as_deref()))
        .collect();
    assert_eq!(keys, [(payments_key.as_str(), Some(members[0].as_str()))]);

    // A deactivation in `data` lands there, and `payments`' key stays active.
    let responders = live::responders(&reached);
    responders
        .call(&deactivate(Some(&members[1]), &data_key))
        .await
        .unwrap();
    assert_eq!(status_of(&data.respond, &data_key).await, "Inactive");
    assert_eq!(status_of(&payments.respond, &payments_key).await, "Active");
    assert_eq!(KeyStatus::Active.as_str(), "Active");

    // A call that names no account, or one not watched, is refused and nothing is done.
    let unnamed = responders
        .call(&deactivate(None, &payments_key))
        .await
        .unwrap_err();
    assert_eq!(unnamed.code, "AccountUnknown", "{unnamed:?}");
    let elsewhere = responders
        .call(&deactivate(Some(REFUSING), &payments_key))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code, "AccountNotWatched", "{elsewhere:?}");
    assert_eq!(status_of(&payments.respond, &payments_key).await, "Active");
}
