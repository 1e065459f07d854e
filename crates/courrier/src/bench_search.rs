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
use courrier_domain::mailbox::{ItemFormat, ItemKind, ItemState, Origin};
use courrier_domain::{LocationId, MailItemId, MailboxId, OrgId, OrgScope, Timestamp};
use courrier_store::bench_load::{self, BenchItem, BenchTenant};
use courrier_store::{ItemFilter, SearchOrder, SearchQuery, Store};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORGS: usize = 500;
const SENDERS: usize = 2_000;
const LOCATIONS: usize = 10;
/// Generated rare words per language, after the hand-written common ones.
const STEMS_PER_LANGUAGE: usize = 20_000;
const BATCH: usize = 10_000;
/// Rows per PostgreSQL statement; two statements run at a time.
const PG_CHUNK: usize = 2_500;
const PAGE: u32 = 50;
const DAY_MS: i64 = 86_400_000;
/// The newest item is received just before 2026-01-01T00:00:00Z.
const END_MS: i64 = 1_767_225_600_000;
const SPAN_MS: i64 = 5 * 365 * DAY_MS + DAY_MS;
const SEED: u64 = 0x00C0_FFEE_2026;

/// SplitMix64: small, fast and deterministic; quality is ample here.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below(hi_inclusive.saturating_sub(lo) + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Ranks 0..n with probability proportional to 1 / (rank + 1)^s.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cdf = (1..=n)
            .map(|k| {
                acc += 1.0 / (k as f64).powf(s);
                acc
            })
            .collect();
        Zipf { cdf }
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let u = rng.unit() * total;
        self.cdf
            .partition_point(|c| *c < u)
            .min(self.cdf.len().saturating_sub(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    De,
    En,
}

const FR_FUNCTION: &str = "de la le et les des à en du un une pour que dans par sur au est nous vous votre vos ce qui \
    avec pas ne sont aux il elle cette ces plus ou son sa ses leur être avons avez";
const FR_BUSINESS: &str = "facture montant paiement date compte client contrat assurance prime total référence délai \
    mois année service frais banque virement échéance conditions madame monsieur commande livraison adresse numéro \
    période documents rappel impôt taxe salaire décompte remboursement prestations tarif annuel solde crédit débit \
    dossier demande réponse lettre information modification résiliation police sinistre avis";
const DE_FUNCTION: &str = "der die und in den von zu das mit sie sich des auf für ist im dem nicht ein eine als auch \
    es an werden aus er hat dass bei oder wir ihre ihr ihnen sind";
const DE_BUSINESS: &str = "rechnung betrag zahlung datum konto kunde vertrag versicherung prämie total referenz frist \
    monat jahr dienstleistung gebühren bank überweisung fälligkeit bedingungen damen herren bestellung lieferung \
    adresse nummer periode unterlagen mahnung steuer steuern lohn abrechnung rückerstattung leistungen tarif jährlich \
    saldo gutschrift belastung dossier antrag antwort schreiben information änderung kündigung police schaden mitteilung";
const EN_FUNCTION: &str = "the of and to a in for is on that by this with you your we are be as at from or it our \
    have has not will please any";
const EN_BUSINESS: &str = "invoice amount payment date account customer contract insurance premium total reference \
    deadline month year service fees bank transfer due terms order delivery address number period documents reminder \
    tax salary statement refund benefits rate annual balance credit debit file request reply letter information change \
    termination policy claim notice";

const FR_SYLLABLES: &[&str] = &[
    "ba", "be", "bi", "cha", "che", "con", "cor", "da", "de", "di", "fa", "fi", "ga", "gé", "la",
    "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "pa", "pe", "pi", "po", "pré",
    "ra", "re", "ri", "ro", "sa", "se", "si", "ta", "te", "ti", "tra", "va", "ve", "vi",
];
const FR_ENDINGS: &[&str] = &[
    "", "tion", "ment", "eur", "ette", "ière", "age", "ique", "oir", "ance",
];
const DE_SYLLABLES: &[&str] = &[
    "ab", "an", "auf", "be", "ber", "burg", "dor", "ein", "fel", "ge", "hal", "hau", "hei", "kan",
    "kel", "lan", "mar", "mel", "ner", "ober", "rat", "rei", "sch", "stein", "ter", "ver", "wal",
    "zei", "zug", "brei", "stadt", "feld", "haus", "wer", "grü", "mü",
];
const DE_ENDINGS: &[&str] = &[
    "", "ung", "keit", "schaft", "heit", "er", "en", "lich", "bar", "amt",
];
const EN_SYLLABLES: &[&str] = &[
    "ac", "al", "ar", "be", "com", "con", "de", "dis", "en", "ex", "for", "in", "ma", "mis", "ne",
    "out", "over", "per", "pre", "pro", "re", "sub", "ter", "un", "ver", "wa", "wi", "sto", "lan",
    "bri",
];
const EN_ENDINGS: &[&str] = &[
    "", "tion", "ment", "ness", "er", "ing", "able", "ity", "ship", "ed",
];

const FR_PHRASES: &[&str] = &[
    "payable dans 30 jours",
    "sans autre avis de votre part",
    "nous vous prions de bien vouloir",
    "en cas de questions",
];
const DE_PHRASES: &[&str] = &[
    "zahlbar innert 30 tagen",
    "für rückfragen stehen wir ihnen gerne zur verfügung",
    "wir bitten sie",
    "gemäss vertrag",
];
const EN_PHRASES: &[&str] = &[
    "payable within 30 days",
    "please find enclosed",
    "do not hesitate to contact us",
    "according to the contract",
];

const CITIES: &[&str] = &[
    "Lausanne",
    "Genève",
    "Zürich",
    "Bern",
    "Basel",
    "Luzern",
    "Fribourg",
    "Neuchâtel",
    "Sion",
    "St. Gallen",
    "Winterthur",
    "Lugano",
    "Biel/Bienne",
    "Chur",
    "Aarau",
];
const TAGS: &[&str] = &[
    "impôts",
    "facture",
    "banque",
    "assurance",
    "steuern",
    "rechnung",
    "versicherung",
    "bank",
    "invoice",
    "contract",
    "salaire",
    "lohn",
    "miete",
    "loyer",
    "à payer",
    "archiv",
];
const NAME_HEADS: &[&str] = &[
    "Helvetia",
    "Alpina",
    "Léman",
    "Rhône",
    "Jura",
    "Aare",
    "Limmat",
    "Gotthard",
    "Pilatus",
    "Säntis",
    "Matterhorn",
    "Eiger",
    "Lavaux",
    "Romandie",
    "Ticino",
    "Engadin",
    "Emmental",
    "Seeland",
    "Riviera",
    "Chablais",
    "Nord",
    "Sud",
    "Central",
    "Global",
    "Swiss",
    "Euro",
    "Atlas",
    "Orion",
    "Vega",
    "Nova",
    "Prime",
    "Union",
    "Civitas",
    "Fortuna",
    "Mercator",
    "Concordia",
    "Vita",
    "Sana",
    "Pax",
    "Lux",
];
const NAME_TRADES: &[&str] = &[
    "Versicherungen",
    "Assurances",
    "Bank",
    "Banque",
    "Treuhand",
    "Fiduciaire",
    "Immobilien",
    "Régie",
    "Energie",
    "Telecom",
    "Transport",
    "Logistik",
    "Consulting",
    "Informatik",
    "Santé",
    "Krankenkasse",
    "Leasing",
    "Garage",
    "Bau",
    "Druck",
    "Media",
    "Pharma",
    "Verlag",
    "Services",
    "Solutions",
    "Capital",
    "Gestion",
    "Verwaltung",
    "Steueramt",
    "Office des impôts",
    "Handel",
    "Technik",
    "Elektro",
    "Sanitär",
    "Reisen",
];
const NAME_FORMS: &[&str] = &["AG", "SA", "GmbH", "Sàrl", "Ltd", "Genossenschaft", ""];

struct Language {
    words: Vec<String>,
    zipf: Zipf,
    /// Indices in `words` of the business words, most frequent first.
    business: std::ops::Range<usize>,
    /// Indices of the generated rare words.
    stems: std::ops::Range<usize>,
    opening: &'static str,
    closing: &'static str,
    phrases: &'static [&'static str],
    city_word: &'static str,
}

