import type { SchemaSnapshot, Table } from "./catalog.js";
import type { SchemaChange } from "./schema-diff-sql.js";

/**
 * A Mermaid erDiagram of the tables a diff touches, as they are in `to` (dropped ones as they were in
 * `from`), with PK/FK/UK markers, change notes on columns, and the foreign keys between them.
 */
export function erDiagram(
  from: SchemaSnapshot,
  to: SchemaSnapshot,
  changes: readonly SchemaChange[],
  changedTables: ReadonlySet<string>,
): string {
  const lines = ["erDiagram"];
  if (changedTables.size === 0) return `${lines[0]}\n  %% no table changes`;
  const columnNotes = new Map<string, string>();
  for (const c of changes) {
    if (c.kind === "column") columnNotes.set(c.name, c.op === "+" ? "added" : c.op === "-" ? "dropped" : `changed: ${c.detail ?? ""}`);
  }
  const relationships: string[] = [];
  for (const key of [...changedTables].sort()) {
    const table = to.tables.get(key);
    const dropped = !table;
    const shown = table ?? from.tables.get(key);
    if (!shown) continue;
    const snapshot = dropped ? from : to;
    const keys = keyMarkers(snapshot, shown);
    const added = !from.tables.has(key);
    lines.push(`  %% ${dropped ? "dropped" : added ? "added" : "changed"}: ${key}`);
    lines.push(`  ${entity(key)} {`);
    const columns = [...shown.columns];
    // Dropped columns are not in `to`; show them too so the change is visible.
    if (!dropped) {
      const old = from.tables.get(key);
      for (const c of old?.columns ?? []) if (!columns.some((x) => x.name === c.name)) columns.push(c);
    }
    for (const column of columns) {
      const markers = keys.get(column.name);
      const note = columnNotes.get(`${key}.${column.name}`);
      lines.push(
        `    ${word(column.type)} ${word(column.name)}${markers ? ` ${markers}` : ""}${note ? ` "${note.replace(/"/g, "'")}"` : ""}`,
      );
    }
    lines.push("  }");
    for (const c of snapshot.constraints.values()) {
      if (c.table !== key || c.type !== "f" || !c.references) continue;
      const nullable = c.columns.some((name) => !shown.columns.find((col) => col.name === name)?.notNull);
      relationships.push(`  ${entity(c.references)} ${nullable ? "|o" : "||"}--o{ ${entity(key)} : "${c.columns.join(", ")}"`);
    }
  }
  return [...lines, ...relationships].join("\n");
}

function keyMarkers(snapshot: SchemaSnapshot, table: Table): Map<string, string> {
  const markers = new Map<string, Set<string>>();
  const add = (column: string, marker: string) => markers.set(column, (markers.get(column) ?? new Set()).add(marker));
  for (const c of snapshot.constraints.values()) {
    if (c.table !== table.key) continue;
    const marker = c.type === "p" ? "PK" : c.type === "f" ? "FK" : c.type === "u" ? "UK" : undefined;
    if (marker) for (const column of c.columns) add(column, marker);
  }
  return new Map([...markers].map(([k, v]) => [k, [...v].sort((a, b) => order(a) - order(b)).join(", ")]));
}

const order = (marker: string) => ["PK", "FK", "UK"].indexOf(marker);

/** Mermaid entity names are words: public.orders → orders, audit.events → audit_events. */
function entity(key: string): string {
  const [schema, ...rest] = key.split(".");
  const name = rest.join(".");
  return word(schema === "public" ? name : `${schema}_${name}`);
}

/** Mermaid attribute types and names: letters, digits, _ - ( ) [ ]; everything else becomes _. */
function word(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_\-()[\]]/g, "_");
  return /^[A-Za-z_*]/.test(cleaned) ? cleaned : `_${cleaned}`;
}
