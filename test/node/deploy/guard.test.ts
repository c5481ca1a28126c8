import { describe, expect, test } from "bun:test";
import { guardRuntime } from "../../../src/node/deploy/guard.ts";
import { McpError } from "../../../src/lib/errors.ts";
import { FakeRuntime, type ContainerSpec } from "../../../src/node/runtime/index.ts";

const spec = (labels: Record<string, string>): ContainerSpec => ({
  name: "app-web", image: "localhost/app:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], labels,
});

describe("guardRuntime: the policy in front of every container the agent creates", () => {
  test("checks the component before run, and hands run's options (replace) on", async () => {
    const runtime = new FakeRuntime();
    runtime.addImage("localhost/app:v1");
    const seen: string[] = [];
    const guarded = guardRuntime(runtime, (service, c) => seen.push(`${service}/${c.name}`));
    const first = await guarded.run(spec({ "mcp.service": "app", "mcp.component": "web" }));
    const second = await guarded.run(spec({ "mcp.service": "app", "mcp.component": "web", gen: "2" }), { replace: true });
    expect(second).not.toBe(first);
    expect(seen).toEqual(["app/web", "app/web"]);
    expect((await runtime.list()).map((c) => c.id)).toEqual([second]);
  });

  test("a refusal leaves the old container alone", async () => {
    const runtime = new FakeRuntime();
    runtime.addImage("localhost/app:v1");
    const id = await runtime.run(spec({ "mcp.service": "app", "mcp.component": "web" }));
    const guarded = guardRuntime(runtime, () => {
      throw new McpError("permission_denied", "no", "");
    });
    await expect(guarded.run(spec({ "mcp.service": "app", "mcp.component": "web" }), { replace: true })).rejects.toThrow("no");
    expect((await runtime.list()).map((c) => c.id)).toEqual([id]);
  });

  test("runs with the devices as the policy pinned them, the spec's own left as written", async () => {
    const runtime = new FakeRuntime();
    runtime.addImage("localhost/app:v1");
    const ran: ContainerSpec[] = [];
    const run = runtime.run.bind(runtime);
    runtime.run = (s, o) => (ran.push(s), run(s, o));
    const guarded = guardRuntime(runtime, () => {}, (d) => d.map((x) => `${x}-pinned`));
    const s = { ...spec({ "mcp.service": "app", "mcp.component": "web" }), devices: ["/dev/link"] };
    await guarded.run(s);
    expect(ran[0]!.devices).toEqual(["/dev/link-pinned"]);
    expect(s.devices).toEqual(["/dev/link"]);
  });
});
