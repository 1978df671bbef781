//! The bricks of every trace hop: a hop with its verdict, and how a link's
//! state and counters read in a hop's detail. No I/O.

use crate::model::netns::LinkStats;
use crate::model::trace::{Cause, Direction, Hop, HopStatus};
use crate::model::{Interface, OperState};

/// A hop with no index yet (numbered when the report is assembled).
pub fn hop(
    at: &str,
    inode: u64,
    step: String,
    detail: String,
    blocked: Option<(HopStatus, Cause, String)>,
) -> Hop {
    let (status, cause, reason) = match blocked {
        Some((s, c, r)) => (s, Some(c), Some(r)),
        None => (HopStatus::Ok, None, None),
    };
    Hop {
        index: 0,
        direction: Direction::Request,
        at: at.into(),
        netns_inode: Some(inode),
        step,
        detail,
        status,
        reason,
        cause,
    }
}

pub fn blocked(cause: Cause, reason: String) -> Option<(HopStatus, Cause, String)> {
    Some((HopStatus::Blocked, cause, reason))
}

pub fn counters(s: Option<LinkStats>) -> String {
    match s {
        Some(s) => format!(
            "tx {} pkts ({} dropped), rx {} pkts ({} dropped)",
            s.tx_packets, s.tx_dropped, s.rx_packets, s.rx_dropped
        ),
        None => "no counters".into(),
    }
}

pub fn link_state(i: &Interface) -> String {
    format!(
        "{} ({}{})",
        i.name,
        i.oper_state,
        if i.admin_up { "" } else { ", admin down" }
    )
}

pub fn is_up(i: &Interface) -> bool {
    i.admin_up && matches!(i.oper_state, OperState::Up | OperState::Unknown)
}
