"use client";

import { usePathname } from "next/navigation";
import { useEffect, useState } from "react";

import type { ApiError } from "@/lib/api";
import { BusyButton } from "@/components/busy-button";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" data-state="loading">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <p className="state empty" data-state="empty">
      {children}
    </p>
  );
}

export function ErrorBox({ error, retry, hint }: { error: ApiError | string; retry?: () => void; hint?: string }) {
  const message = typeof error === "string" ? error : error.message;
  const code = typeof error === "string" ? "" : `${error.status || ""} ${error.code}`.trim();
  return (
    <div className="state error" role="alert" data-state="error" data-code={typeof error === "string" ? "" : error.code}>
      <strong>{code ? `${code}: ` : ""}</strong>
      {message}
      {hint ? <span className="hint">{hint}</span> : null}
      {typeof error !== "string" && error.code === "signed_out" ? (
        <SignInAgain />
      ) : typeof error !== "string" && error.code === "account_deleted" ? (
        // the data went but removing the account did not finish: only Preferences finishes it
        <a className="button" href="/preferences">
          Finish deleting the account
        </a>
      ) : retry && retryable(error) ? (
        <TryAgain key={typeof error === "string" ? error : keyOf(error)} retry={retry} wait={typeof error === "string" ? null : error.retryAfter} />
      ) : null}
    </div>
  );
}

const keys = new WeakMap<ApiError, number>();
let counted = 0;

/** Each answer its own countdown: the same refusal twice in a row starts it again. */
function keyOf(error: ApiError): number {
  if (!keys.has(error)) keys.set(error, ++counted);
  return keys.get(error) ?? 0;
}

/** Whether the API asked to wait after ``error`` (Retry-After) and the wait is not over: the
 * page's own button for the same request is held as long as its "Try again" (asking sooner
 * only earns another 429). */
export function useHeld(error: ApiError | null): boolean {
  const [over, setOver] = useState<ApiError | null>(null); // the answer whose wait has passed
  useEffect(() => {
    if (!error?.retryAfter) return;
    const timer = setTimeout(() => setOver(error), error.retryAfter * 1000);
    return () => clearTimeout(timer);
  }, [error]);
  return !!error?.retryAfter && over !== error;
}

/** "Try again", held for as long as the API asked (Retry-After): asking sooner only earns
 * another 429. The seconds counting down are hidden from screen readers: inside the error's
 * alert region each tick would read the whole error out again; the wait is said once. */
function TryAgain({ retry, wait }: { retry: () => void; wait: number | null }) {
  const [left, setLeft] = useState(wait ?? 0);
  useEffect(() => {
    if (left <= 0) return;
    const tick = setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => clearTimeout(tick);
  }, [left]);
  return (
    <>
      {wait ? <span className="visually-hidden">{`Asked to wait ${wait} seconds before trying again.`}</span> : null}
      <BusyButton type="button" onClick={retry} busy={left > 0}>
        Try again
        {left > 0 ? <span aria-hidden="true">{` in ${left} s`}</span> : null}
      </BusyButton>
    </>
  );
}

/** Whether asking again can help: an outage, a busy resource or a limit can pass, and so can
 * a fresh token the API could not check yet (a key it has not fetched, clocks apart); a request
 * the API refused as malformed or about nothing that exists (400, 404, 422) cannot. */
function retryable(error: ApiError | string): boolean {
  if (typeof error === "string") return true;
  return (
    error.status === 0 ||
    error.status >= 500 ||
    error.status === 409 ||
    error.status === 429 ||
    error.code === "token_unavailable" ||
    (error.status === 401 && error.code === "unauthorized")
  );
}

/** A session that ended stays ended: trying again cannot help, signing in again can. */
function SignInAgain() {
  const path = usePathname();
  return (
    <a
      className="button"
      href={`/sign-in?next=${encodeURIComponent(path)}`}
      // the query too, as the Shell's own redirect keeps it (a filtered list, a link's ?error=)
      onClick={(event) => {
        event.currentTarget.href = `/sign-in?next=${encodeURIComponent(path + window.location.search)}`;
      }}
    >
      Sign in again
    </a>
  );
}
