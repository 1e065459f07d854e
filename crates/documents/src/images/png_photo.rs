//! PNG photos: decoded, flattened onto white, deflated into an image XObject.

use super::ScanLimits;
use crate::budget;
use lopdf::{Stream, dictionary};
use std::io::{Cursor, Write};

pub(super) struct PngImage {
    pub(super) stream: Stream,
    pub(super) width: u32,
    pub(super) height: u32,
}

/// Decodes a PNG to 8-bit grey or RGB on white and deflates it.
pub(super) fn png_xobject(bytes: &[u8], limits: &ScanLimits) -> Result<PngImage, String> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: usize::try_from(limits.max_png_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("the PNG image could not be read ({e})"))?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    if u64::from(width) * u64::from(height) > limits.max_png_pixels {
        return Err(format!(
            "the PNG image has {width} × {height} pixels; the limit is {} million",
            limits.max_png_pixels / 1_000_000
        ));
    }
    let size = reader
        .output_buffer_size()
        .ok_or("the PNG image is too large to decode")?;
    budget::charge(size).map_err(|f| f.message)?;
    let mut buf = vec![0u8; size];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("the PNG image could not be decoded ({e})"))?;
    buf.truncate(frame.buffer_size());
    let (pixels, colour) = match frame.color_type {
        png::ColorType::Grayscale => (buf, "DeviceGray"),
        png::ColorType::Rgb => (buf, "DeviceRGB"),
        png::ColorType::GrayscaleAlpha => (flatten(&buf, 1), "DeviceGray"),
        png::ColorType::Rgba => (flatten(&buf, 3), "DeviceRGB"),
        png::ColorType::Indexed => {
            return Err("the PNG palette could not be expanded".into());
        }
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&pixels)
        .and_then(|()| z.flush())
        .map_err(|e| format!("the PNG image could not be compressed ({e})"))?;
    let deflated = z
        .finish()
        .map_err(|e| format!("the PNG image could not be compressed ({e})"))?;
    let dict = dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => i64::from(width),
        "Height" => i64::from(height),
        "BitsPerComponent" => 8,
        "ColorSpace" => colour,
        "Filter" => "FlateDecode",
    };
    Ok(PngImage {
        stream: Stream::new(dict, deflated).with_compression(false),
        width,
        height,
    })
}

/// Drops the alpha channel of 8-bit pixels with `colours` colour channels,
/// blending each pixel onto white.
fn flatten(pixels: &[u8], colours: usize) -> Vec<u8> {
    let stride = colours + 1;
    let mut out = Vec::with_capacity(pixels.len() / stride * colours);
    for px in pixels.chunks_exact(stride) {
        let alpha = u32::from(px.get(colours).copied().unwrap_or(255));
        for c in px.iter().take(colours) {
            let blended = (u32::from(*c) * alpha + 255 * (255 - alpha)) / 255;
            out.push(u8::try_from(blended).unwrap_or(255));
        }
    }
    out
}
