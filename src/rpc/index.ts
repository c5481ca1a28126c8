export type * from "./api.ts";
export { createAgentClient, type AgentClient, type AgentClientOptions } from "./client.ts";
export { createRpcServer, listen, type AuditEntry, type RpcServerOptions } from "./server.ts";
export { listRpcMethods, SERVICE_NAME } from "./service.ts";
