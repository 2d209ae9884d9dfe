import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

interface ActionProps {
  /** The button's text. */
  label: string;
  /** The dialog's question, e.g. "Restart web.main on norcal?". */
  title: string;
  /** What will happen, and any inputs the action takes. */
  children?: ReactNode;
  /** Runs the action; its answer is shown as the outcome. */
  run: () => Promise<string>;
  danger?: boolean;
  /** Disables the confirm button (an input is not valid). */
  invalid?: boolean;
}

/** A button that asks for confirmation in a modal dialog before it runs its action. */
export function Action({ label, title, children, run, danger, invalid }: ActionProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  useEffect(() => {
    if (open) dialog.current?.showModal();
    else dialog.current?.close();
  }, [open]);
  const confirm = async () => {
    setBusy(true);
    try {
      setOutcome({ ok: true, text: await run() });
      setOpen(false);
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="action">
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        onClick={() => {
          setOutcome(undefined);
          setOpen(true);
        }}
      >
        {label}
      </button>
      {outcome && !open && (
        <span role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'outcome ok' : 'outcome bad'}>
          {outcome.text}
        </span>
      )}
      <dialog ref={dialog} aria-labelledby={headingId} onClose={() => setOpen(false)}>
        {open && (
          <form
            method="dialog"
            onSubmit={(e) => {
              e.preventDefault();
              void confirm();
            }}
          >
            <h2 id={headingId}>{title}</h2>
            {children}
            {outcome && !outcome.ok && (
              <p role="alert" className="outcome bad">
                {outcome.text}
              </p>
            )}
            <div className="buttons">
              <button type="button" onClick={() => setOpen(false)} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy || invalid} autoFocus>
                {busy ? 'Working…' : label}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </span>
  );
}
