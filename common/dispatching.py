"""Fan-out planning for the scheduler tick (which subreddits, and when each is due), and its
silence checks: pure, so they are tested without services."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.detection.silence import quiet_from
from common.messages import MentionBatch, ScrapeTick, SubredditFetch

ACTIVE = ("open", "escalated")  # the alert statuses a silence may end
FETCH_TIMEOUT_S = 540.0  # fetch's timeout (terraform/functions.tf): a run sent longer ago is over
# What a run does after reading Reddit (extract, publish, store, save the cursor) must be done
# too before dispatch may send the subreddit again: the next run starts from the saved cursor.
AFTER_READING_S = 90.0
MIN_READING_S = 30.0  # less time than this to read Reddit: the run is left to the next one


def reading_time(sent_at: float | None, now: float, deadline_s: float) -> float:
    """How long a fetch sent at ``sent_at`` may read Reddit, starting ``now``: its deadline,
    cut so that the run is done where dispatch takes it to be over and may send the
    subreddit again. A copy still queued or retrying past that would read the same listings
    beside the new run, against Reddit's request budget; the next run reads on from the
    cursor, so what one leaves unread is not lost. Unknown ``sent_at``: the deadline."""
    if sent_at is None:
        return deadline_s
    return min(deadline_s, sent_at + FETCH_TIMEOUT_S - AFTER_READING_S - now)


def run_id_for(tick: ScrapeTick, message_id: str) -> str:
    """A redelivered tick keeps its Pub/Sub message id, so it maps to the same run."""
    return tick.run_id or f"tick-{message_id}"


def plan_fetches(
    run_id: str,
    subreddits: Iterable[str],
    config_version: int | None = None,
    sent_at: float | None = None,
    read_floor: float | None = None,
) -> list[SubredditFetch]:
    """One fetch per subreddit, each subreddit once (Reddit names are case-insensitive), all
    counted with the detection config ``config_version``, sent at ``sent_at`` with
    ``read_floor`` (:attr:`common.messages.SubredditFetch.read_floor`)."""
    seen: set[str] = set()
    plan: list[SubredditFetch] = []
    for name in subreddits:
        key = name.strip().lower()
        if key and key not in seen:
            seen.add(key)
            plan.append(
                SubredditFetch(
                    run_id=run_id,
                    subreddit=name.strip(),
                    config_version=config_version,
                    sent_at=sent_at,
                    read_floor=read_floor,
                )
            )
    return plan


UNSERVED_BEFORE_BACKOFF = 2  # runs in a row served no newest-first listing before a subreddit is sent less often


@dataclass(frozen=True)
class Cadence:
    """How often each subreddit is fetched (common.settings: FETCH_LISTING_FILL,
    FETCH_MIN_INTERVAL_S, FETCH_MAX_INTERVAL_S; the listing's cap is FETCH_MAX_POSTS).
    Reddit shows about 1,000 items of a listing; what a subreddit writes beyond that between
    two runs is lost for good (fetch reports it as unread), so a busy subreddit is fetched as
    often as its pace needs, and a quiet one no less often than the longest interval. A run
    still going is not doubled (``hold_s``: the fetch function's timeout, past which it is
    dead): two runs of a subreddit read the same listings twice, and a run slowed by Reddit's
    rate limit would only be slowed more."""

    listing_cap: int
    fill: float
    shortest_s: float
    longest_s: float
    hold_s: float

    def interval(self, pace: float, unserved_runs: int = 0) -> float:
        """Seconds between two fetches of a subreddit writing ``pace`` items a second (0.0:
        not measured yet, or too quiet to say) whose last ``unserved_runs`` runs in a row were
        served none of their newest-first listings (Reddit unavailable for them): from the
        second such run on, at least twice the shortest interval per such run, up to the
        longest. Reddit failing one subreddit run after run (its
        listings time out, three attempts each) would otherwise hold one of the few fetch
        slots nearly all the time, and the others' runs wait behind it; the first run Reddit
        serves again brings the subreddit back to its pace."""
        if pace <= 0:
            at_pace = self.longest_s
        else:
            at_pace = min(self.longest_s, max(self.shortest_s, self.fill * self.listing_cap / pace))
        if unserved_runs < UNSERVED_BEFORE_BACKOFF:
            return at_pace
        backed_off = self.shortest_s * 2.0 ** min(unserved_runs - 1, 16)
        return max(at_pace, min(self.longest_s, backed_off))


@dataclass(frozen=True)
class FetchState:
    """What dispatch knows of a subreddit's fetches: its pace and the last runs that saved its
    cursor (fetch's cursor), and when and in which run dispatch last sent it."""

    pace: float = 0.0
    saved_runs: frozenset[str] = frozenset()
    sent_at: float | None = None
    sent_run: str = ""
    unserved_runs: int = 0  # the cursor's: runs in a row Reddit served no newest-first listing


def known_state(sent_at: float | None, sent_run: str, paced: Mapping[str, Any] | None) -> FetchState | None:
    """A subreddit's state as dispatch's own record tells it, without reading its cursor: never
    sent (due at once), or sent by a run that has saved it since (``paced``: the run and the
    pace its cursor showed then, see :func:`learned`). None: only the cursor can tell.

    Only a run of the subreddit moves its pace, and dispatch starts those: between a run
    saving and the next send, the pace read once holds, so a tick need not read it again.
    A second save of that run (a redelivered copy of its fetch) goes unseen until the next
    send, at most the longest interval later, as does a burst that begins just after a
    run: the cadence learns a pace only by fetching."""
    if sent_at is None:
        return FetchState()
    pace, unserved = (paced or {}).get("pace"), (paced or {}).get("unserved")
    if not sent_run or (paced or {}).get("run") != sent_run or not isinstance(pace, int | float):
        return None
    return FetchState(
        pace=float(pace),
        saved_runs=frozenset({sent_run}),
        sent_at=sent_at,
        sent_run=sent_run,
        unserved_runs=int(unserved) if isinstance(unserved, int | float) else 0,
    )


def learned(sent_run: str, state: FetchState) -> dict[str, Any] | None:
    """What to keep of a cursor just read (``state``: its pace and runs) for :func:`known_state`:
    the pace, once the run that was sent has saved it. None: nothing final yet."""
    if sent_run and sent_run in state.saved_runs:
        return {"run": sent_run, "pace": state.pace, "unserved": state.unserved_runs}
    return None


# Cloud Scheduler publishes a tick a few seconds either side of its minute: a subreddit due
# within half a tick of now is fetched by this tick, not held back a whole one.
TICK_SLACK_S = 30.0


def due(subreddits: Iterable[str], cadence: Cadence, states: Mapping[str, FetchState], *, now: float) -> list[str]:
    """The subreddits a tick at ``now`` fetches, in the order given: each one never sent, and
    each whose interval at its pace has passed since it was, unless the run sent then has not
    saved its cursor yet and may still be going. ``states``: by lower-case name."""

    def is_due(name: str) -> bool:
        state = states.get(name.lower(), FetchState())
        if state.sent_at is None:
            return True
        waited = now - state.sent_at
        going = bool(state.sent_run) and state.sent_run not in state.saved_runs and waited < cadence.hold_s
        return not going and waited >= cadence.interval(state.pace, state.unserved_runs) - TICK_SLACK_S

    return [s for s in subreddits if is_due(s)]


# Items may reach a subreddit's listings this long after their creation and still be read
# (a comment held for approval, a tree re-read), a late comment only while about a page of
# newer ones stands before it (docs/architecture.md); a silence check trusts the counts
# only this far behind the slowest subreddit's cursor.
SETTLE_S = 3600.0


def read_floor(read_through: Mapping[str, float | None]) -> float | None:
    """The furthest any subreddit has been read whole (its cursor's ``read_through``): a run
    sent after that read had saved shows everything written before it."""
    return max((t for t in read_through.values() if t), default=None)


def settled_until(read_through: Mapping[str, float | None], margin_s: float = SETTLE_S) -> float | None:
    """The data time before which every subreddit's items have been read and their mentions
    published: the slowest subreddit's ``read_through`` (its cursor's: subreddit -> data
    time), less ``margin_s``. None while any subreddit has not been read whole yet (a silence
    there would be no silence) or none has shown an item; a subreddit that has shown nothing
    (0.0) holds nothing back."""
    if any(t is None for t in read_through.values()):
        return None
    shown = [t for t in read_through.values() if t]
    return min(shown) - margin_s if shown else None


def silence_checks(
    alerts: Iterable[Mapping[str, Any]], settled: float, *, config_version: int | None = None
) -> list[MentionBatch]:
    """One silence check per ticker whose active alert would have ended by ``settled`` if its
    ticker fell silent after the alert's last update (the check's counts then say whether it
    did), named by ``settled``: a check delivered twice is decided the same."""
    due = {
        str(a["symbol"])
        for a in alerts
        if a.get("symbol")
        and a.get("status") in ACTIVE
        and quiet_from(float(a.get("updated_at") or 0.0), str(a.get("rule") or ""), ()) <= settled
    }
    return [MentionBatch(ticker=t, silence_check=settled, config_version=config_version) for t in sorted(due)]
