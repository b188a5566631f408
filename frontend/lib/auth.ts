/**
 * Better Auth, server side: email + password accounts in SQLite, the `jwt` plugin issuing the
 * API's Bearer tokens (EdDSA, `kid` in the header, JWKS at /api/auth/jwks) and the `admin`
 * plugin's `role`. The API (functions/api/auth.py) checks `iss`, `aud`, `exp`, `sub` and reads
 * `role`: issuer and audience are this app's base URL, the same value the stack gives the API
 * as AUTH_ISSUER / AUTH_AUDIENCE.
 *
 * Addresses are verified by a link mailed at sign-up (or asked for again from the notifications
 * page); the token says `email_verified`, and the API mails only a verified address, so an
 * account made in someone else's name cannot send them alerts.
 *
 * A forgotten password is reset by a link mailed to the address (/forgot-password, valid an
 * hour, once), which ends every signed-in session of the account (an API token already issued
 * lasts its 15 minutes). Signing up again with an address that has an account mails its owner
 * how to get back in: the page says the same either way, and as fast, since these mails (and
 * a new account's confirmation) are sent after the answer, so it tells nobody which addresses
 * have accounts.
 */
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { admin, jwt } from "better-auth/plugins";

import { sendMail } from "@/lib/mail";
import { settings } from "@/lib/settings";

const { apiURL, baseURL, database, secret, trustedProxies } = settings();

/** The address of the account signed in on ``request``, if any. */
async function signedInAs(request: Request | undefined): Promise<string | null> {
  if (!request) return null;
  const session = await auth.api.getSession({ headers: request.headers });
  return session?.user.email.toLowerCase() ?? null;
}

/** The account's data in the API (watchlist, preferences, notification settings) deleted, as
 * DELETE /v1/me does for the token's subject: run before Better Auth removes the account, the
 * user's own deletion or an admin's removal alike, and a failure keeps the account, so an
 * account is never gone while its addresses still get alerts. The token is minted for the
 * account being removed (an admin's own would name the admin) and lives two minutes. */
async function forgetInApi(userId: string): Promise<void> {
  const status = await callApi({ sub: userId }, "DELETE", "/v1/me");
  if (status !== 204) {
    throw new APIError("BAD_GATEWAY", {
      message: `The service did not delete the account's data (${status || "no answer"}); the account is kept: try again.`,
    });
  }
}

/** An admin's ban (or its lifting), once Better Auth has recorded it, told to the API, so notify
 * sends the account nothing while the ban lasts (its webhook would otherwise go on delivering
 * the product it was banned from); ``until`` is the ban's own end (``banExpires``), undefined
 * to lift. After, not before: a ban Better Auth refuses never suspends anyone. A failure is
 * said, and doing it again (ban or unban) mends it. The token names the admin: the API checks
 * the caller's role. */
async function suspendInApi(adminId: string, userId: string, until: number | null | undefined): Promise<void> {
  const path = `/v1/users/${encodeURIComponent(userId)}/suspension`;
  const admin = { sub: adminId, role: "admin" };
  const status = until === undefined ? await callApi(admin, "DELETE", path) : await callApi(admin, "PUT", path, { until });
  if (status !== 204) {
    const what = until === undefined ? "unbanned, but alerts stay held" : "banned, but alerts still go out";
    throw new APIError("BAD_GATEWAY", {
      message: `The account is ${what}: the service did not record it (${status || "no answer"}). Do it again.`,
    });
  }
}

/** One API call with a two-minute token this server signs for ``claims``: its status, or 0
 * when the API did not answer within twenty seconds (a loaded machine answers in one or two). */
