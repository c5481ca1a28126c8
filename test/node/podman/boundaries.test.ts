import { describe, expect, test } from "bun:test";
import { Glob } from "bun";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..", "..");

async function sources(dir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const path of new Glob(`${dir}/**/*.ts`).scan({ cwd: root })) {
    out.push([path, await Bun.file(join(root, path)).text()]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

const importsOf = (text: string) => [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1] ?? "");

describe("boundaries of the runtime port and the podman adapter (STYLE import rules)", () => {
  test("in src/podman, only runner.ts spawns processes", async () => {
    const spawning = (await sources("src/node/podman")).filter(([, t]) => /Bun\.spawn|Bun\.\$|node:child_process/.test(t)).map(([p]) => p);
    expect(spawning).toEqual(["src/node/podman/runner.ts"]);
  });

  test("src/node/runtime imports nothing from the adapter or the outer layers", async () => {
    for (const [path, text] of await sources("src/node/runtime")) {
      for (const spec of importsOf(text)) {
        expect(`${path}: ${spec}`).not.toMatch(/\/(podman|rpc|gen|agent|cli|modes)\//);
      }
    }
  });

  test("src/node/podman imports only lib/, runtime/ and its own files, always with .ts (and the platform: node: modules, bun's types)", async () => {
    for (const [path, text] of await sources("src/node/podman")) {
      for (const spec of importsOf(text)) {
        // The platform is not a layer: reading /proc (exec sessions) needs node:fs; spawning stays runner.ts's (the test above).
        if (spec === "valibot" || spec === "bun" || (spec.startsWith("node:") && spec !== "node:child_process")) continue;
        expect(`${path}: ${spec}`).toMatch(/: (\.\/|\.\.\/\.\.\/lib\/|\.\.\/runtime\/)[\w/.-]+\.ts$/);
      }
    }
  });
});
