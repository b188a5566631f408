/**
 * Run once when the server starts (instrumentation.ts): Better Auth's own migrations, then the
 * accounts named in AKLEAO_SEED_ACCOUNTS (the local stack's demo user and admin), then one
 * signing key, so the API finds a key at the JWKS from its first request.
 */
import { getMigrations } from "better-auth/db/migration";

import { auth } from "@/lib/auth";

interface SeedAccount {
  email: string;
  password: string;
  name: string;
  role?: "user" | "admin";
}

export async function migrate(): Promise<void> {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(auth.options);
  if (toBeCreated.length || toBeAdded.length) {
    await runMigrations();
    console.log(
      `auth database migrated: created ${toBeCreated.map((t) => t.table).join(", ") || "no tables"}; ` +
        `added columns to ${toBeAdded.map((t) => t.table).join(", ") || "no tables"}`,
    );
  }
}

export async function seed(accounts: SeedAccount[]): Promise<void> {
  const ctx = await auth.$context;
  for (const account of accounts) {
    const existing = await ctx.internalAdapter.findUserByEmail(account.email, { includeAccounts: true });
    if (existing) {
      // Confirmed only when it is the seeded account (its printed password signs in): someone
      // who signed up with that address first keeps an unconfirmed account of their own.
      const credential = existing.accounts.find((a) => a.providerId === "credential" && a.accountId === existing.user.id);
      const hash = credential?.password;
      const seeded = hash ? await ctx.password.verify({ hash, password: account.password }) : false;
      if (seeded && !existing.user.emailVerified) await ctx.internalAdapter.updateUser(existing.user.id, { emailVerified: true });
      console.log(`seed: ${account.email} exists${seeded ? "" : " with another password: left as it is"}`);
      continue;
    }
    // Server-side, without a session: the admin plugin allows it for bootstrapping.
    await auth.api.createUser({
      body: {
        email: account.email,
        password: account.password,
        name: account.name,
        role: account.role ?? "user",
        data: { emailVerified: true }, // local accounts with printed passwords: nothing to confirm
      },
    });
    console.log(`seed: created ${account.email} (${account.role ?? "user"})`);
  }
}

export async function setup(): Promise<void> {
  await migrate();
  const raw = process.env.AKLEAO_SEED_ACCOUNTS;
  if (raw) await seed(JSON.parse(raw) as SeedAccount[]);
  await auth.api.getJwks(); // creates the first key pair when there is none
}
