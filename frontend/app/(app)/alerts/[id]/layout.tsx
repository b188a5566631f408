import type { Metadata } from "next";

import { readable } from "@/lib/params";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Alert ${readable(id)}` };
}

export default function Layout({ children }: { children: React.ReactNode }) {
  return children;
}
