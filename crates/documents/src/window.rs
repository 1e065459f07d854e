//! The address window: where on page 1 the recipient's address must stand for
//! each envelope standard, reading the text there into lines (top to bottom,
//! runs left to right), and checking that the clear zone above it, where the
//! franking is printed, holds no text.
//!
//! Window positions are data ([`WindowStandard::zone`]), given in millimetres
//! from the top-left corner of an A4 portrait page and converted to PDF
//! points from the bottom-left corner of the page's effective box.
//!
//! Codes: `pdf.window_rotated_page` (the page has /Rotate ≠ 0),
//! `letter.clear_zone_not_empty`, plus the loader's and the text reader's
//! (`pdf.unreadable`, `pdf.encrypted`, `pdf.page_missing`, ...).

use crate::finding::Finding;
use crate::inspect::{IntakeLimits, load_pdf};
use crate::page::{PageGeometry, Rect, mm_to_pt};
use crate::text::{PageText, TextReader, TextRun};
use courrier_domain::codes;
use lopdf::Document;

/// Baselines closer than this many font sizes are one line.
const LINE_TOLERANCE_EM: f32 = 0.3;
/// A horizontal gap wider than this many font sizes between two runs is a space.
const SPACE_GAP_EM: f32 = 0.2;
/// The clear zone reaches this far above the window.
pub const CLEAR_ZONE_HEIGHT_MM: f32 = 15.0;

/// Where the address window of an envelope falls on an A4 letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowStandard {
    /// Swiss letter, window on the left: address zone 22 mm from the left,
    /// 60 mm from the top, 85.5 × 25.5 mm.
    SwissLeft,
    /// DIN 5008 form A (high address field): 20 mm from the left, 27 mm from
    /// the top, 85 × 45 mm, of which the top 5 mm is the return-address line
    /// (then 12.7 mm of endorsements, then the 27.3 mm address proper).
    Din5008A,
    /// DIN 5008 form B (low address field): 20 mm from the left, 45 mm from
    /// the top, 85 × 45 mm, the top 5 mm for the return address.
    Din5008B,
    /// Window on the right (Swiss and French right-window envelopes): 118 mm
    /// from the left, 50 mm from the top, 85 × 40 mm.
    RightWindow,
}

/// A window's position in millimetres from the top-left corner of the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowZone {
    pub left_mm: f32,
    pub top_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
    /// Height of the return-address band at the top of the window (0 if the
    /// standard has none). Lines there are the sender's, not the recipient's.
    pub return_band_mm: f32,
}

impl WindowStandard {
    pub const ALL: [WindowStandard; 4] = [
        WindowStandard::SwissLeft,
        WindowStandard::Din5008A,
        WindowStandard::Din5008B,
        WindowStandard::RightWindow,
    ];

    /// Stable name for configuration and APIs.
    pub fn code(self) -> &'static str {
        match self {
            WindowStandard::SwissLeft => "swiss_left",
            WindowStandard::Din5008A => "din5008_a",
            WindowStandard::Din5008B => "din5008_b",
            WindowStandard::RightWindow => "right_window",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn zone(self) -> WindowZone {
        match self {
            WindowStandard::SwissLeft => WindowZone {
                left_mm: 22.0,
                top_mm: 60.0,
                width_mm: 85.5,
                height_mm: 25.5,
                return_band_mm: 0.0,
            },
            WindowStandard::Din5008A => WindowZone {
                left_mm: 20.0,
                top_mm: 27.0,
                width_mm: 85.0,
                height_mm: 45.0,
                return_band_mm: 5.0,
            },
            WindowStandard::Din5008B => WindowZone {
                left_mm: 20.0,
                top_mm: 45.0,
                width_mm: 85.0,
                height_mm: 45.0,
                return_band_mm: 5.0,
            },
            WindowStandard::RightWindow => WindowZone {
                left_mm: 118.0,
                top_mm: 50.0,
                width_mm: 85.0,
                height_mm: 40.0,
                return_band_mm: 0.0,
            },
        }
    }

    /// The clear zone: [`CLEAR_ZONE_HEIGHT_MM`] directly above the window,
    /// same left edge and width.
    pub fn clear_zone(self) -> WindowZone {
        let w = self.zone();
        let top = (w.top_mm - CLEAR_ZONE_HEIGHT_MM).max(0.0);
        WindowZone {
            left_mm: w.left_mm,
            top_mm: top,
            width_mm: w.width_mm,
            height_mm: w.top_mm - top,
            return_band_mm: 0.0,
        }
    }
}

impl WindowZone {
    /// The zone in the page's user space (origin bottom-left of the box).
    pub fn to_rect(&self, geometry: &PageGeometry) -> Rect {
        let unit = geometry.user_unit;
        let height = geometry.page_box.height();
        let pt = |mm: f32| mm_to_pt(mm) / unit;
        Rect::new(
            pt(self.left_mm),
            height - pt(self.top_mm),
            pt(self.left_mm + self.width_mm),
            height - pt(self.top_mm + self.height_mm),
        )
    }
}

/// One line read in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowLine {
    pub text: String,
    /// Start of the line, points from the left of the page.
    pub x: f32,
    /// Baseline, points from the bottom of the page.
    pub baseline: f32,
    pub font_size: f32,
    /// The line is in the return-address band at the top of the window.
    pub return_address: bool,
}

