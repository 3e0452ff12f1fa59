//! The iterated and chained schemes: SCRAM-SHA-1/256 (password-scheme-scram.c,
//! 2.4's auth-scram.c), PBKDF2 (password-scheme-pbkdf2.c), OTP (lib-otp) and Argon2
//! (password-scheme-sodium.c), generated and verified as Dovecot does.

use base64::Engine;
use ring::{digest, hmac, pbkdf2};

use super::scheme::{b64, hex, same, sha, unhex, Failure};
use super::{md, sys};

fn scram(
    alg: pbkdf2::Algorithm,
    h: &'static digest::Algorithm,
    m: hmac::Algorithm,
    plain: &[u8],
    salt: &[u8],
    iter: u32,
) -> (Vec<u8>, Vec<u8>) {
    let mut salted = vec![0u8; h.output_len()];
    if let Some(n) = std::num::NonZeroU32::new(iter) {
        pbkdf2::derive(alg, n, salt, plain, &mut salted);
    }
    let key = hmac::Key::new(m, &salted);
    let client = hmac::sign(&key, b"Client Key");
    let stored = sha(h, &[client.as_ref()]);
    let server = hmac::sign(&key, b"Server Key").as_ref().to_vec();
    (stored, server)
}

fn scram_algs(
    sha256: bool,
) -> (
    pbkdf2::Algorithm,
    &'static digest::Algorithm,
    hmac::Algorithm,
    &'static str,
) {
    if !sha256 {
        (
            pbkdf2::PBKDF2_HMAC_SHA1,
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            "SCRAM-SHA-1",
        )
    } else {
        (
            pbkdf2::PBKDF2_HMAC_SHA256,
            &digest::SHA256,
            hmac::HMAC_SHA256,
            "SCRAM-SHA-256",
        )
    }
}

/// A SCRAM entry: `ITER,SALT,STORED_KEY,SERVER_KEY` (base64), with a 16-byte salt.
pub fn scram_generate(sha256: bool, plain: &[u8], iter: u32) -> Result<Vec<u8>, Failure> {
    let (alg, h, m, _) = scram_algs(sha256);
    let salt = sys::random(16)?;
    let (stored, server) = scram(alg, h, m, plain, &salt, iter);
    let e = base64::engine::general_purpose::STANDARD;
    Ok(format!(
        "{iter},{},{},{}",
        e.encode(&salt),
        e.encode(stored),
        e.encode(server)
    )
    .into_bytes())
}

fn pbkdf2_sha1(plain: &[u8], salt: &[u8], rounds: u32) -> [u8; 20] {
    let mut key = [0u8; 20];
    if let Some(n) = std::num::NonZeroU32::new(rounds) {
        pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA1, n, salt, plain, &mut key);
    }
    key
}

/// Argon2i or Argon2id through libsodium, the cost levels chosen as Dovecot does.
pub fn argon2(id: bool, plain: &[u8], rounds: u32) -> Result<Vec<u8>, Failure> {
    let sodium = sys::Sodium::open()?;
    let alg = if id { "argon2id" } else { "argon2i" };
    let l = sodium.limits(alg)?;
    let [int, moderate, sensitive] = l.ops;
    let [mem_int, mem_moderate, mem_sensitive] = l.mem;
    let mut ops = match rounds {
        0 => int,
        r => u64::from(r),
    };
    let mem = if ops >= sensitive {
        mem_sensitive
    } else if ops >= moderate {
        mem_moderate
    } else {
        mem_int
    };
    if id && ops < 3 {
        // As Dovecot: "Bug in sodium-1.0.13, it expects rounds to be 3".
        ops = 3;
    }
    Ok(sodium.hash(alg, plain, ops, mem)?.into_bytes())
}

/// A PBKDF2 entry: `$1$SALT$ROUNDS$HEX` (PBKDF2-HMAC-SHA1 over the salt's text).
pub fn pbkdf2_generate(plain: &[u8], salt: &str, rounds: u32) -> Vec<u8> {
    let rounds = if rounds == 0 { 5000 } else { rounds };
    let key = pbkdf2_sha1(plain, salt.as_bytes(), rounds);
    format!("$1${salt}${rounds}${}", hex(&key)).into_bytes()
}

/// password_generate_otp: a new SHA-1 chain of 1024 steps on a random seed.
pub fn otp_generate(plain: &[u8]) -> Result<Vec<u8>, Failure> {
    let seed = hex(&sys::random(8)?);
    Ok(format!(
        "sha1 1024 {seed} {}",
        hex(&otp_hash("sha1", &seed, plain, 1024))
    )
    .into_bytes())
}

