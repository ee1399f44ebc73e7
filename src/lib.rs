//! vpnwatch: a terminal incident console for Cisco AnyConnect / Secure Client VPN outages.
//!
//! Data flows one way through these layers:
//!
//! ```text
//! source ─▶ pipeline (reader → parse) ─▶ engine ─▶ ui
//! ```
//!
//! * [`source`] — where bytes come from (files with `tail -F` semantics,
//!   globs, stdin, commands, syslog). Produces batches of raw lines with
//!   provenance and notices; knows nothing about Cisco.
//! * [`parse`] — pure functions from one raw line or record to a typed
//!   [`vocab::Event`]; what a line cannot say (the year, the `--tz` rules,
//!   the `--json-field` path) comes in a [`parse::ParseContext`] given to
//!   each reader, never a process-wide setting.
//! * [`pipeline`] — the reading path: [`pipeline::Model`] owns each source's
//!   reader and state and the line store of each pane, parses each batch
//!   and hands the events to the engine.
//! * [`engine`] — pure incident state from events: per-user statistics,
//!   AAA server health, the runbook checklist. Deterministic and testable
//!   without a terminal; an [`engine::Incident`] is built with its
//!   [`engine::IncidentLimits`] (`--max-users`). Names nothing from
//!   `source`, `pipeline`, `ui` or `app` (`tests/layers.rs` checks).
//! * [`ui`] — ratatui rendering of the model, and keys turned into actions.
//! * [`vocab`] — the types every layer may name: events, causes, families,
//!   source ids, line batches and notices.
//!
//! [`app`] wires the layers together at run time, called by the `vpnwatch`
//! binary (`main.rs` dispatches; its `cli` module defines the command line
//! and builds the context and limits from it); [`runbook`] and [`journal`]
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
pub mod plural;
pub mod probe;
pub mod runbook;
pub mod sanitize;
pub mod source;
pub mod ui;
pub mod vocab;
