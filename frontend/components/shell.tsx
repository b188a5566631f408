"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useLayoutEffect } from "react";

import { Loading } from "@/components/states";
import { forgetToken, tokenOwner } from "@/lib/api";
import { authClient } from "@/lib/auth-client";

export function isAdmin(role: string | null | undefined): boolean {
  return (role ?? "").split(",").some((r) => r.trim() === "admin");
}

/** Every signed-in page: the navigation, who is signed in, sign-out; no session → sign-in page. */
export function Shell({ children }: { children: React.ReactNode }) {
  const { data: session, isPending } = authClient.useSession();
  const router = useRouter();
  const path = usePathname();
  const userId = session?.user.id;
  // Before the pages' own effects call the API: a user signed in from another tab gets their
  // own token, never the previous one's (the pages remount for them: the key below).
  useLayoutEffect(() => {
    if (userId) tokenOwner(userId);
  }, [userId]);
  useEffect(() => {
    // the query comes along: a confirmation link's ?error= must still be there after signing in
    if (!isPending && !session) router.replace(`/sign-in?next=${encodeURIComponent(path + window.location.search)}`);
  }, [isPending, session, router, path]);
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
  async function signOut() {
    forgetToken();
    try {
      await authClient.signOut();
    } catch {
      // the server was not reached: this page forgets the session all the same
    }
    router.replace("/sign-in");
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
      <main key={session.user.id}>{children}</main>
    </>
  );
}
