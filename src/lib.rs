//! vpnwatch: a terminal incident console for Cisco AnyConnect / Secure Client VPN outages.
//!
//! Data flows one way through four layers:
//!
//! * [`source`] — where bytes come from (files with `tail -F` semantics, stdin).
//!   Produces batches of raw lines with provenance; knows nothing about Cisco.
//! * [`parse`] — pure functions from one raw line to a typed [`parse::Event`].
//! * [`engine`] — pure incident state: per-user statistics, AAA server health,
//!   retained log lines, the runbook checklist. Deterministic and testable
//!   without a terminal.
//! * [`ui`] — ratatui rendering of that state, and keys turned into actions.
//!
//! [`app`] wires the layers together at run time; [`runbook`] and [`journal`]
//! hold the incident lead's checklist definition and its crash-safe record.
//!
//! `loggen`, a generator of large test logs with their ground truth, exists
//! only with the `loggen` feature, which the package's dev-dependency on
//! itself turns on for tests, benches and examples: it does not ship.

pub mod app;
pub mod config;
pub mod engine;
pub mod journal;
#[cfg(feature = "loggen")]
pub mod loggen;
pub mod parse;
pub mod pipeline;
pub mod probe;
pub mod runbook;
pub mod sanitize;
pub mod source;
pub mod ui;
pub mod vocab;
