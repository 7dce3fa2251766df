//! Reads git's index file (`.git/index`, versions 2 to 4) far enough to say whether a path is
//! tracked, i.e. whether `git ls-files --error-unmatch -- <path>` would succeed.
//!
//! Pure. An index it is not sure of (another version, a split or sparse index, a sparse
//! checkout, a truncated file) is `None`, "ask git".

/// What the index says about one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The path, or a path below it, is in the index.
    pub tracked: bool,
    /// A leading directory of the path is a submodule (a gitlink entry).
    pub in_submodule: bool,
}

const SHA1_LEN: usize = 20;
/// ctime, mtime, dev, ino, mode, uid, gid, size: ten 32-bit fields.
const STAT_LEN: usize = 40;
const FLAG_EXTENDED: u16 = 0x4000;
const NAME_MASK: u16 = 0x0fff;
const EXT_SKIP_WORKTREE: u16 = 0x4000;
const GITLINK: u32 = 0o160_000;
const MODE_TYPE: u32 = 0o170_000;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// git's `decode_varint` (the offset encoding of pack files, not LEB128).
    fn varint(&mut self) -> Option<usize> {
        let mut c = self.take(1)?[0];
        let mut value = usize::from(c & 0x7f);
        while c & 0x80 != 0 {
            value = value.checked_add(1)?.checked_mul(128)?;
            c = self.take(1)?[0];
            value |= usize::from(c & 0x7f);
        }
        Some(value)
    }
}

/// Looks `path` (relative to the work tree, `/`-separated) up in the index `bytes` of a
/// repository with SHA-1 object names.
pub fn lookup(bytes: &[u8], path: &str) -> Option<Lookup> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()?;
    let path = path.as_bytes();
    let mut found = Lookup {
        tracked: false,
        in_submodule: false,
    };
    let mut name: Vec<u8> = Vec::new();
    for _ in 0..count {
        let entry_start = r.at;
        let stat = r.take(STAT_LEN)?;
        let mode = u32::from_be_bytes(stat[24..28].try_into().ok()?);
        r.take(SHA1_LEN)?;
        let flags = r.u16()?;
        // (Version 2 has no extended flags. A sparse checkout reads some `.gitignore` files
        // from the index: git knows which.)
        if flags & FLAG_EXTENDED != 0 && (version < 3 || r.u16()? & EXT_SKIP_WORKTREE != 0) {
            return None;
        }
        if version == 4 {
            let strip = r.varint()?;
            name.truncate(name.len().checked_sub(strip)?);
            let len = r.bytes.get(r.at..)?.iter().position(|&b| b == 0)?;
            name.extend_from_slice(r.take(len)?);
            r.take(1)?;
        } else {
            // The name's length is in the flags unless it is too long for them.
            let len = match usize::from(flags & NAME_MASK) {
                0x0fff => r.bytes.get(r.at..)?.iter().position(|&b| b == 0)?,
                len => len,
            };
            name.clear();
            name.extend_from_slice(r.take(len)?);
            // NUL padding up to a multiple of eight, at least one NUL.
            let entry_len = r.at - entry_start;
            let padded = (entry_len + 8) & !7;
            let pad = r.take(padded - entry_len)?;
            if pad.iter().any(|&b| b != 0) {
                return None;
            }
        }
        if name == path || (path.starts_with(&name) && path.get(name.len()) == Some(&b'/')) {
            if name == path {
                found.tracked = true;
            } else if mode & MODE_TYPE == GITLINK {
                found.in_submodule = true;
            }
        } else if name.starts_with(path) && name.get(path.len()) == Some(&b'/') {
            found.tracked = true;
        }
    }
    // Extensions until the trailing checksum: a split index keeps entries elsewhere, and a
    // sparse index folds directories into one entry.
    let end = bytes.len().checked_sub(SHA1_LEN)?;
    while r.at < end {
        let signature = r.take(4)?;
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        let size = r.u32()?;
        r.take(usize::try_from(size).ok()?)?;
    }
    (r.at == end).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::{Lookup, lookup};

    /// An index as git writes one: header, sorted entries, no extension, checksum.
    fn index(version: u32, entries: &[(&str, u32)]) -> Vec<u8> {
        let mut out = b"DIRC".to_vec();
        out.extend(version.to_be_bytes());
        out.extend(u32::try_from(entries.len()).expect("few").to_be_bytes());
        let mut previous = "";
        for &(name, mode) in entries {
            let start = out.len();
            out.extend([0u8; 24]);
            out.extend(mode.to_be_bytes());
            out.extend([0u8; 12]);
            out.extend([0xabu8; 20]);
            out.extend(u16::try_from(name.len()).expect("short").to_be_bytes());
            if version == 4 {
                let common = previous
                    .bytes()
                    .zip(name.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                let strip = u8::try_from(previous.len() - common).expect("short");
                assert!(strip < 0x80, "one-byte varint in this helper");
                out.push(strip);
                out.extend(&name.as_bytes()[common..]);
                out.push(0);
            } else {
                out.extend(name.as_bytes());
                let len = out.len() - start;
                out.resize(start + ((len + 8) & !7), 0);
            }
            previous = name;
        }
        out.extend([0u8; 20]);
        out
    }

    const FILE: u32 = 0o100_644;

    #[test]
    fn tracked_paths_in_every_version() {
        for version in [2, 3, 4] {
            let bytes = index(
                version,
                &[
                    (".gitignore", FILE),
                    ("backend/.env", FILE),
                    ("backend/app.py", FILE),
                ],
            );
            let hit = lookup(&bytes, "backend/.env").expect("readable");
            assert!(hit.tracked, "v{version}");
            let miss = lookup(&bytes, "backend/.env.bak").expect("readable");
            assert!(!miss.tracked, "v{version}");
            // `ls-files --error-unmatch backend` succeeds: files below it are tracked.
            assert!(
                lookup(&bytes, "backend").expect("readable").tracked,
                "v{version}"
            );
        }
    }

    #[test]
    fn submodules_and_directories() {
        let bytes = index(2, &[("backend", 0o160_000), ("x/.env/inner", FILE)]);
        assert_eq!(
            lookup(&bytes, "backend/.env"),
            Some(Lookup {
                tracked: false,
                in_submodule: true
            })
        );
        assert!(lookup(&bytes, "x/.env").expect("readable").tracked);
    }

    #[test]
    fn what_it_leaves_to_git() {
        let good = index(2, &[("a", FILE)]);
        assert!(lookup(&good, "a").is_some());
        assert_eq!(lookup(&good[..good.len() - 1], "a"), None, "truncated");
        assert_eq!(lookup(&index(5, &[("a", FILE)]), "a"), None, "version 5");
        let mut split = good[..good.len() - 20].to_vec();
        split.extend(b"link");
        split.extend(0u32.to_be_bytes());
        split.extend([0u8; 20]);
        assert_eq!(lookup(&split, "a"), None, "split index");
        let mut untracked_cache = good[..good.len() - 20].to_vec();
        untracked_cache.extend(b"UNTR");
        untracked_cache.extend(3u32.to_be_bytes());
        untracked_cache.extend([1u8, 2, 3]);
        untracked_cache.extend([0u8; 20]);
        assert!(lookup(&untracked_cache, "a").expect("readable").tracked);
        assert_eq!(lookup(b"not an index", "a"), None);
    }
}
