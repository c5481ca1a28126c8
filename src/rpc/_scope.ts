// Service scopes (SPEC §7.1) applied to the wire: the table of src/rpc/scope.ts
// says how each RPC names services; here the decoded requests are checked
// and the answers of `filter` RPCs are cut down to the caller's services.
import { assertInScope, inScope, isScoped, scopeDenied, scopeRule, type Scoped } from "./scope.ts";
import type {
  GetServiceStatusResponse, ListSecretsResponse, ListServicesResponse, LiveCheckResponse, SyncDesiredStateResponse, WatchEventsResponse,
} from "../gen/mcp/v1/agent_pb.ts";

type Keep = (service: string) => boolean;
type Filter<M> = (msg: M, keep: Keep) => M | null;
/** Per list field of a message: the service an entry belongs to. */
type ServiceOf<M> = { [K in keyof M]?: M[K] extends readonly (infer E)[] ? (entry: E) => string : never };

/** A filter that keeps, in each named list of a message, the entries of the caller's services. */
function keepEntries<M>(lists: ServiceOf<M>): Filter<M> {
  return (m, keep) => {
    for (const [field, serviceOf] of Object.entries(lists) as [keyof M, (entry: unknown) => string][]) {
      m[field] = (m[field] as unknown[]).filter((e) => keep(serviceOf(e))) as M[keyof M];
    }
    return m;
  };
}

const filters = {
  ListServices: keepEntries<ListServicesResponse>({ services: (s) => s.name }),
  LiveCheck: keepEntries<LiveCheckResponse>({ components: (c) => c.service }),
  GetServiceStatus: keepEntries<GetServiceStatusResponse>({ components: (c) => c.service, events: (e) => e.service, history: (d) => d.service }),
  SyncDesiredState: keepEntries<SyncDesiredStateResponse>({ changes: (c) => c.service }),
  ListSecrets: keepEntries<ListSecretsResponse>({ secrets: (s) => s.service }),
  // One event per message: out of scope (or node-wide) ones are not sent at all.
  WatchEvents: ((m, keep) => (m.event && keep(m.event.service) ? m : null)) as Filter<WatchEventsResponse>,
};

/** How each RPC whose scope rule says `filter` cuts its answers down (null: send nothing). */
export const RESPONSE_FILTERS: Readonly<Record<string, Filter<never>>> = filters as unknown as Record<string, Filter<never>>;

/**
 * An answer as a scoped caller may see it: unchanged for unscoped callers
 * and RPCs that do not list several services; null when nothing of it is
 * theirs. A `filter` RPC without a filter here is refused (default deny).
 */
export function scopeAnswer<M>(who: Scoped, method: string, msg: M): M | null {
  if (!isScoped(who) || !scopeRule(method)?.filter) return msg;
  const f = Object.hasOwn(RESPONSE_FILTERS, method) ? (RESPONSE_FILTERS[method] as unknown as Filter<M>) : undefined;
  if (!f) throw scopeDenied(who, `${method} cannot filter its answer to scoped tokens`, "use a token without --services");
  return f(msg, (service) => inScope(who, service));
}

/** A client stream whose first message is checked against the caller's scope before it is handed on (an empty stream too). */
export async function* checkFirstMessage<Req>(who: Scoped, method: string, messages: AsyncIterable<Req>): AsyncGenerator<Req> {
  let first = true;
  for await (const m of messages) {
    if (first) assertInScope(who, method, m);
    first = false;
    yield m;
  }
  if (first) assertInScope(who, method, undefined);
}
