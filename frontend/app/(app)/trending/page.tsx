"use client";

import Link from "next/link";
import { useState } from "react";

import { useGet } from "@/components/api-context";
import { Empty, ErrorBox, Loading } from "@/components/states";
import { num, type Trending, when } from "@/lib/api";

const WINDOWS = ["1h", "6h", "24h"] as const;

/** The most discussed tickers in the window ending at the data's newest item, with what the
 * detector makes of each: the whole market's talk, where alerts are the few that broke out. */
export default function TrendingPage() {
  const [window, setWindow] = useState<(typeof WINDOWS)[number]>("24h");
  const [trending, reload] = useGet<Trending>("/v1/tickers/trending", { window, limit: 25 });

  return (
    <>
      <h1>Trending</h1>
      <form className="filters card" id="trending-window" onSubmit={(e) => e.preventDefault()}>
        <label>
          Window
          <select name="window" value={window} onChange={(e) => setWindow(e.target.value as (typeof WINDOWS)[number])}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </label>
      </form>
      {trending.state === "loading" ? <Loading what="trending tickers" /> : null}
      {trending.state === "error" ? <ErrorBox error={trending.error} retry={reload} /> : null}
      {trending.state === "ready" ? (
        trending.data.tickers.length ? (
          <>
            <p className="numbers">data as of {when(trending.data.now)}</p>
            <div className="scroll">
              <table id="trending" data-count={trending.data.tickers.length}>
                <thead>
                  <tr>
                    <th>ticker</th>
                    <th>mentions</th>
                    <th>authors</th>
                    <th>subreddits</th>
                    <th>score</th>
                    <th>pump risk</th>
                    <th>alert</th>
                  </tr>
                </thead>
                <tbody>
                  {trending.data.tickers.map((t) => (
                    <tr key={t.symbol} data-symbol={t.symbol}>
                      <td>
                        <Link href={`/tickers/${encodeURIComponent(t.symbol)}`}>{t.symbol}</Link>
                      </td>
                      <td>{t.mentions}</td>
                      <td>{t.window.distinct_authors}</td>
                      <td>{t.window.distinct_subreddits}</td>
                      <td>{num(t.score)}</td>
                      <td>{num(t.pump_risk)}</td>
                      <td>{t.alert_id ? <Link href={`/alerts/${encodeURIComponent(t.alert_id)}`}>latest</Link> : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : (
          <Empty>No ticker was mentioned in the last {window} of data.</Empty>
        )
      ) : null}
    </>
  );
}
