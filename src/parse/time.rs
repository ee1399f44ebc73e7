//! Syslog header timestamps.
