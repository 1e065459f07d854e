//! The render worker: a child process that renders customer templates, so a
//! template that eats memory or time (`#("x" * 100000000000)`, nested
//! `range()` loops) takes down only that child.
//!
//! The parent writes requests to the worker's standard input and reads
//! responses from its standard output, one frame each: a 4-byte big-endian
//! length, then the message. A request carries the template, its files,
//! the inputs and the date; a response carries the PDF, a page count or the
//! template's error. The worker caps its own address space
//! (`RLIMIT_AS`) before it reads anything, and its CPU time
//! (`RLIMIT_CPU`) afresh before each request; the parent adds a wall-clock
//! limit and kills the worker when it passes. The worker ends when its
//! standard input closes.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Read, Write};

use jiff::civil::Date;

use crate::render::{Renderer, Template, TemplateError, Today};

/// Largest frame either side accepts.
pub const MAX_FRAME: usize = 256 * 1024 * 1024;
const REQUEST_MAGIC: &[u8; 4] = b"CRQ1";
const RESPONSE_MAGIC: &[u8; 4] = b"CRS1";

/// What the worker is asked to do with a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Export the PDF.
    Render,
    /// Compile only and count the pages (checking a template).
    Check,
}

/// One render request.
#[derive(Debug, Clone)]
pub struct Request {
    pub job: Job,
    pub template: Template,
    pub inputs: BTreeMap<String, String>,
    pub today: Today,
}

/// The worker's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Pdf(Vec<u8>),
    Pages(usize),
    Error(TemplateError),
}

/// A message that cannot be read: the two sides disagree, or a frame was
/// cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "render worker protocol: {}", self.0)
    }
}

impl std::error::Error for ProtocolError {}

fn bad(what: &str) -> ProtocolError {
    ProtocolError(what.to_string())
}

/// Writes one frame.
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "frame too large"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(payload)
}

/// Reads one frame; `None` when the stream ends before a new frame.
pub fn read_frame(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < len.len() {
        let rest = len.get_mut(got..).unwrap_or_default();
        match input.read(rest)? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut payload = vec![0u8; len];
    input.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// Builds a message.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.0.extend_from_slice(v);
    }

    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
            None => self.u8(0),
        }
    }

    fn date(&mut self, d: Date) {
        self.i64(i64::from(d.year()));
        self.u8(u8::try_from(d.month()).unwrap_or(0));
        self.u8(u8::try_from(d.day()).unwrap_or(0));
    }
}

