/**
 * Bad input (issue 9, item 4), shared by test/reliability/fuzz.test.ts (short,
 * CI) and bench/fuzz.ts (long): a seeded PRNG; mutators that turn the valid
 * examples (examples/) into broken service definitions and configs; the check
 * that each mutated text is either accepted or refused with a located
 * invalid_argument McpError (`file:line: key.path: problem`); and malformed
 * protobuf, malformed gRPC framing and oversized messages sent to every RPC of
 * a real agent. One file because both runners need all of it; the TOML half
 * comes first, the RPC half second.
 */
import { ScalarType, fromBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { $ } from "bun";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentConfig, parseCliConfig, readAgentConfig, readCliConfig } from "../../src/config/index.ts";
import { McpError } from "../../src/lib/errors.ts";
import { listRpcMethods, SERVICE_NAME } from "../../src/rpc/index.ts";
import { methodDesc } from "../../src/rpc/service.ts";
import { parseServiceDef, readServiceDef } from "../../src/servicedef/index.ts";
import type { TestAgent } from "./agent.ts";
import { ROOT } from "./mcp.ts";

// ───────────────────────────── PRNG ─────────────────────────────

/** A seeded pseudo-random source (sfc32): the same seed gives the same run. */
export interface Rng {
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Uint8Array;
}

export function createRng(seed: number): Rng {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) u32();
  const rng: Rng = {
    float: () => u32() / 2 ** 32,
    int: (n) => Math.floor(rng.float() * n),
    range: (lo, hi) => lo + rng.int(hi - lo + 1),
    pick: (xs) => xs[rng.int(xs.length)]!,
    chance: (p) => rng.float() < p,
    bytes: (n) => Uint8Array.from({ length: n }, () => u32() & 0xff),
  };
  return rng;
}

// ─────────────────────── TOML inputs and parsers ───────────────────────

export const INPUT_KINDS = ["servicedef", "agent-config", "cli-config"] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

export const MUTATIONS = ["delete-key", "duplicate-key", "retype-key", "wrong-type", "huge-value", "broken-utf8", "mixed"] as const;
export type Mutation = (typeof MUTATIONS)[number];

const HOME = "/home/op";
const SOURCES: Record<InputKind, string> = {
  servicedef: "svc/service.toml",
  "agent-config": "/srv/mcp/mcp-agent.toml",
  "cli-config": `${HOME}/.config/mcp/mcp.toml`,
};
/** A timer's longest delay: a duration the agent or CLI accepts should fit in one. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The valid texts mutations start from, per input kind: each example as
 * shipped, and once more with its commented-out optional keys and sections
 * enabled (`# podman = "podman"`, `# [mcias]`), so those keys get mutated too.
 */
export function loadFuzzInputs(): Record<InputKind, string[]> {
  const read = (p: string) => readFileSync(join(ROOT, "examples", p), "utf8");
  const full = (t: string) => t.replace(/^# ?(\[\[?[a-z]+\]\]?|[a-z_]+ = )/gm, "$1");
  const both = (t: string) => [t, full(t)].filter((x, i, xs) => xs.indexOf(x) === i);
  return {
    servicedef: ["hello.toml", "metacrypt.toml"].flatMap((f) => both(read(`services/${f}`))),
    "agent-config": both(read("mcp-agent.toml")),
    "cli-config": both(read("mcp.toml")),
  };
}

/** What parsing one text came to. `ms` is how long the parser took. */
export type Outcome =
  | { result: "accepted"; ms: number; odd: string[]; replaced: boolean }
  | { result: "refused"; ms: number; message: string }
  | { result: "unlocated"; ms: number; message: string }
  | { result: "crash"; ms: number; error: string };

/** Parses text as kind with the pure parser (source names it in messages). Throws what the parser throws. */
function parsePure(kind: InputKind, text: string, source: string): unknown {
  if (kind === "servicedef") return parseServiceDef(text, source);
  if (kind === "agent-config") return parseAgentConfig(text, source, { home: HOME, env: {} });
  return parseCliConfig(text, source, { home: HOME });
}

/** Reads a file as kind with the real reader (how bytes that are not UTF-8 reach the parser). */
function readFile(kind: InputKind, path: string): Promise<unknown> {
  if (kind === "servicedef") return readServiceDef(path);
  if (kind === "agent-config") return readAgentConfig(path, { home: HOME, env: {} });
  return readCliConfig(path, { home: HOME });
}

/**
 * True when message locates its problem in source: `<source>:<line>[:<col>]:
 * <problem>` with a line inside the text, or `<source>: <key.path>: <problem>`
 * / `<source>: <key.path> is required`. One line only.
 */
export function isLocated(message: string, source: string, text: string): boolean {
  if (message.includes("\n") || !message.startsWith(`${source}:`)) return false;
  const rest = message.slice(source.length + 1);
  const m = /^(\d+)(?::\d+)?: \S/.exec(rest);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= text.split("\n").length + 1;
  const part = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\[\d+\])`;
  return new RegExp(String.raw`^ ${part}(?:\.?${part})*(?:: \S| is required$)`).test(rest);
}

/**
 * Values an accepted text should not have produced: a duration or count that
 * is not a safe integer, or a duration used as a timer's delay (health
 * checks, podman and pull deadlines, lock waits, resync, drift grace) longer
 * than a timer can wait: Bun, like Node, fires such a timer after 1 ms.
 */
function oddities(kind: InputKind, parsed: unknown): string[] {
  const odd: string[] = [];
  const check = (key: string, v: number, timer: boolean) => {
    if (!Number.isSafeInteger(v)) odd.push(`${key} = ${v} (not a safe integer)`);
    else if (timer && v > MAX_TIMER_MS) odd.push(`${key} = ${v} ms (longer than a timer can wait)`);
  };
  if (kind === "servicedef") {
    const { def } = parsed as ReturnType<typeof parseServiceDef>;
    def.components.forEach((c, i) => {
      if (!c.health) return;
      check(`components[${i}].health.interval`, c.health.intervalMs, true);
      check(`components[${i}].health.timeout`, c.health.timeoutMs, true);
      check(`components[${i}].health.retries`, c.health.retries, false);
      // The wire carries them as uint32 (proto/mcp/v1/types.proto).
      if (c.health.retries > 2 ** 32 - 1) odd.push(`components[${i}].health.retries = ${c.health.retries} (more than a uint32)`);
    });
  } else if (kind === "agent-config") {
    const { agent: a, monitor: m, mcias } = parsed as ReturnType<typeof parseAgentConfig>;
    check("agent.stop_timeout", a.stopTimeoutMs, false);
    check("agent.podman_timeout", a.podmanTimeoutMs, true);
    check("agent.pull_timeout", a.pullTimeoutMs, true);
    check("agent.lock_wait", a.lockWaitMs, true);
    check("agent.max_transfer", a.maxTransferBytes, false);
    check("monitor.resync", m.resyncMs, true);
    check("monitor.drift_grace", m.driftGraceMs, true);
    check("monitor.cooldown", m.cooldownMs, false);
    check("monitor.flap_window", m.flapWindowMs, false);
    check("monitor.retention", m.retentionMs, false);
    check("monitor.flap_threshold", m.flapThreshold, false);
    if (mcias) check("mcias.cache_ttl", mcias.cacheTtlMs, false);
  }
  return odd;
}

async function outcomeOf(run: () => unknown, source: string, text: string, kind: InputKind): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const parsed = await run();
    const ms = performance.now() - t0;
    // The readers decode UTF-8 leniently: an invalid sequence inside a value becomes U+FFFD rather than an error.
    return { result: "accepted", ms, odd: oddities(kind, parsed), replaced: JSON.stringify(parsed).includes("\uFFFD") };
  } catch (err) {
    const ms = performance.now() - t0;
    if (err instanceof McpError && err.code === "invalid_argument") {
      return isLocated(err.message, source, text) ? { result: "refused", ms, message: err.message } : { result: "unlocated", ms, message: err.message };
    }
    const e = err as Error;
    return { result: "crash", ms, error: `${e?.name ?? typeof err}${err instanceof McpError ? `(${err.code})` : ""}: ${e?.message ?? String(err)}`.slice(0, 300) };
  }
}

// ───────────────────────────── TOML mutators ─────────────────────────────

/** A mutated input: text for the pure parser, or bytes for the file reader. `what` says what was done. */
export interface Mutant {
  text?: string;
  bytes?: Uint8Array;
  what: string[];
}

const KEY_LINE = /^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)(\s*=\s*)(.*)$/;
const HEADER_LINE = /^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)/;
const clip = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

function indexes(lines: string[], re: RegExp): number[] {
  return lines.flatMap((l, i) => (re.test(l) ? [i] : []));
}

/** The lines of the block (header to next header) that starts at line i. */
function blockAt(lines: string[], i: number): [number, number] {
  let end = i + 1;
  while (end < lines.length && !HEADER_LINE.test(lines[end]!)) end++;
  return [i, end];
}

function randomString(rng: Rng, n: number): string {
  const alphabets = ["abcdefghijklmnopqrstuvwxyz0123456789-_", " !#$%&()*+,-./:;<=>?@[]^_`{|}~", "é→ß中文𝄞\u200b\u00a0", "\\\"'\t"];
  let s = "";
  for (let i = 0; i < n; i++) s += rng.pick([...rng.pick(alphabets)]);
  return s;
}

