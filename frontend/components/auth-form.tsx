"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { ErrorBox } from "@/components/states";
import { forgetToken } from "@/lib/api";
import { authClient, authMessage, UNREACHABLE } from "@/lib/auth-client";
import { useHydrated } from "@/lib/hydrated";
import { BusyButton } from "@/components/busy-button";

/** Sign-in and sign-up: the same form, Better Auth's email + password endpoints. */
export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  const params = useSearchParams();
  // Subscribed here so the session store keeps listening while this page is up: the app's
  // pages read its last answer first, and a stale "signed out" would send them back here.
  const { refetch } = authClient.useSession();
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(
    params.get("created")
      ? "Done: sign in. We mailed that address a link to confirm it (email alerts wait for it), or, if it already had an account, how to get back in."
      : params.get("reset")
        ? "Password changed, and every other session signed out: sign in with the new one."
        : params.get("deleted")
          ? "Your account is deleted, with its watchlist, preferences and notification settings: nothing more will be sent to you."
          : null,
  );
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated(); // before it, a click would send the password in a URL
  const next = sameSite(params.get("next"));

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return; // one at a time (the busy button swallows presses too)
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "");
    const password = String(form.get("password") ?? "");
    setBusy(true);
    setError(null);
    setDone(null);
    forgetToken();
    let result;
    try {
      result =
        mode === "sign-up"
          ? await authClient.signUp.email({ email, password, name: String(form.get("name") ?? "") || email, callbackURL: "/notifications" })
          : await authClient.signIn.email({ email, password });
    } catch {
      setBusy(false);
      setError(UNREACHABLE);
      return;
    }
    if (result.error) {
      setBusy(false);
      setError(authMessage(result.error));
      return;
    }
    // busy until the next page: a second sign-up would mail "your account already exists"
    const created = next ? `/sign-in?created=1&next=${encodeURIComponent(next)}` : "/sign-in?created=1";
    if (mode === "sign-in") {
      try {
        await refetch(); // the new session in the store before a page reads it
      } catch {
        // the page checks the session itself, as after a reload
      }
    }
    router.replace(mode === "sign-up" ? created : (next ?? "/alerts"));
  }

  return (
    <main className="auth-box">
      <h1>{mode === "sign-up" ? "Create an account" : "Sign in to Akleao"}</h1>
      <form className="stack card" id={`${mode}-form`} onSubmit={submit}>
        {mode === "sign-up" ? (
          <label>
            Name
            <input name="name" autoComplete="name" />
          </label>
        ) : null}
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={8}
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
          />
        </label>
        <BusyButton type="submit" busy={busy} disabled={!hydrated}>
          {busy ? (mode === "sign-up" ? "Creating account…" : "Signing in…") : mode === "sign-up" ? "Create account" : "Sign in"}
        </BusyButton>
      </form>
      {done ? <p className="ok" id="auth-notice" role="status">{done}</p> : null}
      {error ? <ErrorBox error={error} /> : null}
      <p>
        {mode === "sign-up" ? (
          <>
            Have an account? <Link href="/sign-in">Sign in</Link>
          </>
        ) : (
          <>
            New here? <Link href={next ? `/sign-up?next=${encodeURIComponent(next)}` : "/sign-up"}>Create an account</Link> ·{" "}
            <Link href="/forgot-password">Forgot your password?</Link>
          </>
        )}
      </p>
    </main>
  );
}

/** A page of this site to go back to after signing in, or null: "//evil.example" and
 * "/\\evil.example" start with a slash too, and a browser reads both as another host; so does
 * what "/.//evil.example" becomes once the dots are resolved. Never a page of the forms
 * themselves: the form would stay, its button busy, having gone nowhere. */
const AUTH_PAGES = ["/sign-in", "/sign-up", "/forgot-password", "/reset-password"];

export function sameSite(next: string | null): string | null {
  if (!next || !next.startsWith("/")) return null;
  const base = "http://akleao.invalid";
  try {
    const url = new URL(next, base);
    const path = `${url.pathname}${url.search}${url.hash}`;
    if (AUTH_PAGES.some((page) => url.pathname === page || url.pathname.startsWith(`${page}/`))) return null;
    return url.origin === base && !/^\/[\/\\]/.test(path) ? path : null;
  } catch {
    return null;
  }
}