/// Reads a message.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or_else(|| bad("cut short"))?;
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        self.take(1)?
            .first()
            .copied()
            .ok_or_else(|| bad("cut short"))
    }

    fn u64(&mut self) -> Result<u64, ProtocolError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| bad("cut short"))?;
        Ok(u64::from_be_bytes(b))
    }

    fn i64(&mut self) -> Result<i64, ProtocolError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| bad("cut short"))?;
        Ok(i64::from_be_bytes(b))
    }

    fn len(&mut self) -> Result<usize, ProtocolError> {
        usize::try_from(self.u64()?)
            .ok()
            .filter(|&n| n <= self.0.len())
            .ok_or_else(|| bad("length past the end"))
    }

    fn bytes(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let n = self.len()?;
        Ok(self.take(n)?.to_vec())
    }

    fn string(&mut self) -> Result<String, ProtocolError> {
        String::from_utf8(self.bytes()?).map_err(|_| bad("text is not UTF-8"))
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, ProtocolError> {
        Ok(match self.u8()? {
            0 => None,
            _ => Some(self.u64()?),
        })
    }

    fn date(&mut self) -> Result<Date, ProtocolError> {
        let year = i16::try_from(self.i64()?).map_err(|_| bad("year out of range"))?;
        let month = i8::try_from(self.u8()?).map_err(|_| bad("month out of range"))?;
        let day = i8::try_from(self.u8()?).map_err(|_| bad("day out of range"))?;
        Date::new(year, month, day).map_err(|_| bad("not a date"))
    }

    fn magic(&mut self, magic: &[u8; 4]) -> Result<(), ProtocolError> {
        if self.take(4)? == magic {
            Ok(())
        } else {
            Err(bad("unknown message"))
        }
    }

    fn end(&self) -> Result<(), ProtocolError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad("bytes after the message"))
        }
    }
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.0.extend_from_slice(REQUEST_MAGIC);
        w.u8(match self.job {
            Job::Render => 0,
            Job::Check => 1,
        });
        w.bytes(self.template.source.as_bytes());
        w.u64(self.template.files.len() as u64);
        for (path, bytes) in &self.template.files {
            w.bytes(path.as_bytes());
            w.bytes(bytes);
        }
        w.u64(self.inputs.len() as u64);
        for (key, value) in &self.inputs {
            w.bytes(key.as_bytes());
            w.bytes(value.as_bytes());
        }
        match self.today {
            Today::Fixed(date) => {
                w.u8(0);
                w.date(date);
            }
            Today::At { now, local } => {
                w.u8(1);
                match now {
                    Some(now) => {
                        w.u8(1);
                        w.i64(now.as_millisecond());
                    }
                    None => w.u8(0),
                }
                match local {
                    Some(date) => {
                        w.u8(1);
                        w.date(date);
                    }
                    None => w.u8(0),
                }
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader(bytes);
        r.magic(REQUEST_MAGIC)?;
        let job = match r.u8()? {
            0 => Job::Render,
            1 => Job::Check,
            _ => return Err(bad("unknown job")),
        };
        let mut template = Template::new(r.string()?);
        for _ in 0..r.u64()? {
            let path = r.string()?;
            template.files.insert(path, r.bytes()?);
        }
        let mut inputs = BTreeMap::new();
        for _ in 0..r.u64()? {
            let key = r.string()?;
            inputs.insert(key, r.string()?);
        }
        let today = match r.u8()? {
            0 => Today::Fixed(r.date()?),
            1 => {
                let now = match r.u8()? {
                    0 => None,
                    _ => Some(
                        jiff::Timestamp::from_millisecond(r.i64()?)
                            .map_err(|_| bad("time out of range"))?,
                    ),
                };
                let local = match r.u8()? {
                    0 => None,
                    _ => Some(r.date()?),
                };
                Today::At { now, local }
            }
            _ => return Err(bad("unknown date")),
        };
        r.end()?;
        Ok(Request {
            job,
            template,
            inputs,
            today,
        })
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.0.extend_from_slice(RESPONSE_MAGIC);
        match self {
            Response::Pdf(pdf) => {
                w.u8(0);
                w.bytes(pdf);
            }
            Response::Pages(n) => {
                w.u8(1);
                w.u64(*n as u64);
            }
            Response::Error(e) => {
                w.u8(2);
                w.opt_u64(e.line.map(|n| n as u64));
                w.opt_u64(e.column.map(|n| n as u64));
                w.bytes(e.message.as_bytes());
                w.u64(e.hints.len() as u64);
                for hint in &e.hints {
                    w.bytes(hint.as_bytes());
                }
            }
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let mut r = Reader(bytes);
        r.magic(RESPONSE_MAGIC)?;
        let response = match r.u8()? {
            0 => Response::Pdf(r.bytes()?),
            1 => Response::Pages(usize::try_from(r.u64()?).map_err(|_| bad("page count"))?),
            2 => {
                let line = r.opt_u64()?.and_then(|n| usize::try_from(n).ok());
                let column = r.opt_u64()?.and_then(|n| usize::try_from(n).ok());
                let message = r.string()?;
                let mut hints = Vec::new();
                for _ in 0..r.u64()? {
                    hints.push(r.string()?);
                }
                Response::Error(TemplateError {
                    line,
                    column,
                    message,
                    hints,
                })
            }
            _ => return Err(bad("unknown response")),
        };
        r.end()?;
        Ok(response)
    }
}

/// Does what `request` asks, in this process.
pub fn handle(renderer: &Renderer, request: &Request) -> Response {
    let result = match request.job {
        Job::Render => renderer
            .render_at(&request.template, &request.inputs, request.today)
            .map(Response::Pdf),
        Job::Check => renderer
            .check_at(&request.template, &request.inputs, request.today)
            .map(Response::Pages),
    };
    result.unwrap_or_else(Response::Error)
}

/// The limits a worker puts on itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// Address space of the whole process, in bytes (`RLIMIT_AS`).
    pub memory_bytes: u64,
    /// CPU time of one request, in seconds (`RLIMIT_CPU`, moved on before
    /// each request).
    pub cpu_secs: u64,
}

