export * from "./roles.ts";
export * from "./tokens.ts";
export * from "./certs.ts";
export * from "./mcias.ts";
export * from "./scope.ts";
export * from "./flood.ts";
