// Rows of the tables that keep a component's spec as JSON (components,
// deployments): selected with their columns named as the record's fields,
// so that only the spec is left to parse.
import type { ComponentSpec } from "../runtime/types.ts";

/** A record as selected (`spec_json AS spec`, every other column aliased to its field): the spec still JSON text. */
export type SpecRow<R extends { spec: ComponentSpec }> = Omit<R, "spec"> & { spec: string };

/** The record of a row selected as a SpecRow: its spec parsed (the fields keep their order). */
export function fromSpecRow<R extends { spec: ComponentSpec }>(row: SpecRow<R>): R {
  return { ...row, spec: JSON.parse(row.spec) as ComponentSpec } as unknown as R;
}
