//! Stored files (previews, thumbnails, avatars, attachments), laid out by
//! [`Config::stored_file`](crate::config::Config::stored_file): written so
//! that a file the API acknowledged is on disk, whole, whatever crashes after.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An upload older than this in the uploads folder was left by a crash: one
/// still arriving (maybe on another node sharing the folder) is younger.
const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Where uploads are received before they are stored.
pub fn uploads_folder(data_dir: &Path) -> PathBuf {
    data_dir.join("tmp")
}

/// Removes the uploads a crash left half-received (at start).
pub fn sweep_uploads(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(uploads_folder(data_dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let abandoned = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if abandoned {
            remove_quietly(&entry.path());
        }
    }
}

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

    #[test]
    fn uploads_left_by_a_crash_are_swept_and_arriving_ones_kept() {
        let dir = std::env::temp_dir().join(format!("tusk-storage-{}", uuid::Uuid::new_v4()));
        let folder = uploads_folder(&dir);
        fs::create_dir_all(&folder).unwrap();
        let (old, new) = (folder.join("old"), folder.join("new"));
        fs::write(&old, b"half").unwrap();
        fs::write(&new, b"arriving").unwrap();
        let two_days_ago = std::time::SystemTime::now() - 2 * ABANDONED_AFTER;
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
        sweep_uploads(&dir);
        assert!(!old.exists());
        assert!(new.exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
