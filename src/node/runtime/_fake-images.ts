// The FakeRuntime's local images (src/node/runtime/fake.ts holds the maps): lookup, listing and removal as podman does them.
import { McpError } from "../../lib/errors.ts";
import type { LocalImage } from "./types.ts";
import type { FakeContainer, FakeImage } from "./_fake-types.ts";

/** The fake's image maps: ref → image (the tags), id → image (every image still local, tagged or not). */
export interface FakeImageMaps {
  images: Map<string, FakeImage>;
  imagesById: Map<string, FakeImage>;
  containers: Map<string, FakeContainer>;
}

/**
 * A local image by reference, id, or `repo@digest` (as podman resolves
 * them); an image whose tag moved away is still found by id and digest, as
 * podman keeps it.
 */
export function findFakeImage(m: FakeImageMaps, refOrId: string): FakeImage | undefined {
  const found = m.images.get(refOrId) ?? m.imagesById.get(refOrId) ?? m.imagesById.get(refOrId.replace(/^sha256:/, ""));
  if (found) return found;
  const at = refOrId.indexOf("@");
  if (at < 0) return undefined;
  const [repo, digest] = [refOrId.slice(0, at), refOrId.slice(at + 1)];
  return [...m.imagesById.values()].find((img) => img.digest === digest && (img.ref === repo || img.ref.startsWith(`${repo}:`)));
}

/** Every local image, its names the refs that point at it now, its containers counted in any state. */
export function listFakeImages(m: FakeImageMaps): LocalImage[] {
  return [...m.imagesById.values()].map((img) => ({
    id: img.id,
    names: [...m.images].filter(([, i]) => i.id === img.id).map(([ref]) => ref).sort(),
    digests: [...new Set([img.digest, `sha256:${img.id}`])],
    size: img.size ?? 1_000_000,
    containers: [...m.containers.values()].filter((c) => c.imageId === img.id).length,
  }));
}

/** Removes an image by id with its names; false when there is none; failed_precondition while a container uses it. */
export function removeFakeImage(m: FakeImageMaps, id: string): boolean {
  const img = m.imagesById.get(id.replace(/^sha256:/, ""));
  if (!img) return false;
  const user = [...m.containers.values()].find((c) => c.imageId === img.id);
  if (user) {
    throw new McpError("failed_precondition", `image ${img.id.slice(0, 12)} is in use by container ${user.spec.name}`, "remove the container first");
  }
  m.imagesById.delete(img.id);
  for (const [ref, i] of m.images) if (i.id === img.id) m.images.delete(ref);
  return true;
}
