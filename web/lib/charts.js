// Charts with uPlot (served from the package's node_modules, never a CDN).
import uPlot from '/dashboard/assets/vendor/uplot.js'

const COLORS = ['#2563eb', '#dc2626', '#d97706', '#059669', '#7c3aed']

function width(holder) {
  return Math.max(320, Math.min(1100, (holder.clientWidth || 600) - 8))
}

/**
 * A time-series chart in `holder`: `series` names the lines, `data` is uPlot's columns
 * ([times in seconds, values…]). Returns an object whose `update(data)` redraws it.
 */
export function lineChart(holder, title, series, data, options = {}) {
  const plot = new uPlot(
    {
      title,
      width: width(holder),
      height: options.height ?? 200,
      series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, fill: options.fill ? `${COLORS[i % COLORS.length]}22` : undefined, paths: options.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined }))],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1)] } },
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    },
    data,
    holder,
  )
  return {
    update(next) {
      plot.setData(next)
    },
    destroy() {
      plot.destroy()
    },
  }
}
