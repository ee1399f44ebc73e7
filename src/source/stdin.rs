//! Reading lines from standard input.
