//! Themes: named styles loaded from TOML (`themes/*.toml`).
//!
//! The three bundled themes are compiled in, so the binary works from any
//! directory; `--theme PATH.toml` loads a user's own file. Every key is
//! optional and falls back to the terminal's default style. When `NO_COLOR`
//! is set (and not empty) colours are dropped and only modifiers remain,
//! which is why no state is ever shown by colour alone.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Bundled themes: (name, TOML source), in the order `t` cycles them.
pub const BUILTIN: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// What must stand out on a shared screen in any theme and without colour
/// (the verdict, INCIDENT, BLIND, failing now, the suggested step): bold
/// and underlined on top of the theme's style. Without colour the badges
/// are in reverse video too ([`Theme::without_colour`]).
pub fn emphasis(style: Style) -> Style {
    style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub header: Style,
    pub title: Style,
    pub border: Style,
    pub border_focused: Style,
    pub muted: Style,
    pub key: Style,
    pub selected: Style,
    pub failure: Style,
    pub success: Style,
    pub session_end: Style,
    pub info: Style,
    pub plain: Style,
    pub marker: Style,
    pub escape: Style,
    pub live: Style,
    pub paused: Style,
    pub alert: Style,
    pub ok: Style,
    pub step_todo: Style,
    pub step_doing: Style,
    pub step_done: Style,
    pub step_skipped: Style,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThemeError {
    #[error("theme {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "unknown theme {0:?}: use one of default, light, high-contrast, colorblind, or a path to a .toml file"
    )]
    Unknown(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

impl Theme {
    /// A bundled theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some((_, src)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::from_toml(src, name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            let src = std::fs::read_to_string(path).map_err(|e| ThemeError::Invalid {
                origin: path.display().to_string(),
                message: e.to_string(),
            })?;
            return Theme::from_toml(&src, &path.display().to_string());
        }
        Err(ThemeError::Unknown(name_or_path.to_string()))
    }

    /// Parses a theme; `origin` names it in errors.
    pub fn from_toml(src: &str, origin: &str) -> Result<Theme, ThemeError> {
        let invalid = |message: String| ThemeError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let file: ThemeFile = toml::from_str(src).map_err(|e| invalid(e.to_string()))?;
        let mut theme = Theme {
            name: file.name.unwrap_or_else(|| origin.to_string()),
            ..Theme::default()
        };
        for (key, spec) in &file.styles {
            let style = spec
                .to_style()
                .map_err(|m| invalid(format!("styles.{key}: {m}")))?;
            let slot = theme
                .slot(key)
                .ok_or_else(|| invalid(format!("styles.{key}: unknown style key")))?;
            *slot = style;
        }
        Ok(theme)
    }

    /// The next bundled theme after this one (`t`), without colour when
    /// `NO_COLOR` asks; a theme loaded from a file is followed by the first.
    pub fn next_builtin(&self) -> Theme {
        let here = BUILTIN.iter().position(|(n, _)| *n == self.name);
        let (name, src) = BUILTIN[here.map_or(0, |i| (i + 1) % BUILTIN.len())];
        let theme = Theme::from_toml(src, name).unwrap_or_default();
        if no_color_requested() {
            theme.without_colour()
        } else {
            theme
        }
    }

    /// Drops every colour, keeping bold, reverse and the other modifiers.
    /// A style that stood out by its background (the LIVE, PAUSED and alert
    /// badges) is shown in reverse video instead.
    pub fn without_colour(mut self) -> Theme {
        for key in STYLE_KEYS {
            if let Some(slot) = self.slot(key) {
                if slot.bg.is_some_and(|c| c != Color::Reset) {
                    *slot = slot.add_modifier(Modifier::REVERSED);
                }
                slot.fg = None;
                slot.bg = None;
            }
        }
        self
    }

    fn slot(&mut self, key: &str) -> Option<&mut Style> {
        Some(match key {
            "base" => &mut self.base,
            "header" => &mut self.header,
            "title" => &mut self.title,
            "border" => &mut self.border,
            "border_focused" => &mut self.border_focused,
            "muted" => &mut self.muted,
            "key" => &mut self.key,
            "selected" => &mut self.selected,
            "failure" => &mut self.failure,
            "success" => &mut self.success,
            "session_end" => &mut self.session_end,
            "info" => &mut self.info,
            "plain" => &mut self.plain,
            "marker" => &mut self.marker,
            "escape" => &mut self.escape,
            "live" => &mut self.live,
            "paused" => &mut self.paused,
            "alert" => &mut self.alert,
            "ok" => &mut self.ok,
            "step_todo" => &mut self.step_todo,
            "step_doing" => &mut self.step_doing,
            "step_done" => &mut self.step_done,
            "step_skipped" => &mut self.step_skipped,
            _ => return None,
        })
    }
}