/// What the window of a page holds.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowText {
    pub standard: WindowStandard,
    /// 1-based page number.
    pub page: u32,
    /// All lines, top to bottom.
    pub lines: Vec<WindowLine>,
}

impl WindowText {
    /// The recipient's lines (the return-address band left out).
    pub fn address_lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| !l.return_address)
            .map(|l| l.text.clone())
            .collect()
    }

    /// The sender's line(s) in the return-address band, if any.
    pub fn return_address(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.return_address)
            .map(|l| l.text.as_str())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// Reads the window of a 0-based page of a PDF given as bytes (parsed once,
/// with the default intake limits).
pub fn read_window(
    bytes: &[u8],
    page_index: usize,
    standard: WindowStandard,
) -> Result<WindowText, Finding> {
    let doc = load_pdf(bytes, &IntakeLimits::default())?;
    read_window_in(&doc, page_index, standard)
}

/// Reads the window of a 0-based page of an already loaded document. For
/// many pages of one document, keep a [`TextReader`] and use
/// [`PageText::window`] so fonts are read once.
pub fn read_window_in(
    doc: &Document,
    page_index: usize,
    standard: WindowStandard,
) -> Result<WindowText, Finding> {
    TextReader::new(doc).page_text(page_index)?.window(standard)
}

/// Checks that the clear zone above the window of a 0-based page is empty.
pub fn clear_zone_is_empty(
    doc: &Document,
    page_index: usize,
    standard: WindowStandard,
) -> Result<(), Finding> {
    TextReader::new(doc)
        .page_text(page_index)?
        .clear_zone_is_empty(standard)
}

impl PageText {
    /// The lines inside the window of `standard`: runs whose baseline start
    /// lies in the zone, grouped by baseline, top to bottom.
    pub fn window(&self, standard: WindowStandard) -> Result<WindowText, Finding> {
        self.require_upright()?;
        let zone = standard.zone();
        let rect = zone.to_rect(&self.geometry);
        let band_bottom = rect.top - mm_to_pt(zone.return_band_mm) / self.geometry.user_unit;
        let mut runs: Vec<&TextRun> = self
            .runs
            .iter()
            .filter(|r| r.is_upright() && rect.contains(r.x, r.y) && !r.text.trim().is_empty())
            .collect();
        let lines = group_lines(&mut runs)
            .into_iter()
            .map(|mut line| {
                line.return_address = zone.return_band_mm > 0.0 && line.baseline > band_bottom;
                line
            })
            .collect();
        Ok(WindowText {
            standard,
            page: self.page,
            lines,
        })
    }

    /// `letter.clear_zone_not_empty` when any text touches the clear zone
    /// above the window of `standard`.
    pub fn clear_zone_is_empty(&self, standard: WindowStandard) -> Result<(), Finding> {
        self.require_upright()?;
        let rect = standard.clear_zone().to_rect(&self.geometry);
        let mut found: Vec<&TextRun> = self
            .runs
            .iter()
            .filter(|r| {
                let (left, right) = (r.x.min(r.end_x), r.x.max(r.end_x));
                r.y >= rect.bottom
                    && r.y <= rect.top
                    && right >= rect.left
                    && left <= rect.right
                    && !r.text.trim().is_empty()
            })
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        let lines = group_lines(&mut found);
        let sample: Vec<&str> = lines.iter().map(|l| l.text.as_str()).take(2).collect();
        Err(Finding::error(
            codes::LETTER_CLEAR_ZONE_NOT_EMPTY,
            format!(
                "page {} has text in the {} mm above the address window (\"{}\"): keep that zone empty, it is where the postage is printed",
                self.page,
                CLEAR_ZONE_HEIGHT_MM,
                sample.join(" / ")
            ),
        )
        .on_page(self.page))
    }

