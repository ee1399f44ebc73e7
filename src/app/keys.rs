//! Key bindings from the configuration file's `[keys]` table: an action
//! name mapped to a key (`mitigated = "m"`).
//!
//! The dashboard's key handling ([`crate::ui::action_for_key`]) is left as
//! it is: a rebound key is translated, before it reaches it, into the
//! action's default key, and the default key of a rebound action no longer
//! does anything (so `quit = "Q"` frees `q`). Keys typed into the note
//! editor are never translated.

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Every action that can be rebound, with its default key (as
/// [`parse_key`] reads it). The test below checks each default against
/// [`crate::ui::action_for_key`].
pub const ACTIONS: &[(&str, &str)] = &[
    ("quit", "q"),
    ("focus_next", "Tab"),
    ("focus_prev", "BackTab"),
    ("down", "j"),
    ("up", "k"),
    ("page_down", "PageDown"),
    ("page_up", "PageUp"),
    ("home", "g"),
    ("end", "G"),
    ("pause", "p"),
    ("help", "?"),
    ("back", "Esc"),
    ("open", "Enter"),
    ("filter", "f"),
    ("sort", "o"),
    ("advance_step", "Space"),
    ("note", "n"),
    ("copy_command", "y"),
    ("mitigated", "M"),
    ("resolved", "R"),
    ("evidence", "e"),
    ("report", "r"),
    ("step_done", "x"),
    ("step_doing", "w"),
    ("step_skipped", "s"),
    ("step_todo", "u"),
];

/// A key as the configuration names it: one character (`m`, `M`, `?`),
/// a name (`Tab`, `BackTab`, `Enter`, `Esc`, `Space`, `Up`, `Down`,
/// `Left`, `Right`, `Home`, `End`, `PageUp`, `PageDown`, `F1`–`F12`), or
/// `ctrl-` and a character.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
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
    let code = match text {
        "Tab" => KeyCode::Tab,
        "BackTab" => KeyCode::BackTab,
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Space" => KeyCode::Char(' '),
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        _ => match text.strip_prefix('F').and_then(|n| n.parse::<u8>().ok()) {
            Some(n @ 1..=12) => KeyCode::F(n),
            _ => {
                return Err(format!(
                    "{text:?} is not a key (a character, Tab, Enter, Esc, Space, Up, Down, Left, Right, Home, End, PageUp, PageDown, F1-F12 or ctrl-X)"
                ));
            }
        },
    };
    Ok((code, KeyModifiers::NONE))
}

/// Checks one `[keys]` entry: a known action and a key that parses.
pub fn check(action: &str, key: &str) -> Result<(), String> {
    if !ACTIONS.iter().any(|(name, _)| *name == action) {
        let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
        return Err(format!("unknown action; one of {}", names.join(", ")));
    }
    parse_key(key).map(|_| ())
}

/// The translation table built from `[keys]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyMap {
    /// A bound key → the default key of its action.
    to_default: HashMap<(KeyCode, KeyModifiers), (KeyCode, KeyModifiers)>,
    /// Default keys of rebound actions, no longer bound to them.
    freed: Vec<(KeyCode, KeyModifiers)>,
}

impl KeyMap {
    /// From `(action, key)` pairs, each already [`check`]ed (a pair that
    /// does not check is left out).
    pub fn new<'a>(bindings: impl IntoIterator<Item = (&'a str, &'a str)>) -> KeyMap {
        let mut map = KeyMap::default();
        for (action, key) in bindings {
            let Some((_, default)) = ACTIONS.iter().find(|(n, _)| *n == action) else {
                continue;
            };
            let (Ok(bound), Ok(default)) = (parse_key(key), parse_key(default)) else {
                continue;
            };
            map.to_default.insert(bound, default);
            if bound != default {
                map.freed.push(default);
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::{Action, action_for_key};

    fn press(text: &str) -> KeyEvent {
        let (code, modifiers) = parse_key(text).unwrap();
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_default_key_is_the_dashboards() {
        for (name, key) in ACTIONS {
            let action = action_for_key(press(key));
            assert!(action.is_some(), "{name}: {key} does nothing");
        }
        assert_eq!(action_for_key(press("q")), Some(Action::Quit));
        assert_eq!(action_for_key(press("M")), Some(Action::MarkMitigated));
    }

    #[test]
    fn a_rebound_key_acts_and_the_old_one_is_freed() {
        let map = KeyMap::new([("mitigated", "m"), ("quit", "ctrl-q")]);
        let act = |k: &str| map.translate(press(k)).and_then(action_for_key);
        assert_eq!(act("m"), Some(Action::MarkMitigated));
        assert_eq!(act("M"), None);
        assert_eq!(act("ctrl-q"), Some(Action::Quit));
        assert_eq!(act("q"), None);
        assert_eq!(act("R"), Some(Action::MarkResolved), "others unchanged");
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(
            check("mitigate", "m")
                .unwrap_err()
                .starts_with("unknown action")
        );
        assert!(check("quit", "Quit").unwrap_err().contains("is not a key"));
        assert!(check("quit", "F12").is_ok());
    }
}
