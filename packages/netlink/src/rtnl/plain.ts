/** Helpers for the plain objects the decoders return. */
/**
 * A plain object without its undefined members, so decoded values compare with deepEqual
 * against literals that leave absent fields out.
 *
 * @example compact({ a: 1, b: undefined }) // { a: 1 }
 */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
