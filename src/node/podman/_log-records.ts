/**
 * The k8s-file log format (podman's default log driver, written by conmon;
 * the CRI logging format): one record per file line,
 * `<RFC 3339 time> <stdout|stderr> <P|F> <content>`. A container line longer
 * than conmon's buffer, or flushed before its newline, is stored as records
 * tagged P (partial) followed by one tagged F (full) that ends the line; the
 * newline itself is not stored. A line still being written at the end of the
 * file is a run of P records.
 *
 * Pure: records in, whole lines out. Content stays bytes until a line is
 * whole, so a UTF-8 character split across two records decodes as one.
 */

/** A container output stream. */
export type LogStream = "stdout" | "stderr";

/** One record of a k8s-file log. */
export interface LogRecord {
  stream: LogStream;
  /** True for P: the line goes on in this stream's next record. */
  partial: boolean;
  /** The record's bytes (no newline). */
  content: Uint8Array;
  /** When conmon wrote it (Unix ms, from the record's RFC 3339 time); absent or 0 = unknown. */
  time?: number;
}

const TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/**
 * The Unix ms of a record's time (`2026-11-27T11:59:41.177023354+01:00`,
 * RFC 3339 with up to nanoseconds, as conmon writes it in the host's zone),
 * or 0 for anything else. Milliseconds are truncated, not rounded, so a
 * record never sorts after one written later.
 */
export function parseLogTime(text: string): number {
  const m = TIME.exec(text);
  if (!m) return 0;
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const ms = Number(frac.slice(0, 3).padEnd(3, "0"));
  const offsetMin = zone === "Z" ? 0 : (zone!.startsWith("-") ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offsetMin * 60_000;
  return Number.isFinite(t) ? t : 0;
}

const LATIN1 = new TextDecoder("latin1");

const SPACE = 0x20;
const P = 0x50;
const STDOUT = new TextEncoder().encode("stdout");
const STDERR = new TextEncoder().encode("stderr");

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One record from one file line (without its newline), or null for a line
 * that is not a record (conmon writes none; a torn line is skipped, not
 * shown as log text). The tag may carry several `:`-separated tags (CRI);
 * P among them marks a partial record.
 */
export function parseLogRecord(line: Uint8Array): LogRecord | null {
  const afterTime = line.indexOf(SPACE);
  if (afterTime <= 0) return null;
  const afterStream = line.indexOf(SPACE, afterTime + 1);
  if (afterStream < 0) return null;
  const name = line.subarray(afterTime + 1, afterStream);
  const stream: LogStream | null = equalBytes(name, STDOUT) ? "stdout" : equalBytes(name, STDERR) ? "stderr" : null;
  if (!stream) return null;
  let afterTag = line.indexOf(SPACE, afterStream + 1);
  if (afterTag < 0) afterTag = line.length;
  const tag = line.subarray(afterStream + 1, afterTag);
  if (tag.length === 0) return null;
  // conmon writes one letter; CRI allows more tags.
  const partial = tag.length === 1 ? tag[0] === P : new TextDecoder().decode(tag).split(":").includes("P");
  // The time is ASCII; at most 35 bytes (`…T11:59:41.177023354+00:00`) are worth decoding.
  const time = afterTime <= 40 ? parseLogTime(LATIN1.decode(line.subarray(0, afterTime))) : 0;
  return { stream, partial, content: line.subarray(Math.min(afterTag + 1, line.length)), time };
}

/** The most of one line the agent keeps and sends (1 MiB): the rest is counted and said. */
export const MAX_LINE_BYTES = 1 << 20;

/** A whole line and its time: that of the record that ended it (0 = unknown). */
export type OnLine = (line: string, time: number) => void;

/** Joins records (in file order) into a container's lines. */
export interface LineJoiner {
  /** Takes the next record; a full record emits its stream's line. */
  push(record: LogRecord): void;
  /** Emits the lines still in progress (the log ended without their newline), oldest last record first. */
  flush(): void;
}

/**
 * A LineJoiner that calls onLine once per whole line, in the order the lines
 * ended, with the time of the record that ended it (a line flushed unfinished:
 * its last record's); stdout and stderr lines in progress at the same time do
 * not mix.
 */
export function createLineJoiner(onLine: OnLine): LineJoiner {
  const decoder = new TextDecoder();
  const fresh = () => ({ parts: [] as Uint8Array[], bytes: 0, dropped: 0, last: 0, time: 0 });
  const pending: Record<LogStream, ReturnType<typeof fresh>> = { stdout: fresh(), stderr: fresh() };
  let seq = 0;
  /** Keeps at most MAX_LINE_BYTES of a line: a container writing without newlines must not grow the agent without end. */
  const keep = (p: ReturnType<typeof fresh>, b: Uint8Array) => {
    const room = MAX_LINE_BYTES - p.bytes;
    if (room <= 0) {
      p.dropped += b.length;
      return;
    }
    const part = b.length > room ? b.subarray(0, room) : b;
    p.parts.push(part);
    p.bytes += part.length;
    p.dropped += b.length - part.length;
  };
  const take = (stream: LogStream, last: Uint8Array | null) => {
    const p = pending[stream];
    if (last) keep(p, last);
    const { parts, dropped } = p;
    pending[stream] = { ...fresh(), last: p.last };
    const all = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of parts) {
      all.set(b, at);
      at += b.length;
    }
    const text = decoder.decode(all);
    return dropped > 0 ? `${text}… [mcp: line cut at ${MAX_LINE_BYTES} bytes; ${dropped} more]` : text;
  };
  return {
    push(record) {
      const p = pending[record.stream];
      if (record.partial) {
        keep(p, record.content);
        p.last = ++seq;
        p.time = record.time ?? 0;
        return;
      }
      onLine(take(record.stream, record.content), record.time ?? 0);
    },
    flush() {
      const open = (["stdout", "stderr"] as const).filter((s) => pending[s].parts.length > 0).sort((a, b) => pending[a].last - pending[b].last);
      for (const s of open) {
        const time = pending[s].time;
        onLine(take(s, null), time);
      }
    },
  };
}

