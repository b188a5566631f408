"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { ErrorBox } from "@/components/states";
import { authClient, authMessage, UNREACHABLE } from "@/lib/auth-client";
import { useHydrated } from "@/lib/hydrated";
import { BusyButton } from "@/components/busy-button";

/** Asks Better Auth to mail a reset link; says the same whether or not the address has an
 * account, as Better Auth answers (the page must not tell who has one). */
export function ForgotPasswordForm() {
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated(); // before it, a click would put the address in a URL and ask for nothing

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return; // one at a time (the busy button swallows presses too)
    const email = String(new FormData(event.currentTarget).get("email") ?? "");
    setBusy(true);
    setError(null);
    let result;
    try {
      result = await authClient.requestPasswordReset({ email, redirectTo: "/reset-password" });
    } catch {
      setError(UNREACHABLE);
      return;
    } finally {
      setBusy(false);
    }
    if (result.error) {
      setError(authMessage(result.error));
      return;
    }
    setSent(true);
  }

  return (
    <main className="auth-box">
      <h1>Forgot your password?</h1>
      <form className="stack card" id="forgot-password-form" onSubmit={submit}>
        <label>
          Email
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <BusyButton type="submit" busy={busy} disabled={!hydrated}>
          {busy ? "Sending…" : "Mail me a reset link"}
        </BusyButton>
      </form>
      {sent ? (
        <p className="ok" id="auth-notice" role="status">
          If that address has an account, a link to choose a new password is on its way (valid an hour).
        </p>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <p>
        <Link href="/sign-in">Back to sign in</Link>
      </p>
    </main>
  );
}

/** Where the mailed link lands (Better Auth redirects with ``?token=``, or ``?error=`` for a
 * link used or expired): the new password, then sign in with it. */
export function ResetPasswordForm() {
  const router = useRouter();
  const params = useSearchParams();
  const token = params.get("token");
  const [error, setError] = useState<string | null>(
    params.get("error") || !token ? "This link is used, expired or incomplete: ask for a new one." : null,
  );
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated(); // before it, a click would send the password in a URL

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return; // one at a time (the busy button swallows presses too)
    const form = new FormData(event.currentTarget);
    const newPassword = String(form.get("password") ?? "");
    if (newPassword !== String(form.get("confirm") ?? "")) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    setError(null);
    let result;
    try {
      result = await authClient.resetPassword({ newPassword, token: token ?? "" });
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
    // busy until the next page: a second click would use the spent token and say it failed
    router.replace("/sign-in?reset=1");
  }

  return (
    <main className="auth-box">
      <h1>Choose a new password</h1>
      {token && !params.get("error") ? (
        <form className="stack card" id="reset-password-form" onSubmit={submit}>
          <label>
            New password
            <input name="password" type="password" required minLength={8} autoComplete="new-password" />
          </label>
          <label>
            The same again
            <input name="confirm" type="password" required minLength={8} autoComplete="new-password" />
          </label>
          <BusyButton type="submit" busy={busy} disabled={!hydrated}>
            {busy ? "Saving…" : "Save the new password"}
          </BusyButton>
        </form>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
      <p>
        <Link href="/forgot-password">Ask for a new link</Link> · <Link href="/sign-in">Sign in</Link>
      </p>
    </main>
  );
}
