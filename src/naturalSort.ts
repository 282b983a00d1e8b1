/** Natural order for node names: `node-2` before `node-10`. */
export const naturalCompare = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;

/** Sorts node names: those in `order` first (in that order), the rest in natural order. */
export function sortNodeNames(names: Iterable<string>, order: readonly string[] = []): string[] {
  const rank = new Map(order.map((n, i) => [n, i]));
  return [...names].sort((a, b) => {
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra !== undefined || rb !== undefined) return (ra ?? Infinity) - (rb ?? Infinity);
    return naturalCompare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
  });
}
