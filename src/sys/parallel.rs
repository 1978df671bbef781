//! Runs independent work on a few scoped threads (no I/O of its own): the
//! /proc scan and per-process file reads of a large node, and jobs that
//! enter a namespace each on a fresh helper thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` over `items` on up to `workers` threads, results in the items' order.
/// A worker's panic is the caller's, as when `f` runs on its own thread:
/// results are paired with items by position, so a lost chunk must never
/// shift the others onto the wrong items.
pub fn map<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = workers.clamp(1, items.len().max(1));
    if workers == 1 || items.len() < 64 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// `job(i)` for every `i < n` on up to `threads` fresh helper threads, each
/// taking the next index when it is done with one; results in index order,
/// `None` where a job's thread died. No job runs on the caller's thread, so
/// a job may move its thread into another namespace.
pub fn each_index<R: Send>(
    n: usize,
    threads: usize,
    job: impl Fn(usize) -> R + Sync,
) -> Vec<Option<R>> {
    let slots: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = slots.get(i) else { break };
                    let r = job(i);
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let v: Vec<u32> = (0..1000).collect();
        assert_eq!(
            super::map(&v, 3, |x| x * 2),
            v.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert_eq!(super::map(&v[..5], 8, |x| *x), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_panicking_worker_panics_the_caller_instead_of_shifting_results() {
        let v: Vec<u32> = (0..200).collect();
        let r = std::panic::catch_unwind(|| {
            super::map(&v, 4, |x| {
                assert!(*x != 10, "worker fails on item 10");
                *x
            })
        });
        assert!(
            r.is_err(),
            "results came back without item 10's chunk: {r:?}"
        );
    }

    #[test]
    fn each_index_keeps_order_and_never_uses_the_callers_thread() {
        let me = std::thread::current().id();
        let out = super::each_index(100, 3, |i| (i * 2, std::thread::current().id() != me));
        assert_eq!(out.len(), 100);
        for (i, r) in out.into_iter().enumerate() {
            assert_eq!(r, Some((i * 2, true)));
        }
        assert!(super::each_index(0, 4, |i| i).is_empty());
    }
}
