//! `courrier bench ocr`: pages per minute of the OCR pipeline
//! ([`courrier_app::ocr::OcrEngine`]) against the raw `tesseract` CLI on the
//! same pages, in the same run.
//!
//! N one-page sample letters (A4, Helvetica, an address with accents) are
//! rasterised once to PNG at 300 dpi, the way a scanner delivers pages. The
//! PNGs are also wrapped, without re-encoding, into an image-only PDF, the
//! way a scanner delivers a document. Then, in each round:
//!
//! - raw CLI, one after another: `tesseract page.png stdout -l … --psm 1
//!   --oem 1` per page with `OMP_THREAD_LIMIT=1`;
//! - raw CLI, P at a time (P = the pipeline's parallelism, the cores);
//! - pipeline on the PNGs (`ocr_image` for each page, all submitted at once);
//! - pipeline on the scanned PDF (`ocr_pdf`: rasterising included).
//!
//! Each pipeline measurement uses a fresh engine, so it pays for starting its
//! Tesseract processes. The order of the four rotates between rounds, and the
//! medians are reported, because a shared machine's load drifts. Every result
//! is checked to contain "Invoice", so a fast wrong answer cannot win.
//! Besides wall time it reports CPU seconds per page (this process and its
//! children), which a busy machine does not distort.

use anyhow::{Context, bail};
use courrier_app::ocr::{OcrConfig, OcrEngine, PageOcr};
use courrier_documents::sample::{SampleLetter, letters_pdf};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::Command;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What was measured, in the order of the report.
const MEASURES: [&str; 4] = [
    "raw tesseract CLI, one after another",
    "raw tesseract CLI, parallel",
    "pipeline, PNG pages (ocr_image)",
    "pipeline, scanned PDF (ocr_pdf)",
];

