//! Virus scanning of uploads by clamd, ClamAV's daemon, over its INSTREAM
//! command. Nothing is written to disk for the scan: the bytes go over the
//! socket.
//!
//! When scanning is configured, an upload is stored only after clamd said it
//! is clean. If clamd cannot be reached, answers with an error or does not
//! answer in time, the upload is refused: it is never accepted unscanned.
//! [`VirusScanner::Disabled`] is the one exception, and it is explicit: it
//! answers [`ScanVerdict::Clean`] only because scanning is not configured, and
//! [`App::new`](crate::App::new) logs a warning that uploads are not scanned.

use crate::{App, AppError};
use courrier_domain::Invalid;
use courrier_domain::codes;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How long one scan may take, connection included, before it counts as
/// clamd being unavailable.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes per INSTREAM chunk (the client's default is 4 KiB).
const CHUNK_SIZE: usize = 64 * 1024;

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddress {
    /// A unix socket, e.g. Debian's `/run/clamav/clamd.ctl`.
    Unix(PathBuf),
    /// `host:port`, e.g. `127.0.0.1:3310`.
    Tcp(String),
}

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid clamd address {0:?}: use unix:/path/to/clamd.ctl or tcp:host:port (e.g. tcp:127.0.0.1:3310)"
)]
pub struct InvalidClamdAddress(pub String);

impl FromStr for ClamdAddress {
    type Err = InvalidClamdAddress;

    /// `unix:/run/clamav/clamd.ctl` or `tcp:127.0.0.1:3310`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidClamdAddress(s.to_string());
        let s = s.trim();
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(invalid());
            }
            return Ok(ClamdAddress::Unix(PathBuf::from(path)));
        }
        if let Some(host_port) = s.strip_prefix("tcp:") {
            let (host, port) = host_port.rsplit_once(':').ok_or_else(invalid)?;
            if host.is_empty() || port.parse::<u16>().is_err() {
                return Err(invalid());
            }
            return Ok(ClamdAddress::Tcp(host_port.to_string()));
        }
        Err(invalid())
    }
}

impl fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClamdAddress::Unix(path) => write!(f, "unix:{}", path.display()),
            ClamdAddress::Tcp(host_port) => write!(f, "tcp:{host_port}"),
        }
    }
}

/// What clamd said about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    Clean,
    /// `signature` is clamd's name for what it found, e.g. `Eicar-Test-Signature`.
    Infected {
        signature: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// clamd could not be reached, broke the connection or did not answer in
    /// time. The upload must be refused.
    #[error("the virus scanner is unavailable: {0}")]
    Unavailable(String),
    /// clamd answered, but not with a verdict (e.g. `INSTREAM size limit
    /// exceeded. ERROR`). The upload must be refused.
    #[error("the virus scanner could not scan the file: {0}")]
    Failed(String),
}

/// The virus scanner of uploads.
#[derive(Debug, Clone)]
pub enum VirusScanner {
    /// Scan with clamd at this address.
    Clamd { address: ClamdAddress },
    /// Scanning is not configured: [`VirusScanner::scan`] answers
    /// [`ScanVerdict::Clean`] without looking at the bytes. Check
    /// [`VirusScanner::is_enabled`] before reporting a file as scanned.
    Disabled,
}

impl VirusScanner {
    /// From the `clamd` setting: `None` disables scanning.
    pub fn from_config(clamd: Option<&str>) -> Result<VirusScanner, InvalidClamdAddress> {
        Ok(match clamd {
            Some(address) => VirusScanner::Clamd {
                address: address.parse()?,
            },
            None => VirusScanner::Disabled,
        })
    }

    /// Whether uploads are really scanned. `false` means every verdict is
    /// `Clean` only because nothing was scanned.
    pub fn is_enabled(&self) -> bool {
        matches!(self, VirusScanner::Clamd { .. })
    }

    /// Logs, once per [`App`], whether uploads are scanned.
    pub(crate) fn log_setting(&self) {
        match self {
            VirusScanner::Clamd { address } => {
                tracing::info!(%address, "uploads are scanned for viruses by clamd");
            }
            VirusScanner::Disabled => tracing::warn!(
                "virus scanning is disabled: uploads are NOT scanned (set clamd / COURRIER_CLAMD, e.g. unix:/run/clamav/clamd.ctl)"
            ),
        }
    }

