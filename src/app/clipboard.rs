//! Copying a runbook command to the operator's clipboard with OSC 52.
//!
//! OSC 52 asks the terminal (or tmux, or the ssh client's terminal) to put
//! text on the clipboard, so `y` works over ssh on the jump host where no
//! local clipboard tool exists. The sequence itself (base64 and framing) is
//! crossterm's `CopyToClipboard`, the terminal library the dashboard already
//! draws with. The command comes from the runbook the operator chose, but
//! it is still stripped of control characters: a pasted ESC or newline
//! would act in the shell it is pasted into.

use std::io::Write;

use crossterm::Command as _;
use crossterm::clipboard::CopyToClipboard;

/// The command with every control character (C0, DEL, C1) removed and
/// surrounding white space trimmed; tabs become spaces.
pub fn clean_command(command: &str) -> String {
    command
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// The OSC 52 sequence that sets the clipboard to `command` (cleaned).
pub fn osc52(command: &str) -> String {
    let mut sequence = String::new();
    // Writing into a String cannot fail.
    let _ = CopyToClipboard::to_clipboard_from(clean_command(command)).write_ansi(&mut sequence);
    sequence
}

/// Writes the sequence to the terminal.
pub fn copy(out: &mut impl Write, command: &str) -> std::io::Result<()> {
    out.write_all(osc52(command).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_carries_the_cleaned_command_in_base64() {
        assert_eq!(osc52("undebug all"), "\x1b]52;c;dW5kZWJ1ZyBhbGw=\x1b\\");
        assert_eq!(
            osc52("rm\x1b]0;x\x07 -rf\n/"),
            "\x1b]52;c;cm1dMDt4IC1yZi8=\x1b\\"
        );
        assert_eq!(clean_command("rm\x1b]0;x\x07 -rf\n\u{9b}/"), "rm]0;x -rf/");
        assert_eq!(clean_command("\tshow\tvpn "), "show vpn");
    }
}
