import type { Column, Constraint, SchemaSnapshot, Table } from "./catalog.js";

/** One difference, for summaries: "+table public.orders", "~column public.users.plan". */
export interface SchemaChange {
  readonly op: "+" | "-" | "~";
  readonly kind: "table" | "column" | "index" | "constraint" | "function";
  readonly name: string;
  readonly table: string | null;
  readonly detail?: string;
}

export interface SchemaDiff {
  readonly changes: readonly SchemaChange[];
  /** SQL that turns `from` into `to`, in an order that applies: drops of dependents first, creates after. */
  readonly statements: readonly string[];
  /** Tables (schema.name) added, dropped or altered, including by index or constraint changes. */
  readonly changedTables: ReadonlySet<string>;
}

/**
 * Compares two snapshots and writes the SQL that would turn `from` into `to`. Covers tables, columns
 * (type, NOT NULL, default, identity, generated), indexes, constraints and functions. Not covered, and
 * said so in the report: views, sequences, enum and other types, triggers, RLS policies, grants,
 * partitions and column renames (shown as a drop plus an add).
 */
export function diffSchemas(from: SchemaSnapshot, to: SchemaSnapshot): SchemaDiff {
  const changes: SchemaChange[] = [];
  const changedTables = new Set<string>();
  const dropConstraints: string[] = [];
  const dropForeignKeys: string[] = [];
  const dropIndexes: string[] = [];
  const functionsBefore: string[] = [];
  const createTables: string[] = [];
  const alterColumns: string[] = [];
  const addConstraints: string[] = [];
  const addForeignKeys: string[] = [];
  const createIndexes: string[] = [];
  const dropColumns: string[] = [];
  const dropTables: string[] = [];
  const dropFunctions: string[] = [];

  for (const [key, table] of to.tables) {
    const old = from.tables.get(key);
    if (!old) {
      createTables.push(createTable(table));
      changes.push({ op: "+", kind: "table", name: key, table: key });
      changedTables.add(key);
      continue;
    }
    const oldColumns = new Map(old.columns.map((c) => [c.name, c]));
    const newColumns = new Map(table.columns.map((c) => [c.name, c]));
    for (const column of table.columns) {
      const before = oldColumns.get(column.name);
      if (!before) {
        alterColumns.push(`ALTER TABLE ${table.qualified} ADD COLUMN ${columnDefinition(table, column)};`);
        changes.push({ op: "+", kind: "column", name: `${key}.${column.name}`, table: key, detail: column.type });
        changedTables.add(key);
        continue;
      }
      const statements = alterColumn(table, before, column);
      if (statements.length > 0) {
        alterColumns.push(...statements);
        changes.push({ op: "~", kind: "column", name: `${key}.${column.name}`, table: key, detail: columnChange(before, column) });
        changedTables.add(key);
      }
    }
    for (const column of old.columns) {
      if (!newColumns.has(column.name)) {
        dropColumns.push(`ALTER TABLE ${table.qualified} DROP COLUMN ${column.quoted};`);
        changes.push({ op: "-", kind: "column", name: `${key}.${column.name}`, table: key });
        changedTables.add(key);
      }
    }
  }
  for (const [key, table] of from.tables) {
    if (!to.tables.has(key)) {
      dropTables.push(`DROP TABLE ${table.qualified};`);
      changes.push({ op: "-", kind: "table", name: key, table: key });
      changedTables.add(key);
    }
  }

  for (const [key, c] of to.constraints) {
    const old = from.constraints.get(key);
    if (old && old.definition === c.definition) continue;
    if (old) (old.type === "f" ? dropForeignKeys : dropConstraints).push(dropConstraint(from, old));
    (c.type === "f" ? addForeignKeys : addConstraints).push(
      `ALTER TABLE ${qualifiedTable(to, c.table)} ADD CONSTRAINT ${c.quotedName} ${c.definition};`,
    );
    changes.push({ op: old ? "~" : "+", kind: "constraint", name: key, table: c.table, detail: c.definition });
    changedTables.add(c.table);
  }
  for (const [key, c] of from.constraints) {
    // Constraints of a dropped table go with it.
    if (!to.constraints.has(key) && to.tables.has(c.table)) {
      (c.type === "f" ? dropForeignKeys : dropConstraints).push(dropConstraint(from, c));
      changes.push({ op: "-", kind: "constraint", name: key, table: c.table });
      changedTables.add(c.table);
    }
  }

  for (const [key, index] of to.indexes) {
    const old = from.indexes.get(key);
    if (old && old.definition === index.definition) continue;
    if (old) dropIndexes.push(`DROP INDEX ${old.qualified};`);
    createIndexes.push(`${index.definition};`);
    changes.push({ op: old ? "~" : "+", kind: "index", name: key, table: index.table });
    changedTables.add(index.table);
  }
  for (const [key, index] of from.indexes) {
    if (!to.indexes.has(key) && to.tables.has(index.table)) {
      dropIndexes.push(`DROP INDEX ${index.qualified};`);
      changes.push({ op: "-", kind: "index", name: key, table: index.table });
      changedTables.add(index.table);
    }
  }

  for (const [key, fn] of to.functions) {
    const old = from.functions.get(key);
    if (old && old.definition === fn.definition) continue;
    // CREATE OR REPLACE cannot change a function's result type.
    if (old && old.result !== fn.result) functionsBefore.push(`DROP FUNCTION ${old.qualified}(${old.identityArgs});`);
    functionsBefore.push(`${fn.definition};`);
    changes.push({ op: old ? "~" : "+", kind: "function", name: key, table: null });
  }
  for (const [key, fn] of from.functions) {
    if (!to.functions.has(key)) {
      dropFunctions.push(`DROP FUNCTION ${fn.qualified}(${fn.identityArgs});`);
      changes.push({ op: "-", kind: "function", name: key, table: null });
    }
  }

  const statements = [
    ...dropForeignKeys,
    ...dropConstraints,
    ...dropIndexes,
    ...functionsBefore,
    ...createTables,
    ...alterColumns,
    ...addConstraints,
    ...addForeignKeys,
    ...createIndexes,
    ...dropColumns,
    ...dropTables,
    ...dropFunctions,
  ];
  return { changes, statements, changedTables };
}

