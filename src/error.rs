//! The one table of exit codes. Every failure rdoveadm reports is an [`Error`],
//! and [`Error::exit_code`] is the only place that maps it to a process exit code.
//! The codes mirror doveadm's (sysexits.h), so scripts written for doveadm keep working.

use std::fmt;

/// sysexits.h codes used by doveadm and by rdoveadm.
pub mod code {
    pub const OK: i32 = 0;
    pub const USAGE: i32 = 64;
    pub const DATAERR: i32 = 65;
    pub const NOINPUT: i32 = 66;
    pub const NOUSER: i32 = 67;
    pub const NOTFOUND: i32 = 68;
    pub const UNAVAILABLE: i32 = 69;
    pub const SOFTWARE: i32 = 70;
    pub const TEMPFAIL: i32 = 75;
    pub const PROTOCOL: i32 = 76;
    pub const NOPERM: i32 = 77;
    pub const CONFIG: i32 = 78;
    /// A server exit code that does not fit a process exit status (doveadm's -1,
    /// 1001 NOREPLICATE, 1002 REFERRAL, 1003 EXPIRED).
    pub const UNKNOWN: i32 = 1;
}

/// The exit-code table: the one source of `--help`'s list ([`exit_codes_help`]), the man
/// page's EXIT STATUS and the README's table (both written by `examples/gen-docs`).
/// `None` stands for every other code a server returns.
pub const EXIT_CODE_TABLE: &[(Option<i32>, &str)] = &[
    (Some(0), "success (also when the reader of the output goes away, e.g. `| head`)"),
    (Some(1), "aborted at a confirmation prompt; or a server code outside 1-255 (-1, 1001-1003); -f nagios: WARNING"),
    (Some(2), "-f nagios: CRITICAL"),
    (Some(3), "-f nagios: UNKNOWN (usage error, no server, server not answering: the check could not run)"),
    (Some(64), "usage: bad arguments, unknown command or parameter (`unknownMethod`, `invalidRequest`, HTTP 400), an option this server version lacks, arguments Dovecot's worker would die on (refused before sending, in doveadm's words)"),
    (Some(65), "data error: mailbox exists, request too large (HTTP 413); probe: plaintext login offered before TLS"),
    (Some(66), "an input file (`-F`, `batch FILE`, `--password-file`, `--api-key-file`, `--cacert`) doesn't exist or can't be read"),
    (Some(67), "no such user"),
    (Some(68), "not found: mailbox, or nothing matched (`kick`)"),
    (Some(69), "probe: a port is closed, filtered or not answering"),
    (Some(70), "the server reported an internal error (`internalError`)"),
    (Some(75), "temporary failure: can't connect, timeout, HTTP 5xx; doveadm's own 75; a plugin's command (`acl`, `fts`, `quota`) when the server has not loaded the plugin (doveadm: \"Unknown command, but plugin exists\"); the server's doveadm process ended without a reply (it died of a fatal error, which native doveadm exits 75 with; the message names the command and points to `rdoveadm log errors`)"),
    (Some(76), "malformed or truncated reply, or one larger than `--max-reply-size`"),
    (Some(77), "permission: HTTP 401/403, command not in `doveadm_allowed_commands`; the server's certificate is untrusted, expired or for another name (probe: any TLS problem)"),
    (Some(78), "configuration: bad URL (also `https://` to a plain listener, `http://` to a TLS one, a socket path as URL), a config or secret file that group or others can write or read (`--password-file`, `--api-key-file`), bad `password_command`, HTTP 404, a redirect (3xx)"),
    (Some(130), "interrupted (Ctrl-C)"),
    (None, "any other code the server returns (doveadm's `exitCode`) is passed through"),
];

/// A code of [`EXIT_CODE_TABLE`] as shown: the number, or `other`.
pub fn exit_code_label(code: Option<i32>) -> String {
    code.map_or_else(|| "other".to_string(), |c| c.to_string())
}

/// The exit-code list at the end of `--help`, from [`EXIT_CODE_TABLE`].
pub fn exit_codes_help() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, text) in EXIT_CODE_TABLE {
        s.push_str(&format!(
            "  {:<6}{}\n",
            exit_code_label(*code),
            text.replace('`', "")
        ));
    }
    s
}