pub async fn ocr(pages: usize, parallel: usize, rounds: usize) -> anyhow::Result<()> {
    if pages == 0 || rounds == 0 {
        bail!("--pages and --rounds must be at least 1");
    }
    let mut config = OcrConfig::default();
    if parallel > 0 {
        config.max_parallel = parallel;
    }
    let parallel = config.max_parallel;
    let engine = OcrEngine::new(config.clone())?;
    engine.check().await?;
    let languages = engine.languages().to_string();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "OCR benchmark: {pages} pages (A4 sample letters, 300 dpi), languages {languages}, \
         {parallel} at a time, {rounds} round(s)"
    );
    println!(
        "machine: {cores} cores, {}, load average {} at start",
        tesseract_version().await,
        load_average()
    );

    let dir = tempfile::Builder::new()
        .prefix("courrier-bench-ocr-")
        .tempdir()?;
    let pngs = sample_pngs(dir.path(), pages).await?;
    let scanned = scanned_pdf(&pngs)?;
    println!(
        "inputs: {} PNG pages ({:.1} MB), a scanned PDF of {:.1} MB",
        pngs.len(),
        pngs.iter().map(|p| file_len(p)).sum::<u64>() as f64 / 1e6,
        scanned.len() as f64 / 1e6
    );
    // Warm-up, not timed: the language models into the page cache.
    raw_cli(pngs.get(..1).unwrap_or_default(), 1, &languages).await?;

    let mut times: [Vec<Duration>; 4] = Default::default();
    let mut cpu_times: [Vec<f64>; 4] = Default::default();
    for round in 0..rounds {
        for step in 0..MEASURES.len() {
            let which = (step + round) % MEASURES.len();
            let cpu_before = cpu_seconds();
            let started = Instant::now();
            let results = match which {
                0 => raw_cli(&pngs, 1, &languages).await?,
                1 => raw_cli(&pngs, parallel, &languages).await?,
                2 => pipeline_images(&config, &pngs).await?,
                _ => OcrEngine::new(config.clone())?
                    .ocr_pdf(&scanned, |_, _| {})
                    .await?
                    .into_iter()
                    .map(|p: PageOcr| p.text)
                    .collect(),
            };
            let elapsed = started.elapsed();
            // The pipeline's Tesseract processes were killed with its engine;
            // let the runtime reap them so their CPU time is counted here.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let cpu = cpu_seconds()
                .zip(cpu_before)
                .map(|(after, before)| after - before);
            check_texts(MEASURES.get(which).copied().unwrap_or("?"), &results, pages)?;
            if let Some(list) = times.get_mut(which) {
                list.push(elapsed);
            }
            if let (Some(list), Some(cpu)) = (cpu_times.get_mut(which), cpu) {
                list.push(cpu);
            }
            eprintln!(
                "round {}: {:<40} {:>7.2} s, CPU {}",
                round + 1,
                MEASURES.get(which).copied().unwrap_or("?"),
                elapsed.as_secs_f64(),
                cpu.map_or("unknown".into(), |c| format!("{c:.2} s"))
            );
        }
    }

    let medians: Vec<f64> = times.iter().map(|t| median(t)).collect();
    let per_minute = |secs: f64| pages as f64 * 60.0 / secs.max(1e-9);
    println!();
    println!(
        "{:<42} {:>10} {:>10} {:>14}",
        "", "median s", "pages/min", "CPU s per page"
    );
    for ((name, secs), cpu) in MEASURES.iter().zip(&medians).zip(&cpu_times) {
        let name = name.replace("parallel", &format!("{parallel} at a time"));
        let cpu = if cpu.is_empty() {
            "unknown".to_string()
        } else {
            format!("{:.2}", median_f64(cpu.clone()) / pages as f64)
        };
        println!(
            "{name:<42} {secs:>10.2} {:>10.1} {cpu:>14}",
            per_minute(*secs)
        );
    }
    let [raw_seq, raw_par, pipe_png, pipe_pdf] = medians.as_slice() else {
        bail!("missing measurements");
    };
    println!(
        "pipeline / raw CLI {parallel} at a time: {:.2}x (PNG pages), {:.2}x (scanned PDF, rasterising included); target >= 0.9x",
        raw_par / pipe_png,
        raw_par / pipe_pdf
    );
    println!(
        "pipeline / raw CLI one after another: {:.2}x (PNG pages), {:.2}x (scanned PDF)",
        raw_seq / pipe_png,
        raw_seq / pipe_pdf
    );
    println!("load average at end: {}", load_average());
    Ok(())
}

/// `pages` sample letters rendered to PDF, then to one PNG per page.
async fn sample_pngs(dir: &Path, pages: usize) -> anyhow::Result<Vec<PathBuf>> {
    const PLACES: [(&str, &str); 4] = [
        ("Avenue de la Gare 12", "1003 Lausanne"),
        ("Bahnhofstrasse 7", "8001 Zürich"),
        ("Rue du Rhône 40", "1204 Genève"),
        ("Via Nassa 21", "6900 Lugano"),
    ];
    let letters: Vec<SampleLetter> = (0..pages)
        .map(|i| {
            let (street, locality) = PLACES.get(i % PLACES.len()).copied().unwrap_or_default();
            SampleLetter {
                address: vec![
                    "Société Générale Sàrl".into(),
                    "Madame Hélène Müller".into(),
                    street.into(),
                    locality.into(),
                ],
                pages: 1,
                reference: format!("2026-{:05}", i + 1),
            }
        })
        .collect();
    let pdf = letters_pdf(&letters, &["Courrier SA", "Rue du Marché 3", "1204 Genève"]);
    std::fs::write(dir.join("letters.pdf"), &pdf)?;
    // Drawn in process, in grey at 300 dpi, as OCR draws a scanned PDF.
    let mut pngs = Vec::with_capacity(pages);
    for page in 1..=pages {
        let png = courrier_app::raster::render_grey(&pdf, page, 300.0)
            .and_then(|grey| grey.to_png())
            .with_context(|| format!("drawing page {page}"))?;
        let path = dir.join(format!("page-{page:05}.png"));
        std::fs::write(&path, png)?;
        pngs.push(path);
    }
    Ok(pngs)
}

