//! A document's text mapped from its file rather than read into memory, so
//! that capturing a file of several gigabytes holds its pages only while
//! they are read: the kernel pages them in and out of the page cache, and
//! the process's own memory stays that of the events being stored.

use std::fs::File;
use std::path::Path;

/// Granularity of [`Mapped::release_before`].
const RELEASE_ALIGN: usize = 64 << 10;

/// The bytes of a file, mapped read-only; a file that is not a regular
/// file (a pipe, standard input) is read into memory instead, and an empty
/// one is neither.
pub struct Mapped {
    map: Option<memmap2::Mmap>,
    read: Vec<u8>,
}

/// Why a document cannot be mapped or is not text.
#[derive(Debug, thiserror::Error)]
pub enum MappedError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not UTF-8 text (byte {at} is not)")]
    NotUtf8 { path: String, at: usize },
}

impl Mapped {
    /// Maps the file at `path`.
    ///
    /// # Safety
    /// Nothing may write to or truncate the file while the map lives: its
    /// bytes are handed out as `&str`, which must not change (a truncated
    /// file raises SIGBUS). The CLI maps the documents a user gives it to
    /// capture, and says so in its help; the server maps only anonymous
    /// temporary files of its own.
    pub unsafe fn open(path: &Path) -> Result<Self, MappedError> {
        let io = |source| MappedError::Io {
            path: path.display().to_string(),
            source,
        };
        // SAFETY: the caller's promise.
        unsafe { Self::file(&File::open(path).map_err(io)?) }.map_err(io)
    }

    /// Maps an open file (see [`Mapped::open`]).
    ///
    /// # Safety
    /// As for [`Mapped::open`].
    pub unsafe fn file(f: &File) -> std::io::Result<Self> {
        let meta = f.metadata()?;
        if !meta.is_file() {
            let mut read = Vec::new();
            std::io::Read::read_to_end(&mut &*f, &mut read)?;
            return Ok(Mapped { map: None, read });
        }
        if meta.len() == 0 {
            return Ok(Mapped {
                map: None,
                read: Vec::new(),
            });
        }
        // SAFETY: read-only; nothing writes the file while mapped (the
        // caller's promise).
        let map = unsafe { memmap2::Mmap::map(f)? };
        // Read from start to end (capture reads each event once, in order).
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Mapped {
            map: Some(map),
            read: Vec::new(),
        })
    }

    /// Lets the system drop the pages before byte `at` from this process's
    /// memory (they are read again from the file if touched again), so that
    /// a capture reading the document from start to end holds only the part
    /// it is at. Rounded down to 64 KiB, a multiple of every page size.
    pub fn release_before(&self, at: usize) {
        let Some(map) = &self.map else { return };
        let len = at.min(map.len()) / RELEASE_ALIGN * RELEASE_ALIGN;
        if len == 0 {
            return;
        }
        #[cfg(unix)]
        // SAFETY: the map is a read-only, shared mapping of a file nothing
        // writes (`open`'s promise): MADV_DONTNEED drops clean pages, and reading
        // them again faults the same bytes back in from the file. No
        // reference sees different contents.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len) };
    }

    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&self.read)
    }

    /// The bytes as text, or an error naming `path` and the first byte
    /// that is not UTF-8.
    pub fn text(&self, path: &str) -> Result<&str, MappedError> {
        std::str::from_utf8(self.bytes()).map_err(|e| MappedError::NotUtf8 {
            path: path.to_string(),
            at: e.valid_up_to(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_text_empty_files_and_says_where_it_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("doc.json");
        std::fs::write(&p, "{\"a\": 1}").unwrap();
        assert_eq!(
            unsafe { Mapped::open(&p) }.unwrap().text("doc").unwrap(),
            "{\"a\": 1}"
        );
        std::fs::write(&p, "").unwrap();
        assert_eq!(
            unsafe { Mapped::open(&p) }.unwrap().text("doc").unwrap(),
            ""
        );
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(b"ab\xffc").unwrap();
        let e = unsafe { Mapped::open(&p) }
            .unwrap()
            .text("doc")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "doc: not UTF-8 text (byte 2 is not)");
        // A pipe is read, not mapped.
        let mut child = std::process::Command::new("echo")
            .arg("{}")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out: std::fs::File = std::os::fd::OwnedFd::from(child.stdout.take().unwrap()).into();
        assert!(child.wait().unwrap().success());
        let m = unsafe { Mapped::file(&out) }.unwrap();
        assert_eq!(m.text("pipe").unwrap(), "{}\n");
        // Released pages read back the same bytes.
        let big: String = (0..200_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        std::fs::write(&p, &big).unwrap();
        let m = unsafe { Mapped::open(&p) }.unwrap();
        assert_eq!(m.text("doc").unwrap(), big);
        m.release_before(150_000);
        m.release_before(usize::MAX);
        assert_eq!(m.text("doc").unwrap(), big);
        let e = unsafe { Mapped::open(&dir.path().join("none")) }
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("cannot read "), "{e}");
    }
}