function qualifiedTable(snapshot: SchemaSnapshot, key: string): string {
  return snapshot.tables.get(key)?.qualified ?? key;
}

function dropConstraint(snapshot: SchemaSnapshot, c: Constraint): string {
  return `ALTER TABLE ${qualifiedTable(snapshot, c.table)} DROP CONSTRAINT ${c.quotedName};`;
}

function createTable(table: Table): string {
  const columns = table.columns.map((c) => `  ${columnDefinition(table, c)}`);
  const partition = table.partitionKey ? ` PARTITION BY ${table.partitionKey}` : "";
  return `CREATE TABLE ${table.qualified} (\n${columns.join(",\n")}\n)${partition};`;
}

const SERIAL_TYPES: Record<string, string> = { integer: "serial", bigint: "bigserial", smallint: "smallserial" };

/** A column default of nextval('<table>_<column>_seq') is what serial creates; write it as serial. */
function serialType(table: Table, column: Column): string | undefined {
  const serial = SERIAL_TYPES[column.type];
  if (!serial || !column.default) return undefined;
  const match = /^nextval\('(?:[\w"]+\.)?"?([\w]+)"?'::regclass\)$/.exec(column.default);
  return match?.[1] === `${table.name}_${column.name}_seq` ? serial : undefined;
}

function columnDefinition(table: Table, column: Column): string {
  const serial = serialType(table, column);
  const parts = [column.quoted, serial ?? column.type];
  if (column.identity === "a") parts.push("GENERATED ALWAYS AS IDENTITY");
  else if (column.identity === "d") parts.push("GENERATED BY DEFAULT AS IDENTITY");
  else if (column.generated === "s" && column.default) parts.push(`GENERATED ALWAYS AS (${column.default}) STORED`);
  else if (column.default && !serial) parts.push(`DEFAULT ${column.default}`);
  if (column.notNull) parts.push("NOT NULL");
  return parts.join(" ");
}

function alterColumn(table: Table, before: Column, after: Column): string[] {
  const t = table.qualified;
  const c = after.quoted;
  const out: string[] = [];
  if (before.generated !== after.generated || (after.generated === "s" && before.default !== after.default)) {
    // A generated column cannot be altered in place.
    return [`ALTER TABLE ${t} DROP COLUMN ${c};`, `ALTER TABLE ${t} ADD COLUMN ${columnDefinition(table, after)};`];
  }
  if (before.type !== after.type) out.push(`ALTER TABLE ${t} ALTER COLUMN ${c} TYPE ${after.type} USING ${c}::${after.type};`);
  if (before.identity !== after.identity) {
    if (before.identity && !after.identity) out.push(`ALTER TABLE ${t} ALTER COLUMN ${c} DROP IDENTITY;`);
    else if (!before.identity)
      out.push(`ALTER TABLE ${t} ALTER COLUMN ${c} ADD GENERATED ${after.identity === "a" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY;`);
    else out.push(`ALTER TABLE ${t} ALTER COLUMN ${c} SET GENERATED ${after.identity === "a" ? "ALWAYS" : "BY DEFAULT"};`);
  }
  if (!after.identity && before.default !== after.default) {
    out.push(
      after.default === null
        ? `ALTER TABLE ${t} ALTER COLUMN ${c} DROP DEFAULT;`
        : `ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT ${after.default};`,
    );
  }
  if (before.notNull !== after.notNull) out.push(`ALTER TABLE ${t} ALTER COLUMN ${c} ${after.notNull ? "SET" : "DROP"} NOT NULL;`);
  return out;
}

function columnChange(before: Column, after: Column): string {
  const parts: string[] = [];
  if (before.type !== after.type) parts.push(`${before.type} → ${after.type}`);
  if (before.notNull !== after.notNull) parts.push(after.notNull ? "NOT NULL" : "nullable");
  if (before.default !== after.default) parts.push(`default ${before.default ?? "none"} → ${after.default ?? "none"}`);
  if (before.identity !== after.identity) parts.push("identity");
  if (before.generated !== after.generated) parts.push("generated");
  return parts.join(", ");
}

/**
 * "+table public.orders, ~column public.users.plan (text → varchar(20)), …". The constraints and indexes
 * of a table that is itself added or dropped are implied by it and left out of the line.
 */
export function describeChanges(all: readonly SchemaChange[], max = 6): string {
  const wholeTables = new Set(all.filter((c) => c.kind === "table").map((c) => c.table));
  const changes = all.filter((c) => c.kind === "table" || c.table === null || !wholeTables.has(c.table));
  if (changes.length === 0) return "no schema changes";
  const shown = changes.slice(0, max).map((c) => `${c.op}${c.kind} ${c.name}${c.detail && c.kind === "column" ? ` (${c.detail})` : ""}`);
  return `${shown.join(", ")}${changes.length > max ? `, and ${changes.length - max} more` : ""}`;
}
