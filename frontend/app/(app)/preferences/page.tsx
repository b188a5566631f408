"use client";

import { useEffect, useRef, useState } from "react";

import { asApiError, useApi, useGet } from "@/components/api-context";
import { DeleteAccount } from "@/components/delete-account";
import { ErrorBox, Loading } from "@/components/states";
import type { ApiError, Me, Preferences } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

/** The saved alert filters (PATCH /v1/me/preferences): what "apply my preferences" and notifications use. */
export default function PreferencesPage() {
  const [loaded, reload] = useGet<Me>("/v1/me");
  if (loaded.state === "loading") return <Loading what="your preferences" />;
  if (loaded.state === "error" && loaded.error.code === "account_deleted") {
    // the API deleted the data but the answer was lost on the way: the account is still to remove
    return (
      <>
        <h1>Preferences</h1>
        <ErrorBox error="Your data was deleted, but removing the account did not finish." hint="Delete it again below to finish." />
        <DeleteAccount />
      </>
    );
  }
  if (loaded.state === "error") return <ErrorBox error={loaded.error} retry={reload} />;
  return <PreferencesForm initial={loaded.data.preferences} />;
}

function PreferencesForm({ initial }: { initial: Preferences }) {
  const api = useApi();
  // what the API stored (names lower-cased, duplicates dropped): the form shows it after a save
  const [current, setCurrent] = useState(initial);
  const [saves, setSaves] = useState(0); // each save redraws the form from what was stored, whatever was typed
  const status = useRef<HTMLParagraphElement>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (saved) status.current?.focus(); // the redrawn form dropped the focus: say where it went
  }, [saved, saves]);

  async function save(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return; // one at a time (the busy button swallows presses too)
    const form = new FormData(event.currentTarget);
    const typed: Preferences = {
      min_score: Number(form.get("min_score")),
      max_pump_risk: Number(form.get("max_pump_risk")),
      watchlist_only: form.get("watchlist_only") === "on",
      subreddits: String(form.get("subreddits") ?? "")
        .split(/[\s,]+/)
        .map((s) => s.replace(/^\/?r\//i, "").replace(/\/+$/, "")) // "r/stocks/", "/r/stocks", "R/stocks": as Reddit links them
        .filter(Boolean),
    };
    // Only what this form changed: a field another tab saved since this one loaded keeps its
    // new value (the API changes only the fields sent).
    const body = changedFields(typed, current);
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      setCurrent(await api<Preferences>("PATCH", "/v1/me/preferences", body));
      setSaves((n) => n + 1);
      setSaved(true);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Preferences</h1>
      <p>
        What you are notified of (channels, quiet hours: Notifications). The Alerts page shows everything, with filters of its own.
      </p>
      <form className="stack card" id="preferences-form" onSubmit={save} key={saves}>
        <label>
          Notify of alerts scoring at least
          <input name="min_score" type="number" min="0" step="any" defaultValue={current.min_score} required />
        </label>
        <label>
          Skip organic alerts with pump risk above (0–1)
          <input name="max_pump_risk" type="number" min="0" max="1" step="any" defaultValue={current.max_pump_risk} required />
        </label>
        <label className="check">
          <input name="watchlist_only" type="checkbox" defaultChecked={current.watchlist_only} />
          Only symbols on my watchlist
        </label>
        <label>
          Only alerts from subreddits (empty: all)
          <input name="subreddits" defaultValue={current.subreddits.join(", ")} placeholder="wallstreetbets, stocks" />
        </label>
        <BusyButton type="submit" busy={busy}>
          Save preferences
        </BusyButton>
      </form>
      {saved ? (
        <p className="ok" id="preferences-saved" role="status" tabIndex={-1} ref={status}>
          Saved.
        </p>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <DeleteAccount />
    </>
  );
}

/** The fields of ``typed`` that differ from what was loaded; subreddits compared as the API
 * stores them (lower case, each once). */
function changedFields(typed: Preferences, loaded: Preferences): Partial<Preferences> {
  const changed: Partial<Preferences> = {};
  if (typed.min_score !== loaded.min_score) changed.min_score = typed.min_score;
  if (typed.max_pump_risk !== loaded.max_pump_risk) changed.max_pump_risk = typed.max_pump_risk;
  if (typed.watchlist_only !== loaded.watchlist_only) changed.watchlist_only = typed.watchlist_only;
  const stored = [...new Set(typed.subreddits.map((s) => s.toLowerCase()))];
  if (stored.join(",") !== loaded.subreddits.join(",")) changed.subreddits = typed.subreddits;
  return changed;
}
