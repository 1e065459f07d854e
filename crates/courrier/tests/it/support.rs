//! The harness of the server tests: an in-process Courrier (fresh database,
//! blob directory, random master key, manual clock, demo data) serving on a
//! random local port; a cookie-keeping HTTP client that behaves like a
//! browser; `courrier` child processes and an SMTP server for the CLI and
//! multi-process tests.

use courrier_app::email::Mailer;
use courrier_app::vault::SecretKey;
use courrier_app::{App, Settings};
use courrier_domain::{
    Actor, Clock, EmailAddress, ManualClock, OrgId, OrgKind, OrgScope, Role, SystemClock,
    Timestamp, UserId,
};
use courrier_store::blob::BlobStore;
use courrier_store::testing::TestDb;
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// 2026-01-01T00:00:00Z, a whole TOTP step.
pub const T0: i64 = 1_767_225_600_000;

pub use courrier_testkit::Backend;

/// Ids of the demo data the tests use.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    pub helvetia: OrgId,
    pub dupont: OrgId,
    pub anna: UserId,
    pub sara: UserId,
    pub marie: UserId,
}

pub const ANNA: &str = "anna.meier@helvetia.test";
pub const SARA: &str = "sara.rossi@helvetia.test";
pub const MARIE: &str = "marie.dupont@dupont.test";
pub const PASSWORD: &str = courrier_app::demo::DEMO_PASSWORD;

/// A Courrier serving in this process. Fields drop in order: the server task
/// stops before the database it uses goes away.
pub struct Server {
    pub base: String,
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub demo: Demo,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _blob_dir: tempfile::TempDir,
    _db: TestDb,
}

impl Server {
    /// A server with the demo data loaded.
    pub async fn start(backend: Backend) -> Server {
        Server::start_with(backend, courrier_web::WebSettings::default(), None).await
    }

