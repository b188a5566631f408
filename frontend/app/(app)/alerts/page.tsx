"use client";

import { useSearchParams } from "next/navigation";
import { Suspense, useEffect, useRef, useState } from "react";

import { AlertCard } from "@/components/alert-card";
import { asApiError, useApi, useGet } from "@/components/api-context";
import { Empty, ErrorBox, Loading, useHeld } from "@/components/states";
import { asSymbol, type AlertPage, type AlertSummary, type ApiError, type Query } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

interface Filters {
  symbol: string;
  kind: string;
  status: string;
  min_score: string;
  max_pump_risk: string;
  watchlist_only: boolean;
}

const NO_FILTERS: Filters = { symbol: "", kind: "", status: "", min_score: "", max_pump_risk: "", watchlist_only: false };
const TEXT_FILTERS = ["symbol", "kind", "status", "min_score", "max_pump_risk"] as const;

const SYMBOL = /^[A-Z]{1,5}(\.[A-Z])?$/; // the API's (functions/api/models.py Symbol)
// Typed filters are asked for once typing pauses: each keystroke or arrow press asking anew
// would cost a filtered page's scan of the caller's rate limit (up to 10 requests) each time.
const TYPING_MS = 400;
const TYPED = ["symbol", "min_score", "max_pump_risk"] as const;

/** The filters live in the address too, so Back from an alert's page and a link such as a
 * ticker's "all alerts" open the list as it was asked for. Read through Next's router: on a
 * client-side navigation the browser's address is the old page's while this one renders. */
function fromParams(params: URLSearchParams): Filters {
  const filters = { ...NO_FILTERS, watchlist_only: params.get("watchlist_only") === "true" };
  for (const name of TEXT_FILTERS) filters[name] = params.get(name) ?? "";
  filters.symbol = filterSymbol(filters.symbol);
  return filters;
}

/** The symbol filter as typed, read as the watchlist reads a symbol ("brk/b" is BRK.B), with
 * only what a symbol can hold kept while it is typed. */
function filterSymbol(typed: string): string {
  return asSymbol(typed).replace(/[^A-Z.]/g, "");
}

let written: string | null = null; // the search this page last put in the address itself

/** Written with the native history (a null state, so Next's router follows it): no new
 * history entry. */
function toAddress(filters: Filters): void {
  const params = new URLSearchParams();
  for (const name of TEXT_FILTERS) if (filters[name]) params.set(name, filters[name]);
  if (filters.watchlist_only) params.set("watchlist_only", "true");
  written = params.toString();
  const search = written ? `?${written}` : "";
  if (search !== window.location.search) window.history.replaceState(null, "", `${window.location.pathname}${search}`);
}

/** Each alert once, where it was first listed, as it was last read: an alert updated while the
 * user pages (a resolution, dated when its quiet began) can come again on a later page
 * (docs/api.md), and shown twice it would also share its key. */
function once(listed: AlertSummary[]): AlertSummary[] {
  // a Map keeps each key where it was first set, and the value it was set to last
  return [...new Map(listed.map((alert) => [alert.alert_id, alert] as const)).values()];
}

export default function AlertsPage() {
  return (
    <Suspense fallback={<Loading what="alerts" />}>
      <Keyed />
    </Suspense>
  );
}

/** Next keeps this page mounted when only its query changes (the nav's "Alerts", Back to
 * other filters): an address this page did not write starts the list anew from it. */
function Keyed() {
  const params = useSearchParams();
  const search = params.toString();
  const [seen, setSeen] = useState({ search, generation: 0 });
  if (search !== seen.search) {
    // a change this page made keeps the list; any other starts it anew from the address
    setSeen({ search, generation: seen.generation + (search === written ? 0 : 1) });
  }
  return <Alerts key={seen.generation} params={params} />;
}

