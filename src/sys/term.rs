//! The size of the terminal on standard output (`TIOCGWINSZ`). Kernel I/O
//! (one ioctl).

/// Columns and rows of a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cols: u16,
    pub rows: u16,
}

/// The terminal size of stdout; `None` when it is no terminal (a pipe, a
/// file) or the kernel reports zero rows or columns.
pub fn stdout_size() -> Option<Size> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid, exclusively
    // borrowed `ws`; fd 1 is only queried.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_row > 0 && ws.ws_col > 0).then_some(Size {
        cols: ws.ws_col,
        rows: ws.ws_row,
    })
}
