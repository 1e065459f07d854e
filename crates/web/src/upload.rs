//! Letter uploads: request bodies of up to 50 MB (plus 1 MB for the form
//! around the file), read whole before anything is decided. A body over the
//! limit is read to its end and thrown away (up to a bound), so the client
//! gets its 413 answer instead of a connection reset halfway through sending.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use courrier_domain::codes;
use futures::StreamExt;
use std::time::Duration;

/// The largest PDF a letter may be.
pub const LETTER_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// A letter upload's whole body: the file and the form fields around it.
pub const UPLOAD_BODY_BYTES: usize = LETTER_UPLOAD_BYTES + 1024 * 1024;
/// How much of an oversized body is read and discarded before giving up.
const DRAIN_BYTES: usize = 512 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(120);

/// API paths (inside `/api/v1`) that take uploads; the idempotency
/// middleware buffers their bodies up to [`UPLOAD_BODY_BYTES`].
const UPLOAD_PATHS: &[&str] = &[
    "/letters",
    "/quotes",
    "/runs",
    "/runs/preview",
    "/deliveries",
    "/scan",
    "/documents",
];

/// The most a body on `path` may hold.
pub fn body_limit_for(path: &str) -> usize {
    let path = path.trim_end_matches('/');
    if UPLOAD_PATHS.iter().any(|p| path.ends_with(p)) {
        UPLOAD_BODY_BYTES
    } else {
        crate::MAX_BODY_BYTES
    }
}

#[derive(Debug)]
pub enum BodyError {
    TooLarge { limit: usize },
    Broken(String),
}

impl BodyError {
    pub fn into_api(self) -> ApiError {
        match self {
            BodyError::TooLarge { limit } => too_large(limit),
            BodyError::Broken(e) => ApiError::of(
                codes::REQUEST_BODY_UNREADABLE,
                format!("the request body could not be read: {e}"),
            ),
        }
    }
}

pub fn too_large(limit: usize) -> ApiError {
    ApiError::of(
        codes::UPLOAD_TOO_LARGE,
        format!(
            "the upload is larger than {} MB; send a smaller file",
            limit / (1024 * 1024)
        ),
    )
}