impl WorkerLimits {
    /// The worker's command-line arguments for these limits.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            "--memory-bytes".into(),
            self.memory_bytes.to_string(),
            "--cpu-secs".into(),
            self.cpu_secs.to_string(),
        ]
    }

    /// Reads [`WorkerLimits::to_args`]'s arguments; both are required.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut memory = None;
        let mut cpu = None;
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let n: u64 = value
                .parse()
                .map_err(|_| format!("{flag}: '{value}' is not a number"))?;
            match flag.as_str() {
                "--memory-bytes" => memory = Some(n),
                "--cpu-secs" => cpu = Some(n),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(WorkerLimits {
            memory_bytes: memory.ok_or("--memory-bytes is required")?,
            cpu_secs: cpu.ok_or("--cpu-secs is required")?,
        })
    }

    /// Caps the process's address space, for good (soft and hard limit).
    pub fn apply_memory(&self) -> std::io::Result<()> {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (_, hard) = getrlimit(Resource::RLIMIT_AS)?;
        let limit = self.memory_bytes.min(hard);
        setrlimit(Resource::RLIMIT_AS, limit, limit)?;
        Ok(())
    }

    /// Lets the process use `cpu_secs` more seconds of CPU time from now:
    /// past them the kernel ends it with `SIGXCPU`.
    pub fn arm_cpu(&self) -> std::io::Result<()> {
        use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};
        let usage = getrusage(UsageWho::RUSAGE_SELF)?;
        let used = usage.user_time().tv_sec() + usage.system_time().tv_sec();
        // Whole seconds, rounded up.
        let used = u64::try_from(used).unwrap_or(0) + 1;
        let (_, hard) = getrlimit(Resource::RLIMIT_CPU)?;
        let soft = used.saturating_add(self.cpu_secs).min(hard);
        setrlimit(Resource::RLIMIT_CPU, soft, hard)?;
        Ok(())
    }
}

/// The worker: limits itself, then answers requests from `input` on
/// `output` until `input` ends.
pub fn serve(limits: WorkerLimits, input: impl Read, output: impl Write) -> std::io::Result<()> {
    limits.apply_memory()?;
    let renderer = Renderer::new();
    let mut input = BufReader::new(input);
    let mut output = BufWriter::new(output);
    while let Some(frame) = read_frame(&mut input)? {
        limits.arm_cpu()?;
        let request = Request::decode(&frame)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let response = handle(&renderer, &request);
        write_frame(&mut output, &response.encode())?;
        output.flush()?;
    }
    Ok(())
}

/// The worker as a program: limits from `args` (see
/// [`WorkerLimits::to_args`]), requests on standard input, responses on
/// standard output, problems on standard error. Returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> u8 {
    let limits = match WorkerLimits::from_args(args) {
        Ok(limits) => limits,
        Err(e) => {
            eprintln!("render worker: {e}");
            return 2;
        }
    };
    match serve(limits, std::io::stdin().lock(), std::io::stdout().lock()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("render worker: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn requests_and_responses_round_trip() {
        let mut inputs = BTreeMap::new();
        inputs.insert("name".to_string(), "Zoé Müller".to_string());
        let request = Request {
            job: Job::Check,
            template: Template::new("#sys.inputs.name").with_file("logo.png", vec![0, 1, 2]),
            inputs,
            today: Today::At {
                now: Some(jiff::Timestamp::from_millisecond(1_767_225_600_000).unwrap()),
                local: Some(Date::new(2026, 1, 1).unwrap()),
            },
        };
        let back = Request::decode(&request.encode()).unwrap();
        assert_eq!(back.job, Job::Check);
        assert_eq!(back.template.source, request.template.source);
        assert_eq!(back.template.files, request.template.files);
        assert_eq!(back.inputs, request.inputs);
        assert_eq!(back.today, request.today);
        let fixed = Request {
            today: Today::Fixed(Date::new(2026, 12, 31).unwrap()),
            ..request.clone()
        };
        assert_eq!(Request::decode(&fixed.encode()).unwrap().today, fixed.today);

        for response in [
            Response::Pdf(b"%PDF-1.7".to_vec()),
            Response::Pages(3),
            Response::Error(TemplateError {
                line: Some(2),
                column: None,
                message: "unknown variable".into(),
                hints: vec!["a hint".into()],
            }),
        ] {
            assert_eq!(Response::decode(&response.encode()).unwrap(), response);
        }
        let encoded = request.encode();
        assert!(Request::decode(&encoded[..encoded.len() - 1]).is_err());
        assert!(Response::decode(&encoded).is_err());
    }

    #[test]
    fn frames_round_trip_and_a_clean_end_is_none() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"one").unwrap();
        write_frame(&mut buf, b"").unwrap();
        let mut input = buf.as_slice();
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"one");
        assert_eq!(read_frame(&mut input).unwrap().unwrap(), b"");
        assert!(read_frame(&mut input).unwrap().is_none());
        let mut cut: &[u8] = &[0, 0];
        assert!(read_frame(&mut cut).is_err());
        let mut huge: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(read_frame(&mut huge).is_err());
    }

    #[test]
    fn limits_round_trip_through_arguments() {
        let limits = WorkerLimits {
            memory_bytes: 1 << 30,
            cpu_secs: 20,
        };
        assert_eq!(WorkerLimits::from_args(limits.to_args()).unwrap(), limits);
        assert!(WorkerLimits::from_args(["--cpu-secs".to_string(), "2".to_string()]).is_err());
        assert!(WorkerLimits::from_args(["--other".to_string(), "2".to_string()]).is_err());
    }
}
