//! Typst templates rendered to PDF in the process.
//!
//! A [`Renderer`] compiles a template's text with the row's fields as
//! `sys.inputs` (a dictionary of strings) and exports one PDF. Fonts are
//! Typst's embedded ones (Libertinus Serif, New Computer Modern, DejaVu Sans
//! Mono), loaded once per process. Nothing is read from disk or the network:
//! the template sees only its own text and the files handed to it in a
//! [`Template`]; `#import "@preview/…"` fails with `merge.template_error`.
//! The date (`datetime.today()`) comes from the injected clock or is given.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use courrier_domain::{Clock, Invalid, SystemClock};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use typst::diag::{FileError, FileResult, PackageError, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, Duration, Smart, Str, Value};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;

/// The default letter (see `default_letter.typ`): fields `name`, `street`,
/// `postcode`, `city`, `country`, `subject`, `body`, and optionally `sender`,
/// `place`, `date`.
pub const DEFAULT_TEMPLATE: &str = include_str!("default_letter.typ");

const FIELD: &str = "template";
const CODE: courrier_domain::Code = courrier_domain::codes::MERGE_TEMPLATE_ERROR;
/// Compilations a cached result may go unused before it is dropped, so a bulk
/// run of 50,000 letters does not fill memory with Typst's caches.
const CACHE_AGE: usize = 10;

/// A template and the files it may read (`#image("logo.png")`, `#import
/// "parts.typ"`), by path relative to the template (`logo.png`,
/// `assets/x.svg`).
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub source: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Template {
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            files: BTreeMap::new(),
        }
    }

    pub fn with_file(mut self, path: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.files.insert(path.into(), bytes);
        self
    }
}

/// Where a template went wrong: the first error, 1-based line and column in
/// the template when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hints: Vec<String>,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            _ => {}
        }
        f.write_str(&self.message)?;
        for hint in &self.hints {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl From<TemplateError> for Invalid {
    fn from(e: TemplateError) -> Self {
        Invalid::new(FIELD, CODE, e.to_string())
    }
}

/// The embedded fonts, parsed once per process and shared by every renderer.
fn fonts() -> &'static FontStore {
    static FONTS: OnceLock<FontStore> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut store = FontStore::new();
        store.extend(typst_kit::fonts::embedded());
        store
    })
}

/// Renders templates to PDF. Cheap to create and to clone; `Send + Sync`, so
/// one renderer can serve several threads.
#[derive(Clone)]
pub struct Renderer {
    clock: Arc<dyn Clock>,
    tz: TimeZone,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").field("tz", &self.tz).finish()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// The system clock, dates in Europe/Zurich (UTC when the time zone
    /// database is missing).
    pub fn new() -> Self {
        let tz = TimeZone::get("Europe/Zurich").unwrap_or(TimeZone::UTC);
        Self::with_clock(Arc::new(SystemClock), tz)
    }

    /// "Today" from `clock`, as a date in `tz`.
    pub fn with_clock(clock: Arc<dyn Clock>, tz: TimeZone) -> Self {
        // Load the fonts now rather than in the first letter.
        let _ = fonts();
        Self { clock, tz }
    }

    fn now(&self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_millisecond(self.clock.now().millis()).ok()
    }

    /// Today as this renderer's clock and time zone see it.
    pub fn today(&self) -> Today {
        Today::at(self.now(), &self.tz)
    }