/// Reads `body` whole if it holds at most `limit` bytes. A larger body is
/// drained (at most [`DRAIN_BYTES`], for at most [`DRAIN_TIME`]) so the
/// answer reaches the client.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    let mut stream = body.into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Broken(e.to_string()))?;
        if buf.len().saturating_add(chunk.len()) > limit {
            let drain = async {
                let mut seen = buf.len().saturating_add(chunk.len());
                while let Some(Ok(c)) = stream.next().await {
                    seen = seen.saturating_add(c.len());
                    if seen > DRAIN_BYTES {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
            return Err(BodyError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// What a letter upload form sent: the file and the other fields.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub file: Option<Bytes>,
    /// The file name the client gave the `file` part, if any.
    pub file_name: Option<String>,
    pub fields: Vec<(String, String)>,
    /// Other file parts ([`EXTRA_FILE_PARTS`]: a letter's `background` and
    /// its `attachment`s), in order: part name, file name, bytes.
    pub extra_files: Vec<(String, Option<String>, Bytes)>,
}

/// Parts read as files besides `file`: a letter's letterhead and attachments.
pub const EXTRA_FILE_PARTS: &[&str] = &["background", "attachment"];

impl UploadForm {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the request is `multipart/form-data`.
pub fn is_multipart(parts: &Parts) -> bool {
    content_type(parts).starts_with("multipart/form-data")
}

pub fn content_type(parts: &Parts) -> String {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The parts of a buffered `multipart/form-data` body, in order: those named
/// in `file_parts` as files (part name, file name, bytes; each at most
/// `max_file` bytes), every other part as a text field.
async fn read_multipart(
    parts: Parts,
    body: Bytes,
    file_parts: &[&str],
    max_file: usize,
) -> Result<(Vec<(String, Option<String>, Bytes)>, Vec<(String, String)>), ApiError> {
    let malformed = |e: String| {
        ApiError::of(
            codes::UPLOAD_MALFORMED,
            format!("the multipart form could not be read: {e}"),
        )
    };
    let req = Request::from_parts(parts, Body::from(body));
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|e| malformed(e.body_text()))?;
    let (mut files, mut fields) = (Vec::new(), Vec::new());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| malformed(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if file_parts.contains(&name.as_str()) {
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| malformed(e.body_text()))?;
            if bytes.len() > max_file {
                return Err(too_large(max_file));
            }
            files.push((name, file_name, bytes));
        } else {
            let text = field.text().await.map_err(|e| malformed(e.body_text()))?;
            fields.push((name, text));
        }
    }
    Ok((files, fields))
}

/// Parses a buffered `multipart/form-data` body: the part named `file` is
/// the document, parts named in [`EXTRA_FILE_PARTS`] further files, every
/// other part a text field.
pub async fn parse_multipart(parts: Parts, body: Bytes) -> Result<UploadForm, ApiError> {
    let names: Vec<&str> = std::iter::once("file")
        .chain(EXTRA_FILE_PARTS.iter().copied())
        .collect();
    let (files, fields) = read_multipart(parts, body, &names, LETTER_UPLOAD_BYTES).await?;
    let mut form = UploadForm {
        fields,
        ..UploadForm::default()
    };
    for (name, file_name, bytes) in files {
        if name == "file" {
            form.file_name = file_name;
            form.file = Some(bytes);
        } else {
            form.extra_files.push((name, file_name, bytes));
        }
    }
    Ok(form)
}

/// A scan upload: every part named `file`, in order (file name, bytes), and
/// the text fields. Sizes are checked by the use case, per file and in
/// total; the body as a whole is bounded by [`read_request`].
#[derive(Debug, Default)]
pub struct ScanForm {
    pub files: Vec<(Option<String>, Bytes)>,
    pub fields: Vec<(String, String)>,
}

impl ScanForm {
    /// The `file` parts as the files of a scan, in order, named as the
    /// device named them (else "file 1", "file 2", …).
    pub fn scan_files(&mut self) -> Vec<courrier_app::mailbox::ScanFile> {
        std::mem::take(&mut self.files)
            .into_iter()
            .enumerate()
            .map(|(n, (name, bytes))| courrier_app::mailbox::ScanFile {
                name: name.unwrap_or_else(|| format!("file {}", n + 1)),
                bytes: bytes.to_vec(),
            })
            .collect()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a buffered `multipart/form-data` body holding several `file` parts.
/// Sizes are checked by the use case; the body as a whole is bounded by
/// [`read_request`].
pub async fn parse_scan_multipart(parts: Parts, body: Bytes) -> Result<ScanForm, ApiError> {
    let (files, fields) = read_multipart(parts, body, &["file"], usize::MAX).await?;
    Ok(ScanForm {
        files: files
            .into_iter()
            // A file input left empty still sends an empty part.
            .filter(|(_, _, bytes)| !bytes.is_empty())
            .map(|(_, file_name, bytes)| (file_name, bytes))
            .collect(),
        fields,
    })
}

/// Reads the request's body within the upload limit.
pub async fn read_request(req: Request) -> Result<(Parts, Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, UPLOAD_BODY_BYTES)
        .await
        .map_err(BodyError::into_api)?;
    Ok((parts, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_after_draining() {
        let ok = read_body(Body::from(vec![1u8; 10]), 10).await.unwrap();
        assert_eq!(ok.len(), 10);
        assert!(matches!(
            read_body(Body::from(vec![1u8; 11]), 10).await,
            Err(BodyError::TooLarge { limit: 10 })
        ));
        assert_eq!(body_limit_for("/letters"), UPLOAD_BODY_BYTES);
        assert_eq!(body_limit_for("/api/v1/quotes/"), UPLOAD_BODY_BYTES);
        assert_eq!(body_limit_for("/letters/x/submit"), crate::MAX_BODY_BYTES);
        assert_eq!(
            too_large(LETTER_UPLOAD_BYTES).status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
