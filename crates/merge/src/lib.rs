//! Mail merge (in progress).
