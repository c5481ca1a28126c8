import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { McpError, type ErrorCode } from "../lib/errors.ts";

const TO_STATUS: Record<ErrorCode, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  unavailable: status.UNAVAILABLE,
  unimplemented: status.UNIMPLEMENTED,
  aborted: status.ABORTED,
  internal: status.INTERNAL,
};

const FROM_STATUS = new Map<number, ErrorCode>(Object.entries(TO_STATUS).map(([k, v]) => [v, k as ErrorCode]));

const HINT_KEY = "mcp-hint";

/**
 * Turns a thrown value into a gRPC error. McpErrors keep their message and
 * carry their hint in trailing metadata; anything else becomes INTERNAL with
 * a generic message (the caller logs the real one).
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof McpError) {
    if (err.hint) metadata.set(HINT_KEY, encodeURIComponent(err.hint));
    return { code: TO_STATUS[err.code], details: err.message, metadata };
  }
  return { code: status.INTERNAL, details: "internal error in the agent (logged there)", metadata };
}

/**
 * Turns a gRPC error received by the client into an McpError. Transport and
 * TLS failures (UNAVAILABLE) are told apart so the operator knows which one.
 */
export function fromServiceError(err: ServiceError, node: string): McpError {
  const details = err.details || err.message;
  const hintRaw = err.metadata?.get(HINT_KEY)?.[0];
  const hint = typeof hintRaw === "string" ? decodeURIComponent(hintRaw) : "";
  if (err.code === status.UNAVAILABLE) {
    if (/self.signed|unable to verify|certificate|CERT_|altnames|SSL|TLS/i.test(details) && !/ECONNREFUSED/.test(details)) {
      if (/CERTIFICATE_REQUIRED|certificate required/i.test(details)) {
        return new McpError("unavailable", `node ${node}: the agent requires a client certificate`, "configure a client certificate for this node");
      }
      return new McpError("unavailable", `node ${node}: TLS failed: the agent's certificate does not verify (${details.slice(0, 160)})`,
        "check the node's ca_cert and server_name in the CLI config");
    }
    return new McpError("unavailable", `node ${node} is unreachable: ${details.slice(0, 200)}`, hint || "check that the agent runs and the address is right (mcp node list)");
  }
  if (err.code === status.DEADLINE_EXCEEDED && !hint) {
    return new McpError("deadline_exceeded", `node ${node}: ${details}`, "the agent did not answer in time; try again, or check the node");
  }
  const code = FROM_STATUS.get(err.code) ?? "internal";
  return new McpError(code, code === "internal" ? `node ${node}: ${details}` : details, hint);
}