    /// Asks clamd for `PONG`; `Ok` without asking when scanning is disabled.
    pub async fn ping(&self) -> Result<(), ScanError> {
        use clamav_client::tokio::{Socket, Tcp, ping};
        let VirusScanner::Clamd { address } = self else {
            return Ok(());
        };
        let answer = match address {
            ClamdAddress::Unix(path) => {
                tokio::time::timeout(SCAN_TIMEOUT, ping(Socket { socket_path: path })).await
            }
            ClamdAddress::Tcp(host_port) => {
                tokio::time::timeout(
                    SCAN_TIMEOUT,
                    ping(Tcp {
                        host_address: host_port.as_str(),
                    }),
                )
                .await
            }
        };
        match answer {
            Ok(Ok(pong)) if pong == clamav_client::PONG => Ok(()),
            Ok(Ok(other)) => Err(ScanError::Unavailable(format!(
                "clamd at {address} answered PING with {:?}",
                String::from_utf8_lossy(&other)
            ))),
            Ok(Err(e)) => Err(ScanError::Unavailable(format!("clamd at {address}: {e}"))),
            Err(_) => Err(ScanError::Unavailable(format!(
                "clamd at {address} did not answer within {} s",
                SCAN_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Scans `bytes` with clamd (INSTREAM). With scanning disabled the
    /// answer is `Clean` because nothing was scanned; see [`Self::is_enabled`].
    pub async fn scan(&self, bytes: &[u8]) -> Result<ScanVerdict, ScanError> {
        let VirusScanner::Clamd { address } = self else {
            return Ok(ScanVerdict::Clean);
        };
        let result = scan_with_clamd(address, bytes).await;
        let outcome = match &result {
            Ok(ScanVerdict::Clean) => "clean",
            Ok(ScanVerdict::Infected { .. }) => "infected",
            Err(ScanError::Unavailable(_)) => "unavailable",
            Err(ScanError::Failed(_)) => "failed",
        };
        metrics::counter!("courrier_upload_scans_total", "result" => outcome).increment(1);
        match &result {
            Ok(ScanVerdict::Infected { signature }) => {
                tracing::warn!(%signature, size = bytes.len(), "clamd found a virus in an upload");
            }
            Err(e) => {
                tracing::error!(%address, error = %e, "virus scan failed; the upload is refused")
            }
            Ok(ScanVerdict::Clean) => {}
        }
        result
    }
}

async fn scan_with_clamd(address: &ClamdAddress, bytes: &[u8]) -> Result<ScanVerdict, ScanError> {
    use clamav_client::tokio::{Socket, Tcp, scan_buffer};
    let answer = match address {
        ClamdAddress::Unix(path) => {
            tokio::time::timeout(
                SCAN_TIMEOUT,
                scan_buffer(bytes, Socket { socket_path: path }, Some(CHUNK_SIZE)),
            )
            .await
        }
        ClamdAddress::Tcp(host_port) => {
            tokio::time::timeout(
                SCAN_TIMEOUT,
                scan_buffer(
                    bytes,
                    Tcp {
                        host_address: host_port.as_str(),
                    },
                    Some(CHUNK_SIZE),
                ),
            )
            .await
        }
    };
    match answer {
        Ok(Ok(response)) => parse_response(&response),
        Ok(Err(e)) => Err(match e.kind() {
            // clamd stops reading when a stream exceeds its StreamMaxLength
            // and closes the connection while the file is still being sent
            // (over TCP it may answer `INSTREAM size limit exceeded. ERROR`
            // instead). A clamd dying mid-scan also ends here; either way the
            // upload is refused.
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
                ScanError::Failed(format!(
                    "clamd at {address} closed the connection while the file ({} bytes) was sent; \
                     it may exceed clamd's StreamMaxLength ({e})",
                    bytes.len()
                ))
            }
            _ => ScanError::Unavailable(format!("clamd at {address}: {e}")),
        }),
        Err(_) => Err(ScanError::Unavailable(format!(
            "clamd at {address} did not answer within {} s",
            SCAN_TIMEOUT.as_secs()
        ))),
    }
}

/// clamd's INSTREAM answers: `stream: OK`, `stream: <signature> FOUND`, or an
/// error such as `INSTREAM size limit exceeded. ERROR`; NUL-terminated.
fn parse_response(response: &[u8]) -> Result<ScanVerdict, ScanError> {
    let text = String::from_utf8_lossy(response);
    let text = text.trim_end_matches('\0').trim();
    let failed = || ScanError::Failed(format!("clamd answered {text:?}"));
    let result = text.strip_prefix("stream:").ok_or_else(failed)?.trim();
    if result == "OK" {
        return Ok(ScanVerdict::Clean);
    }
    match result.strip_suffix(" FOUND").map(str::trim) {
        Some(signature) if !signature.is_empty() => Ok(ScanVerdict::Infected {
            signature: signature.to_string(),
        }),
        _ => Err(failed()),
    }
}

impl App {
    /// Scans an upload before it is stored. An infected file is invalid (the
    /// message names the signature); when clamd is configured but cannot scan,
    /// the upload is refused with `upload.scanner_unavailable` (or
    /// `upload.scan_failed` when clamd answered with an error). With scanning
    /// disabled every upload passes: see [`VirusScanner::is_enabled`].
    pub async fn check_upload(&self, bytes: &[u8]) -> Result<(), AppError> {
        match self.scanner.scan(bytes).await {
            Ok(ScanVerdict::Clean) => Ok(()),
            Ok(ScanVerdict::Infected { signature }) => Err(AppError::Invalid(Invalid::new(
                "file",
                codes::UPLOAD_INFECTED,
                format!(
                    "the virus scanner found {signature} in this file; the file was not stored"
                ),
            ))),
            Err(ScanError::Unavailable(_)) => {
                Err(AppError::Refused(codes::UPLOAD_SCANNER_UNAVAILABLE))
            }
            Err(ScanError::Failed(_)) => Err(AppError::Refused(codes::UPLOAD_SCAN_FAILED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        for text in [
            "unix:/run/clamav/clamd.ctl",
            "tcp:127.0.0.1:3310",
            "tcp:[::1]:3310",
        ] {
            let address: ClamdAddress = text.parse().unwrap();
            assert_eq!(address.to_string(), text);
        }
        assert_eq!(
            "unix:/run/clamav/clamd.ctl"
                .parse::<ClamdAddress>()
                .unwrap(),
            ClamdAddress::Unix("/run/clamav/clamd.ctl".into())
        );
        for bad in [
            "",
            "/run/clamav/clamd.ctl",
            "unix:",
            "tcp:localhost",
            "tcp::3310",
            "tcp:h:99999",
            "http://x:1",
        ] {
            assert!(bad.parse::<ClamdAddress>().is_err(), "{bad}");
        }
        assert!(!VirusScanner::from_config(None).unwrap().is_enabled());
        assert!(
            VirusScanner::from_config(Some("tcp:127.0.0.1:3310"))
                .unwrap()
                .is_enabled()
        );
    }

    #[test]
    fn clamd_answers_parse() {
        assert_eq!(parse_response(b"stream: OK\0").unwrap(), ScanVerdict::Clean);
        assert_eq!(
            parse_response(b"stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0").unwrap(),
            ScanVerdict::Infected {
                signature: "Eicar-Test-Signature.UNOFFICIAL".into()
            }
        );
        // A signature whose name contains "OK" is still a finding.
        assert_eq!(
            parse_response(b"stream: Win.Trojan.OK-1 FOUND\0").unwrap(),
            ScanVerdict::Infected {
                signature: "Win.Trojan.OK-1".into()
            }
        );
        for bad in [
            &b"INSTREAM size limit exceeded. ERROR\0"[..],
            b"stream: Can't allocate memory ERROR\0",
            b"stream:  FOUND\0",
            b"",
            b"OK",
        ] {
            assert!(
                matches!(parse_response(bad), Err(ScanError::Failed(_))),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn disabled_passes_everything_and_says_so() {
        let scanner = VirusScanner::Disabled;
        assert!(!scanner.is_enabled());
        assert_eq!(scanner.scan(b"anything").await.unwrap(), ScanVerdict::Clean);
    }
}
