//! Which failures of one request are about the server (stop asking it for the other
//! users or shards) and which are about that user alone. Separate because both the
//! planning of `-A` and the running of requests decide by it, and fan-out cites it.

use crate::error::Error;

/// Whether a failure is about the server or the way to it rather than the request:
/// it is down or refuses the connection (also a timeout), rejects the credentials,
/// is configured wrong here, or answers with an HTTP error. Asking it again fails alike.
pub fn unreachable(e: &Error) -> bool {
    match e {
        Error::Unavailable(_) | Error::Auth { .. } | Error::Config(_) => true,
        Error::Certificate(_) | Error::NoReply { .. } => true,
        Error::Http { status, .. } => !matches!(status, 400 | 413),
        _ => false,
    }
}

/// Whether a failure of one request (one user of `-F`, one shard of `-A`) stops asking
/// that server for the rest: [`unreachable()`], a reply that is not the doveadm API's,
/// or a command or parameter the server rejects (the same for every user). A user
/// the server doesn't know (67), a mailbox not found (68) and the like are about that
/// user: the others are still asked.
pub fn stops_asking(e: &Error) -> bool {
    unreachable(e)
        || matches!(
            e,
            Error::Protocol(_)
                | Error::Http { status: 400, .. }
                | Error::NotAllowed(_)
                | Error::UnknownMethod(_)
                | Error::InvalidRequest(_)
                | Error::Usage(_)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_failures_stop_user_failures_do_not() {
        let http = |status| Error::Http {
            status,
            detail: String::new(),
        };
        let auth = Error::Auth {
            status: 401,
            hint: String::new(),
        };
        for e in [
            Error::Unavailable("refused".into()),
            auth,
            Error::Config("bad".into()),
            Error::Protocol("garbage".into()),
            http(500),
            http(503),
            http(404),
            http(400),
            Error::NotAllowed("x".into()),
            Error::UnknownMethod("x".into()),
        ] {
            assert!(stops_asking(&e), "{e:?}");
        }
        for e in [
            Error::Server {
                command: "quotaGet".into(),
                code: 67,
            },
            Error::Server {
                command: "quotaGet".into(),
                code: 75,
            },
            Error::NotFound("x".into()),
            Error::Internal("x".into()),
            http(413),
        ] {
            assert!(!stops_asking(&e), "{e:?}");
        }
        // Listing users for -A: a server that is down fails; one that can't list or
        // doesn't allow `user` falls back to one -A request.
        assert!(unreachable(&Error::Unavailable("x".into())));
        assert!(!unreachable(&Error::NotAllowed("user".into())));
        assert!(!unreachable(&Error::Protocol("no user list".into())));
    }
}
