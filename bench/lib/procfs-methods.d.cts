/** Size in bytes of the largest VMA with `ac` in VmFlags, from a full read of /proc/self/smaps. */
export function largestAccountableFromSmaps(): number;
/** Reads /proc/self/maps; returns its length in characters. */
export function readMaps(): number;
