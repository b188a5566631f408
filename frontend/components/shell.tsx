"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useLayoutEffect, useRef, useState } from "react";

import { ErrorBox, Loading } from "@/components/states";
import { forgetToken, tokenOwner } from "@/lib/api";
import { authClient, isDeparting } from "@/lib/auth-client";

export function isAdmin(role: string | null | undefined): boolean {
  return (role ?? "").split(",").some((r) => r.trim() === "admin");
}

/** Every signed-in page: the navigation, who is signed in, sign-out; no session → sign-in page. */
export function Shell({ children }: { children: React.ReactNode }) {
  const { data: session, isPending, error, refetch } = authClient.useSession();
  const router = useRouter();
  const path = usePathname();
  const [signOutFailed, setSignOutFailed] = useState<string | null>(null);
  // Set while signing out: the session going away is then this page's doing, and its own
  // redirect (to a plain sign-in) must not race the one below, which would name this page
  // as where to go after the next sign-in, whoever that is.
  const leaving = useRef(false);
  const userId = session?.user.id;
  const shown = session ? `${session.user.role ?? "user"}|${session.user.emailVerified === true}` : "";
  // Only an answer that there is no session (none, or 401) means signed out: a session check
  // that failed (network, 5xx) says nothing about it, and sending the user to sign in again
  // for a blip would be wrong.
  const unknown = !session && !!error && error.status !== 401;
  // Before the pages' own effects call the API: a user signed in from another tab gets their
  // own token, never the previous one's (the pages remount for them: the key below).
  // A role or email confirmation changed meanwhile (the session shows it at the next check)
  // needs a new token too: the API reads both from it.
  useLayoutEffect(() => {
    if (userId) tokenOwner(userId, shown);
  }, [userId, shown]);
  useEffect(() => {
    // the query comes along: a confirmation link's ?error= must still be there after signing in
    if (!isPending && !session && !unknown && !leaving.current && !isDeparting()) router.replace(`/sign-in?next=${encodeURIComponent(path + window.location.search)}`);
  }, [isPending, session, unknown, router, path]);
  if (unknown) {
    const why = `${error.statusText || "no answer"}${error.message ? `: ${error.message}` : ""}`;
    return (
      <main>
        <ErrorBox error={`Your session could not be checked (${why}).`} retry={() => void refetch()} />
      </main>
    );
  }
  if (!session) return <main>{<Loading what="your session" />}</main>;
  const admin = isAdmin(session.user.role);
  const links = [
    ["/alerts", "Alerts"],
    ["/trending", "Trending"],
    ["/watchlist", "Watchlist"],
    ["/preferences", "Preferences"],
    ["/notifications", "Notifications"],
    ...(admin ? [["/admin/detection", "Thresholds"]] : []),
  ];
  // Signed out only once the server ended the session: the session cookie is httpOnly, so a
  // sign-out the server never saw would leave the account open on this browser.
  async function signOut() {
    setSignOutFailed(null);
    forgetToken();
    leaving.current = true;
    let failure: string | null;
    try {
      const { error: refused } = await authClient.signOut();
      failure = refused ? `${refused.status} ${refused.message ?? refused.statusText ?? ""}`.trim() : null;
    } catch {
      failure = "the server could not be reached";
    }
    if (failure) {
      leaving.current = false;
      setSignOutFailed(`Sign-out failed (${failure}); you are still signed in. Try again.`);
    } else router.replace("/sign-in");
  }
  return (
    <>
      <header className="top">
        <span className="brand">Akleao</span>
        <nav>
          {links.map(([href, label]) => (
            <Link key={href} href={href} aria-current={path.startsWith(href) ? "page" : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span className="who" id="who" data-role={session.user.role ?? "user"}>
          {session.user.email}
        </span>
        <button type="button" className="secondary" id="sign-out" onClick={signOut}>
          Sign out
        </button>
      </header>
      {signOutFailed ? <ErrorBox error={signOutFailed} /> : null}
      <main key={session.user.id}>{children}</main>
    </>
  );
}
