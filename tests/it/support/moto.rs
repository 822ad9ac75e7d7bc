//! moto's server standing in for AWS. A server keeps one account's state for its whole
//! life, so each test starts its own: a fresh, empty account on its own loopback port.

use super::tail;
use aws_sdk_sts::config::Credentials;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The account moto answers as, unless told otherwise.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// Not twelve digits: moto takes a twelve-digit access key id as the account to act in.
const ACCESS_KEY_ID: &str = "testing";
const SECRET_ACCESS_KEY: &str = "testing";

/// Importing moto takes a couple of seconds on an idle machine; a loaded CI machine
/// compiling beside the tests can take many times that.
const STARTUP: Duration = Duration::from_secs(60);
/// Another process can take the port between our probe and moto's bind; a new port fixes it.
const PORT_ATTEMPTS: usize = 5;
const LOG_TAIL_LINES: usize = 30;

/// A running moto server, stopped when dropped.
pub struct Moto {
    /// `http://127.0.0.1:PORT`, for an SDK's endpoint URL.
    pub endpoint: String,
    addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

/// Why one launch did not give a server.
enum Launch {
    PortTaken,
    Failed(String),
}

impl Moto {
    /// Starts a server and returns once it answers HTTP. Panics, with the end of moto's
    /// log, when it cannot.
    pub fn start() -> Moto {
        let server = super::python::venv().join("bin/moto_server");
        for _ in 0..PORT_ATTEMPTS {
            match launch(&server, free_port()) {
                Ok(moto) => return moto,
                Err(Launch::PortTaken) => continue,
                Err(Launch::Failed(why)) => panic!("moto did not start: {why}"),
            }
        }
        panic!("moto did not start: {PORT_ATTEMPTS} free ports were taken before it bound them");
    }

    /// An SDK configuration for this server: its endpoint, fake static credentials (moto
    /// checks no signature), us-east-1. `aws_sdk_iam::Client::new(&cfg)` and the like.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "moto");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(warroom::source::aws::connect::https_client())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new(REGION))
            .credentials_provider(credentials)
            // moto's errors are answers, not hiccups (an HTTP 500 is "not implemented"):
            // retrying them only makes the test slower.
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await
    }

    /// The environment that points an AWS SDK, such as the one in the warroom binary, at
    /// this server.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_REGION", REGION),
            // The Rust SDK reads AWS_REGION first; boto3 (Python helpers) reads only this one.
            ("AWS_DEFAULT_REGION", REGION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Creates an S3 bucket (CloudTrail wants one for a trail) with a bare HTTP request:
    /// moto takes it unsigned, and the tests need no S3 client for one call.
    pub fn create_bucket(&self, name: &str) {
        let status = http_status(self.addr, "PUT", &format!("/{name}"), "")
            .unwrap_or_else(|e| panic!("create bucket {name}: {e}"));
        assert_eq!(status, 200, "create bucket {name}: HTTP {status}");
    }

    /// Queues the results moto's Athena gives the next queries, one result per query in
    /// the order they are asked for (moto runs no SQL): `results` is moto's JSON, a list of
    /// `{"rows": [{"Data": [{"VarCharValue": …}]}], "column_info": [{"Name": …, "Type": …}]}`.
    pub fn queue_athena_results(&self, results: &serde_json::Value) {
        let body = serde_json::json!({ "results": results }).to_string();
        let status = http_status(
            self.addr,
            "POST",
            "/moto-api/static/athena/query-results",
            &body,
        )
        .unwrap_or_else(|e| panic!("queue Athena results: {e}"));
        assert_eq!(status, 201, "queue Athena results: HTTP {status}");
    }

    /// From now on moto checks every request's signature and IAM policies, as AWS does:
    /// only access keys of IAM users created in it are accepted. Set up the account first.
    pub fn enforce_iam(&self) {
        let status = http_status(self.addr, "POST", "/moto-api/reset-auth", "0")
            .unwrap_or_else(|e| panic!("turn on moto's IAM checks: {e}"));
        assert_eq!(status, 200, "turn on moto's IAM checks: HTTP {status}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test keeps the server's log for whoever reads the failure.
        if std::thread::panicking() {
            eprintln!("moto's log: {}", self.log.display());
        } else {
            let _ = fs::remove_file(&self.log);
        }
    }
}

/// A port nobody listens on right now. The listener closes before moto binds, hence the
/// retries in `Moto::start`.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

fn launch(server: &Path, port: u16) -> Result<Moto, Launch> {
    let log = log_path(port);
    let out = File::create(&log).expect("create moto's log");
    let err = out.try_clone().expect("share moto's log");
    let child = Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        // The account is fixed for the tests, whatever the developer's shell says.
        .env_remove("MOTO_ACCOUNT_ID")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", server.display()));
    let mut moto = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        child,
        log,
    };
    // On failure `moto` is dropped here, which stops the process and keeps its log.
    wait_until_ready(&mut moto)?;
    Ok(moto)
}

/// One log per server; the process id keeps two test binaries that drew the same port
/// from writing into one file.
fn log_path(port: u16) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-logs");
    fs::create_dir_all(&dir).expect("create the folder for moto's logs");
    dir.join(format!("moto-{}-{port}.log", std::process::id()))
}

/// Ready means *this* process bound the port (its log says so: a port taken by someone
/// else can answer too) and moto's API answers there.
fn wait_until_ready(moto: &mut Moto) -> Result<(), Launch> {
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        let log = fs::read_to_string(&moto.log).unwrap_or_default();
        if let Some(status) = moto.child.try_wait().expect("poll moto's process") {
            return Err(if log.contains("Address already in use") {
                Launch::PortTaken
            } else {
                Launch::Failed(format!(
                    "it exited ({status}):\n{}",
                    tail(&log, LOG_TAIL_LINES)
                ))
            });
        }
        let bound = log.contains("Running on");
        if bound && matches!(http_status(moto.addr, "GET", "/moto-api/", ""), Ok(200)) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = fs::read_to_string(&moto.log).unwrap_or_default();
    Err(Launch::Failed(format!(
        "no answer on {} within {STARTUP:?}:\n{}",
        moto.endpoint,
        tail(&log, LOG_TAIL_LINES)
    )))
}

/// The status code of a bare HTTP request: enough for polling and for calls moto takes
/// unsigned, without an HTTP client crate.
fn http_status(addr: SocketAddr, method: &str, path: &str, body: &str) -> io::Result<u16> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let head = String::from_utf8_lossy(&response);
    // "HTTP/1.1 200 OK"
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other(format!("not an HTTP response: {:.80}", head)))
}
