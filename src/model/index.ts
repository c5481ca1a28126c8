/**
 * The shared vocabulary of both faces (workstation and node): service
 * definitions, results of operations, the registry's records. Types only
 * (and the lists of states): no I/O, no imports but each other.
 */
export * from "./spec.ts";
export * from "./results.ts";
export type * from "./records.ts";
