"""What the newcomer watches: a progress bar in data time with running counts, one line per
alert as it fires, and the final table. ``rich`` draws the live bar on a terminal and falls
back to plain lines elsewhere (CI logs), where a status line every tenth of the way stands
in for the bar."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from demo import labels as lbl


def data_time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


@dataclass
class AlertRow:
    """One alert as the demo reports it (from ``alerts/{id}`` and the corpus labels)."""

    alert_id: str
    symbol: str
    kind: str
    status: str
    level: int
    rule: str
    score: float  # the latest evaluation's, as the API shows it
    peak_score: float  # the episode's highest
    pump_risk: float
    opened_at: float | None
    label: lbl.Label | None
    lead_h: float | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any], labels: list[lbl.Label]) -> "AlertRow":
        opened = doc.get("opened_at")
        opened_at = float(opened) if isinstance(opened, int | float) else None
        symbol = str(doc.get("symbol") or doc.get("ticker") or "?")
        label = lbl.match(labels, symbol, opened_at) if opened_at is not None else None
        return cls(
            alert_id=str(doc.get("alert_id") or ""),
            symbol=symbol,
            kind=str(doc.get("kind") or "?"),
            status=str(doc.get("status") or "?"),
            level=int(doc.get("level") or 1),
            rule=str(doc.get("rule") or "?"),
            score=float(doc.get("score") or 0.0),
            peak_score=float(doc.get("peak_score") or doc.get("score") or 0.0),
            pump_risk=float(doc.get("pump_risk") or 0.0),
            opened_at=opened_at,
            label=label,
            lead_h=lbl.lead_hours(label, opened_at) if opened_at is not None else None,
        )

    def lead_text(self) -> str:
        if self.label is None or self.lead_h is None:
            return "unlabelled"
        when = "before" if self.lead_h >= 0 else "after"
        return f"{abs(self.lead_h):.1f} h {when} peak ({self.label.scenario})"


class Display:
    def __init__(self, total_s: float, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        if not self.console.is_terminal:
            self.console.width = max(self.console.width, 140)  # CI logs: room for the table
        self.live = self.console.is_terminal
        self.total_s = max(total_s, 1.0)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=32),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("items [cyan]{task.fields[items]:>6}[/] · mentions [cyan]{task.fields[mentions]:>6}[/]"),
            TextColumn("· alerts [red]{task.fields[alerts]:>3}[/]"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.live,
        )
        self.task = self.progress.add_task("starting", total=self.total_s, items=0, mentions=0, alerts=0)
        self._next_plain = 0.0

    def __enter__(self) -> "Display":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start_replay(self, total_s: float) -> None:
        """The replay's length in data seconds, known once the corpus is read: the bar counts
        from here, so stack setup is neither in its percentage nor in its clock."""
        self.total_s = max(total_s, 1.0)
        self.progress.reset(self.task, total=self.total_s, completed=0)

    def say(self, text: str) -> None:
        self.progress.console.print(text)

    def update(self, done_s: float, now: float, counts: dict[str, Any], alerts: int) -> None:
        self.progress.update(
            self.task,
            completed=min(done_s, self.total_s),
            description=f"data time {data_time(now)}",
            items=counts["items"],
            mentions=counts["mentions"],
            alerts=alerts,
        )
        fraction = done_s / self.total_s
        if not self.live and fraction >= self._next_plain:
            self._next_plain = fraction + 0.1
            self.say(
                f"[{fraction:4.0%}] data time {data_time(now)} · items {counts['items']} · "
                f"mentions {counts['mentions']} · alerts {alerts}"
            )

    def status(self, text: str) -> None:
        """Replace the bar's description (e.g. while detection catches up)."""
        self.progress.update(self.task, description=text)

    def alert_fired(self, row: AlertRow, event: dict[str, Any]) -> None:
        style = "yellow" if row.kind == "pump" else "red"
        status = str(event.get("status") or row.status)
        self.say(
            f"[{style}]ALERT[/] {data_time(event.get('as_of') or row.opened_at)}  [bold]{row.symbol:<6}[/] "
            f"{row.kind:<7} {status:<9} {row.rule:<20} score now {row.score:5.2f} (peak {row.peak_score:5.2f})  "
            f"pump risk {row.pump_risk:4.2f}  "
            f"{row.lead_text()}"
        )

    def table(self, rows: list[AlertRow], unfound: lbl.Unfound) -> None:
        table = Table(title="Alerts", title_justify="left", header_style="bold")
        for name, justify in (
            ("symbol", "left"),
            ("kind", "left"),
            ("status", "left"),
            ("rule", "left"),
            ("score now", "right"),
            ("peak", "right"),
            ("pump risk", "right"),
            ("opened (data time)", "left"),
            ("labelled scenario", "left"),
            ("lead time", "right"),
        ):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in sorted(rows, key=lambda r: (r.opened_at or 0.0, r.symbol)):
            lead = "—" if r.lead_h is None else f"{r.lead_h:+.1f} h"
            table.add_row(
                r.symbol,
                r.kind,
                f"{r.status} L{r.level}",
                r.rule,
                f"{r.score:.2f}",
                f"{r.peak_score:.2f}",
                f"{r.pump_risk:.2f}",
                data_time(r.opened_at),
                r.label.scenario if r.label else "—",
                lead,
            )
        self.console.print(table)
        for labels, what in (
            (unfound.missed, "labelled but not alerted"),
            (unfound.unreached, "labelled but not reached (the replay stopped before their peak)"),
            (unfound.undecided, "labelled but not decided yet (detection was still behind when the wait stopped)"),
        ):
            if labels:
                self.console.print(f"{what}: " + ", ".join(f"{m.ticker} ({m.scenario})" for m in labels))
        self.console.print("lead time: hours between the alert opening and the labelled peak (+ = before the peak)")
        self.console.print(
            "score: how far the spike clears both bars (1 = volume ratio and surprise just met); now = latest, "
            "peak = the episode's highest; pump risk 0..1 (>= the configured limit: flagged as a pump)"
        )
