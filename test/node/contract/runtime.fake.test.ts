import { FakeRuntime } from "../../../src/node/runtime/fake.ts";
import { describeRuntimeContract } from "./runtime.contract.ts";

describeRuntimeContract("FakeRuntime", async () => {
  const runtime = new FakeRuntime();
  const image = "localhost/mcp-test/busybox:v1";
  runtime.addImage(image, { env: ["PATH=/bin"] });
  return {
    runtime,
    image,
    missingImage: "localhost/mcp-test/missing:v0",
    network: "mcpnet",
    hostDir: "/srv/contract",
    prefix: "fake",
    async cleanup() {},
  };
});
