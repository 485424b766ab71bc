//! Stored files (previews, thumbnails, avatars, attachments), laid out by
//! [`Config::stored_file`](crate::config::Config::stored_file): written so
//! that a file the API acknowledged is on disk, whole, whatever crashes after.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path`: to a file beside it, flushed to the disk, then
/// renamed over `path`, so that readers never see half a file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let partial = partial_path(path);
    let folder = prepare_folder(path)?;
    let written = File::create(&partial).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written {
        remove_quietly(&partial);
        return Err(error);
    }
    rename_durably(&partial, path, folder)
}

/// Moves a file already in the data folder (a received upload) to `path`, durably.
pub fn move_durably(from: &Path, path: &Path) -> io::Result<()> {
    File::open(from)?.sync_all()?;
    let folder = prepare_folder(path)?;
    rename_durably(from, path, folder)
}

/// Removes a file; a file that stays is only reported, a missing one is fine.
pub fn remove_quietly(path: &Path) {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            tracing::warn!("cannot remove {}: {error}", path.display());
        }
        _ => {}
    }
}

fn partial_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.partial", uuid::Uuid::new_v4().simple()));
    path.with_file_name(name)
}

fn prepare_folder(path: &Path) -> io::Result<&Path> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder)?;
    Ok(folder)
}

/// The rename is durable once the folder that records it is flushed too.
fn rename_durably(from: &Path, to: &Path, folder: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_nothing_else_is_left() {
        let dir = std::env::temp_dir().join(format!("tusk-storage-{}", uuid::Uuid::new_v4()));
        let path = dir.join("a/b/file");
        write_durably(&path, b"first").unwrap();
        write_durably(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let received = dir.join("upload");
        fs::write(&received, b"third").unwrap();
        move_durably(&received, &path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third");
        assert!(!received.exists());
        assert_eq!(fs::read_dir(dir.join("a/b")).unwrap().count(), 1);
        remove_quietly(&path);
        remove_quietly(&path);
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
