//! The header's KPI line: incident age, time to first action, to mitigate,
//! to resolve, and time since the last journal update (definitions in
//! [`crate::engine::kpi`] and the `?` help).

use jiff::{SignedDuration, Timestamp};
use ratatui::text::{Line, Span};

use super::Theme;
use super::draw::hms;
use crate::engine::kpi;
use crate::pipeline::Model;

/// A journal quiet for this long is flagged: the bridge expects an update
/// at least every half hour.
pub const STALE_UPDATE: SignedDuration = SignedDuration::from_mins(30);

fn short(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s / 60) % 60)
    }
}

/// The incident's age: the header's INCIDENT clock and the KPI age are this
/// one value, so the two can never disagree ([`kpi::Kpis::age_at`]).
pub(super) fn incident_age(model: &Model, wall: Timestamp) -> Option<SignedDuration> {
    kpi::compute(model.incident.first_failure(), &model.checklist)
        .age_at(model.incident.now(), wall)
}

pub(super) fn kpi_line(
    model: &Model,
    theme: &Theme,
    wall: Timestamp,
    narrow: bool,
) -> Line<'static> {
    let k = kpi::compute(model.incident.first_failure(), &model.checklist);
    let mut spans = vec![Span::raw(" "), Span::styled(" KPI ", theme.title)];
    let item = |spans: &mut Vec<Span<'static>>, label: &str, value: Option<SignedDuration>| {
        spans.push(Span::styled(format!(" · {label} "), theme.muted));
        match value {
            Some(d) => spans.push(Span::styled(format!("✔ {}", hms(d)), theme.ok)),
            None => spans.push(Span::styled("—".to_string(), theme.muted)),
        }
    };
    let (age, ttfa, ttm, ttr) = if narrow {
        ("age", "TTFA", "TTM", "TTR")
    } else {
        ("age", "first action", "mitigated", "resolved")
    };
    match incident_age(model, wall) {
        Some(d) => {
            spans.push(Span::styled(format!(" {age} "), theme.muted));
            spans.push(Span::styled(hms(d), theme.header));
        }
        None => spans.push(Span::styled(format!(" {age} —"), theme.muted)),
    }
    item(&mut spans, ttfa, k.ttfa());
    item(&mut spans, ttm, k.ttm());
    item(&mut spans, ttr, k.ttr());
    let upd = if narrow { "upd" } else { "updated" };
    match k.since_update(wall) {
        Some(d) if d >= STALE_UPDATE && k.resolved.is_none() => spans.push(Span::styled(
            format!(" · ⚠ {upd} {} ago", short(d)),
            theme.marker,
        )),
        Some(d) => spans.push(Span::styled(
            format!(" · {upd} {} ago", short(d)),
            theme.muted,
        )),
        None => spans.push(Span::styled(format!(" · {upd} never"), theme.muted)),
    }
    Line::from(spans)
}
