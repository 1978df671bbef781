//! I/O errors that say what failed and keep the kernel's errno, so a
//! permission error still earns its hint after being worded. No I/O.

use std::fmt;
use std::io;

/// What failed, and the error it failed with.
#[derive(Debug)]
struct Context {
    what: String,
    source: io::Error,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for Context {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `e` worded as `what: e`, of the same kind, its errno still readable by [`errno`].
pub fn context(e: impl Into<io::Error>, what: impl fmt::Display) -> io::Error {
    let source: io::Error = e.into();
    io::Error::new(
        source.kind(),
        Context {
            what: what.to_string(),
            source,
        },
    )
}

/// The errno of `e`, through any [`context`] wrapped around it.
pub fn errno(e: &io::Error) -> Option<i32> {
    e.raw_os_error().or_else(|| {
        let inner = e.get_ref()?.downcast_ref::<Context>()?;
        errno(&inner.source)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_errno_survives_any_number_of_contexts_and_the_words_read_as_before() {
        let e = context(
            io::Error::from_raw_os_error(libc::EPERM),
            "setns /run/netns/a",
        );
        let e = context(e, "enter pod default/a");
        assert_eq!(errno(&e), Some(libc::EPERM));
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            e.to_string(),
            format!(
                "enter pod default/a: setns /run/netns/a: {}",
                io::Error::from_raw_os_error(libc::EPERM)
            )
        );
        assert_eq!(errno(&io::Error::other("no errno")), None);
    }
}
