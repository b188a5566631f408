/**
 * Mail from the web app (address verification), through the SMTP relay notify uses. Without a
 * relay the message is logged instead when AKLEAO_MAIL_LOG_ONLY is set (a local stack without
 * a mailbox: the link is in its log), else refused, since nobody could confirm an address. A
 * send that fails is logged and thrown: the resend button says so; at sign-up Better Auth logs
 * it and the account is created all the same (a new link can be asked for). Each send gives
 * up after about 10 s, so a slow relay cannot hold a sign-up for minutes.
 */
import nodemailer from "nodemailer";

import { settings } from "@/lib/settings";

export async function sendMail(to: string, subject: string, text: string): Promise<void> {
  const { smtp } = settings();
  if (!smtp) {
    if (!process.env.AKLEAO_MAIL_LOG_ONLY) {
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
    // STARTTLS whenever the relay offers it, and required when asked or when there is a
    // password to send: a login must never cross in the clear
    requireTLS: smtp.starttls || Boolean(smtp.user),
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
  });
  try {
    await transport.sendMail({ from: smtp.from, to, subject, text });
  } catch (error) {
    console.error(JSON.stringify({ severity: "ERROR", message: `mail to ${to} failed: ${String(error)}` }));
    throw error;
  }
}
