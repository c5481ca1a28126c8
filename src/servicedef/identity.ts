/** Names derived from a definition: versions of images and names of containers (SPEC §1, §2). */

/**
 * The version of an image reference: its tag, the part after the last `:`
 * that follows the last `/` (`registry.example.net:8443/metacrypt:v1.0.0` →
 * `v1.0.0`); `latest` when there is no tag; `sha256:<first 12 hex>` for a
 * digest reference (`name@sha256:…`, also when a tag is written before the
 * digest: the digest is what runs).
 */
export function versionOf(image: string): string {
  const at = image.indexOf("@");
  if (at >= 0) {
    const digest = image.slice(at + 1);
    const colon = digest.indexOf(":");
    return colon >= 0 ? `${digest.slice(0, colon)}:${digest.slice(colon + 1, colon + 13)}` : digest.slice(0, 12);
  }
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastPart.lastIndexOf(":");
  return colon >= 0 && colon < lastPart.length - 1 ? lastPart.slice(colon + 1) : "latest";
}

/** True when the image names neither a tag other than `latest` nor a digest. */
export function isFloatingImage(image: string): boolean {
  return !image.includes("@") && versionOf(image) === "latest";
}

/**
 * The container name of a component: `<service>-<component>`, or just
 * `<service>` when the component has the service's name (`mc-proxy`/`mc-proxy`
 * → `mc-proxy`, never `mc-proxy-mc-proxy`).
 */
export function containerName(service: string, component: string): string {
  return component === service ? service : `${service}-${component}`;
}
