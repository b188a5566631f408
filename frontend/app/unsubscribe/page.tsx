import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";

import { PendingButton } from "@/components/pending-button";
import { settings } from "@/lib/settings";

export const metadata: Metadata = { title: "Alert emails" };

type Outcome = "stopped" | "invalid" | "failed";

/** Where the unsubscribe link of every alert email lands. It asks before it acts: mail
 * scanners and link previews open every link in an email, and their visit must not turn
 * anyone's email off. The button posts to the API from the server (no sign-in needed). */
export default async function Unsubscribe({
  searchParams,
}: {
  searchParams: Promise<{ token?: string; done?: string }>;
}) {
  const { token = "", done } = await searchParams;

  async function stop(form: FormData) {
    "use server";
    const given = String(form.get("token") ?? "");
    let outcome: Outcome = "failed";
    try {
      const response = await fetch(`${settings().apiURL}/v1/unsubscribe?token=${encodeURIComponent(given)}`, {
        method: "POST",
        cache: "no-store",
        signal: AbortSignal.timeout(20_000), // an API that takes the connection and never answers: say so
      });
      // a 4xx is the link itself (forged, cut short, its user gone); 429 and 5xx may pass
      const link = response.status >= 400 && response.status < 500 && response.status !== 429;
      outcome = response.ok ? "stopped" : link ? "invalid" : "failed";
    } catch {
      outcome = "failed"; // the API did not answer: the page offers the button again
    }
    const next: Record<string, string> = outcome === "failed" ? { token: given, done: outcome } : { done: outcome };
    redirect(`/unsubscribe?${new URLSearchParams(next)}`);
  }

  return (
    <main className="auth-box">
      <h1>Alert emails</h1>
      {done === "stopped" ? (
        <p className="ok" id="unsubscribe-notice" role="status">
          Alert emails to this address are off. You can turn them back on under{" "}
          <Link href="/notifications">Notifications</Link> once signed in.
        </p>
      ) : done === "invalid" ? (
        <p className="state error" id="unsubscribe-notice" role="alert">
          This unsubscribe link is not valid. Use the one in your latest alert email, or turn email off under{" "}
          <Link href="/notifications">Notifications</Link>.
        </p>
      ) : !token ? (
        <p className="state">This page needs the unsubscribe link from one of your alert emails.</p>
      ) : (
        <form className="stack card" id="unsubscribe-form" action={stop}>
          {done === "failed" ? (
            <p className="state error" role="alert">
              The service did not answer. Try again in a moment.
            </p>
          ) : null}
          <p>Stop alert emails to this address? Webhook alerts, if you set one up, are not affected.</p>
          <input type="hidden" name="token" value={token} />
          <PendingButton pending="Stopping…">Stop alert emails</PendingButton>
        </form>
      )}
    </main>
  );
}
