import { useSyncExternalStore } from "react";

/** Whether this page's script has taken over (false in the server's HTML and while
 * hydrating): until then a click on a form's button submits it natively, as a GET with its
 * fields in the URL, so a form that carries a password keeps its button disabled. */
export function useHydrated(): boolean {
  return useSyncExternalStore(subscribeNothing, () => true, () => false);
}

function subscribeNothing(): () => void {
  return () => {};
}
