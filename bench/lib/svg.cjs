// Hand-written SVG charts with log-scale axes: one point per median, a whisker from min to p99 (max when
// a summary has no p99).

const font = 'font-family="system-ui, sans-serif"';

function escapeText(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function formatValue(value, unit) {
  if (value >= 1) return `${value} ${unit}`;
  return `${Number(value.toPrecision(1))} ${unit}`;
}

/** A log10 scale from [low, high] onto [from, to] pixels. */
function logScale(low, high, from, to) {
  const lowLog = Math.log10(low);
  const span = Math.log10(high) - lowLog || 1;
  return (value) => from + ((Math.log10(value) - lowLog) / span) * (to - from);
}

/**
 * One panel, as an SVG group placed at (left, top).
 * series: [{ name, color, dashed?, points: [{ x, summary: { median, min, max } | null }] }]
 * xTicks: [{ value, label }] — the levels measured; the x axis spans them with some air.
 * Values at or below zero cannot sit on a log axis and are drawn at the bottom edge.
 */
function logChartPanel({ left, top, width, height, title, xLabel, yLabel, xTicks, series, unit = 'ms' }) {
  const legendColumns = width >= 900 ? 3 : 2;
  const legendRows = Math.ceil(series.length / legendColumns);
  const plot = { left: left + 70, right: left + width - 16, top: top + 40 + legendRows * 15, bottom: top + height - 48 };
  const xValues = xTicks.map((tick) => tick.value);
  const x = logScale(Math.min(...xValues) / 1.6, Math.max(...xValues) * 1.6, plot.left, plot.right);

  const upper = (summary) => summary.p99 ?? summary.max;
  const yValues = series.flatMap((s) => s.points.flatMap((p) => (p.summary ? [p.summary.min, upper(p.summary)] : [])))
    .filter((value) => value > 0);
  const yLowDecade = Math.floor(Math.log10(Math.min(...yValues, 1)));
  const yHighDecade = Math.ceil(Math.log10(Math.max(...yValues, 1)));
  const yLow = 10 ** yLowDecade;
  const yScale = logScale(yLow, 10 ** yHighDecade, plot.bottom, plot.top);
  const y = (value) => (value > 0 ? yScale(Math.max(value, yLow)) : plot.bottom);

  const parts = [`<g>`,
    `<text x="${left + width / 2}" y="${top + 20}" text-anchor="middle" font-size="15" font-weight="600" ${font}>${escapeText(title)}</text>`];
  for (let decade = yLowDecade; decade <= yHighDecade; decade++) {
    const value = 10 ** decade;
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${y(value)}" y2="${y(value)}" stroke="#ccc"/>`,
      `<text x="${plot.left - 6}" y="${y(value) + 4}" text-anchor="end" font-size="11" ${font}>${formatValue(value, unit)}</text>`);
    for (const minor of [2, 5]) {
      if (decade < yHighDecade) {
        const minorY = y(minor * value);
        parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${minorY}" y2="${minorY}" stroke="#eee"/>`);
      }
    }
  }
  for (const tick of xTicks) {
    parts.push(`<line x1="${x(tick.value)}" x2="${x(tick.value)}" y1="${plot.top}" y2="${plot.bottom}" stroke="#eee"/>`,
      `<text x="${x(tick.value)}" y="${plot.bottom + 16}" text-anchor="middle" font-size="11" ${font}>${escapeText(tick.label)}</text>`);
  }
  parts.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#888"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 36}" text-anchor="middle" font-size="12" ${font}>${escapeText(xLabel)}</text>`,
    `<text transform="translate(${left + 16} ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${font}>${escapeText(yLabel)}</text>`);

  series.forEach((line, index) => {
    const points = line.points.filter((p) => p.summary);
    const dash = line.dashed ? ' stroke-dasharray="5 4"' : '';
    // Series measured at the same x sit a few pixels apart, so one whisker cannot hide another.
    const offset = (index - (series.length - 1) / 2) * 4;
    const px = (p) => (x(p.x) + offset).toFixed(1);
    if (points.length > 1) {
      const path = points.map((p) => `${px(p)},${y(p.summary.median).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="${line.color}" stroke-width="2"${dash}/>`);
    }
    for (const p of points) {
      parts.push(`<line x1="${px(p)}" x2="${px(p)}" y1="${y(p.summary.min).toFixed(1)}" y2="${y(upper(p.summary)).toFixed(1)}" stroke="${line.color}" stroke-width="1.5" stroke-opacity="0.6"/>`,
        `<circle cx="${px(p)}" cy="${y(p.summary.median).toFixed(1)}" r="3.5" fill="${line.color}"><title>${escapeText(`${line.name}: median ${p.summary.median} ${unit} (min ${p.summary.min}, p99 ${p.summary.p99 ?? '?'}, max ${p.summary.max}, n ${p.summary.n})`)}</title></circle>`);
    }
    const legendX = plot.left + (index % legendColumns) * ((plot.right - plot.left) / legendColumns);
    const legendY = top + 36 + Math.floor(index / legendColumns) * 15;
    const label = points.length ? line.name : `${line.name} (not yet measured)`;
    parts.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY}" y2="${legendY}" stroke="${line.color}" stroke-width="2"${dash}/>`,
      `<text x="${legendX + 22}" y="${legendY + 4}" font-size="11" ${font}>${escapeText(label)}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

/** A whole SVG document holding `panels` (strings from logChartPanel), with footnote lines below. */
function svgDocument(width, height, panels, footnoteLines) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels,
    ...footnoteLines.map((line, i) => `<text x="8" y="${height - 8 - (footnoteLines.length - 1 - i) * 13}" font-size="10" fill="#666" ${font}>${escapeText(line)}</text>`),
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { logChartPanel, svgDocument };
