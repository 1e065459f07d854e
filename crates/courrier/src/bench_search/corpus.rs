//! The generated corpus: deterministic random numbers, Zipf laws, three languages'
//! words, and the organisations, senders and items of a bench run.

use courrier_domain::mailbox::{ItemFormat, ItemKind, ItemState, Origin};
use courrier_domain::{LocationId, MailItemId, MailboxId, OrgId, Timestamp};
use courrier_store::bench_load::{BenchItem, BenchTenant};
use std::collections::HashSet;

pub(super) const ORGS: usize = 500;
pub(super) const SENDERS: usize = 2_000;
pub(super) const LOCATIONS: usize = 10;
/// Generated rare words per language, after the hand-written common ones.
pub(super) const STEMS_PER_LANGUAGE: usize = 20_000;
pub(super) const BATCH: usize = 10_000;
/// Rows per PostgreSQL statement; two statements run at a time.
pub(super) const PG_CHUNK: usize = 2_500;
pub(super) const PAGE: u32 = 50;
pub(super) const DAY_MS: i64 = 86_400_000;
/// The newest item is received just before 2026-01-01T00:00:00Z.
pub(super) const END_MS: i64 = 1_767_225_600_000;
pub(super) const SPAN_MS: i64 = 5 * 365 * DAY_MS + DAY_MS;
pub(super) const SEED: u64 = 0x00C0_FFEE_2026;

/// SplitMix64: small, fast and deterministic; quality is ample here.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n); 0 when n is 0.
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
    pub(super) fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below(hi_inclusive.saturating_sub(lo) + 1)
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// Ranks 0..n with probability proportional to 1 / (rank + 1)^s.
pub(super) struct Zipf {
    pub(super) cdf: Vec<f64>,
}

