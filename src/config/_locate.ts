/**
 * Where is a key in a TOML text? smol-toml reports positions only for syntax
 * errors, so this scanner walks the (already valid) text once and records the
 * line of every table header, key and array element under its full key path
 * (`components[1].health.cmd`). Validation messages and targeted text edits
 * (`mcp stop`, `mcp node add`) both use it.
 */

/** A path to a value: table keys and array indexes, as valibot reports them. */
export type KeyPath = readonly (string | number)[];

/** One thing the scanner found: a header, a `key = value` pair or an array element. */
export interface TomlEntry {
  kind: "table" | "array-table" | "key" | "element";
  path: (string | number)[];
  /** 1-based line where the entry starts. */
  line: number;
  /** 1-based line where its value ends (equal to line for headers). */
  endLine: number;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Formats a key path the way messages show it: `components[0].health.cmd`, `"odd key".x`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += (out === "" ? "" : ".") + (BARE_KEY.test(part) ? part : JSON.stringify(part));
  }
  return out;
}

/**
 * Scans a TOML text and lists its headers, keys and array elements in text
 * order. Meant for text that smol-toml accepted: on malformed input it stops
 * early rather than guessing, so callers fall back to coarser lines.
 */
export function scanToml(text: string): TomlEntry[] {
  return new Scanner(text).run();
}

/**
 * Builds a function that returns the line of a key path in text: the key's own
 * line, else the line of its nearest recorded ancestor (for a missing key, its
 * table header), else 0 when nothing at all matches.
 */
