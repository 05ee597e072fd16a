// Cohort sizes as a uPlot bar chart. The chart is a picture (aria-hidden): the table beside it carries
// the same numbers for keyboards and screen readers.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export function SizesChart({ bars, height = 260 }: { bars: ReadonlyArray<{ label: string; value: number }>; height?: number }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = host.current
    if (!element) return
    const labels = bars.map((b) => b.label)
    const data: uPlot.AlignedData = [bars.map((_, i) => i), bars.map((b) => b.value)]
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height,
        legend: { show: false },
        cursor: { show: false },
        // x is ordinal (one slot per cohort); y starts at zero so bar heights compare honestly.
        scales: { x: { time: false, range: [-0.5, bars.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          {
            space: 10,
            incrs: [1],
            values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
            size: 60,
            rotate: -30,
            font: '11px system-ui, sans-serif',
          } as uPlot.Axis,
          { font: '11px system-ui, sans-serif', values: (_u, splits) => splits.map((v) => new Intl.NumberFormat('en-US', { notation: 'compact' }).format(v)) },
        ],
        series: [{}, { label: 'members', fill: 'rgba(31, 95, 191, 0.75)', stroke: '#1f5fbf', paths: uPlot.paths.bars?.({ size: [0.7, 60] }), points: { show: false } }],
      },
      data,
      element,
    )
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, element.clientWidth), height }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [bars, height])
  return <div ref={host} class="sizes-chart" aria-hidden="true" data-testid="cohort-sizes-chart" />
}