impl Language {
    fn new(lang: Lang, rng: &mut Rng) -> Language {
        let (function, business, syllables, endings) = match lang {
            Lang::Fr => (FR_FUNCTION, FR_BUSINESS, FR_SYLLABLES, FR_ENDINGS),
            Lang::De => (DE_FUNCTION, DE_BUSINESS, DE_SYLLABLES, DE_ENDINGS),
            Lang::En => (EN_FUNCTION, EN_BUSINESS, EN_SYLLABLES, EN_ENDINGS),
        };
        let mut words: Vec<String> = function.split_whitespace().map(str::to_string).collect();
        let b0 = words.len();
        words.extend(business.split_whitespace().map(str::to_string));
        let b1 = words.len();
        let mut seen: HashSet<String> = words.iter().cloned().collect();
        while words.len() < b1 + STEMS_PER_LANGUAGE {
            let n = rng.range(2, 4);
            let mut w = String::new();
            for _ in 0..n {
                w.push_str(rng.pick(syllables).copied().unwrap_or("a"));
            }
            w.push_str(rng.pick(endings).copied().unwrap_or(""));
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let zipf = Zipf::new(words.len(), 1.0);
        let stems = b1..words.len();
        let (opening, closing, phrases, city_word) = match lang {
            Lang::Fr => (
                "madame monsieur",
                "veuillez agréer madame monsieur nos salutations distinguées",
                FR_PHRASES,
                "le",
            ),
            Lang::De => (
                "sehr geehrte damen und herren",
                "mit freundlichen grüssen",
                DE_PHRASES,
                "den",
            ),
            Lang::En => ("dear sir or madam", "yours sincerely", EN_PHRASES, "on"),
        };
        Language {
            words,
            zipf,
            business: b0..b1,
            stems,
            opening,
            closing,
            phrases,
            city_word,
        }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        self.words
            .get(self.zipf.sample(rng))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Replaces a letter the way OCR misreads it.
fn ocr_noise(word: &str, rng: &mut Rng) -> String {
    const SWAPS: &[(char, char)] = &[
        ('e', 'c'),
        ('l', '1'),
        ('o', '0'),
        ('i', 'l'),
        ('a', 'o'),
        ('n', 'm'),
        ('u', 'v'),
        ('s', '5'),
    ];
    let (from, to) = rng.pick(SWAPS).copied().unwrap_or(('e', 'c'));
    word.replacen(from, &to.to_string(), 1)
}

struct Corpus {
    fr: Language,
    de: Language,
    en: Language,
    senders: Vec<String>,
    sender_zipf: Zipf,
    tenants: Vec<BenchTenant>,
    tenant_lang: Vec<Lang>,
    tenant_zipf: Zipf,
    /// Tenant order is shuffled so size does not follow creation order.
    tenant_by_rank: Vec<usize>,
    locations: Vec<LocationId>,
}

impl Corpus {
    fn new(rng: &mut Rng) -> Corpus {
        let fr = Language::new(Lang::Fr, rng);
        let de = Language::new(Lang::De, rng);
        let en = Language::new(Lang::En, rng);
        let mut seen = HashSet::new();
        let mut senders = Vec::new();
        while senders.len() < SENDERS {
            let name = format!(
                "{} {} {}",
                rng.pick(NAME_HEADS).copied().unwrap_or("Nova"),
                rng.pick(NAME_TRADES).copied().unwrap_or("Services"),
                rng.pick(NAME_FORMS).copied().unwrap_or("")
            )
            .trim()
            .to_string();
            let name = if seen.contains(&name) {
                format!("{name} {}", rng.pick(CITIES).copied().unwrap_or("Bern"))
            } else {
                name
            };
            if seen.insert(name.clone()) {
                senders.push(name);
            }
        }
        let tenants: Vec<BenchTenant> = (0..ORGS)
            .map(|n| BenchTenant {
                org: OrgId::random(),
                mailbox: MailboxId::random(),
                name: format!(
                    "Kunde {n:03} {}",
                    rng.pick(NAME_HEADS).copied().unwrap_or("Nova")
                ),
            })
            .collect();
        let tenant_lang = (0..ORGS)
            .map(|_| match rng.unit() {
                u if u < 0.45 => Lang::Fr,
                u if u < 0.85 => Lang::De,
                _ => Lang::En,
            })
            .collect();
        let mut tenant_by_rank: Vec<usize> = (0..ORGS).collect();
        for i in (1..tenant_by_rank.len()).rev() {
            let j = rng.below(i + 1);
            tenant_by_rank.swap(i, j);
        }
        Corpus {
            fr,
            de,
            en,
            senders,
            sender_zipf: Zipf::new(SENDERS, 0.9),
            tenants,
            tenant_lang,
            tenant_zipf: Zipf::new(ORGS, 0.8),
            tenant_by_rank,
            locations: (0..LOCATIONS).map(|_| LocationId::random()).collect(),
        }
    }

    fn language(&self, lang: Lang) -> &Language {
        match lang {
            Lang::Fr => &self.fr,
            Lang::De => &self.de,
            Lang::En => &self.en,
        }
    }

    /// Item number `n` of `total`: received times grow with `n`, like a
    /// mailbox filling up over five years.
    fn item(&self, n: usize, total: usize, rng: &mut Rng) -> (usize, BenchItem) {
        let tenant_ix = self
            .tenant_by_rank
            .get(self.tenant_zipf.sample(rng))
            .copied()
            .unwrap_or(0);
        let slot = SPAN_MS / total.max(1) as i64;
        let received =
            END_MS - SPAN_MS + (n as i64).saturating_mul(slot) + (rng.unit() * slot as f64) as i64;
        let own = self.tenant_lang.get(tenant_ix).copied().unwrap_or(Lang::Fr);
        let lang = if rng.chance(0.8) {
            own
        } else {
            match rng.below(3) {
                0 => Lang::Fr,
                1 => Lang::De,
                _ => Lang::En,
            }
        };
        let l = self.language(lang);
        let sender = self
            .senders
            .get(self.sender_zipf.sample(rng))
            .cloned()
            .unwrap_or_default();
        let tenant = self.tenants.get(tenant_ix);
        let recipient = tenant.map(|t| t.name.clone()).unwrap_or_default();
        let words = rng.range(50, 400);
        let mut text = String::with_capacity(words * 9);
        let city = rng.pick(CITIES).copied().unwrap_or("Bern");
        let ts = Timestamp::from_millis(received);
        let date = jiff::Timestamp::from_millisecond(received)
            .map(|t| t.strftime("%d.%m.%Y").to_string())
            .unwrap_or_default();
        text.push_str(&format!(
            "{sender}\nCase postale {}\n{} {city}\n\n{recipient}\n\n{city}, {} {date}\nRéf. {}-{}\n\n{},\n\n",
            rng.range(1, 9999),
            rng.range(1000, 9999),
            l.city_word,
            rng.pick(&["REF", "POL", "KD", "INV", "NR"]).copied().unwrap_or("REF"),
            rng.range(100_000, 999_999),
            l.opening
        ));
        let mut written = 0;
        let mut since_stop = 0;
        while written < words {
            if rng.chance(0.004) {
                let phrase = rng.pick(l.phrases).copied().unwrap_or("");
                text.push_str(phrase);
                written += phrase.split(' ').count();
            } else if rng.chance(0.01) {
                text.push_str(&format!(
                    "CHF {}.{:02}",
                    rng.range(5, 20_000),
                    rng.below(100)
                ));
                written += 1;
            } else {
                let w = l.word(rng);
                if rng.chance(0.01) {
                    text.push_str(&ocr_noise(w, rng));
                } else {
                    text.push_str(w);
                }
                written += 1;
            }
            since_stop += 1;
            if since_stop > 6 && rng.chance(0.12) {
                text.push_str(if rng.chance(0.7) { ". " } else { ", " });
                since_stop = 0;
            } else {
                text.push(' ');
            }
        }
        text.push_str(&format!("\n\n{}\n\n{sender}\n", l.closing));
        let digital = rng.chance(0.15);
        let state = match rng.unit() {
            u if u < 0.40 => ItemState::Received,
            u if u < 0.75 => ItemState::Scanned,
            u if u < 0.90 => ItemState::Handled,
            u if u < 0.94 => ItemState::Forwarded,
            u if u < 0.98 => ItemState::Shredded,
            _ => ItemState::HeldForPickup,
        };
        let tags = match rng.unit() {
            u if u < 0.4 => Vec::new(),
            u if u < 0.85 => vec![rng.pick(TAGS).copied().unwrap_or("").to_string()],
            _ => vec![
                rng.pick(TAGS).copied().unwrap_or("").to_string(),
                rng.pick(TAGS).copied().unwrap_or("").to_string(),
            ],
        };
        let item = BenchItem {
            id: MailItemId::random(),
            org: tenant.map(|t| t.org).unwrap_or_else(OrgId::random),
            mailbox: tenant.map(|t| t.mailbox).unwrap_or_else(MailboxId::random),
            location: if digital {
                None
            } else {
                self.locations.get(tenant_ix % LOCATIONS).copied()
            },
            origin: if digital {
                Origin::Digital
            } else {
                Origin::MailCenter
            },
            recipient_name: recipient,
            sender,
            kind: match rng.unit() {
                u if u < 0.85 => ItemKind::Letter,
                u if u < 0.97 => ItemKind::LargeEnvelope,
                _ => ItemKind::Parcel,
            },
            format: match rng.unit() {
                u if u < 0.70 => ItemFormat::A4,
                u if u < 0.85 => ItemFormat::A5,
                u if u < 0.92 => ItemFormat::A6,
                u if u < 0.97 => ItemFormat::A3,
                u if u < 0.99 => ItemFormat::SmallerThanA6,
                _ => ItemFormat::LargerThanA3,
            },
            state,
            received_at: ts,
            pages: i32::try_from(1 + words / 300).unwrap_or(1),
            tags,
            text,
        };
        (tenant_ix, item)
    }
}

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