    /// Render `template` with `inputs` as `sys.inputs`, dated today.
    pub fn render(
        &self,
        template: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, Invalid> {
        self.render_template(&Template::new(template), inputs)
    }

    /// Render a template that comes with files, dated today.
    pub fn render_template(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Vec<u8>, Invalid> {
        self.compile_pdf(template, inputs, self.today())
            .map_err(Invalid::from)
    }

    /// Render with a fixed date for `datetime.today()`.
    pub fn render_on(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        date: Date,
    ) -> Result<Vec<u8>, Invalid> {
        self.compile_pdf(template, inputs, Today::Fixed(date))
            .map_err(Invalid::from)
    }

    /// Render dated `today` (a date fixed or taken from a clock elsewhere,
    /// as the render worker receives it).
    pub fn render_at(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<Vec<u8>, TemplateError> {
        self.compile_pdf(template, inputs, today)
    }

    /// Compile without exporting, to check a template when it is uploaded
    /// (with sample inputs) and show where it is wrong.
    pub fn check(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
    ) -> Result<usize, TemplateError> {
        self.check_at(template, inputs, self.today())
    }

    /// [`Renderer::check`] dated `today`.
    pub fn check_at(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<usize, TemplateError> {
        let world = LetterWorld::new(template, inputs, today)?;
        let pages = guarded(|| world.compile().map(|document| document.pages().len()));
        typst::comemo::evict(CACHE_AGE);
        pages
    }

    fn compile_pdf(
        &self,
        template: &Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<Vec<u8>, TemplateError> {
        let world = LetterWorld::new(template, inputs, today)?;
        let result = guarded(|| {
            let document = world.compile()?;
            let options = typst_pdf::PdfOptions {
                creator: Smart::Custom(Some("Courrier".into())),
                ..typst_pdf::PdfOptions::default()
            };
            typst_pdf::pdf(&document, &options).map_err(|diags| world.error(&diags))
        });
        typst::comemo::evict(CACHE_AGE);
        result
    }
}

/// Run Typst, turning a panic inside it into an error for this template
/// rather than a crash of the caller.
fn guarded<T>(f: impl FnOnce() -> Result<T, TemplateError>) -> Result<T, TemplateError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(internal("the typesetter failed")))
}

/// What `datetime.today()` answers in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Today {
    /// This date, whatever offset the template asks for.
    Fixed(Date),
    /// The instant (for `datetime.today(offset: …)`, UTC plus that offset)
    /// and the local date (for `datetime.today()`); `None` when the clock
    /// is out of Typst's range.
    At {
        now: Option<jiff::Timestamp>,
        local: Option<Date>,
    },
}

impl Today {
    /// `now` seen in `tz`.
    pub fn at(now: Option<jiff::Timestamp>, tz: &TimeZone) -> Self {
        Today::At {
            now,
            local: now.map(|now| tz.to_datetime(now).date()),
        }
    }
}

/// The world one letter is compiled in.
struct LetterWorld<'a> {
    library: LazyHash<Library>,
    fonts: &'static FontStore,
    main: Source,
    files: &'a BTreeMap<String, Vec<u8>>,
    today: Today,
}

/// The template's file id, interned once (ids are a global, finite resource).
fn main_id() -> Result<FileId, TemplateError> {
    static MAIN: OnceLock<Option<FileId>> = OnceLock::new();
    MAIN.get_or_init(|| {
        VirtualPath::new("/main.typ")
            .ok()
            .map(|path| RootedPath::new(VirtualRoot::Project, path).intern())
    })
    .ok_or_else(|| internal("no file id for the template"))
}

fn internal(what: &str) -> TemplateError {
    TemplateError {
        line: None,
        column: None,
        message: format!("the template could not be rendered (internal error: {what})"),
        hints: Vec::new(),
    }
}

impl<'a> LetterWorld<'a> {
    fn new(
        template: &'a Template,
        inputs: &BTreeMap<String, String>,
        today: Today,
    ) -> Result<Self, TemplateError> {
        let dict: Dict = inputs
            .iter()
            .map(|(k, v)| (Str::from(k.as_str()), Value::Str(Str::from(v.as_str()))))
            .collect();
        let library = Library::builder().with_inputs(dict).build();
        Ok(Self {
            library: LazyHash::new(library),
            fonts: fonts(),
            main: Source::new(main_id()?, template.source.clone()),
            files: &template.files,
            today,
        })
    }

    fn compile(&self) -> Result<PagedDocument, TemplateError> {
        typst::compile::<PagedDocument>(self)
            .output
            .map_err(|diags| self.error(&diags))
    }

    /// The first error, located in the template.
    fn error(&self, diags: &[SourceDiagnostic]) -> TemplateError {
        let first = diags
            .iter()
            .find(|d| d.severity == Severity::Error)
            .or_else(|| diags.first());
        let Some(diag) = first else {
            return TemplateError {
                line: None,
                column: None,
                message: "the template could not be compiled".into(),
                hints: Vec::new(),
            };
        };
        // The error's own place if it is in the template, else the innermost
        // call in the template that led to it.
        let main = self.main.id();
        let byte = if diag.span.id() == Some(main) {
            self.range(diag.span).map(|r| r.start)
        } else {
            diag.trace
                .iter()
                .rev()
                .find(|t| t.span.id() == Some(main))
                .and_then(|t| self.range(t.span))
                .map(|r| r.start)
        };
        let position = byte.and_then(|b| self.main.lines().byte_to_line_column(b));
        TemplateError {
            line: position.map(|(l, _)| l + 1),
            column: position.map(|(_, c)| c + 1),
            message: diag.message.to_string(),
            // Hints about the typst command line's flags mean nothing here.
            hints: diag
                .hints
                .iter()
                .map(|h| h.v.to_string())
                .filter(|h| !h.contains("`--"))
                .collect(),
        }
    }

    fn lookup(&self, id: FileId) -> FileResult<&'a [u8]> {
        let path = id.vpath();
        match id.root() {
            VirtualRoot::Package(spec) => {
                Err(FileError::Package(PackageError::NotFound(spec.clone())))
            }
            VirtualRoot::Project => self
                .files
                .get(path.get_without_slash())
                .map(Vec::as_slice)
                .ok_or_else(|| FileError::NotFound(PathBuf::from(path.get_with_slash()))),
        }
    }
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        let bytes = self.lookup(id)?;
        let text = std::str::from_utf8(bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.lookup(id).map(|b| Bytes::new(b.to_vec()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let date = match self.today {
            Today::Fixed(date) => date,
            Today::At { now, local } => match offset {
                // `datetime.today(offset: 2)`: UTC plus that many hours.
                Some(offset) => {
                    let now = now?;
                    #[allow(clippy::cast_possible_truncation)]
                    let seconds = offset.seconds().round() as i64;
                    let shift =
                        jiff::tz::Offset::from_seconds(i32::try_from(seconds).ok()?).ok()?;
                    shift.to_datetime(now).date()
                }
                None => local?,
            },
        };
        Datetime::from_ymd(
            i32::from(date.year()),
            u8::try_from(date.month()).ok()?,
            u8::try_from(date.day()).ok()?,
        )
    }
}
