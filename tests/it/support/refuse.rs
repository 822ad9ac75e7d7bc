//! An injected refusal, for what moto cannot do: its STS assumes any role for anyone. This
//! HTTP client passes every request to moto except `AssumeRole` into the accounts named,
//! which it answers as STS answers a caller the role does not trust (HTTP 403,
//! AccessDenied). It is a mock, and named as one.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

#[derive(Debug, Clone)]
pub struct RefuseAssumeRole {
    inner: SharedHttpClient,
    /// Accounts whose roles cannot be assumed.
    accounts: Vec<String>,
}

impl RefuseAssumeRole {
    /// Refuses `AssumeRole` into `accounts`; everything else goes to the endpoint over plain
    /// HTTP.
    pub fn into(accounts: &[&str]) -> SharedHttpClient {
        SharedHttpClient::new(RefuseAssumeRole {
            inner: aws_smithy_http_client::Builder::new().build_http(),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
        })
    }
}

impl HttpClient for RefuseAssumeRole {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Refusing {
            inner: self.inner.http_connector(settings, components),
            accounts: self.accounts.clone(),
        })
    }
}

#[derive(Debug)]
struct Refusing {
    inner: SharedHttpConnector,
    accounts: Vec<String>,
}

impl HttpConnector for Refusing {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).to_string())
            .unwrap_or_default();
        let refused = self
            .accounts
            .iter()
            .filter(|_| body.contains("Action=AssumeRole"))
            .find(|a| body.contains(&format!("arn%3Aaws%3Aiam%3A%3A{a}%3Arole")));
        if let Some(account) = refused {
            let xml = format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/responder is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/WarroomIncidentReadOnly</Message></Error><RequestId>refused</RequestId></ErrorResponse>"
            );
            let mut response =
                HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(xml));
            response.headers_mut().insert("content-type", "text/xml");
            return HttpConnectorFuture::ready(Ok(response));
        }
        self.inner.call(request)
    }
}
