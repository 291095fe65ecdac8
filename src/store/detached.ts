import { CutoverError } from "../errors/index.js";
import type { AuditEntry, Store, StoreInfo } from "./store.js";

/**
 * DetachedStore is the store of a cluster worker: the worker keeps no state of its own (the
 * primary owns the store and sends what the request path needs), so reads are empty and any
 * write is a bug that must surface, not be lost.
 */
export class DetachedStore implements Store {
  getWeights(): Map<string, number> {
    return new Map();
  }
  setWeight(): void {
    refuse("setWeight");
  }
  setWeights(): void {
    refuse("setWeights");
  }
  audit(_entry: AuditEntry): number {
    return refuse("audit");
  }
  auditLog(): AuditEntry[] {
    return [];
  }
  getDoc(): unknown {
    return undefined;
  }
  putDoc(): void {
    refuse("putDoc");
  }
  deleteDoc(): void {
    refuse("deleteDoc");
  }
  getRows(): [] {
    return [];
  }
  putRows(): void {
    refuse("putRows");
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  info(): StoreInfo {
    return {
      kind: "detached",
      location: "primary",
      schema: { from: 0, to: 0 },
      pending: 0,
      dropped: 0,
      last_error: null,
    };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function refuse(what: string): never {
  throw new CutoverError("CUTOVER_ERR_INTERNAL", `a cluster worker has no store (${what}); the primary owns state`);
}
