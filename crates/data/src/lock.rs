//! Per-dataset advisory locks, so that concurrent writers (two `data import`s, a download and an
//! import, two forecast builds) never lose each other's rows in a read-merge-write.
//!
//! The lock is an exclusive `flock` on the directory itself (std's `File::lock`): no lock file is
//! left in the store, the lock goes away with the process (even on SIGKILL), and it excludes other
//! threads of the same process too, because each holder opens its own descriptor.
use crate::DataError;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Holds an exclusive lock on a directory until dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    path: PathBuf,
    /// Directories this lock created, deepest first (so a failed first write can remove them).
    created: Vec<PathBuf>,
}

impl DirLock {
    /// Creates `dir` (and parents) if needed and blocks until its exclusive lock is held.
    pub fn acquire(dir: &Path) -> Result<DirLock, DataError> {
        let mut created = Vec::new();
        let mut d = Some(dir);
        while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            created.push(p.to_path_buf());
            d = p.parent();
        }
        loop {
            std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
            let file = File::open(dir).map_err(|e| DataError::io(dir, e))?;
            file.lock().map_err(|e| {
                DataError::io(
                    dir,
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot lock the dataset directory: {e}"),
                    ),
                )
            })?;
            // A holder that created the directory and failed may have removed it while we waited:
            // then our lock is on a dead inode, so take it again on the live directory.
            if same_dir(&file, dir) {
                return Ok(DirLock {
                    _file: file,
                    path: dir.to_path_buf(),
                    created,
                });
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the directory was created by [`DirLock::acquire`].
    pub fn created(&self) -> bool {
        !self.created.is_empty()
    }

    /// Releases the lock; if this lock created the directory and it is still empty, removes it
    /// (a failed first import leaves nothing behind).
    pub fn release_and_prune(self) {
        let created = self.created.clone();
        drop(self);
        for d in created {
            if std::fs::remove_dir(&d).is_err() {
                break;
            }
        }
    }
}

#[cfg(unix)]
fn same_dir(file: &File, dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(dir)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_dir(_file: &File, dir: &Path) -> bool {
    dir.is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn excludes_other_threads() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("a/b");
        let inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (d, inside) = (d.clone(), inside.clone());
                std::thread::spawn(move || {
                    let _l = DirLock::acquire(&d).unwrap();
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two holders at once"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }

    #[test]
    fn prune_removes_only_what_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let l = DirLock::acquire(&dir.path().join("x/y")).unwrap();
        assert!(l.created());
        l.release_and_prune();
        assert!(!dir.path().join("x").exists());
        assert!(dir.path().exists());
    }
}
