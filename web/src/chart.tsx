// uPlot charts (the fastest time-series chart: canvas, ~45 kB, draws 100k points in milliseconds).
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

const COLORS = ['#1f5fbf', '#d9822b', '#1e7a3c', '#8e44ad']

/** A line chart of daily series sharing one x axis (unix seconds). */
export function TimeChart(props: { title: string; x: number[]; series: Array<{ label: string; values: number[] }>; height?: number }) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = props.series.map((s) => s.label).join('|')
  useEffect(() => {
    const el = box.current
    if (!el) return
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: props.height ?? 220,
      series: [{}, ...props.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, fill: `${COLORS[i % COLORS.length]}22` }))],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
      legend: { live: false },
    }
    const chart = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)], el)
    plot.current = chart
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
      plot.current = null
    }
  }, [shape])
  useEffect(() => {
    plot.current?.setData([props.x, ...props.series.map((s) => s.values)])
  }, [props.x, props.series])
  return <div ref={box} class="chart" role="img" aria-label={props.title} />
}

/** A bar chart of named values (cohort sizes), in the order given. */
export function BarChart(props: { title: string; labels: string[]; values: number[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null)
  const key = props.labels.join('|')
  useEffect(() => {
    const el = box.current
    if (!el || props.labels.length === 0) return
    const xs = props.labels.map((_, i) => i)
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: props.height ?? 280,
      series: [{}, { label: 'members', fill: '#1f5fbfcc', stroke: '#1f5fbf', paths: uPlot.paths.bars?.({ size: [0.7, 60] }), points: { show: false } }],
      scales: { x: { time: false, range: [-0.5, props.labels.length - 0.5] } },
      axes: [
        { splits: () => xs, values: (_u, splits) => splits.map((i) => props.labels[i] ?? ''), rotate: -35, gap: 4, size: 90 },
        { size: 60 },
      ],
      legend: { show: false },
      cursor: { show: true, points: { show: false } },
    }
    const chart = new uPlot(opts, [xs, props.values], el)
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 280 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      chart.destroy()
    }
  }, [key, props.values.join(',')])
  return <div ref={box} class="chart" role="img" aria-label={props.title} />
}
