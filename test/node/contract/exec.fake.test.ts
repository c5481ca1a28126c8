import { FakeRuntime } from "../../../src/node/runtime/fake.ts";
import { describeExecContract } from "./exec.contract.ts";

describeExecContract("FakeRuntime", async () => {
  const runtime = new FakeRuntime();
  const image = "localhost/mcp-test/busybox:v1";
  runtime.addImage(image, { env: ["PATH=/bin"] });
  return { runtime, image, missingImage: "localhost/mcp-test/missing:v0", network: "mcpnet", hostDir: "/srv/contract", prefix: "fake", async cleanup() {} };
});
