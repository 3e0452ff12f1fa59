//! Reading the user list of `-F FILE` (or `-` for standard input) on the client: the
//! server can't read the client's file. Separate because it is file and stdin I/O with
//! its own limits, apart from sending requests.

use std::path::Path;

use crate::error::Error;

/// The largest `-F` file read: ten million addresses fit; `-F /dev/zero` ends here.
pub const MAX_USER_FILE_BYTES: u64 = 256 << 20;

/// One user per line (`-`: standard input, as doveadm reads it); blank lines and `#`
/// comments are skipped.
pub fn read_user_file(path: &Path) -> Result<Vec<String>, Error> {
    use std::io::Read;
    let shown = crate::text::escape_message(&path.display().to_string()).into_owned();
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        // Read once per process: under fan-out each server's dispatch resolves `-F`,
        // and only the first would find anything left on stdin.
        static STDIN: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
        let read = STDIN.get_or_init(|| {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_USER_FILE_BYTES + 1)
                .read_to_end(&mut buf)
                .map(|_| buf)
                .map_err(|e| e.to_string())
        });
        match read {
            Ok(b) => buf.clone_from(b),
            Err(e) => return Err(Error::NoInput(format!("-F: cannot read `{shown}`: {e}"))),
        }
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_USER_FILE_BYTES + 1).read_to_end(&mut buf))
            .map_err(|e| Error::NoInput(format!("-F: cannot read `{shown}`: {e}")))?;
    }
    if buf.len() as u64 > MAX_USER_FILE_BYTES {
        return Err(Error::Usage(format!(
            "-F: `{shown}` is larger than {} MiB",
            MAX_USER_FILE_BYTES >> 20
        )));
    }
    let text = String::from_utf8(buf)
        .map_err(|_| Error::NoInput(format!("-F: `{shown}` is not UTF-8 text")))?;
    let users: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if users.is_empty() {
        return Err(Error::Usage(format!(
            "-F: `{}` lists no users",
            path.display()
        )));
    }
    Ok(users)
}
