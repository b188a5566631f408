import { Shell } from "@/components/shell";

export default function SignedInLayout({ children }: { children: React.ReactNode }) {
  return <Shell>{children}</Shell>;
}
