/**
 * The node's trust boundary (SPEC §7.1): the agent's own state is never a
 * service's, and what a container may reach on the host is the admin's
 * `[policy]`. Pure checks over paths resolved the way the kernel resolves
 * them; the agent calls them before anything is stopped or created.
 */
export { assertContainerAllowed, assertMountsNotNested, assertNamedVolumesOwned, DEFAULT_POLICY, pinDevices, type ContainerPolicy } from "./container.ts";
export { assertLayout, createStateGuard, type ProtectedPath, type StateGuard } from "./layout.ts";
export { isWithin, overlaps, resolveHostPath } from "./paths.ts";
