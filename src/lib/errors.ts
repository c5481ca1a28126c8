/**
 * The one error type of mcp. Every failure an operator can see is an McpError
 * with a code (which decides the gRPC status and the CLI exit code), a message
 * (what went wrong, one line) and a hint (what to do next, one line).
 * Anything else that reaches a boundary is an internal error: logged with its
 * stack, shown to the operator as a generic message.
 */
export type ErrorCode =
  | "invalid_argument" // bad input: definition, config, request field
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "unauthenticated"
  | "permission_denied"
  | "deadline_exceeded"
  | "unavailable" // a node, podman or another dependency cannot be reached
  | "unimplemented"
  | "aborted"
  | "resource_exhausted" // a limit or the disk is full
  | "data_loss" // a checksum did not match
  | "internal";

export class McpError extends Error {
  override readonly name = "McpError";
  /** Who was refused (a token's name), for the audit trail of a call that failed authorization. */
  readonly identity?: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint = "",
    options?: { cause?: unknown; identity?: string },
  ) {
    super(message, options);
    if (options?.identity) this.identity = options.identity;
  }
}

/** Creates an McpError; a shorthand that reads well at throw sites. */
export function mcpError(code: ErrorCode, message: string, hint = ""): McpError {
  return new McpError(code, message, hint);
}

/** True when err is an McpError (optionally of the given code). */
export function isMcpError(err: unknown, code?: ErrorCode): err is McpError {
  return err instanceof McpError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs (never for operators unless it is an McpError). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
