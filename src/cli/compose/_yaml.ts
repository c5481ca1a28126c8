/**
 * A compose file's YAML as plain values, with the source position of every
 * value kept by its path (`services.web.ports[0]`), so that each problem the
 * mapping finds names file:line:col. Parsed with `yaml` (eemeli/yaml) as YAML
 * 1.1, the dialect compose files are written for (PyYAML in docker-compose v1
 * and podman-compose): `yes`/`no` are booleans, `22:22` is a number. Anchors,
 * aliases and merge keys (`<<`) are resolved here, under a budget of values
 * made, so that a "billion laughs" file is refused instead of expanded.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { McpError } from "../../lib/errors.ts";

/** Where a value was written (1-based), and its source text when it was a scalar. */
export interface Position {
  line: number;
  col: number;
  raw?: string;
}

/** The file as plain values, and the positions of its values by path. */
export interface YamlTree {
  value: unknown;
  /** The position of the value at path, or of its nearest written ancestor. */
  at(path: string): Position;
  /** `<source>:<line>:<col>` for path. */
  where(path: string): string;
}

/** Bounds on what one file may expand to (a compose file of hundreds of services stays far below them). */
export const YAML_LIMITS = { values: 100_000, depth: 64 } as const;

const HINT = "fix the compose file and run mcp import compose again";

/** Joins a path and a map key (`services` + `web` → `services.web`). */
export function keyPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Parses text (a compose file) into a YamlTree; throws a located invalid_argument McpError for bad YAML or a bounded expansion. */
export function parseYamlTree(text: string, source: string): YamlTree {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: "1.1", merge: true, uniqueKeys: true, prettyErrors: true, lineCounter: lines });
  const bad = doc.errors[0];
  if (bad) {
    const pos = bad.linePos?.[0];
    const first = bad.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new McpError("invalid_argument", `${source}:${pos ? `${pos.line}:${pos.col}` : "1:1"}: ${first}`, HINT);
  }
  const positions = new Map<string, Position>();
  const posOf = (node: Node, raw: boolean): Position => {
    const offset = node.range?.[0] ?? 0;
    const lp = lines.linePos(offset);
    const p: Position = { line: lp.line, col: lp.col };
    if (raw && node.range) p.raw = text.slice(node.range[0], node.range[1]);
    return p;
  };
  const where = (path: string): string => {
    const p = at(path);
    return `${source}:${p.line}:${p.col}`;
  };
  const at = (path: string): Position => {
    for (let p = path; ; ) {
      const found = positions.get(p);
      if (found) return found;
      if (p === "") return { line: 1, col: 1 };
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      p = cut < 0 ? "" : p.slice(0, cut);
    }
  };
  const fail = (path: string, message: string): never => {
    throw new McpError("invalid_argument", `${where(path)}: ${path === "" ? "" : `${path}: `}${message}`, HINT);
  };

  let made = 0;
  const targets = new Map<unknown, unknown>();
  const walk = (node: unknown, path: string, depth: number, resolving: ReadonlySet<unknown>): unknown => {
    if (++made > YAML_LIMITS.values) fail(path, `the file expands to more than ${YAML_LIMITS.values} values (aliases of aliases?); mcp refuses it`);
    if (depth > YAML_LIMITS.depth) fail(path, `nests deeper than ${YAML_LIMITS.depth} levels; mcp refuses it`);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      // Alias.resolve searches the document each time: once per alias node, or a bomb costs seconds before the budget stops it.
      if (!targets.has(node)) targets.set(node, node.resolve(doc as Document));
      const target = targets.get(node);
      if (!target) fail(path, `the alias *${node.source} names no anchor`);
      if (resolving.has(target)) fail(path, `the alias *${node.source} refers to itself`);
      return walk(target, path, depth + 1, new Set([...resolving, target]));
    }
    if (!positions.has(path)) positions.set(path, posOf(node as Node, isScalar(node)));
    if (isScalar(node)) return node.value ?? null;
    if (isSeq(node)) return node.items.map((item, i) => walk(item, `${path}[${i}]`, depth + 1, resolving));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const merges: unknown[] = [];
      const explicit: [string, { key: unknown; value: unknown }][] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        if (isScalar(k) && typeof k.value === "symbol") {
          merges.push(pair.value);
          continue;
        }
        if (!isScalar(k) || (k.value !== null && typeof k.value === "object")) fail(path, "a key must be a plain value, not a list or a map");
        explicit.push([String((k as { value: unknown }).value), pair]);
      }
      // Merge keys as PyYAML reads them: the first source wins over later ones, explicit keys over every source.
      const sources = merges.flatMap((m) => (isSeq(m) ? m.items : [m]));
      for (const src of sources.reverse()) {
        const merged = walk(src, path, depth + 1, resolving);
        if (merged === null || typeof merged !== "object" || Array.isArray(merged)) fail(path, "a merge key (<<) takes a map or a list of maps");
        Object.assign(out, merged);
      }
      for (const [name, pair] of explicit) {
        const sub = keyPath(path, name);
        // An explicit key's position wins over a merged one's; a key without a value is placed at the key.
        // A map entry is placed at its key (where an operator looks); a scalar keeps its own source text.
        const keyPos = posOf(pair.key as Node, false);
        if (isScalar(pair.value)) keyPos.raw = posOf(pair.value, true).raw;
        positions.set(sub, keyPos);
        out[name] = walk(pair.value, sub, depth + 1, resolving);
      }
      return out;
    }
    return fail(path, "holds a value mcp cannot read");
  };
  const value = walk(doc.contents, "", 0, new Set());
  return { value, at, where };
}
