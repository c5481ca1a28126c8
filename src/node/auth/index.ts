export * from "../../rpc/roles.ts";
export * from "./tokens.ts";
export * from "./certs.ts";
export * from "../../mcias/index.ts";
export * from "../../rpc/scope.ts";
export * from "./flood.ts";
