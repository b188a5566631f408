"use client";

/** A button that refuses clicks while its action runs but keeps the keyboard's focus. With
 * `disabled`, the browser drops the focus of a button that disables itself (to the page's
 * start): a keyboard or screen-reader user pressing Save is sent back to the top. This one is
 * `aria-disabled` instead: read out as unavailable, focusable, a click or Enter swallowed.
 * A form's implicit submission (Enter in a field) does not pass through it: its `onSubmit`
 * checks the same flag. */
export function BusyButton({
  busy,
  onClick,
  ...rest
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean }) {
  return (
    <button
      {...rest}
      aria-disabled={busy || undefined}
      onClick={(event) => {
        if (busy) event.preventDefault(); // a submit button's click would send its form
        else onClick?.(event);
      }}
    />
  );
}
