import { describe, expect, test } from "bun:test";
import {
  createLineJoiner,
  createTailSelector,
  parseLogRecord,
  splitRecords,
  type LogRecord,
  type TailNeed, MAX_LINE_BYTES } from "../../../src/node/podman/_log-records.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A k8s-file record line as conmon writes it (podman 4.3.1), without its newline. */
const line = (stream: string, tag: string, content: string) => `2026-11-27T11:59:41.177023354+00:00 ${stream} ${tag} ${content}`;
/** A whole k8s-file log: [stream, tag, content] per record. */
const file = (records: [string, string, string][]) => records.map(([s, t, c]) => `${line(s, t, c)}\n`).join("");

const rec = (stream: "stdout" | "stderr", partial: boolean, content: string): LogRecord => ({ stream, partial, content: bytes(content) });
const plain = (r: LogRecord | null) => (r ? { stream: r.stream, partial: r.partial, content: text(r.content) } : null);

describe("parseLogRecord", () => {
  test("full, partial and stderr records; the content keeps its spaces", () => {
    expect(plain(parseLogRecord(bytes(line("stdout", "F", "hello  world "))))).toEqual({ stream: "stdout", partial: false, content: "hello  world " });
    expect(plain(parseLogRecord(bytes(line("stdout", "P", "part1"))))).toEqual({ stream: "stdout", partial: true, content: "part1" });
    expect(plain(parseLogRecord(bytes(line("stderr", "F", "oops"))))).toEqual({ stream: "stderr", partial: false, content: "oops" });
  });

  test("an empty line's record (the F after a run of P records) has empty content, with or without the space", () => {
    expect(plain(parseLogRecord(bytes(line("stdout", "F", ""))))).toEqual({ stream: "stdout", partial: false, content: "" });
    expect(plain(parseLogRecord(bytes("2026-11-27T11:59:41.178606282+00:00 stdout F")))).toEqual({ stream: "stdout", partial: false, content: "" });
  });

  test("CRI's `:`-separated tags: P among them marks a partial record", () => {
    expect(parseLogRecord(bytes(line("stdout", "P:x", "a")))?.partial).toBe(true);
    expect(parseLogRecord(bytes(line("stdout", "F:x", "a")))?.partial).toBe(false);
  });

  test("what is not a record gives null", () => {
    for (const bad of ["", "garbage", "2026-11-27T11:59:41Z stdout", "2026-11-27T11:59:41Z stdin F x", " stdout F x", "2026-11-27T11:59:41Z stdout  x"]) {
      expect(parseLogRecord(bytes(bad))).toBeNull();
    }
  });
});

describe("splitRecords", () => {
  test("whole record lines only: a torn last line is left with the bytes it did not use; empty lines are skipped", () => {
    const whole = file([["stdout", "F", "one"], ["stdout", "P", "tw"]]);
    const { records, used } = splitRecords(bytes(`${whole}\n2026-11-27T11:59:41.1`));
    expect(records.map(plain)).toEqual([
      { stream: "stdout", partial: false, content: "one" },
      { stream: "stdout", partial: true, content: "tw" },
    ]);
    expect(used).toBe(bytes(whole).length + 1);
    expect(splitRecords(bytes("no newline yet")).used).toBe(0);
  });
});

/** The lines a joiner makes of records, with flush at the end. */
function join(records: LogRecord[], flush = true): string[] {
  const out: string[] = [];
  const j = createLineJoiner((l) => out.push(l));
  for (const r of records) j.push(r);
  if (flush) j.flush();
  return out;
}

describe("createLineJoiner", () => {
  test("partial records join their full record into one line", () => {
    expect(join([rec("stdout", false, "first"), rec("stdout", true, "aa"), rec("stdout", true, "bb"), rec("stdout", false, ""), rec("stdout", true, "part1"), rec("stdout", false, "part2")]))
      .toEqual(["first", "aabb", "part1part2"]);
  });

  test("stdout and stderr lines in progress together do not mix; lines come in the order they ended", () => {
    expect(join([rec("stdout", true, "part1"), rec("stderr", false, "oops"), rec("stdout", true, "part2"), rec("stderr", true, "e1"), rec("stdout", false, "part3"), rec("stderr", false, "e2")]))
      .toEqual(["oops", "part1part2part3", "e1e2"]);
  });

  test("a line still in progress comes only with flush; flush gives them by their last record", () => {
    const records = [rec("stderr", true, "err-late"), rec("stdout", true, "out"), rec("stdout", false, "put"), rec("stdout", true, "nonl"), rec("stderr", true, "-more")];
    expect(join(records, false)).toEqual(["output"]);
    expect(join(records)).toEqual(["output", "nonl", "err-late-more"]);
  });

  test("a UTF-8 character split across two records decodes whole", () => {
    const euro = bytes("€"); // 3 bytes
    const r1: LogRecord = { stream: "stdout", partial: true, content: euro.subarray(0, 1) };
    const r2: LogRecord = { stream: "stdout", partial: false, content: euro.subarray(1) };
    expect(join([r1, r2])).toEqual(["€"]);
  });
});

/**
 * Offers records to a selector from the last, as the reader does, stopping
 * when it says "done" (or, when lookback is refused, at "lookback"); returns
 * the lines the chosen records make (flushed) and the selector's last answer.
 */
function tail(records: LogRecord[], lines: number, o: { follow?: boolean; lookback?: boolean } = {}): { lines: string[]; need: TailNeed; offered: number } {
  const s = createTailSelector(lines, { follow: o.follow ?? false });
  let need: TailNeed = "more";
  let offered = 0;
  for (let i = records.length - 1; i >= 0; i--) {
    need = s.offer(records[i]!);
    offered++;
    if (need === "done" || (need === "lookback" && o.lookback === false)) break;
  }
  return { lines: join(s.records()), need, offered };
}

