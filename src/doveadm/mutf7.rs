//! IMAP modified UTF-7 (RFC 3501 §5.1.3) as Dovecot's `lib-imap/imap-utf7.c` does it
//! (2.3.19 and 2.4.1 are the same), for `mailbox mutf7`: Dovecot 2.3's HTTP API runs
//! that command but prints with printf(), so its reply is empty; the conversion is a
//! pure function and runs here. On invalid input the result is `Err` with what
//! Dovecot had written so far (doveadm prints that partial line too).

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64dec(c: u8) -> Option<u8> {
    B64.iter()
        .position(|&b| b == c)
        .and_then(|p| u8::try_from(p).ok())
}

fn encode_utf16(dest: &mut Vec<u8>, units: &[u8]) {
    let enc = |i: u8| B64.get(usize::from(i & 0x3f)).copied().unwrap_or(b'A');
    dest.push(b'&');
    for chunk in units.chunks(3) {
        match *chunk {
            [a, b, c] => {
                dest.extend([
                    enc(a >> 2),
                    enc((a & 3) << 4 | b >> 4),
                    enc((b & 0x0f) << 2 | c >> 6),
                    enc(c),
                ]);
            }
            [a, b] => dest.extend([
                enc(a >> 2),
                enc((a & 3) << 4 | b >> 4),
                enc((b & 0x0f) << 2),
            ]),
            [a] => dest.extend([enc(a >> 2), enc((a & 3) << 4)]),
            _ => {}
        }
    }
    dest.push(b'-');
}

/// UTF-8 → modified UTF-7 (`imap_utf8_to_utf7`).
pub fn to_mutf7(src: &str) -> Result<Vec<u8>, Vec<u8>> {
    let mut dest = Vec::with_capacity(src.len() + 8);
    let mut chars = src.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == '&' {
            dest.extend_from_slice(b"&-");
            chars.next();
        } else if (' '..'\x7f').contains(&c) {
            dest.push(c as u8);
            chars.next();
        } else {
            let mut units = Vec::new();
            while let Some(&c) = chars.peek() {
                if (' '..'\x7f').contains(&c) {
                    break;
                }
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    units.extend(u.to_be_bytes());
                }
                chars.next();
            }
            encode_utf16(&mut dest, &units);
        }
    }
    Ok(dest)
}

/// Appends the UTF-16 unit(s) at `out[pos..]` (a ring of 4 bytes) as UTF-8
/// (`utf16buf_to_utf8`); `Err` on what Dovecot refuses.
fn utf16_to_utf8(dest: &mut Vec<u8>, out: &[u8; 4], pos: &mut usize, len: usize) -> Result<(), ()> {
    let at = |i: usize| u16::from(out.get(i % 4).copied().unwrap_or(0));
    if len % 2 != 0 {
        return Err(());
    }
    let high = at(*pos) << 8 | at(*pos + 1);
    if !(0xd800..=0xdfff).contains(&high) {
        if high == 0 {
            return Err(());
        }
        let c = char::from_u32(u32::from(high)).ok_or(())?;
        let mut buf = [0u8; 4];
        let s = c.encode_utf8(&mut buf);
        dest.extend_from_slice(s.as_bytes());
        // A printable ASCII character must not be encoded (Dovecot leaves it written).
        if s.len() == 1 && (0x20..0x7f).contains(&high) {
            return Err(());
        }
        *pos = (*pos + 2) % 4;
        return Ok(());
    }
    if high > 0xdbff || len != 4 {
        return Err(());
    }
    let low = at(*pos + 2) << 8 | at(*pos + 3);
    if !(0xdc00..=0xdfff).contains(&low) {
        return Err(());
    }
    let code = 0x10000 + ((u32::from(high & 0x3ff) << 10) | u32::from(low & 0x3ff));
    let c = char::from_u32(code).ok_or(())?;
    let mut buf = [0u8; 4];
    dest.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    Ok(())
}

