import { McpError, type ErrorCode } from "../lib/errors.ts";

/**
 * gRPC status codes ⇄ mcp error codes. Plain numbers (the gRPC wire values),
 * so that the CLI's client does not load grpc-js to read them.
 */
export const GRPC = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

export const TO_STATUS: Record<ErrorCode, number> = {
  invalid_argument: GRPC.INVALID_ARGUMENT,
  not_found: GRPC.NOT_FOUND,
  already_exists: GRPC.ALREADY_EXISTS,
  failed_precondition: GRPC.FAILED_PRECONDITION,
  unauthenticated: GRPC.UNAUTHENTICATED,
  permission_denied: GRPC.PERMISSION_DENIED,
  deadline_exceeded: GRPC.DEADLINE_EXCEEDED,
  unavailable: GRPC.UNAVAILABLE,
  unimplemented: GRPC.UNIMPLEMENTED,
  aborted: GRPC.ABORTED,
  resource_exhausted: GRPC.RESOURCE_EXHAUSTED,
  data_loss: GRPC.DATA_LOSS,
  internal: GRPC.INTERNAL,
};

const FROM_STATUS = new Map<number, ErrorCode>(Object.entries(TO_STATUS).map(([k, v]) => [v, k as ErrorCode]));

/** The name of a status code, for logs (`UNAUTHENTICATED`). */
export function statusName(code: number): string {
  return Object.entries(GRPC).find(([, v]) => v === code)?.[0] ?? "UNKNOWN";
}

/** The trailer that carries an McpError's hint (URI-encoded). */
export const HINT_KEY = "mcp-hint";

/** The operator's error for a status the agent answered with. */
export function fromStatus(code: number, details: string, hint: string, node: string): McpError {
  if (code === GRPC.DEADLINE_EXCEEDED && !hint) {
    return new McpError("deadline_exceeded", `node ${node}: ${details}`, "the agent did not answer in time; try again, or check the node");
  }
  const kind = FROM_STATUS.get(code) ?? "internal";
  return new McpError(kind, kind === "internal" ? `node ${node}: ${details}` : details, hint);
}

/**
 * The operator's error for a connection that failed before the agent could
 * answer: TLS failures are told apart from an unreachable node.
 */
export function fromConnectError(err: { message?: string; code?: string }, node: string): McpError {
  const text = `${err.code ?? ""} ${err.message ?? ""}`;
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(text)) {
    return new McpError("unavailable", `node ${node}: the agent requires a client certificate`, "configure a client certificate for this node");
  }
  if (/CERT|self.signed|unable to verify|altname|Hostname\/IP does not match|SSL|TLS|handshake/i.test(text) && !/ECONNREFUSED|ECONNRESET|EHOSTUNREACH/.test(text)) {
    return new McpError("unavailable", `node ${node}: TLS failed: the agent's certificate does not verify (${(err.message ?? text).trim().slice(0, 160)})`,
      "check the node's ca_cert and server_name in the CLI config");
  }
  return new McpError("unavailable", `node ${node} is unreachable: ${(err.message ?? text).trim().slice(0, 200)}`,
    "check that the agent runs and the address is right (mcp node list)");
}

/**
 * A call's deadline passed: the agent did not answer (`connected`), or no
 * connection came up — then what the connection attempt said, if anything.
 * Both of the CLI's transports (_h2.ts, _unary.ts) end calls with it.
 */
export function timedOut(node: string, name: string, timeoutMs: number, connected: boolean, connectError: McpError | null): McpError {
  const seconds = Math.round(timeoutMs / 1000);
  if (connected) return new McpError("deadline_exceeded", `node ${node}: no answer to ${name} within ${seconds}s`, "the agent did not answer in time; try again, or check the node");
  return connectError ?? new McpError("unavailable", `node ${node} is unreachable: no connection within ${seconds}s`, "check that the agent runs and the address is right (mcp node list)");
}

/** The connection ended before the call's status. */
export function closedWithoutAnswer(node: string): McpError {
  return new McpError("unavailable", `node ${node}: the connection closed without an answer`, "check the agent's log");
}
