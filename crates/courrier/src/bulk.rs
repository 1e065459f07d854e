//! `courrier send-bulk` and `courrier merge`: start a bulk run on a server
//! through the API, follow its progress, and print each letter's outcome —
//! accepted (with the letter's id) or refused (with its pages or row and
//! every reason). The command fails when any letter was refused.

use crate::client::{Client, ServerArgs};
use anyhow::{Context, bail};
use clap::Args;
use reqwest::multipart::{Form, Part};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Options every letter of the run gets.
#[derive(Args, Debug)]
pub struct RunOptions {
    /// Envelope: us_dl, c5 or c4.
    #[arg(long, default_value = "c5")]
    pub envelope: String,
    /// Print in colour (default black and white).
    #[arg(long)]
    pub color: bool,
    /// Print on both sides of each sheet.
    #[arg(long)]
    pub duplex: bool,
    /// priority (default) or standard; letters abroad go international priority.
    #[arg(long)]
    pub product: Option<String>,
    /// Your reference for every letter.
    #[arg(long)]
    pub reference: Option<String>,
    /// Submit the accepted letters at once instead of leaving drafts.
    #[arg(long)]
    pub submit: bool,
    /// Makes a retry safe: the same key starts the run only once.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// Start the run and print its id without waiting for it.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

impl RunOptions {
    fn add_to(&self, mut form: Form) -> Form {
        form = form
            .text("envelope", self.envelope.clone())
            .text("colour", if self.color { "colour" } else { "bw" })
            .text("sides", if self.duplex { "duplex" } else { "simplex" });
        if let Some(p) = &self.product {
            form = form.text("product", p.clone());
        }
        if let Some(r) = &self.reference {
            form = form.text("reference", r.clone());
        }
        if self.submit {
            form = form.text("submit", "true");
        }
        form
    }
}

#[derive(Args, Debug)]
pub struct SendBulkArgs {
    /// One PDF holding many letters (an invoice run).
    pub file: PathBuf,
    /// How letters are found: address (a new address in the window starts a
    /// letter), pages:N (every N pages) or marker:REGEX (each page whose text
    /// matches starts a letter).
    #[arg(long, default_value = "address")]
    pub split: String,
    #[command(flatten)]
    pub options: RunOptions,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The Typst template (fields from sys.inputs); `default` for the built-in letter.
    pub template: PathBuf,
    /// The address list: CSV (`,` or `;`, UTF-8 or Windows-1252), XLSX or ODS.
    pub rows: PathBuf,
    /// field=column, to map a template field to a column by hand (repeatable).
    #[arg(long = "map")]
    pub mapping: Vec<String>,
    #[command(flatten)]
    pub options: RunOptions,
}

fn file_part(path: &Path, mime: &str) -> anyhow::Result<Part> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    Ok(Part::bytes(bytes).file_name(name).mime_str(mime)?)
}

pub async fn send_bulk(args: SendBulkArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.options.server)?;
    let form = Form::new()
        .text("kind", "split")
        .text("method", args.split.clone())
        .part("file", file_part(&args.file, "application/pdf")?);
    let form = args.options.add_to(form);
    let run = client
        .post_form("/runs", form, args.options.idempotency_key.as_deref())
        .await?;
    follow(&client, &run, args.options.no_wait).await
}

pub async fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.options.server)?;
    let mut form = Form::new()
        .text("kind", "merge")
        .part("file", file_part(&args.rows, "application/octet-stream")?);
    if args.template.as_os_str() != "default" {
        let template = std::fs::read_to_string(&args.template)
            .with_context(|| format!("reading {}", args.template.display()))?;
        form = form.text("template", template);
    }
    if !args.mapping.is_empty() {
        form = form.text("mapping", args.mapping.join("\n"));
    }
    let form = args.options.add_to(form);
    let run = client
        .post_form("/runs", form, args.options.idempotency_key.as_deref())
        .await?;
    follow(&client, &run, args.options.no_wait).await
}

/// A member of a JSON object, or null.
fn at<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&serde_json::Value::Null)
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("")
}

fn num(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// Polls the run until it is finished, then prints every letter's outcome.
async fn follow(client: &Client, run: &serde_json::Value, no_wait: bool) -> anyhow::Result<()> {
    let id = text(at(run, "id")).to_string();
    if id.is_empty() {
        bail!("the server did not say which run it started");
    }
    eprintln!(
        "run {id} started ({} {})",
        text(at(run, "kind")),
        text(at(run, "method"))
    );
    if no_wait {
        println!("{id}");
        return Ok(());
    }
    let mut last = String::new();
    let run = loop {
        let run = client.get(&format!("/runs/{id}")).await?;
        let state = text(at(&run, "state")).to_string();
        let progress = format!(
            "{state}: {}/{} letters, {} accepted, {} refused",
            num(at(&run, "processed")),
            num(at(&run, "total")),
            num(at(&run, "accepted")),
            num(at(&run, "refused"))
        );
        if progress != last {
            eprint!("\r{progress}   ");
            let _ = std::io::stderr().flush();
            last = progress;
        }
        if state == "done" || state == "failed" {
            eprintln!();
            break run;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
    };
    let items = at(&run, "items").as_array().cloned().unwrap_or_default();
    for item in items
        .iter()
        .filter(|i| text(at(i, "outcome")) == "accepted")
    {
        println!(
            "accepted  {:<12} letter {}",
            text(at(item, "source")),
            text(at(item, "letter_id"))
        );
        for r in at(item, "reasons").as_array().into_iter().flatten() {
            println!(
                "          note {}: {}",
                text(at(r, "code")),
                text(at(r, "message"))
            );
        }
    }
    let refused: Vec<&serde_json::Value> = items
        .iter()
        .filter(|i| text(at(i, "outcome")) != "accepted")
        .collect();
    for item in &refused {
        println!("refused   {}", text(at(item, "source")));
        for r in at(item, "reasons").as_array().into_iter().flatten() {
            println!(
                "          {}: {}",
                text(at(r, "code")),
                text(at(r, "message"))
            );
        }
    }
    println!(
        "{} letters: {} accepted, {} refused",
        num(at(&run, "total")),
        num(at(&run, "accepted")),
        num(at(&run, "refused"))
    );
    if text(at(&run, "state")) == "failed" {
        bail!("the run failed: {}", text(at(&run, "error")));
    }
    if !refused.is_empty() {
        bail!("{} letter(s) refused", refused.len());
    }
    Ok(())
}
