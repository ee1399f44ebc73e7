//! Key bindings: each action's default keys, the configuration file's
//! `[keys]` table that rebinds them (`mitigated = "m"`,
//! `down = ["Down", "ctrl-n"]`), and the names the footer and the `?` help
//! show, so they always show the keys as bound.
//!
//! The dashboard's key handling ([`crate::ui::action_for_key`]) is left as
//! it is: a rebound key is translated, before it reaches it, into the
//! action's default key, and the default keys of a rebound action no longer
//! do anything (so `quit = "Q"` frees `q`). Keys typed into the note
//! editor, a search or a confirmation are never translated.

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Every action that can be rebound, with its default keys (as
/// [`parse_key`] reads them; the first is what the footer shows). The test
/// below checks each default against [`crate::ui::action_for_key`].
pub const ACTIONS: &[(&str, &[&str])] = &[
    ("quit", &["q"]),
    ("focus_next", &["Tab"]),
    ("focus_prev", &["BackTab"]),
    ("down", &["Down", "j"]),
    ("up", &["Up", "k"]),
    ("page_down", &["PageDown"]),
    ("page_up", &["PageUp"]),
    ("home", &["Home", "g"]),
    ("end", &["End", "G"]),
    ("left", &["Left"]),
    ("right", &["Right"]),
    ("pause", &["p"]),
    ("help", &["?"]),
    ("back", &["Esc"]),
    ("open", &["Enter"]),
    ("filter", &["f"]),
    ("sort", &["o"]),
    ("advance_step", &["Space"]),
    ("note", &["n"]),
    ("copy_command", &["y"]),
    ("mitigated", &["M"]),
    ("resolved", &["R"]),
    ("evidence", &["e"]),
    ("report", &["r"]),
    ("step_done", &["x"]),
    ("step_doing", &["w"]),
    ("step_skipped", &["s"]),
    ("step_todo", &["u"]),
    ("raw", &["v"]),
    ("search", &["/"]),
    ("search_prev", &["N"]),
    ("text_filter", &["F"]),
    ("auth_only", &["a"]),
    ("presenter", &["P"]),
    ("theme", &["t"]),
    ("undo", &["U"]),
    ("probe", &["A"]),
];

/// Names a key may have in the configuration besides one character.
const NAMED: &[(&str, KeyCode)] = &[
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Space", KeyCode::Char(' ')),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
];

type Key = (KeyCode, KeyModifiers);

/// A key as the configuration names it: one character (`m`, `M`, `?`),
/// a name (`Tab`, `BackTab`, `Enter`, `Esc`, `Space`, `Up`, `Down`,
/// `Left`, `Right`, `Home`, `End`, `PageUp`/`PgUp`, `PageDown`/`PgDn`,
/// `F1`–`F12`), or `ctrl-` and a character.
pub fn parse_key(text: &str) -> Result<Key, String> {
    if let Some(rest) = text.strip_prefix("ctrl-") {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) => Ok((KeyCode::Char(c), KeyModifiers::CONTROL)),
            _ => Err(format!("{text:?} is not ctrl- and one character")),
        };
    }
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok((KeyCode::Char(c), KeyModifiers::NONE));
    }
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == text) {
        return Ok((*code, KeyModifiers::NONE));
    }
    match text.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
        Some(n @ 1..=12) => Ok((KeyCode::F(n), KeyModifiers::NONE)),
        _ => Err(format!(
            "{text:?} is not a key (a character, Tab, Enter, Esc, Space, Up, Down, Left, Right, Home, End, PgUp, PgDn, F1-F12 or ctrl-X)"
        )),
    }
}

/// How the footer and the help name a key: `↑`, `PgUp`, `Ctrl-Q`, `m`.
fn key_label((code, mods): Key) -> String {
    let base = match code {
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        other => NAMED
            .iter()
            .find(|(_, c)| *c == other)
            .map_or_else(|| format!("{other:?}"), |(n, _)| n.to_string()),
    };
    if mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{}", base.to_uppercase())
    } else {
        base
    }
}