    /// A server with these web settings and, when given, a public URL other
    /// than its own address.
    pub async fn start_with(
        backend: Backend,
        web: courrier_web::WebSettings,
        public_url: Option<&str>,
    ) -> Server {
        let db = backend.test_db().await;
        let blob_dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(blob_dir.path().to_str().unwrap()).unwrap();
        let clock = Arc::new(ManualClock::at(Timestamp::from_millis(T0)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = App::new(
            db.store.clone(),
            blobs,
            SecretKey::random(),
            dyn_clock,
            Mailer::NotConfigured,
            courrier_app::scan::VirusScanner::Disabled,
            test_settings(public_url.unwrap_or(&base)),
        );
        app.load_demo().await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = courrier_web::AppState::with_settings(app.clone(), web);
        let task = tokio::spawn(courrier_web::serve(listener, state, async {
            let _ = rx.await;
        }));
        let demo = Demo {
            helvetia: user(&app, ANNA).await.org,
            dupont: user(&app, MARIE).await.org,
            anna: user(&app, ANNA).await.id,
            sara: user(&app, SARA).await.id,
            marie: user(&app, MARIE).await.id,
        };
        Server {
            base,
            app,
            clock,
            demo,
            shutdown: Some(tx),
            task: Some(task),
            _blob_dir: blob_dir,
            _db: db,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub fn api(&self, key: &str) -> Api {
        Api::new(&self.base, Some(key))
    }

    pub fn anonymous_api(&self) -> Api {
        Api::new(&self.base, None)
    }

    /// Anna as an actor of the app layer (admin of Helvetia).
    pub fn anna(&self) -> Actor {
        Actor::user(
            self.demo.anna,
            self.demo.helvetia,
            OrgKind::Customer,
            Role::Admin,
            None,
        )
    }

    /// Marie as an actor of the app layer (admin of Dupont).
    pub fn marie(&self) -> Actor {
        Actor::user(
            self.demo.marie,
            self.demo.dupont,
            OrgKind::Customer,
            Role::Admin,
            None,
        )
    }

    pub fn scope(&self, org: OrgId) -> OrgScope {
        OrgScope::system(org, "system:test")
    }

    /// A new API key with these permissions, created by `actor`.
    pub async fn key(&self, actor: &Actor, perms: &[courrier_domain::Permission]) -> String {
        self.app
            .create_api_key(actor, "test key", perms)
            .await
            .unwrap()
            .1
    }

    /// Signs in over HTTP, including the second factor for people who have one.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.browser();
        let res = b.login(email, PASSWORD).await;
        assert_eq!(res.status, 303, "login of {email}: {}", res.body);
        if res.location() == Some("/login/2fa") {
            let id = user(&self.app, email).await.id;
            let code = self.app.current_totp_code(id).await.unwrap();
            let res = b.second_factor(&code).await;
            assert_eq!(res.status, 303, "2FA of {email}: {}", res.body);
            assert_eq!(res.location(), Some("/"));
        }
        b
    }

    /// Stops serving and closes the database pool.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(10), task).await {
                Ok(joined) => joined.unwrap().unwrap(),
                Err(_) => panic!("the server did not shut down within 10 s"),
            }
        }
        self.app.store.close().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub async fn user(app: &App, email: &str) -> courrier_store::UserRecord {
    app.store
        .user_by_email(&EmailAddress::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no user {email}"))
}

// ----- HTTP -----

/// One answer, read completely. Every answer must carry `x-request-id`.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub async fn read(res: reqwest::Response) -> Resp {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let url = res.url().clone();
        let body = res.text().await.unwrap();
        let id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            !id.is_empty(),
            "{url} answered {status} without x-request-id"
        );
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `code` of a JSON error.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        scrape_attr(&self.body, r#"name="csrf_token" value=""#)
            .unwrap_or_else(|| panic!("no csrf_token on the page: {}", self.body))
    }
}

/// The value that follows `marker` up to the next double quote, unescaped.
pub fn scrape_attr(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    let rest = html.get(at..)?;
    let end = rest.find('"')?;
    Some(unescape(rest.get(..end)?))
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x3d;", "=")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A browser: keeps cookies, never follows redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            client: client(),
            base: base.to_string(),
        }
    }

    /// A browser whose every request carries this header (such as the
    /// `X-Forwarded-For` a proxy adds).
    pub fn with_header(base: &str, name: &'static str, value: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .timeout(Duration::from_secs(30))
                .default_headers(headers)
                .build()
                .unwrap(),
            base: base.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Resp {
        Resp::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        Resp::read(
            self.client
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Opens the login page (which sets the form cookie) and submits it.
    pub async fn login(&self, email: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200);
        let csrf = page.csrf();
        self.post_form(
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
            ],
        )
        .await
    }

    /// Submits a code on the second-factor page.
    pub async fn second_factor(&self, code: &str) -> Resp {
        let page = self.get("/login/2fa").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = page.csrf();
        self.post_form("/login/2fa", &[("code", code), ("csrf_token", &csrf)])
            .await
    }

    /// The session's CSRF token, read from a page like a browser would.
    pub async fn csrf(&self) -> String {
        let page = self.get("/account").await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.csrf()
    }

    /// An API request with the session cookie and, when given, the CSRF header.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        csrf: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Resp::read(req.send().await.unwrap()).await
    }
}

/// An API client with a bearer key (or none).
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub key: Option<String>,
}

