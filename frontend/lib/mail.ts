/**
 * Mail from the web app (address verification), through the SMTP relay notify uses. Without a
 * relay configured a development server logs the message instead (the link is in its log); a
 * production one refuses, since nobody could confirm an address. A send that fails is logged
 * and thrown, and Better Auth reports it to the caller.
 */
import nodemailer from "nodemailer";

import { settings } from "@/lib/settings";

export async function sendMail(to: string, subject: string, text: string): Promise<void> {
  const { smtp } = settings();
  if (!smtp) {
    if (process.env.NODE_ENV === "production") {
      console.error(JSON.stringify({ severity: "ERROR", message: `mail to ${to} not sent: SMTP_HOST is not set` }));
      throw new Error("no mail relay is configured (SMTP_HOST)");
    }
    console.log(JSON.stringify({ severity: "INFO", message: `mail not sent (no SMTP_HOST): ${subject}`, to, text }));
    return;
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    requireTLS: smtp.secure,
    ignoreTLS: !smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
  });
  try {
    await transport.sendMail({ from: smtp.from, to, subject, text });
  } catch (error) {
    console.error(JSON.stringify({ severity: "ERROR", message: `mail to ${to} failed: ${String(error)}` }));
    throw error;
  }
}