/** A TOML value of any type (sometimes not valid TOML at all). */
function randomValue(rng: Rng): string {
  switch (rng.int(12)) {
    case 0: return rng.pick(['""', '"x"', `"${randomString(rng, rng.range(1, 20)).replace(/[\\"]/g, "")}"`, "'lit'", '"""multi\nline"""', '"\\u0000"', '"\\uD800"']);
    case 1: return rng.pick(["0", "-1", "1", "42", "9007199254740991", "-9223372036854775808", "0x7fffffff", "0o777", "0b101", "+0", "1_000"]);
    case 2: return rng.pick(["1.5", "-0.0", "1e309", "inf", "-inf", "nan", "6.02e23", "1e-400"]);
    case 3: return rng.pick(["true", "false"]);
    case 4: return rng.pick(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "1979-05-27T00:32:00.999999-07:00"]);
    case 5: return rng.pick(["[]", "[1, 2]", '["a", 1]', '[["a"], ["b"]]', "[true]", '[{ a = 1 }]', '["x", ]']);
    case 6: return rng.pick(["{}", "{ a = 1 }", '{ name = "x", image = "y" }', "{ cmd = [] }"]);
    case 7: return rng.pick(['"2s"', '"0s"', '"-1s"', '"1.5s"', '"2 s"', '"2S"', '"500us"', '"1w"', '"99999999999999999999d"']);
    case 8: return rng.pick(['"127.0.0.1:0"', '":9444"', '"[::1]:9444"', '"host:99999"', '"https://"', '"http://example.net"', '"~"', '"~/x"', '"../../etc/passwd"']);
    case 9: return rng.pick(['"Bad_Name"', '"-x"', '"x-"', `"${"a".repeat(64)}"`, '"a b"', '"A"']);
    case 10: return rng.pick(["", "=", '"unterminated', "[1, 2", "{ a = 1", "'''", "x", "# only a comment", "1 2", '"a" "b"']);
    default: return rng.pick(['["sh", "-c", "true"]', '["KEY=VALUE"]', '["=x"]', '["127.0.0.1:80:80"]', '["/a:/b"]', '[""]']);
  }
}

function deleteKey(rng: Rng, lines: string[]): string {
  const keys = indexes(lines, KEY_LINE);
  const headers = indexes(lines, HEADER_LINE);
  const r = rng.float();
  if (r < 0.7 || headers.length === 0) {
    const i = rng.pick(keys);
    return `deleted line ${i + 1} ${clip(lines.splice(i, 1)[0]!)}`;
  }
  const h = rng.pick(headers);
  if (r < 0.85) return `deleted header line ${h + 1} ${clip(lines.splice(h, 1)[0]!)}`;
  const [s, e] = blockAt(lines, h);
  lines.splice(s, e - s);
  return `deleted the block of lines ${s + 1}-${e}`;
}

function duplicateKey(rng: Rng, lines: string[]): string {
  const keys = indexes(lines, KEY_LINE);
  const headers = indexes(lines, HEADER_LINE);
  const r = rng.float();
  if (r < 0.5 || headers.length === 0) {
    const i = rng.pick(keys);
    lines.splice(i + 1, 0, lines[i]!);
    return `duplicated line ${i + 1} ${clip(lines[i]!)}`;
  }
  if (r < 0.7) {
    const i = rng.pick(keys);
    const at = rng.int(lines.length + 1);
    lines.splice(at, 0, lines[i]!);
    return `copied line ${i + 1} ${clip(lines[i]!)} to line ${at + 1}`;
  }
  const h = rng.pick(headers);
  if (r < 0.8) {
    lines.splice(h + 1, 0, lines[h]!);
    return `duplicated header line ${h + 1} ${clip(lines[h]!)}`;
  }
  const [s, e] = blockAt(lines, h);
  lines.push("", ...lines.slice(s, e));
  return `appended a copy of the block of lines ${s + 1}-${e}`;
}