export function createKeyLocator(text: string): (path: KeyPath) => number {
  const lines = new Map<string, number>();
  for (const e of scanToml(text)) {
    const key = formatKeyPath(e.path);
    if (!lines.has(key)) lines.set(key, e.line);
  }
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const line = lines.get(formatKeyPath(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return 0;
  };
}

class Scanner {
  private pos = 0;
  private readonly entries: TomlEntry[] = [];
  private readonly lineStarts: number[] = [0];
  /** Array-of-tables element counts, keyed by the formatted resolved path. */
  private readonly arrays = new Map<string, number>();
  private table: (string | number)[] = [];

  constructor(private readonly s: string) {
    for (let i = 0; i < s.length; i++) if (s[i] === "\n") this.lineStarts.push(i + 1);
  }

  run(): TomlEntry[] {
    try {
      while (this.pos < this.s.length) {
        const before = this.pos;
        this.statement();
        if (this.pos === before) break; // malformed: never loop in place
      }
    } catch {
      // A malformed tail: keep what was found so far.
    }
    return this.entries;
  }

  private lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private statement(): void {
    this.skipSpace(true);
    const c = this.s[this.pos];
    if (c === undefined) return;
    if (c === "[") return this.header();
    const line = this.lineAt(this.pos);
    const keys = this.key();
    if (keys.length === 0) throw new Error("expected a key");
    this.skipSpace(false);
    if (this.s[this.pos] !== "=") throw new Error("expected =");
    this.pos++;
    this.skipSpace(false);
    const path = [...this.table, ...keys];
    const entry: TomlEntry = { kind: "key", path, line, endLine: line };
    this.entries.push(entry);
    this.value(path);
    entry.endLine = this.lineAt(Math.max(0, this.pos - 1));
    this.skipLine();
  }

  private header(): void {
    const line = this.lineAt(this.pos);
    const isArray = this.s.startsWith("[[", this.pos);
    this.pos += isArray ? 2 : 1;
    this.skipSpace(false);
    const keys = this.key();
    this.skipSpace(false);
    this.pos += isArray ? 2 : 1;
    const resolved: (string | number)[] = [];
    keys.forEach((k, i) => {
      resolved.push(k);
      const id = formatKeyPath(resolved);
      if (isArray && i === keys.length - 1) {
        const n = (this.arrays.get(id) ?? 0) + 1;
        this.arrays.set(id, n);
        resolved.push(n - 1);
      } else {
        const n = this.arrays.get(id);
        if (n !== undefined) resolved.push(n - 1);
      }
    });
    this.table = resolved;
    this.entries.push({ kind: isArray ? "array-table" : "table", path: resolved, line, endLine: line });
    this.skipLine();
  }

  /** A dotted key: bare or quoted parts separated by dots. */
  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace(false);
      const c = this.s[this.pos];
      if (c === '"' || c === "'") {
        const start = this.pos;
        this.string();
        const raw = this.s.slice(start, this.pos);
        parts.push(c === "'" ? raw.slice(1, -1) : decodeBasic(raw));
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.pos, this.pos + 256));
        if (!m) break;
        parts.push(m[0]);
        this.pos += m[0].length;
      }
      this.skipSpace(false);
      if (this.s[this.pos] !== ".") break;
      this.pos++;
    }
    return parts;
  }

  private value(path: (string | number)[]): void {
    const c = this.s[this.pos];
    if (c === '"' || c === "'") return this.string();
    if (c === "[") return this.array(path);
    if (c === "{") return this.inlineTable(path);
    while (this.pos < this.s.length && !",]}#\r\n".includes(this.s[this.pos]!)) this.pos++;
  }

  private array(path: (string | number)[]): void {
    this.pos++;
    for (let i = 0; ; i++) {
      this.skipSpace(true);
      if (this.s[this.pos] === "]" || this.pos >= this.s.length) break;
      const line = this.lineAt(this.pos);
      const entry: TomlEntry = { kind: "element", path: [...path, i], line, endLine: line };
      this.entries.push(entry);
      const before = this.pos;
      this.value([...path, i]);
      if (this.pos === before) throw new Error("malformed array");
      entry.endLine = this.lineAt(this.pos - 1);
      this.skipSpace(true);
      if (this.s[this.pos] === ",") this.pos++;
    }
    this.pos++;
  }

  private inlineTable(path: (string | number)[]): void {
    this.pos++;
    for (;;) {
      this.skipSpace(true);
      if (this.s[this.pos] === "}" || this.pos >= this.s.length) break;
      const line = this.lineAt(this.pos);
      const keys = this.key();
      if (keys.length === 0) throw new Error("malformed inline table");
      this.skipSpace(false);
      this.pos++; // "="
      this.skipSpace(false);
      const entry: TomlEntry = { kind: "key", path: [...path, ...keys], line, endLine: line };
      this.entries.push(entry);
      this.value(entry.path);
      entry.endLine = this.lineAt(Math.max(0, this.pos - 1));
      this.skipSpace(true);
      if (this.s[this.pos] === ",") this.pos++;
    }
    this.pos++;
  }

  private string(): void {
    const q = this.s[this.pos]!;
    const triple = this.s.startsWith(q.repeat(3), this.pos);
    this.pos += triple ? 3 : 1;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === "\\" && q === '"') {
        this.pos += 2;
        continue;
      }
      if (c === q && (!triple || this.s.startsWith(q.repeat(3), this.pos))) {
        this.pos += triple ? 3 : 1;
        // A multi-line string may end with up to two extra quotes (`""""`).
        if (triple) for (let k = 0; k < 2 && this.s[this.pos] === q; k++) this.pos++;
        return;
      }
      if (!triple && c === "\n") return;
      this.pos++;
    }
  }

  /** Skips spaces and tabs; with newlines also line breaks and comments. */
  private skipSpace(newlines: boolean): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === " " || c === "\t") this.pos++;
      else if (newlines && (c === "\n" || c === "\r")) this.pos++;
      else if (newlines && c === "#") this.skipComment();
      else break;
    }
  }

  private skipComment(): void {
    while (this.pos < this.s.length && this.s[this.pos] !== "\n") this.pos++;
  }

  /** Skips the rest of a line: trailing spaces and a comment. */
  private skipLine(): void {
    this.skipSpace(false);
    if (this.s[this.pos] === "#") this.skipComment();
  }
}

function decodeBasic(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
