import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CutoverError } from "../errors/index.js";
import { newerSchema, type AuditEntry, type Store, type StoredRow, type StoreInfo } from "./store.js";

/**
 * Ordered migrations; the index + 1 is the schema version stored in `meta`. The PostgreSQL store
 * (postgres-schema.ts) has the same versions with the same meaning: add a migration to both.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE weights (route TEXT PRIMARY KEY, weight REAL NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
   CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                       subject TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT);
   CREATE INDEX audit_subject ON audit(subject, id);
   CREATE TABLE docs (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);`,
  `CREATE TABLE rows (collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
                     PRIMARY KEY (collection, key)) WITHOUT ROWID;`,
];

/**
 * SqliteStore keeps state in one SQLite file in WAL mode, so readers (CLI, dashboard) never block
 * the gateway and a `kill -9` loses nothing that was committed.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  /** Schema version found at open and the version now (equal when nothing was migrated). */
  readonly schema: { from: number; to: number };

  constructor(readonly path: string) {
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("busy_timeout = 5000");
      this.schema = this.migrate();
    } catch (err) {
      if (err instanceof CutoverError) throw err;
      throw new CutoverError("CUTOVER_ERR_STORE", `${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private migrate(): { from: number; to: number } {
    this.db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      { value: string } | undefined;
    const current = row ? Number(row.value) : 0;
    if (current > MIGRATIONS.length) {
      throw newerSchema(this.path, current, MIGRATIONS.length);
    }
    const apply = this.db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v] as string);
      this.db
        .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)")
        .run(String(MIGRATIONS.length));
    });
    apply();
    return { from: current, to: MIGRATIONS.length };
  }

  getWeights(): Map<string, number> {
    const rows = this.db.prepare("SELECT route, weight FROM weights").all() as { route: string; weight: number }[];
    return new Map(rows.map((r) => [r.route, r.weight]));
  }

  setWeight(route: string, weight: number, actor: string): void {
    this.db
      .prepare("INSERT OR REPLACE INTO weights (route, weight, updated_at, updated_by) VALUES (?, ?, ?, ?)")
      .run(route, weight, Date.now(), actor);
  }

  setWeights(weights: ReadonlyMap<string, number>, audit: AuditEntry): void {
    this.db.transaction(() => {
      for (const [route, w] of weights) this.setWeight(route, w, audit.actor);
      this.audit(audit);
    })();
  }

  audit(e: AuditEntry): number {
    const res = this.db
      .prepare("INSERT INTO audit (at, actor, action, subject, reason, detail) VALUES (?, ?, ?, ?, ?, ?)")
      .run(e.at, e.actor, e.action, e.subject, e.reason, e.detail === undefined ? null : JSON.stringify(e.detail));
    return Number(res.lastInsertRowid);
  }

  auditLog(opts: { limit?: number; subject?: string; sinceId?: number } = {}): AuditEntry[] {
    const rows = this.db
      .prepare(
        `SELECT id, at, actor, action, subject, reason, detail FROM audit
         WHERE (? IS NULL OR subject = ?) AND id > ? ORDER BY id DESC LIMIT ?`,
      )
      .all(opts.subject ?? null, opts.subject ?? null, opts.sinceId ?? 0, opts.limit ?? 100) as (Omit<
      AuditEntry,
      "detail"
    > & {
      detail: string | null;
    })[];
    return rows.map((r) => ({ ...r, detail: r.detail === null ? undefined : (JSON.parse(r.detail) as unknown) }));
  }

  getDoc(key: string): unknown {
    const row = this.db.prepare("SELECT value FROM docs WHERE key = ?").get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  putDoc(key: string, value: unknown): void {
    this.db
      .prepare("INSERT OR REPLACE INTO docs (key, value, updated_at) VALUES (?, ?, ?)")
      .run(key, JSON.stringify(value), Date.now());
  }

  deleteDoc(key: string): void {
    this.db.prepare("DELETE FROM docs WHERE key = ?").run(key);
  }

  getRows(collection: string): StoredRow[] {
    const rows = this.db.prepare("SELECT key, value FROM rows WHERE collection = ? ORDER BY key").all(collection) as {
      key: string;
      value: string;
    }[];
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown }));
  }

  putRows(collection: string, upserts: readonly StoredRow[], deletes: readonly string[] = []): void {
    if (upserts.length === 0 && deletes.length === 0) return;
    const put = this.db.prepare("INSERT OR REPLACE INTO rows (collection, key, value, updated_at) VALUES (?, ?, ?, ?)");
    const del = this.db.prepare("DELETE FROM rows WHERE collection = ? AND key = ?");
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of upserts) put.run(collection, r.key, JSON.stringify(r.value), now);
      for (const k of deletes) del.run(collection, k);
    })();
  }

  /** Every write has committed when its call returned. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  info(): StoreInfo {
    return { kind: "sqlite", location: this.path, schema: this.schema, pending: 0, dropped: 0, last_error: null };
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
