import { describe, expect, test } from "bun:test";
import { diffService } from "../../src/servicedef/index.ts";
import type { ComponentSpec } from "../../src/node/runtime/index.ts";

const base: ComponentSpec = {
  name: "api", image: "r/metacrypt:v1.0.0", network: "mcpnet", user: "0:0", restart: "unless-stopped",
  ports: ["127.0.0.1:18443:8443"], volumes: ["/srv/metacrypt:/srv/metacrypt"], cmd: ["server"], env: ["LOG_LEVEL=info", "MODE=prod"],
};

describe("diffService", () => {
  test("identical: nothing", () => {
    expect(diffService({ active: true, components: [base] }, { active: true, components: [structuredClone(base)] })).toEqual([]);
  });

  test("a changed image tag, an added volume and a removed env entry, field by field", () => {
    const local = { ...base, image: "r/metacrypt:v1.1.0", volumes: [...base.volumes, "/srv/certs:/certs:ro"], env: ["LOG_LEVEL=info"] };
    expect(diffService({ active: true, components: [local] }, { active: true, components: [base] })).toEqual([
      { component: "api", field: "image", kind: "changed", from: "r/metacrypt:v1.0.0", to: "r/metacrypt:v1.1.0" },
      { component: "api", field: "volumes", kind: "added", to: "/srv/certs:/certs:ro" },
      { component: "api", field: "env", kind: "removed", from: "MODE=prod" },
    ]);
  });

  test("list order does not count; cmd and health compare as a whole", () => {
    const local = { ...base, env: ["MODE=prod", "LOG_LEVEL=info"], cmd: ["server", "--debug"], health: { cmd: ["true"], intervalMs: 2000, timeoutMs: 2000, retries: 15 } };
    expect(diffService({ active: true, components: [local] }, { active: true, components: [base] }).map((c) => c.field)).toEqual(["cmd", "health"]);
  });

  test("components added and removed, the active flag, and a service never deployed", () => {
    const web = { ...base, name: "web", image: "r/web:v1" };
    expect(diffService({ active: false, components: [web] }, { active: true, components: [base] })).toEqual([
      { component: "", field: "active", kind: "changed", from: "true", to: "false" },
      { component: "web", field: "component", kind: "added", to: "r/web:v1" },
      { component: "api", field: "component", kind: "removed", from: "r/metacrypt:v1.0.0" },
    ]);
    expect(diffService({ active: true, components: [base] }, null)).toEqual([{ component: "api", field: "component", kind: "added", to: base.image }]);
  });
});
