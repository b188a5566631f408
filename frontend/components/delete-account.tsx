"use client";

import { useState } from "react";

import { ErrorBox } from "@/components/states";
import { forgetToken } from "@/lib/api";
import { authClient, authMessage, setDeparting, UNREACHABLE } from "@/lib/auth-client";
import { BusyButton } from "@/components/busy-button";

/** Deleting one's account: the password again, then Better Auth removes the account after the
 * API has deleted its data (lib/auth.ts), so nothing more is sent to its addresses. */
export function DeleteAccount() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function remove(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return; // one at a time (the busy button swallows presses too)
    const password = String(new FormData(event.currentTarget).get("password") ?? "");
    setBusy(true);
    setError(null);
    let refused: string | null;
    setDeparting(true); // Better Auth tells the Shell the session went before this goes on
    try {
      const { error: failed } = await authClient.deleteUser({ password });
      refused = failed ? authMessage(failed) : null;
    } catch {
      refused = UNREACHABLE;
    }
    if (refused) {
      setDeparting(false);
      setBusy(false);
      setError(`Your account was not deleted: ${refused}`);
      return;
    }
    forgetToken();
    // A whole page load, busy until then, with the notice that the account went.
    window.location.replace("/sign-in?deleted=1");
  }

  return (
    <section className="stack">
      <h2>Delete your account</h2>
      <p>Your watchlist, preferences and notification settings go with it, and nothing more is sent to you. This cannot be undone.</p>
      <form className="stack card" id="delete-account-form" onSubmit={remove}>
        <label>
          Your password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <label className="check">
          <input name="sure" type="checkbox" required />
          Delete my account for good
        </label>
        <BusyButton type="submit" className="danger" busy={busy}>
          Delete account
        </BusyButton>
      </form>
      {error ? <ErrorBox error={error} /> : null}
    </section>
  );
}
