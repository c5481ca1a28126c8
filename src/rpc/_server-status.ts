import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { McpError } from "../lib/errors.ts";
import { GRPC, HINT_KEY, TO_STATUS } from "./status.ts";

/**
 * Turns a thrown value into a gRPC error for the server. McpErrors keep their
 * message and carry their hint in trailing metadata; anything else becomes
 * INTERNAL with a generic message (the caller logs the real one).
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof McpError) {
    if (err.hint) metadata.set(HINT_KEY, encodeURIComponent(err.hint));
    return { code: TO_STATUS[err.code], details: err.message, metadata };
  }
  return { code: GRPC.INTERNAL, details: "internal error in the agent (logged there)", metadata };
}
