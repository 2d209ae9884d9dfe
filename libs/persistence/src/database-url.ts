/** Where a service keeps its data: an SQLite file (embedded default) or PostgreSQL. */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgresql'; url: string; schema: string };

/** Parses sqlite:///abs/path.db (or sqlite://relative.db) and postgres(ql)://... URLs. */
export function parseDatabaseUrl(url: string, schema: string): DatabaseTarget {
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (!path) throw new Error(`database URL ${url} names no file`);
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}`);
    return { kind: 'postgresql', url, schema };
  }
  throw new Error(`unsupported database URL ${url}: expected sqlite:///path/to/file.db or postgres://user@host:port/db`);
}