function retypeKey(rng: Rng, lines: string[]): string {
  const keys = indexes(lines, KEY_LINE);
  const headers = indexes(lines, HEADER_LINE);
  if (rng.chance(0.2) && headers.length > 0) {
    const h = rng.pick(headers);
    const [, open, name, close] = HEADER_LINE.exec(lines[h]!)!;
    const toggled = open === "[" ? `[[${name}]]` : `[${name}]`;
    const renamed = rng.chance(0.5) ? toggled : `${open}${typo(rng, name!)}${close}`;
    const before = lines[h]!;
    lines[h] = renamed;
    return `header line ${h + 1} ${clip(before)} → ${clip(renamed)}`;
  }
  const i = rng.pick(keys);
  const [, indent, key, eq, value] = KEY_LINE.exec(lines[i]!)!;
  const others = keys.map((k) => KEY_LINE.exec(lines[k]!)![2]!);
  const newKey = rng.pick([
    typo(rng, key!), typo(rng, key!), key!.toUpperCase(), `"${key}"`, `"${key} "`, `${key}.x`, `x.${key}`, '""',
    rng.pick(others), key!.replace(/a/, "\u0430"), `${key}${key}`, randomString(rng, rng.range(1, 8)),
  ]);
  lines[i] = `${indent}${newKey}${eq}${value}`;
  return `line ${i + 1}: key ${clip(key!)} → ${clip(newKey)}`;
}

function typo(rng: Rng, s: string): string {
  if (s.length === 0) return "x";
  const i = rng.int(s.length);
  switch (rng.int(4)) {
    case 0: return s.slice(0, i) + s.slice(i + 1);
    case 1: return s.slice(0, i) + rng.pick([..."abcdefghijklmnopqrstuvwxyz_-"]) + s.slice(i);
    case 2: return i + 1 < s.length ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : `${s}s`;
    default: return s.slice(0, i) + s[i]!.toUpperCase() + s.slice(i + 1);
  }
}

