//! What the schemes take from the system, as Dovecot does: random bytes from the
//! kernel (`getrandom`, Dovecot's randgen.c), crypt(3) from libxcrypt (`crypt_rn`,
//! `crypt_gensalt_rn`: the same code Dovecot's `mycrypt()` calls, so DES, MD5, SHA-2
//! and bcrypt hashes are byte-compatible by construction) and Argon2 from libsodium
//! (opened at run time, as Dovecot links it only when built with it).

use std::ffi::{c_char, c_int, c_ulong, c_ulonglong, c_void, CStr, CString};

/// `len` random bytes from the kernel.
pub fn random(len: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let rest = buf.get_mut(got..).unwrap_or_default();
        // SAFETY: `rest` is a valid writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("getrandom() failed: {e}"));
            }
            continue;
        }
        got += usize::try_from(n).unwrap_or(0);
    }
    Ok(buf)
}

/// A uniform random index below `n` (Dovecot's `i_rand_limit`), by rejection.
pub fn random_below(n: u32) -> Result<u32, String> {
    let limit = u32::MAX - u32::MAX % n;
    loop {
        let b = random(4)?;
        let v = u32::from_le_bytes(b.as_slice().try_into().unwrap_or([0; 4]));
        if v < limit {
            return Ok(v % n);
        }
    }
}

#[link(name = "crypt")]
extern "C" {
    fn crypt_rn(
        phrase: *const c_char,
        setting: *const c_char,
        data: *mut c_void,
        size: c_int,
    ) -> *mut c_char;
    fn crypt_gensalt_rn(
        prefix: *const c_char,
        count: c_ulong,
        rbytes: *const c_char,
        nrbytes: c_int,
        output: *mut c_char,
        output_size: c_int,
    ) -> *mut c_char;
}

/// `sizeof(struct crypt_data)` in libxcrypt.
const CRYPT_DATA: usize = 32768;

fn cstr(s: &[u8], what: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{what} contains a NUL byte"))
}

/// crypt(3) of `phrase` with `setting` (a salt, or a whole hash to verify against);
/// `None` when libxcrypt refuses the setting.
pub fn crypt(phrase: &[u8], setting: &[u8]) -> Result<Option<String>, String> {
    let p = cstr(phrase, "the password")?;
    let s = cstr(setting, "the hash")?;
    let mut data = vec![0u8; CRYPT_DATA];
    // SAFETY: both strings are NUL-terminated; `data` is as large as libxcrypt's
    // `struct crypt_data`, which `crypt_rn` checks against `size`.
    let out = unsafe {
        crypt_rn(
            p.as_ptr(),
            s.as_ptr(),
            data.as_mut_ptr().cast(),
            c_int::try_from(CRYPT_DATA).unwrap_or(0),
        )
    };
    if out.is_null() {
        return Ok(None);
    }
    // SAFETY: on success `out` points at a NUL-terminated string inside `data`.
    let hash = unsafe { CStr::from_ptr(out) }
        .to_string_lossy()
        .into_owned();
    Ok((!hash.starts_with('*')).then_some(hash))
}

