//! What the fuzz targets share: the limits they run with (small, so one input
//! stays fast) and how an input of several files is cut into its parts.

use courrier_documents::IntakeLimits;

/// Separates the files of one input of `compose` and `scan_images`.
pub const PART_SEPARATOR: &[u8] = b"\n%%COURRIER-PART%%\n";

/// At most this many parts are used; the rest of the input is ignored.
pub const MAX_PARTS: usize = 6;

/// The input cut at each [`PART_SEPARATOR`], at most [`MAX_PARTS`] parts.
pub fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_PARTS {
        match rest
            .windows(PART_SEPARATOR.len())
            .position(|w| w == PART_SEPARATOR)
        {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + PART_SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// The files of a multi-part input joined again (for writing seeds).
pub fn join_parts(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(PART_SEPARATOR)
}

/// Intake limits for fuzzing: the production rules, with a smaller bound on
/// decompression so a single input cannot take seconds.
pub fn intake_limits() -> IntakeLimits {
    IntakeLimits {
        max_decompressed_bytes: 4 * 1024 * 1024,
        ..IntakeLimits::default()
    }
}

/// At most this many pages of one input are read for text.
pub const MAX_PAGES_READ: usize = 4;
