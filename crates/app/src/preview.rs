//! A picture of a letter's first page, for the detail page: the decrypted PDF
//! is drawn in memory at 50 dpi by [`crate::raster`] (hayro, in process), on
//! the document workers within their time budget (`document_seconds`,
//! `pdf.too_slow`). Nothing unencrypted is written, kept or cached. Also
//! where the address window falls on the page, so the page can draw it over
//! the picture.

use crate::{App, AppError, Result};
use courrier_documents::WindowStandard;
use courrier_domain::{Actor, LetterId, Permission};

/// The preview's resolution: an A4 page is 413 × 584 pixels.
const PREVIEW_DPI: f32 = 50.0;

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
    /// Page 1 of a letter as a PNG (50 dpi, about 413 × 584 pixels).
    pub async fn letter_preview_png(&self, actor: &Actor, id: LetterId) -> Result<Vec<u8>> {
        let pdf = self.letter_pdf(actor, id).await?;
        self.first_page_png(pdf).await
    }

    /// Page 1 of `pdf` as a PNG at 50 dpi, drawn on the document workers.
    pub(crate) async fn first_page_png(&self, pdf: Vec<u8>) -> Result<Vec<u8>> {
        let size = pdf.len();
        self.document_workers
            .run(size, move || {
                crate::raster::render_png(&pdf, 1, PREVIEW_DPI)
                    .map_err(|e| AppError::internal(format!("preview: {e}")))
            })
            .await
    }

    /// Where the address window is drawn for the actor's organisation.
    pub async fn letter_window(&self, actor: &Actor) -> Result<WindowBox> {
        let scope = actor.scope(Permission::LettersRead)?;
        let settings = self.store.letter_settings(scope.org()).await?;
        Ok(WindowBox::for_standard(&settings.window_standard))
    }
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_letter_preview_is_drawn_in_process() {
        let workers = crate::workers::DocumentWorkers::new(1, std::time::Duration::from_secs(10));
        let pdf = courrier_documents::sample::letters_pdf(
            &[courrier_documents::sample::SampleLetter {
                address: vec!["A".into(), "Rue 1".into(), "1003 Lausanne".into()],
                pages: 1,
                reference: "R".into(),
            }],
            &["Sender"],
        );
        let draw = |pdf: Vec<u8>| {
            workers.run(pdf.len(), move || {
                crate::raster::render_png(&pdf, 1, PREVIEW_DPI)
                    .map_err(|e| AppError::internal(e.to_string()))
            })
        };
        let png = draw(pdf).await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(draw(b"not a pdf".to_vec()).await.is_err());
    }
}
