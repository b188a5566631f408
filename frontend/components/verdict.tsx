"use client";

import { useEffect, useRef, useState } from "react";

import { asApiError, useApi } from "@/components/api-context";
import { ErrorBox } from "@/components/states";
import type { ApiError, Verdict } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

const CHOICES: [Verdict, string][] = [
  ["useful", "Useful: real organic interest"],
  ["not_useful", "Not useful: noise"],
  ["pump", "A pump campaign"],
];

/** The reader's verdict on an alert (POST/DELETE /v1/alerts/{id}/feedback): what the detection
 * precision admins read is made of. One per reader; a new one replaces the last. ``stored`` is
 * the one given on an earlier visit, as GET /v1/alerts/{id} read it. */
export function VerdictForm({ alertId, stored }: { alertId: string; stored: Verdict | null }) {
  const api = useApi();
  const [given, setGiven] = useState<Verdict | null>(stored);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [tried, setTried] = useState<Verdict | null>(null); // what "Try again" sends again
  const [withdrawn, setWithdrawn] = useState(false);
  // "Withdraw" goes with the verdict it withdrew: the focus it had moves to what it did, not
  // to the page's start
  const withdrawnNote = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (withdrawn) withdrawnNote.current?.focus();
  }, [withdrawn]);

  async function send(verdict: Verdict | null) {
    if (busy) return;
    setBusy(true);
    setError(null);
    setTried(verdict);
    const path = `/v1/alerts/${encodeURIComponent(alertId)}/feedback`;
    try {
      if (verdict === null) await api("DELETE", path);
      else await api("POST", path, { verdict });
      setGiven(verdict);
      setWithdrawn(verdict === null);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card stack" id="verdict" data-verdict={given ?? ""} aria-label="Your verdict">
      <h2>Was this alert right?</h2>
      <p className="numbers">Your verdict replaces any you gave this alert before; it measures the detector for everyone.</p>
      <div className="buttons">
        {CHOICES.map(([verdict, label]) => (
          <BusyButton
            key={verdict}
            type="button"
            className={given === verdict ? undefined : "secondary"}
            aria-pressed={given === verdict}
            data-verdict={verdict}
            busy={busy}
            onClick={() => send(verdict)}
          >
            {label}
          </BusyButton>
        ))}
        {given ? (
          <BusyButton type="button" className="secondary" id="withdraw-verdict" busy={busy} onClick={() => send(null)}>
            Withdraw my verdict
          </BusyButton>
        ) : null}
      </div>
      {given ? (
        <p className="ok" role="status" id="verdict-recorded">
          Recorded: {CHOICES.find(([v]) => v === given)?.[1]}.
        </p>
      ) : null}
      {withdrawn ? (
        <p className="ok" role="status" id="verdict-withdrawn" tabIndex={-1} ref={withdrawnNote}>
          Your verdict on this alert is withdrawn.
        </p>
      ) : null}
      {error ? <ErrorBox error={error} retry={() => send(tried)} /> : null}
    </section>
  );
}
