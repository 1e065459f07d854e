//! The command line: every subcommand and its arguments.

use crate::{bulk, send};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "courrier",
    version,
    about = "Courrier: business letters, paper in and digital out, digital in and paper out."
)]
pub(crate) struct Cli {
    /// Configuration file (TOML). Environment variables COURRIER_* override it.
    #[arg(long, global = true, env = "COURRIER_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Folder for the embedded defaults: SQLite database, blobs and master key.
    #[arg(long, global = true)]
    pub(crate) data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Start the web app, the API and the job workers.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Public URL used in e-mailed links (default http://<listen>).
        #[arg(long)]
        public_url: Option<String>,
        /// Load demo organisations and logins first, and print them.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit (serve also does this on start).
    Migrate,
    /// Load the demo data and print the logins, without serving.
    Demo,
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// People.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API keys.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Send a PDF letter through a Courrier server's API (key from --api-key or COURRIER_API_KEY).
    Send(send::SendArgs),
    /// Send one PDF of many letters through a server's API, split into letters
    /// (--split address|pages:N|marker:REGEX); prints accepted and refused letters.
    SendBulk(bulk::SendBulkArgs),
    /// Mail merge through a server's API: TEMPLATE.typ (or `default`) and ROWS
    /// (CSV, XLSX, ODS); prints accepted and refused letters.
    Merge(bulk::MergeArgs),
    /// Benchmarks (no server; `bench search` creates its own databases).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Render templates for a server: requests on standard input, PDFs on
    /// standard output (the server starts these itself).
    #[command(hide = true)]
    RenderWorker {
        /// Address space limit, in bytes.
        #[arg(long)]
        memory_bytes: u64,
        /// CPU time limit of one render, in seconds.
        #[arg(long)]
        cpu_secs: u64,
    },
    /// Write sample letters as one PDF (demos and tests).
    #[command(hide = true)]
    SamplePdf {
        out: PathBuf,
        /// How many letters.
        #[arg(long, default_value_t = 1)]
        letters: u32,
        /// Pages per letter.
        #[arg(long, default_value_t = 1)]
        pages: u32,
    },
}

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// Bulk intake: split a generated bulk PDF by address, read every window,
    /// check and price every letter in process; compare with qpdf + pdftotext.
    Intake {
        /// Letters in the generated bulk PDF (1 to 3 pages each).
        #[arg(long, default_value_t = 10_000)]
        letters: usize,
        /// Letters put through the reference tools (0: skip them).
        #[arg(long, default_value_t = 100)]
        sample: usize,
        /// Worker threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Also write each letter's own PDF, as a bulk run does to store it.
        #[arg(long)]
        write_pdfs: bool,
    },
    /// OCR: pages per minute of the pipeline against the raw tesseract CLI
    /// on the same pages (see bench_ocr.rs).
    Ocr {
        /// One-page sample letters to recognise.
        #[arg(long, default_value_t = 20)]
        pages: usize,
        /// Pages at a time, for the pipeline and the parallel raw CLI (0: one per core).
        #[arg(long, default_value_t = 0)]
        parallel: usize,
        /// Rounds of the four measurements; medians are reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Full-text search and the mailbox list on generated OCR-like items, on a
    /// fresh SQLite file and/or a fresh PostgreSQL database (see bench_search.rs).
    Search {
        /// Items to generate and load.
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// sqlite, postgres or both (PostgreSQL: COURRIER_TEST_POSTGRES admin URL).
        #[arg(long, default_value = "both")]
        backend: String,
        /// Measured queries of each kind.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Keep the databases afterwards (for EXPLAIN or `--kept`), and print where they are.
        #[arg(long)]
        keep: bool,
        /// Only time the queries, on a database kept by an earlier run
        /// (its URL: `sqlite:///…/bench.sqlite3` or `postgres://…`).
        #[arg(long)]
        kept: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organisation and print its id.
    Create {
        name: String,
        /// customer, mail_center or platform.
        #[arg(long, default_value = "customer")]
        kind: String,
        /// ISO 3166 two-letter country of the seat.
        #[arg(long, default_value = "CH")]
        country: String,
        /// ISO 4217 currency of its invoices.
        #[arg(long, default_value = "CHF")]
        currency: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a person to an organisation with a password.
    Add {
        /// The organisation's id (from `org create`).
        #[arg(long)]
        org: String,
        email: String,
        #[arg(long)]
        name: String,
        /// admin, approver, member; owner, manager, clerk; platform_admin.
        #[arg(long)]
        role: String,
        /// The password (at least 10 characters); read from COURRIER_NEW_PASSWORD if absent.
        #[arg(long, env = "COURRIER_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Print the current two-step verification code of a person (operators and demos).
    TotpCode { email: String },
}

#[derive(Subcommand)]
pub(crate) enum ApikeyCommand {
    /// Create an API key for an organisation; the key is printed once.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// Comma-separated permissions, e.g. letters.send,letters.read.
        #[arg(long)]
        permissions: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Check every organisation's hash chain; exits non-zero when an entry was edited or deleted.
    Verify,
}
