//! Files Herald reads because someone named them: a CA bundle, a request body, a feeds export,
//! from the command line or from inside an imported feeds file. The path may point anywhere:
//! at `/dev/zero`, at a FIFO that never ends, at a file of gigabytes. Each is read only when it
//! is a regular file, and never past the limit of its kind, so a bad path costs an error message
//! instead of the process's memory. Every such read in Herald goes through here.

use std::io::Read;
use std::path::{Path, PathBuf};

/// What a file is for (in messages) and how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub what: &'static str,
    pub limit: u64,
}

/// A bundle of a few hundred certificates is well under 1 MiB.
pub const CA_BUNDLE: FileKind = FileKind { what: "the CA certificate", limit: 1 << 20 };
/// The JSON a feed POSTs to subscribe: a few lines in practice.
pub const REQUEST_BODY: FileKind = FileKind { what: "the request body", limit: 1 << 20 };
/// An export of every feed: a thousand feeds with long templates stay far below this.
pub const FEEDS_FILE: FileKind = FileKind { what: "the feeds file", limit: 10 << 20 };

#[derive(Debug, thiserror::Error)]
pub enum InputFileError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot read {what} {}: it is {found}, not a regular file", path.display())]
    NotAFile { what: &'static str, path: PathBuf, found: &'static str },
    #[error(
        "cannot read {what} {}: it is larger than {}, the most Herald reads",
        path.display(),
        human_bytes(*limit)
    )]
    TooLarge { what: &'static str, path: PathBuf, limit: u64 },
    #[error("cannot read {what} {}: it is not UTF-8 text", path.display())]
    NotText { what: &'static str, path: PathBuf },
}

/// The whole file, if it is a regular file of at most `kind.limit` bytes.
pub fn read(path: &Path, kind: FileKind) -> Result<Vec<u8>, InputFileError> {
    let io = |source| InputFileError::Io { what: kind.what, path: path.to_owned(), source };
    // Checked before opening: opening a FIFO blocks until a writer comes, and opening some
    // devices does something by itself.
    let before = std::fs::metadata(path).map_err(io)?;
    check(path, kind, &before)?;
    let file = open(path).map_err(io)?;
    // And again on what was opened, in case the path was swapped in between.
    check(path, kind, &file.metadata().map_err(io)?)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "too large" from "just fits", and bounds the read even
    // when the file grows after the checks.
    file.take(kind.limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > kind.limit {
        return Err(too_large(path, kind));
    }
    Ok(bytes)
}

/// [`read`], for files that must be text (JSON).
pub fn read_to_string(path: &Path, kind: FileKind) -> Result<String, InputFileError> {
    String::from_utf8(read(path, kind)?)
        .map_err(|_| InputFileError::NotText { what: kind.what, path: path.to_owned() })
}

fn check(path: &Path, kind: FileKind, metadata: &std::fs::Metadata) -> Result<(), InputFileError> {
    if !metadata.is_file() {
        return Err(InputFileError::NotAFile {
            what: kind.what,
            path: path.to_owned(),
            found: describe(&metadata.file_type()),
        });
    }
    if metadata.len() > kind.limit {
        return Err(too_large(path, kind));
    }
    Ok(())
}

fn too_large(path: &Path, kind: FileKind) -> InputFileError {
    InputFileError::TooLarge { what: kind.what, path: path.to_owned(), limit: kind.limit }
}

#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking, so that a FIFO swapped in after the first check cannot hang the open; it
    // changes nothing for reading a regular file.
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn describe(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "something else"
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: FileKind = FileKind { what: "the test file", limit: 8 };

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345678").unwrap();
        assert_eq!(read(&path, SMALL).unwrap(), b"12345678");
        assert_eq!(read_to_string(&path, SMALL).unwrap(), "12345678");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"123456789").unwrap();
        let err = read(&path, SMALL).unwrap_err().to_string();
        assert!(err.contains("larger than 8 bytes") && err.contains("the test file"), "{err}");
        assert_eq!(human_bytes(CA_BUNDLE.limit), "1 MiB");
        assert_eq!(human_bytes(FEEDS_FILE.limit), "10 MiB");
    }

    #[test]
    fn directories_and_missing_files_are_refused_with_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), SMALL).unwrap_err().to_string();
        assert!(err.contains("a directory, not a regular file"), "{err}");
        let missing = dir.path().join("missing");
        let err = read(&missing, SMALL).unwrap_err().to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_before_a_byte_is_read() {
        let err = read(Path::new("/dev/zero"), CA_BUNDLE).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot read the CA certificate /dev/zero: it is a character device, not a regular file"
        );
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"\xff").unwrap();
        assert!(read_to_string(&path, SMALL).unwrap_err().to_string().contains("not UTF-8"));
    }
}
