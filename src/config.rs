//! The user's configuration file, `$XDG_CONFIG_HOME/vpnwatch/config.toml`
//! (else `~/.config/vpnwatch/config.toml`): settings that belong to the
//! operator's machine rather than to one command line.
//!
//! Top-level keys for the dashboard and the commands (`theme`, `operator`,
//! `journal_dir`, `mouse`, `quiet_after`, `tz`; command-line flags override
//! them), `[keys]` for key bindings and `[probe]` for the AAA servers to
//! check and how. Unknown keys and bad values are errors (a typo must not
//! silently fall back to a default), reported on one line as
//! `FILE:LINE: key KEY: what is wrong`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file. Every key and section is optional.
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
    /// `--tz`: the zone of time stamps that carry none, as the same rules
    /// `--tz` takes: `ZONE` for every file, `FILE=ZONE` for one; a string
    /// or a list (`tz = ["Europe/Berlin", "client.log=America/New_York"]`).
    pub tz: Option<StringList>,
    /// Action name → its key, or a list of keys (see [`crate::ui::keys`]).
    #[serde(default)]
    pub keys: BTreeMap<String, StringList>,
    #[serde(default)]
    pub probe: ProbeConfig,
}

/// A setting given as one string or a list of them: a key
/// (`quit = "Q"`) or several (`down = ["Down", "ctrl-n"]`), one `tz` rule
/// or several.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(from = "OneOrMany")]
pub struct StringList(pub Vec<String>);

/// How [`StringList`] is written in the file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for StringList {
    fn from(v: OneOrMany) -> StringList {
        StringList(match v {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        })
    }
}

/// `[probe]`: what `vpnwatch probe` and the dashboard's probe key check.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// RADIUS servers, `HOST[:PORT]` (port 1812 when left out).
    #[serde(default)]
    pub radius: Vec<String>,
    /// LDAP servers as URLs (`ldap://dc01`, `ldaps://dc01:636`).
    #[serde(default)]
    pub ldap: Vec<String>,
    /// Anything else, `HOST:PORT`, checked by a TCP connect.
    #[serde(default)]
    pub tcp: Vec<String>,
    /// File holding the RADIUS shared secret (first line).
    pub secret_file: Option<PathBuf>,
    /// The LDAP service account's DN (anonymous bind when unset).
    pub bind_dn: Option<String>,
    /// File holding the service account's password (first line).
    pub bind_password_file: Option<PathBuf>,
    /// PEM file of the CA (or CAs) that signed the LDAPS servers'
    /// certificates, trusted instead of the system's store (a private CA).
    pub ldap_ca: Option<PathBuf>,
    /// Where `--user` lookups search.
    pub base_dn: Option<String>,
    /// The lookup filter; `{user}` is replaced by the escaped name.
    /// Default `(sAMAccountName={user})`.
    pub user_filter: Option<String>,
    /// Seconds to wait for each try (default 2).
    pub timeout: Option<f64>,
    /// Sends per RADIUS request (default 3).
    pub tries: Option<u32>,
    /// What the servers named by logs speak: "radius" (default), "ldap",
    /// "ldaps" or "tcp:PORT".
    pub log_servers: Option<String>,
}

/// The file looked for when none is named: `$XDG_CONFIG_HOME/vpnwatch/config.toml`,
/// else `~/.config/vpnwatch/config.toml`.
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
    let named = |(key, msg): (String, String)| {
        let line = line_of_key(text, &key).unwrap_or(1);
        format!("{line}: key {key}: {msg}")
    };
    config.check().map_err(named)?;
    config
        .probe
        .check()
        .map_err(|(key, msg)| named((key.to_string(), msg)))?;
    Ok(config)
}

impl Config {
    /// Values the types allow but vpnwatch does not (the top level and
    /// `[keys]`; `[probe]` checks its own).
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
            // The one reader of `--tz` rules, so both take the same.
            crate::parse::clock::TimeRules::parse(&tz.0).map_err(|e| ("tz".to_string(), e))?;
        }
        if let Some(op) = &self.operator
            && op.trim().is_empty()
        {
            return Err(("operator".into(), "is empty".into()));
        }
        crate::ui::keys::check_all(self.keys.iter().map(|(a, k)| (a.as_str(), k.0.as_slice())))?;
        Ok(())
    }

    /// The `[keys]` bindings as the dashboard applies them.
    pub fn key_map(&self) -> crate::ui::keys::KeyMap {
        crate::ui::keys::KeyMap::new(self.keys.iter().map(|(a, k)| (a.as_str(), k.0.as_slice())))
    }
}

