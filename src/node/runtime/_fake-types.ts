// The FakeRuntime's types and small helpers (src/node/runtime/fake.ts is the behaviour).
import type { Clock } from "../../lib/clock.ts";
import type { ContainerSpec, ContainerState, ObservedContainer } from "./types.ts";

/** What a container run from an image does: keep running, or exit at once with exitCode. */
export type ImageBehaviour = "runs" | "exits";

/** An image as the fake holds it. */
export interface FakeImage {
  ref: string;
  id: string;
  digest: string;
  env: string[];
  /** Bytes (listImages); 1 MB unless given. */
  size?: number;
}

/** A container as the fake holds it. */
export interface FakeContainer {
  id: string;
  spec: ContainerSpec;
  imageId: string;
  state: ContainerState;
  startedAt: number;
  exitCode: number;
  /** What logs() returns: one line per start and exit (and each word a `sh -c "echo …"` command echoes), with when each was written. */
  log: string[];
  logTimes: number[];
}

/** How exec() answers for containers of an image: a probe result, or a hang. */
export type ProbeBehaviour = { code: number; output: string } | "hang";

/** A container in a dump: what list() shows, plus the spec it was run from. */
export interface FakeContainerDump extends ObservedContainer {
  spec: ContainerSpec;
}

/** A plain copy of the fake's state, for assertions. Sorted by name / ref. */
export interface FakeDump {
  containers: FakeContainerDump[];
  images: FakeImage[];
  remoteImages: FakeImage[];
}

/** Options of the fake. */
export interface FakeRuntimeOptions {
  /** Source of startedAt; the wall clock by default. */
  clock?: Clock;
  /** What version() answers. */
  version?: string;
}

/** `sh -c "exit N"`: the one command the fake understands, so a contract test can make a container exit with N. */
export const EXIT_CMD = /^\s*exit\s+(\d+)\s*$/;

export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function makeImage(ref: string, opts: { digest?: string; env?: string[]; size?: number }): FakeImage {
  const id = randomHex(32);
  return { ref, id, digest: opts.digest ?? `sha256:${id}`, env: [...(opts.env ?? [])], ...(opts.size !== undefined ? { size: opts.size } : {}) };
}

/** The image env overlaid by the spec env (a spec entry replaces the image's entry of the same key). */
export function mergeEnv(imageEnv: string[], env: string[]): string[] {
  const key = (e: string) => e.split("=")[0];
  const overridden = new Set(env.map(key));
  return [...imageEnv.filter((e) => !overridden.has(key(e))), ...env];
}

