"use client";

import Link from "next/link";
import { useRef, useState } from "react";

import { asApiError, useApi, useGet } from "@/components/api-context";
import { Empty, ErrorBox, Loading } from "@/components/states";
import { asSymbol, type ApiError } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

interface Watchlist {
  symbols: string[];
}

/** Add and remove symbols; the API decides what a symbol is (404 unknown, 422 malformed) and we show its word. */
export default function WatchlistPage() {
  const api = useApi();
  const [loaded, reload] = useGet<Watchlist>("/v1/me/watchlist");
  const [symbols, setSymbols] = useState<string[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const shown = symbols ?? (loaded.state === "ready" ? loaded.data.symbols : null);

  async function change(method: "PUT" | "DELETE", symbol: string): Promise<boolean> {
    if (busy) return false; // one change at a time (the busy buttons swallow presses too)
    setBusy(true);
    setError(null);
    try {
      const result = await api<Watchlist>(method, `/v1/me/watchlist/${encodeURIComponent(symbol)}`);
      setSymbols(result.symbols);
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  /** The focused button goes with its symbol: the keyboard goes on from the symbol field. */
  async function remove(symbol: string) {
    if (await change("DELETE", symbol)) input.current?.focus();
  }

  async function add(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const symbol = asSymbol(String(new FormData(form).get("symbol") ?? ""));
    if (!symbol) return;
    if (await change("PUT", symbol)) form.reset();
  }

  return (
    <>
      <h1>Watchlist</h1>
      <form className="row card" id="watch-form" onSubmit={add}>
        <label>
          Symbol
          <input name="symbol" placeholder="e.g. CRSP" autoCapitalize="characters" maxLength={12} required ref={input} />
        </label>
        <BusyButton type="submit" busy={busy}>
          Watch
        </BusyButton>
      </form>
      {error ? <ErrorBox error={error} /> : null}
      {loaded.state === "loading" && !symbols ? <Loading what="your watchlist" /> : null}
      {loaded.state === "error" && !symbols ? <ErrorBox error={loaded.error} retry={reload} /> : null}
      {shown && shown.length === 0 ? <Empty>You watch no symbol yet.</Empty> : null}
      {shown && shown.length > 0 ? (
        <ul className="watch-list" id="watchlist">
          {shown.map((symbol) => (
            <li key={symbol} data-symbol={symbol}>
              <Link href={`/tickers/${symbol}`}>{symbol}</Link>
              <BusyButton type="button" className="secondary" aria-label={`Remove ${symbol}`} busy={busy} onClick={() => void remove(symbol)}>
                ×
              </BusyButton>
            </li>
          ))}
        </ul>
      ) : null}
      {shown && shown.length > 0 ? (
        <p>
          <Link href="/alerts">Alerts</Link> can show only these symbols (“Watchlist only”).
        </p>
      ) : null}
    </>
  );
}
