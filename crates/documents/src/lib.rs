//! PDF inspection for letter intake (in progress).
