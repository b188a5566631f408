"use client";

import Link from "next/link";
import { useParams } from "next/navigation";

import { AlertCard } from "@/components/alert-card";
import { useGet } from "@/components/api-context";
import { MentionsChart } from "@/components/mentions-chart";
import { Empty, ErrorBox, Loading } from "@/components/states";
import { type AlertPage, type History, num, type Ticker, when } from "@/lib/api";

const HOURS = 168;
const ALERTS = 50; // the most recently updated; the alerts page pages through the rest
const WINDOWS = ["1h", "6h", "24h", "7d"]; // the summary's windows (common/windows.py, common/metrics.py)
const WINDOW_ROWS: [keyof Ticker["windows"][string], string, number][] = [
  ["mentions", "mentions", 0],
  ["posts", "posts", 0],
  ["comments", "comments", 0],
  ["distinct_authors", "distinct authors", 0],
  ["distinct_subreddits", "subreddits", 0],
  ["author_diversity", "author diversity", 2],
  ["new_account_share", "new-account share", 2],
  ["duplicate_share", "duplicate share", 2],
];

export default function TickerPage() {
  const symbol = String(useParams<{ symbol: string }>().symbol).toUpperCase();
  const base = `/v1/tickers/${encodeURIComponent(symbol)}`;
  const [ticker, reloadTicker] = useGet<Ticker>(base);
  const [history, reloadHistory] = useGet<History>(`${base}/history`, { hours: HOURS });
  const [alerts, reloadAlerts] = useGet<AlertPage>("/v1/alerts", { symbol, limit: ALERTS });
  // One outage (a 503, a 429) fails all three requests: trying again asks for all three.
  const reloadAll = () => {
    reloadTicker();
    reloadHistory();
    reloadAlerts();
  };

  if (ticker.state === "loading") return <Loading what={symbol} />;
  if (ticker.state === "error") {
    return (
      <>
        <h1>{symbol}</h1>
        {ticker.error.code === "no_data_yet" || ticker.error.code === "unknown_symbol" ? (
          <Empty>{ticker.error.message}</Empty>
        ) : (
          <ErrorBox error={ticker.error} retry={reloadAll} />
        )}
      </>
    );
  }
  const t = ticker.data;
  const d = t.detection ?? {};
  const windows = WINDOWS.filter((w) => w in t.windows); // shortest first, whatever order the stored map has
  const alertList = alerts.state === "ready" ? alerts.data.alerts : [];
  return (
    <>
      <h1 id="ticker-symbol">{t.symbol}</h1>
      <p className="numbers">
        data as of {when(t.as_of)} · velocity {num(t.velocity, 1)}/h · acceleration {num(t.acceleration, 1)}
      </p>
      <h2>Hourly mentions, last {HOURS} h of data</h2>
      {history.state === "loading" ? <Loading what="history" /> : null}
      {history.state === "error" ? <ErrorBox error={history.error} retry={reloadHistory} /> : null}
      {history.state === "ready" ? (
        history.data.hours.length ? (
          <>
            <MentionsChart stored={history.data.hours} start={history.data.start_utc} end={history.data.end_utc} baseline={d.baseline_1h} alerts={alertList} />
            {!history.data.complete ? <p className="numbers">Older hours are not available from {history.data.source}.</p> : null}
          </>
        ) : (
          <Empty>No hourly data in this range.</Empty>
        )
      ) : null}
      <h2>Detection</h2>
      <div className="scroll">
        <table id="detection">
          <tbody>
            <tr><th>status</th><td>{d.status ?? "—"}</td></tr>
            <tr><th>score</th><td>{num(d.score)}</td></tr>
            <tr><th>pump risk</th><td>{num(d.pump_risk)}</td></tr>
            <tr><th>ratio to baseline</th><td>{num(d.ratio, 1)}</td></tr>
            <tr><th>surprise</th><td>{num(d.surprise, 1)}</td></tr>
            <tr><th>baseline (mentions / h)</th><td>{num(d.baseline_1h, 1)}</td></tr>
            <tr><th>decided at</th><td>{when(d.as_of)} · config v{d.config_version ?? "—"}</td></tr>
          </tbody>
        </table>
      </div>
      <h2>Windows</h2>
      {windows.length ? (
        <div className="scroll">
          <table id="windows">
            <thead>
              <tr>
                <th />
                {windows.map((w) => (
                  <th key={w}>{w}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {WINDOW_ROWS.map(([field, label, digits]) => (
                <tr key={field}>
                  <th>{label}</th>
                  {windows.map((w) => (
                    <td key={w}>{num(t.windows[w][field], digits)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty>No windows yet.</Empty>
      )}
      <h2>Alerts for {t.symbol}</h2>
      {alerts.state === "loading" ? <Loading what="alerts" /> : null}
      {alerts.state === "error" ? <ErrorBox error={alerts.error} retry={reloadAlerts} /> : null}
      {alerts.state === "ready" && alertList.length === 0 ? <Empty>No alerts for {t.symbol}.</Empty> : null}
      {alerts.state === "ready" && alerts.data.next_cursor ? (
        <p className="numbers" id="more-alerts">
          The {ALERTS} most recently updated alerts; <Link href={`/alerts?symbol=${encodeURIComponent(t.symbol)}`}>all alerts for {t.symbol}</Link>.
        </p>
      ) : null}
      {alertList.map((alert) => (
        <AlertCard key={alert.alert_id} alert={alert} />
      ))}
    </>
  );
}
