"use client";

import { useEffect, useRef, useState } from "react";

import { asApiError, useApi, useGet } from "@/components/api-context";
import { authClient } from "@/lib/auth-client";
import { Empty, ErrorBox, Loading, useHeld } from "@/components/states";
import type { AlertKind, ApiError, ChannelTest, Me, Moment, NotificationSettings, NotificationState, NotificationTest } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

const KINDS: [AlertKind, string][] = [
  ["organic", "Organic breakouts"],
  ["pump", "Pump warnings"],
];

const MOMENTS: [Moment, string][] = [
  ["open", "Opened"],
  ["escalated", "Escalated"],
  ["reclassified", "Reclassified as a pump"],
  ["resolved", "Resolved"],
];

type Action = "save" | "secret" | "test";

const OUTCOMES: Record<ChannelTest["outcome"], string> = {
  sent: "sent",
  refused: "refused",
  failed: "failed",
  not_configured: "not set up",
};

/** Where and when alerts are sent (GET/PUT /v1/me/notifications), the webhook's secret, a test send. */
export default function NotificationsPage() {
  const [loaded, reload] = useGet<NotificationState>("/v1/me/notifications");
  const [me, reloadMe] = useGet<Me>("/v1/me"); // a suspension: the settings stand, but nothing goes out
  if (loaded.state === "loading") return <Loading what="your notification settings" />;
  if (loaded.state === "error") return <ErrorBox error={loaded.error} retry={reload} />;
  return (
    <>
      {me.state === "error" ? (
        <ErrorBox error={me.error} retry={reloadMe} hint="Whether an admin holds this account suspended could not be checked." />
      ) : null}
      <Notifications initial={loaded.data} suspended={me.state === "ready" ? (me.data.suspended ?? null) : null} />
    </>
  );
}

function Suspended({ until }: { until: number | null }) {
  const when = until === null ? "until an admin lifts it" : `until ${new Date(until * 1000).toUTCString()}`;
  return (
    <ErrorBox
      error={`An admin has suspended this account ${when}: nothing is sent to you meanwhile, digests included.`}
      hint="Your settings are kept and apply again once the suspension ends."
    />
  );
}

function read(form: FormData): NotificationSettings {
  const hour = (name: string) => {
    const text = String(form.get(name) ?? "").trim();
    return text === "" ? null : Number(text);
  };
  const start = hour("quiet_start");
  const end = hour("quiet_end");
  const url = String(form.get("webhook_url") ?? "").trim();
  return {
    webhook_url: url || null,
    email: form.get("email") === "on",
    kinds: KINDS.map(([kind]) => kind).filter((kind) => form.get(`kind_${kind}`) === "on"),
    events: MOMENTS.map(([moment]) => moment).filter((moment) => form.get(`event_${moment}`) === "on"),
    // Both empty: no quiet hours; one empty: sent as is, and the API says what is missing.
    quiet_hours: start === null && end === null ? null : { start, end },
    max_per_hour: Number(form.get("max_per_hour")),
    digest: form.get("digest") === "on",
  };
}

