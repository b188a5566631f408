"use client";

import Link from "next/link";
import { useState } from "react";

import { useApi, asApiError } from "@/components/api-context";
import { ErrorBox, Loading } from "@/components/states";
import { type Alert, type AlertSummary, type ApiError, num, when } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

/** Where a cited item opens: its ``url`` (the API gives one only for a page on Reddit or the
 * replay's own site: common.fields.web_link) when that is a web page, else Reddit's page of a
 * permalink that is a path there; null for anything else. */
export function evidenceLink(url: string | null | undefined, permalink: string | null | undefined): string | null {
  try {
    const parsed = url ? new URL(url) : null;
    if (parsed && (parsed.protocol === "https:" || parsed.protocol === "http:")) return parsed.href;
  } catch {
    // not a URL: the permalink may still be one
  }
  const path = permalink && /^\/(?![\/\\])[^\\]*$/.test(permalink);
  return path ? `https://www.reddit.com${permalink}` : null;
}

/** One alert; "Evidence and history" loads GET /v1/alerts/{id} for its posts and its changes
 * (``shown``: already loaded, on the alert's own page, so they show from the start). */
export function AlertCard({ alert, shown }: { alert: AlertSummary; shown?: Alert }) {
  const api = useApi();
  const [detail, setDetail] = useState<Alert | ApiError | "loading" | null>(shown ?? null);

  async function toggle() {
    if (detail && detail !== "loading" && !(detail instanceof Error)) return setDetail(null); // shown: hide
    await load();
  }

  async function load() {
    setDetail("loading");
    try {
      setDetail(await api<Alert>("GET", `/v1/alerts/${encodeURIComponent(alert.alert_id)}`));
    } catch (error) {
      setDetail(asApiError(error));
    }
  }

  return (
    <article className="card alert-card" data-symbol={alert.symbol} data-kind={alert.kind} data-alert-id={alert.alert_id}>
      <div className="head">
        <Link className="symbol" href={`/tickers/${alert.symbol}`}>
          {alert.symbol}
        </Link>
        <span className={`badge ${alert.kind}`}>{alert.kind === "pump" ? "pump warning" : "organic"}</span>
        <span className="badge status">
          {alert.status}
          {alert.level > 1 ? ` · level ${alert.level}` : ""}
        </span>
        <span className="numbers">
          score {num(alert.score)} · pump risk {num(alert.pump_risk)} ·{" "}
          <Link className="permalink" href={`/alerts/${encodeURIComponent(alert.alert_id)}`} title="this alert's own page">
            opened {when(alert.opened_at)}
          </Link>
        </span>
      </div>
      {alert.reasons.length ? (
        <ul className="reasons">
          {alert.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : null}
      <BusyButton
        type="button"
        className="secondary details"
        onClick={toggle}
        busy={detail === "loading"}
        aria-expanded={!!detail && detail !== "loading" && !(detail instanceof Error)}
      >
        {detail && detail !== "loading" && !(detail instanceof Error) ? "Hide details" : "Evidence and history"}
      </BusyButton>
      {detail === "loading" ? <Loading what="the evidence" /> : null}
      {detail instanceof Error ? <ErrorBox error={detail} retry={load} /> : null}
      {detail && detail !== "loading" && !(detail instanceof Error) ? <AlertDetail alert={detail} /> : null}
    </article>
  );
}

function AlertDetail({ alert }: { alert: Alert }) {
  return (
    <div className="detail">
      <h2>Evidence</h2>
      {alert.evidence.length ? (
        <ul className="evidence">
          {alert.evidence.map((item) => (
            <li key={item.item_id}>
              {evidenceLink(item.url, item.permalink) ? (
                <a href={evidenceLink(item.url, item.permalink) ?? undefined} target="_blank" rel="noreferrer noopener">
                  {item.title || item.item_id}
                </a>
              ) : (
                <span>{item.title || item.item_id}</span> // nowhere safe to link: no web page, or not Reddit's
              )}{" "}
              <span className="numbers">
                r/{item.subreddit}
                {item.author ? ` · u/${item.author}` : ""} · {when(item.created_utc)}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="numbers">No posts cited.</p>
      )}
      <h2>History</h2>
      <div className="scroll">
        <table className="history">
          <thead>
            <tr>
              <th>when</th>
              <th>status</th>
              <th>level</th>
              <th>score</th>
              <th>pump risk</th>
            </tr>
          </thead>
          <tbody>
            {alert.history.map((change, i) => (
              <tr key={i}>
                <td>{when(change.at)}</td>
                <td>{change.status}</td>
                <td>{change.level ?? "—"}</td>
                <td>{num(change.score)}</td>
                <td>{num(change.pump_risk)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="numbers">
        rule {alert.rule || "—"} · config version {alert.config_version ?? "—"} · updated {when(alert.updated_at)}
      </p>
    </div>
  );
}
