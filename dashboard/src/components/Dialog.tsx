// A modal dialog: the native <dialog> (the rest of the page is inert), focus kept inside with Tab
// and Shift+Tab, Escape closes, focus returns to whatever opened it.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Buttons, right-aligned under the body. */
  actions: ComponentChildren;
  tone?: "default" | "danger";
  /** Called on submit (Enter in a field or the submit button). */
  onSubmit?: () => void;
}

export function Dialog({ title, onClose, children, actions, tone = "default", onSubmit }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  // The parent re-renders every second (live ticks): keep the latest onClose without reopening.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    d.showModal();
    const first = d.querySelector<HTMLElement>("[data-autofocus]") ?? d.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onCancel = (e: Event): void => {
      e.preventDefault();
      close.current();
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== "Tab") return;
      const items = [...d.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
      const firstEl = items[0];
      const lastEl = items[items.length - 1];
      if (!firstEl || !lastEl) return;
      if (e.shiftKey && document.activeElement === firstEl) {
        e.preventDefault();
        lastEl.focus();
      } else if (!e.shiftKey && document.activeElement === lastEl) {
        e.preventDefault();
        firstEl.focus();
      }
    };
    d.addEventListener("cancel", onCancel);
    d.addEventListener("keydown", onKey);
    return () => {
      d.removeEventListener("cancel", onCancel);
      d.removeEventListener("keydown", onKey);
      if (d.open) d.close();
      opener?.focus();
    };
  }, []);
  const titleId = `dlg-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <dialog ref={ref} class={`dialog dialog-${tone}`} aria-labelledby={titleId}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit?.();
        }}
      >
        <h2 id={titleId} class="dialog-title">
          {title}
        </h2>
        <div class="dialog-body">{children}</div>
        <div class="dialog-actions">{actions}</div>
      </form>
    </dialog>
  );
}