pub fn scram_verify(sha256: bool, plain: &[u8], raw: &[u8]) -> Result<bool, Failure> {
    let (alg, h, m, name) = scram_algs(sha256);
    let text = String::from_utf8_lossy(raw);
    let fields: Vec<&str> = text.split(',').collect();
    let [iter, salt, stored, server] = fields.as_slice() else {
        return Err(format!("Invalid {name} passdb entry format"));
    };
    let iter = match iter.parse::<u32>() {
        Ok(i)
            if iter.bytes().all(|c| c.is_ascii_digit())
                && (4096..=i32::MAX.unsigned_abs()).contains(&i) =>
        {
            i
        }
        _ => return Err(format!("Invalid {name} iteration count in passdb")),
    };
    let n = h.output_len();
    let key = |f: &str, what: &str| {
        b64()
            .decode(f)
            .ok()
            .filter(|k| k.len() == n)
            .ok_or_else(|| format!("Invalid {name} {what} in passdb"))
    };
    let stored = key(stored, "StoredKey")?;
    key(server, "ServerKey")?;
    let salt = b64().decode(salt).unwrap_or_default();
    let (mine, _) = scram(alg, h, m, plain, &salt, iter);
    Ok(same(&mine, &stored))
}

/// lib-otp's `otp_hash`: the digest of seed and passphrase folded to 64 bits, then
/// `steps` more digests of the folded value (RFC 2289).
fn otp_hash(algo: &str, seed: &str, plain: &[u8], steps: u32) -> [u8; 8] {
    let fold = |data: &[&[u8]]| -> [u8; 8] {
        let mut out = [0u8; 8];
        if algo == "sha1" {
            let d = sha(&digest::SHA1_FOR_LEGACY_USE_ONLY, data);
            // sha1_fold: XOR of the words, each then byte-swapped.
            for (i, b) in d.iter().enumerate() {
                let word = (i / 4) % 2;
                if let Some(o) = out.get_mut(word * 4 + 3 - i % 4) {
                    *o ^= b;
                }
            }
        } else {
            let mut m = if algo == "md4" {
                md::Md::md4()
            } else {
                md::Md::md5()
            };
            for part in data {
                m.update(part);
            }
            for (i, b) in m.finish().iter().enumerate() {
                if let Some(o) = out.get_mut(i % 8) {
                    *o ^= b;
                }
            }
        }
        out
    };
    let mut r = fold(&[seed.as_bytes(), plain]);
    for _ in 0..steps {
        r = fold(&[&r]);
    }
    r
}

/// `otp_verify`: `ALGO SEQ SEED HASH` recomputed from the password and compared
/// case-insensitively.
pub fn otp_verify(plain: &[u8], raw: &[u8]) -> Result<bool, Failure> {
    let invalid = || "Invalid OTP data in passdb".to_string();
    let text = std::str::from_utf8(raw).map_err(|_| invalid())?;
    let (algo, rest) = text.split_once([' ', '\t']).ok_or_else(invalid)?;
    if !["md4", "md5", "sha1"].contains(&algo) {
        return Err(invalid());
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let seq: u32 = rest
        .get(..digits)
        .and_then(|d| d.parse().ok())
        .ok_or_else(invalid)?;
    let rest = rest.get(digits..).unwrap_or_default();
    let rest = rest.strip_prefix([' ', '\t']).ok_or_else(invalid)?;
    let seed: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = rest.get(seed.len()..).unwrap_or_default();
    let hash: String = rest
        .strip_prefix(' ')
        .ok_or_else(invalid)?
        .chars()
        .filter(|c| *c != ' ' && *c != '\t')
        .collect();
    if hash.len() < 16 || unhex(hash.get(..16).unwrap_or_default().as_bytes()).is_none() {
        return Err(invalid());
    }
    let mine = format!(
        "{algo} {seq} {seed} {}",
        hex(&otp_hash(algo, &seed, plain, seq))
    );
    Ok(mine.eq_ignore_ascii_case(text))
}

pub fn pbkdf2_verify(plain: &[u8], raw: &[u8]) -> Result<bool, Failure> {
    let Some(rest) = raw.strip_prefix(b"$1$") else {
        return Err("Invalid PBKDF2 passdb entry prefix".into());
    };
    let text = String::from_utf8_lossy(rest);
    let fields: Vec<&str> = text.split('$').collect();
    let [salt, rounds, hash] = fields.as_slice() else {
        return Err("Invalid PBKDF2 passdb entry format".into());
    };
    let rounds = match rounds.parse::<u32>() {
        Ok(r) if rounds.bytes().all(|c| c.is_ascii_digit()) => r,
        _ => return Err("Invalid PBKDF2 passdb entry format".into()),
    };
    let Some(stored) = unhex(hash.as_bytes()).filter(|k| k.len() == 20) else {
        return Err("PBKDF2 hash not 160bit hex-encoded".into());
    };
    let key = pbkdf2_sha1(plain, salt.as_bytes(), rounds);
    Ok(same(&key, &stored))
}
