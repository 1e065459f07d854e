//! `courrier bench intake`: the bulk intake pipeline measured in process,
//! without the database, against a pipeline of standard tools.
//!
//! A bulk PDF of N letters (1 to 3 pages, addresses for CH, FR, DE, BE, AT,
//! IT, NL and LU in the Swiss left window) is generated, then parsed once,
//! split by "a new address in the window starts a letter", and every letter
//! is cut out on its own, inspected, its window read and parsed, its options
//! checked, priced and given a delivery date — on every core. The reference
//! splits a sample of the letters with `qpdf --pages` and reads each window
//! with `pdftotext -x -y -W -H`, on as many parallel processes.

use anyhow::{Context, bail};
use courrier_app::bulk::{PassOptions, SplitMethod, Splitter, process_file, whole_file_problems};
use courrier_app::intake::IntakeContext;
use courrier_app::letters::LetterInput;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_documents::{IntakeLimits, load_pdf};
use courrier_domain::letters::Product;
use courrier_domain::{Clock, OrgId, SystemClock};
use courrier_store::LetterSettings;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Names, streets and localities per country, with the country line as an
/// ERP would print it (none for Switzerland, the sender's country).
struct CountrySample {
    names: &'static [&'static str],
    streets: &'static [&'static str],
    localities: &'static [&'static str],
    country_line: &'static [&'static str],
}

const COUNTRIES: [CountrySample; 8] = [
    CountrySample {
        names: &[
            "Boulangerie Dupont SàRL",
            "Müller Treuhand AG",
            "Hans Muster",
            "Pharmacie du Lac SA",
        ],
        streets: &[
            "Rue de Bourg 12",
            "Bahnhofstrasse 7",
            "Via Nassa 21",
            "Chemin des Vignes 3",
        ],
        localities: &["1003 Lausanne", "8001 Zürich", "6900 Lugano", "3011 Bern"],
        country_line: &[],
    },
    CountrySample {
        names: &["Marie Lefèvre", "SARL Atelier Moreau", "Jean-Pierre Martin"],
        streets: &[
            "12 rue de la République",
            "5 avenue Jean Jaurès",
            "27 boulevard Carnot",
        ],
        localities: &["69002 Lyon", "75011 Paris", "13001 Marseille"],
        country_line: &["FRANCE", "FRANKREICH"],
    },
    CountrySample {
        names: &["Müller GmbH", "Anna Schneider", "Bäckerei Weber KG"],
        streets: &["Hauptstraße 3", "Königsallee 60", "Lindenweg 14"],
        localities: &["10115 Berlin", "40212 Düsseldorf", "80331 München"],
        country_line: &["ALLEMAGNE", "DEUTSCHLAND", "GERMANY"],
    },
    CountrySample {
        names: &["Brasserie Peeters BV", "Sophie Janssens", "Luc Dubois"],
        streets: &["Grote Markt 1", "Rue Neuve 45", "Meir 78"],
        localities: &["1000 Bruxelles", "2000 Antwerpen", "4000 Liège"],
        country_line: &["BELGIQUE", "BELGIË", "BELGIEN"],
    },
    CountrySample {
        names: &["Gasthof Huber", "Maria Gruber", "Tischlerei Wagner GmbH"],
        streets: &["Kärntner Straße 12", "Getreidegasse 9", "Herrengasse 4"],
        localities: &["1010 Wien", "5020 Salzburg", "8010 Graz"],
        country_line: &["AUTRICHE", "ÖSTERREICH", "AUSTRIA"],
    },
    CountrySample {
        names: &["Trattoria Rossi Srl", "Giulia Bianchi", "Marco Ferrari"],
        streets: &["Via Roma 10", "Corso Buenos Aires 33", "Piazza Navona 2"],
        localities: &["20121 Milano", "00186 Roma", "10121 Torino"],
        country_line: &["ITALIE", "ITALIEN", "ITALY"],
    },
    CountrySample {
        names: &["De Vries Handel BV", "Jan Bakker", "Eva de Jong"],
        streets: &["Damrak 70", "Coolsingel 40", "Oudegracht 15"],
        localities: &["1012 LM Amsterdam", "3011 AD Rotterdam", "3511 AL Utrecht"],
        country_line: &["PAYS-BAS", "NEDERLAND", "NIEDERLANDE"],
    },
    CountrySample {
        names: &["Boulangerie Schmit", "Paul Weber", "Lux Conseil Sàrl"],
        streets: &["Grand-Rue 25", "Avenue de la Liberté 10", "Rue du Fort 3"],
        localities: &[
            "L-1660 Luxembourg",
            "L-4001 Esch-sur-Alzette",
            "L-9001 Ettelbruck",
        ],
        country_line: &["LUXEMBOURG", "LUXEMBURG"],
    },
];

const SENDER: [&str; 2] = [
    "Helvetia Fiduciaire SA",
    "Avenue de la Gare 1, 1003 Lausanne",
];

