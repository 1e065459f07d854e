//! Pictures of PDF pages, rendered in process by `hayro` (a pure-Rust PDF
//! rasteriser, no unsafe code): the letter preview and the pages OCR reads.
//! Nothing is written to disk here and no program is started.
//!
//! Bounded: a document with more than [`MAX_PAGES`] pages is refused, a
//! page is drawn at most [`MAX_PIXELS`] pixels large (a larger page is
//! drawn smaller, never refused), and a panic of the renderer on a hostile
//! file is caught and answered as an unreadable PDF. Callers run these
//! functions on a blocking thread within a time budget (the document
//! workers for previews, OCR's page timeout); a render cannot be stopped
//! from outside, so the thread holds its place in the pool until it ends.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::Pixmap;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{RenderCache, RenderSettings};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Pages of one document rendered at most (OCR of a scan, page by page).
pub const MAX_PAGES: usize = 500;
/// Pixels of one page's picture at most: A3 at 300 dpi (3508 × 4961) fits;
/// a larger page is drawn at a lower resolution.
pub const MAX_PIXELS: f64 = 17_500_000.0;
/// Widest or tallest picture in pixels.
const MAX_SIDE: f64 = 16_000.0;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RasterError {
    /// Not a PDF the renderer can read (damaged, encrypted, no pages, or
    /// the renderer gave up on it).
    #[error("the PDF cannot be drawn: {0}")]
    Unreadable(String),
    #[error("the PDF has {pages} pages, more than the {MAX_PAGES} drawn")]
    TooManyPages { pages: usize },
    #[error("the PDF has no page {0}")]
    NoSuchPage(usize),
}

/// One page drawn in 8-bit grey, row by row, on white.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyPage {
    pub width: u32,
    pub height: u32,
    /// The resolution it was drawn at (lower than asked for a page past
    /// [`MAX_PIXELS`]).
    pub dpi: f32,
    pub pixels: Vec<u8>,
}

impl GreyPage {
    /// The grey level at `(x, y)`, 0 black to 255 white.
    pub fn at(&self, x: u32, y: u32) -> Option<u8> {
        let i = usize::try_from(u64::from(y) * u64::from(self.width) + u64::from(x)).ok()?;
        (x < self.width).then_some(())?;
        self.pixels.get(i).copied()
    }

    /// As a PNG (grey, fast compression, with its resolution), for a
    /// picture or for Tesseract.
    pub fn to_png(&self) -> Result<Vec<u8>, RasterError> {
        let mut out = Vec::new();
        let fail = |e: png::EncodingError| RasterError::Unreadable(format!("PNG: {e}"));
        {
            let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            // Pixels per metre, so Tesseract knows the resolution.
            let per_metre = (f64::from(self.dpi) / 0.0254).round() as u32;
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: per_metre,
                yppu: per_metre,
                unit: png::Unit::Meter,
            }));
            let mut writer = encoder.write_header().map_err(fail)?;
            writer.write_image_data(&self.pixels).map_err(fail)?;
            writer.finish().map_err(fail)?;
        }
        Ok(out)
    }
}

fn open(pdf: &[u8]) -> Result<Pdf, RasterError> {
    let parsed = catch_unwind(AssertUnwindSafe(|| Pdf::new(pdf.to_vec())))
        .map_err(|_| RasterError::Unreadable("the renderer stopped on it".into()))?;
    let pdf = parsed.map_err(|e| RasterError::Unreadable(format!("{e:?}")))?;
    let pages = pdf.pages().len();
    if pages == 0 {
        return Err(RasterError::Unreadable("it has no pages".into()));
    }
    if pages > MAX_PAGES {
        return Err(RasterError::TooManyPages { pages });
    }
    Ok(pdf)
}

/// The number of pages (1 to [`MAX_PAGES`]).
pub fn page_count(pdf: &[u8]) -> Result<usize, RasterError> {
    Ok(open(pdf)?.pages().len())
}

/// Page `number` (1-based) drawn at `dpi` (lower for a page past
/// [`MAX_PIXELS`]) on white; the resolution it was drawn at.
fn draw(pdf: &[u8], number: usize, dpi: f32) -> Result<(Pixmap, f32), RasterError> {
    let pdf = open(pdf)?;
    let pages = pdf.pages();
    let page = number
        .checked_sub(1)
        .and_then(|i| pages.get(i))
        .ok_or(RasterError::NoSuchPage(number))?;
    let (width_pt, height_pt) = page.render_dimensions();
    let mut scale = dpi / 72.0;
    let (w, h) = (
        f64::from(width_pt * scale).max(1.0),
        f64::from(height_pt * scale).max(1.0),
    );
    let shrink = (MAX_PIXELS / (w * h))
        .sqrt()
        .min(MAX_SIDE / w)
        .min(MAX_SIDE / h);
    if shrink < 1.0 {
        scale *= shrink as f32;
    }
    let settings = RenderSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: WHITE,
        ..RenderSettings::default()
    };
    let drawn = catch_unwind(AssertUnwindSafe(|| {
        let cache = RenderCache::new();
        hayro::render(page, &cache, &InterpreterSettings::default(), &settings)
    }))
    .map_err(|_| RasterError::Unreadable("the renderer stopped on it".into()))?;
    if drawn.width() == 0 || drawn.height() == 0 {
        return Err(RasterError::Unreadable("the page has no size".into()));
    }
    Ok((drawn, scale * 72.0))
}

