//! `courrier bench search`: full-text search and the mailbox list at scale.
//!
//! Generates `--items` mail items with OCR-like text (French, German and
//! English business letters; Zipf-distributed word frequencies; numbers,
//! references and a little OCR noise), received uniformly over 5 years,
//! from ~2,000 senders, spread over 500 customer organisations whose sizes
//! follow a Zipf law (a few large ones, many small ones). Items are
//! bulk-loaded through `Store::bench_insert_items`, which fills the search
//! index by the same triggers / generated column as normal writes.
//!
//! Then it times, through the real `Store::search_items` (what the web app
//! and the API call), inside one organisation at a time (search is
//! tenant-scoped): a rare word with a one-year period, a common word with a
//! one-year period, a phrase with a status filter, and the first page of
//! the mailbox list (no words, newest first). Each kind runs `--queries`
//! times with random parameters, for "typical" organisations (the median
//! size band) and for the largest one. Everything is deterministic (fixed
//! seed), so two runs load the same data.

use anyhow::{Context, Result, bail};
use courrier_domain::mailbox::ItemState;
use courrier_domain::{OrgId, OrgScope, Timestamp};
use courrier_store::bench_load::{self, BenchItem};
use courrier_store::{ItemFilter, SearchOrder, SearchQuery, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod corpus;

use corpus::*;

/// Loads the corpus into `store`; returns the items per tenant and the load time.
async fn load(store: &Store, corpus: Arc<Corpus>, items: usize) -> Result<(Vec<usize>, Duration)> {
    let started = Instant::now();
    store
        .bench_create_tenants(
            OrgId::random(),
            &corpus.locations,
            &corpus.tenants,
            Timestamp::from_millis(END_MS - SPAN_MS),
        )
        .await?;
    // Generation runs on its own thread, one batch ahead of the database.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<BenchItem>>(2);
    let gen_corpus = corpus.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut rng = Rng(SEED ^ 0x5EED);
        let mut counts = vec![0usize; ORGS];
        let mut n = 0;
        let mut busy = Duration::ZERO;
        while n < items {
            let t0 = Instant::now();
            let size = BATCH.min(items - n);
            let mut batch = Vec::with_capacity(size);
            for k in n..n + size {
                let (t, item) = gen_corpus.item(k, items, &mut rng);
                if let Some(c) = counts.get_mut(t) {
                    *c += 1;
                }
                batch.push(item);
            }
            n += size;
            busy += t0.elapsed();
            if tx.blocking_send(batch).is_err() {
                break;
            }
        }
        (counts, busy)
    });
    let mut done = 0usize;
    let mut last_report = Instant::now();
    while let Some(batch) = rx.recv().await {
        match store.backend() {
            courrier_store::Backend::Sqlite => store.bench_insert_items(&batch).await?,
            courrier_store::Backend::Postgres => {
                let mut chunks = batch.chunks(PG_CHUNK);
                while let Some(a) = chunks.next() {
                    let b = chunks.next();
                    let (ra, rb) = tokio::join!(store.bench_insert_items(a), async {
                        match b {
                            Some(b) => store.bench_insert_items(b).await,
                            None => Ok(()),
                        }
                    });
                    ra?;
                    rb?;
                }
            }
        }
        done += batch.len();
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            eprintln!(
                "  … {done} items in {:.0} s ({:.0} items/s)",
                started.elapsed().as_secs_f64(),
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    let (counts, generating) = producer.await.context("generator thread")?;
    let inserted = started.elapsed();
    store.bench_finish_load().await?;
    eprintln!(
        "  inserted {done} items in {:.1} s (generating them took {:.1} s of it, in parallel); \
         statistics refreshed in {:.1} s",
        inserted.as_secs_f64(),
        generating.as_secs_f64(),
        (started.elapsed() - inserted).as_secs_f64()
    );
    Ok((counts, started.elapsed()))
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Rare,
    Common,
    Phrase,
    FirstPage,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Rare, Kind::Common, Kind::Phrase, Kind::FirstPage];
    fn label(self) -> &'static str {
        match self {
            Kind::Rare => "rare word + 1-year period",
            Kind::Common => "common word + 1-year period",
            Kind::Phrase => "phrase + status filter",
            Kind::FirstPage => "mailbox list, first page",
        }
    }
}