/// A small deterministic generator, so every run measures the same file.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let below = u64::try_from(below.max(1)).unwrap_or(1);
        usize::try_from((self.0 >> 33) % below).unwrap_or(0)
    }
}

fn pick<'a>(rng: &mut Lcg, items: &[&'a str]) -> &'a str {
    items
        .get(rng.next(items.len()))
        .copied()
        .unwrap_or_default()
}

/// `n` letters of 1 to 3 pages for the eight countries, in turn.
pub fn sample_letters(n: usize) -> Vec<SampleLetter> {
    let mut rng = Lcg(0x5eed);
    (0..n)
        .map(|i| {
            let country = COUNTRIES.get(i % COUNTRIES.len()).unwrap_or(&COUNTRIES[0]);
            let mut address = vec![
                pick(&mut rng, country.names).to_string(),
                pick(&mut rng, country.streets).to_string(),
                pick(&mut rng, country.localities).to_string(),
            ];
            if !country.country_line.is_empty() {
                address.push(pick(&mut rng, country.country_line).to_string());
            }
            SampleLetter {
                address,
                pages: u32::try_from(1 + rng.next(3)).unwrap_or(1),
                reference: format!("2026-{:05}", i + 1),
            }
        })
        .collect()
}

/// Peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak (Linux: writing 5 to clear_refs), so the figure covers
/// the pipeline and not the generation of the test file.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

pub struct Figures {
    pub letters: usize,
    pub pages: usize,
    pub accepted: usize,
    pub refused: usize,
    pub elapsed: Duration,
    /// Of which: parsing the file and checking it as a whole.
    pub load: Duration,
}

/// The in-process pipeline on a bulk PDF.
pub fn run_pipeline(pdf: &[u8], threads: usize, keep_pdf: bool) -> anyhow::Result<Figures> {
    // The seed table straight from the domain, not the stored one: this
    // benchmarks the in-process pipeline, with no database behind it.
    let ctx = IntakeContext::new(
        OrgId::random(),
        "CH",
        &LetterSettings::default(),
        courrier_domain::letters::TariffTable::swiss_post(),
    )?;
    let splitter = Splitter::new(&SplitMethod::Address)?;
    let input = LetterInput::default();
    let options = PassOptions {
        created_by: "bench".into(),
        now: SystemClock.now(),
        keep_pdf,
        threads,
        abroad: Some(Product::InternationalPriority),
    };
    let started = Instant::now();
    let limits = IntakeLimits {
        max_bytes: usize::MAX,
        ..IntakeLimits::default()
    };
    let doc = load_pdf(pdf, &limits).map_err(|f| anyhow::anyhow!("{f}"))?;
    let problems = whole_file_problems(&doc, &ctx);
    if !problems.is_empty() {
        bail!("the bulk PDF was refused: {problems:?}");
    }
    let pages = doc.get_pages().len();
    let load = started.elapsed();
    let total = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let first_refusal = std::sync::Mutex::new(None::<String>);
    process_file(
        &doc,
        &ctx,
        &splitter,
        &input,
        &options,
        |n| total.store(n, Ordering::Relaxed),
        &|_| false,
        &|result| {
            match result.outcome {
                Ok(_) => accepted.fetch_add(1, Ordering::Relaxed),
                Err(reasons) => {
                    if let Ok(mut first) = first_refusal.lock() {
                        first.get_or_insert_with(|| format!("{}: {reasons:?}", result.source));
                    }
                    refused.fetch_add(1, Ordering::Relaxed)
                }
            };
            true
        },
    );
    let elapsed = started.elapsed();
    if let Ok(Some(first)) = first_refusal.lock().map(|f| f.clone()) {
        eprintln!("first refused letter: {first}");
    }
    Ok(Figures {
        letters: total.load(Ordering::Relaxed),
        pages,
        accepted: accepted.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        elapsed,
        load,
    })
}

fn tool(name: &str) -> anyhow::Result<()> {
    match Command::new(name).arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("{name} is not installed (apt-get install qpdf poppler-utils)"),
    }
}

