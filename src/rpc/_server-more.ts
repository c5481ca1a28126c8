// Small pieces of the server's newer RPCs (SPEC §7): an optional handler
// that the agent may not implement, and secret facts as messages.
import { McpError } from "../lib/errors.ts";
import type { CallContext, SecretInfo } from "./api.ts";

/** The handler, or unimplemented when this agent has none. */
export function need<F>(fn: F | undefined, ctx: CallContext): F {
  if (!fn) throw new McpError("unimplemented", `${ctx.method} is not implemented by this agent`, "upgrade the agent");
  return fn;
}

/** A secret's facts as the message wants them (never a value: SecretInfo has none). */
export function secretToProto(s: SecretInfo) {
  return { service: s.service, name: s.name, size: BigInt(s.size), createdAtMs: BigInt(s.createdAt), updatedAtMs: BigInt(s.updatedAt), version: s.version, missing: s.missing === true };
}