function Alerts({ params }: { params: URLSearchParams }) {
  const api = useApi();
  const [filters, setFilters] = useState<Filters>(() => fromParams(params));
  useEffect(() => toAddress(filters), [filters]);
  const [asked, setAsked] = useState<Filters>(filters); // what the list shows: typed filters once typing pauses
  useEffect(() => {
    const typing = TYPED.some((name) => filters[name] !== asked[name]);
    const timer = setTimeout(() => setAsked(filters), typing ? TYPING_MS : 0);
    return () => clearTimeout(timer);
  }, [filters, asked]);
  // a symbol still being typed ("BRK.") is not asked for: the list waits for a whole one
  const partial = asked.symbol !== "" && !SYMBOL.test(asked.symbol);
  const query: Query = { ...asked, watchlist_only: asked.watchlist_only || undefined, limit: 20 };
  const [first, reload] = useGet<AlertPage>(partial ? null : "/v1/alerts", query);
  // Pages fetched with "More alerts", for the first page they follow.
  const [later, setLater] = useState<{ after: AlertPage; pages: AlertPage[] } | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const firstPage = first.state === "ready" ? first.data : null;
  const pages = firstPage ? [firstPage, ...(later && later.after === firstPage ? later.pages : [])] : [];
  const alerts: AlertSummary[] | null = firstPage ? once(pages.flatMap((p) => p.alerts)) : null;
  const cursor = pages.length ? (pages[pages.length - 1].next_cursor ?? null) : null;
  const error = first.state === "error" ? first.error : moreError;
  const held = useHeld(error); // a 429's Retry-After holds "More alerts" too
  const latest = useRef<AlertPage | null>(null); // the first page now shown, for answers arriving late
  useEffect(() => {
    latest.current = firstPage;
  }, [firstPage]);

  const [fetching, setFetching] = useState(false); // one "More alerts" at a time: a second would fetch the same page
  const request = useRef(0); // the newest "More alerts": only it may clear `fetching`
  async function more() {
    if (!cursor || !firstPage || fetching) return;
    const mine = ++request.current;
    setFetching(true);
    try {
      const page = await api<AlertPage>("GET", "/v1/alerts", undefined, { ...query, cursor });
      if (latest.current !== firstPage) return; // the filters changed meanwhile: not their page
      setLater({ after: firstPage, pages: [...pages.slice(1), page] });
      setMoreError(null);
    } catch (e) {
      if (latest.current === firstPage) setMoreError(asApiError(e));
    } finally {
      if (request.current === mine) setFetching(false);
    }
  }

  function set<K extends keyof Filters>(name: K, value: Filters[K]) {
    setFilters((current) => ({ ...current, [name]: value }));
    setLater(null); // the pages "More alerts" fetched belong to the old filters' list
    setMoreError(null); // a failed "More alerts" of the old filters says nothing of the new
    request.current += 1; // nor does one still loading: its answer is dropped on arrival
    setFetching(false);
  }

  return (
    <>
      <h1>Alerts</h1>
      <form className="filters card" id="alert-filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Symbol
          <input
            name="symbol"
            value={filters.symbol}
            placeholder="any"
            size={8}
            maxLength={7}
            onChange={(e) => set("symbol", filterSymbol(e.target.value))}
          />
        </label>
        <label>
          Kind
          <select name="kind" value={filters.kind} onChange={(e) => set("kind", e.target.value)}>
            <option value="">any</option>
            <option value="organic">organic</option>
            <option value="pump">pump warning</option>
          </select>
        </label>
        <label>
          Status
          <select name="status" value={filters.status} onChange={(e) => set("status", e.target.value)}>
            <option value="">any</option>
            <option value="open">open</option>
            <option value="escalated">escalated</option>
            <option value="resolved">resolved</option>
          </select>
        </label>
        <label>
          Min score
          <input name="min_score" type="number" min="0" step="0.1" value={filters.min_score} onChange={(e) => set("min_score", e.target.value)} />
        </label>
        <label>
          Max pump risk
          <input name="max_pump_risk" type="number" min="0" max="1" step="0.05" value={filters.max_pump_risk} onChange={(e) => set("max_pump_risk", e.target.value)} />
        </label>
        <label className="check">
          <input name="watchlist_only" type="checkbox" checked={filters.watchlist_only} onChange={(e) => set("watchlist_only", e.target.checked)} />
          Watchlist only
        </label>
        <button type="button" className="secondary" onClick={() => {
            setFilters(NO_FILTERS);
            setAsked(NO_FILTERS); // nothing being typed: asked at once
            setLater(null);
            setMoreError(null);
            request.current += 1;
            setFetching(false);
          }}>
          Clear
        </button>
      </form>
      {error ? <ErrorBox error={error} retry={first.state === "error" ? reload : more} /> : null}
      {partial ? <Empty>A symbol is 1 to 5 letters, and a share class after a dot (BRK.B).</Empty> : null}
      {!partial && !error && alerts === null ? <Loading what="alerts" /> : null}
      {alerts && alerts.length === 0 ? (
        <Empty>{cursor ? "None of the alerts looked at so far match these filters: More alerts looks further back." : "No alerts match these filters."}</Empty>
      ) : null}
      <section id="alerts" data-count={alerts?.length ?? ""}>
        {alerts?.map((alert) => <AlertCard key={alert.alert_id} alert={alert} />)}
      </section>
      {cursor ? (
        <BusyButton type="button" className="secondary" onClick={more} busy={fetching || held}>
          {fetching ? "Loading…" : "More alerts"}
        </BusyButton>
      ) : null}
    </>
  );
}