const STYLE_KEYS: [&str; 23] = [
    "base",
    "header",
    "title",
    "border",
    "border_focused",
    "muted",
    "key",
    "selected",
    "failure",
    "success",
    "session_end",
    "info",
    "plain",
    "marker",
    "escape",
    "live",
    "paused",
    "alert",
    "ok",
    "step_todo",
    "step_doing",
    "step_done",
    "step_skipped",
];

/// `NO_COLOR` present and not empty, per no-color.org.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl StyleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(parse_colour(fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(parse_colour(bg)?);
        }
        for m in &self.modifiers {
            style = style.add_modifier(match m.as_str() {
                "bold" => Modifier::BOLD,
                "dim" => Modifier::DIM,
                "italic" => Modifier::ITALIC,
                "underlined" => Modifier::UNDERLINED,
                "reversed" => Modifier::REVERSED,
                "crossed_out" => Modifier::CROSSED_OUT,
                other => return Err(format!("unknown modifier {other:?}")),
            });
        }
        Ok(style)
    }
}

fn parse_colour(s: &str) -> Result<Color, String> {
    s.parse::<Color>()
        .map_err(|_| format!("invalid colour {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_themes_load_and_cover_every_key() {
        for (name, _) in BUILTIN {
            let theme = Theme::load(name).unwrap();
            assert_eq!(theme.name, name);
            assert_ne!(theme.failure, Style::default(), "{name} styles failures");
            assert!(
                theme.failure.add_modifier.contains(Modifier::BOLD),
                "{name}: failures are bold, not colour only"
            );
            assert!(
                theme.selected.add_modifier.contains(Modifier::REVERSED),
                "{name}"
            );
        }
    }

    #[test]
    fn every_bundled_file_sets_every_key() {
        for (name, src) in BUILTIN {
            let file: ThemeFile = toml::from_str(src).unwrap();
            for key in STYLE_KEYS {
                assert!(file.styles.contains_key(key), "{name} lacks {key}");
            }
        }
    }

    #[test]
    fn errors_name_the_key() {
        let err = Theme::from_toml("[styles]\nfailure = { fg = \"#zz\" }\n", "t.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "theme t.toml: styles.failure: invalid colour \"#zz\""
        );
        let err = Theme::from_toml("[styles]\nfailur = {}\n", "t.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "theme t.toml: styles.failur: unknown style key"
        );
        assert!(matches!(Theme::load("nope"), Err(ThemeError::Unknown(_))));
    }

    #[test]
    fn no_colour_keeps_modifiers_only() {
        let theme = Theme::load("default").unwrap().without_colour();
        assert_eq!(theme.failure.fg, None);
        assert_eq!(theme.live.bg, None);
        assert!(theme.failure.add_modifier.contains(Modifier::BOLD));
        assert!(
            theme.alert.add_modifier.contains(Modifier::REVERSED),
            "a badge keeps standing out without its background"
        );
    }

    #[test]
    fn t_cycles_through_every_bundled_theme() {
        let mut theme = Theme::load("default").unwrap();
        let mut seen = vec![theme.name.clone()];
        for _ in 0..BUILTIN.len() {
            theme = theme.next_builtin();
            seen.push(theme.name.clone());
        }
        assert_eq!(
            seen,
            ["default", "light", "high-contrast", "colorblind", "default"]
        );
    }
}
