//! Creating and deleting pod network namespaces the way containerd does
//! (kernel and file I/O): a helper thread unshares a new network namespace
//! and bind-mounts its nsfs file onto `<dir>/<name>` (e.g.
//! `/run/netns/cni-<uuid>`), then exits; the bind mount keeps the namespace
//! alive. Deleting unmounts and unlinks; the namespace dies with its last
//! holder.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};

use super::io_context::context as ctx;

/// The default directory of named network namespaces.
pub const DEFAULT_NETNS_DIR: &str = "/run/netns";

/// Makes `dir` a shared mount point, as `ip netns add` does (binding it
/// onto itself first if it is a plain directory). Without this, a later
/// `ip netns add` rebinds the directory over podnet's mounts, which then
/// can no longer be removed (unlink gives EBUSY).
pub fn ensure_shared_dir(dir: &Path) -> io::Result<()> {
    let shared = || {
        mount(
            None::<&str>,
            dir,
            None::<&str>,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL) => {
            mount(
                Some(dir),
                dir,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| ctx(e, format!("mount --bind {0} {0}", dir.display())))?;
            shared().map_err(|e| ctx(e, format!("mount --make-shared {}", dir.display())))
        }
        Err(e) => Err(ctx(e, format!("mount --make-shared {}", dir.display()))),
    }
}

/// Creates `<dir>/<name>` holding a new, empty network namespace.
pub fn create(dir: &Path, name: &str) -> io::Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid netns name {name:?}"),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| ctx(e, format!("mkdir {}", dir.display())))?;
    ensure_shared_dir(dir)?;
    let path = dir.join(name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(&path)
        .map_err(|e| ctx(e, format!("create {}", path.display())))?;
    let target = path.clone();
    let joined = std::thread::Builder::new()
        .name("podnet-netns-new".into())
        .spawn(move || -> io::Result<()> {
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| ctx(e, "unshare(CLONE_NEWNET)"))?;
            let own = format!("/proc/self/task/{}/ns/net", nix::unistd::gettid());
            mount(
                Some(own.as_str()),
                &target,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| ctx(e, format!("mount --bind {own} {}", target.display())))
        })
        .map_err(|e| ctx(e, "spawn a thread"))?
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the netns thread panicked")));
    if let Err(e) = joined {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Whether `path` is an nsfs bind mount (a live namespace handle).
pub fn is_nsfs(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
}

/// Unmounts and removes a namespace bind mount; a missing path or a file
/// that is no longer mounted is fine. `Ok(true)` if something was removed.
pub fn delete(path: &Path) -> io::Result<bool> {
    let mut removed = false;
    if is_nsfs(path) {
        match umount2(path, MntFlags::MNT_DETACH) {
            Ok(()) => removed = true,
            Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
            Err(e) => return Err(ctx(e, format!("umount {}", path.display()))),
        }
    }
    match std::fs::remove_file(path) {
        Ok(()) => removed = true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ctx(e, format!("remove {}", path.display()))),
    }
    Ok(removed)
}
