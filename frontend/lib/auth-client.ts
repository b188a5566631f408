"use client";

import { createAuthClient } from "better-auth/react";
import { adminClient } from "better-auth/client/plugins";

/** Same origin as the page: Better Auth's routes are this app's /api/auth/*. */
export const authClient = createAuthClient({ plugins: [adminClient()] });

let departing = false;

/** This page is on its way out by its own doing (an account being deleted): the Shell, seeing
 * the session go, must not send it to sign in meanwhile and race the page's own way out. */
export function setDeparting(on: boolean): void {
  departing = on;
}

export function isDeparting(): boolean {
  return departing;
}

/** What a form says when its request never reached the server: Better Auth's client throws
 * then, rather than answering `{ error }`, so each call is wrapped and no form stays busy. */
export const UNREACHABLE = "The server could not be reached: check the connection and try again.";

/** What a form says when Better Auth refused. */
export function authMessage(error: { message?: string; statusText?: string }): string {
  return error.message ?? error.statusText ?? "It did not work.";
}
