import type { NextConfig } from "next";

const config: NextConfig = {
  // better-sqlite3 is a native module: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
  reactStrictMode: true,
  // No other site may frame these pages (a framed "Rotate secret" or threshold save could be
  // clicked through with the user's session), sniff a type, or read full URLs as referrer; and
  // once a browser has been here over HTTPS it never comes back over plain HTTP (a first
  // request downgraded on the way would give passwords away; browsers ignore the header over
  // HTTP, so the local stack is unaffected).
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" },
        ],
      },
    ];
  },
};

export default config;
