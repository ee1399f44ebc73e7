//! Writing an evidence bundle: reads the logs, asks
//! [`crate::engine::evidence`] for the files, and writes them as one
//! `.tar.gz`. Used by `e` in the dashboard and by `vpnwatch bundle`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::Compression;
use flate2::write::GzEncoder;
use jiff::Timestamp;

use crate::engine::evidence::{self, BundleFile, BundleRequest, SourceLines};
use crate::engine::{Checklist, Incident, UserKey, UserStats};
use crate::parse::reader::RecordReader;
use crate::parse::{Family, ParseContext};
use crate::source::lines::{DEFAULT_MAX_LINE, for_each_line};

/// Reads each log whole, lines decoded lossily as the dashboard shows them.
pub fn read_sources(files: &[(PathBuf, Family)]) -> anyhow::Result<Vec<SourceLines>> {
    files
        .iter()
        .map(|(path, family)| {
            let file = File::open(path).with_context(|| path.display().to_string())?;
            let mut lines = Vec::new();
            for_each_line(file, DEFAULT_MAX_LINE, |_, bytes| {
                lines.push(String::from_utf8_lossy(bytes).into_owned());
            })
            .with_context(|| path.display().to_string())?;
            Ok(SourceLines {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string()),
                family: *family,
                lines,
            })
        })
        .collect()
}

/// The incident built from the sources, in order.
pub fn incident_of(sources: &[SourceLines], ctx: &ParseContext) -> Incident {
    let mut incident = Incident::for_sources(sources.iter().map(|s| s.family));
    for source in sources {
        // The shared reader, so `--tz` and the year of yearless stamps are
        // read as everywhere else.
        let mut reader =
            RecordReader::new(source.family, None, None, *ctx).for_source(&source.name);
        for line in &source.lines {
            reader.feed(line, |_, ev, repeats| {
                if let Some(ev) = ev {
                    for _ in 0..repeats {
                        incident.apply(&ev);
                    }
                }
            });
        }
        reader.finish(|_, ev, _| {
            if let Some(ev) = ev {
                incident.apply(&ev);
            }
        });
    }
    incident
}

/// The user a name on the command line means: a user name (any case), a
/// hidden user's client IP, or `(hidden) IP` / `(spray) IP` as the users
/// pane shows them.
pub fn find_user(incident: &Incident, name: &str) -> Option<(UserKey, UserStats)> {
    let name = name.trim();
    let spray = name.strip_prefix("(spray)").map(str::trim);
    let ip = name.strip_prefix("(hidden)").map(str::trim).unwrap_or(name);
    incident
        .users()
        .find(|(k, _)| match k {
            UserKey::Named(n) => n.eq_ignore_ascii_case(name),
            UserKey::Hidden(h) => spray.is_none() && h == ip,
            UserKey::Spray(h) => spray == Some(h.as_str()),
        })
        .map(|(k, s)| (k.clone(), s.clone()))
}

/// What to bundle and where.
pub struct BundleJob<'a> {
    pub user: &'a UserKey,
    pub stats: Option<&'a UserStats>,
    pub sources: &'a [SourceLines],
    pub checklist: &'a Checklist,
    pub context: usize,
    pub redact: bool,
    pub operator: &'a str,
    pub ctx: ParseContext,
    /// The `.tar.gz` to write; default: `<bundle name>.tar.gz` in `dir`.
    pub out: Option<PathBuf>,
    pub dir: PathBuf,
    pub taken_at: Timestamp,
    /// The incident's now, for the user's state ([`crate::engine::Incident::now`]).
    pub incident_now: Option<Timestamp>,
}

/// Builds and writes the bundle; returns its path.
pub fn write(job: &BundleJob) -> anyhow::Result<PathBuf> {
    let (name, files) = evidence::build(&BundleRequest {
        user: job.user,
        stats: job.stats,
        sources: job.sources,
        context: job.context,
        redact: job.redact,
        checklist: job.checklist,
        taken_at: job.taken_at,
        incident_now: job.incident_now,
        operator: job.operator,
        ctx: job.ctx,
    });
    let path = job
        .out
        .clone()
        .unwrap_or_else(|| job.dir.join(format!("{name}.tar.gz")));
    write_tar_gz(&path, &name, &files, job.taken_at)?;
    Ok(path)
}

/// Writes the files under `dir/` in a gzip'd tar: to a temporary file next
/// to `path`, fsynced, then renamed, so a half-written bundle never has the
/// final name.
pub fn write_tar_gz(
    path: &Path,
    dir: &str,
    files: &[BundleFile],
    taken_at: Timestamp,
) -> anyhow::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let named = || path.display().to_string();
    let tmp = tempfile::Builder::new()
        .prefix(".vpnwatch-bundle-")
        .tempfile_in(&parent)
        // tempfile's error names the temporary file; the user asked for `path`.
        .map_err(|e| {
            e.raw_os_error()
                .map(std::io::Error::from_raw_os_error)
                .unwrap_or_else(|| std::io::Error::from(e.kind()))
        })
        .with_context(named)?;
    {
        let gz = GzEncoder::new(tmp.as_file(), Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mtime = taken_at.as_second().max(0) as u64;
        for file in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(file.bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(
                &mut header,
                format!("{dir}/{}", file.path),
                file.bytes.as_slice(),
            )
            .with_context(named)?;
        }
        let mut gz = tar.into_inner().with_context(named)?;
        gz.flush().with_context(named)?;
        gz.finish().with_context(named)?;
    }
    tmp.as_file().sync_all().with_context(named)?;
    tmp.persist(path).map_err(|e| e.error).with_context(named)?;
    Ok(())
}
