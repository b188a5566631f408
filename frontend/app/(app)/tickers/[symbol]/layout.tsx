import type { Metadata } from "next";

import { readable } from "@/lib/params";

export async function generateMetadata({ params }: { params: Promise<{ symbol: string }> }): Promise<Metadata> {
  const { symbol } = await params;
  return { title: readable(symbol).toUpperCase() };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
