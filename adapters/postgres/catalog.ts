import type pg from "pg";
import { z } from "zod";

/** Schemas to compare: a list, or comma-separated text; public when not given. */
export const schemasArg = z.preprocess(
  (v) => (v === undefined || v === "" ? ["public"] : typeof v === "string" ? v.split(",").map((s) => s.trim()) : v),
  z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a schema name like public"), { error: "must be a list of schema names" }).min(1),
);

/**
 * The parts of a schema opsroom compares: tables (not partitions), columns, indexes, constraints and
 * functions. Names come quoted by the server (quote_ident) so generated SQL is always valid.
 */
export interface Column {
  readonly name: string;
  readonly quoted: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly default: string | null;
  /** "a" GENERATED ALWAYS AS IDENTITY, "d" BY DEFAULT, "" none. */
  readonly identity: string;
  /** "s" for GENERATED ALWAYS AS (expr) STORED; `default` then holds the expression. */
  readonly generated: string;
}

export interface Table {
  readonly key: string; // schema.name, unquoted
  readonly schema: string;
  readonly name: string;
  readonly qualified: string; // quoted
  readonly partitionKey: string | null;
  readonly columns: readonly Column[];
}

export interface Index {
  readonly key: string;
  readonly table: string;
  readonly qualified: string;
  readonly definition: string;
}

export interface Constraint {
  readonly key: string; // schema.table.name
  readonly table: string;
  readonly quotedName: string;
  readonly type: "p" | "u" | "f" | "c" | "x";
  readonly definition: string;
  readonly columns: readonly string[];
  readonly references: string | null;
}

export interface Func {
  readonly key: string; // schema.name(args)
  readonly qualified: string;
  readonly identityArgs: string;
  readonly result: string;
  readonly definition: string;
}

export interface SchemaSnapshot {
  readonly tables: ReadonlyMap<string, Table>;
  readonly indexes: ReadonlyMap<string, Index>;
  readonly constraints: ReadonlyMap<string, Constraint>;
  readonly functions: ReadonlyMap<string, Func>;
}

/** Tables opsroom itself keeps in a target database; never part of a diff. */
const OWN_TABLES = ["opsroom_target_migrations"];

// Objects that belong to an extension (pg_depend deptype 'e') are the extension's business, not a diff.
const NOT_EXTENSION = (oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = ${oid} AND d.deptype = 'e')`;

export async function snapshotSchema(client: pg.Client, schemas: readonly string[]): Promise<SchemaSnapshot> {
  const tableRows = await client.query<{
    schema: string;
    name: string;
    qualified: string;
    partkey: string | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
        AND NOT (n.nspname = 'public' AND c.relname = ANY($2)) AND ${NOT_EXTENSION("c.oid")}
      ORDER BY 1, 2`,
    [schemas, OWN_TABLES],
  );
  const columnRows = await client.query<{
    schema: string;
    table: string;
    name: string;
    quoted: string;
    type: string;
    notnull: boolean;
    def: string | null;
    identity: string;
    generated: string;
  }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, quote_ident(a.attname) AS quoted,
            format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity, a.attgenerated::text AS generated
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND n.nspname = ANY($1)
      ORDER BY n.nspname, c.relname, a.attnum`,
    [schemas],
  );
  const indexRows = await client.query<{ schema: string; table: string; name: string; qualified: string; def: string }>(
    `SELECT n.nspname AS schema, t.relname AS table, i.relname AS name,
            quote_ident(n.nspname) || '.' || quote_ident(i.relname) AS qualified, pg_get_indexdef(i.oid) AS def
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = ANY($1) AND t.relkind IN ('r', 'p') AND NOT t.relispartition
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x'))
        AND ${NOT_EXTENSION("i.oid")}
      ORDER BY 1, 3`,
    [schemas],
  );
  const constraintRows = await client.query<{
    schema: string;
    table: string;
    name: string;
    quoted: string;
    type: "p" | "u" | "f" | "c" | "x";
    def: string;
    columns: string[] | null;
    references: string | null;
  }>(
    `SELECT n.nspname AS schema, t.relname AS table, con.conname AS name, quote_ident(con.conname) AS quoted,
            con.contype::text AS type, pg_get_constraintdef(con.oid) AS def,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) k JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k) AS columns,
            CASE WHEN con.contype = 'f' THEN rn.nspname || '.' || r.relname END AS references
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       LEFT JOIN pg_class r ON r.oid = con.confrelid
       LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND n.nspname = ANY($1) AND NOT t.relispartition
        AND con.conparentid = 0
      ORDER BY 1, 2, 3`,
    [schemas],
  );
  const functionRows = await client.query<{ schema: string; name: string; qualified: string; args: string; result: string; def: string }>(
    `SELECT n.nspname AS schema, p.proname AS name, quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qualified,
            pg_get_function_identity_arguments(p.oid) AS args, coalesce(pg_get_function_result(p.oid), '') AS result,
            pg_get_functiondef(p.oid) AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND ${NOT_EXTENSION("p.oid")}
      ORDER BY 1, 2, 4`,
    [schemas],
  );

  const columnsByTable = new Map<string, Column[]>();
  for (const r of columnRows.rows) {
    const key = `${r.schema}.${r.table}`;
    const list = columnsByTable.get(key) ?? [];
    list.push({
      name: r.name,
      quoted: r.quoted,
      type: r.type,
      notNull: r.notnull,
      default: r.def,
      identity: r.identity ?? "",
      generated: r.generated ?? "",
    });
    columnsByTable.set(key, list);
  }
  const tables = new Map<string, Table>();
  for (const r of tableRows.rows) {
    const key = `${r.schema}.${r.name}`;
    tables.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      qualified: r.qualified,
      partitionKey: r.partkey,
      columns: columnsByTable.get(key) ?? [],
    });
  }
  const indexes = new Map<string, Index>();
  for (const r of indexRows.rows) {
    indexes.set(`${r.schema}.${r.name}`, {
      key: `${r.schema}.${r.name}`,
      table: `${r.schema}.${r.table}`,
      qualified: r.qualified,
      definition: r.def,
    });
  }
  const constraints = new Map<string, Constraint>();
  for (const r of constraintRows.rows) {
    const table = `${r.schema}.${r.table}`;
    if (!tables.has(table)) continue;
    constraints.set(`${table}.${r.name}`, {
      key: `${table}.${r.name}`,
      table,
      quotedName: r.quoted,
      type: r.type,
      definition: r.def,
      columns: r.columns ?? [],
      references: r.references,
    });
  }
  const functions = new Map<string, Func>();
  for (const r of functionRows.rows) {
    const key = `${r.schema}.${r.name}(${r.args})`;
    functions.set(key, { key, qualified: r.qualified, identityArgs: r.args, result: r.result, definition: r.def.trimEnd() });
  }
  return { tables, indexes, constraints, functions };
}
