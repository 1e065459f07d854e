//! `courrier send`: an API client that uploads a PDF letter to a Courrier
//! server (raw PDF bytes, options in the query string; a multipart form when
//! a letterhead or attachments go with it) and prints the accepted letter,
//! or every reason it was refused. Also `courrier
//! sample-pdf`, which writes sample letters for demos and tests.

use anyhow::{Context, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct SendArgs {
    /// The letter as an A4 PDF; the recipient is read from the address window of page 1.
    pub file: PathBuf,
    /// Envelope: us_dl, c5 or c4.
    #[arg(long, default_value = "c5")]
    pub envelope: String,
    /// bw (black and white) or colour.
    #[arg(long, default_value = "bw")]
    pub colour: String,
    /// Print on both sides of each sheet.
    #[arg(long)]
    pub duplex: bool,
    /// priority (default), standard or international_priority.
    #[arg(long)]
    pub product: Option<String>,
    /// Send it registered (domestic only, needs a return address).
    #[arg(long)]
    pub registered: bool,
    /// Registered with acknowledgement of receipt.
    #[arg(long)]
    pub ar: bool,
    /// Your reference (an invoice number, …).
    #[arg(long)]
    pub reference: Option<String>,
    /// The recipient instead of the window: one --recipient per line.
    #[arg(long)]
    pub recipient: Vec<String>,
    /// A letterhead PDF (A4) laid under the letter; its page 1 is used.
    #[arg(long, value_name = "LETTERHEAD.pdf")]
    pub background: Option<PathBuf>,
    /// Which pages get the letterhead: first or all.
    #[arg(long, value_name = "first|all", requires = "background", value_parser = ["first", "all"])]
    pub background_pages: Option<String>,
    /// A PDF (A4) printed after the letter, e.g. a reply coupon; repeat for several.
    #[arg(long = "attach", value_name = "FILE.pdf")]
    pub attach: Vec<PathBuf>,
    /// Submit the letter at once instead of leaving a draft.
    #[arg(long)]
    pub submit: bool,
    /// Only ask for the price and delivery date; nothing is stored.
    #[arg(long)]
    pub quote: bool,
    /// Makes a retry safe: the same key sends the letter only once.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// The Courrier server.
    #[arg(long, env = "COURRIER_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An API key with letters.send (and letters.read).
    #[arg(long, env = "COURRIER_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

impl SendArgs {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("envelope", self.envelope.clone()),
            ("colour", self.colour.clone()),
            (
                "sides",
                if self.duplex { "duplex" } else { "simplex" }.to_string(),
            ),
        ];
        if let Some(p) = &self.product {
            q.push(("product", p.clone()));
        }
        if self.ar {
            q.push(("registered", "registered_ar".into()));
        } else if self.registered {
            q.push(("registered", "registered".into()));
        }
        if let Some(r) = &self.reference {
            q.push(("reference", r.clone()));
        }
        if !self.recipient.is_empty() {
            q.push(("recipient", self.recipient.join("\n")));
        }
        if self.submit && !self.quote {
            q.push(("submit", "true".into()));
        }
        q
    }
}

static NULL: serde_json::Value = serde_json::Value::Null;

/// `v[key]` without indexing: null when absent.
fn at<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&NULL)
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("")
}

fn money(v: &serde_json::Value) -> String {
    let minor = at(v, "amount_minor").as_i64().unwrap_or(0);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{} {sign}{}.{:02}",
        text(at(v, "currency")),
        abs / 100,
        abs % 100
    )
}

fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A PDF file part named after its file.
fn pdf_part(path: &Path, bytes: Vec<u8>) -> anyhow::Result<reqwest::multipart::Part> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file.pdf".into());
    Ok(reqwest::multipart::Part::bytes(bytes)
        .file_name(name)
        .mime_str("application/pdf")?)
}

/// The multipart form of a letter with its letterhead and attachments: the
/// options as text parts, `background` and `attachment` parts.
fn composed_form(args: &SendArgs, pdf: Vec<u8>) -> anyhow::Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new().part("file", pdf_part(&args.file, pdf)?);
    for (name, value) in args.query() {
        form = form.text(name, value);
    }
    if let Some(path) = &args.background {
        form = form.part("background", pdf_part(path, read_file(path)?)?);
        if let Some(pages) = &args.background_pages {
            form = form.text("background_scope", pages.clone());
        }
    }
    for path in &args.attach {
        form = form.part("attachment", pdf_part(path, read_file(path)?)?);
    }
    Ok(form)
}

