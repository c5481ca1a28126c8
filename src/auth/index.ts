export * from "./roles.ts";
export * from "./tokens.ts";
export * from "./certs.ts";
