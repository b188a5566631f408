"use client";

import Link from "next/link";
import { useState } from "react";

import { useGet } from "@/components/api-context";
import { Empty, ErrorBox, Loading } from "@/components/states";
import { num, type Trending, when } from "@/lib/api";

// The API counts whole clock hours of data, the newest one so far included.
const WINDOWS = [
  ["1h", "this hour so far"],
  ["6h", "the last 6 clock hours"],
  ["24h", "the last 24 clock hours"],
] as const;
type Window = (typeof WINDOWS)[number][0];

/** The most discussed tickers in the window ending at the data's newest item, with what the
 * detector makes of each: the whole market's talk, where alerts are the few that broke out. */
export default function TrendingPage() {
  const [window, setWindow] = useState<Window>("24h");
  const [trending, reload] = useGet<Trending>("/v1/tickers/trending", { window, limit: 25 });

  return (
    <>
      <h1>Trending</h1>
      <form className="filters card" id="trending-window" onSubmit={(e) => e.preventDefault()}>
        <label>
          Window
          <select name="window" value={window} onChange={(e) => setWindow(e.target.value as Window)}>
            {WINDOWS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
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
            <p className="numbers">
              data as of {when(trending.data.now)}. Mentions are counted in the hours chosen; authors and subreddits
              (*) in the same span ending at the ticker&apos;s own latest mention.
            </p>
            <div className="scroll">
              <table id="trending" data-count={trending.data.tickers.length}>
                <thead>
                  <tr>
                    <th>ticker</th>
                    <th>mentions</th>
                    <th>authors*</th>
                    <th>subreddits*</th>
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
          <Empty>No ticker was mentioned in {WINDOWS.find(([value]) => value === window)?.[1]} of data.</Empty>
        )
      ) : null}
    </>
  );
}