// The log of the reproduction (podman 4.3.1, k8s-file): a 40 000-byte line, a line printed in two pieces a second
// apart, and a last line without a newline. `podman logs --tail 1` printed "midnonl", --tail 2 "part2\nmidnonl".
const repro: LogRecord[] = [
  rec("stdout", false, "first"),
  ...Array.from({ length: 5 }, () => rec("stdout", true, "a".repeat(8000))),
  rec("stdout", false, ""),
  rec("stdout", true, "part1"),
  rec("stdout", false, "part2"),
  rec("stdout", false, "mid"),
  rec("stdout", true, "nonl"),
];

describe("createTailSelector", () => {
  test("the last N whole lines of the reproduction: a line counts once however many records it spans; the unfinished last line counts", () => {
    const long = "a".repeat(40_000);
    const cases: [number, string[]][] = [
      [1, ["nonl"]],
      [2, ["mid", "nonl"]],
      [3, ["part1part2", "mid", "nonl"]],
      [4, [long, "part1part2", "mid", "nonl"]],
      [5, ["first", long, "part1part2", "mid", "nonl"]],
      [50, ["first", long, "part1part2", "mid", "nonl"]],
    ];
    for (const [n, want] of cases) expect([n, tail(repro, n).lines]).toEqual([n, want]);
  });

  test("it stops reading back as soon as the last line's first record is found", () => {
    const r = tail(repro, 3);
    expect(r.need).toBe("done");
    // nonl, mid, part2, part1, and the F before part1 that shows part1 starts its line.
    expect(r.offered).toBe(5);
  });

  test("stdout and stderr are counted together, in the order their lines ended", () => {
    const records = [rec("stdout", false, "o1"), rec("stdout", true, "o2a"), rec("stderr", false, "e1"), rec("stdout", false, "o2b"), rec("stderr", false, "e2")];
    expect(tail(records, 1).lines).toEqual(["e2"]);
    expect(tail(records, 2).lines).toEqual(["o2ao2b", "e2"]);
    expect(tail(records, 3).lines).toEqual(["e1", "o2ao2b", "e2"]);
    expect(tail(records, 4).lines).toEqual(["o1", "e1", "o2ao2b", "e2"]);
  });

  test("a line in progress counts where its last record is (an old one in a quiet stream is not among the last lines) and comes last", () => {
    const records = [rec("stdout", true, "Loading..."), rec("stderr", false, "e1"), rec("stderr", false, "e2")];
    expect(tail(records, 2).lines).toEqual(["e1", "e2"]);
    expect(tail(records, 3).lines).toEqual(["e1", "e2", "Loading..."]);
  });

  test("with follow, a quiet stream's line in progress is chosen too (to be finished by new records), but makes no line yet", () => {
    const records = [rec("stdout", true, "Loading"), rec("stdout", true, "..."), rec("stderr", false, "e1"), rec("stderr", false, "e2")];
    const s = createTailSelector(1, { follow: true });
    const needs: TailNeed[] = [];
    for (let i = records.length - 1; i >= 0; i--) needs.push(s.offer(records[i]!));
    // e2 is the line (more: is e1 part of it?); then only stdout's last record is missing (lookback); it is a P,
    // so every earlier record of its line is needed (more, up to the file's start here).
    expect(needs).toEqual(["more", "lookback", "more", "more"]);
    const out: string[] = [];
    const j = createLineJoiner((l) => out.push(l));
    for (const r of s.records()) j.push(r);
    expect(out).toEqual(["e2"]);
    j.push(rec("stdout", false, " done"));
    expect(out).toEqual(["e2", "Loading... done"]);
  });

  test("with follow, a stream whose last record is full needs nothing more; a missing stream keeps asking for lookback", () => {
    const records = [rec("stderr", false, "e0"), rec("stdout", false, "o1"), rec("stdout", false, "o2")];
    const r = tail(records, 1, { follow: true });
    expect(r.need).toBe("done");
    expect(r.lines).toEqual(["o2"]);
    const only = tail([rec("stdout", false, "o1"), rec("stdout", false, "o2")], 1, { follow: true });
    expect(only.need).toBe("lookback");
    expect(only.lines).toEqual(["o2"]);
  });
});

describe("a line without end (found by the hostile review: 330 MB of P records took 1.1 GB for --tail 1)", () => {
  test("the joiner keeps at most MAX_LINE_BYTES of a line and says how much more there was", () => {
    const lines: string[] = [];
    const j = createLineJoiner((l) => lines.push(l));
    const chunk = new Uint8Array(256 << 10).fill(0x61);
    for (let i = 0; i < 12; i++) j.push({ stream: "stdout", partial: true, content: chunk });
    j.push({ stream: "stdout", partial: false, content: new TextEncoder().encode("end") });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith("a".repeat(MAX_LINE_BYTES))).toBe(true);
    expect(lines[0]!.slice(MAX_LINE_BYTES)).toBe(`… [mcp: line cut at ${MAX_LINE_BYTES} bytes; ${12 * (256 << 10) + 3 - MAX_LINE_BYTES} more]`);
  });

  test("the tail selector stops looking back once a line passed MAX_LINE_BYTES", () => {
    const sel = createTailSelector(1, { follow: false });
    const chunk = new Uint8Array(256 << 10);
    let offered = 0;
    for (let i = 0; i < 100 && sel.offer({ stream: "stdout", partial: true, content: chunk }) !== "done"; i++) offered++;
    expect(offered).toBeLessThan(10);
  });
});