/// The reference: per letter, `qpdf --pages` cuts it out of the sample file
/// and `pdftotext` reads page 1's window; `threads` letters at a time.
fn run_reference(
    dir: &Path,
    letters: &[SampleLetter],
    threads: usize,
) -> anyhow::Result<(Duration, usize)> {
    tool("qpdf")?;
    tool("pdftotext")?;
    let sample = dir.join("sample.pdf");
    std::fs::write(&sample, letters_pdf(letters, &SENDER))?;
    let mut ranges = Vec::with_capacity(letters.len());
    let mut page = 1u32;
    for l in letters {
        let pages = l.pages.max(1);
        ranges.push((page, page + pages - 1));
        page += pages;
    }
    // The Swiss left window in points (pdftotext's default 72 dpi).
    let pt = |mm: f64| format!("{:.0}", mm * 72.0 / 25.4);
    let (x, y, w, h) = (pt(22.0), pt(60.0), pt(85.5), pt(25.5));
    let read = AtomicUsize::new(0);
    let started = Instant::now();
    let outcome: anyhow::Result<()> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let (ranges, sample, read) = (&ranges, &sample, &read);
                let (x, y, w, h) = (&x, &y, &w, &h);
                s.spawn(move || -> anyhow::Result<()> {
                    for (i, (first, last)) in
                        ranges.iter().enumerate().skip(t).step_by(threads.max(1))
                    {
                        let out = dir.join(format!("letter-{i}.pdf"));
                        let status = Command::new("qpdf")
                            .arg(sample)
                            .arg("--pages")
                            .arg(sample)
                            .arg(format!("{first}-{last}"))
                            .arg("--")
                            .arg(&out)
                            .status()
                            .context("qpdf")?;
                        if !status.success() {
                            bail!("qpdf failed on letter {i}");
                        }
                        let text = Command::new("pdftotext")
                            .args(["-f", "1", "-l", "1", "-x", x, "-y", y, "-W", w, "-H", h])
                            .arg(&out)
                            .arg("-")
                            .output()
                            .context("pdftotext")?;
                        if text.status.success()
                            && !String::from_utf8_lossy(&text.stdout).trim().is_empty()
                        {
                            read.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a reference thread failed"))??;
        }
        Ok(())
    });
    outcome?;
    Ok((started.elapsed(), read.load(Ordering::Relaxed)))
}

pub fn intake(letters: usize, sample: usize, threads: usize, keep_pdf: bool) -> anyhow::Result<()> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        threads
    };
    println!("Courrier intake benchmark: {letters} letters, {threads} threads");
    let generated = Instant::now();
    let letter_list = sample_letters(letters);
    let pdf = letters_pdf(&letter_list, &SENDER);
    let generation_peak = peak_rss_mib();
    println!(
        "generated the bulk PDF: {:.1} MB in {:.2} s (not measured below)",
        pdf.len() as f64 / 1_000_000.0,
        generated.elapsed().as_secs_f64()
    );
    let reset = reset_peak_rss();

    let figures = run_pipeline(&pdf, threads, keep_pdf)?;
    let peak = peak_rss_mib();
    let secs = figures.elapsed.as_secs_f64().max(1e-9);
    let per_letter = secs / figures.letters.max(1) as f64;
    println!(
        "in process: {} pages, {} letters ({} accepted, {} refused) in {:.2} s = {:.0} letters/s ({:.3} ms per letter){}",
        figures.pages,
        figures.letters,
        figures.accepted,
        figures.refused,
        secs,
        figures.letters as f64 / secs,
        per_letter * 1000.0,
        if keep_pdf {
            ", each letter's PDF written"
        } else {
            ""
        }
    );
    println!(
        "  of which parsing the file once: {:.2} s; splitting, windows, checks and prices: {:.2} s",
        figures.load.as_secs_f64(),
        (figures.elapsed - figures.load).as_secs_f64()
    );
    match (peak, reset) {
        (Some(p), true) => println!(
            "peak RSS during the pipeline: {p:.0} MiB (whole process incl. generation: {:.0} MiB)",
            generation_peak.unwrap_or(0.0).max(p)
        ),
        (Some(p), false) => println!("peak RSS of the process (generation included): {p:.0} MiB"),
        _ => println!("peak RSS: unknown (no /proc/self/status)"),
    }
    if figures.accepted != figures.letters || figures.letters != letters {
        println!("WARNING: expected {letters} letters, all accepted");
    }

    let sample = sample.min(letters);
    if sample > 0 {
        let dir = tempfile::tempdir().context("temporary folder")?;
        let sample_letters = letter_list.get(..sample).unwrap_or_default();
        match run_reference(dir.path(), sample_letters, threads) {
            Ok((elapsed, read)) => {
                let ref_per_letter = elapsed.as_secs_f64() / sample as f64;
                println!(
                    "reference (qpdf --pages + pdftotext -x -y -W -H, {threads} in parallel): {sample} letters in {:.2} s = {:.1} letters/s ({:.1} ms per letter, {read} windows read)",
                    elapsed.as_secs_f64(),
                    1.0 / ref_per_letter,
                    ref_per_letter * 1000.0
                );
                println!(
                    "ratio per letter: {:.0}x",
                    ref_per_letter / per_letter.max(1e-12)
                );
            }
            Err(e) => println!("reference pipeline not run: {e:#}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_is_all_accepted() {
        let letters = sample_letters(40);
        let pdf = letters_pdf(&letters, &SENDER);
        let figures = run_pipeline(&pdf, 2, true).unwrap();
        assert_eq!(figures.letters, 40);
        assert_eq!(figures.accepted, 40, "refused: {}", figures.refused);
    }
}
