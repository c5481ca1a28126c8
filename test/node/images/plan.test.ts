import { describe, expect, test } from "bun:test";
import { planPrune, type PruneInput } from "../../../src/node/images/index.ts";
import type { LocalImage } from "../../../src/node/runtime/index.ts";

const img = (id: string, o: Partial<LocalImage> = {}): LocalImage => ({ id, names: [`r/${id}:v`], digests: [`sha256:d-${id}`, `sha256:${id}`], size: 100, containers: 0, ...o });
const input = (o: Partial<PruneInput>): PruneInput => ({ images: [], containerImageIds: new Set(), deployed: new Set(), needed: [], ...o });

describe("planPrune", () => {
  test("removes what mcp deployed and nothing needs; keeps what a component needs; ignores the rest", () => {
    const cases: { name: string; in: Partial<PruneInput>; remove: string[]; kept: string[] }[] = [
      { name: "deployed, unused, unneeded → removed", in: { images: [img("a")], deployed: new Set(["sha256:d-a"]) }, remove: ["a"], kept: [] },
      { name: "never deployed by mcp → left alone", in: { images: [img("a")] }, remove: [], kept: [] },
      { name: "deployed by its id-as-digest (no manifest digest) → removed", in: { images: [img("a")], deployed: new Set(["sha256:a"]) }, remove: ["a"], kept: [] },
      { name: "used by a container (counted by the runtime) → left alone", in: { images: [img("a", { containers: 1 })], deployed: new Set(["sha256:d-a"]) }, remove: [], kept: [] },
      { name: "used by a container (by listing) → left alone", in: { images: [img("a")], deployed: new Set(["sha256:d-a"]), containerImageIds: new Set(["a"]) }, remove: [], kept: [] },
      { name: "needed by a rollback → kept", in: { images: [img("a")], deployed: new Set(["sha256:d-a"]), needed: [{ who: "s/c", digest: "sha256:d-a" }] }, remove: [], kept: ["a"] },
      { name: "needed through another of its digests (a repo digest) → kept", in: { images: [img("a", { digests: ["sha256:d-a", "sha256:x", "sha256:a"] })], deployed: new Set(["sha256:d-a"]), needed: [{ who: "s/c", digest: "sha256:x" }] }, remove: [], kept: ["a"] },
    ];
    for (const c of cases) {
      const p = planPrune(input(c.in));
      expect({ name: c.name, remove: p.remove.map((i) => i.id), kept: p.kept.map((k) => k.image.id) }).toEqual({ name: c.name, remove: c.remove, kept: c.kept });
    }
  });

  test("bytes are the removed images' sizes; biggest first; kept images name who needs them", () => {
    const p = planPrune(input({
      images: [img("a", { size: 10 }), img("b", { size: 30 }), img("c", { size: 5 })],
      deployed: new Set(["sha256:d-a", "sha256:d-b", "sha256:d-c"]),
      needed: [{ who: "web/api", digest: "sha256:d-c" }, { who: "db/pg", digest: "sha256:d-c" }],
    }));
    expect(p.remove.map((i) => i.id)).toEqual(["b", "a"]);
    expect(p.bytes).toBe(40);
    expect(p.kept).toEqual([{ image: img("c", { size: 5 }), neededBy: ["db/pg", "web/api"] }]);
  });
});