/// The raw CLI on every page, `parallel` processes at a time; the texts in
/// page order.
async fn raw_cli(
    pngs: &[PathBuf],
    parallel: usize,
    languages: &str,
) -> anyhow::Result<Vec<String>> {
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut tasks = JoinSet::new();
    for (i, png) in pngs.iter().enumerate() {
        let permits = permits.clone();
        let png = png.clone();
        let languages = languages.to_string();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let output = Command::new("tesseract")
                .arg(&png)
                .args(["stdout", "-l", &languages, "--psm", "1", "--oem", "1"])
                .env("OMP_THREAD_LIMIT", "1")
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output()
                .await
                .context("tesseract")?;
            if !output.status.success() {
                bail!("tesseract failed on {}", png.display());
            }
            anyhow::Ok((i, String::from_utf8_lossy(&output.stdout).into_owned()))
        });
    }
    collect(tasks, pngs.len()).await
}

/// A fresh engine, every PNG submitted at once (the engine bounds them).
async fn pipeline_images(config: &OcrConfig, pngs: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let engine = OcrEngine::new(config.clone())?;
    let mut tasks = JoinSet::new();
    for (i, png) in pngs.iter().enumerate() {
        let engine = engine.clone();
        let png = png.clone();
        tasks.spawn(async move {
            let bytes = tokio::fs::read(&png).await?;
            let text = engine
                .ocr_image(&bytes)
                .await?
                .into_iter()
                .map(|p| p.text)
                .collect::<Vec<_>>()
                .join("\n\n");
            anyhow::Ok((i, text))
        });
    }
    collect(tasks, pngs.len()).await
}

async fn collect(
    mut tasks: JoinSet<anyhow::Result<(usize, String)>>,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut texts = vec![String::new(); n];
    while let Some(joined) = tasks.join_next().await {
        let (i, text) = joined??;
        if let Some(slot) = texts.get_mut(i) {
            *slot = text;
        }
    }
    Ok(texts)
}

fn check_texts(what: &str, texts: &[String], pages: usize) -> anyhow::Result<()> {
    let recognised = texts
        .iter()
        .filter(|t| t.to_lowercase().contains("invoice"))
        .count();
    if texts.len() != pages || recognised != pages {
        bail!(
            "{what}: {recognised} of {pages} pages recognised with \"Invoice\" ({} results)",
            texts.len()
        );
    }
    Ok(())
}

fn median(times: &[Duration]) -> f64 {
    median_f64(times.iter().map(Duration::as_secs_f64).collect())
}

fn median_f64(mut secs: Vec<f64>) -> f64 {
    secs.sort_by(f64::total_cmp);
    match secs.len() {
        0 => 0.0,
        n if n % 2 == 1 => secs.get(n / 2).copied().unwrap_or_default(),
        n => {
            (secs.get(n / 2 - 1).copied().unwrap_or_default()
                + secs.get(n / 2).copied().unwrap_or_default())
                / 2.0
        }
    }
}

/// CPU seconds used so far by this process and its waited-for children
/// (`/proc/self/stat`: utime, stime, cutime, cstime, in clock ticks of
/// 1/100 s, Linux's USER_HZ). Measures work independently of the machine's
/// load, which wall time does not.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name in parentheses start at field 3 (state).
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: Option<Vec<u64>> = (11..=14)
        .map(|i| fields.get(i).and_then(|f| f.parse().ok()))
        .collect();
    Some(ticks?.iter().sum::<u64>() as f64 / 100.0)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or_default()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

async fn tesseract_version() -> String {
    let output = Command::new("tesseract").arg("--version").output().await;
    output
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines().next().map(str::to_string)
        })
        .unwrap_or_else(|| "tesseract (version unknown)".into())
}

