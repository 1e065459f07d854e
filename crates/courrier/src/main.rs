//! The `courrier` command: runs the server, applies migrations, loads demo
//! data, and administers organisations, users, API keys and the audit log.

mod bench;
mod bench_ocr;
mod bench_search;
mod bulk;
mod cli;
mod client;
mod config;
mod send;

use anyhow::{Context, bail};
use clap::Parser;
use cli::*;
use config::Config;
use courrier_app::App;
use courrier_app::accounts::NewOrg;
use courrier_app::email::Mailer;
use courrier_app::jobs::{Worker, ensure_recurring_jobs};
use courrier_app::scan::VirusScanner;
use courrier_app::vault::SecretKey;
use courrier_domain::{
    Currency, EmailAddress, OrgId, OrgKind, OrgScope, Permission, Role, SystemClock,
};
use courrier_store::Store;
use courrier_store::blob::BlobStore;
use std::sync::Arc;
use std::time::Duration;

/// After a stop signal: how long open requests may still finish.
const REQUESTS_GRACE: Duration = Duration::from_secs(5);
/// Then how long the job workers may finish their job.
const WORKERS_GRACE: Duration = Duration::from_secs(2);
/// Then how long blocking work may go on before the process leaves it.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COURRIER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format.as_deref() == Some("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The master key: configured, or for the embedded SQLite default, kept in
/// the data folder (created on first start). PostgreSQL deployments run
/// several processes, which must share one configured key.
fn master_key(cfg: &Config) -> anyhow::Result<SecretKey> {
    if let Some(k) = &cfg.master_key {
        return SecretKey::parse(k).context("master_key");
    }
    let url = cfg.database_url();
    if !url.starts_with("sqlite:") {
        bail!(
            "set master_key (COURRIER_MASTER_KEY) when using PostgreSQL: every server process must use the same key"
        );
    }
    let path = cfg.data_dir().join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return SecretKey::parse(&text)
            .with_context(|| format!("{} is not a valid master key", path.display()));
    }
    std::fs::create_dir_all(cfg.data_dir())?;
    let key = SecretKey::random();
    write_private(&path, &key.to_base64())?;
    tracing::warn!(path = %path.display(), "generated a new master key; back it up: without it no stored document can be read");
    Ok(key)
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// The embedded SQLite default lives in the data folder, which may not exist yet.
fn ensure_data_dir(cfg: &Config) -> anyhow::Result<()> {
    if cfg.database_url.is_none() {
        std::fs::create_dir_all(cfg.data_dir())
            .with_context(|| format!("creating {}", cfg.data_dir().display()))?;
    }
    Ok(())
}

async fn open_app(cfg: &Config) -> anyhow::Result<Arc<App>> {
    ensure_data_dir(cfg)?;
    let store = Store::connect(&cfg.database_url())
        .await
        .context("opening the database")?;
    let blobs = BlobStore::open(&cfg.blob_store()).context("opening the blob store")?;
    let mailer = match &cfg.smtp_url {
        Some(url) => {
            let from = cfg
                .mail_from
                .clone()
                .unwrap_or_else(|| "Courrier <noreply@localhost>".into());
            Mailer::smtp(url, &from)?
        }
        // Said once, at info, when the first e-mail would go (app::email).
        None => Mailer::NotConfigured,
    };
    let scanner =
        VirusScanner::from_config(cfg.clamd.as_deref()).context("clamd (COURRIER_CLAMD)")?;
    let master = master_key(cfg)?;
    let settings = cfg.app_settings()?;
    if settings.webhooks_allow_private {
        tracing::warn!(
            "webhooks_allow_private is on: webhook endpoints on this machine and private networks are accepted (development only)"
        );
    }
    Ok(App::new(
        store,
        blobs,
        master,
        Arc::new(SystemClock),
        mailer,
        scanner,
        settings,
    ))
}

