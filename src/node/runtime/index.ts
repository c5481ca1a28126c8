export type { ContainerRuntime, PullOptions } from "./port.ts";
export * from "./types.ts";
export { FakeRuntime } from "./fake.ts";
export type { ExecSession, ExecSessionOptions, TermSize } from "./exec-session.ts";
