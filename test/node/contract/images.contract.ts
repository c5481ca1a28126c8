/**
 * The image half of the ContainerRuntime contract (listImages, removeImage;
 * mcp node prune): one suite, run against the FakeRuntime on every run and
 * against real podman whenever it is present. Assertions are on the state
 * reached, through the port only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpError } from "../../../src/lib/errors.ts";
import type { ContainerRuntime } from "../../../src/node/runtime/port.ts";
import type { LocalImage } from "../../../src/node/runtime/types.ts";
import { SLEEP_CMD } from "../../support/image.ts";

export interface ImageContractSetup {
  runtime: ContainerRuntime;
  /** Makes a new local image (its own id) named ref, runnable with SLEEP_CMD; returns its id. */
  makeImage(ref: string): Promise<string>;
  /** Gives an existing image another name. */
  tag(ref: string, newRef: string): Promise<void>;
  /** Unique to this run: image and container names start with it. */
  prefix: string;
  cleanup(): Promise<void>;
}

export function describeImageContract(label: string, setup: () => Promise<ImageContractSetup>): void {
  describe(`ContainerRuntime images contract: ${label}`, () => {
    let ctx: ImageContractSetup;
    let rt: ContainerRuntime;
    const ref = (name: string) => `localhost/${ctx.prefix}/${name}:v1`;
    const byId = async (id: string): Promise<LocalImage | undefined> => (await rt.listImages()).find((i) => i.id === id);

    beforeAll(async () => {
      ctx = await setup();
      rt = ctx.runtime;
    });
    afterAll(async () => {
      await ctx?.cleanup();
    });

    test("listImages shows an image once, with all its names, its digests (its id among them), a size and no containers", async () => {
      const id = await ctx.makeImage(ref("list"));
      await ctx.tag(ref("list"), ref("list-alias"));
      const img = await byId(id);
      expect(img).toBeDefined();
      expect(img!.names).toEqual([ref("list"), ref("list-alias")].sort());
      expect(img!.digests).toContain(`sha256:${id}`);
      const info = await rt.getImage(ref("list"));
      expect(img!.digests).toContain(info!.digest);
      expect(img!.size).toBeGreaterThan(0);
      expect(img!.containers).toBe(0);
      expect((await rt.listImages()).filter((i) => i.id === id)).toHaveLength(1);
    });

    test("removeImage removes the image with every name, and is idempotent", async () => {
      const id = await ctx.makeImage(ref("rm"));
      await ctx.tag(ref("rm"), ref("rm-alias"));
      expect(await rt.removeImage(id)).toBe(true);
      expect(await byId(id)).toBeUndefined();
      expect(await rt.getImage(ref("rm"))).toBeNull();
      expect(await rt.getImage(ref("rm-alias"))).toBeNull();
      expect(await rt.removeImage(id)).toBe(false);
    });

    test("removeImage of an image a stopped container uses fails failed_precondition; image, names and container stay", async () => {
      const id = await ctx.makeImage(ref("used"));
      await ctx.tag(ref("used"), ref("used-alias"));
      const name = `${ctx.prefix}-used`;
      await rt.run({ name, image: ref("used"), labels: {}, network: "", user: "", restart: "", ports: [], volumes: [], cmd: SLEEP_CMD, env: [] });
      await rt.stop(name, 0);
      expect((await byId(id))?.containers).toBe(1);
      let err: unknown;
      try {
        await rt.removeImage(id);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe("failed_precondition");
      expect((await byId(id))?.names).toEqual([ref("used"), ref("used-alias")].sort());
      expect(await rt.inspect(name)).not.toBeNull();
      await rt.remove(name);
      expect(await rt.removeImage(id)).toBe(true);
    }, 30_000);

    test("an image whose only name moved to another image is still listed (dangling) and removable by id", async () => {
      const old = await ctx.makeImage(ref("moved"));
      const fresh = await ctx.makeImage(ref("moved"));
      expect(fresh).not.toBe(old);
      expect((await byId(old))?.names).toEqual([]);
      expect((await byId(fresh))?.names).toEqual([ref("moved")]);
      expect(await rt.removeImage(old)).toBe(true);
      expect(await byId(old)).toBeUndefined();
      expect(await byId(fresh)).toBeDefined();
    });
  });
}
