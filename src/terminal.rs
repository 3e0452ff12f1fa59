//! The terminal width, from $COLUMNS or the tty, for fitting tables.

/// Terminal width from $COLUMNS or the tty, for fitting tables.
pub fn width() -> Option<u16> {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c| c > 0)
    {
        return Some(c);
    }
    // SAFETY: TIOCGWINSZ fills a winsize struct; we pass a valid pointer.
    unsafe {
        let mut ws: Winsize = std::mem::zeroed();
        if ioctl(1, TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return Some(ws.ws_col);
        }
    }
    None
}

#[repr(C)]
struct Winsize {
    ws_row: u16,
    ws_col: u16,
    ws_xpixel: u16,
    ws_ypixel: u16,
}
const TIOCGWINSZ: std::ffi::c_ulong = 0x5413;
extern "C" {
    fn ioctl(fd: std::ffi::c_int, request: std::ffi::c_ulong, ...) -> std::ffi::c_int;
}
