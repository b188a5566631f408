import type { AlertSummary, HourPoint } from "@/lib/api";

/** The stored buckets are the hours with mentions: an hour without one is a zero, not a gap to
 * draw across, from the range's start (a ticker first named ten hours ago had 158 quiet ones). */
function everyHour(stored: HourPoint[], start: number, end: number): { start_utc: number; mentions: number }[] {
  if (stored.length === 0) return [];
  const counts = new Map(stored.map((h) => [h.start_utc, h.mentions]));
  const first = Math.min(Math.ceil(start / 3600) * 3600, ...stored.map((h) => h.start_utc));
  const last = Math.max(end, ...stored.map((h) => h.start_utc));
  const hours = [];
  for (let t = first; t <= last; t += 3600) hours.push({ start_utc: t, mentions: counts.get(t) ?? 0 });
  return hours;
}

const W = 720;
const H = 240;
const PAD = { left: 36, right: 10, top: 10, bottom: 24 };

/**
 * Hourly mentions against the detector's current baseline (mentions per hour it expects), with a
 * mark at each alert's opening hour. Plain SVG: one path, one line, a few marks.
 */
export function MentionsChart({
  stored,
  start,
  end,
  baseline,
  alerts,
}: {
  stored: HourPoint[];
  start: number;
  end: number;
  baseline?: number | null;
  alerts: AlertSummary[];
}) {
  const hours = everyHour(stored, start, end);
  if (hours.length === 0) return null;
  const t0 = hours[0].start_utc;
  const t1 = Math.max(hours[hours.length - 1].start_utc, t0 + 3600);
  const top = Math.max(1, baseline ?? 0, ...hours.map((h) => h.mentions)) * 1.1;
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const path = hours.map((h, i) => `${i ? "L" : "M"}${x(h.start_utc).toFixed(1)},${y(h.mentions).toFixed(1)}`).join(" ");
  const marks = alerts.filter((a) => a.opened_at && a.opened_at >= t0 && a.opened_at <= t1 + 3600);
  const ticks = [...new Set([0, 0.5, 1].map((f) => Math.round(top * f)))]; // a low top rounds two to one value
  return (
    <figure>
      <svg className="chart" id="mentions-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="hourly mentions" data-points={hours.length} data-marks={marks.length}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#eef1f4" />
            <text x={PAD.left - 4} y={y(v) + 4} fontSize="11" textAnchor="end" fill="#5d6b7e">
              {v}
            </text>
          </g>
        ))}
        {baseline != null ? (
          <line className="baseline" x1={PAD.left} x2={W - PAD.right} y1={y(baseline)} y2={y(baseline)} stroke="#5d6b7e" strokeDasharray="5 4" />
        ) : null}
        {marks.map((a) => (
          <line key={a.alert_id} className="alert-mark" x1={x(a.opened_at!)} x2={x(a.opened_at!)} y1={PAD.top} y2={H - PAD.bottom} stroke={a.kind === "pump" ? "#cf222e" : "#1a7f37"} strokeWidth="2">
            <title>{`${a.kind} alert, score ${a.score.toFixed(2)}`}</title>
          </line>
        ))}
        <path d={path} fill="none" stroke="#1f6feb" strokeWidth="2" />
        <text x={PAD.left} y={H - 6} fontSize="11" fill="#5d6b7e">
          {new Date(t0 * 1000).toISOString().slice(5, 13).replace("T", " ")}h
        </text>
        <text x={W - PAD.right} y={H - 6} fontSize="11" fill="#5d6b7e" textAnchor="end">
          {new Date(t1 * 1000).toISOString().slice(5, 13).replace("T", " ")}h UTC
        </text>
      </svg>
      <figcaption className="legend">
        <span className="mentions">mentions per hour</span>
        <span className="baseline">baseline now</span>
        <span className="mark">alert opened</span>
      </figcaption>
    </figure>
  );
}
