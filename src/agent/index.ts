export { createAuthenticator } from "./auth.ts";
export { checkEnvironment } from "./checks.ts";
export { createHandlers } from "./handlers.ts";
export { initAgent, splitHostPort, type InitOptions, type InitResult } from "./init.ts";
export { startAgentServer, type AgentServerOptions, type RunningServer } from "./server.ts";
export { assertDeployable, assertName } from "./validate.ts";
export { createRegistryAuth, type PullAuth } from "./registries.ts";
export { nodeStatus, type NodeFacts } from "./node-status.ts";
export { createCertSource, renewIfDue, RENEW_DAYS, type CertSource } from "./tls.ts";
