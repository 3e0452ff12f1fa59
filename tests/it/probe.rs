//! `probe` against real IMAP/POP3 servers (placeholder).
