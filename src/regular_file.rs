//! Reading a file only when it is a regular file of bounded size. The linter reads files that
//! anyone may have put in place (a configuration, its cache): a named pipe there would block
//! the run, a device such as `/dev/zero` never ends, and a huge file would be read whole into
//! memory.

use std::fs::{self, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a symbolic link in the file's place leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// The file it points to is read (a configuration kept elsewhere).
    Follow,
    /// The link is refused: a cache file is one the cache wrote, never a link out of its
    /// directory.
    Refuse,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("larger than {} MiB", .limit >> 20)]
    TooLarge { limit: u64 },
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read(path: &Path, links: Links, limit: u64) -> Result<Vec<u8>, ReadError> {
    // What the path names is checked before opening it, as opening a device can do something
    // by itself (a tape rewinds) and a socket cannot be opened at all.
    let named = match links {
        Links::Follow => fs::metadata(path)?,
        Links::Refuse => fs::symlink_metadata(path)?,
    };
    check(&named, limit)?;
    let mut flags = libc::O_NONBLOCK;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    // The file may have been replaced since: the opened file is checked again. Opening a named
    // pipe waits for a writer unless it is opened without blocking.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)?;
    let opened = file.metadata()?;
    check(&opened, limit)?;
    // Reading stops past the limit: a file may grow while it is read.
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

fn check(metadata: &Metadata, limit: u64) -> Result<(), ReadError> {
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(kind(metadata)));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

/// What a file that is not a regular file is, in words.
pub fn kind(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read(&file, Links::Refuse, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read(&file, Links::Refuse, 9),
            Err(ReadError::TooLarge { limit: 9 })
        ));

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read(&link, Links::Follow, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read(&link, Links::Refuse, 10),
            Err(ReadError::NotRegular("a symbolic link"))
        ));

        let zero = Path::new("/dev/zero");
        assert!(matches!(
            read(zero, Links::Follow, 10),
            Err(ReadError::NotRegular("a device"))
        ));
        assert!(matches!(
            read(dir.path(), Links::Follow, 10),
            Err(ReadError::NotRegular("a directory"))
        ));
        assert!(matches!(
            read(&dir.path().join("missing"), Links::Follow, 10),
            Err(ReadError::Io(err)) if err.kind() == io::ErrorKind::NotFound
        ));
    }

    #[test]
    fn a_named_pipe_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        for links in [Links::Follow, Links::Refuse] {
            assert!(matches!(
                read(&fifo, links, 10),
                Err(ReadError::NotRegular("a named pipe"))
            ));
        }
    }
}
