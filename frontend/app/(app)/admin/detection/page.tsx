"use client";

import { useEffect, useRef, useState } from "react";

import { asApiError, useApi, useGet } from "@/components/api-context";
import { isAdmin } from "@/components/shell";
import { Empty, ErrorBox, Loading, useHeld } from "@/components/states";
import { type ApiError, type DetectionConfig, num, type Preview, type PreviewAlert, type PreviewMove, type StoredConfig, when } from "@/lib/api";
import { authClient } from "@/lib/auth-client";
import { BusyButton } from "@/components/busy-button";

/**
 * Admins: edit the thresholds, preview them against recent stored data (the detector's own
 * backtest core, POST /v1/config/detection/preview), then save with the version they started
 * from, so a save after someone else's is a 409 shown here rather than a silent overwrite.
 */
export default function DetectionPage() {
  const { data: session } = authClient.useSession();
  const [loaded, reload] = useGet<StoredConfig>("/v1/config/detection");
  if (!isAdmin(session?.user.role)) return <ErrorBox error="Only admins can change the detection thresholds." />;
  if (loaded.state === "loading") return <Loading what="the thresholds" />;
  if (loaded.state === "error") return <ErrorBox error={loaded.error} retry={reload} />;
  return <Editor key={loaded.data.version} stored={loaded.data} />;
}

type Draft = Record<string, string | boolean>;

function toDraft(config: DetectionConfig): Draft {
  return Object.fromEntries(
    Object.entries(config).map(([name, value]) => [name, typeof value === "boolean" ? value : typeof value === "number" ? String(value) : JSON.stringify(value)]),
  );
}

function fromDraft(draft: Draft, stored: DetectionConfig): DetectionConfig {
  return Object.fromEntries(
    Object.entries(draft).map(([name, value]) => {
      const original = stored[name];
      if (typeof original === "boolean") return [name, value];
      if (typeof original === "number") {
        // "" is no number (Number("") is 0): sent as typed, the api refuses it by name
        const n = String(value).trim() === "" ? Number.NaN : Number(value);
        return [name, Number.isFinite(n) ? n : value];
      }
      try {
        return [name, JSON.parse(String(value))];
      } catch {
        return [name, value];
      }
    }),
  );
}

const alertKey = (a: PreviewAlert) => `${a.symbol}@${a.opened_at ?? ""}@${a.kind ?? ""}`;