fn print_demo(logins: &[courrier_app::demo::DemoLogin], url: &str) {
    println!(
        "\nCourrier demo data is loaded. Sign in at {url}/login with password '{}':",
        courrier_app::demo::DEMO_PASSWORD
    );
    for l in logins {
        println!("  {:<34} {:<16} {}", l.email, l.role.as_str(), l.org);
    }
    println!(
        "\n{} has two-step verification on. Get its current code with:\n  courrier user totp-code {}",
        courrier_app::demo::TWO_FACTOR_DEMO_USER,
        courrier_app::demo::TWO_FACTOR_DEMO_USER
    );
    for l in logins.iter().filter(|l| !l.recovery_codes.is_empty()) {
        println!(
            "or use one of its recovery codes: {}",
            l.recovery_codes.join(" ")
        );
    }
    println!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn serve(
    mut cfg: Config,
    listen: Option<String>,
    public_url: Option<String>,
    demo: bool,
) -> anyhow::Result<()> {
    if listen.is_some() {
        cfg.listen = listen;
    }
    if public_url.is_some() {
        cfg.public_url = public_url;
    }
    let web = cfg.web_settings()?;
    let app = open_app(&cfg).await?;
    if demo {
        let logins = app.load_demo().await?;
        print_demo(&logins, &cfg.public_url());
    }
    ensure_recurring_jobs(&app).await?;
    // A stop signal kills the render workers at once: a runaway template
    // does not hold an open request, nor the stop.
    let (signal_tx, signal_rx) = tokio::sync::watch::channel(false);
    {
        let app = app.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping");
            app.renders.stop();
            let _ = signal_tx.send(true);
        });
    }
    let signalled = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..cfg.workers.unwrap_or(2) {
        workers.push(tokio::spawn(
            Worker::new(app.clone(), "worker").run(stop_rx.clone()),
        ));
    }
    let listener = tokio::net::TcpListener::bind(cfg.listen())
        .await
        .with_context(|| format!("listening on {}", cfg.listen()))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?app.store.backend(), blobs = app.blobs.description(), "Courrier is serving");
    println!("Courrier is listening on http://{addr}");
    let server = courrier_web::serve(
        listener,
        courrier_web::AppState::with_settings(app.clone(), web),
        signalled(signal_rx.clone()),
    );
    let grace = async {
        signalled(signal_rx).await;
        tokio::time::sleep(REQUESTS_GRACE).await;
    };
    tokio::select! {
        served = server => served?,
        () = grace => tracing::warn!(
            secs = REQUESTS_GRACE.as_secs(),
            "requests still open after the stop signal's grace: stopping without them"
        ),
    }
    let _ = stop_tx.send(true);
    let until = tokio::time::Instant::now() + WORKERS_GRACE;
    for w in workers {
        if tokio::time::timeout_at(until, w).await.is_err() {
            tracing::warn!(
                secs = WORKERS_GRACE.as_secs(),
                "a job worker was still busy after the grace: its job is taken over after its lease"
            );
            break;
        }
    }
    app.renders.stop();
    let _ = tokio::time::timeout(Duration::from_secs(1), app.store.close()).await;
    Ok(())
}

