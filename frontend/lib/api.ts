"use client";

/**
 * The browser's way to the API: a Bearer JWT from Better Auth's jwt plugin (GET /api/auth/token,
 * same origin, session cookie), cached until shortly before it expires, then a direct call to
 * the API (its CORS allow-list names this app's origin). Errors keep the API's shape,
 * {"error": {"code", "message"}}, so pages can show what the API said.
 */

import { authClient } from "@/lib/auth-client";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the API asked us to wait (Retry-After on 429 and 503), when it said. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** Retry-After in seconds; an HTTP date is read as the time left until it. */
function retryAfter(response: Response, header = "Retry-After"): number | null {
  const value = response.headers.get(header);
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) : (Date.parse(value) - Date.now()) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : null;
}

// The token is the signed-in user's: another account signed in from another tab must not be
// served the previous account's token (the page says who it is for: tokenOwner), nor an
// account whose role or email confirmation changed since its token was signed (the API reads
// both from the token, for up to its 15 minutes).
let cached: { token: string; exp: number; owner: string | null; facts: string } | null = null;
let owner: string | null = null;
let facts = "";

export function forgetToken(): void {
  cached = null;
}

/** The user this tab now calls the API for, and what the session shows of them that the API
 * reads from the token (``shown``: role, email confirmation): a token cached for anyone else,
 * or from before either changed, is dropped. */
export function tokenOwner(userId: string, shown = ""): void {
  if (owner !== userId || facts !== shown) {
    owner = userId;
    facts = shown;
    cached = null;
  }
}

function claims(token: string): { exp: number; iat: number | null; sub: string | null } {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: number; iat?: number; sub?: string };
    return {
      exp: typeof payload.exp === "number" ? payload.exp : 0,
      iat: typeof payload.iat === "number" ? payload.iat : null,
      sub: typeof payload.sub === "string" ? payload.sub : null,
    };
  } catch {
    return { exp: 0, iat: null, sub: null };
  }
}

async function bearer(fresh: boolean): Promise<string> {
  if (!fresh && cached && cached.owner === owner && cached.facts === facts && cached.exp - 60 > Date.now() / 1000) return cached.token;
  const asked = owner;
  const shown = facts;
  let response: Response;
  try {
    response = await fetch("/api/auth/token", { credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, "unreachable", "The web app cannot be reached for a token: check the connection.");
  }
  if (response.status === 401 || response.status === 403) {
    throw new ApiError(response.status, "signed_out", "Your session has ended: sign in again.");
  }
  if (!response.ok) {
    // Better Auth's own rate limit says how long to wait as X-Retry-After
    const wait = retryAfter(response) ?? retryAfter(response, "X-Retry-After");
    throw new ApiError(response.status, "token_unavailable", `No token for the API now (HTTP ${response.status}): try again shortly.`, wait);
  }
  let token: string;
  try {
    ({ token } = (await response.json()) as { token: string });
  } catch {
    // a captive portal's or a proxy's page, not Better Auth's JSON
    throw new ApiError(response.status, "token_unavailable", `No token for the API now (HTTP ${response.status}: not the app's answer).`);
  }
  const { exp, iat, sub } = claims(token);
  if (asked !== null && sub !== asked) {
    // The session cookie is someone else's now (signed in from another tab, which tells this
    // one nothing): have the page follow it (Shell then names the new owner and remounts the
    // page) rather than show one account's name over another's data.
    authClient.$store.notify("$sessionSignal");
    throw new ApiError(401, "session_changed", "Someone else signed in from another tab: this page is switching to that account.");
  }
  // kept by this browser's clock: its lifetime from now, not the server's expiry, which a clock
  // running fast would find always passed (and fetch a token for every call)
  const until = iat !== null && exp > iat ? Date.now() / 1000 + (exp - iat) : exp;
  if (owner === asked && facts === shown) cached = { token, exp: until, owner: asked, facts: shown }; // not if the user changed meanwhile
  return token;
}

/** A symbol as typed ("$brk/b") as the API names it ("BRK.B"): a slash would not reach the API
 * as part of the symbol, and brokers write class shares with one. */
export function asSymbol(typed: string): string {
  return typed.trim().replace(/^\$/, "").replace(/\//g, ".").toUpperCase();
}

export type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function apiCall<T>(base: string, method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const url = base + withQuery(path, query);
  for (const fresh of [false, true]) {
    const token = await bearer(fresh);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "unreachable", `The API at ${base} cannot be reached.`);
    }
    if (response.status === 401 && !fresh) continue; // an expired token: fetch a new one once
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // a proxy's HTML error page, not the API's JSON: say the status, not the parser's complaint
      // (a 2xx one too: something between us answered, so it counts as no answer, worth retrying)
      throw new ApiError(response.ok ? 0 : response.status, "error", `HTTP ${response.status}: the answer was not the API's JSON.`, retryAfter(response));
    }
    if (!response.ok) {
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? "error", error?.message ?? `HTTP ${response.status}`, retryAfter(response));
    }
    return data as T;
  }
  throw new ApiError(401, "unauthorized", "The API refused the token.");
}