function Editor({ stored: loaded }: { stored: StoredConfig }) {
  const api = useApi();
  // what the next save starts from: the loaded version, then each version saved here
  const [stored, setStored] = useState<StoredConfig>(loaded);
  const [draft, setDraft] = useState<Draft>(() => toDraft(stored.config));
  const [hours, setHours] = useState("72");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState<"preview" | "save" | "load" | null>(null);
  // after a conflict: the fields this admin had changed that the newer version changed too
  const [rebased, setRebased] = useState<{ version: number; both: string[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<StoredConfig | null>(null);
  // "Load the latest version" goes once it loaded: its focus moves to what it did
  const rebasedNote = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (rebased) rebasedNote.current?.focus();
  }, [rebased]);
  const initial = toDraft(stored.config);
  const changed = Object.keys(draft).filter((name) => draft[name] !== initial[name]);

  function edit(name: string, value: string | boolean) {
    setDraft((d) => ({ ...d, [name]: value }));
    setPreview(null);
    setSaved(null);
  }

  /** After a 409: the newer version, with this admin's changes kept on top of it (a failed
   * load keeps them too), and the fields both changed named for a second look. */
  async function loadLatest() {
    setBusy("load");
    try {
      const latest = await api<StoredConfig>("GET", "/v1/config/detection");
      const theirs = toDraft(latest.config);
      const mine = Object.fromEntries(changed.map((name) => [name, draft[name]]));
      setStored(latest);
      setDraft({ ...theirs, ...mine });
      // changed by both, to different values: the same value twice needs no second look
      const both = changed.filter((name) => theirs[name] !== initial[name] && theirs[name] !== draft[name]);
      setRebased({ version: latest.version, both });
      setPreview(null);
      setError(null);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(null);
    }
  }

  async function run(kind: "preview" | "save") {
    if (busy) return;
    setBusy(kind);
    setError(null);
    const config = fromDraft(draft, stored.config);
    try {
      if (kind === "preview") {
        setPreview(await api<Preview>("POST", "/v1/config/detection/preview", { config, hours: Number(hours) }));
      } else {
        const result = await api<StoredConfig>("PUT", "/v1/config/detection", { config, expected_version: stored.version });
        setStored(result);
        setDraft(toDraft(result.config));
        setSaved(result);
        setRebased(null);
        setPreview(null); // it compared with the thresholds replaced just now
      }
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(null);
    }
  }

  const held = useHeld(error); // a 429's Retry-After holds the replay too: asking sooner earns another
  // an API older than this page answers no comparison: said, not shown as "no difference"
  const compared = !preview || Array.isArray(preview.gained);
  const gained = preview?.gained ?? [];
  const lost = preview?.lost ?? [];
  const moved = preview?.moved ?? [];

  return (
    <>
      <h1>Detection thresholds</h1>
      <p className="numbers" id="config-version" data-version={stored.version}>
        version {stored.version}
        {stored.updated_by ? ` · saved by ${stored.updated_by} ${when(stored.updated_at)}` : " · defaults"}
      </p>
      <div className="row card actions">
        <label>
          Replay the last
          <input name="preview_hours" type="number" min="1" max="336" value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
        <span className="numbers">hours</span>
        <BusyButton type="button" id="preview" busy={!!busy || held} onClick={() => run("preview")}>
          {busy === "preview" ? "Replaying…" : "Preview"}
        </BusyButton>
        {/* a save leaves nothing changed: disabled, the button would drop the focus it has */}
        <BusyButton type="button" id="save" busy={!!busy || changed.length === 0} onClick={() => run("save")}>
          {busy === "save" ? "Saving…" : `Save ${changed.length} change${changed.length === 1 ? "" : "s"}`}
        </BusyButton>
      </div>
      {error ? (
        <ErrorBox
          error={error}
          hint={error.status === 409 ? "Someone saved the thresholds after you loaded them: load theirs, your changes stay on top." : undefined}
        />
      ) : null}
      {error?.status === 409 ? (
        <BusyButton type="button" className="secondary" id="load-latest" busy={!!busy} onClick={loadLatest}>
          {busy === "load" ? "Loading…" : "Load the latest version"}
        </BusyButton>
      ) : null}
      {rebased ? (
        <p className="numbers" id="config-rebased" role="status" data-both={rebased.both.join(",")} tabIndex={-1} ref={rebasedNote}>
          Your changes are kept on top of version {rebased.version}.
          {rebased.both.length ? ` They changed ${rebased.both.join(", ")} too: check the values before saving.` : ""}
        </p>
      ) : null}
      {saved ? (
        <p className="ok" id="config-saved" role="status">
          Saved as version {saved.version}.
        </p>
      ) : null}
      {busy === "preview" ? <Loading what="the backtest preview" /> : null}
      {preview ? (
        <section id="preview-result" data-gained={gained.length} data-lost={lost.length} data-moved={moved.length}>
          <h2>Preview over {preview.hours} h, {preview.symbols} symbols</h2>
          <p>
            Current thresholds (v{preview.current_version}): <strong>{preview.current.length}</strong> alerts · proposed:{" "}
            <strong>{preview.proposed.length}</strong>
            {compared ? (
              <>
                {" "}
                · gained <strong className="ok">{gained.length}</strong> · lost <strong className="lost">{lost.length}</strong> · moved{" "}
                <strong>{moved.length}</strong>
              </>
            ) : null}
          </p>
          {compared ? (
            <>
              <PreviewList title="Gained" id="gained" alerts={gained} />
              <PreviewList title="Lost" id="lost" alerts={lost} />
              <MovedList moves={moved} />
            </>
          ) : (
            <>
              <ErrorBox error="This API does not compare the two configs yet: both lists in full." />
              <PreviewList title="Proposed" id="proposed" alerts={preview.proposed} />
              <PreviewList title="Current" id="current" alerts={preview.current} />
            </>
          )}
        </section>
      ) : null}
      <form className="card" id="config-form" onSubmit={(e) => e.preventDefault()}>
        <div className="grid-config">
          {Object.entries(draft).map(([name, value]) => (
            <label key={name} className={changed.includes(name) ? "changed" : undefined}>
              {name}
              {typeof value === "boolean" ? (
                <input name={name} type="checkbox" checked={value} disabled={!!busy} onChange={(e) => edit(name, e.target.checked)} />
              ) : (
                <input name={name} value={value} readOnly={!!busy} inputMode={typeof stored.config[name] === "number" ? "decimal" : "text"} onChange={(e) => edit(name, e.target.value)} />
              )}
            </label>
          ))}
        </div>
      </form>
    </>
  );
}

function PreviewList({ title, id, alerts }: { title: string; id: string; alerts: PreviewAlert[] }) {
  return (
    <>
      <h2>{title}</h2>
      {alerts.length === 0 ? (
        <Empty>None.</Empty>
      ) : (
        <div className="scroll">
          <table id={id}>
            <thead>
              <tr>
                <th>symbol</th>
                <th>kind</th>
                <th>opened</th>
                <th>score</th>
                <th>pump risk</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={alertKey(a)} data-symbol={a.symbol}>
                  <td>{a.symbol}</td>
                  <td>{a.kind ?? "—"}</td>
                  <td>{when(a.opened_at)}</td>
                  <td>{num(a.score)}</td>
                  <td>{num(a.pump_risk)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The same episode opened at another time: one line, not a loss and a gain. */
function MovedList({ moves }: { moves: PreviewMove[] }) {
  return (
    <>
      <h2>Moved</h2>
      {moves.length === 0 ? (
        <Empty>None.</Empty>
      ) : (
        <div className="scroll">
          <table id="moved">
            <thead>
              <tr>
                <th>symbol</th>
                <th>kind</th>
                <th>opened now</th>
                <th>opened proposed</th>
                <th>shift</th>
                <th>score now → proposed</th>
              </tr>
            </thead>
            <tbody>
              {moves.map((m) => (
                <tr key={`${alertKey(m.current)}>${alertKey(m.proposed)}`} data-symbol={m.current.symbol}>
                  <td>{m.current.symbol}</td>
                  <td>{m.current.kind ?? "—"}</td>
                  <td>{when(m.current.opened_at)}</td>
                  <td>{when(m.proposed.opened_at)}</td>
                  <td>{m.shift_h > 0 ? "+" : ""}{num(m.shift_h, 1)} h</td>
                  <td>
                    {num(m.current.score)} → {num(m.proposed.score)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
