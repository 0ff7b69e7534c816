// @ts-check
// Number formatting for the tables: durations with a unit chosen by size, bytes in
// KiB/MiB, ratios with two decimals.

export function duration(us) {
  if (us === undefined || us === null || Number.isNaN(us)) return 'n/a';
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function ms(value) {
  return value === undefined || Number.isNaN(value) ? 'n/a' : duration(value * 1000);
}

export function bytes(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return 'n/a';
  const sign = n < 0 ? '−' : '';
  const a = Math.abs(n);
  if (a < 1024) return `${sign}${Math.round(a)} B`;
  if (a < 1024 * 1024) return `${sign}${(a / 1024).toFixed(a < 10 * 1024 ? 1 : 0)} KiB`;
  return `${sign}${(a / 1024 / 1024).toFixed(1)} MiB`;
}

export function ratio(r) {
  return r === undefined || Number.isNaN(r) ? 'n/a' : `${r.toFixed(2)}×`;
}

export function rate(rps) {
  return rps === undefined || Number.isNaN(rps) ? 'n/a' : `${Math.round(rps).toLocaleString('en-US')}/s`;
}

export function count(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