async function callApi(claims: { sub: string; role?: string }, method: string, path: string, body?: unknown): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const { token } = await auth.api.signJWT({ body: { payload: { ...claims, iat: now, exp: now + 120 } } });
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(`${apiURL}${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
      signal: AbortSignal.timeout(20_000),
    });
    return response.status;
  } catch {
    return 0;
  }
}

/** The ban fields Better Auth's admin plugin also takes on update-user and create-user: only
 * ban-user and unban-user may set them, or the API would not hear of it. */
const BAN_FIELDS = ["banned", "banReason", "banExpires"];

/** A mail sent without holding the answer: an address without an account gets its answer at
 * once, so one with an account must too, or the wait would tell them apart. sendMail logs a
 * failure; the user can ask again. */
function sendAfter(to: string, subject: string, text: string): void {
  sendMail(to, subject, text).catch(() => undefined);
}

export const auth = betterAuth({
  baseURL,
  secret,
  database: new Database(database),
  emailAndPassword: {
    enabled: true,
    minPasswordLength: 8,
    autoSignIn: false,
    resetPasswordTokenExpiresIn: 3600,
    revokeSessionsOnPasswordReset: true,
    sendResetPassword: async ({ user, url }) => {
      sendAfter(
        user.email,
        "Reset your Akleao password",
        `Open this link within an hour to choose a new password for ${user.email}:\n\n${url}\n\nIt ends every signed-in session of the account. Did not ask? Ignore this message: your password stays as it is.`,
      );
    },
    onExistingUserSignUp: async ({ user }) => {
      sendAfter(
        user.email,
        "Your Akleao account already exists",
        `Someone, perhaps you, tried to create an Akleao account with ${user.email}, which already has one. To get back in, sign in at ${baseURL}/sign-in, or choose a new password at ${baseURL}/forgot-password.\n\nNot you? Nothing changed; you can ignore this message.`,
      );
    },
  },
  emailVerification: {
    sendOnSignUp: true,
    sendVerificationEmail: async ({ user, url }, request) => {
      const mail = [
        user.email,
        "Confirm your address for Akleao alerts",
        `Open this link to confirm ${user.email} and receive Akleao alerts by email:\n\n${url}\n\nNot you? Ignore this message: nothing is sent to an address nobody confirmed.`,
      ] as const;
      // Awaited only when the account itself asks again (the notifications page), so a
      // failure shows. Otherwise after the answer, as the already-exists mail is: at sign-up,
      // and when anyone without a session names an address, where waiting for the relay (or
      // its failure) would tell an unconfirmed account from no account.
      if ((await signedInAs(request)) === user.email.toLowerCase()) await sendMail(...mail);
      else sendAfter(...mail);
    },
  },
  // Deleting one's account asks for the password (the settings page sends it; the hook below
  // requires it); an admin's removal calls forgetInApi from that hook instead.
  user: { deleteUser: { enabled: true, beforeDelete: async (user) => forgetInApi(user.id) } },
  hooks: {
    before: createAuthMiddleware(async (ctx) => {
      // Better Auth checks the password only when one is sent, else accepts a session under a
      // day old: deleting one's account always asks for it.
      if (ctx.path === "/delete-user") {
        const password = ctx.body?.password;
        if (typeof password !== "string" || password === "") {
          throw new APIError("BAD_REQUEST", { message: "Enter your password to delete your account." });
        }
        return;
      }
      if (ctx.path === "/admin/update-user" || ctx.path === "/admin/create-user") {
        const data = ctx.body?.data;
        if (data && typeof data === "object" && BAN_FIELDS.some((field) => field in data)) {
          throw new APIError("BAD_REQUEST", { message: "Ban or unban an account with ban-user and unban-user." });
        }
        return;
      }
      // An admin's removal (the admin plugin's /admin/remove-user): the data goes first, as
      // above, once the caller is known to be an admin removing someone else (what that
      // endpoint checks next), so nobody else can have an account's data deleted through it.
      // The id is read as the endpoint reads it (coerced to a string).
      if (ctx.path !== "/admin/remove-user") return;
      const session = await getSessionFromCtx(ctx);
      const roles = String(session?.user.role ?? "").split(",");
      const target = ctx.body?.userId == null ? "" : String(ctx.body.userId);
      if (!session || !roles.includes("admin") || !target || target === session.user.id) return;
      await forgetInApi(target);
    }),
    // A ban or its lifting that Better Auth recorded (it checked the caller, the body and the
    // target) goes to the API with the ban's own end.
    after: createAuthMiddleware(async (ctx) => {
      if (ctx.path !== "/admin/ban-user" && ctx.path !== "/admin/unban-user") return;
      const returned = ctx.context.returned;
      if (!returned || returned instanceof APIError || returned instanceof Response) return;
      const user = (returned as { user?: { id: string; banExpires?: Date | string | null } }).user;
      const session = await getSessionFromCtx(ctx);
      if (!user || !session) return;
      if (ctx.path === "/admin/unban-user") {
        await suspendInApi(session.user.id, user.id, undefined);
        return;
      }
      const ends = user.banExpires ? new Date(user.banExpires).getTime() : null;
      await suspendInApi(session.user.id, user.id, ends === null ? null : Math.floor(ends / 1000));
    }),
  },
  trustedOrigins: [baseURL, baseURL.replace("127.0.0.1", "localhost")],
  telemetry: { enabled: false },
  // Sign-in and mail limits are per client address. X-Forwarded-For is read from the right,
  // past the proxies named here: its left end is whatever the client wrote. With none named,
  // only a header of one address counts, which a client reaching the app directly can set.
  advanced: { ipAddress: { trustedProxies } },
  plugins: [
    jwt({
      // tokens come from /api/auth/token only: not signed again for every session check
      disableSettingJwtHeader: true,
      jwt: {
        issuer: baseURL,
        audience: baseURL,
        expirationTime: "15m",
        // What the API reads; the whole user row (the default) would also carry timestamps.
        definePayload: ({ user, session }) => ({
          // when this session signed in (OIDC's auth_time): the API tells a sign-in after an
          // account's deletion from a token minted later by a session begun before it
          auth_time: Math.floor(new Date(session.createdAt).getTime() / 1000),
          email: user.email,
          email_verified: user.emailVerified === true,
          name: user.name,
          role: user.role ?? "user",
        }),
      },
    }),
    admin(),
  ],
});
