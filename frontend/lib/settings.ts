/** The app's server settings, from the environment (the local stack sets them; see docs/frontend.md). */
export interface Settings {
  /** Where browsers reach this app; also the JWT issuer and audience the API expects. */
  baseURL: string;
  /** Better Auth's SQLite file. */
  database: string;
  /** Encrypts the JWKS private keys and signs session cookies: keep it with the database. */
  secret: string | undefined;
  /** The API the browser calls with the Bearer token. */
  apiURL: string;
  /** Where address-verification mail goes out (the same relay notify uses); unset: refused, or logged with AKLEAO_MAIL_LOG_ONLY. */
  smtp: { host: string; port: number; from: string; starttls: boolean; user?: string; password?: string } | null;
  /** Proxies (IPs or CIDR ranges) in front of the app whose X-Forwarded-For entries are trusted. */
  trustedProxies: string[];
}

// `next build` loads the route modules to collect page data: nothing is stored then, so no file
// is created and no real secret is needed.
const BUILDING = process.env.NEXT_PHASE === "phase-production-build";

export function settings(): Settings {
  return {
    baseURL: (process.env.BETTER_AUTH_URL ?? "http://localhost:3000").replace(/\/$/, ""),
    database: BUILDING ? ":memory:" : (process.env.AKLEAO_AUTH_DB ?? "auth.sqlite"),
    secret: BUILDING ? "next-build-only-never-signs-anything-0123456789" : process.env.BETTER_AUTH_SECRET,
    apiURL: (process.env.AKLEAO_API_URL ?? "http://127.0.0.1:8080").replace(/\/$/, ""),
    smtp: process.env.SMTP_HOST
      ? {
          host: process.env.SMTP_HOST,
          port: Number(process.env.SMTP_PORT ?? "1025"), // the defaults of notify's settings
          from: process.env.SMTP_FROM ?? "Akleao alerts <alerts@localhost>",
          starttls: ["1", "true", "yes", "on"].includes((process.env.SMTP_STARTTLS ?? "").trim().toLowerCase()),
          user: process.env.SMTP_USERNAME,
          password: process.env.SMTP_PASSWORD,
        }
      : null,
    trustedProxies: (process.env.AKLEAO_TRUSTED_PROXIES ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
  };
}