/// Page `number` (1-based) drawn at `dpi` in grey.
pub fn render_grey(pdf: &[u8], number: usize, dpi: f32) -> Result<GreyPage, RasterError> {
    let (drawn, dpi) = draw(pdf, number, dpi)?;
    let (width, height) = (u32::from(drawn.width()), u32::from(drawn.height()));
    // Premultiplied RGBA on an opaque white ground: the colours are as
    // drawn. Grey by the ITU-R BT.601 weights.
    let pixels = drawn
        .data_as_u8_slice()
        .chunks_exact(4)
        .map(|p| match p {
            [r, g, b, _] => {
                let y = 299 * u32::from(*r) + 587 * u32::from(*g) + 114 * u32::from(*b);
                u8::try_from((y + 500) / 1000).unwrap_or(u8::MAX)
            }
            _ => u8::MAX,
        })
        .collect();
    Ok(GreyPage {
        width,
        height,
        dpi,
        pixels,
    })
}

/// Page `number` (1-based) as a PNG at `dpi`, in colour, for a person.
pub fn render_png(pdf: &[u8], number: usize, dpi: f32) -> Result<Vec<u8>, RasterError> {
    let (drawn, _) = draw(pdf, number, dpi)?;
    drawn
        .into_png()
        .map_err(|e| RasterError::Unreadable(format!("PNG: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use courrier_documents::sample::{SampleLetter, letters_pdf};

    fn letter(pages: u32) -> Vec<u8> {
        letters_pdf(
            &[SampleLetter {
                address: vec![
                    "Boulangerie Dupont".into(),
                    "Rue de Bourg 12".into(),
                    "1003 Lausanne".into(),
                ],
                pages,
                reference: "R-1".into(),
            }],
            &["Sender SA"],
        )
    }

    #[test]
    fn a_page_is_drawn_at_its_size_with_ink_where_the_text_is() {
        let pdf = letter(2);
        assert_eq!(page_count(&pdf), Ok(2));
        let page = render_grey(&pdf, 1, 100.0).unwrap();
        // A4 at 100 dpi: 826.8 × 1169.3 pixels.
        assert_eq!((page.width, page.height), (826, 1169));
        assert_eq!(page.pixels.len(), 826 * 1169);
        let dark = |x0: u32, y0: u32, x1: u32, y1: u32| {
            (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| page.at(x, y).is_some_and(|g| g < 128))
                .count()
        };
        // The Swiss left window, 22–107 mm across, 60–85 mm down, holds
        // the address; the left margin is blank, and most of the page white.
        let mm = 100.0 / 25.4;
        let px = |v: f64| (v * mm) as u32;
        assert!(dark(px(22.0), px(60.0), px(107.0), px(85.0)) > 200);
        assert_eq!(dark(0, 0, px(5.0), page.height), 0);
        assert!(dark(0, 0, page.width, page.height) < page.pixels.len() / 20);
        assert_eq!(render_grey(&pdf, 3, 100.0), Err(RasterError::NoSuchPage(3)));
        assert_eq!(render_grey(&pdf, 0, 100.0), Err(RasterError::NoSuchPage(0)));
        let png = page.to_png().unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn a_colour_picture_is_a_png_of_the_asked_resolution() {
        let png = render_png(&letter(1), 1, 50.0).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (413, 584));
    }

    #[test]
    fn a_huge_page_is_drawn_smaller_and_garbage_is_refused() {
        // A page 5 m square at 300 dpi would be 59,000 pixels a side.
        let huge = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
            2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
            3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 14173 14173] >> endobj\n\
            trailer << /Root 1 0 R >>\n%%EOF\n";
        let page = render_grey(huge, 1, 300.0).unwrap();
        assert!(f64::from(page.width) * f64::from(page.height) <= MAX_PIXELS);
        assert!(page.dpi < 300.0);
        for garbage in [b"not a pdf".as_slice(), b"%PDF-1.7\n", &[0u8; 64]] {
            assert!(matches!(
                render_grey(garbage, 1, 50.0),
                Err(RasterError::Unreadable(_))
            ));
        }
    }
}