fn parse_org(s: &str) -> anyhow::Result<OrgId> {
    s.parse::<OrgId>()
        .map_err(|e| anyhow::anyhow!("--org: {e}"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::RenderWorker {
        memory_bytes,
        cpu_secs,
    } = cli.command
    {
        // Before any runtime, logger or configuration: standard output
        // carries the answers.
        let limits = courrier_merge::worker::WorkerLimits {
            memory_bytes,
            cpu_secs,
        };
        return courrier_merge::worker::serve(
            limits,
            std::io::stdin().lock(),
            std::io::stdout().lock(),
        )
        .context("render worker");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run(cli));
    // Blocking work still under way (a long parse) does not hold the exit.
    runtime.shutdown_timeout(BLOCKING_GRACE);
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut cfg = Config::load(cli.config.as_deref(), std::env::vars())?;
    if cli.data_dir.is_some() {
        cfg.data_dir = cli.data_dir.clone();
    }
    init_logging(&cfg);
    match cli.command {
        Command::Serve {
            listen,
            public_url,
            demo,
        } => serve(cfg, listen, public_url, demo).await?,
        Command::Migrate => {
            ensure_data_dir(&cfg)?;
            let store = Store::connect_without_migrating(&cfg.database_url()).await?;
            let n = store.migrate().await?;
            println!("{n} migration(s) applied");
        }
        Command::Demo => {
            let app = open_app(&cfg).await?;
            let logins = app.load_demo().await?;
            print_demo(&logins, &cfg.public_url());
        }
        Command::Org {
            command:
                OrgCommand::Create {
                    name,
                    kind,
                    country,
                    currency,
                },
        } => {
            let app = open_app(&cfg).await?;
            let new = NewOrg {
                name,
                kind: OrgKind::parse(&kind)?,
                country,
                currency: Currency::parse(&currency)?,
            };
            let id = app.create_org(new, "system:cli").await?;
            println!("{id}");
        }
        Command::User {
            command:
                UserCommand::Add {
                    org,
                    email,
                    name,
                    role,
                    password,
                },
        } => {
            let app = open_app(&cfg).await?;
            let scope = OrgScope::system(parse_org(&org)?, "system:cli");
            let id = app
                .add_user(&scope, &email, &name, &password, Role::parse(&role)?)
                .await?;
            println!("{id}");
        }
        Command::User {
            command: UserCommand::TotpCode { email },
        } => {
            let app = open_app(&cfg).await?;
            let user = app
                .store
                .user_by_email(&EmailAddress::parse(&email)?)
                .await?
                .context("no such user")?;
            println!("{}", app.current_totp_code(user.id).await?);
        }
        Command::Apikey {
            command:
                ApikeyCommand::Create {
                    org,
                    name,
                    permissions,
                },
        } => {
            let app = open_app(&cfg).await?;
            let org = app
                .store
                .org(parse_org(&org)?)
                .await
                .context("no such organisation")?;
            let perms = Permission::parse_list(&permissions)?;
            let actor = courrier_domain::Actor::system("cli", org.id, org.kind);
            let (record, key) = app.create_api_key(&actor, &name, &perms).await?;
            println!("{key}");
            eprintln!(
                "API key {} for {} with {}: store it now, it is not shown again",
                record.id,
                org.name,
                Permission::join(&perms)
            );
        }
        Command::Send(args) => send::send(args).await?,
        Command::SendBulk(args) => bulk::send_bulk(args).await?,
        Command::Merge(args) => bulk::merge(args).await?,
        Command::Bench {
            command:
                BenchCommand::Intake {
                    letters,
                    sample,
                    threads,
                    write_pdfs,
                },
        } => bench::intake(letters, sample, threads, write_pdfs)?,
        Command::Bench {
            command:
                BenchCommand::Ocr {
                    pages,
                    parallel,
                    rounds,
                },
        } => bench_ocr::ocr(pages, parallel, rounds).await?,
        Command::Bench {
            command:
                BenchCommand::Search {
                    items,
                    backend,
                    queries,
                    keep,
                    kept,
                },
        } => match kept {
            Some(url) => bench_search::search_kept(&url, queries).await?,
            None => bench_search::search(items, &backend, queries, keep).await?,
        },
        Command::SamplePdf {
            out,
            letters,
            pages,
        } => send::sample_pdf(&out, letters, pages)?,
        Command::RenderWorker { .. } => bail!("render-worker runs before the runtime starts"),
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = open_app(&cfg).await?;
            let mut broken = 0;
            for r in app.verify_audit().await? {
                match r.result {
                    Ok(()) => println!("ok      {} ({} entries)", r.org, r.entries),
                    Err(b) => {
                        broken += 1;
                        println!("BROKEN  {} ({} entries): {b:?}", r.org, r.entries);
                    }
                }
            }
            if broken > 0 {
                bail!("{broken} audit chain(s) do not verify: entries were edited or deleted");
            }
        }
    }
    Ok(())
}