/// A random one-year period inside the five years.
fn one_year(rng: &mut Rng) -> (i64, i64) {
    let from = END_MS - SPAN_MS + (rng.unit() * (SPAN_MS - 365 * DAY_MS) as f64) as i64;
    (from, from + 365 * DAY_MS)
}

/// A random query of `kind` for a tenant whose letters are mostly in `lang`.
fn query_for(corpus: &Corpus, kind: Kind, lang: Lang, rng: &mut Rng) -> (String, ItemFilter) {
    let l = corpus.language(lang);
    let mut filter = ItemFilter::default();
    let text = match kind {
        Kind::Rare => {
            // Ranks 500…5,000 of the rare tail: a few to a few hundred
            // letters per thousand of that language.
            let i = l.stems.start + rng.range(500, 5_000);
            let (from, before) = one_year(rng);
            filter.received_from = Some(Timestamp::from_millis(from));
            filter.received_before = Some(Timestamp::from_millis(before));
            l.words.get(i).cloned().unwrap_or_default()
        }
        Kind::Common => {
            // One of the 15 most frequent business words ("facture", "rechnung",
            // "invoice", …): in most letters of the language.
            let i = l.business.start + rng.below(15);
            let (from, before) = one_year(rng);
            filter.received_from = Some(Timestamp::from_millis(from));
            filter.received_before = Some(Timestamp::from_millis(before));
            l.words.get(i).cloned().unwrap_or_default()
        }
        Kind::Phrase => {
            filter.state = Some(ItemState::Scanned);
            format!("\"{}\"", rng.pick(l.phrases).copied().unwrap_or(""))
        }
        Kind::FirstPage => String::new(),
    };
    (text, filter)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let n = sorted.len();
    if n == 0 {
        return Duration::ZERO;
    }
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    sorted.get(rank - 1).copied().unwrap_or(Duration::ZERO)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One measured line of the report.
struct Line {
    group: String,
    kind: Kind,
    order: SearchOrder,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    avg_hits: f64,
    full_pages: f64,
}

async fn measure(
    store: &Store,
    corpus: &Corpus,
    group: &str,
    tenants: &[usize],
    queries: usize,
    rng: &mut Rng,
) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    for kind in Kind::ALL {
        // The same queries in each order; a few unmeasured ones first, as a
        // running server would have had.
        let warm = 5.min(queries);
        let mut asked = Vec::with_capacity(warm + queries);
        for _ in 0..warm + queries {
            let t = rng.pick(tenants).copied().unwrap_or(0);
            let Some(tenant) = corpus.tenants.get(t) else {
                bail!("no tenant {t}");
            };
            let lang = corpus.tenant_lang.get(t).copied().unwrap_or(Lang::Fr);
            let (text, filter) = query_for(corpus, kind, lang, rng);
            asked.push((tenant.org, text, filter));
        }
        let orders: &[SearchOrder] = match kind {
            Kind::FirstPage => &[SearchOrder::Newest],
            _ => &[SearchOrder::Newest, SearchOrder::Relevance],
        };
        for &order in orders {
            let mut times = Vec::with_capacity(queries);
            let mut hits = 0usize;
            let mut full = 0usize;
            for (n, (org, text, filter)) in asked.iter().enumerate() {
                let scope = OrgScope::system(*org, "system:bench");
                let query = SearchQuery::parse(text);
                let filter = ItemFilter {
                    order,
                    ..filter.clone()
                };
                let started = Instant::now();
                let page = store
                    .search_items(&scope, &query, &filter, None, PAGE)
                    .await
                    .with_context(|| format!("search {text:?}"))?;
                let took = started.elapsed();
                if n >= warm {
                    times.push(took);
                    hits += page.items.len();
                    if page.next_cursor.is_some() {
                        full += 1;
                    }
                }
            }
            times.sort();
            let q = queries.max(1) as f64;
            lines.push(Line {
                group: group.to_string(),
                kind,
                order,
                p50: percentile(&times, 0.50),
                p95: percentile(&times, 0.95),
                p99: percentile(&times, 0.99),
                avg_hits: hits as f64 / q,
                full_pages: full as f64 * 100.0 / q,
            });
        }
    }
    Ok(lines)
}

