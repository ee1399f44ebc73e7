//! The user's configuration file, `$XDG_CONFIG_HOME/vpnwatch/config.toml`
//! (else `~/.config/vpnwatch/config.toml`): settings that belong to the
//! operator's machine rather than to one command line. Command-line flags
//! override it.
//!
//! Top-level keys for the dashboard and the commands (`theme`, `operator`,
//! `journal_dir`, `mouse`, `quiet_after`, `tz`), `[keys]` for key bindings
//! and `[probe]` for the AAA probe (kept as a table here; the probe reads
//! it). Unknown keys and bad values are errors (a typo must not silently
//! fall back to a default), reported on one line as
//! `FILE:LINE: key KEY: what is wrong`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file. Every key is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `--theme`: a built-in theme's name or a `.toml` theme's path.
    pub theme: Option<String>,
    /// `--operator`: the name recorded with each checklist change.
    pub operator: Option<String>,
    /// Where the default journal (`vpnwatch-YYYY-MM-DD.jsonl`) is kept,
    /// instead of the current directory.
    pub journal_dir: Option<PathBuf>,
    /// Mouse capture in the dashboard (`false` leaves the mouse to the
    /// terminal, so text can be selected).
    pub mouse: Option<bool>,
    /// `--quiet-after`, in seconds.
    pub quiet_after: Option<i64>,
    /// `--tz ZONE`: the zone of time stamps that carry none.
    pub tz: Option<String>,
    /// Action name → key (see [`crate::app::keys`]).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// The AAA probe's settings, read by the probe.
    #[serde(default)]
    pub probe: toml::Table,
}

/// The file looked for: `$XDG_CONFIG_HOME/vpnwatch/config.toml`, else
/// `~/.config/vpnwatch/config.toml`; `None` when neither variable is set.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("vpnwatch").join("config.toml"))
}

/// A configuration file that could not be used; the message is one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// Loads `path`, or the default file when `path` is `None`. A default file
/// that does not exist is an empty configuration; a named one is an error.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let (path, named) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Config::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            return Ok(Config::default());
        }
        Err(e) => return Err(ConfigError(format!("{}: {e}", path.display()))),
    };
    parse(&text).map_err(|e| ConfigError(format!("{}:{e}", path.display())))
}

/// Parses the text of a configuration file. The error reads
/// `LINE: key KEY: message` (the file name is the caller's).
pub fn parse(text: &str) -> Result<Config, String> {
    let config: Config = toml::from_str(text).map_err(|e| describe(text, &e))?;
    config.check().map_err(|(key, msg)| {
        let line = line_of_key(text, &key).unwrap_or(1);
        format!("{line}: key {key}: {msg}")
    })?;
    Ok(config)
}

impl Config {
    /// Values the types allow but vpnwatch does not.
    fn check(&self) -> Result<(), (String, String)> {
        if let Some(theme) = &self.theme {
            crate::ui::Theme::load(theme).map_err(|e| ("theme".to_string(), e.to_string()))?;
        }
        if let Some(secs) = self.quiet_after
            && secs < 1
        {
            return Err((
                "quiet_after".into(),
                format!("{secs} is not a positive number of seconds"),
            ));
        }
        if let Some(tz) = &self.tz {
            crate::parse::clock::TimeRules::parse(std::slice::from_ref(tz))
                .map_err(|e| ("tz".to_string(), e))?;
        }
        if let Some(op) = &self.operator
            && op.trim().is_empty()
        {
            return Err(("operator".into(), "is empty".into()));
        }
        for (action, key) in &self.keys {
            crate::app::keys::check(action, key).map_err(|e| (action.clone(), e))?;
        }
        Ok(())
    }

    /// The `[keys]` bindings as the dashboard applies them.
    pub fn key_map(&self) -> crate::app::keys::KeyMap {
        crate::app::keys::KeyMap::new(self.keys.iter().map(|(a, k)| (a.as_str(), k.as_str())))
    }
}

/// `LINE: key KEY: message` from a TOML error, the line found from its span.
fn describe(text: &str, err: &toml::de::Error) -> String {
    let message = err
        .message()
        .lines()
        .next()
        .unwrap_or("invalid TOML")
        .trim();
    let Some(span) = err.span() else {
        return format!("1: {message}");
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    match line.split_once('=') {
        Some((key, _)) if !line.trim_start().starts_with('[') => {
            format!("{line_no}: key {}: {message}", key.trim())
        }
        _ => format!("{line_no}: {message}"),
    }
}

/// The first line (1-based) that sets `key`.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| k.trim().trim_matches('"') == key)
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_reads() {
        let c = parse(
            "theme = \"light\"\noperator = \"oncall\"\njournal_dir = \"/srv/incidents\"\n\
             mouse = false\nquiet_after = 300\ntz = \"Europe/Berlin\"\n\
             [keys]\nmitigated = \"m\"\n[probe]\nradius = [\"10.0.0.1\"]\n",
        )
        .unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.operator.as_deref(), Some("oncall"));
        assert_eq!(c.journal_dir, Some(PathBuf::from("/srv/incidents")));
        assert_eq!(c.mouse, Some(false));
        assert_eq!(c.quiet_after, Some(300));
        assert_eq!(c.tz.as_deref(), Some("Europe/Berlin"));
        assert_eq!(c.keys["mitigated"], "m");
        assert!(c.probe.contains_key("radius"));
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn an_unknown_key_names_line_and_key() {
        let err = parse("theme = \"light\"\n\nthem = \"dark\"\n").unwrap_err();
        assert!(err.starts_with("3: key them: "), "{err}");
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn a_bad_value_names_line_and_key() {
        let err = parse("operator = \"x\"\nquiet_after = \"soon\"\n").unwrap_err();
        assert!(err.starts_with("2: key quiet_after: "), "{err}");
        assert_eq!(
            parse("quiet_after = 0\n").unwrap_err(),
            "1: key quiet_after: 0 is not a positive number of seconds"
        );
        let err = parse("theme = \"neon\"\n").unwrap_err();
        assert!(err.starts_with("1: key theme: unknown theme"), "{err}");
        let err = parse("tz = \"Mars/Olympus\"\n").unwrap_err();
        assert!(err.starts_with("1: key tz: "), "{err}");
        let err = parse("[keys]\nquit = \"q\"\nmitigate = \"m\"\n").unwrap_err();
        assert!(err.starts_with("3: key mitigate: unknown action"), "{err}");
    }
}
