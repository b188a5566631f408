"use client";

/** A button that refuses presses while its action runs but keeps the keyboard's focus. A
 * button that disables itself loses the focus (Chrome moves it to the page's start, as the
 * HTML spec's focus fixup says): a keyboard or screen-reader user pressing Save is sent back
 * to the top. This one is `aria-disabled` instead: read out as unavailable, focusable, a press
 * swallowed. Enter in a form's field submits by clicking its submit button, so that press is
 * swallowed here too; the forms' `onSubmit` handlers check the same flag all the same. */
export function BusyButton({
  busy,
  onClick,
  ...rest
}: Omit<React.ButtonHTMLAttributes<HTMLButtonElement>, "aria-disabled"> & { busy: boolean }) {
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