impl Api {
    pub fn new(base: &str, key: Option<&str>) -> Api {
        Api {
            client: client(),
            base: base.to_string(),
            key: key.map(str::to_string),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.client.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(k) => req.bearer_auth(k),
            None => req,
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        Resp::read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }
}

// ----- child processes -----

pub const COURRIER: &str = env!("CARGO_BIN_EXE_courrier");

/// `courrier` with no `COURRIER_*` configuration inherited from the test's environment.
pub fn courrier() -> Command {
    let mut cmd = Command::new(COURRIER);
    for (k, _) in std::env::vars() {
        if k.starts_with("COURRIER_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("COURRIER_LOG", "warn").stdin(Stdio::null());
    cmd
}

/// The output of a finished command, as text.
pub struct Output {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A child process killed (and reaped) on drop; its output goes to a log file.
pub struct ChildGuard {
    pub child: Child,
    pub name: String,
    pub log: PathBuf,
}

impl ChildGuard {
    pub fn spawn(name: &str, cmd: &mut Command, log_dir: &Path) -> ChildGuard {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        ChildGuard {
            child,
            name: name.to_string(),
            log,
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fails the test with the log if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("{} exited ({status}):\n{}", self.name, self.log_text());
        }
    }

    /// Waits (at most 60 s) until a `courrier serve` child answers `/readyz`.
    pub async fn wait_ready(&mut self, base: &str) {
        let client = client();
        for _ in 0..600 {
            self.assert_running();
            if let Ok(res) = client.get(format!("{base}/readyz")).send().await
                && res.status().as_u16() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} was not ready at {base} within 60 s:\n{}",
            self.name,
            self.log_text()
        );
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the tests run in CI, where a missing service is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `python3 -m aiosmtpd` storing what it receives in a maildir; killed on drop.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// The interpreter that has aiosmtpd (Debian's python3-aiosmtpd installs it
    /// for /usr/bin/python3, which may not be the first python3 on PATH).
    fn python() -> Option<&'static str> {
        ["python3", "/usr/bin/python3"].into_iter().find(|py| {
            Command::new(py)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        })
    }

    /// Starts the server, or `None` when aiosmtpd is missing outside CI.
    pub async fn start() -> Option<SmtpServer> {
        let Some(python) = SmtpServer::python() else {
            assert!(
                !in_ci(),
                "python3-aiosmtpd is required in CI (apt-get install -y python3-aiosmtpd)"
            );
            eprintln!(
                "SKIPPED: python3-aiosmtpd is not installed (apt-get install -y python3-aiosmtpd)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let mut cmd = Command::new(python);
        cmd.args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdin(Stdio::null());
        let mut child = ChildGuard::spawn("aiosmtpd", &mut cmd, dir.path());
        for _ in 0..200 {
            child.assert_running();
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(SmtpServer {
                    port,
                    maildir,
                    _child: child,
                    _dir: dir,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not accept connections on port {port} within 10 s");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages delivered so far (files in maildir/new).
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

/// A header of a raw message (first occurrence, unfolded is not needed here).
pub fn mail_header(raw: &str, name: &str) -> Option<String> {
    raw.lines()
        .take_while(|l| !l.trim().is_empty())
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
}

/// An App on an existing database, for setting up what child processes serve.
pub fn app_on(db: &TestDb, master: SecretKey, blob_dir: &Path) -> Arc<App> {
    App::new(
        db.store.clone(),
        BlobStore::open(blob_dir.to_str().unwrap()).unwrap(),
        master,
        Arc::new(SystemClock),
        Mailer::NotConfigured,
        courrier_app::scan::VirusScanner::Disabled,
        test_settings("http://127.0.0.1"),
    )
}

/// Settings for `public_url`, templates rendered by `courrier render-worker`.
pub fn test_settings(public_url: &str) -> Settings {
    Settings {
        render: courrier_app::render::RenderSettings {
            worker: Some(courrier_app::render::WorkerCommand::new(
                COURRIER,
                &["render-worker"],
            )),
            ..courrier_app::render::RenderSettings::default()
        },
        ..Settings::new(public_url)
    }
}

/// A `multipart/form-data` body by hand: the fields, then the file parts
/// (part name, file name, bytes; a file name given as a path is sent by its
/// last component, as a browser does). Returns the content type and body.
pub fn multipart_form(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "courrier-test-5e3a9d";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (part, name, bytes) in files {
        let file_name = name.rsplit('/').next().unwrap_or(name);
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
