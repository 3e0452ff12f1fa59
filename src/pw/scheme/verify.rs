//! Verifying a password against a decoded hash (`password_verify`), per scheme as
//! Dovecot does it. Separate from generation (`generate.rs`) and from the scheme table
//! (`mod.rs`): it is the longest per-scheme `match`, with the stored-hash checks and
//! Dovecot's error words that only verification has.

use ring::digest;

use super::generate::generate;
use super::{decode, lookup, same, sha, smd5, Failure, Kind, Params};
use crate::pw::{kdf, md, sys};

/// `password_verify`: `Ok(true)` on a match, `Ok(false)` on a mismatch ("Password
/// mismatch"), `Err` when the stored hash can't be used.
pub fn verify(plain: &[u8], p: &Params, scheme: &str, raw: &[u8]) -> Result<bool, Failure> {
    let Some((s, _)) = lookup(scheme, p.v24) else {
        return Err("Unknown password scheme".into());
    };
    let eq = same;
    Ok(match s.kind {
        Kind::Md5 => {
            if raw.starts_with(b"$1$") {
                crypt_matches(plain, raw)?
            } else {
                let Ok(md5) = decode(raw, "PLAIN-MD5", p.v24) else {
                    return Err("Not a valid MD5-CRYPT or PLAIN-MD5 password".into());
                };
                eq(&md::md5(plain), &md5)
            }
        }
        Kind::Md5Crypt => crypt_matches(plain, raw)?,
        Kind::Smd5 | Kind::Ssha | Kind::Ssha256 | Kind::Ssha512 => {
            let (name, n) = match s.kind {
                Kind::Smd5 => ("SMD5", 16),
                Kind::Ssha => ("SSHA", 20),
                Kind::Ssha256 => ("SSHA256", 32),
                _ => ("SSHA512", 64),
            };
            if raw.len() <= n {
                return Err(format!("{name} password is too short"));
            }
            let (hash, salt) = raw.split_at(n);
            let mine = match s.kind {
                Kind::Smd5 => smd5(plain, salt),
                Kind::Ssha => sha(&digest::SHA1_FOR_LEGACY_USE_ONLY, &[plain, salt]),
                Kind::Ssha256 => sha(&digest::SHA256, &[plain, salt]),
                _ => sha(&digest::SHA512, &[plain, salt]),
            };
            eq(&mine, hash)
        }
        Kind::Plain => eq(plain, raw),
        Kind::PlainTrunc => {
            let digits = raw.iter().take_while(|c| c.is_ascii_digit()).count();
            if raw.get(digits) != Some(&b'-') {
                return Err("PLAIN-TRUNC missing length: prefix".into());
            }
            let trunc = raw
                .get(..digits)
                .unwrap_or_default()
                .iter()
                .fold(0usize, |n, d| {
                    n.wrapping_mul(10).wrapping_add(usize::from(d - b'0'))
                });
            let stored = raw.get(digits + 1..).unwrap_or_default();
            if stored.len() == trunc && plain.len() >= trunc {
                eq(stored, plain.get(..trunc).unwrap_or_default())
            } else {
                eq(plain, stored)
            }
        }
        Kind::ScramSha1 | Kind::ScramSha256 => {
            kdf::scram_verify(s.kind == Kind::ScramSha256, plain, raw)?
        }
        Kind::Otp => kdf::otp_verify(plain, raw)?,
        Kind::Pbkdf2 => kdf::pbkdf2_verify(plain, raw)?,
        Kind::DesCrypt | Kind::Sha256Crypt | Kind::Sha512Crypt | Kind::Crypt => {
            if raw.len() > 4 && raw.starts_with(b"$2") && raw.get(3) == Some(&b'$') {
                return verify(plain, p, "BLF-CRYPT", raw);
            }
            !raw.is_empty() && crypt_matches(plain, raw)?
        }
        Kind::BlfCrypt => {
            if raw.is_empty() {
                return Ok(false);
            }
            let ok = raw.len() >= 30
                && raw.starts_with(b"$2")
                && raw.get(2).is_some_and(u8::is_ascii_lowercase)
                && raw.get(3) == Some(&b'$');
            if !ok {
                return Err("Password is not blowfish password".into());
            }
            crypt_matches(plain, raw)?
        }
        Kind::Argon2i | Kind::Argon2id => sys::Sodium::open()?.verify(raw, plain)?,
        // The generic handler: generate and compare.
        Kind::Sha1
        | Kind::Sha256
        | Kind::Sha512
        | Kind::CramMd5
        | Kind::DigestMd5
        | Kind::PlainMd4
        | Kind::PlainMd5 => eq(&generate(s.kind, plain, p)?, raw),
    })
}

fn crypt_matches(plain: &[u8], hash: &[u8]) -> Result<bool, Failure> {
    Ok(sys::crypt(plain, hash)?.is_some_and(|c| c.as_bytes() == hash))
}
