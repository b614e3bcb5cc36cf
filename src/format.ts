// Sizes as people read them, shared by the kernel model's messages and the CLI.

const IEC_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `512 B`, `1.5 KiB`, `23.5 GiB`; `unlimited` for Infinity; negative sizes keep their sign. */
export function formatBytes(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  if (!Number.isFinite(bytes)) return '?';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${value} B`;
  let unit = -1;
  while (value >= 1024 && unit < IEC_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${value.toFixed(1)} ${IEC_UNITS[unit]}`;
}