/** Where a TailSelector stands: it needs earlier records, would like some (follow), or has all it needs. */
export type TailNeed = "more" | "lookback" | "done";

/** Picks, reading a log backwards, the records of its last lines. */
export interface TailSelector {
  /** Offers the record just before the ones offered so far (the last record first); returns what is still needed. */
  offer(record: LogRecord): TailNeed;
  /** The chosen records in file order: fed to a LineJoiner they give exactly the last lines. */
  records(): LogRecord[];
}

/**
 * A TailSelector for the last `lines` lines (≥ 1), counted as podman counts
 * them: a line is placed where it ended (its F record), a line still in
 * progress at the end of a stream where its last record is, and a line counts
 * once however many records it spans. Every record of a chosen line is
 * chosen, even far back ("more" until then).
 *
 * With `follow`, a stream's line in progress must also be known when it is
 * older than the last lines, so that new records finish it instead of
 * showing its end alone: its records are chosen too (not counted; they make
 * no line until the line ends), and until both streams' last records were
 * seen the selector answers "lookback" (the reader bounds how far it looks).
 */
export function createTailSelector(lines: number, o: { follow: boolean }): TailSelector {
  const chosen: LogRecord[] = [];
  const seen: Record<LogStream, boolean> = { stdout: false, stderr: false };
  // A stream is open while its earliest chosen record may not start its line (an earlier P would belong to it).
  const open: Record<LogStream, boolean> = { stdout: false, stderr: false };
  let counted = 0;
  const lineBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };
  const need = (): TailNeed => {
    if (counted < lines || open.stdout || open.stderr) return "more";
    return o.follow && !(seen.stdout && seen.stderr) ? "lookback" : "done";
  };
  return {
    offer(record) {
      const s = record.stream;
      if (counted < lines) {
        // A full record ends a line; a partial one with nothing of its stream after it is a line in progress.
        if (!record.partial || !seen[s]) counted++;
        chosen.push(record);
        open[s] = true;
      } else if (open[s]) {
        if (record.partial) chosen.push(record);
        else open[s] = false;
        // A line far past MAX_LINE_BYTES: its start is not looked for (the joiner would keep only that much anyway).
        if (open[s] && (lineBytes[s] += record.content.length) > MAX_LINE_BYTES) open[s] = false;
      } else if (o.follow && !seen[s] && record.partial) {
        // The last record of a stream absent from the last lines: its line is still being written.
        chosen.push(record);
        open[s] = true;
      }
      seen[s] = true;
      return need();
    },
    records: () => chosen.toReversed(),
  };
}

/**
 * The records of the complete file lines in bytes (a record line ends with
 * "\n"; a torn last line, still being written, is left for later), and how
 * many bytes they took.
 */
export function splitRecords(bytes: Uint8Array): { records: LogRecord[]; used: number } {
  const records: LogRecord[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
    const r = parseLogRecord(bytes.subarray(start, nl));
    if (r) records.push(r);
    start = nl + 1;
  }
  return { records, used: start };
}
