//! Upload scanning against a real clamd: a child process with a one-line
//! signature database holding the EICAR test file's MD5, reached over a unix
//! socket and over TCP. freshclam is never run (it cannot reach the signature
//! servers here, and the test must not depend on the network).
//!
//! Without clamd installed the test is skipped with a message, except with
//! `CI=true`, where it fails (`apt-get install -y clamav-daemon`).

use courrier_app::email::Mailer;
use courrier_app::scan::{ClamdAddress, ScanError, ScanVerdict, VirusScanner};
use courrier_app::vault::SecretKey;
use courrier_app::{App, AppError, Settings};
use courrier_domain::codes;
use courrier_domain::{ManualClock, Timestamp};
use courrier_store::blob::BlobStore;
use courrier_store::testing::TestDb;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The 68-byte EICAR anti-virus test file.
const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
/// clamd's hash signature for it: `MD5:size:name` (checked with md5sum).
const EICAR_HDB: &str = "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n";
/// clamd refuses streams longer than this (set small to test that refusal).
const STREAM_MAX: usize = 1024 * 1024;

fn pdf_like() -> Vec<u8> {
    let mut pdf =
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            .to_vec();
    pdf.extend(b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n".repeat(200));
    pdf.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    pdf
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `clamd` on PATH, or where Debian puts it (/usr/sbin is not on every PATH).
fn clamd_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("clamd"))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A clamd child process on a temp dir; killed on drop.
struct Clamd {
    child: Child,
    socket: PathBuf,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Clamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Clamd {
    /// Starts clamd, or `None` when it is not installed outside CI.
    async fn start() -> Option<Clamd> {
        let Some(binary) = clamd_binary() else {
            assert!(
                !ci(),
                "clamd is required for the virus scan test in CI (apt-get install -y clamav-daemon)"
            );
            eprintln!(
                "SKIPPED: clamd is not installed (apt-get install -y clamav-daemon); uploads were not scanned against a real clamd"
            );
            return None;
        };
        // The free port may be taken between probing and binding: try again.
        let mut errors = Vec::new();
        for _ in 0..3 {
            match Clamd::try_start(&binary).await {
                Ok(clamd) => return Some(clamd),
                Err(e) => errors.push(e),
            }
        }
        panic!("clamd did not start: {errors:#?}");
    }

    async fn try_start(binary: &Path) -> Result<Clamd, String> {
        // A unix socket path must stay under ~108 bytes: fall back to /tmp
        // when TMPDIR is deep.
        let mut dir = tempfile::tempdir().unwrap();
        if dir.path().as_os_str().len() > 80 {
            dir = tempfile::tempdir_in("/tmp").unwrap();
        }
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        std::fs::write(db.join("eicar.hdb"), EICAR_HDB).unwrap();
        let socket = dir.path().join("clamd.sock");
        let port = free_port();
        let conf = dir.path().join("clamd.conf");
        // No `User`: clamd keeps the identity it was started with (root or
        // not), so it can read this temp dir. No syslog, no log file: it
        // logs to stderr, which goes to clamd.log.
        std::fs::write(
            &conf,
            format!(
                "LocalSocket {socket}\n\
                 TCPSocket {port}\n\
                 TCPAddr 127.0.0.1\n\
                 DatabaseDirectory {db}\n\
                 TemporaryDirectory {tmp}\n\
                 Foreground yes\n\
                 LogSyslog no\n\
                 StreamMaxLength {STREAM_MAX}\n",
                socket = socket.display(),
                db = db.display(),
                tmp = dir.path().display(),
            ),
        )
        .unwrap();
        let log = dir.path().join("clamd.log");
        let child = Command::new(binary)
            .arg(format!("--config-file={}", conf.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ))
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
        // From here on the guard kills the child whatever happens.
        let mut clamd = Clamd {
            child,
            socket,
            port,
            log,
            _dir: dir,
        };
        // A one-line database loads in about a second; allow slow CI machines.
        for _ in 0..600 {
            if let Some(status) = clamd.child.try_wait().unwrap() {
                return Err(format!("exited early ({status}): {}", clamd.log_text()));
            }
            if clamd.unix().ping().await.is_ok() && clamd.tcp().ping().await.is_ok() {
                return Ok(clamd);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "no PONG within 60 s on {} and port {}: {}",
            clamd.socket.display(),
            clamd.port,
            clamd.log_text()
        ))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn unix(&self) -> VirusScanner {
        VirusScanner::Clamd {
            address: ClamdAddress::Unix(self.socket.clone()),
        }
    }

    fn tcp(&self) -> VirusScanner {
        VirusScanner::from_config(Some(&format!("tcp:127.0.0.1:{}", self.port))).unwrap()
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

async fn app_with(scanner: VirusScanner, db: &TestDb, blob_dir: &Path) -> Arc<App> {
    App::new(
        db.store.clone(),
        BlobStore::open(blob_dir.to_str().unwrap()).unwrap(),
        SecretKey::random(),
        Arc::new(ManualClock::at(Timestamp::from_millis(1_767_225_600_000))),
        Mailer::NotConfigured,
        scanner,
        Settings::new("https://courrier.test"),
    )
}

fn assert_infected(result: Result<ScanVerdict, ScanError>, via: &str) {
    match result {
        Ok(ScanVerdict::Infected { signature }) => {
            assert!(
                signature.contains("Eicar"),
                "{via}: signature {signature:?}"
            )
        }
        other => panic!("{via}: EICAR must be Infected, got {other:?}"),
    }
}

fn assert_refused(result: Result<(), AppError>, code: &str) {
    match result {
        Err(AppError::Refused(c)) => assert_eq!(c, code),
        other => panic!("expected Refused({code}), got {other:?}"),
    }
}

#[test]
fn eicar_constant_is_the_real_test_file() {
    assert_eq!(EICAR.len(), 68);
    assert_eq!(
        hex::encode(Sha256::digest(EICAR)),
        "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clamd_flags_eicar_passes_clean_files_and_refuses_when_down() {
    let Some(mut clamd) = Clamd::start().await else {
        return;
    };
    let pdf = pdf_like();

    for (via, scanner) in [("unix", clamd.unix()), ("tcp", clamd.tcp())] {
        assert!(scanner.is_enabled());
        assert_infected(scanner.scan(EICAR).await, via);
        assert_eq!(
            scanner.scan(&pdf).await.unwrap(),
            ScanVerdict::Clean,
            "{via}"
        );
        assert_eq!(
            scanner.scan(b"").await.unwrap(),
            ScanVerdict::Clean,
            "{via}"
        );
        // Not a verdict: clamd stops reading past StreamMaxLength. Never Clean.
        match scanner.scan(&vec![b'a'; 2 * STREAM_MAX]).await {
            Err(ScanError::Failed(detail)) => eprintln!("{via}: over the limit: {detail}"),
            other => panic!("{via}: a stream over clamd's limit must fail, got {other:?}"),
        }
    }

    let db = TestDb::sqlite().await;
    let blob_dir = tempfile::tempdir().unwrap();
    let app = app_with(clamd.unix(), &db, blob_dir.path()).await;
    assert!(app.scanner.is_enabled());
    app.check_upload(&pdf).await.unwrap();
    match app.check_upload(EICAR).await {
        Err(AppError::Invalid(i)) => {
            assert_eq!((i.field, i.code), ("file", codes::UPLOAD_INFECTED));
            assert!(i.message.contains("Eicar"), "{}", i.message);
            assert!(i.message.contains("not stored"), "{}", i.message);
        }
        other => panic!("EICAR upload must be invalid, got {other:?}"),
    }
    assert_refused(
        app.check_upload(&vec![b'a'; 2 * STREAM_MAX]).await,
        "upload.scan_failed",
    );

    // clamd gone: refuse, never accept unscanned.
    clamd.kill();
    for (via, scanner) in [("unix", clamd.unix()), ("tcp", clamd.tcp())] {
        assert!(
            matches!(scanner.ping().await, Err(ScanError::Unavailable(_))),
            "{via}"
        );
        for bytes in [EICAR, &pdf[..]] {
            match scanner.scan(bytes).await {
                Err(ScanError::Unavailable(_)) => {}
                other => panic!("{via}: clamd is down, expected Unavailable, got {other:?}"),
            }
        }
    }
    assert_refused(app.check_upload(&pdf).await, "upload.scanner_unavailable");
    assert_refused(app.check_upload(EICAR).await, "upload.scanner_unavailable");
}

#[tokio::test]
async fn unreachable_clamd_refuses_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let closed = free_port();
    let db = TestDb::sqlite().await;
    for address in [
        format!("unix:{}", dir.path().join("no-such.sock").display()),
        format!("tcp:127.0.0.1:{closed}"),
    ] {
        let scanner = VirusScanner::from_config(Some(&address)).unwrap();
        match scanner.scan(b"%PDF-1.7").await {
            Err(ScanError::Unavailable(detail)) => assert!(detail.contains(&address), "{detail}"),
            other => panic!("{address}: expected Unavailable, got {other:?}"),
        }
        let app = app_with(scanner, &db, dir.path()).await;
        assert_refused(
            app.check_upload(b"%PDF-1.7").await,
            "upload.scanner_unavailable",
        );
    }
}

#[tokio::test]
async fn disabled_scanner_is_explicitly_not_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite().await;
    let app = app_with(VirusScanner::Disabled, &db, dir.path()).await;
    assert!(!app.scanner.is_enabled());
    // Passes only because nothing is scanned.
    app.check_upload(EICAR).await.unwrap();
}