impl ProbeConfig {
    /// Values the types allow but the probe does not.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if let Some(t) = self.timeout
            && !(t.is_finite() && t > 0.0 && t <= 60.0)
        {
            return Err(("timeout", format!("{t} is not between 0 and 60 seconds")));
        }
        if let Some(n) = self.tries
            && !(1..=10).contains(&n)
        {
            return Err(("tries", format!("{n} is not between 1 and 10")));
        }
        if let Some(k) = &self.log_servers
            && crate::probe::LogServerKind::parse(k).is_none()
        {
            return Err((
                "log_servers",
                format!("{k:?} is not radius, ldap, ldaps or tcp:PORT"),
            ));
        }
        Ok(())
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
    fn probe_section_reads() {
        let c = parse(
            "[probe]\nradius = [\"10.0.0.1\", \"10.0.0.2:1645\"]\nsecret_file = \"/s\"\ntries = 2\n",
        )
        .unwrap();
        assert_eq!(c.probe.radius, ["10.0.0.1", "10.0.0.2:1645"]);
        assert_eq!(c.probe.tries, Some(2));
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = parse("[probe]\nradius = []\nsecrt_file = \"/s\"\n").unwrap_err();
        assert!(err.starts_with("3: key secrt_file: "), "{err}");
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn bad_value_names_line_and_key() {
        let err = parse("[probe]\n\ntimeout = \"soon\"\n").unwrap_err();
        assert!(err.starts_with("3: key timeout: "), "{err}");
        let err = parse("[probe]\ntries = 99\n").unwrap_err();
        assert_eq!(err, "2: key tries: 99 is not between 1 and 10");
        let err = parse("[probe]\nlog_servers = \"smtp\"\n").unwrap_err();
        assert!(err.starts_with("2: key log_servers: "), "{err}");
    }

    #[test]
    fn unknown_section_is_an_error() {
        let err = parse("[prob]\nradius = []\n").unwrap_err();
        assert!(err.starts_with("1: "), "{err}");
        assert!(err.contains("prob"), "{err}");
    }

    #[test]
    fn named_missing_file_is_an_error_default_missing_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.toml");
        assert!(load(Some(&missing)).is_err());
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[probe]\nnope = 1\n").unwrap();
        let err = load(Some(&bad)).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:2: key nope: ", bad.display())),
            "{err}"
        );
    }

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
        assert_eq!(c.tz.map(|t| t.0), Some(vec!["Europe/Berlin".to_string()]));
        assert_eq!(c.keys["mitigated"].0, ["m"]);
        assert_eq!(c.probe.radius, ["10.0.0.1"]);
    }

    #[test]
    fn tz_takes_the_rules_of_the_flag_as_a_string_or_a_list() {
        let c = parse("tz = \"asa.log=Europe/Berlin\"\n").unwrap();
        assert_eq!(c.tz.unwrap().0, ["asa.log=Europe/Berlin"]);
        let c = parse("tz = [\"+02:00\", \"client.log=America/New_York\"]\n").unwrap();
        let rules = crate::parse::clock::TimeRules::parse(&c.tz.unwrap().0).unwrap();
        assert_eq!(
            rules.zone_for("logs/client.log").map(|z| z.0),
            Some("America/New_York")
        );
        assert_eq!(rules.zone_for("asa.log").map(|z| z.0), Some("+02:00"));
        // A bad rule in a list names the line and the key.
        let err =
            parse("operator = \"x\"\ntz = [\"UTC\", \"client.log=Mars/Olympus\"]\n").unwrap_err();
        assert!(err.starts_with("2: key tz: "), "{err}");
        assert!(err.contains("Mars/Olympus"), "{err}");
        let err = parse("tz = [\"UTC\", \"Europe/Berlin\"]\n").unwrap_err();
        assert!(err.starts_with("1: key tz: "), "{err}");
        assert!(err.contains("only one zone"), "{err}");
    }

    #[test]
    fn a_bad_top_level_value_names_line_and_key() {
        let err = parse("theme = \"light\"\n\nthem = \"dark\"\n").unwrap_err();
        assert!(err.starts_with("3: key them: "), "{err}");
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