function wrongType(rng: Rng, lines: string[]): string {
  const i = rng.pick(indexes(lines, KEY_LINE));
  const [, indent, key, eq, value] = KEY_LINE.exec(lines[i]!)!;
  let v = randomValue(rng);
  // Sometimes retype one element of an array instead of the whole value.
  if (/^\[\s*"/.test(value!) && rng.chance(0.3)) v = value!.replace(/"(?:[^"\\]|\\.)*"/, randomValue(rng).split("\n")[0]!);
  lines[i] = `${indent}${key}${eq}${v}`;
  return `line ${i + 1}: ${clip(key!)} = ${clip(value!)} → ${clip(v)}`;
}

/** Replaces a value (or adds lines) with something big: long strings, long arrays, deep nesting, big numbers, many keys. */
function hugeValue(rng: Rng, lines: string[]): string {
  const keys = indexes(lines, KEY_LINE);
  const i = rng.pick(keys);
  const [, indent, key, eq, value] = KEY_LINE.exec(lines[i]!)!;
  const n = (lo: number, hi: number) => Math.round(lo * (hi / lo) ** rng.float()); // log-uniform
  const set = (v: string, what: string) => {
    lines[i] = `${indent}${key}${eq}${v}`;
    return `line ${i + 1}: ${clip(key!)} = ${what}`;
  };
  switch (rng.int(10)) {
    case 0: {
      const len = n(1_000, 2_000_000);
      return set(`"${rng.pick(["a", "é", "中", "𝄞", "\\u00e9"]).repeat(len)}"`, `a string of ${len} characters`);
    }
    case 1: {
      // Parse time grows linearly (about 4 µs an element for env): 50,000 keeps the worst case well under the 1 s limit.
      const len = n(1_000, 50_000);
      return set(`[${Array.from({ length: len }, (_, k) => `"e${k}"`).join(",")}]`, `an array of ${len} strings`);
    }
    case 2: {
      const depth = n(100, 5_000);
      return set(`${"[".repeat(depth)}"x"${"]".repeat(depth)}`, `an array nested ${depth} deep`);
    }
    case 3: {
      const depth = n(100, 5_000);
      return set(`${"{ a = ".repeat(depth)}1${" }".repeat(depth)}`, `an inline table nested ${depth} deep`);
    }
    case 4: {
      const digits = n(10, 2_000);
      const unit = /^"\d+(ms|s|m|h|d)"$/.exec(value!)?.[1];
      if (unit) return set(`"${"9".repeat(digits)}${unit}"`, `a duration of ${digits} digits`);
      return set(rng.pick([`${"9".repeat(digits)}`, `1${"0".repeat(digits)}.5`, `1e${digits}`, `"${"9".repeat(digits)}"`]), `a number of ${digits} digits`);
    }
    case 5: {
      const parts = n(100, 50_000);
      lines.splice(i + 1, 0, `${indent}${Array.from({ length: parts }, (_, k) => `k${k % 10}`).join(".")} = 1`);
      return `after line ${i + 1}: a dotted key of ${parts} parts`;
    }
    case 6: {
      const len = n(1_000, 1_000_000);
      lines.splice(i + 1, 0, `${indent}${"k".repeat(len)} = 1`);
      return `after line ${i + 1}: a key of ${len} characters`;
    }
    case 7: {
      const count = n(100, 50_000);
      lines.splice(i + 1, 0, ...Array.from({ length: count }, (_, k) => `${indent}unknown_${k} = ${k}`));
      return `after line ${i + 1}: ${count} unknown keys`;
    }
    case 8: {
      // Many copies of an array-of-tables block, each with its own name where it has one.
      const headers = indexes(lines, /^\s*\[\[/);
      if (headers.length === 0) return set(`"${"x".repeat(100_000)}"`, "a string of 100000 characters");
      const [s, e] = blockAt(lines, rng.pick(headers));
      const count = n(10, 5_000);
      const block = lines.slice(s, e);
      for (let k = 0; k < count; k++) lines.push(...block.map((l) => l.replace(/^(name\s*=\s*")([^"]*)"/, `$1$2-${k}"`)));
      return `appended ${count} copies of the block of lines ${s + 1}-${e}`;
    }
    default: {
      const len = n(1_000, 500_000);
      return set(`"${rng.pick(["\\n", "\\u0000", "\\\\", "\\U0001F600", "\\t"]).repeat(len)}"`, `a string of ${len} escapes`);
    }
  }
}

const BAD_UTF8: readonly (readonly number[])[] = [
  [0xff], [0xfe], [0x80], [0xbf], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
  [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00], [0xef, 0xbb, 0xbf],
];

/** Breaks the UTF-8 of text: invalid sequences (inside strings or anywhere), a cut character, a UTF-16 file. */
function breakUtf8(rng: Rng, text: string): { bytes: Uint8Array; what: string } {
  const bytes = new TextEncoder().encode(text);
  const r = rng.float();
  if (r < 0.05) {
    const out = new Uint8Array(2 + text.length * 2);
    out.set([0xff, 0xfe]);
    for (let k = 0; k < text.length; k++) out[2 + 2 * k] = text.charCodeAt(k) & 0xff;
    return { bytes: out, what: "the file written as UTF-16LE with a BOM" };
  }
  if (r < 0.15) {
    const multi = [...bytes.keys()].filter((k) => bytes[k]! >= 0xc0);
    if (multi.length > 0) {
      const at = rng.pick(multi) + 1;
      return { bytes: bytes.slice(0, at), what: `the file cut at byte ${at}, inside a multi-byte character` };
    }
  }
  const quotes = [...bytes.keys()].filter((k) => bytes[k] === 0x22);
  let out = bytes;
  const what: string[] = [];
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = quotes.length > 0 && rng.chance(0.5) ? rng.pick(quotes) + 1 : rng.int(out.length + 1);
    const seq = rng.pick(BAD_UTF8);
    const next = new Uint8Array(out.length + seq.length);
    next.set(out.subarray(0, at));
    next.set(seq, at);
    next.set(out.subarray(at), at + seq.length);
    out = next;
    what.push(`${seq.map((x) => x.toString(16).padStart(2, "0")).join(" ")} at byte ${at}`);
  }
  return { bytes: out, what: `inserted ${what.join(", ")}` };
}

const TEXT_MUTATORS: Record<Exclude<Mutation, "broken-utf8" | "mixed">, (rng: Rng, lines: string[]) => string> = {
  "delete-key": deleteKey,
  "duplicate-key": duplicateKey,
  "retype-key": retypeKey,
  "wrong-type": wrongType,
  "huge-value": hugeValue,
};

/** Applies one mutation of the given kind to a valid text. */
export function mutate(rng: Rng, text: string, kind: Mutation): Mutant {
  if (kind === "broken-utf8") {
    const b = breakUtf8(rng, text);
    return { bytes: b.bytes, what: [b.what] };
  }
  const lines = text.split("\n");
  const what: string[] = [];
  if (kind === "mixed") {
    for (let n = rng.range(2, 4); n > 0; n--) {
      if (!lines.some((l) => KEY_LINE.test(l))) break;
      what.push(TEXT_MUTATORS[rng.pick(["delete-key", "duplicate-key", "retype-key", "wrong-type"] as const)](rng, lines));
    }
    if (rng.chance(0.3)) {
      const b = breakUtf8(rng, lines.join("\n"));
      return { bytes: b.bytes, what: [...what, b.what] };
    }
  } else if (lines.some((l) => KEY_LINE.test(l))) {
    what.push(TEXT_MUTATORS[kind](rng, lines));
  }
  return { text: lines.join("\n"), what };
}

// ───────────────────────────── TOML fuzz run ─────────────────────────────

/** One trial that broke the contract, with what it takes to reproduce it. */
export interface TomlFailure {
  kind: InputKind;
  mutation: Mutation;
  seed: number;
  trial: number;
  what: string[];
  outcome: Outcome;
  /** The mutated input (first 2000 characters; bytes as the reader decoded them). */
  input: string;
}

export interface TomlFuzzStats {
  kind: InputKind;
  seed: number;
  trials: number;
  accepted: number;
  refused: number;
  unlocated: number;
  crashes: number;
  /** Trials whose parser took longer than slowMs (counted as crashes: a hang). */
  slow: number;
  maxMs: number;
  /** The slowest trial: what to look at first if parsing ever gets slow. */
  slowest: { ms: number; mutation: Mutation; trial: number; what: string[] } | null;
  byMutation: Record<Mutation, { trials: number; accepted: number; refused: number; failed: number }>;
  /** Accepted texts whose values a timer or an integer cannot hold (not failures of the contract; reported). */
  acceptedOdd: { count: number; samples: { mutation: Mutation; trial: number; what: string[]; odd: string[] }[] };
  /** Accepted inputs with invalid UTF-8 whose parsed values hold U+FFFD (the reader replaced the bytes instead of refusing the file). */
  acceptedReplaced: { count: number; samples: { trial: number; what: string[] }[] };
  /** Refusal messages, by the kind of their first words (`unknown key`, `is required`, …): what was exercised. */
  refusals: Record<string, number>;
  failures: TomlFailure[];
}

/** What kind of refusal a located message is: TOML syntax (it has a column), missing or unknown key, wrong type, a value check. */
function refusalClass(message: string, source: string): string {
  const rest = message.slice(source.length + 1);
  if (/^\d+:\d+: /.test(rest)) return "TOML syntax";
  if (/ is required$/.test(rest)) return "missing key";
  if (/: unknown key$/.test(rest)) return "unknown key";
  if (/: expected .*, got /.test(rest)) return "wrong type";
  return "value check";
}

/**
 * Runs `trials` mutations of kind's valid examples (mutation kinds in turn,
 * starting texts in turn) through its parser: the pure parser for text, the
 * real file reader (a file under dir) for bytes. Fails a trial that throws
 * anything but an invalid_argument McpError, whose message is not located,
 * or whose parse takes more than slowMs.
 */
export async function fuzzToml(opts: { kind: InputKind; trials: number; seed: number; dir: string; slowMs?: number; maxFailures?: number }): Promise<TomlFuzzStats> {
  const { kind, seed } = opts;
  const slowMs = opts.slowMs ?? 1000;
  const bases = loadFuzzInputs()[kind];
  const rng = createRng(seed ^ (INPUT_KINDS.indexOf(kind) * 0x51ed27));
  const stats: TomlFuzzStats = {
    kind, seed, trials: 0, accepted: 0, refused: 0, unlocated: 0, crashes: 0, slow: 0, maxMs: 0, slowest: null,
    byMutation: Object.fromEntries(MUTATIONS.map((m) => [m, { trials: 0, accepted: 0, refused: 0, failed: 0 }])) as TomlFuzzStats["byMutation"],
    acceptedOdd: { count: 0, samples: [] }, acceptedReplaced: { count: 0, samples: [] }, refusals: {}, failures: [],
  };
  const fileDir = join(opts.dir, kind);
  mkdirSync(fileDir, { recursive: true });
  for (let trial = 0; trial < opts.trials; trial++) {
    const mutation = MUTATIONS[trial % MUTATIONS.length]!;
    const base = bases[Math.floor(trial / MUTATIONS.length) % bases.length]!;
    const m = mutate(rng, base, mutation);
    let outcome: Outcome;
    let input: string;
    let source = SOURCES[kind];
    if (m.bytes) {
      // The definition's file name must match its name: use the example's.
      const name = kind === "servicedef" ? `${/^name = "([a-z0-9-]+)"/m.exec(base)![1]}.toml` : kind === "agent-config" ? "mcp-agent.toml" : "mcp.toml";
      const path = (source = join(fileDir, name));
      writeFileSync(path, m.bytes);
      input = new TextDecoder("utf-8", { fatal: false }).decode(m.bytes);
      outcome = await outcomeOf(() => readFile(kind, path), path, input, kind);
    } else {
      input = m.text!;
      outcome = await outcomeOf(() => parsePure(kind, input, source), source, input, kind);
    }
    if (outcome.result !== "crash" && outcome.ms > slowMs) outcome = { result: "crash", ms: outcome.ms, error: `took ${Math.round(outcome.ms)} ms (limit ${slowMs} ms)` };
    stats.trials++;
    if (outcome.ms > stats.maxMs) {
      stats.maxMs = outcome.ms;
      stats.slowest = { ms: Math.round(outcome.ms), mutation, trial, what: m.what };
    }
    const per = stats.byMutation[mutation];
    per.trials++;
    if (outcome.result === "accepted") {
      stats.accepted++;
      per.accepted++;
      if (outcome.replaced) {
        stats.acceptedReplaced.count++;
        if (stats.acceptedReplaced.samples.length < 10) stats.acceptedReplaced.samples.push({ trial, what: m.what });
      }
      if (outcome.odd.length > 0) {
        stats.acceptedOdd.count++;
        if (stats.acceptedOdd.samples.length < 10) stats.acceptedOdd.samples.push({ mutation, trial, what: m.what, odd: outcome.odd });
      }
    } else if (outcome.result === "refused") {
      stats.refused++;
      per.refused++;
      const cls = refusalClass(outcome.message, source);
      stats.refusals[cls] = (stats.refusals[cls] ?? 0) + 1;
    } else {
      per.failed++;
      if (outcome.result === "unlocated") stats.unlocated++;
      else if (outcome.error.startsWith("took ")) stats.slow++;
      else stats.crashes++;
      if (stats.failures.length < (opts.maxFailures ?? 20)) {
        stats.failures.push({ kind, mutation, seed, trial, what: m.what, outcome, input: input.slice(0, 2000) });
      }
    }
  }
  return stats;
}

// ───────────────────────────── RPC fuzz ─────────────────────────────

/** The RPCs that change state: a request to them that decodes and validates may do something, so the run checks nothing was deployed. */
export const MUTATING_RPCS = new Set([
  "Deploy", "StopService", "StartService", "RestartService", "SyncDesiredState", "AdoptContainers", "PushFile", "Rollback", "RestoreService",
]);

export const RPC_CASES = ["empty", "random", "truncated", "wrong-wire-type", "malformed", "oversized", "oversized-gzip", "framing"] as const;
export type RpcCase = (typeof RPC_CASES)[number];

/** Where and how to reach an agent as an admin. */
export interface RpcTarget {
  address: string;
  caPem: string;
  /** The node's name, verified in the agent's certificate. */
  serverName: string;
  token: string;
}

/** How one call ended: a gRPC status name (`OK`, `INVALID_ARGUMENT`, …), `OPEN` (a read stream still open after holdMs), or `NO_STATUS`. */
export interface RpcAnswer {
  status: string;
  details: string;
  messages: number;
}

export interface RpcFuzzStats {
  seed: number;
  calls: number;
  byCase: Record<RpcCase, { calls: number; statuses: Record<string, number> }>;
  byMethod: Record<string, { calls: number; ok: number; refused: number; open: number }>;
  /** Calls the contract forbids: an oversized message not refused, no status at all, a stack or source path in a message. */
  failures: { method: string; case: RpcCase; status: string; details: string; payload: string }[];
  /** Mutating RPCs that answered OK to a fuzzed request (allowed; the caller checks nothing was deployed). */
  mutatingOk: { method: string; case: RpcCase; payload: string }[];
  /** Distinct messages of INTERNAL answers (temporary paths and random ids masked), with counts. */
  internal: Record<string, number>;
  /** Statuses of each hand-made malformed encoding and framing, by name. */
  byName: Record<string, Record<string, number>>;
}

// Protobuf wire format, just enough to build valid, broken and wrong-typed messages.
const WIRE = { varint: 0, i64: 1, len: 2, sgroup: 3, egroup: 4, i32: 5 } as const;

function varint(n: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const len = (field: number, body: ArrayLike<number>) => [...tag(field, WIRE.len), ...varint(body.length), ...Array.from(body)];

function wireOf(f: DescField): number {
  const s = f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar") ? f.scalar : undefined;
  if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) return WIRE.len;
  switch (s) {
    case ScalarType.STRING: case ScalarType.BYTES: return WIRE.len;
    case ScalarType.DOUBLE: case ScalarType.FIXED64: case ScalarType.SFIXED64: return WIRE.i64;
    case ScalarType.FLOAT: case ScalarType.FIXED32: case ScalarType.SFIXED32: return WIRE.i32;
    default: return WIRE.varint;
  }
}

/** A plausible value for a field, by its name: valid names, this node, an image that does not exist. */
function fieldValue(f: DescField, names: { service: string; node: string }): number[] {
  const wire = wireOf(f);
  if (wire === WIRE.i64) return Array(8).fill(0);
  if (wire === WIRE.i32) return Array(4).fill(0);
  if (wire === WIRE.varint) {
    const small: Record<string, number> = { follow: 0, dry_run: 1, mode: 0o644, lock_wait_ms: 200, tail: 5, limit: 10 };
    return varint(small[f.name] ?? 1);
  }
  const text: Record<string, string> = {
    node: names.node, image: "localhost/mcp-fuzz/absent:v1", path: "fuzz/file.txt", sha256: "0".repeat(64),
    env: "FUZZ=1", ports: "127.0.0.1:1:1", volumes: "/tmp:/tmp", cmd: "true", data: "fuzz", restart: "no", user: "1000", network: "",
  };
  return [...new TextEncoder().encode(text[f.name] ?? names.service)];
}

/** The encoding of a valid request: every field set (messages 3 deep), with wrongWire replacing one field's wire type. */
function encodeMessage(schema: DescMessage, names: { service: string; node: string }, depth = 0, wrong?: { path: number[]; wire: number }): number[] {
  const out: number[] = [];
  schema.fields.forEach((f, idx) => {
    if (f.oneof && f.oneof.fields[0] !== f) return;
    if (f.fieldKind === "map" || f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum")) return;
    const here = wrong && wrong.path[0] === idx ? wrong : undefined;
    if (here && here.path.length === 1) {
      const w = here.wire;
      const body = w === WIRE.varint ? varint(2 ** 40) : w === WIRE.i64 ? Array(8).fill(0xff) : w === WIRE.i32 ? Array(4).fill(0xff) : w === WIRE.len ? [...varint(3), 1, 2, 3] : [];
      out.push(...tag(f.number, w), ...body);
      return;
    }
    if (f.message) {
      if (depth >= 3) return;
      const inner = encodeMessage(f.message, names, depth + 1, here ? { path: here.path.slice(1), wire: here.wire } : undefined);
      out.push(...len(f.number, inner));
    } else if (wireOf(f) === WIRE.len) {
      out.push(...len(f.number, fieldValue(f, names)));
    } else {
      out.push(...tag(f.number, wireOf(f)), ...fieldValue(f, names));
    }
  });
  return out;
}

/** Field paths (indexes into `fields`, nested through messages) and their correct wire types. */
function fieldPaths(schema: DescMessage, depth = 0): { path: number[]; wire: number }[] {
  return schema.fields.flatMap((f, idx) => {
    if (f.fieldKind === "map" || f.fieldKind === "enum" || (f.oneof && f.oneof.fields[0] !== f)) return [];
    const own = { path: [idx], wire: wireOf(f) };
    if (!f.message || depth >= 2) return [own];
    return [own, ...fieldPaths(f.message, depth + 1).map((p) => ({ path: [idx, ...p.path], wire: p.wire }))];
  });
}

/** A valid request for method (decodes with the generated descriptor; see the test). */
export function validRequest(method: string, names: { service: string; node: string }): Buffer {
  return Buffer.from(encodeMessage(methodDesc(method).input, names));
}

/** True when bytes decode as method's request (what the agent does first). */
export function decodesAs(method: string, bytes: Uint8Array): boolean {
  try {
    fromBinary(methodDesc(method).input, bytes);
    return true;
  } catch {
    return false;
  }
}

/** Hand-made broken encodings: overlong varints, lengths past the end, field 0, deep groups, invalid UTF-8 in a string. */
function malformedPayloads(method: string, valid: Buffer): { name: string; bytes: Buffer }[] {
  const stringField = methodDesc(method).input.fields.find((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
  const list: { name: string; bytes: number[] }[] = [
    { name: "overlong varint", bytes: [...tag(1, WIRE.varint), ...Array(11).fill(0xff), 0x01] },
    { name: "field number 0", bytes: [0x00, 0x01] },
    { name: "field number 2^29-1, wire type 7", bytes: [...varint(((2 ** 29 - 1) * 8) + 7)] },
    { name: "length 2^31 with 3 bytes", bytes: [...tag(1, WIRE.len), ...varint(2 ** 31), 1, 2, 3] },
    { name: "negative length", bytes: [...tag(1, WIRE.len), ...varint(-1n)] },
    { name: "start group without end", bytes: [...tag(99, WIRE.sgroup), ...tag(1, WIRE.varint), 1] },
    { name: "end group without start", bytes: [...tag(99, WIRE.egroup)] },
    { name: "100000 nested groups", bytes: [...Array.from({ length: 100_000 }, () => tag(99, WIRE.sgroup)).flat(), ...Array.from({ length: 100_000 }, () => tag(99, WIRE.egroup)).flat()] },
    { name: "valid message then garbage", bytes: [...valid, 0xff, 0xff, 0xff] },
    { name: "truncated fixed64", bytes: [...tag(7, WIRE.i64), 1, 2] },
  ];
  if (stringField) {
    list.push({ name: "invalid UTF-8 in a string field", bytes: len(stringField.number, [0x66, 0xff, 0xfe, 0xc3]) });
    list.push({ name: "surrogate (CESU-8) in a string field", bytes: len(stringField.number, [0xed, 0xa0, 0x80]) });
  }
  return list.map((x) => ({ name: x.name, bytes: Buffer.from(x.bytes) }));
}

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k])) as Record<number, string>;
const STACK_OR_PATH = /\n\s+at |\/work\/|\.ts:\d+|node_modules|TypeError|RangeError|ReferenceError/;
const MIB8 = 8 * 1024 * 1024;

function makeClient(t: RpcTarget, extra: grpc.ChannelOptions = {}): grpc.Client {
  return new grpc.Client(t.address, grpc.credentials.createSsl(Buffer.from(t.caPem)), {
    "grpc.ssl_target_name_override": t.serverName,
    "grpc.default_authority": t.serverName,
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
    ...extra,
  });
}

/**
 * One call with raw bytes (identity serializers): `payloads` are the request
 * (all of them for a client stream). A read stream still open after holdMs
 * is cancelled and answered `OPEN`; any call without a status by deadlineMs is `NO_STATUS`.
 */
export function rawCall(client: grpc.Client, t: RpcTarget, method: string, payloads: Buffer[], o: { holdMs: number; deadlineMs: number }): Promise<RpcAnswer> {
  const m = listRpcMethods().find((x) => x.name === method)!;
  const path = `/${SERVICE_NAME}/${method}`;
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${t.token}`);
  const id = (b: Buffer) => b;
  const options = { deadline: Date.now() + o.deadlineMs };
  return new Promise<RpcAnswer>((resolve) => {
    let messages = 0;
    let done = false;
    const finish = (status: string, details: string) => {
      if (done) return;
      done = true;
      clearTimeout(hold);
      resolve({ status, details, messages });
    };
    const onStatus = (s: grpc.StatusObject) => finish(STATUS_NAMES[s.code] ?? String(s.code), s.details);
    let call: grpc.ClientUnaryCall | grpc.ClientReadableStream<Buffer> | grpc.ClientWritableStream<Buffer>;
    if (m.clientStreaming) {
      const w = client.makeClientStreamRequest(path, id, id, md, options, () => {});
      for (const p of payloads) w.write(p);
      w.end();
      call = w;
    } else if (m.serverStreaming) {
      const r = client.makeServerStreamRequest(path, id, id, payloads[0] ?? Buffer.alloc(0), md, options);
      r.on("data", () => messages++);
      r.on("error", () => {});
      call = r;
    } else {
      call = client.makeUnaryRequest(path, id, id, payloads[0] ?? Buffer.alloc(0), md, options, () => {});
    }
    call.on("status", onStatus);
    const hold = setTimeout(() => {
      if (m.serverStreaming && !MUTATING_RPCS.has(method)) {
        finish("OPEN", "");
        call.cancel();
      }
    }, o.holdMs);
  }).then((a) => (a.status === "DEADLINE_EXCEEDED" ? { ...a, status: "NO_STATUS" } : a));
}

/**
 * Malformed gRPC framing over plain HTTP/2 (what a grpc-js client never
 * sends): a length prefix past the 8 MiB limit or past the end of the body,
 * an unknown flag byte, a compressed flag without an encoding, a cut prefix.
 */
async function framingCalls(t: RpcTarget, method: string, deadlineMs: number): Promise<{ name: string; answer: RpcAnswer }[]> {
  const prefix = (flag: number, n: number) => {
    const b = Buffer.alloc(5);
    b[0] = flag;
    b.writeUInt32BE(n >>> 0, 1);
    return b;
  };
  const bodies: { name: string; body: Buffer }[] = [
    { name: "length prefix 4 GiB, 10 bytes sent", body: Buffer.concat([prefix(0, 0xffffffff), Buffer.alloc(10)]) },
    { name: "length prefix 8 MiB + 1, 10 bytes sent", body: Buffer.concat([prefix(0, MIB8 + 1), Buffer.alloc(10)]) },
    { name: "length prefix 100, 10 bytes sent", body: Buffer.concat([prefix(0, 100), Buffer.alloc(10)]) },
    { name: "flag byte 0x80", body: Buffer.concat([prefix(0x80, 2), Buffer.from([0x08, 0x01])]) },
    { name: "compressed flag, no grpc-encoding", body: Buffer.concat([prefix(1, 2), Buffer.from([0x08, 0x01])]) },
    { name: "3 bytes of prefix", body: Buffer.from([0, 0, 0]) },
  ];
  const session = http2.connect(`https://${t.address}`, { ca: t.caPem, servername: t.serverName, ALPNProtocols: ["h2"], minVersion: "TLSv1.3" } as http2.SecureClientSessionOptions);
  session.on("error", () => {});
  const out: { name: string; answer: RpcAnswer }[] = [];
  try {
    for (const { name, body } of bodies) {
      const answer = await new Promise<RpcAnswer>((resolve) => {
        const req = session.request({
          ":method": "POST", ":path": `/${SERVICE_NAME}/${method}`, "content-type": "application/grpc", te: "trailers",
          authorization: `Bearer ${t.token}`,
        });
        let status = "";
        let details = "";
        let messages = 0;
        const take = (h: http2.IncomingHttpHeaders) => {
          if (h["grpc-status"] !== undefined) {
            status = STATUS_NAMES[Number(h["grpc-status"])] ?? String(h["grpc-status"]);
            details = decodeURIComponent(String(h["grpc-message"] ?? ""));
          }
        };
        const timer = setTimeout(() => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          resolve({ status: status || "NO_STATUS", details, messages });
        }, deadlineMs);
        req.on("response", (h) => {
          take(h);
          if (!status && h[":status"] !== 200) status = `HTTP_${h[":status"]}`;
        });
        req.on("trailers", take);
        req.on("data", () => messages++);
        req.on("error", () => {});
        req.on("close", () => {
          clearTimeout(timer);
          resolve({ status: status || `NO_STATUS (stream closed, code ${req.rstCode})`, details, messages });
        });
        req.end(body);
      });
      out.push({ name, answer });
    }
  } finally {
    session.close();
  }
  return out;
}

/**
 * Sends every RPC of the agent, as an admin: an empty request, `perMethod`
 * random byte strings, truncated valid requests and requests with one field
 * of a wrong wire type, the hand-made malformed encodings, a message over the
 * 8 MiB receive limit (plain, and gzip-compressed from 64 MiB), and malformed
 * gRPC framing. `names.service` should be a fresh service name: valid
 * requests name it.
 */
export async function fuzzRpcs(t: RpcTarget, opts: { seed: number; perMethod: number; names: { service: string; node: string }; holdMs?: number; deadlineMs?: number; onProgress?: (method: string) => void }): Promise<RpcFuzzStats> {
  const rng = createRng(opts.seed ^ 0x7f4a7c15);
  const timing = { holdMs: opts.holdMs ?? 1000, deadlineMs: opts.deadlineMs ?? 30_000 };
  const stats: RpcFuzzStats = {
    seed: opts.seed, calls: 0,
    byCase: Object.fromEntries(RPC_CASES.map((c) => [c, { calls: 0, statuses: {} }])) as RpcFuzzStats["byCase"],
    byMethod: {}, failures: [], mutatingOk: [], internal: {}, byName: {},
  };
  const client = makeClient(t);
  const gzipClient = makeClient(t, { "grpc.default_compression_algorithm": 2 });
  const record = (method: string, c: RpcCase, a: RpcAnswer, payload: string, name?: string) => {
    stats.calls++;
    const bc = stats.byCase[c];
    bc.calls++;
    bc.statuses[a.status] = (bc.statuses[a.status] ?? 0) + 1;
    const bm = (stats.byMethod[method] ??= { calls: 0, ok: 0, refused: 0, open: 0 });
    bm.calls++;
    if (a.status === "OK") bm.ok++;
    else if (a.status === "OPEN") bm.open++;
    else bm.refused++;
    if (a.status === "INTERNAL") {
      const masked = a.details.replace(new RegExp(t.serverName, "g"), "<node>").replace(/\/tmp\/[^\s/:']+/g, "<tmp>").replace(/[0-9a-f]{8,}/g, "<id>");
      stats.internal[masked] = (stats.internal[masked] ?? 0) + 1;
    }
    if (name) {
      const bn = (stats.byName[`${c}: ${name}`] ??= {});
      bn[a.status] = (bn[a.status] ?? 0) + 1;
    }
    const oversized = c === "oversized" || c === "oversized-gzip";
    const bad =
      a.status.startsWith("NO_STATUS") || STACK_OR_PATH.test(a.details) ||
      (oversized && a.status !== "RESOURCE_EXHAUSTED");
    if (bad && stats.failures.length < 50) stats.failures.push({ method, case: c, status: a.status, details: a.details.slice(0, 300), payload });
    if (a.status === "OK" && MUTATING_RPCS.has(method) && stats.mutatingOk.length < 50) stats.mutatingOk.push({ method, case: c, payload });
  };
  const hex = (b: Buffer) => (b.length > 64 ? `${b.subarray(0, 64).toString("hex")}… (${b.length} bytes)` : b.toString("hex"));
  try {
    for (const { name: method, clientStreaming } of listRpcMethods()) {
      opts.onProgress?.(method);
      const schema = methodDesc(method).input;
      const valid = validRequest(method, opts.names);
      // A client stream gets the payload alone, or after a valid first message, in turn.
      const send = async (c: RpcCase, p: Buffer, cl = client) => {
        const payloads = clientStreaming && rng.chance(0.5) ? [valid, p] : [p];
        record(method, c, await rawCall(cl, t, method, payloads, timing), payloads.map(hex).join(" + "));
      };
      await send("empty", Buffer.alloc(0));
      for (let i = 0; i < opts.perMethod; i++) {
        const n = rng.pick([rng.range(1, 32), rng.range(33, 512), rng.range(513, 65_536)]);
        await send("random", Buffer.from(rng.bytes(n)));
      }
      for (let i = 0; i < opts.perMethod; i++) await send("truncated", valid.subarray(0, rng.int(valid.length)));
      const paths = fieldPaths(schema);
      for (let i = 0; i < opts.perMethod && paths.length > 0; i++) {
        const p = rng.pick(paths);
        const wire = rng.pick([WIRE.varint, WIRE.i64, WIRE.len, WIRE.sgroup, WIRE.egroup, WIRE.i32, 6, 7].filter((w) => w !== p.wire));
        await send("wrong-wire-type", Buffer.from(encodeMessage(schema, opts.names, 0, { path: p.path, wire })));
      }
      for (const m of malformedPayloads(method, valid)) {
        record(method, "malformed", await rawCall(client, t, method, [m.bytes], timing), hex(m.bytes), m.name);
      }
      const big = Buffer.concat([valid, Buffer.from(tag(2000, WIRE.len)), Buffer.from(varint(MIB8 + 1024)), Buffer.alloc(MIB8 + 1024, 0x61)]);
      // Alone, so that a client stream cannot be refused for its header before the big message is read.
      record(method, "oversized", await rawCall(client, t, method, [big], timing), `${valid.length} + ${MIB8 + 1024} bytes`);
      const bomb = Buffer.concat([valid, Buffer.from(tag(2000, WIRE.len)), Buffer.from(varint(64 * 1024 * 1024)), Buffer.alloc(64 * 1024 * 1024)]);
      record(method, "oversized-gzip", await rawCall(gzipClient, t, method, [bomb], timing), "64 MiB of zeros, gzip");
      for (const f of await framingCalls(t, method, 5000)) record(method, "framing", f.answer, f.name, f.name);
    }
  } finally {
    client.close();
    gzipClient.close();
  }
  return stats;
}

/** When the agent at t started (NodeStatus): the same value before and after a run means the same process answered throughout. */
export async function agentStartedAt(t: RpcTarget): Promise<string> {
  const client = makeClient(t);
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${t.token}`);
  const id = (b: Buffer) => b;
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(`/${SERVICE_NAME}/NodeStatus`, id, id, Buffer.alloc(0), md, (err, res) => (err ? reject(err) : resolve(res!))));
    return String((fromBinary(methodDesc("NodeStatus").output, bytes) as unknown as { agentStartedAtMs: bigint }).agentStartedAtMs);
  } finally {
    client.close();
  }
}

/** The agent's state after a fuzz run: what the run must not have changed. */
export interface AgentHealth {
  /** NodeStatus's agent start time, now. */
  startedAt: string;
  /** How often the agent logged that it serves (1 = never restarted). */
  served: number;
  ps: { code: number; stderr: string };
  /** A valid ListServices call, now. */
  listServices: string;
  /** Containers labelled for the agent's node. */
  containers: string[];
  /** Temporary files of pushes and restores left under srv_root (`.mcp-*`). */
  leftovers: string[];
  /** The agent's `internal error` log lines (an unclassified exception, logged with its stack), by method and error. */
  internalErrorsLogged: Record<string, number>;
}

/** Checks the agent after a run: it still answers (same process), `mcp ps` works, and what the run left behind. */
export async function agentHealth(agent: TestAgent, t: RpcTarget, srvRoot: string): Promise<AgentHealth> {
  const client = makeClient(t);
  const list = await rawCall(client, t, "ListServices", [Buffer.alloc(0)], { holdMs: 5000, deadlineMs: 5000 });
  client.close();
  const ps = await agent.cli(["ps"]);
  const names = await $`podman ps -a --filter label=mcp.node=${t.serverName} --format ${"{{.Names}}"}`.nothrow().quiet().text();
  let leftovers: string[] = [];
  try {
    leftovers = readdirSync(srvRoot, { recursive: true, encoding: "utf8" }).filter((p) => /(^|\/)\.[^/]*mcp-/.test(p));
  } catch {
    // No srv_root: nothing was left there.
  }
  const internalErrorsLogged: Record<string, number> = {};
  for (const line of agent.logs().split("\n")) {
    if (!line.includes("internal error")) continue;
    const key = `${/method=(\S+)/.exec(line)?.[1] ?? "?"}: ${/error="([^"\\]*)/.exec(line)?.[1] ?? line.slice(0, 120)}`;
    internalErrorsLogged[key] = (internalErrorsLogged[key] ?? 0) + 1;
  }
  return {
    startedAt: await agentStartedAt(t),
    served: agent.logs().split("agent serving").length - 1,
    ps: { code: ps.code, stderr: ps.stderr },
    listServices: list.status,
    containers: names.split("\n").filter(Boolean),
    leftovers,
    internalErrorsLogged,
  };
}