/// Everything that can go wrong, typed at the edge where it happens.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line usage detected locally (before anything is sent).
    #[error("{0}")]
    Usage(String),
    /// Local configuration is wrong (URL, config file, credentials file).
    #[error("{0}")]
    Config(String),
    /// A local input file can't be read.
    #[error("{0}")]
    NoInput(String),
    /// The command ran on the server and failed with doveadm's exit code.
    #[error("{command}: {}", describe_server_code(*code))]
    Server { command: String, code: i32 },
    /// Nothing matched (e.g. `kick` with a mask no session has).
    #[error("{0}")]
    NotFound(String),
    /// The server does not know the command (`unknownMethod`).
    #[error("the server does not know the command `{0}`")]
    UnknownMethod(String),
    /// The server rejected a parameter (`invalidRequest`).
    #[error("the server rejected the parameters of `{0}` (invalidRequest): unknown parameter or bad value")]
    InvalidRequest(String),
    /// The command is not allowed by `doveadm_allowed_commands` (`unAuthorized`).
    #[error("the server does not allow `{0}` (doveadm_allowed_commands)")]
    NotAllowed(String),
    /// The server failed internally (`internalError`).
    #[error("the server reported an internal error running `{0}`; see `rdoveadm log errors` or the server log")]
    Internal(String),
    /// HTTP 401/403.
    #[error("authentication failed (HTTP {status}){hint}")]
    Auth { status: u16, hint: String },
    /// Any other unexpected HTTP status.
    #[error("the server answered HTTP {status}{detail}")]
    Http { status: u16, detail: String },
    /// Cannot connect, timed out, or the connection closed without a reply.
    #[error("{0}")]
    Unavailable(String),
    /// The connection closed after the request, before any reply (`target`: where to,
    /// `detail`: the transport's reason). The client turns it into [`Error::WorkerDied`]
    /// for a command, or a TLS hint for http:// to a TLS listener.
    #[error("`{target}` closed the connection without a reply: {detail}")]
    NoReply { target: String, detail: String },
    /// The server's doveadm process died running the command (Dovecot kills its worker
    /// on some arguments instead of answering). Exit 75, as native doveadm's fatal errors.
    #[error(
        "`{0}`: the server's doveadm process ended without a reply; see `rdoveadm log errors`"
    )]
    WorkerDied(String),
    /// The server's TLS certificate was refused: untrusted, expired or for another name.
    #[error("{0}")]
    Certificate(String),
    /// The reply is not what the doveadm API sends.
    #[error("malformed reply from the server: {0}")]
    Protocol(String),
    /// The reply (or what it makes rdoveadm keep) is past `--max-reply-size`.
    #[error("{0}; raise --max-reply-size if the server is trusted and the reply real")]
    TooLarge(String),
    /// Reserved for commands that compute their own exit code and already printed
    /// everything (probe, fan-out): exit with the code, print nothing more.
    #[error("")]
    Silent(i32),
    /// The user answered no at a confirmation prompt.
    #[error("aborted: nothing was changed")]
    Aborted,
    /// Writing to stdout failed because the reader went away (e.g. `| head`).
    #[error("broken pipe")]
    BrokenPipe,
    /// Writing output failed for another reason.
    #[error("cannot write output: {0}")]
    Output(String),
}

impl Error {
    /// The one mapping from error to process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::UnknownMethod(_) | Error::InvalidRequest(_) => code::USAGE,
            Error::Config(_) => code::CONFIG,
            Error::NoInput(_) => code::NOINPUT,
            Error::Server { code: c, .. } => {
                if (1..=255).contains(c) {
                    *c
                } else {
                    code::UNKNOWN
                }
            }
            Error::NotFound(_) => code::NOTFOUND,
            Error::NotAllowed(_) | Error::Auth { .. } => code::NOPERM,
            Error::Internal(_) => code::SOFTWARE,
            Error::Http { status, .. } => match status {
                400 => code::USAGE,
                404 => code::CONFIG,
                413 => code::DATAERR,
                _ => code::TEMPFAIL,
            },
            Error::Unavailable(_) | Error::NoReply { .. } => code::TEMPFAIL,
            // Native doveadm's fatal errors exit 75 (Dovecot's FATAL_DEFAULT), and a worker
            // dies of one: the same code keeps scripts written for doveadm working.
            Error::WorkerDied(_) => code::TEMPFAIL,
            Error::Certificate(_) => code::NOPERM,
            Error::Protocol(_) | Error::TooLarge(_) => code::PROTOCOL,
            Error::Silent(c) => *c,
            Error::Aborted => code::UNKNOWN,
            Error::BrokenPipe => code::OK,
            Error::Output(_) => code::SOFTWARE,
        }
    }

    /// Turns an I/O error from writing output into the right variant.
    pub fn from_write(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(e.to_string())
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::from_write(e)
    }
}

/// A doveadm exit code in words, as doveadm's own `doveadm_exit_code` names them.
pub fn describe_server_code(c: i32) -> String {
    let what = match c {
        2 => "changed during sync (2)",
        64 => "bad parameters (64, EX_USAGE)",
        65 => "not possible: already exists, in use or invalid data (65, EX_DATAERR)",
        66 => "cannot open input (66, EX_NOINPUT)",
        67 => "no such user (67, EX_NOUSER)",
        68 => "not found (68, EX_NOTFOUND)",
        69 => "unavailable (69, EX_UNAVAILABLE)",
        70 => "internal software error (70, EX_SOFTWARE)",
        73 => "cannot create: over quota? (73, EX_CANTCREAT)",
        75 => "temporary failure (75, EX_TEMPFAIL); see `rdoveadm log errors`",
        76 => "protocol error (76, EX_PROTOCOL)",
        77 => "permission denied (77, EX_NOPERM)",
        78 => "configuration error (78, EX_CONFIG)",
        1002 => "referral to another server (1002)",
        1003 => "content expired (1003)",
        _ => return format!("failed with doveadm exit code {c}"),
    };
    what.to_string()
}

/// Formats an error as the one line rdoveadm prints on stderr.
pub struct Report<'a>(pub &'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rdoveadm: error: {}", self.0)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_pass_through_and_odd_ones_map_to_one() {
        let s = |c| {
            Error::Server {
                command: "x".into(),
                code: c,
            }
            .exit_code()
        };
        assert_eq!(s(67), 67);
        assert_eq!(s(68), 68);
        assert_eq!(s(-1), 1);
        assert_eq!(s(1002), 1);
    }

    #[test]
    fn transport_and_auth_codes() {
        assert_eq!(Error::Unavailable("x".into()).exit_code(), 75);
        assert_eq!(
            Error::Auth {
                status: 401,
                hint: String::new()
            }
            .exit_code(),
            77
        );
        assert_eq!(Error::Protocol("x".into()).exit_code(), 76);
        assert_eq!(Error::BrokenPipe.exit_code(), 0);
        assert_eq!(Error::UnknownMethod("x".into()).exit_code(), 64);
    }
}