async fn run_backend(
    name: &str,
    url: &str,
    corpus: Arc<Corpus>,
    items: usize,
    queries: usize,
) -> Result<()> {
    eprintln!("{name}: loading {items} items …");
    let store = Store::connect(url).await?;
    let (counts, took) = load(&store, corpus.clone(), items).await?;
    println!();
    println!(
        "{name}: {items} items in {ORGS} organisations loaded in {:.1} min ({:.0} items/s)",
        took.as_secs_f64() / 60.0,
        items as f64 / took.as_secs_f64().max(0.001)
    );
    let result = report(name, &store, &corpus, &counts, queries).await;
    store.close().await;
    result
}

/// Times the queries on a loaded database and prints the table.
async fn report(
    name: &str,
    store: &Store,
    corpus: &Corpus,
    counts: &[usize],
    queries: usize,
) -> Result<()> {
    let mut by_size: Vec<(usize, usize)> = counts.iter().copied().enumerate().collect();
    by_size.sort_by_key(|(_, c)| *c);
    // Typical: the median size band (45th to 55th percentile of tenants).
    let lo = by_size.len() * 45 / 100;
    let hi = (by_size.len() * 55 / 100).max(lo + 1);
    let typical: Vec<usize> = by_size
        .iter()
        .skip(lo)
        .take(hi - lo)
        .map(|(t, _)| *t)
        .collect();
    let typical_sizes: Vec<usize> = by_size
        .iter()
        .skip(lo)
        .take(hi - lo)
        .map(|(_, c)| *c)
        .collect();
    let (largest, largest_size) = by_size.last().copied().unwrap_or((0, 0));
    let mut rng = Rng(SEED ^ 0x0051_EA7C);
    let typical_label = format!(
        "typical org ({}–{} items)",
        typical_sizes.first().copied().unwrap_or(0),
        typical_sizes.last().copied().unwrap_or(0)
    );
    let largest_label = format!("largest org ({largest_size} items)");
    let mut lines = measure(store, corpus, &typical_label, &typical, queries, &mut rng).await?;
    lines.extend(measure(store, corpus, &largest_label, &[largest], queries, &mut rng).await?);
    println!(
        "{:<32} {:<30} {:<10} {:>9} {:>9} {:>9} {:>10} {:>6}",
        "scope", "query", "order", "p50", "p95", "p99", "hits/page", "full"
    );
    for l in &lines {
        println!(
            "{:<32} {:<30} {:<10} {:>9} {:>9} {:>9} {:>10.1} {:>5.0}%",
            l.group,
            l.kind.label(),
            l.order.as_str(),
            ms(l.p50),
            ms(l.p95),
            ms(l.p99),
            l.avg_hits,
            l.full_pages
        );
    }
    // The targets are for the default order; relevance is shown beside it.
    let search_p95 = lines
        .iter()
        .filter(|l| !matches!(l.kind, Kind::FirstPage) && l.order == SearchOrder::Newest)
        .map(|l| l.p95)
        .max()
        .unwrap_or_default();
    let list_p99 = lines
        .iter()
        .filter(|l| matches!(l.kind, Kind::FirstPage))
        .map(|l| l.p99)
        .max()
        .unwrap_or_default();
    println!(
        "{name}: worst search p95 (newest first) {} (target < 50 ms: {}), worst first-page p99 {} (target < 20 ms: {})",
        ms(search_p95),
        if search_p95 < Duration::from_millis(50) {
            "met"
        } else {
            "MISSED"
        },
        ms(list_p99),
        if list_p99 < Duration::from_millis(20) {
            "met"
        } else {
            "MISSED"
        },
    );
    Ok(())
}

