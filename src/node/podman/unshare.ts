/**
 * A command run inside rootless podman's user namespace (`podman unshare`),
 * where the agent's user is root over its subordinate ids: the files a
 * non-root container wrote are the agent's to read, own and move there.
 */
export function unshareArgs(argv: readonly string[]): string[] {
  return ["unshare", ...argv];
}
