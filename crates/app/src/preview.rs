//! A picture of a letter's first page, for the detail page: the decrypted PDF
//! is written to a private temporary folder (0700, the file 0600), rendered
//! with poppler's `pdftoppm` at 50 dpi, and the folder is removed whatever
//! happens. Nothing unencrypted is kept or cached. Also where the address
//! window falls on the page, so the page can draw it over the picture.

use crate::{App, AppError, Result};
use courrier_documents::WindowStandard;
use courrier_domain::{Actor, LetterId, Permission};
use std::time::Duration;

/// The renderer may not take longer than this for one page.
const RENDER_TIMEOUT: Duration = Duration::from_secs(30);

/// The address window of the organisation's envelopes, in millimetres from
/// the top-left corner of an A4 page (210 × 297 mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowBox {
    pub left_mm: f32,
    pub top_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
}

impl WindowBox {
    pub fn for_standard(name: &str) -> WindowBox {
        let zone = crate::letters::window_standard(name).zone();
        WindowBox {
            left_mm: zone.left_mm,
            top_mm: zone.top_mm,
            width_mm: zone.width_mm,
            height_mm: zone.height_mm,
        }
    }
}

/// The window standards an organisation may choose, by stored name.
pub const WINDOW_STANDARDS: [&str; 4] = ["swiss_left", "din5008_a", "din5008_b", "right"];

/// Whether `name` names a window standard (`right_window` is the reader's own name for `right`).
pub fn is_window_standard(name: &str) -> bool {
    WINDOW_STANDARDS.contains(&name) || WindowStandard::from_code(name).is_some()
}

impl App {
    /// Page 1 of a letter as a PNG (50 dpi, about 413 × 585 pixels).
    pub async fn letter_preview_png(&self, actor: &Actor, id: LetterId) -> Result<Vec<u8>> {
        let pdf = self.letter_pdf(actor, id).await?;
        render_first_page(&pdf).await
    }

    /// Where the address window is drawn for the actor's organisation.
    pub async fn letter_window(&self, actor: &Actor) -> Result<WindowBox> {
        let scope = actor.scope(Permission::LettersRead)?;
        let settings = self.store.letter_settings(scope.org()).await?;
        Ok(WindowBox::for_standard(&settings.window_standard))
    }
}

async fn render_first_page(pdf: &[u8]) -> Result<Vec<u8>> {
    let internal =
        |what: &str, e: std::io::Error| AppError::internal_from(e, format!("preview: {what}"));
    // tempfile makes the folder 0700; only this process's user can enter it.
    let dir = tempfile::Builder::new()
        .prefix("courrier-preview-")
        .tempdir()
        .map_err(|e| internal("temporary folder", e))?;
    let input = dir.path().join("letter.pdf");
    let output = dir.path().join("page");
    write_private(&input, pdf)
        .await
        .map_err(|e| internal("writing the PDF", e))?;
    let run = tokio::process::Command::new("pdftoppm")
        .args(["-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&input)
        .arg(&output)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(RENDER_TIMEOUT, run).await {
        Err(_) => {
            return Err(AppError::internal(
                "preview: pdftoppm took longer than 30 s",
            ));
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AppError::internal(
                "preview: pdftoppm is not installed (apt-get install poppler-utils)",
            ));
        }
        Ok(Err(e)) => return Err(internal("starting pdftoppm", e)),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(AppError::internal(format!(
            "preview: pdftoppm failed ({}): {}",
            out.status,
            stderr.trim()
        )));
    }
    let png = tokio::fs::read(output.with_extension("png"))
        .await
        .map_err(|e| internal("reading the picture", e))?;
    // Dropping `dir` removes the PDF and the picture; say so if it cannot.
    if let Err(e) = dir.close() {
        tracing::warn!(error = %e, "a preview's temporary folder could not be removed");
    }
    Ok(png)
}

async fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await?;
    f.write_all(bytes).await?;
    f.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_boxes_follow_the_standard() {
        let swiss = WindowBox::for_standard("swiss_left");
        assert_eq!((swiss.left_mm, swiss.top_mm), (22.0, 60.0));
        assert_eq!(WindowBox::for_standard("right").left_mm, 118.0);
        assert!(
            is_window_standard("din5008_b")
                && is_window_standard("right")
                && !is_window_standard("left")
        );
    }

    /// Under `CI=true` a missing tool fails the test instead of skipping it.
    fn ci() -> bool {
        std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
    }

    #[tokio::test]
    async fn renders_a_sample_letter_when_pdftoppm_is_installed() {
        let which = std::process::Command::new("pdftoppm").arg("-v").output();
        if let Err(e) = which {
            assert!(
                !ci(),
                "CI=true and pdftoppm cannot be started ({e}): apt-get install -y poppler-utils"
            );
            eprintln!("SKIPPED: pdftoppm is not installed (apt-get install -y poppler-utils)");
            return;
        }
        let pdf = courrier_documents::sample::letters_pdf(
            &[courrier_documents::sample::SampleLetter {
                address: vec!["A".into(), "Rue 1".into(), "1003 Lausanne".into()],
                pages: 1,
                reference: "R".into(),
            }],
            &["Sender"],
        );
        let png = render_first_page(&pdf).await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(render_first_page(b"not a pdf").await.is_err());
    }
}
