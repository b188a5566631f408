/** Next.js calls register() once per server start, before it serves a request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { setup } = await import("@/lib/setup");
    await setup();
  }
}