/// An image-only PDF, one A4 page per PNG, the PNG data kept as it is: a
/// PNG's IDAT stream is what PDF's FlateDecode with PNG predictors reads.
fn scanned_pdf(pngs: &[PathBuf]) -> anyhow::Result<Vec<u8>> {
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    // Objects: 1 catalog, 2 pages, then per page: page, content, image.
    let page_ids: Vec<usize> = (0..pngs.len()).map(|i| 3 + 3 * i).collect();
    // Objects are written in id order, so `offsets[id - 1]` is object `id`.
    let mut object = |out: &mut Vec<u8>, id: usize, dict: &str, stream: Option<&[u8]>| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{id} 0 obj\n{dict}\n").as_bytes());
        if let Some(data) = stream {
            out.extend_from_slice(b"stream\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\nendstream\n");
        }
        out.extend_from_slice(b"endobj\n");
    };
    object(&mut out, 1, "<< /Type /Catalog /Pages 2 0 R >>", None);
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
    object(
        &mut out,
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pngs.len()
        ),
        None,
    );
    for (png, page) in pngs.iter().zip(&page_ids) {
        let png = std::fs::read(png)?;
        let image = PngImage::parse(&png).with_context(|| "reading a page's PNG")?;
        let (content, xobject) = (page + 1, page + 2);
        object(
            &mut out,
            *page,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.276 841.89] \
                 /Resources << /XObject << /Im0 {xobject} 0 R >> >> /Contents {content} 0 R >>"
            ),
            None,
        );
        let draw = b"q 595.276 0 0 841.89 0 0 cm /Im0 Do Q";
        object(
            &mut out,
            content,
            &format!("<< /Length {} >>", draw.len()),
            Some(draw),
        );
        object(
            &mut out,
            xobject,
            &format!(
                "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace {cs} \
                 /BitsPerComponent {bits} /Filter /FlateDecode \
                 /DecodeParms << /Predictor 15 /Colors {colors} /BitsPerComponent {bits} /Columns {w} >> \
                 /Length {len} >>",
                w = image.width,
                h = image.height,
                cs = if image.colors == 1 {
                    "/DeviceGray"
                } else {
                    "/DeviceRGB"
                },
                bits = image.bits,
                colors = image.colors,
                len = image.data.len()
            ),
            Some(&image.data),
        );
    }
    let xref_at = out.len();
    let count = offsets.len() + 1;
    out.extend_from_slice(format!("xref\n0 {count}\n0000000000 65535 f \n").as_bytes());
    for offset in &offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n")
            .as_bytes(),
    );
    Ok(out)
}

/// What a PDF image needs from a non-interlaced PNG.
struct PngImage {
    width: u32,
    height: u32,
    bits: u8,
    colors: u8,
    /// The IDAT chunks, concatenated: one zlib stream.
    data: Vec<u8>,
}

impl PngImage {
    fn parse(png: &[u8]) -> anyhow::Result<PngImage> {
        let mut rest = png
            .strip_prefix(b"\x89PNG\r\n\x1a\n".as_slice())
            .context("not a PNG")?;
        let mut header = None;
        let mut data = Vec::new();
        while rest.len() >= 12 {
            let (len_bytes, after) = rest.split_at(4);
            let len = usize::try_from(u32::from_be_bytes(len_bytes.try_into()?))?;
            let (kind, after) = after.split_at(4);
            let body = after.get(..len).context("truncated PNG chunk")?;
            match kind {
                b"IHDR" => header = Some(body.to_vec()),
                b"IDAT" => data.extend_from_slice(body),
                b"IEND" => break,
                _ => {}
            }
            rest = after.get(len + 4..).context("truncated PNG")?;
        }
        let header = header.context("PNG without IHDR")?;
        let field = |at: usize| -> anyhow::Result<u32> {
            let bytes = header.get(at..at + 4).context("short IHDR")?;
            Ok(u32::from_be_bytes(bytes.try_into()?))
        };
        let byte = |at: usize| header.get(at).copied().context("short IHDR");
        let colors = match byte(9)? {
            0 => 1,
            2 => 3,
            other => bail!("PNG colour type {other} is not supported here"),
        };
        if byte(12)? != 0 {
            bail!("interlaced PNGs are not supported here");
        }
        Ok(PngImage {
            width: field(0)?,
            height: field(4)?,
            bits: byte(8)?,
            colors,
            data,
        })
    }
}
