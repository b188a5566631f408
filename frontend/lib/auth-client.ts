"use client";

import { createAuthClient } from "better-auth/react";
import { adminClient } from "better-auth/client/plugins";

/** Same origin as the page: Better Auth's routes are this app's /api/auth/*. */
export const authClient = createAuthClient({ plugins: [adminClient()] });
