// The podman adapter's image listing and removal (mcp node prune, SPEC §7.6).
import * as v from "valibot";
import { McpError } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { LocalImage } from "../runtime/types.ts";
import { imageRmArgs, imagesArgs } from "./args.ts";
import { RunnerError, type RunResult } from "./runner.ts";

const NO_IMAGE = /image not known|no such image/i;
const IN_USE = /image is in use by a container|image used by/i;
const HINT = "mcp is tested with podman 4.3; check `podman version` on this node";

const strings = v.nullish(v.array(v.string()));
/** `podman images --format json`: one entry per name of an image (podman 4.3 repeats the image). */
const ImagesEntry = v.looseObject({
  Id: v.string(),
  Names: strings,
  RepoDigests: strings,
  Digest: v.nullish(v.string()),
  Size: v.number(),
  Containers: v.nullish(v.number()),
});

function parseJson<S extends v.GenericSchema>(schema: S, text: string, what: string): v.InferOutput<S> {
  let json: unknown;
  try {
    json = text.trim() === "" ? [] : JSON.parse(text);
  } catch (err) {
    throw new McpError("internal", `podman's output format was not understood: podman ${what} did not print JSON`, HINT, { cause: err });
  }
  const r = v.safeParse(schema, json);
  if (!r.success) {
    const path = (r.issues[0].path ?? []).map((p) => String(p.key)).join(".");
    throw new McpError("internal", `podman's output format was not understood: podman ${what} field ${path || "(top level)"}: ${r.issues[0].message}`, HINT);
  }
  return r.output;
}

/** `sha256:<hex>` for a bare id or digest. */
const sha = (s: string) => (s.startsWith("sha256:") ? s : `sha256:${s}`);

/**
 * `podman images --format json` → one LocalImage per image id, names merged
 * (podman 4.3 prints an image once per name), digests = its Digest, the
 * digests of its RepoDigests and its id.
 */
export function parseImages(text: string): LocalImage[] {
  const byId = new Map<string, LocalImage>();
  for (const e of parseJson(v.array(ImagesEntry), text, "images")) {
    const img = byId.get(e.Id) ?? { id: e.Id, names: [], digests: [], size: e.Size, containers: e.Containers ?? 0 };
    byId.set(e.Id, img);
    const digests = [...(e.Digest ? [e.Digest] : []), ...(e.RepoDigests ?? []).map((d) => d.slice(d.lastIndexOf("@") + 1)), sha(e.Id)];
    img.names = [...new Set([...img.names, ...(e.Names ?? [])])].sort();
    img.digests = [...new Set([...img.digests, ...digests.filter((d) => d.startsWith("sha256:"))])];
  }
  return [...byId.values()];
}

/** The image methods of the podman runtime, on its call seam. */
export function podmanImages(call: (argv: string[]) => Promise<RunResult>): Pick<ContainerRuntime, "listImages" | "removeImage"> {
  return {
    async listImages() {
      return parseImages((await call(imagesArgs())).stdout);
    },
    async removeImage(id) {
      // From the listing: its names, and whether a container uses it (podman would untag some names before refusing).
      const found = parseImages((await call(imagesArgs())).stdout).find((i) => i.id === id || sha(i.id) === id);
      if (!found) return false;
      const inUse = (cause?: unknown) => new McpError("failed_precondition", `image ${found.id.slice(0, 12)} is in use by a container`, "remove the container first", { cause });
      if (found.containers > 0) throw inUse();
      try {
        await call(imageRmArgs(found.names.length > 0 ? found.names : [found.id]));
        return true;
      } catch (err) {
        if (!(err instanceof RunnerError)) throw err;
        if (IN_USE.test(err.stderrTail)) throw inUse(err);
        // Someone removed it (or one of its names) meanwhile: gone is what was asked, else the error stands.
        if (NO_IMAGE.test(err.stderrTail) && !parseImages((await call(imagesArgs())).stdout).some((i) => i.id === found.id)) return true;
        throw err;
      }
    },
  };
}