// ---------------------------------------------------------------- what the API returns (docs/api.md)

export interface Preferences {
  min_score: number;
  max_pump_risk: number;
  watchlist_only: boolean;
  subreddits: string[];
}

export interface Me {
  id: string;
  email?: string | null;
  name?: string | null;
  role?: string | null;
  preferences: Preferences;
  watchlist: string[];
  /** set while an admin has the account suspended: nothing is sent to it (until: epoch s, null until lifted) */
  suspended?: { until: number | null } | null;
}

export interface AlertSummary {
  alert_id: string;
  symbol: string;
  kind: string;
  status: string;
  level: number;
  rule: string;
  reasons: string[];
  score: number;
  peak_score?: number | null;
  pump_risk: number;
  opened_at?: number | null;
  updated_at?: number | null;
  resolved_at?: number | null;
  config_version?: number | null;
}

export interface Evidence {
  item_id: string;
  permalink: string;
  url?: string | null;
  title: string;
  subreddit: string;
  author?: string | null;
  created_utc?: number | null;
  score?: number | null;
}

export interface AlertChange {
  at?: number | null;
  status: string;
  level?: number | null;
  score?: number | null;
  pump_risk?: number | null;
}

/** A reader's judgement of an alert (POST /v1/alerts/{id}/feedback). */
export type Verdict = "useful" | "not_useful" | "pump";

export interface Alert extends AlertSummary {
  metrics: Record<string, unknown>;
  baseline: Record<string, unknown>;
  evidence: Evidence[];
  history: AlertChange[];
  your_verdict?: Verdict | null;
}

export interface AlertPage {
  alerts: AlertSummary[];
  next_cursor?: string | null;
}

export interface TrendingTicker {
  symbol: string;
  as_of?: number | null;
  mentions: number;
  window: WindowMetrics;
  score?: number | null;
  pump_risk?: number | null;
  alert_id?: string | null;
}

export interface Trending {
  window: string;
  now?: number | null;
  tickers: TrendingTicker[];
}

export interface WindowMetrics {
  mentions: number;
  posts: number;
  comments: number;
  distinct_authors: number;
  distinct_subreddits: number;
  author_diversity: number;
  new_account_share: number;
  duplicate_share: number;
}

export interface Detection {
  as_of?: number | null;
  score?: number | null;
  pump_risk?: number | null;
  ratio?: number | null;
  surprise?: number | null;
  baseline_1h?: number | null;
  status?: string | null;
  alert_id?: string | null;
  config_version?: number | null;
}

export interface Ticker {
  symbol: string;
  as_of?: number | null;
  windows: Record<string, WindowMetrics>;
  velocity?: number | null;
  acceleration?: number | null;
  detection?: Detection | null;
}

export interface HourPoint {
  hour: string;
  start_utc: number;
  mentions: number;
  distinct_authors: number;
}

export interface History {
  symbol: string;
  start_utc: number;
  end_utc: number;
  source: string;
  complete: boolean;
  hours: HourPoint[];
}

export type DetectionConfig = Record<string, unknown>;

export interface StoredConfig {
  config: DetectionConfig;
  version: number;
  updated_at?: number | null;
  updated_by?: string | null;
}

export interface PreviewAlert {
  symbol: string;
  alert_id?: string | null;
  kind?: string | null;
  rule?: string | null;
  opened_at?: number | null;
  score?: number | null;
  pump_risk?: number | null;
  reasons: string[];
}

export interface PreviewMove {
  current: PreviewAlert;
  proposed: PreviewAlert;
  shift_h: number;
}

export interface Preview {
  hours: number;
  symbols: number;
  proposed: PreviewAlert[];
  current: PreviewAlert[];
  gained: PreviewAlert[];
  lost: PreviewAlert[];
  moved: PreviewMove[];
  current_version: number;
}

export type AlertKind = "organic" | "pump";
export type Moment = "open" | "escalated" | "reclassified" | "resolved";

export interface NotificationSettings {
  webhook_url: string | null;
  email: boolean;
  kinds: AlertKind[];
  events: Moment[];
  quiet_hours: { start: number | null; end: number | null } | null;
  max_per_hour: number;
  digest: boolean;
}

export interface NotificationState {
  settings: NotificationSettings;
  /** These settings as read: sent back with the save, which a change made since refuses (409 settings_changed). */
  etag?: string;
  webhook_secret_set: boolean;
  webhook_disabled?: boolean;
  webhook_disabled_reason?: string | null;
  email?: string | null;
  email_unsubscribed?: boolean;
  stored_settings_invalid?: boolean;
}

export interface ChannelTest {
  outcome: "sent" | "refused" | "failed" | "not_configured";
  status?: number | null;
  detail?: string | null;
}

export interface NotificationTest {
  webhook: ChannelTest;
  email: ChannelTest;
}

// ---------------------------------------------------------------- formatting

export function when(epoch?: number | null): string {
  if (!epoch) return "—";
  return new Date(epoch * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function num(value: unknown, digits = 2): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}
