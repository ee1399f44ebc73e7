//! Splitting a byte stream into lines, whatever the chunk boundaries.
