//! The plan's observer: `--explain` lines on stderr and, only in builds
//! with the `test-hooks` feature, injected failures and stops. Writes
//! stderr; sleeps for a stop.

#[cfg(feature = "test-hooks")]
use std::io::{self, Write};
use std::time::Duration;

use crate::cni::plan::{ExplainCtx, Observer, Step, StepError};

use super::Plugin;

/// How long the stop hook waits at most unless told otherwise.
pub(super) const STOP_HOOK_LIMIT: Duration = Duration::from_secs(300);

/// The failure-injection hooks: read from the environment only in builds
/// with the `test-hooks` feature; every other build ignores the variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Faults {
    pub(super) fail_at: Option<usize>,
    pub(super) stop_at: Option<usize>,
    /// How long a stop lasts before ADD goes on (never forever).
    pub(super) stop_for: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_at: None,
            stop_at: None,
            stop_for: STOP_HOOK_LIMIT,
        }
    }
}

impl Faults {
    /// The hooks as the variables `get` looks up ask for.
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    fn from_vars(get: impl Fn(&str) -> Option<String>) -> Faults {
        let num = |k: &str| get(k)?.trim().parse::<usize>().ok();
        Faults {
            fail_at: num("PODNET_CNI_FAIL_AT_STEP"),
            stop_at: num("PODNET_CNI_STOP_AT_STEP"),
            stop_for: num("PODNET_CNI_STOP_SECONDS")
                .map(|s| Duration::from_secs(s as u64).min(STOP_HOOK_LIMIT))
                .unwrap_or(STOP_HOOK_LIMIT),
        }
    }

    /// This build's hooks: none unless built with `test-hooks`.
    pub(super) fn of_this_build() -> Faults {
        #[cfg(feature = "test-hooks")]
        {
            Faults::from_vars(|k| std::env::var(k).ok())
        }
        #[cfg(not(feature = "test-hooks"))]
        {
            Faults::default()
        }
    }
}

/// Prints steps and injects faults (see the module docs).
pub(super) struct Hooks {
    pub(super) explain: Option<ExplainCtx>,
    pub(super) faults: Faults,
}

impl Observer for Hooks {
    fn before(&mut self, n: usize, step: &Step) -> Result<(), StepError> {
        if let Some(ctx) = &self.explain {
            for line in step.action.explain(ctx) {
                eprintln!("+ {line}");
            }
        }
        self.faults.before(n)
    }

    fn after(&mut self, n: usize, _step: &Step, _changed: bool) {
        self.faults.after(n);
    }
}

#[cfg(feature = "test-hooks")]
impl Faults {
    /// PODNET_CNI_FAIL_AT_STEP: fail before step `n`.
    fn before(&self, n: usize) -> Result<(), StepError> {
        if self.fail_at == Some(n) {
            return Err(StepError::new(format!(
                "injected failure before step {n} (PODNET_CNI_FAIL_AT_STEP)"
            )));
        }
        Ok(())
    }

    /// PODNET_CNI_STOP_AT_STEP: stop after step `n`, for `stop_for` at most.
    fn after(&self, n: usize) {
        if self.stop_at == Some(n) {
            let limit = self.stop_for;
            eprintln!(
                "podnet: stopped after step {n} (PODNET_CNI_STOP_AT_STEP); waiting to be killed (at most {}s)",
                limit.as_secs()
            );
            let _ = io::stderr().flush();
            std::thread::sleep(limit);
            eprintln!(
                "podnet: nobody killed the stopped ADD in {}s: going on",
                limit.as_secs()
            );
        }
    }
}

/// Without `test-hooks` the faults are never injected (nor compiled in).
#[cfg(not(feature = "test-hooks"))]
impl Faults {
    fn before(&self, _n: usize) -> Result<(), StepError> {
        Ok(())
    }

    fn after(&self, _n: usize) {}
}

impl Plugin<'_> {
    /// The observer of this invocation's plans.
    pub(super) fn hooks(&self) -> Hooks {
        Hooks {
            explain: self.explain.then(|| ExplainCtx {
                container_netns: self.inv.netns.clone(),
            }),
            faults: Faults::of_this_build(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::plan::Action;

    fn vars(k: &str) -> Option<String> {
        match k {
            "PODNET_CNI_FAIL_AT_STEP" => Some("3".into()),
            "PODNET_CNI_STOP_AT_STEP" => Some(" 5 ".into()),
            "PODNET_CNI_STOP_SECONDS" => Some("99999".into()),
            _ => None,
        }
    }

    #[test]
    fn fault_hooks_exist_only_with_the_test_hooks_feature() {
        let f = Faults::from_vars(vars);
        assert_eq!(f.fail_at, Some(3));
        assert_eq!(f.stop_at, Some(5));
        assert_eq!(f.stop_for, STOP_HOOK_LIMIT, "a stop is bounded");
        // without the feature, the hooks are these whatever the environment says
        let none = Faults::default();
        assert_eq!((none.fail_at, none.stop_at), (None, None));
        // `cargo test` builds podnet with the feature (the self dev-dependency)
        const { assert!(cfg!(feature = "test-hooks")) };
    }

    #[test]
    fn a_stop_hook_ends_by_itself() {
        let mut h = Hooks {
            explain: None,
            faults: Faults {
                stop_at: Some(1),
                stop_for: Duration::from_millis(10),
                ..Faults::default()
            },
        };
        let step = Step::plain(Action::ReserveAddresses {
            source: String::new(),
        });
        h.after(1, &step, true); // returns: the ADD goes on
        assert!(h.before(2, &step).is_ok());
    }
}
