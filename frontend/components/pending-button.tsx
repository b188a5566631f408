"use client";

import { useFormStatus } from "react-dom";

import { BusyButton } from "@/components/busy-button";

/** A server action's submit button: refusing clicks, and saying so, while its form is being
 * sent, so a slow answer is not taken for a click that did nothing (and sent again). */
export function PendingButton({ children, pending }: { children: React.ReactNode; pending: string }) {
  const { pending: sending } = useFormStatus();
  return (
    <BusyButton type="submit" busy={sending} aria-busy={sending}>
      {sending ? pending : children}
    </BusyButton>
  );
}
