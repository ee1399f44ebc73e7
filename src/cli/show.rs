//! The commands that print what vpnwatch knows of itself: its manual
//! pages (`man`) and the settings in force (`config --print`), written to
//! standard output.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use vpnwatch::app;

use super::resolve::user_config;
use super::{Cli, usage_error};

/// Writes `bytes` to stdout; a write error (a closed pipe too) is returned.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    Ok(out.flush()?)
}

/// `vpnwatch man`: the main page, one subcommand's page (named by its
/// words, `runbook check`), or every page written into `dir`.
pub fn man_pages(words: &[String], dir: Option<&Path>) -> anyhow::Result<()> {
    use clap::CommandFactory;
    // Built, so each subcommand is named `vpnwatch-scan` as its page is.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut written = String::new();
        let mut pages = vec![cmd];
        while let Some(cmd) = pages.pop() {
            pages.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
            let path = man_page(cmd)
                .generate_to(dir)
                .with_context(|| format!("writing a manual page into {}", dir.display()))?;
            written.push_str(&format!("{}\n", path.display()));
        }
        return write_stdout(written.as_bytes());
    }
    let mut page = cmd;
    for word in words {
        let Some(sub) = page.find_subcommand(word).cloned() else {
            let names: Vec<&str> = page.get_subcommands().map(|s| s.get_name()).collect();
            usage_error(&format!(
                "no manual page for {:?}; one of: {}",
                words.join(" "),
                names.join(", ")
            ));
        };
        page = sub;
    }
    let mut roff = Vec::new();
    man_page(page).render(&mut roff)?;
    write_stdout(&roff)
}

/// One page, its footer naming vpnwatch and its version (a subcommand has
/// no version of its own).
fn man_page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .source(format!("vpnwatch {}", env!("CARGO_PKG_VERSION")))
        .manual("vpnwatch manual")
}

/// `config --print`: every setting in force, as TOML.
pub fn print_config() -> anyhow::Result<()> {
    use toml::Value;
    let c = user_config();
    let mut top = toml::Table::new();
    let mut set = |k: &str, v: Value| {
        top.insert(k.to_string(), v);
    };
    set(
        "theme",
        Value::String(c.theme.clone().unwrap_or_else(|| "default".into())),
    );
    set(
        "operator",
        Value::String(c.operator.clone().unwrap_or_else(app::default_operator)),
    );
    set(
        "journal_dir",
        Value::String(
            c.journal_dir
                .as_ref()
                .map_or_else(|| ".".to_string(), |d| d.display().to_string()),
        ),
    );
    set("mouse", Value::Boolean(c.mouse.unwrap_or(true)));
    set(
        "quiet_after",
        Value::Integer(
            c.quiet_after
                .unwrap_or(vpnwatch::pipeline::DEFAULT_QUIET_AFTER.as_secs()),
        ),
    );
    set(
        "tz",
        match c.tz.as_ref().map(|t| t.0.as_slice()) {
            None => Value::String("UTC".into()),
            Some([one]) => Value::String(one.clone()),
            Some(rules) => Value::Array(rules.iter().cloned().map(Value::String).collect()),
        },
    );
    let keys: toml::Table = vpnwatch::ui::keys::ACTIONS
        .iter()
        .map(|(action, defaults)| {
            let keys: Vec<String> = match c.keys.get(*action) {
                Some(k) => k.0.clone(),
                None => defaults.iter().map(|d| d.to_string()).collect(),
            };
            let value = match keys.as_slice() {
                [one] => Value::String(one.clone()),
                _ => Value::Array(keys.into_iter().map(Value::String).collect()),
            };
            (action.to_string(), value)
        })
        .collect();
    set("keys", Value::Table(keys));
    set("probe", Value::Table(toml::Table::try_from(&c.probe)?));
    write_stdout(toml::to_string(&top)?.as_bytes())
}
