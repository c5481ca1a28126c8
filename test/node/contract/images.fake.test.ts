import { FakeRuntime } from "../../../src/node/runtime/fake.ts";
import { describeImageContract } from "./images.contract.ts";

describeImageContract("FakeRuntime", async () => {
  const runtime = new FakeRuntime();
  return {
    runtime,
    prefix: "fake-images",
    makeImage: async (ref) => runtime.addImage(ref).id,
    async tag(ref, newRef) {
      // The fake has no tag verb: a second ref to the same image is what podman tag makes.
      const maps = (runtime as unknown as { images: Map<string, unknown> }).images;
      maps.set(newRef, maps.get(ref));
    },
    async cleanup() {},
  };
});
