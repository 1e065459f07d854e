//! Courrier's HTTP face (in progress).
