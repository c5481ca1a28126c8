// Review finding (issue 17): a container (or anything) holding the [metrics] port made the agent exit at
// start, and systemd restart it for ever: a node managing nothing. /metrics is an extra; the agent serves
// without it and says why.
import { afterAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { startTestAgent, type TestAgent } from "../support/agent.ts";
import { freePort } from "../support/mcp.ts";

describe("reliability: the [metrics] port is taken", () => {
  let agent: TestAgent | undefined;
  const holder = createServer();
  afterAll(async () => {
    await agent?.stop();
    holder.close();
  });

  test("the agent serves anyway (ps answers) and logs that /metrics cannot listen", async () => {
    const port = await freePort();
    await new Promise<void>((r) => holder.listen(port, "127.0.0.1", r));
    agent = await startTestAgent({ appendToml: [`[metrics]`, `listen = "127.0.0.1:${port}"`, ``].join("\n") });
    const ps = await agent.cli(["ps"]);
    expect(ps.code, ps.stderr).toBe(0);
    expect(agent.logs()).toMatch(/metrics cannot listen; the agent serves without \/metrics/);
  }, 60_000);
});
