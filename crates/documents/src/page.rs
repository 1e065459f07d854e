//! Page geometry: the box a page is shown with (CropBox, else MediaBox, both
//! inheritable from the page tree), its /Rotate and /UserUnit, and the size a
//! reader sees. All lengths are PDF points (1/72 inch) unless a name says mm.

use crate::objects::{dict_of, get_number, inherited, number_in};
use lopdf::{Document, Object, ObjectId};

/// Points per millimetre (72 / 25.4).
pub const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 width in points (210 mm).
pub const A4_WIDTH_PT: f32 = 595.276;
/// A4 height in points (297 mm).
pub const A4_HEIGHT_PT: f32 = 841.89;

pub fn mm_to_pt(mm: f32) -> f32 {
    mm * PT_PER_MM
}

pub fn pt_to_mm(pt: f32) -> f32 {
    pt / PT_PER_MM
}

/// An axis-aligned rectangle in PDF user space (origin bottom-left, y up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f32,
    pub bottom: f32,
    pub right: f32,
    pub top: f32,
}

impl Rect {
    /// A rectangle from two corners in any order.
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        Self {
            left: x0.min(x1),
            bottom: y0.min(y1),
            right: x0.max(x1),
            top: y0.max(y1),
        }
    }

    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    pub fn height(&self) -> f32 {
        self.top - self.bottom
    }

    /// Whether a point lies inside, edges included.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.left && x <= self.right && y >= self.bottom && y <= self.top
    }

    fn intersect(&self, other: &Rect) -> Option<Rect> {
        let r = Rect {
            left: self.left.max(other.left),
            bottom: self.bottom.max(other.bottom),
            right: self.right.min(other.right),
            top: self.top.min(other.top),
        };
        (r.width() > 0.0 && r.height() > 0.0).then_some(r)
    }

    /// A PDF rectangle array `[x0 y0 x1 y1]`, references followed.
    fn from_object(doc: &Document, object: &Object) -> Option<Rect> {
        let Object::Array(values) = object else {
            return None;
        };
        let [a, b, c, d] = values.as_slice() else {
            return None;
        };
        let r = Rect::new(
            number_in(doc, a)?,
            number_in(doc, b)?,
            number_in(doc, c)?,
            number_in(doc, d)?,
        );
        (r.width() > 0.0 && r.height() > 0.0).then_some(r)
    }
}

/// How a page is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageGeometry {
    /// The effective box in default user space: CropBox clipped to MediaBox,
    /// else MediaBox.
    pub page_box: Rect,
    /// Clockwise rotation when shown: 0, 90, 180 or 270.
    pub rotate: u16,
    /// /UserUnit (PDF 1.6): the size of one user-space unit in points.
    pub user_unit: f32,
}

impl PageGeometry {
    /// Width and height in points as the page is displayed (rotation applied).
    pub fn displayed_size_pt(&self) -> (f32, f32) {
        let w = self.page_box.width() * self.user_unit;
        let h = self.page_box.height() * self.user_unit;
        if self.rotate % 180 == 90 {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// Width and height in millimetres as displayed.
    pub fn displayed_size_mm(&self) -> (f32, f32) {
        let (w, h) = self.displayed_size_pt();
        (pt_to_mm(w), pt_to_mm(h))
    }

    /// Whether the displayed page is A4 portrait within `tolerance_pt`.
    pub fn is_a4_portrait(&self, tolerance_pt: f32) -> bool {
        let (w, h) = self.displayed_size_pt();
        (w - A4_WIDTH_PT).abs() <= tolerance_pt && (h - A4_HEIGHT_PT).abs() <= tolerance_pt
    }
}

/// The geometry of a page object, or `None` when it has no usable MediaBox.
pub fn page_geometry(doc: &Document, page_id: ObjectId) -> Option<PageGeometry> {
    let page = dict_of(doc, page_id)?;
    let media = inherited(doc, page, b"MediaBox").and_then(|o| Rect::from_object(doc, o))?;
    let page_box = inherited(doc, page, b"CropBox")
        .and_then(|o| Rect::from_object(doc, o))
        .and_then(|crop| crop.intersect(&media))
        .unwrap_or(media);
    let rotate = inherited(doc, page, b"Rotate")
        .and_then(|o| number_in(doc, o))
        .map_or(0, normalise_rotation);
    let user_unit = get_number(doc, page, b"UserUnit")
        .filter(|u| *u > 0.0 && *u < 100_000.0)
        .unwrap_or(1.0);
    Some(PageGeometry {
        page_box,
        rotate,
        user_unit,
    })
}

/// /Rotate must be a multiple of 90; anything else is read as the nearest one.
fn normalise_rotation(degrees: f32) -> u16 {
    let quarter = (degrees / 90.0).round() as i64;
    match quarter.rem_euclid(4) {
        1 => 90,
        2 => 180,
        3 => 270,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_normalised() {
        assert_eq!(normalise_rotation(-90.0), 270);
        assert_eq!(normalise_rotation(450.0), 90);
        assert_eq!(normalise_rotation(180.0), 180);
        assert_eq!(normalise_rotation(0.0), 0);
    }

    #[test]
    fn a4_constants_agree_with_millimetres() {
        assert!((mm_to_pt(210.0) - A4_WIDTH_PT).abs() < 0.01);
        assert!((mm_to_pt(297.0) - A4_HEIGHT_PT).abs() < 0.01);
    }
}