function Notifications({ initial, suspended }: { initial: NotificationState; suspended: Me["suspended"] }) {
  const api = useApi();
  const [state, setState] = useState(initial);
  const [round, setRound] = useState(0); // remounts the form on the saved values
  const [busy, setBusy] = useState<Action | null>(null);
  const [error, setError] = useState<{ action: Action; error: ApiError } | null>(null);
  const [redrawn, setRedrawn] = useState(false); // a save refused as stale: the form shows the settings as they are now
  const testHeld = useHeld(error?.action === "test" ? error.error : null); // a 429's Retry-After holds "Send a test" too
  const [saved, setSaved] = useState(false);
  const status = useRef<HTMLParagraphElement>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [test, setTest] = useState<NotificationTest | null>(null);
  const s = state.settings;

  useEffect(() => {
    if (saved) status.current?.focus(); // the redrawn form dropped the focus: say where it went
  }, [saved, round]);

  async function run<T>(action: Action, call: () => Promise<T>): Promise<T | null> {
    if (busy) return null; // one action at a time (the busy buttons swallow presses too)
    setBusy(action);
    setError(null);
    setSaved(false);
    try {
      return await call();
    } catch (e) {
      setError({ action, error: asApiError(e) });
      return null;
    } finally {
      setBusy(null);
    }
  }

  async function save(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const body = { ...read(new FormData(event.currentTarget)), etag: state.etag };
    const result = await run("save", async () => {
      try {
        return await api<NotificationState>("PUT", "/v1/me/notifications", body);
      } catch (e) {
        // changed since this page loaded (another tab, an email's unsubscribe link): the form
        // shows them as they are now, rather than this save undoing what it never showed
        if (asApiError(e).code === "settings_changed") {
          const current = await api<NotificationState>("GET", "/v1/me/notifications").catch(() => null);
          if (current) {
            setState(current);
            setRound((n) => n + 1);
          }
          setRedrawn(current !== null);
        }
        throw e;
      }
    });
    if (result) {
      setState(result);
      setRound((n) => n + 1);
      setSaved(true);
      setTest(null);
    }
  }

  async function makeSecret() {
    if (state.webhook_secret_set && !window.confirm("Make a new secret? The current one still signs beside it for 24 hours, then stops.")) return;
    const result = await run("secret", () => api<{ secret: string }>("POST", "/v1/me/notifications/webhook-secret"));
    if (result) {
      setSecret(result.secret);
      setCopied(false);
      setState((current) => ({ ...current, webhook_secret_set: true }));
    }
  }

  async function copy() {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      // no clipboard (an http page not on localhost): the field is selected, copy it by hand
      (document.getElementById("webhook-secret") as HTMLInputElement | null)?.select();
    }
  }

  async function sendTest() {
    setTest(null);
    const result = await run("test", () => api<NotificationTest>("POST", "/v1/me/notifications/test"));
    if (result) setTest(result);
  }

  return (
    <>
      <h1>Notifications</h1>
      {suspended ? <Suspended until={suspended.until} /> : null}
      {!s.webhook_url && !s.email ? <Empty>Nothing is sent to you yet: add a webhook or turn on email.</Empty> : null}
      {state.webhook_disabled ? (
        <ErrorBox error={`The webhook was turned off after failed deliveries${state.webhook_disabled_reason ? `: ${state.webhook_disabled_reason}` : "."}`} hint="Saving the settings turns it back on." />
      ) : null}

      {state.stored_settings_invalid ? (
        <ErrorBox
          error="Your saved notification settings no longer fit the current rules, so nothing is sent to you."
          hint="The defaults are shown: saving sets them again."
        />
      ) : null}

      <form key={round} className="stack card" id="notifications-form" onSubmit={save}>
        <label>
          Webhook URL (https; empty: none)
          <input name="webhook_url" type="text" inputMode="url" autoComplete="off" defaultValue={s.webhook_url ?? ""} placeholder="https://example.com/hooks/akleao" />
        </label>
        <label className="check">
          <input name="email" type="checkbox" defaultChecked={s.email && !!state.email} disabled={!state.email} />
          Email to {state.email ?? "my address"}
        </label>
        {!state.email ? <VerifyAddress /> : null}
        {state.email_unsubscribed ? <p className="numbers">You used the unsubscribe link in an email: no email is sent.</p> : null}
        <fieldset>
          <legend>Alerts</legend>
          {KINDS.map(([kind, label]) => (
            <label key={kind} className="check">
              <input name={`kind_${kind}`} type="checkbox" defaultChecked={s.kinds.includes(kind)} />
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>When an alert is</legend>
          {MOMENTS.map(([moment, label]) => (
            <label key={moment} className="check">
              <input name={`event_${moment}`} type="checkbox" defaultChecked={s.events.includes(moment)} />
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Quiet hours, UTC (both empty: none)</legend>
          <div className="row">
            <label>
              From hour
              <input name="quiet_start" type="number" min="0" max="23" step="1" defaultValue={s.quiet_hours?.start ?? ""} />
            </label>
            <label>
              until hour
              <input name="quiet_end" type="number" min="0" max="23" step="1" defaultValue={s.quiet_hours?.end ?? ""} />
            </label>
          </div>
        </fieldset>
        <label>
          At most this many messages per hour and channel (the rest go in an hourly digest)
          <input name="max_per_hour" type="number" min="1" max="100" step="1" defaultValue={s.max_per_hour} required />
        </label>
        <label className="check">
          <input name="digest" type="checkbox" defaultChecked={s.digest} />
          One digest per hour instead of a message per alert
        </label>
        <BusyButton type="submit" busy={!!busy}>
          {busy === "save" ? "Saving…" : "Save notifications"}
        </BusyButton>
      </form>
      {saved ? (
        <p className="ok" id="notifications-saved" role="status" tabIndex={-1} ref={status}>
          Saved.
        </p>
      ) : null}
      {error?.action === "save" ? (
        <ErrorBox
          error={error.error}
          hint={
            error.error.code !== "settings_changed"
              ? undefined
              : redrawn
                ? "The form now shows them as they are: make your change again."
                : "Reload the page to see them as they are, then make your change again."
          }
        />
      ) : null}

      <h2>Webhook secret</h2>
      <div className="card stack" id="webhook-secret-box">
        <p className="numbers">
          Each webhook is signed with this secret (header <code>Akleao-Signature</code>, HMAC-SHA256).{" "}
          {state.webhook_secret_set ? "A secret is set." : "No secret yet: webhooks are not sent without one."}
        </p>
        {secret ? (
          <div className="secret" role="status">
            <strong>Copy it now: you won&apos;t see this secret again.</strong>
            <div className="row">
              <input id="webhook-secret" readOnly value={secret} spellCheck={false} onFocus={(e) => e.currentTarget.select()} aria-label="Webhook secret" />
              <button type="button" className="secondary" onClick={copy}>
                {copied ? "Copied" : "Copy"}
              </button>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setSecret(null); // the box goes with its buttons: the focus returns to the one that made it
                  document.getElementById("make-secret")?.focus();
                }}
              >
                Done
              </button>
            </div>
          </div>
        ) : null}
        <div className="row">
          <BusyButton type="button" id="make-secret" busy={!!busy} onClick={makeSecret}>
            {busy === "secret" ? "Making…" : state.webhook_secret_set ? "Rotate secret" : "Make a secret"}
          </BusyButton>
          {state.webhook_secret_set ? <span className="numbers">After a rotation the old secret signs beside the new one for 24 hours.</span> : null}
        </div>
        {error?.action === "secret" ? <ErrorBox error={error.error} /> : null}
      </div>

      <h2>Test</h2>
      <div className="card stack">
        <p className="numbers">Sends a test message now to each channel as saved.</p>
        <div className="row">
          <BusyButton type="button" id="send-test" busy={!!busy || testHeld} onClick={sendTest}>
            {busy === "test" ? "Sending…" : "Send a test"}
          </BusyButton>
        </div>
        {error?.action === "test" ? <ErrorBox error={error.error} retry={sendTest} /> : null}
        {test ? (
          <div className="scroll">
            <table id="test-result">
              <thead>
                <tr>
                  <th>channel</th>
                  <th>outcome</th>
                  <th>detail</th>
                </tr>
              </thead>
              <tbody>
                {(["webhook", "email"] as const).map((channel) => {
                  const r = test[channel];
                  return (
                    <tr key={channel} data-channel={channel} data-outcome={r.outcome}>
                      <td>{channel}</td>
                      <td className={`outcome ${r.outcome}`}>
                        {OUTCOMES[r.outcome]}
                        {r.status ? ` (HTTP ${r.status})` : ""}
                      </td>
                      <td className="detail">{r.detail ?? ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
    </>
  );
}

/** Email goes only to a confirmed address (the API reads `email_verified` in the token): the
 * link mailed at sign-up, or a new one from here. Reloading after confirming fetches a token
 * that says so. */
function VerifyAddress() {
  const { data: session } = authClient.useSession();
  const [sent, setSent] = useState<"idle" | "sending" | "sent" | "failed">("idle");
  // A confirmation link that did not work comes back here with Better Auth's ?error=
  // (rendered only in the browser, after the settings loaded).
  const [linkError, setLinkError] = useState(() => new URLSearchParams(window.location.search).get("error"));
  const address = session?.user.email;
  if (!address) return <p className="numbers">Your account has no email address to send to.</p>;
  if (session.user.emailVerified) {
    return <p className="numbers">{address} is confirmed: reload this page to use it.</p>;
  }

  async function resend() {
    setSent("sending");
    let error: unknown;
    try {
      ({ error } = await authClient.sendVerificationEmail({ email: address as string, callbackURL: "/notifications" }));
    } catch (thrown) {
      error = thrown; // the server was never reached
    }
    setSent(error ? "failed" : "sent");
    if (!error) setLinkError(null); // the new link replaces the one that failed
  }

  return (
    <div className="numbers" id="verify-address">
      {linkError ? (
        <p role="alert" id="verify-link-error">
          That confirmation link {linkError === "TOKEN_EXPIRED" ? "has expired" : "did not work"}: send yourself a new one.
        </p>
      ) : null}
      <p>
        Email is sent only to a confirmed address: open the link mailed to {address} when you signed up, then reload this
        page.
      </p>
      <BusyButton type="button" className="secondary" onClick={resend} busy={sent === "sending"}>
        {sent === "sending" ? "Sending…" : "Send me a new link"}
      </BusyButton>
      {sent === "sent" ? <span> Sent: check your inbox.</span> : null}
      {sent === "failed" ? <span> The link could not be sent: try again later.</span> : null}
    </div>
  );
}
