//! Outbound letters: the rules of Print & Send that need no I/O.
