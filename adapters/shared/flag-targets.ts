/** A flag's targeted users after adding and removing some: the ones kept in their order, then the added ones. */
export function editTargets(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const out = current.filter((id) => !remove.includes(id));
  for (const id of add) if (!out.includes(id) && !remove.includes(id)) out.push(id);
  return out;
}
