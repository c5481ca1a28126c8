/**
 * Reading a k8s-file container log (_log-records.ts) straight from its file:
 * the last lines by reading backwards from the end, or all of it forwards,
 * then new records as conmon appends them. Podman 4.3's `podman logs --tail`
 * attaches each run of partial records to the line before it (podman issue
 * 19545, fixed in 4.7), and only --tail reads a long log without reading all
 * of it; reading the file gives whole lines at --tail's cost.
 */
import { createTailSelector, MAX_LINE_BYTES, parseLogRecord, splitRecords, type LogRecord, type TailNeed } from "./_log-records.ts";

/** A place in a log file: just past the last whole record read, in the file with inode `ino` (-1: no file yet). */
export interface LogPosition {
  offset: number;
  ino: number;
}

/** Bytes read at a time going backwards (the last lines are usually near the end). */
const BACK_CHUNK = 64 * 1024;
/** Bytes read at a time going forwards. */
const FORWARD_CHUNK = 1024 * 1024;
/** With follow: how far back past the last lines to look for a line still in progress in a quiet stream. */
const LOOKBACK_BYTES = 4 * 1024 * 1024;

const NONE: Uint8Array = new Uint8Array(0);

function isEnoent(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

/** The file's size and inode, or null when it does not exist (not written yet, or removed with its container). */
async function statLog(path: string): Promise<{ size: number; ino: number } | null> {
  try {
    const s = await Bun.file(path).stat();
    return { size: s.size, ino: Number(s.ino) };
  } catch (err) {
    if (isEnoent(err)) return null;
    throw err;
  }
}

/** Bytes [from, to) of the file; fewer when it was cut shorter meanwhile, none when it is gone. */
async function readBytes(path: string, from: number, to: number): Promise<Uint8Array> {
  try {
    return new Uint8Array(await Bun.file(path).slice(from, to).arrayBuffer());
  } catch (err) {
    if (isEnoent(err)) return NONE;
    throw err;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Hands every whole record of bytes [from, to) to onRecord, in order; returns
 * the offset just past the last whole one (a torn last line is read again
 * next time). Stops early, returning where it stopped, once signal aborts.
 */
async function readForward(path: string, from: number, to: number, onRecord: (r: LogRecord) => void, signal?: AbortSignal): Promise<number> {
  let done = from;
  let carry = NONE;
  for (let pos = from; pos < to && !signal?.aborted; ) {
    const chunk = await readBytes(path, pos, Math.min(to, pos + FORWARD_CHUNK));
    if (chunk.length === 0) break;
    pos += chunk.length;
    const bytes = concat(carry, chunk);
    const { records, used } = splitRecords(bytes);
    for (const r of records) onRecord(r);
    done += used;
    carry = bytes.subarray(used);
  }
  return done;
}

/** Every whole record of the file from offset `from` (a record's start; default 0), in order, to onRecord; returns where they end. */
export async function readLog(path: string, onRecord: (r: LogRecord) => void, signal?: AbortSignal, from = 0): Promise<LogPosition> {
  const st = await statLog(path);
  if (!st) return { offset: 0, ino: -1 };
  return { offset: await readForward(path, Math.min(from, st.size), st.size, onRecord, signal), ino: st.ino };
}

/** Bytes read around a probe of findSinceOffset's search: a conmon record is at most its 8 KiB buffer plus the prefix. */
const PROBE_BYTES = 16 * 1024;

/** The start of the first file line at or after `x` (the file's size when there is none), and its record (null: no record there). */
async function lineAt(path: string, x: number, size: number): Promise<{ start: number; record: LogRecord | null }> {
  let start = x;
  if (x > 0) {
    // The line that holds byte x-1 ends at the first newline from there.
    let pos = x - 1;
    for (;;) {
      const buf = await readBytes(path, pos, Math.min(size, pos + PROBE_BYTES));
      if (buf.length === 0) return { start: size, record: null };
      const nl = buf.indexOf(0x0a);
      if (nl >= 0) {
        start = pos + nl + 1;
        break;
      }
      pos += buf.length;
    }
  }
  if (start >= size) return { start: size, record: null };
  const head = await readBytes(path, start, Math.min(size, start + 128));
  const nl = head.indexOf(0x0a);
  return { start, record: parseLogRecord(nl >= 0 ? head.subarray(0, nl) : head) };
}

/**
 * Where a read of the lines written at or after `since` (Unix ms) starts:
 * the first record at or after it, found by bisecting the file (conmon
 * writes records in time order), moved back over the records of a line that
 * began earlier and ends later (a run of P records of either stream), at
 * most MAX_LINE_BYTES back. The reader still drops lines that ended before
 * `since`. 0 when there is no file.
 */
export async function findSinceOffset(path: string, since: number): Promise<number> {
  const st = await statLog(path);
  if (!st) return 0;
  // The smallest x whose next line is the end of the file or a record at or after since.
  let lo = 0;
  let hi = st.size;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const { record } = await lineAt(path, mid, st.size);
    if (!record || (record.time ?? 0) >= since) hi = mid;
    else lo = mid + 1;
  }
  const first = (await lineAt(path, lo, st.size)).start;
  // Back over the other records of lines still open at `first`: until each stream shows a full record (its line ended before).
  const closed = { stdout: false, stderr: false };
  let start = first;
  let pos = first;
  let rest = NONE;
  while (pos > 0 && first - pos <= MAX_LINE_BYTES + BACK_CHUNK && !(closed.stdout && closed.stderr)) {
    const from = Math.max(0, pos - BACK_CHUNK);
    const buf = concat(await readBytes(path, from, pos), rest);
    pos = from;
    let e = buf.length - 1; // the newline that ends the line being looked at
    for (;;) {
      const s = newlineBefore(buf, e);
      if (s < 0 && from > 0) {
        rest = buf.subarray(0, e + 1);
        break;
      }
      const r = parseLogRecord(buf.subarray(s + 1, e));
      if (r && !closed[r.stream]) {
        if (r.partial) start = from + s + 1;
        else closed[r.stream] = true;
      }
      if (s < 0 || (closed.stdout && closed.stderr)) break;
      e = s;
    }
  }
  return start;
}

/** The index of the newline before index `end` in buf, or -1. */
function newlineBefore(buf: Uint8Array, end: number): number {
  // lastIndexOf counts a negative start from the end: never pass one.
  return end > 0 ? buf.lastIndexOf(0x0a, end - 1) : -1;
}

/**
 * The records of the file's last `lines` lines (≥ 1) in file order, as
 * createTailSelector chooses them (with follow, also a quiet stream's line in
 * progress up to LOOKBACK_BYTES further back), and where the file's whole
 * records end (where following goes on).
 */
export async function readLogTail(path: string, lines: number, o: { follow: boolean; lookbackBytes?: number }): Promise<{ records: LogRecord[]; at: LogPosition }> {
  const st = await statLog(path);
  if (!st) return { records: [], at: { offset: 0, ino: -1 } };
  const selector = createTailSelector(lines, { follow: o.follow });
  const budget = o.lookbackBytes ?? LOOKBACK_BYTES;
  let need: TailNeed = "more";
  let lookedBack = 0;
  let end = -1;
  // rest: the bytes from pos of a line that starts before pos (its newline included).
  let rest = NONE;
  let pos = st.size;
  const enough = () => need === "done" || (need === "lookback" && lookedBack > budget);
  while (pos > 0 && !enough()) {
    const start = Math.max(0, pos - BACK_CHUNK);
    let buf = concat(await readBytes(path, start, pos), rest);
    pos = start;
    if (end < 0) {
      // The file's last line may be torn (conmon is writing it): records end at the last newline.
      const nl = buf.lastIndexOf(0x0a);
      if (nl < 0) {
        rest = buf;
        continue;
      }
      end = start + nl + 1;
      buf = buf.subarray(0, nl + 1);
    }
    let e = buf.length - 1;
    for (;;) {
      const s = newlineBefore(buf, e);
      if (s < 0 && start > 0) {
        rest = buf.subarray(0, e + 1);
        break;
      }
      const line = buf.subarray(s + 1, e);
      if (need === "lookback") lookedBack += line.length + 1;
      const r = parseLogRecord(line);
      if (r) need = selector.offer(r);
      if (s < 0 || enough()) break;
      e = s;
    }
  }
  return { records: selector.records(), at: { offset: Math.max(0, end), ino: st.ino } };
}

/**
 * Hands onRecord each record appended after `from`, polling every pollMs,
 * until `stopped` settles (the container stopped: one last read, then it
 * returns) or signal aborts. A file replaced or cut shorter (conmon's
 * log_size_max rotation) is read again from its start; a missing file (the
 * container was removed) is waited for like an idle one.
 */
export async function followLog(
  path: string,
  from: LogPosition,
  onRecord: (r: LogRecord) => void,
  o: { signal: AbortSignal; stopped: Promise<unknown>; pollMs: number },
): Promise<void> {
  let { offset, ino } = from;
  let stopped = false;
  let wake: (() => void) | undefined;
  const rouse = () => wake?.();
  const onStop = () => {
    stopped = true;
    rouse();
  };
  void o.stopped.then(onStop, onStop);
  o.signal.addEventListener("abort", rouse, { once: true });
  try {
    while (!o.signal.aborted) {
      // Read once more after the container stopped: conmon wrote its last records before podman saw it stop.
      const last = stopped;
      const st = await statLog(path);
      if (st) {
        if (st.ino !== ino || st.size < offset) {
          ino = st.ino;
          offset = 0;
        }
        if (st.size > offset) offset = await readForward(path, offset, st.size, onRecord, o.signal);
      }
      if (last) return;
      let timer: Timer | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, o.pollMs);
        if (stopped || o.signal.aborted) resolve();
      });
      clearTimeout(timer);
      wake = undefined;
    }
  } finally {
    o.signal.removeEventListener("abort", rouse);
  }
}
