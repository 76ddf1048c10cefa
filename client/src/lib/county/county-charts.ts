/**
 * chart.js configurations of the county pages (pure: labels come in already translated). Bars
 * only (the portal's chart loader registers bars and doughnuts): this year beside last year by
 * channel and by month, the most chosen topics, the share on track per committee or unit.
 */
import type { ChartConfiguration } from 'chart.js';
import { CHART_COLORS } from '../charts/chart-loader.ts';
import { percent, shortLabel } from './county.ts';

type Bar = ChartConfiguration<'bar'>;

const base = (legend: boolean, extra: Partial<NonNullable<Bar['options']>> = {}): Bar['options'] => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
  plugins: { legend: { display: legend, position: 'bottom' } },
  scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
  ...extra,
});

/** Two series, this year (red) and last year (grey), over the same labels. */
export function yearPairChart(labels: string[], now: number[], prev: number[], names: { now: string; prev: string }): Bar {
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: names.now, data: now, backgroundColor: CHART_COLORS.red, borderRadius: 3, maxBarThickness: 36 },
        { label: names.prev, data: prev, backgroundColor: CHART_COLORS.grey, borderRadius: 3, maxBarThickness: 36 },
      ],
    },
    options: base(true),
  };
}

/** The most chosen topics, as horizontal bars of person-times. */
export function topicsChart(topics: { topic: string; personTimes: number }[], name: string): Bar {
  return {
    type: 'bar',
    data: {
      labels: topics.map((t) => shortLabel(t.topic, 14)),
      datasets: [{ label: name, data: topics.map((t) => t.personTimes), backgroundColor: CHART_COLORS.blue, borderRadius: 3, maxBarThickness: 24 }],
    },
    options: base(false, { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } }),
  };
}

/** The share on track (%) per child, coloured by level. */
export function shareChart(rows: { name: string; share: number }[], name: string): Bar {
  return {
    type: 'bar',
    data: {
      labels: rows.map((r) => shortLabel(r.name)),
      datasets: [
        {
          label: name,
          data: rows.map((r) => percent(r.share)),
          backgroundColor: rows.map((r) => (r.share >= 0.9 ? CHART_COLORS.green : r.share >= 0.6 ? CHART_COLORS.amber : CHART_COLORS.red)),
          borderRadius: 3,
          maxBarThickness: 36,
        },
      ],
    },
    options: base(false, { scales: { y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v}%` } }, x: { grid: { display: false } } } }),
  };
}