    fn require_upright(&self) -> Result<(), Finding> {
        if self.geometry.rotate == 0 {
            return Ok(());
        }
        Err(Finding::error(
            codes::PDF_WINDOW_ROTATED_PAGE,
            format!(
                "page {} is rotated by {}°, so its address window cannot be read: export the letter as an upright A4 portrait page",
                self.page, self.geometry.rotate
            ),
        )
        .on_page(self.page))
    }
}

/// Groups runs into lines by baseline (top first) and joins each line's runs
/// left to right, with a space where the gap is wider than a fifth of an em.
fn group_lines(runs: &mut [&TextRun]) -> Vec<WindowLine> {
    runs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut groups: Vec<Vec<&TextRun>> = Vec::new();
    for run in runs.iter() {
        let joins = groups.last().and_then(|g| g.first()).is_some_and(|first| {
            (first.y - run.y).abs()
                <= LINE_TOLERANCE_EM * first.font_size.max(run.font_size).max(1.0)
        });
        match groups.last_mut() {
            Some(group) if joins => group.push(run),
            _ => groups.push(vec![run]),
        }
    }
    groups
        .into_iter()
        .filter_map(|group| join_line(group))
        .collect()
}

fn join_line(mut group: Vec<&TextRun>) -> Option<WindowLine> {
    group.sort_by(|a, b| a.x.total_cmp(&b.x));
    let first = group.first()?;
    let (x, baseline) = (first.x, first.y);
    let font_size = group.iter().map(|r| r.font_size).fold(0.0f32, f32::max);
    let mut text = String::new();
    let mut previous: Option<&TextRun> = None;
    for run in group {
        if let Some(prev) = previous {
            let em = prev.font_size.max(run.font_size).max(1.0);
            // A run drawn twice at almost the same place fakes bold: keep one.
            if prev.text == run.text && (prev.x - run.x).abs() < 0.1 * em {
                continue;
            }
            if run.x - prev.end_x > SPACE_GAP_EM * em {
                text.push(' ');
            }
        }
        text.push_str(&run.text);
        previous = Some(run);
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(WindowLine {
        text,
        x,
        baseline,
        font_size,
        return_address: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::A4_HEIGHT_PT;

    fn run(text: &str, x: f32, y: f32, width: f32) -> TextRun {
        TextRun {
            text: text.to_string(),
            x,
            y,
            end_x: x + width,
            end_y: y,
            font_size: 10.0,
        }
    }

    #[test]
    fn runs_become_lines_with_spaces_from_gaps() {
        let runs = [
            run("Muster", 70.0, 500.0, 30.0),
            run("AG", 103.0, 500.0, 12.0),
            run("Hans", 70.0, 488.0, 22.0),
            run(" Muster", 92.0, 488.2, 30.0),
            run("Bahnhof", 70.0, 476.0, 35.0),
            run("strasse 1", 105.5, 476.0, 40.0),
        ];
        let mut refs: Vec<&TextRun> = runs.iter().collect();
        let lines: Vec<String> = group_lines(&mut refs).into_iter().map(|l| l.text).collect();
        assert_eq!(lines, ["Muster AG", "Hans Muster", "Bahnhofstrasse 1"]);
    }

    #[test]
    fn fake_bold_is_read_once() {
        let runs = [
            run("Anna", 70.0, 500.0, 20.0),
            run("Anna", 70.3, 500.0, 20.0),
        ];
        let mut refs: Vec<&TextRun> = runs.iter().collect();
        assert_eq!(
            group_lines(&mut refs).first().map(|l| l.text.as_str()),
            Some("Anna")
        );
    }

    #[test]
    fn zones_convert_from_top_left_millimetres() {
        let geometry = PageGeometry {
            page_box: Rect::new(0.0, 0.0, 595.276, A4_HEIGHT_PT),
            rotate: 0,
            user_unit: 1.0,
        };
        let rect = WindowStandard::SwissLeft.zone().to_rect(&geometry);
        assert!((rect.left - mm_to_pt(22.0)).abs() < 0.01);
        assert!((rect.top - (A4_HEIGHT_PT - mm_to_pt(60.0))).abs() < 0.01);
        assert!((rect.height() - mm_to_pt(25.5)).abs() < 0.01);
        let clear = WindowStandard::Din5008A.clear_zone();
        assert_eq!((clear.top_mm, clear.height_mm), (12.0, 15.0));
        for s in WindowStandard::ALL {
            assert_eq!(WindowStandard::from_code(s.code()), Some(s));
            let z = s.zone();
            assert!(z.left_mm + z.width_mm <= 210.0 && z.top_mm + z.height_mm <= 297.0);
        }
    }
}
