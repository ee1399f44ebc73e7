//! `events`' records held back until every cause is final.
//!
//! A later line (an auth-server verdict, a more specific follow-up) can
//! change the cause of an attempt whose line came before it, possibly in
//! another file, so no record is final until every file is read. Reading
//! the files twice (once to settle the causes, once to print) costs a
//! second pass over logs that may be gigabytes; holding the records in
//! memory would not stay bounded. The [`Spool`] writes each record, as it
//! would be printed, to an unnamed temporary file, with the cause it has
//! now; at the end it copies them out in order, putting in the causes
//! that changed. Memory: the changed causes only.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};

use memchr::memmem;

use crate::engine::CauseUpdate;
use crate::vocab::Cause;

/// Records written so far, each after the engine index of its line.
pub struct Spool {
    file: BufWriter<File>,
    /// The final cause of every line whose cause changed, by engine index.
    finals: HashMap<u64, Cause>,
}

impl Spool {
    /// A spool in the system's temporary directory, removed when dropped
    /// (the file has no name).
    pub fn new() -> io::Result<Self> {
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, tempfile::tempfile().map_err(named)?),
            finals: HashMap::new(),
        })
    }

    /// Notes causes that changed (the engine's updates after a line).
    pub fn update(&mut self, updates: &[CauseUpdate]) {
        for u in updates {
            self.finals.insert(u.index, u.cause);
        }
    }

    /// Spools the record of the line at engine index `index`: `write`
    /// writes it as `events` prints it, one JSON object and its newline.
    pub fn record(
        &mut self,
        index: u64,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        write!(self.file, "{index}\t").map_err(named)?;
        write(&mut self.file).map_err(named)
    }

    /// Copies every record to `out`, in order, each with its final cause.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        let mut file = self.file.into_inner().map_err(|e| named(e.into_error()))?;
        file.rewind().map_err(named)?;
        let mut input = BufReader::with_capacity(1 << 16, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line).map_err(named)? == 0 {
                return Ok(());
            }
            let Some(tab) = line.iter().position(|&b| b == b'\t') else {
                continue;
            };
            let (head, record) = line.split_at(tab);
            let record = &record[1..];
            let index = std::str::from_utf8(head)
                .ok()
                .and_then(|s| s.parse::<u64>().ok());
            match index.and_then(|i| self.finals.get(&i)) {
                Some(&cause) => write_with_cause(out, record, cause)?,
                None => out.write_all(record)?,
            }
        }
    }
}

/// An error of the spool's own file, saying which file: without it the
/// user would read "No space left on device" or "No such file or
/// directory" as being about a log (the error is reported while a log is
/// being read) and would not know that TMPDIR chooses where it goes.
fn named(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "the temporary file holding the records until their causes are final, in {} \
             (TMPDIR): {e}",
            std::env::temp_dir().display()
        ),
    )
}

/// Writes an `events` record with its `"cause"` replaced. The record's
/// fields are in a fixed order, `"cause"` right before `"attempt"` (always
/// written), and every string before it is JSON-escaped (a `"` inside one
/// is `\"`), so the first `,"cause":` is the field itself.
fn write_with_cause(out: &mut dyn Write, record: &[u8], cause: Cause) -> io::Result<()> {
    const FIELD: &[u8] = b",\"cause\":";
    const NEXT: &[u8] = b",\"attempt\":";
    let at = memmem::find(record, FIELD).map(|i| i + FIELD.len());
    let end = at.and_then(|at| memmem::find(&record[at..], NEXT).map(|n| at + n));
    let (Some(at), Some(end)) = (at, end) else {
        // Not a record this spool wrote: as it is.
        return out.write_all(record);
    };
    out.write_all(&record[..at])?;
    serde_json::to_writer(&mut *out, &cause)?;
    out.write_all(&record[end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Family;

    #[test]
    fn records_come_out_in_order_with_the_causes_that_changed() {
        let mut spool = Spool::new().unwrap();
        let records = [
            (
                0,
                r#"{"source":"a","kind":"vpn","cause":null,"attempt":true,"raw":"x"}"#,
            ),
            // A quote and the field's name inside a string before the cause.
            (
                3,
                r#"{"source":"b \",\"cause\":","kind":"vpn","cause":"bad_credentials","attempt":false,"raw":",\"cause\":"}"#,
            ),
            (
                7,
                r#"{"source":"c","kind":"vpn","cause":"aaa_unreachable","attempt":true,"raw":"z"}"#,
            ),
        ];
        for (index, text) in records {
            spool.record(index, |w| writeln!(w, "{text}")).unwrap();
        }
        spool.update(&[CauseUpdate {
            family: Family::Headend,
            index: 3,
            cause: Cause::TokenRequired,
        }]);
        let mut out = Vec::new();
        spool.finish(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], records[0].1);
        assert_eq!(
            lines[1],
            r#"{"source":"b \",\"cause\":","kind":"vpn","cause":"token_required","attempt":false,"raw":",\"cause\":"}"#
        );
        assert_eq!(lines[2], records[2].1);
        assert_eq!(lines.len(), 3);
    }
}