/// Checks the whole `[keys]` table: known actions, keys that parse, and no
/// key that two actions would share. The error names the entry at fault
/// (its action) and what is wrong.
pub fn check_all<'a>(
    bindings: impl IntoIterator<Item = (&'a str, &'a [String])>,
) -> Result<(), (String, String)> {
    let bindings: Vec<(&str, &[String])> = bindings.into_iter().collect();
    let mut bound: Vec<(Key, &str, &str)> = Vec::new();
    for (action, keys) in &bindings {
        if !ACTIONS.iter().any(|(name, _)| name == action) {
            let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
            return Err((
                action.to_string(),
                format!("unknown action; one of {}", names.join(", ")),
            ));
        }
        if keys.is_empty() {
            return Err((action.to_string(), "no key given".into()));
        }
        for text in keys.iter() {
            let key = parse_key(text).map_err(|e| (action.to_string(), e))?;
            bound.push((key, action, text));
        }
    }
    // The keys in force: the bound ones, and the defaults of every action
    // left as it is.
    for (name, defaults) in ACTIONS {
        if bindings.iter().any(|(a, _)| a == name) {
            continue;
        }
        for text in *defaults {
            if let Ok(key) = parse_key(text) {
                bound.push((key, name, text));
            }
        }
    }
    for (i, (key, action, text)) in bound.iter().enumerate() {
        if let Some((_, other, _)) = bound[..i].iter().find(|(k, a, _)| k == key && a != action) {
            // Name the rebound entry: it is the one in the file.
            let (at, with) = if bindings.iter().any(|(a, _)| a == action) {
                (action, other)
            } else {
                (other, action)
            };
            return Err((
                at.to_string(),
                format!("key {text:?} is also bound to {with}"),
            ));
        }
    }
    Ok(())
}

/// The key bindings in force: the translation of rebound keys and the
/// names every action's keys are shown by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMap {
    /// A bound key → the first default key of its action.
    to_default: HashMap<Key, Key>,
    /// Default keys of rebound actions, no longer bound to them.
    freed: Vec<Key>,
    /// Action → its keys, for actions rebound (the others show their
    /// defaults).
    bound: HashMap<&'static str, Vec<Key>>,
}

