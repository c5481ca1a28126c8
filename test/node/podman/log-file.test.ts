// The k8s-file reader against files written here in conmon's format: the
// last lines read backwards across chunk boundaries, a torn last record,
// following appends, a rotated file, and the end of a followed log.
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { followLog, readLog, readLogTail, type LogPosition } from "../../../src/node/podman/_log-file.ts";
import { createLineJoiner, type LogRecord, type LogStream } from "../../../src/node/podman/_log-records.ts";
import { tempDir, waitFor } from "../../support/mcp.ts";

const dir = tempDir("mcp-logfile-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(dir, `ctr-${++files}.log`);

const enc = new TextEncoder();

/** One record as conmon writes it. */
function recordBytes(r: LogRecord): Uint8Array {
  return Buffer.concat([enc.encode(`2026-11-27T11:59:41.177023354+00:00 ${r.stream} ${r.partial ? "P" : "F"} `), r.content, enc.encode("\n")]);
}
const fileBytes = (records: LogRecord[]) => Buffer.concat(records.map(recordBytes));
const text = (r: LogRecord) => new TextDecoder().decode(r.content);
const rec = (stream: LogStream, partial: boolean, content: string): LogRecord => ({ stream, partial, content: enc.encode(content) });

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A log as conmon would write it: lines of both streams (some long, some
 * with multi-byte characters), each cut into records at random byte offsets
 * (so a character may be split), the two streams' records interleaved, and
 * optionally a line left unfinished at the end of each stream.
 */
function generate(seed: number, lines: number, unfinished: boolean): LogRecord[] {
  const rnd = prng(seed);
  const queues: Record<LogStream, LogRecord[]> = { stdout: [], stderr: [] };
  const out: LogRecord[] = [];
  for (let i = 0; i < lines; i++) {
    const stream: LogStream = rnd() < 0.7 ? "stdout" : "stderr";
    const len = rnd() < 0.05 ? 20_000 + Math.floor(rnd() * 60_000) : Math.floor(rnd() * 200);
    const body = enc.encode(`${stream}-${i} ${"x€ y".repeat(Math.ceil(len / 6))}`.slice(0, len + 10));
    const cuts = [0];
    while (rnd() < 0.3 && cuts.length < 6) cuts.push(Math.floor(rnd() * body.length));
    cuts.sort((a, b) => a - b);
    cuts.push(body.length);
    for (let c = 0; c + 1 < cuts.length; c++) {
      queues[stream].push({ stream, partial: c + 2 < cuts.length, content: body.subarray(cuts[c], cuts[c + 1]) });
    }
    // Drain the queues in a random interleaving, as conmon reads the two pipes.
    while (rnd() < 0.6 && (queues.stdout.length || queues.stderr.length)) {
      const from: LogStream = queues.stdout.length && (!queues.stderr.length || rnd() < 0.5) ? "stdout" : "stderr";
      out.push(queues[from].shift()!);
    }
  }
  out.push(...queues.stdout, ...queues.stderr);
  if (unfinished) out.push(rec("stdout", true, "stdout still"), rec("stderr", true, "stderr still"), rec("stdout", true, " writing"));
  return out;
}

/**
 * What the last `n` lines (0 = all) of records are, worked out forwards: a
 * line is placed at its full record, an unfinished one at its last record;
 * the finished ones come in order, then the unfinished ones.
 */
function expected(records: LogRecord[], n: number): string[] {
  const dec = new TextDecoder();
  const pending: Record<LogStream, { parts: Uint8Array[]; at: number }> = { stdout: { parts: [], at: 0 }, stderr: { parts: [], at: 0 } };
  const lines: { at: number; text: string; done: boolean }[] = [];
  records.forEach((r, i) => {
    const p = pending[r.stream];
    p.parts.push(r.content);
    p.at = i;
    if (r.partial) return;
    lines.push({ at: i, text: dec.decode(Buffer.concat(p.parts)), done: true });
    p.parts = [];
  });
  for (const p of Object.values(pending)) if (p.parts.length) lines.push({ at: p.at, text: dec.decode(Buffer.concat(p.parts)), done: false });
  lines.sort((a, b) => a.at - b.at);
  const chosen = n > 0 ? lines.slice(-n) : lines;
  return [...chosen.filter((l) => l.done), ...chosen.filter((l) => !l.done)].map((l) => l.text);
}

/** The lines records make, flushed (what streamLogs gives without follow). */
function lines(records: LogRecord[]): string[] {
  const out: string[] = [];
  const j = createLineJoiner((l) => out.push(l));
  for (const r of records) j.push(r);
  j.flush();
  return out;
}

describe("readLogTail and readLog", () => {
  for (const [seed, unfinished] of [[1, false], [2, true], [3, false], [4, true]] as const) {
    test(`seed ${seed}${unfinished ? ", lines unfinished at the end" : ""}: the last N lines are exactly the log's, across 64 KiB read boundaries`, async () => {
      const records = generate(seed, 3000, unfinished);
      const path = newPath();
      const bytes = fileBytes(records);
      writeFileSync(path, bytes);
      expect(bytes.length).toBeGreaterThan(4 * 64 * 1024);
      for (const n of [1, 2, 3, 7, 50, 400, 2999, 5000]) {
        const t = await readLogTail(path, n, { follow: false });
        expect([n, lines(t.records)]).toEqual([n, expected(records, n)]);
        expect(t.at.offset).toBe(bytes.length);
      }
      const all: LogRecord[] = [];
      const at = await readLog(path, (r) => all.push(r));
      expect(lines(all)).toEqual(expected(records, 0));
      expect(at.offset).toBe(bytes.length);
    });
  }

  test("a torn last record (conmon writing it) is left out, and where following goes on is before it", async () => {
    const path = newPath();
    const whole = fileBytes([rec("stdout", false, "one"), rec("stdout", true, "tw")]);
    writeFileSync(path, Buffer.concat([whole, enc.encode("2026-11-27T11:59:41.1770")]));
    const t = await readLogTail(path, 5, { follow: false });
    expect(lines(t.records)).toEqual(["one", "tw"]);
    expect(t.at.offset).toBe(whole.length);
    const all: LogRecord[] = [];
    expect((await readLog(path, (r) => all.push(r))).offset).toBe(whole.length);
  });

  test("a read boundary that falls on a newline (the first byte of a 64 KiB chunk)", async () => {
    const path = newPath();
    const head = fileBytes([rec("stdout", false, "one"), rec("stdout", false, "two")]);
    // The last record is 65 535 bytes: the last chunk read backwards starts at the newline before it.
    const big = rec("stdout", false, "b".repeat(65_535 - recordBytes(rec("stdout", false, "")).length));
    writeFileSync(path, Buffer.concat([head, recordBytes(big)]));
    expect(recordBytes(big).length).toBe(65_535);
    expect(lines((await readLogTail(path, 2, { follow: false })).records)).toEqual(["two", text(big)]);
    expect(lines((await readLogTail(path, 9, { follow: false })).records)).toEqual(["one", "two", text(big)]);
  });

  test("a file with no whole record, and a missing file, give no lines", async () => {
    const path = newPath();
    writeFileSync(path, "2026-11-27T11:59:41.177023354+00:00 stdout F no newline yet");
    expect(await readLogTail(path, 3, { follow: false })).toMatchObject({ records: [], at: { offset: 0 } });
    expect(await readLogTail(join(dir, "missing.log"), 3, { follow: false })).toEqual({ records: [], at: { offset: 0, ino: -1 } });
    expect(await readLog(join(dir, "missing.log"), () => {})).toEqual({ offset: 0, ino: -1 });
  });

  test("with follow, a quiet stream's unfinished line is found within the lookback, not past it", async () => {
    const path = newPath();
    const filler = Array.from({ length: 2000 }, (_, i) => rec("stderr", false, `e${i} ${"z".repeat(100)}`));
    writeFileSync(path, fileBytes([rec("stdout", true, "Loading..."), ...filler]));
    const near = await readLogTail(path, 1, { follow: true, lookbackBytes: 1024 * 1024 });
    expect(near.records.map((r) => r.stream)).toEqual(["stdout", "stderr"]);
    const far = await readLogTail(path, 1, { follow: true, lookbackBytes: 10_000 });
    expect(far.records.map((r) => r.stream)).toEqual(["stderr"]);
  });
});

describe("followLog", () => {
  /** Follows path from `from` into a joiner; returns the lines so far, and how to stop (container stopped) or abort. */
  function follow(path: string, from: LogPosition, history: LogRecord[] = []) {
    const out: string[] = [];
    const joiner = createLineJoiner((l) => out.push(l));
    for (const r of history) joiner.push(r);
    const ac = new AbortController();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const done = followLog(path, from, (r) => joiner.push(r), { signal: ac.signal, stopped, pollMs: 5 }).then(() => joiner.flush());
    return { out, done, stop, abort: () => ac.abort() };
  }

  test("appended records make lines as they end, a record torn across two writes included; after stop one last read, then the end", async () => {
    const path = newPath();
    writeFileSync(path, fileBytes([rec("stdout", false, "old"), rec("stdout", true, "held ")]));
    const t = await readLogTail(path, 1, { follow: true });
    const f = follow(path, t.at, t.records);
    expect(f.out).toEqual([]);
    appendFileSync(path, fileBytes([rec("stdout", true, "still ")]));
    const torn = recordBytes(rec("stdout", false, "done"));
    // The stderr line shows a read happened while the stdout record was half written.
    appendFileSync(path, Buffer.concat([fileBytes([rec("stderr", false, "err")]), torn.subarray(0, 45)]));
    await waitFor(() => f.out.includes("err"), "the stderr line");
    appendFileSync(path, torn.subarray(45));
    await waitFor(() => f.out.length === 2, "the joined line");
    expect(f.out).toEqual(["err", "held still done"]);
    appendFileSync(path, fileBytes([rec("stdout", true, "last, unfinished")]));
    f.stop();
    await f.done;
    expect(f.out).toEqual(["err", "held still done", "last, unfinished"]);
  });

  test("a rotated file (conmon's log_size_max: a new file renamed over the old) is read from its start", async () => {
    const path = newPath();
    writeFileSync(path, fileBytes([rec("stdout", false, "before rotation")]));
    const t = await readLogTail(path, 1, { follow: true });
    const f = follow(path, t.at);
    appendFileSync(path, fileBytes([rec("stdout", false, "one")]));
    await waitFor(() => f.out.includes("one"), "the appended line");
    writeFileSync(`${path}.tmp`, fileBytes([rec("stdout", false, "after rotation")]));
    renameSync(`${path}.tmp`, path);
    await waitFor(() => f.out.includes("after rotation"), "the rotated file's line");
    f.stop();
    await f.done;
    expect(f.out).toEqual(["one", "after rotation"]);
  });

  test("abort ends following at once, whatever the container does", async () => {
    const path = newPath();
    writeFileSync(path, "");
    const f = follow(path, { offset: 0, ino: -1 });
    f.abort();
    await f.done;
    expect(f.out).toEqual([]);
  });
});