/// `courrier bench search --kept URL`: the queries again on a database that
/// an earlier run kept (`--keep`), without loading it. The organisations are
/// matched to the generated ones by name.
pub async fn search_kept(url: &str, queries: usize) -> Result<()> {
    if queries == 0 {
        bail!("--queries must be at least 1");
    }
    let store = Store::connect(url).await?;
    let mut corpus = Corpus::new(&mut Rng(SEED));
    let mut counts = vec![0usize; ORGS];
    let mut matched = 0usize;
    for (name, org, n) in store.bench_tenants().await? {
        let ix = name
            .strip_prefix("Kunde ")
            .and_then(|r| r.get(..3))
            .and_then(|d| d.parse::<usize>().ok());
        if let Some((tenant, count)) =
            ix.and_then(|ix| corpus.tenants.get_mut(ix).zip(counts.get_mut(ix)))
        {
            tenant.org = org;
            *count = usize::try_from(n).unwrap_or(0);
            matched += 1;
        }
    }
    if matched != ORGS {
        bail!("{url} holds {matched} of the {ORGS} bench organisations: not a kept bench database");
    }
    let name = match store.backend() {
        courrier_store::Backend::Sqlite => "SQLite",
        courrier_store::Backend::Postgres => "PostgreSQL",
    };
    println!(
        "{name}: kept database with {} items",
        counts.iter().sum::<usize>()
    );
    let result = report(name, &store, &corpus, &counts, queries).await;
    store.close().await;
    result
}

/// `courrier bench search`.
pub async fn search(items: usize, backend: &str, queries: usize, keep: bool) -> Result<()> {
    let (sqlite, postgres) = match backend {
        "sqlite" => (true, false),
        "postgres" => (false, true),
        "both" => (true, true),
        other => bail!("--backend must be sqlite, postgres or both (got {other})"),
    };
    if items == 0 || queries == 0 {
        bail!("--items and --queries must be at least 1");
    }
    let started = Instant::now();
    let corpus = Arc::new(Corpus::new(&mut Rng(SEED)));
    eprintln!(
        "vocabulary: {} French, {} German, {} English words; {} senders; built in {:.1} s",
        corpus.fr.words.len(),
        corpus.de.words.len(),
        corpus.en.words.len(),
        corpus.senders.len(),
        started.elapsed().as_secs_f64()
    );
    if sqlite {
        let dir = tempfile::Builder::new()
            .prefix("courrier-bench-search-")
            .tempdir()?;
        let path = dir.path().join("bench.sqlite3");
        let url = format!("sqlite://{}", path.display());
        let result = run_backend("SQLite", &url, corpus.clone(), items, queries).await;
        if keep {
            let kept = dir.keep();
            eprintln!("kept the SQLite database in {}", kept.display());
        }
        result?;
    }
    if postgres {
        let admin = courrier_store::testing::postgres_admin_url();
        let (url, name) = bench_load::create_postgres_database(&admin)
            .await
            .with_context(|| {
                format!("creating a database on {admin} (set COURRIER_TEST_POSTGRES)")
            })?;
        let result = run_backend("PostgreSQL", &url, corpus.clone(), items, queries).await;
        if keep {
            eprintln!("kept the PostgreSQL database {url}");
        } else {
            bench_load::drop_postgres_database(&admin, &name).await?;
        }
        result?;
    }
    Ok(())
}