/// `crypt_gensalt_rn(prefix, count, 16 random bytes)`: a bcrypt setting (`$2y$05$...`).
pub fn gensalt(prefix: &str, count: u32, random: &[u8]) -> Result<String, String> {
    let p = cstr(prefix.as_bytes(), "the prefix")?;
    let mut out = [0 as c_char; 128];
    // SAFETY: `random` is valid for its length, `out` for 128 bytes.
    let r = unsafe {
        crypt_gensalt_rn(
            p.as_ptr(),
            c_ulong::from(count),
            random.as_ptr().cast(),
            c_int::try_from(random.len()).unwrap_or(0),
            out.as_mut_ptr(),
            128,
        )
    };
    if r.is_null() {
        return Err(format!(
            "crypt_gensalt_rn failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: on success `out` holds a NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(out.as_ptr()) }
        .to_string_lossy()
        .into_owned())
}

/// libsodium's Argon2, found at run time (`libsodium.so.23`).
pub struct Sodium {
    handle: *mut c_void,
}

type StrFn =
    unsafe extern "C" fn(*mut c_char, *const c_char, c_ulonglong, c_ulonglong, usize) -> c_int;
type VerifyFn = unsafe extern "C" fn(*const c_char, *const c_char, c_ulonglong) -> c_int;
type LimitFn = unsafe extern "C" fn() -> usize;

/// The three Argon2 cost levels of libsodium (`*_INTERACTIVE`, `_MODERATE`, `_SENSITIVE`).
pub struct Limits {
    pub ops: [u64; 3],
    pub mem: [usize; 3],
}

impl Sodium {
    pub fn open() -> Result<Sodium, String> {
        for name in [c"libsodium.so.23", c"libsodium.so"] {
            // SAFETY: a NUL-terminated library name.
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW) };
            if !handle.is_null() {
                let s = Sodium { handle };
                let init: unsafe extern "C" fn() -> c_int = s.sym("sodium_init")?;
                // SAFETY: sodium_init takes no arguments; < 0 is failure.
                if unsafe { init() } < 0 {
                    return Err("sodium_init() failed".into());
                }
                return Ok(s);
            }
        }
        Err("Argon2 needs libsodium (libsodium.so.23), which is not installed".into())
    }

    fn sym<T: Copy>(&self, name: &str) -> Result<T, String> {
        let c = cstr(name.as_bytes(), "a symbol")?;
        // SAFETY: `handle` is an open library; the symbol is a function whose type
        // the caller names after libsodium's header.
        let p = unsafe { libc::dlsym(self.handle, c.as_ptr()) };
        if p.is_null() || std::mem::size_of::<T>() != std::mem::size_of::<*mut c_void>() {
            return Err(format!("libsodium has no `{name}`"));
        }
        // SAFETY: same size, and `T` is the function pointer type of the symbol.
        Ok(unsafe { std::mem::transmute_copy::<*mut c_void, T>(&p) })
    }

    /// The cost levels of `alg` (`argon2i` or `argon2id`).
    pub fn limits(&self, alg: &str) -> Result<Limits, String> {
        let mut l = Limits {
            ops: [0; 3],
            mem: [0; 3],
        };
        for (i, level) in ["interactive", "moderate", "sensitive"].iter().enumerate() {
            let ops: LimitFn = self.sym(&format!("crypto_pwhash_{alg}_opslimit_{level}"))?;
            let mem: LimitFn = self.sym(&format!("crypto_pwhash_{alg}_memlimit_{level}"))?;
            // SAFETY: both take no arguments and return a size_t.
            let (o, m) = unsafe { (ops(), mem()) };
            if let (Some(po), Some(pm)) = (l.ops.get_mut(i), l.mem.get_mut(i)) {
                *po = o as u64;
                *pm = m;
            }
        }
        Ok(l)
    }

    /// `crypto_pwhash_{alg}_str`.
    pub fn hash(&self, alg: &str, plain: &[u8], ops: u64, mem: usize) -> Result<String, String> {
        let f: StrFn = self.sym(&format!("crypto_pwhash_{alg}_str"))?;
        let mut out = [0 as c_char; 128];
        // SAFETY: `out` is crypto_pwhash_STRBYTES (128) long; `plain` valid for its length.
        let r = unsafe {
            f(
                out.as_mut_ptr(),
                plain.as_ptr().cast(),
                plain.len() as u64,
                ops,
                mem,
            )
        };
        if r < 0 {
            return Err(format!("crypto_pwhash_{alg}_str failed"));
        }
        // SAFETY: on success `out` holds a NUL-terminated string.
        Ok(unsafe { CStr::from_ptr(out.as_ptr()) }
            .to_string_lossy()
            .into_owned())
    }

    /// `crypto_pwhash_str_verify`: whether `plain` matches `hash`.
    pub fn verify(&self, hash: &[u8], plain: &[u8]) -> Result<bool, String> {
        let f: VerifyFn = self.sym("crypto_pwhash_str_verify")?;
        let h = cstr(hash, "the hash")?;
        // SAFETY: `h` is NUL-terminated; `plain` valid for its length.
        Ok(unsafe { f(h.as_ptr(), plain.as_ptr().cast(), plain.len() as u64) } == 0)
    }
}