/// Decodes `&...-` starting after the `&` at `src[*i]`; leaves `*i` after the `-`
/// (`mbase64_decode_to_utf8`).
fn decode_b64(dest: &mut Vec<u8>, src: &[u8], i: &mut usize) -> Result<(), ()> {
    let byte = |k: usize| src.get(k).copied().unwrap_or(0);
    let mut out = [0u8; 4];
    let (mut start, mut outpos) = (0usize, 0usize);
    let mut p = *i;
    fn push(
        dest: &mut Vec<u8>,
        out: &mut [u8; 4],
        start: &mut usize,
        outpos: &mut usize,
        v: u8,
    ) -> Result<(), ()> {
        if let Some(slot) = out.get_mut(*outpos % 4) {
            *slot = v;
        }
        *outpos += 1;
        if *outpos % 4 == *start {
            utf16_to_utf8(dest, out, start, 4)
        } else {
            Ok(())
        }
    }
    while byte(p) != b'-' {
        let a = b64dec(byte(p)).ok_or(())?;
        let b = b64dec(byte(p + 1)).ok_or(())?;
        push(dest, &mut out, &mut start, &mut outpos, a << 2 | b >> 4)?;
        let Some(c) = b64dec(byte(p + 2)) else {
            if byte(p + 2) != b'-' {
                return Err(());
            }
            p += 2;
            break;
        };
        push(dest, &mut out, &mut start, &mut outpos, (b << 4) | c >> 2)?;
        let Some(d) = b64dec(byte(p + 3)) else {
            if byte(p + 3) != b'-' {
                return Err(());
            }
            p += 3;
            break;
        };
        push(dest, &mut out, &mut start, &mut outpos, (c << 6) | d)?;
        p += 4;
    }
    if start != outpos % 4 {
        let len = (4 + outpos % 4 - start) % 4;
        utf16_to_utf8(dest, &out, &mut start, len)?;
    }
    // The ending '-' must not be followed by an unnecessary shift.
    if byte(p + 1) == b'&' && byte(p + 2) != b'-' {
        return Err(());
    }
    *i = p + 1;
    Ok(())
}

/// Modified UTF-7 → UTF-8 (`imap_utf7_to_utf8`).
pub fn from_mutf7(src: &str) -> Result<Vec<u8>, Vec<u8>> {
    let s = src.as_bytes();
    let mut dest = Vec::with_capacity(s.len());
    let mut i = 0;
    if let Some(bad) = s
        .iter()
        .position(|&b| !(0x20..0x7f).contains(&b) || b == b'&')
    {
        if !(0x20..0x7f).contains(&s.get(bad).copied().unwrap_or(0)) {
            return Err(dest);
        }
    } else {
        return Ok(s.to_vec());
    }
    while let Some(&b) = s.get(i) {
        if !(0x20..0x7f).contains(&b) {
            return Err(dest);
        }
        if b == b'&' {
            i += 1;
            if s.get(i) == Some(&b'-') {
                dest.push(b'&');
                i += 1;
            } else if decode_b64(&mut dest, s, &mut i).is_err() {
                return Err(dest);
            }
        } else {
            dest.push(b);
            i += 1;
        }
    }
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(s: &str) -> String {
        String::from_utf8(to_mutf7(s).unwrap()).unwrap()
    }

    // Expected values are native `doveadm mailbox mutf7` 2.3.19 output.
    #[test]
    fn matches_native_doveadm() {
        assert_eq!(to("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(to("a&b"), "a&-b");
        assert_eq!(
            to("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(to("😀"), "&2D3eAA-");
        assert_eq!(from_mutf7("Entw&APw-rfe").unwrap(), "Entwürfe".as_bytes());
        assert_eq!(from_mutf7("&2D3eAA-").unwrap(), "😀".as_bytes());
        assert_eq!(from_mutf7("a&-b").unwrap(), b"a&b");
        assert_eq!(from_mutf7("Entw&-APw-rfe").unwrap(), b"Entw&APw-rfe");
        for s in ["plain", "台北 x", "a&b&c", "\u{10ffff}"] {
            assert_eq!(from_mutf7(&to(s)).unwrap(), s.as_bytes(), "{s}");
        }
    }

    #[test]
    fn invalid_input_keeps_the_partial_result() {
        assert_eq!(from_mutf7("bad&").unwrap_err(), b"bad");
        assert_eq!(from_mutf7("x&AGE-").unwrap_err(), b"xa"); // encoded ASCII
        assert_eq!(from_mutf7("&APw-&APw-").unwrap_err(), "ü".as_bytes()); // needless shift
        assert!(from_mutf7("ü").is_err());
        assert!(from_mutf7("&2D0-").is_err()); // lone high surrogate
    }
}