/// Uploads the letter and prints the outcome; an error when it was refused.
pub async fn send(args: SendArgs) -> anyhow::Result<()> {
    let pdf = read_file(&args.file)?;
    let endpoint = if args.quote { "quotes" } else { "letters" };
    let url = format!("{}/api/v1/{endpoint}", args.server.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let req = client.post(&url).bearer_auth(args.api_key.trim());
    let mut req = if args.background.is_some() || !args.attach.is_empty() {
        req.multipart(composed_form(&args, pdf)?)
    } else {
        req.query(&args.query())
            .header(reqwest::header::CONTENT_TYPE, "application/pdf")
            .body(pdf)
    };
    if let Some(k) = &args.idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let res = req
        .send()
        .await
        .with_context(|| format!("sending the letter to {url}"))?;
    let status = res.status();
    let body = res.text().await.context("reading the server's answer")?;
    let json: serde_json::Value = serde_json::from_str(&body).with_context(|| {
        format!(
            "the server answered {status} with something other than JSON: {}",
            body.chars().take(200).collect::<String>()
        )
    })?;
    if !status.is_success() {
        let errors = at(&json, "errors").as_array().cloned().unwrap_or_default();
        if errors.is_empty() {
            eprintln!(
                "{}: {}",
                text(at(&json, "code")),
                text(at(&json, "message"))
            );
        } else {
            for e in &errors {
                eprintln!("{}: {}", text(at(e, "code")), text(at(e, "message")));
            }
        }
        bail!("the letter was refused ({status})");
    }
    let recipient = at(&json, "recipient");
    let place = [
        text(at(recipient, "postcode")),
        text(at(recipient, "locality")),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    if !args.quote {
        println!("id:                {}", text(at(&json, "id")));
        println!("status:            {}", text(at(&json, "status")));
    }
    println!(
        "recipient:         {}, {place}, {}",
        text(at(recipient, "name")),
        text(at(recipient, "country"))
    );
    let price = at(&json, "price");
    println!(
        "price:             {} (net {}, VAT {})",
        money(at(price, "total")),
        money(at(price, "net")),
        money(at(price, "vat"))
    );
    println!(
        "weight:            {} g",
        at(&json, "weight_grams").as_i64().unwrap_or(0)
    );
    println!(
        "pages:             {} ({} sheets)",
        at(&json, "pages").as_i64().unwrap_or(0),
        at(&json, "sheets").as_i64().unwrap_or(0)
    );
    if let Some(scope) = at(&json, "background").as_str() {
        println!("letterhead:        {}", scope.replace('_', " "));
    }
    for a in at(&json, "attachments").as_array().into_iter().flatten() {
        println!(
            "attachment:        {} ({} pages)",
            text(at(a, "name")),
            at(a, "pages").as_i64().unwrap_or(0)
        );
    }
    println!("posting date:      {}", text(at(&json, "posting_date")));
    println!(
        "expected delivery: {}",
        text(at(&json, "expected_delivery"))
    );
    for w in at(&json, "warnings").as_array().into_iter().flatten() {
        eprintln!(
            "warning {}: {}",
            text(at(w, "code")),
            text(at(w, "message"))
        );
    }
    Ok(())
}

const SAMPLE_ADDRESSES: [[&str; 3]; 4] = [
    [
        "Boulangerie Dupont SàRL",
        "Rue de Bourg 12",
        "1003 Lausanne",
    ],
    ["Müller Treuhand AG", "Bahnhofstrasse 10", "8001 Zürich"],
    ["Garage du Lac SA", "Quai du Mont-Blanc 5", "1201 Genève"],
    ["Rossi & Figli Sagl", "Via Nassa 7", "6900 Lugano"],
];

/// Writes `letters` sample letters (each `pages` long) into one PDF.
pub fn sample_pdf(out: &Path, letters: u32, pages: u32) -> anyhow::Result<()> {
    let list: Vec<courrier_documents::sample::SampleLetter> = (0..letters.max(1))
        .zip(SAMPLE_ADDRESSES.iter().cycle())
        .map(|(i, address)| courrier_documents::sample::SampleLetter {
            address: address.iter().map(|l| l.to_string()).collect(),
            pages: pages.max(1),
            reference: format!("2026-{:04}", i + 1),
        })
        .collect();
    let pdf = courrier_documents::sample::letters_pdf(
        &list,
        &[
            "Helvetia Fiduciaire SA",
            "Avenue de la Gare 1, 1003 Lausanne",
        ],
    );
    std::fs::write(out, pdf).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
