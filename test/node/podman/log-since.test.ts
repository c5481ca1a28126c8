// `--since` on the k8s-file reader (issue 17): the start found by bisecting
// the file, moved back over lines that began before `since`, gives exactly
// the lines a full read keeps (those that ended at or after it), whatever the
// records' cuts, interleaving and chunk boundaries.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findSinceOffset, readLog } from "../../../src/node/podman/_log-file.ts";
import { createLineJoiner, parseLogTime, type LogStream } from "../../../src/node/podman/_log-records.ts";
import { tempDir } from "../../support/mcp.ts";

const dir = tempDir("mcp-logsince-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** mulberry32: a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.UTC(2026, 10, 27, 12);
const stamp = (ms: number) => new Date(ms).toISOString().replace("Z", "987654+01:00").replace(/T(\d\d)/, (_, h) => `T${String((Number(h) + 1) % 24).padStart(2, "0")}`);

/** A conmon-like log: lines of both streams cut into records, interleaved, times never going back (often equal). */
function writeLog(seed: number, lines: number): { path: string; times: number[] } {
  const rnd = prng(seed);
  let now = BASE;
  const out: string[] = [];
  const times: number[] = [];
  const open: Record<LogStream, string[]> = { stdout: [], stderr: [] };
  for (let i = 0; i < lines; i++) {
    const stream: LogStream = rnd() < 0.6 ? "stdout" : "stderr";
    const len = rnd() < 0.03 ? 70_000 + Math.floor(rnd() * 40_000) : 1 + Math.floor(rnd() * 120);
    const body = `${stream}-${i}-${"y".repeat(len)}`;
    const cuts = rnd() < 0.3 ? [Math.floor(body.length / 3), Math.floor((2 * body.length) / 3)] : [];
    const parts = [0, ...cuts, body.length].slice(1).map((end, k, a) => body.slice(k === 0 ? 0 : a[k - 1], end));
    for (let k = 0; k < parts.length; k++) open[stream].push(`${stream} ${k + 1 < parts.length ? "P" : "F"} ${parts[k]}`);
    while (rnd() < 0.7 && (open.stdout.length || open.stderr.length)) {
      const from: LogStream = open.stdout.length && (!open.stderr.length || rnd() < 0.5) ? "stdout" : "stderr";
      if (rnd() < 0.5) now += Math.floor(rnd() * 50);
      out.push(`${stamp(now)} ${open[from].shift()}\n`);
      times.push(now);
    }
  }
  for (const s of ["stdout", "stderr"] as const) {
    for (const r of open[s]) {
      now += 1;
      out.push(`${stamp(now)} ${r}\n`);
      times.push(now);
    }
  }
  const path = join(dir, `since-${++files}.log`);
  writeFileSync(path, out.join(""));
  return { path, times };
}

async function linesFrom(path: string, from: number, since: number): Promise<string[]> {
  const out: string[] = [];
  const j = createLineJoiner((line, time) => {
    if (time >= since) out.push(`${time} ${line.slice(0, 40)}`);
  });
  await readLog(path, (r) => j.push(r), undefined, from);
  j.flush();
  return out;
}

describe("findSinceOffset", () => {
  test("the record time is read in any zone, to the millisecond (truncated); anything else is 0", () => {
    expect(parseLogTime("2026-11-27T13:00:00.123987654+01:00")).toBe(BASE + 123);
    expect(parseLogTime("2026-11-27T12:00:00Z")).toBe(BASE);
    expect(parseLogTime("2026-11-27T07:30:00.5-04:30")).toBe(BASE + 500);
    for (const bad of ["", "yesterday", "2026-11-27 12:00:00Z", "2026-11-27T12:00:00", "2026-11-27T12:00:00.1234567890Z"]) expect(parseLogTime(bad)).toBe(0);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}: reading from it keeps exactly the lines a full read keeps, for since before, inside and after the log`, async () => {
      const { path, times } = writeLog(seed, 1500);
      const rnd = prng(seed * 7919);
      const probes = [0, BASE - 1, times[0]!, times.at(-1)!, times.at(-1)! + 1, ...Array.from({ length: 12 }, () => times[Math.floor(rnd() * times.length)]! + (rnd() < 0.5 ? 0 : 1))];
      for (const since of probes) {
        const from = await findSinceOffset(path, since);
        expect({ since, lines: await linesFrom(path, from, since) }).toEqual({ since, lines: await linesFrom(path, 0, since) });
      }
    }, 30_000);
  }

  test("no file: 0; an empty file: 0", async () => {
    expect(await findSinceOffset(join(dir, "missing.log"), BASE)).toBe(0);
    const empty = join(dir, "empty.log");
    writeFileSync(empty, "");
    expect(await findSinceOffset(empty, BASE)).toBe(0);
  });
});
