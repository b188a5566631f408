import type { Metadata, Viewport } from "next";
import { connection } from "next/server";

import { ApiProvider } from "@/components/api-context";
import { settings } from "@/lib/settings";

import "./globals.css";

// each page names itself (a layout beside it): the title is what a screen reader announces
// when the app moves to another page, and what names the tab and the history entry
export const metadata: Metadata = {
  title: { default: "Akleao Finance", template: "%s · Akleao Finance" },
  description: "Early signals in stock discussions",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  await connection(); // render per request: the API's address comes from the server's environment
  return (
    <html lang="en">
      <body>
        <ApiProvider url={settings().apiURL}>{children}</ApiProvider>
      </body>
    </html>
  );
}
