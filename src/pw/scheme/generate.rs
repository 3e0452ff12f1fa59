//! Generating raw hash bytes (`s->password_generate` of each scheme), with the salts
//! and crypt(3) settings it needs. Separate from the scheme table and its encodings
//! (`mod.rs`) because it is the part that takes from the system: random salts, crypt(3)
//! and libsodium (`crate::pw::sys`).

use ring::digest;

use super::{sha, smd5, Failure, Kind, Params};
use crate::pw::{kdf, md, sys};

const SALT_CHARS: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `password_generate_salt`: `len` characters of `SALT_CHARS`.
fn salt(len: usize) -> Result<String, Failure> {
    (0..len)
        .map(|_| {
            let i = sys::random_below(64)?;
            Ok(char::from(
                SALT_CHARS
                    .get(usize::try_from(i).unwrap_or(0))
                    .copied()
                    .unwrap_or(b'.'),
            ))
        })
        .collect()
}

fn salted(alg: &'static digest::Algorithm, plain: &[u8]) -> Result<Vec<u8>, Failure> {
    let salt = sys::random(4)?;
    let mut out = sha(alg, &[plain, &salt]);
    out.extend_from_slice(&salt);
    Ok(out)
}

fn crypt_rounds(rounds: u32) -> u32 {
    match rounds {
        0 => 5000,
        r => r.clamp(1000, 999_999_999),
    }
}

fn crypt_or_fail(plain: &[u8], setting: &str) -> Result<Vec<u8>, Failure> {
    sys::crypt(plain, setting.as_bytes())?
        .map(String::into_bytes)
        .ok_or_else(|| "crypt() failed".to_string())
}

/// `s->password_generate`: the scheme's raw bytes for `plain`.
pub(super) fn generate(kind: Kind, plain: &[u8], p: &Params) -> Result<Vec<u8>, Failure> {
    Ok(match kind {
        Kind::Md5 | Kind::Md5Crypt => crypt_or_fail(plain, &format!("$1${}", salt(8)?))?,
        Kind::Sha1 => sha(&digest::SHA1_FOR_LEGACY_USE_ONLY, &[plain]),
        Kind::Sha256 => sha(&digest::SHA256, &[plain]),
        Kind::Sha512 => sha(&digest::SHA512, &[plain]),
        Kind::Smd5 => {
            let salt = sys::random(4)?;
            let mut out = smd5(plain, &salt);
            out.extend_from_slice(&salt);
            out
        }
        Kind::Ssha => salted(&digest::SHA1_FOR_LEGACY_USE_ONLY, plain)?,
        Kind::Ssha256 => salted(&digest::SHA256, plain)?,
        Kind::Ssha512 => salted(&digest::SHA512, plain)?,
        Kind::Plain | Kind::PlainTrunc => plain.to_vec(),
        Kind::CramMd5 => md::cram_context(plain).to_vec(),
        Kind::ScramSha1 | Kind::ScramSha256 => {
            // 2.3 always uses 4096 iterations; 2.4 takes -r, within [4096, INT_MAX].
            let iter = match p.rounds {
                r if r != 0 && p.v24 => r.clamp(4096, i32::MAX.unsigned_abs()),
                _ => 4096,
            };
            kdf::scram_generate(kind == Kind::ScramSha256, plain, iter)?
        }
        Kind::DigestMd5 => {
            let Some(user) = &p.user else {
                return Err("digest_md5_generate(): username not given".into());
            };
            let (user, realm) = user.rsplit_once('@').unwrap_or((user, ""));
            let mut m = md::Md::md5();
            m.update(format!("{user}:{realm}:").as_bytes());
            m.update(plain);
            m.finish().to_vec()
        }
        Kind::PlainMd4 => md::md4(plain).to_vec(),
        Kind::PlainMd5 => md::md5(plain).to_vec(),
        Kind::Otp => kdf::otp_generate(plain)?,
        Kind::Pbkdf2 => kdf::pbkdf2_generate(plain, &salt(16)?, p.rounds),
        Kind::DesCrypt => crypt_or_fail(plain, &salt(2)?)?,
        Kind::Sha256Crypt | Kind::Sha512Crypt => {
            let id = if kind == Kind::Sha256Crypt { 5 } else { 6 };
            let rounds = crypt_rounds(p.rounds);
            let salt = salt(16)?;
            let setting = if rounds == 5000 {
                format!("${id}${salt}")
            } else {
                format!("${id}$rounds={rounds}${salt}")
            };
            crypt_or_fail(plain, &setting)?
        }
        Kind::BlfCrypt | Kind::Crypt => {
            let rounds = match p.rounds {
                0 => 5,
                r => r.clamp(4, 31),
            };
            let setting = sys::gensalt("$2y$", rounds, &sys::random(16)?)?;
            crypt_or_fail(plain, &setting)?
        }
        Kind::Argon2i | Kind::Argon2id => kdf::argon2(kind == Kind::Argon2id, plain, p.rounds)?,
    })
}
