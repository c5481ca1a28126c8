/**
 * The podman adapter's public face: the runtime factory, the runner (also
 * used by the events watcher) and the pure argv builders and parsers.
 */
export { createPodmanRuntime, type PodmanRuntimeOptions, type PodmanTimeouts } from "./runtime.ts";
export {
  createAttacher,
  createRunner,
  redactArgv,
  RunnerError,
  type RunOptions,
  type RunResult,
  type Runner,
  type RunnerOptions,
  type StreamHandle,
  type StreamOptions,
} from "./runner.ts";
export * as podmanArgs from "./args.ts";
export { mapState, parseImageInspect, parseInspect, parseLogTarget, parsePs, parseVersion, type LogTarget, type ParsedImage } from "./parse.ts";
export { authFileText, registryHost, type RegistryCredentials } from "./registry-auth.ts";
export type { Attacher, AttachedProcess, AttachOptions } from "./_attach.ts";
export { reapOrphanedExecs } from "./_exec-session.ts";
