import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { readdirSync, readFileSync, statSync } from "node:fs";

// The import rules of STYLE.md and ARCHITECTURE.md, read from the import lines
// of src/. ARCHITECTURE.md's table of parts is the one source of truth for
// which folder may import which: this test reads it.
const ROOT = `${import.meta.dir}/../src`;
const files = [...new Glob("**/*.ts").scanSync(ROOT)].filter((f) => !f.startsWith("gen/"));

function importsOf(file: string): string[] {
  const text = readFileSync(`${ROOT}/${file}`, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

/** A folder of the rules: `cli`, `node/deploy`, `main.ts`, … (the node's folders count one by one). */
function unitOf(path: string): string {
  if (path.startsWith("gen/")) return "gen";
  if (path.endsWith("package.json")) return "package.json";
  const parts = path.split("/");
  if (parts.length === 1) return path;
  return parts[0] === "node" ? `node/${parts[1]}` : parts[0]!;
}

function target(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  const parts = file.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** `from → to` for every relative import between two folders. */
const edges = files.flatMap((f) =>
  importsOf(f).filter((s) => s.startsWith(".")).map((s) => ({ file: f, from: unitOf(f), to: unitOf(target(f, s)) })).filter((e) => e.from !== e.to),
);

/** ARCHITECTURE.md's table: folder → the folders it may import. */
function architectureTable(): Map<string, Set<string>> {
  const text = readFileSync(`${import.meta.dir}/../ARCHITECTURE.md`, "utf8");
  const section = text.slice(text.indexOf("## The parts (src/)"), text.indexOf("## A deploy, step by step"));
  const table = new Map<string, Set<string>>();
  for (const line of section.split("\n")) {
    const m = /^\| `([^`]+)` \|.*\| ([^|]*) \|$/.exec(line);
    if (!m) continue;
    const may = m[2]!.trim() === "—" ? [] : m[2]!.split(",").map((x) => x.trim());
    for (const w of may) if (!/^`[^`]+`$/.test(w)) throw new Error(`ARCHITECTURE.md: the row of ${m[1]} names ${JSON.stringify(w)}: write folders only, each in backticks`);
    table.set(m[1]!, new Set(may.map((w) => w.slice(1, -1))));
  }
  return table;
}
const TABLE = architectureTable();

describe("import rules", () => {
  test("there are files to check", () => expect(files.length).toBeGreaterThan(30));

  test("ARCHITECTURE.md names every folder of src/ (but gen/) and nothing that is not there", () => {
    const folders = new Set(files.map(unitOf));
    for (const top of readdirSync(ROOT)) {
      if (top === "gen" || !statSync(`${ROOT}/${top}`).isDirectory()) continue;
      if (top === "node") for (const sub of readdirSync(`${ROOT}/node`)) folders.add(`node/${sub}`);
      else folders.add(top);
    }
    folders.delete("node");
    expect([...TABLE.keys()].sort()).toEqual([...folders].sort());
  });

  test("every folder imports only what ARCHITECTURE.md allows it", () => {
    const bad = edges.filter((e) => e.to !== "gen" && !TABLE.get(e.from)?.has(e.to)).map((e) => `${e.file} → ${e.to}`);
    expect([...new Set(bad)]).toEqual([]);
  });

  test("ARCHITECTURE.md allows nothing a folder does not use (the table stays true both ways)", () => {
    const used = new Set(edges.map((e) => `${e.from} → ${e.to}`));
    const unused = [...TABLE].flatMap(([from, may]) => [...may].filter((to) => !used.has(`${from} → ${to}`)).map((to) => `${from} → ${to}`));
    expect(unused).toEqual([]);
  });

  test("the folders import each other without a cycle", () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) (graph.get(e.from) ?? graph.set(e.from, new Set()).get(e.from)!).add(e.to);
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (n: string, path: string[]) => {
      if (state.get(n) === "done") return;
      if (state.get(n) === "open") {
        cycles.push([...path.slice(path.indexOf(n)), n].join(" → "));
        return;
      }
      state.set(n, "open");
      for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, "done");
    };
    for (const n of graph.keys()) visit(n, []);
    expect(cycles).toEqual([]);
  });

  test("the workstation never imports the node's internals, nor the node the workstation; shared folders neither face", () => {
    const face = (u: string) => (u === "cli" ? "workstation" : u.startsWith("node/") ? "node" : u === "modes" || u === "main.ts" ? "wiring" : "shared");
    const bad = edges.filter((e) => {
      const [a, b] = [face(e.from), face(e.to)];
      return (a === "workstation" && b === "node") || (a === "node" && b === "workstation") || (a === "shared" && (b === "node" || b === "workstation"));
    }).map((e) => `${e.file} → ${e.to}`);
    expect(bad).toEqual([]);
  });

  test("only rpc/ imports gen/", () => {
    const bad = edges.filter((e) => e.to === "gen" && e.from !== "rpc").map((e) => `${e.file} → gen`);
    expect(bad).toEqual([]);
  });

  test("only node/store imports bun:sqlite", () => {
    expect(files.filter((f) => unitOf(f) !== "node/store" && importsOf(f).includes("bun:sqlite"))).toEqual([]);
  });

  test("only node/podman/runner.ts, node/snapshot/ (tar, helpers), node/transfer/_child.ts (helpers) and cli/editor.ts ($EDITOR) spawn processes", () => {
    const spawners = ["node/podman/runner.ts", "cli/editor.ts", "node/transfer/_child.ts"];
    const bad = files.filter((f) => !spawners.includes(f) && !f.startsWith("node/snapshot/") && /Bun\.spawn|node:child_process/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });

  test("only modes/ and main.ts read process.env", () => {
    const bad = files.filter((f) => !f.startsWith("modes/") && f !== "main.ts" && /process\.env/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });

  test("process.exit only in main.ts", () => {
    expect(files.filter((f) => f !== "main.ts" && /process\.exit\(/.test(readFileSync(`${ROOT}/${f}`, "utf8")))).toEqual([]);
  });

  test("dynamic imports use literal paths (the compiled binary needs them)", () => {
    const bad = files.filter((f) => /import\(\s*[^"'\s)]/.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(bad).toEqual([]);
  });

  test("no file of src/ (but generated code) is over 320 lines", () => {
    const long = files.map((f) => [f, readFileSync(`${ROOT}/${f}`, "utf8").split("\n").length] as const).filter(([, n]) => n > 320);
    expect(long).toEqual([]);
  });
});