impl KeyMap {
    /// From `(action, keys)` pairs, each already checked (an entry that
    /// does not check is left out).
    pub fn new<'a>(bindings: impl IntoIterator<Item = (&'a str, &'a [String])>) -> KeyMap {
        let mut map = KeyMap::default();
        for (action, keys) in bindings {
            let Some((name, defaults)) = ACTIONS.iter().find(|(n, _)| *n == action) else {
                continue;
            };
            let keys: Vec<Key> = keys.iter().filter_map(|k| parse_key(k).ok()).collect();
            let defaults: Vec<Key> = defaults.iter().filter_map(|k| parse_key(k).ok()).collect();
            let Some(&first) = defaults.first() else {
                continue;
            };
            for key in &keys {
                map.to_default.insert(*key, first);
            }
            map.freed
                .extend(defaults.iter().filter(|d| !keys.contains(d)).copied());
            map.bound.insert(name, keys);
        }
        map
    }

    /// The key the dashboard should see for `key`: the action's default key
    /// for a rebound key; `None` for a default key that was moved away.
    pub fn translate(&self, key: KeyEvent) -> Option<KeyEvent> {
        if self.to_default.is_empty() || key.kind == KeyEventKind::Release {
            return Some(key);
        }
        // Shift is part of an upper-case character, not a modifier to match.
        let mods = key.modifiers & KeyModifiers::CONTROL;
        if let Some(&(code, modifiers)) = self.to_default.get(&(key.code, mods)) {
            return Some(KeyEvent {
                code,
                modifiers,
                ..key
            });
        }
        if self.freed.contains(&(key.code, mods)) {
            return None;
        }
        Some(key)
    }

    /// The keys of `action` as bound, each as shown (`↑`, `k`).
    fn labels(&self, action: &str) -> Vec<String> {
        if let Some(keys) = self.bound.get(action) {
            return keys.iter().map(|k| key_label(*k)).collect();
        }
        ACTIONS
            .iter()
            .find(|(n, _)| *n == action)
            .map(|(_, defaults)| {
                defaults
                    .iter()
                    .filter_map(|k| parse_key(k).ok())
                    .map(key_label)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first key of `action` as bound: what the footer shows.
    pub fn first(&self, action: &str) -> String {
        self.labels(action).into_iter().next().unwrap_or_default()
    }

    /// Every key of `action` as bound, `/` between: what the help shows.
    pub fn all(&self, action: &str) -> String {
        self.labels(action).join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::{Action, action_for_key};

    fn press(text: &str) -> KeyEvent {
        let (code, modifiers) = parse_key(text).unwrap();
        KeyEvent::new(code, modifiers)
    }

    fn map(pairs: &[(&str, &[&str])]) -> KeyMap {
        let owned: Vec<(&str, Vec<String>)> = pairs
            .iter()
            .map(|(a, ks)| (*a, ks.iter().map(|k| k.to_string()).collect()))
            .collect();
        KeyMap::new(owned.iter().map(|(a, ks)| (*a, ks.as_slice())))
    }

    fn check(pairs: &[(&str, &[&str])]) -> Result<(), (String, String)> {
        let owned: Vec<(&str, Vec<String>)> = pairs
            .iter()
            .map(|(a, ks)| (*a, ks.iter().map(|k| k.to_string()).collect()))
            .collect();
        check_all(owned.iter().map(|(a, ks)| (*a, ks.as_slice())))
    }

    #[test]
    fn every_default_key_is_the_dashboards() {
        for (name, keys) in ACTIONS {
            for key in *keys {
                let action = action_for_key(press(key));
                assert!(action.is_some(), "{name}: {key} does nothing");
            }
        }
        assert_eq!(action_for_key(press("q")), Some(Action::Quit));
        assert_eq!(action_for_key(press("M")), Some(Action::MarkMitigated));
        assert!(check(&[]).is_ok(), "the defaults do not conflict");
    }

    #[test]
    fn a_rebound_key_acts_and_the_old_one_is_freed() {
        let map = map(&[("mitigated", &["m"]), ("quit", &["ctrl-q"])]);
        let act = |k: &str| map.translate(press(k)).and_then(action_for_key);
        assert_eq!(act("m"), Some(Action::MarkMitigated));
        assert_eq!(act("M"), None);
        assert_eq!(act("ctrl-q"), Some(Action::Quit));
        assert_eq!(act("q"), None);
        assert_eq!(act("R"), Some(Action::MarkResolved), "others unchanged");
    }

    #[test]
    fn arrows_and_named_keys_rebind() {
        let map = map(&[
            ("down", &["ctrl-n", "Down"]),
            ("up", &["ctrl-p"]),
            ("open", &["o"]),
            ("sort", &["O"]),
            ("page_down", &["Space"]),
            ("advance_step", &["Enter"]),
        ]);
        let act = |k: &str| map.translate(press(k)).and_then(action_for_key);
        assert_eq!(act("ctrl-n"), Some(Action::Move(1)));
        assert_eq!(act("Down"), Some(Action::Move(1)), "kept in the list");
        assert_eq!(act("j"), None, "left out of the list");
        assert_eq!(act("ctrl-p"), Some(Action::Move(-1)));
        assert_eq!(act("Up"), None);
        assert_eq!(act("k"), None);
        assert_eq!(act("o"), Some(Action::Open));
        assert_eq!(act("Enter"), Some(Action::AdvanceStep));
        assert_eq!(act("Space"), Some(Action::PageDown));
        assert_eq!(map.first("down"), "Ctrl-N");
        assert_eq!(map.all("down"), "Ctrl-N/↓");
        assert_eq!(map.all("up"), "Ctrl-P");
        assert_eq!(map.first("open"), "o");
        assert_eq!(KeyMap::default().all("down"), "↓/j");
        assert_eq!(KeyMap::default().first("page_up"), "PgUp");
    }

    #[test]
    fn bad_entries_are_named() {
        let err = check(&[("mitigate", &["m"])]).unwrap_err();
        assert_eq!(err.0, "mitigate");
        assert!(err.1.starts_with("unknown action"), "{err:?}");
        let err = check(&[("quit", &["Quit"])]).unwrap_err();
        assert!(err.1.contains("is not a key"), "{err:?}");
        assert!(check(&[("quit", &["F12"])]).is_ok());
    }

    #[test]
    fn a_key_two_actions_would_share_is_a_conflict() {
        // `p` is still pause's.
        let err = check(&[("quit", &["p"])]).unwrap_err();
        assert_eq!(
            err,
            ("quit".into(), "key \"p\" is also bound to pause".into())
        );
        // Both rebound to one key.
        let err = check(&[("mitigated", &["m"]), ("resolved", &["m"])]).unwrap_err();
        assert!(err.1.contains("also bound to"), "{err:?}");
        // Moving pause away frees `p`.
        assert!(check(&[("quit", &["p"]), ("pause", &["Space"])]).is_err());
        assert!(check(&[("quit", &["p"]), ("pause", &["Z"])]).is_ok());
    }
}