impl Zipf {
    pub(super) fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cdf = (1..=n)
            .map(|k| {
                acc += 1.0 / (k as f64).powf(s);
                acc
            })
            .collect();
        Zipf { cdf }
    }
    pub(super) fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let u = rng.unit() * total;
        self.cdf
            .partition_point(|c| *c < u)
            .min(self.cdf.len().saturating_sub(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Fr,
    De,
    En,
}

pub(super) const FR_FUNCTION: &str = "de la le et les des à en du un une pour que dans par sur au est nous vous votre vos ce qui \
    avec pas ne sont aux il elle cette ces plus ou son sa ses leur être avons avez";
pub(super) const FR_BUSINESS: &str = "facture montant paiement date compte client contrat assurance prime total référence délai \
    mois année service frais banque virement échéance conditions madame monsieur commande livraison adresse numéro \
    période documents rappel impôt taxe salaire décompte remboursement prestations tarif annuel solde crédit débit \
    dossier demande réponse lettre information modification résiliation police sinistre avis";
pub(super) const DE_FUNCTION: &str = "der die und in den von zu das mit sie sich des auf für ist im dem nicht ein eine als auch \
    es an werden aus er hat dass bei oder wir ihre ihr ihnen sind";
pub(super) const DE_BUSINESS: &str = "rechnung betrag zahlung datum konto kunde vertrag versicherung prämie total referenz frist \
    monat jahr dienstleistung gebühren bank überweisung fälligkeit bedingungen damen herren bestellung lieferung \
    adresse nummer periode unterlagen mahnung steuer steuern lohn abrechnung rückerstattung leistungen tarif jährlich \
    saldo gutschrift belastung dossier antrag antwort schreiben information änderung kündigung police schaden mitteilung";
pub(super) const EN_FUNCTION: &str = "the of and to a in for is on that by this with you your we are be as at from or it our \
    have has not will please any";
pub(super) const EN_BUSINESS: &str = "invoice amount payment date account customer contract insurance premium total reference \
    deadline month year service fees bank transfer due terms order delivery address number period documents reminder \
    tax salary statement refund benefits rate annual balance credit debit file request reply letter information change \
    termination policy claim notice";

pub(super) const FR_SYLLABLES: &[&str] = &[
    "ba", "be", "bi", "cha", "che", "con", "cor", "da", "de", "di", "fa", "fi", "ga", "gé", "la",
    "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "pa", "pe", "pi", "po", "pré",
    "ra", "re", "ri", "ro", "sa", "se", "si", "ta", "te", "ti", "tra", "va", "ve", "vi",
];
pub(super) const FR_ENDINGS: &[&str] = &[
    "", "tion", "ment", "eur", "ette", "ière", "age", "ique", "oir", "ance",
];
pub(super) const DE_SYLLABLES: &[&str] = &[
    "ab", "an", "auf", "be", "ber", "burg", "dor", "ein", "fel", "ge", "hal", "hau", "hei", "kan",
    "kel", "lan", "mar", "mel", "ner", "ober", "rat", "rei", "sch", "stein", "ter", "ver", "wal",
    "zei", "zug", "brei", "stadt", "feld", "haus", "wer", "grü", "mü",
];
pub(super) const DE_ENDINGS: &[&str] = &[
    "", "ung", "keit", "schaft", "heit", "er", "en", "lich", "bar", "amt",
];
pub(super) const EN_SYLLABLES: &[&str] = &[
    "ac", "al", "ar", "be", "com", "con", "de", "dis", "en", "ex", "for", "in", "ma", "mis", "ne",
    "out", "over", "per", "pre", "pro", "re", "sub", "ter", "un", "ver", "wa", "wi", "sto", "lan",
    "bri",
];
pub(super) const EN_ENDINGS: &[&str] = &[
    "", "tion", "ment", "ness", "er", "ing", "able", "ity", "ship", "ed",
];

pub(super) const FR_PHRASES: &[&str] = &[
    "payable dans 30 jours",
    "sans autre avis de votre part",
    "nous vous prions de bien vouloir",
    "en cas de questions",
];
pub(super) const DE_PHRASES: &[&str] = &[
    "zahlbar innert 30 tagen",
    "für rückfragen stehen wir ihnen gerne zur verfügung",
    "wir bitten sie",
    "gemäss vertrag",
];
pub(super) const EN_PHRASES: &[&str] = &[
    "payable within 30 days",
    "please find enclosed",
    "do not hesitate to contact us",
    "according to the contract",
];

pub(super) const CITIES: &[&str] = &[
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
pub(super) const TAGS: &[&str] = &[
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
pub(super) const NAME_HEADS: &[&str] = &[
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
pub(super) const NAME_TRADES: &[&str] = &[
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
pub(super) const NAME_FORMS: &[&str] = &["AG", "SA", "GmbH", "Sàrl", "Ltd", "Genossenschaft", ""];

pub(super) struct Language {
    pub(super) words: Vec<String>,
    pub(super) zipf: Zipf,
    /// Indices in `words` of the business words, most frequent first.
    pub(super) business: std::ops::Range<usize>,
    /// Indices of the generated rare words.
    pub(super) stems: std::ops::Range<usize>,
    pub(super) opening: &'static str,
    pub(super) closing: &'static str,
    pub(super) phrases: &'static [&'static str],
    pub(super) city_word: &'static str,
}

impl Language {
    pub(super) fn new(lang: Lang, rng: &mut Rng) -> Language {
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

    pub(super) fn word(&self, rng: &mut Rng) -> &str {
        self.words
            .get(self.zipf.sample(rng))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Replaces a letter the way OCR misreads it.
pub(super) fn ocr_noise(word: &str, rng: &mut Rng) -> String {
    pub(super) const SWAPS: &[(char, char)] = &[
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

pub(super) struct Corpus {
    pub(super) fr: Language,
    pub(super) de: Language,
    pub(super) en: Language,
    pub(super) senders: Vec<String>,
    pub(super) sender_zipf: Zipf,
    pub(super) tenants: Vec<BenchTenant>,
    pub(super) tenant_lang: Vec<Lang>,
    pub(super) tenant_zipf: Zipf,
    /// Tenant order is shuffled so size does not follow creation order.
    pub(super) tenant_by_rank: Vec<usize>,
    pub(super) locations: Vec<LocationId>,
}

impl Corpus {
    pub(super) fn new(rng: &mut Rng) -> Corpus {
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

    pub(super) fn language(&self, lang: Lang) -> &Language {
        match lang {
            Lang::Fr => &self.fr,
            Lang::De => &self.de,
            Lang::En => &self.en,
        }
    }

    /// Item number `n` of `total`: received times grow with `n`, like a
    /// mailbox filling up over five years.
    pub(super) fn item(&self, n: usize, total: usize, rng: &mut Rng) -> (usize, BenchItem) {
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
