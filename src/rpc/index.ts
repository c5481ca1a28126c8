// The client-side API of the rpc layer (what the CLI loads). The server side
// lives in ./server.ts and is imported from there by src/node/agent/ only, so that
// no CLI command loads grpc-js (~25 ms of every start).
export type * from "./api.ts";
export { createAgentClient, type AgentClient, type AgentClientOptions } from "./client.ts";
export { listRpcMethods, SERVICE_NAME } from "./service.ts";
export type { ExecChunk } from "./_client-exec.ts";
