//! The Lambda deadline as a budget: how long reading may take, and whether publishing can still
//! finish. Pure: the times come in as arguments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::core::settings::MAX_CONCURRENCY;

/// PutEvaluations takes at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;

/// How much time publishing is planned to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Time set aside for each PutEvaluations call.
    pub time_per_call: Duration,
    /// Kept free before the deadline for the error report itself.
    pub margin: Duration,
    /// PutEvaluations calls in flight at once.
    pub concurrency: usize,
}

impl Budget {
    /// The time publishing `evaluations` is planned to take, margin included: one call per 100
    /// evaluations, `concurrency` calls a round.
    pub fn publishing(&self, evaluations: usize) -> Duration {
        let calls = evaluations.div_ceil(MAX_EVALUATIONS_PER_CALL);
        let rounds = calls.div_ceil(self.concurrency.clamp(1, MAX_CONCURRENCY));
        self.time_per_call * u32::try_from(rounds).unwrap_or(u32::MAX) + self.margin
    }

    /// How long reading may take when `left` remains: enough is kept back to publish at least
    /// one call and report. Zero when even that does not fit.
    pub fn reading(&self, left: Duration) -> Duration {
        left.saturating_sub(self.publishing(1))
    }

    /// Whether `evaluations` can be published in the `left` time; Err with the time needed.
    pub fn check_publishing(&self, evaluations: usize, left: Duration) -> Result<(), Duration> {
        let needed = self.publishing(evaluations);
        if left < needed {
            Err(needed)
        } else {
            Ok(())
        }
    }
}

/// How long a rule that checks principals one by one (the permissions rule) may go on, from
/// now: until `publishing` (the time to send every principal's result) plus `margin` before the
/// deadline (`left` from now; None: no deadline), and within `configured`
/// (`CHECK_BUDGET_SECONDS`, counted from the invocation's start, `elapsed` ago). None: no limit.
pub fn checking_time(
    left: Option<Duration>,
    elapsed: Duration,
    configured: Option<Duration>,
    publishing: Duration,
    margin: Duration,
) -> Option<Duration> {
    let by_deadline = left.map(|left| left.saturating_sub(publishing + margin));
    let by_budget = configured.map(|budget| budget.saturating_sub(elapsed));
    by_deadline.into_iter().chain(by_budget).min()
}

/// The time left until the Lambda context's deadline (epoch milliseconds), seen at `now`. A
/// deadline that is not in the future is not a real one (0 when unset; cargo-lambda's emulator
/// sends a fixed 600000): None, as for no deadline.
pub fn time_left(deadline_epoch_ms: u64, now: SystemTime) -> Option<Duration> {
    let now_ms = now.duration_since(UNIX_EPOCH).ok()?.as_millis();
    let left_ms = u128::from(deadline_epoch_ms)
        .checked_sub(now_ms)
        .filter(|ms| *ms > 0)?;
    Some(Duration::from_millis(u64::try_from(left_ms).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_stops_in_time_to_publish_and_within_its_budget() {
        let s = SECOND;
        // (left, elapsed, configured, publishing, margin) -> time to check, in seconds.
        let table = [
            (None, 0, None, 10, 20, None),
            // 900 s Lambda, 5 s read: 895 left, less 10 to publish and 20 of margin.
            (Some(895), 5, None, 10, 20, Some(865)),
            (Some(895), 5, Some(60), 10, 20, Some(55)),
            (None, 5, Some(60), 10, 20, Some(55)),
            // The budget already spent, or the deadline too close: nothing to check.
            (None, 70, Some(60), 10, 20, Some(0)),
            (Some(25), 5, None, 10, 20, Some(0)),
        ];
        for (left, elapsed, configured, publishing, margin, expected) in table {
            assert_eq!(
                checking_time(
                    left.map(|l| l * s),
                    elapsed * s,
                    configured.map(|c| c * s),
                    publishing * s,
                    margin * s,
                ),
                expected.map(|e| e * s),
                "{left:?} {elapsed} {configured:?}"
            );
        }
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn budget(concurrency: usize) -> Budget {
        Budget {
            time_per_call: SECOND,
            margin: 2 * SECOND,
            concurrency,
        }
    }

    #[test]
    fn publishing_takes_one_slot_per_round_of_calls_plus_the_margin() {
        // (evaluations, concurrency, seconds): calls = ceil(n / 100), rounds = ceil(calls / c).
        let table = [
            (0, 4, 2),
            (1, 4, 3),
            (100, 4, 3),
            (101, 4, 3),
            (400, 4, 3),
            (401, 4, 4),
            (1500, 4, 6),
            (1500, 1, 17),
            (1500, 16, 3),
            (1500, 0, 17),
            (1500, 99, 3),
        ];
        for (evaluations, concurrency, seconds) in table {
            assert_eq!(
                budget(concurrency).publishing(evaluations),
                seconds * SECOND,
                "{evaluations} evaluations, {concurrency} at a time"
            );
        }
    }

    #[test]
    fn reading_keeps_back_one_call_and_the_margin() {
        let table = [(10, 7), (3, 0), (2, 0), (0, 0)];
        for (left, reading) in table {
            assert_eq!(
                budget(4).reading(left * SECOND),
                reading * SECOND,
                "{left} s left"
            );
        }
    }

    #[test]
    fn publishing_is_refused_when_less_time_is_left_than_it_needs() {
        // 1 500 evaluations, 8 at a time: 15 calls in 2 rounds, 2 s + 2 s of margin.
        let table = [
            (1500, 8, 5, Ok(())),
            (1500, 8, 4, Ok(())),
            (1500, 8, 3, Err(4 * SECOND)),
            (1, 4, 3, Ok(())),
            (1, 4, 2, Err(3 * SECOND)),
        ];
        for (evaluations, concurrency, left, expected) in table {
            assert_eq!(
                budget(concurrency).check_publishing(evaluations, left * SECOND),
                expected,
                "{evaluations} evaluations, {left} s left"
            );
        }
    }

    #[test]
    fn the_deadline_is_the_time_left_when_it_is_in_the_future() {
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let now_ms: u64 = 1_767_225_600_000;
        let table = [
            (now_ms + 300_000, Some(300 * SECOND)),
            (now_ms + 1, Some(Duration::from_millis(1))),
            (now_ms, None),
            (now_ms - 1_000, None),
            (0, None),
            (600_000, None),
        ];
        for (deadline, left) in table {
            assert_eq!(time_left(deadline, now), left, "deadline {deadline}");
        }
    }
}
