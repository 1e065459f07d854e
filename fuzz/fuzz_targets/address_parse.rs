//! The address parser on arbitrary window lines.
//!
//! Input: first byte chooses the sender's country, the rest is text (lossy
//! UTF-8), one window line per line.
//!
//! Invariants: a parsed address has a recipient and a locality, keeps no
//! blank line and no replacement character, and its printed lines read back
//! as the same address (what we print on an envelope we can read again).
#![no_main]

use courrier_documents::{CountryCode, PostalAddress};
use libfuzzer_sys::fuzz_target;

const SENDERS: [&str; 9] = ["CH", "LI", "BE", "FR", "DE", "AT", "IT", "NL", "LU"];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let sender = CountryCode::parse(SENDERS[usize::from(choice) % SENDERS.len()]).unwrap();
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().take(16).collect();
    let Ok(address) = PostalAddress::from_window_lines(&lines, sender) else {
        return;
    };
    assert!(
        !address.name_lines().is_empty(),
        "no recipient: {address:?}"
    );
    assert!(
        !address.locality().trim().is_empty(),
        "no locality: {address:?}"
    );
    let all = address
        .name_lines()
        .iter()
        .chain(address.street_lines())
        .map(String::as_str)
        .chain([address.locality()]);
    for line in all {
        assert!(!line.trim().is_empty(), "a blank line in {address:?}");
        assert!(
            !line.contains('\u{FFFD}'),
            "a replacement character in {address:?}"
        );
    }
    let printed = address.to_lines(sender);
    let again = PostalAddress::from_window_lines(&printed, sender);
    assert_eq!(
        again.as_ref(),
        Ok(&address),
        "printed as {printed:?} from lines {lines:?}"
    );
});
