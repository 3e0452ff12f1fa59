//! MD4 (RFC 1320) and MD5 (RFC 1321), written out because `CRAM-MD5`/`HMAC-MD5` store
//! MD5's inner state after one block (Dovecot's `hmac_md5_get_cram_context`), which
//! no digest crate exposes; MD4 shares the padding and is only used by `PLAIN-MD4`.
//! Pure; not for new designs (both are broken as hashes, kept for Dovecot's schemes).

const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

fn words(block: &[u8; 64]) -> [u32; 16] {
    let mut x = [0u32; 16];
    for (w, c) in x.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_le_bytes(c.try_into().unwrap_or([0; 4]));
    }
    x
}

/// `x[i]` for indices that are in range by construction (the lint forbids indexing).
fn at<const N: usize>(x: &[u32; N], i: usize) -> u32 {
    x.get(i).copied().unwrap_or(0)
}

fn md5_block(s: &mut [u32; 4], block: &[u8; 64]) {
    const K: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    const R: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    let x = words(block);
    let [mut a, mut b, mut c, mut d] = *s;
    for (i, k) in K.iter().enumerate() {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let r = at(&R, (i / 16) * 4 + i % 4);
        let t = a.wrapping_add(f).wrapping_add(*k).wrapping_add(at(&x, g));
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(t.rotate_left(r));
    }
    for (v, n) in s.iter_mut().zip([a, b, c, d]) {
        *v = v.wrapping_add(n);
    }
}

fn md4_block(s: &mut [u32; 4], block: &[u8; 64]) {
    let x = words(block);
    let [mut a, mut b, mut c, mut d] = *s;
    let f = |x: u32, y: u32, z: u32| (x & y) | (!x & z);
    let g = |x: u32, y: u32, z: u32| (x & y) | (x & z) | (y & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    const R1: [u32; 4] = [3, 7, 11, 19];
    const R2: [u32; 4] = [3, 5, 9, 13];
    const R3: [u32; 4] = [3, 9, 11, 15];
    const O3: [usize; 16] = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
    for i in 0..16 {
        let t = a.wrapping_add(f(b, c, d)).wrapping_add(at(&x, i));
        (a, b, c, d) = (d, t.rotate_left(at(&R1, i % 4)), b, c);
    }
    for i in 0..16 {
        let k = i / 4 + (i % 4) * 4;
        let t = a
            .wrapping_add(g(b, c, d))
            .wrapping_add(at(&x, k))
            .wrapping_add(0x5a82_7999);
        (a, b, c, d) = (d, t.rotate_left(at(&R2, i % 4)), b, c);
    }
    for i in 0..16 {
        let t = a
            .wrapping_add(h(b, c, d))
            .wrapping_add(at(&x, O3.get(i).copied().unwrap_or(0)))
            .wrapping_add(0x6ed9_eba1);
        (a, b, c, d) = (d, t.rotate_left(at(&R3, i % 4)), b, c);
    }
    for (v, n) in s.iter_mut().zip([a, b, c, d]) {
        *v = v.wrapping_add(n);
    }
}

/// A running MD4 or MD5.
#[derive(Clone)]
pub struct Md {
    state: [u32; 4],
    buf: Vec<u8>,
    len: u64,
    block: fn(&mut [u32; 4], &[u8; 64]),
}

impl Md {
    pub fn md5() -> Md {
        Md {
            state: INIT,
            buf: Vec::with_capacity(64),
            len: 0,
            block: md5_block,
        }
    }

    pub fn md4() -> Md {
        Md {
            block: md4_block,
            ..Md::md5()
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        self.buf.extend_from_slice(data);
        let full = self.buf.len() / 64 * 64;
        for chunk in self.buf.drain(..full).collect::<Vec<u8>>().chunks_exact(64) {
            let b: [u8; 64] = chunk.try_into().unwrap_or([0; 64]);
            (self.block)(&mut self.state, &b);
        }
    }

    /// The four state words (meaningful after whole blocks only).
    pub fn state(&self) -> [u32; 4] {
        self.state
    }

    pub fn finish(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        let mut pad = vec![0x80u8];
        pad.resize((119 - self.buf.len()) % 64 + 1, 0);
        pad.extend_from_slice(&bits.to_le_bytes());
        let len = self.len;
        self.update(&pad);
        self.len = len;
        let mut out = [0u8; 16];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

pub fn md5(data: &[u8]) -> [u8; 16] {
    let mut m = Md::md5();
    m.update(data);
    m.finish()
}

pub fn md4(data: &[u8]) -> [u8; 16] {
    let mut m = Md::md4();
    m.update(data);
    m.finish()
}

/// `hmac_md5_get_cram_context`: the MD5 states after the outer and the inner padded
/// key block, each word little-endian (32 bytes).
pub fn cram_context(key: &[u8]) -> [u8; 32] {
    let hashed;
    let key = if key.len() > 64 {
        hashed = md5(key);
        &hashed[..]
    } else {
        key
    };
    let mut out = [0u8; 32];
    for (half, pad) in out.chunks_exact_mut(16).zip([0x5cu8, 0x36]) {
        let mut block = [pad; 64];
        for (b, k) in block.iter_mut().zip(key) {
            *b ^= k;
        }
        let mut m = Md::md5();
        m.update(&block);
        for (o, w) in half.chunks_exact_mut(4).zip(m.state()) {
            o.copy_from_slice(&w.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc_vectors() {
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        let long =
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(hex(&md5(long)), "57edf4a22be3c955ac49da2e2107b67a");
        assert_eq!(hex(&md4(b"")), "31d6cfe0d16ae931b73c59d7e0c089c0");
        assert_eq!(hex(&md4(b"abc")), "a448017aaf21d8525fc10ae87aa6729d");
        assert_eq!(hex(&md4(long)), "e33b4ddc9c38f2199c3e7b164fcc0536");
    }
}
