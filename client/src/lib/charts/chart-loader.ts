/**
 * chart.js, loaded on demand (its own chunk) with only the pieces the portal draws: doughnuts
 * and bar charts with category/linear axes, tooltips and legends.
 */
import type { Chart as ChartType } from 'chart.js';

let loading: Promise<typeof ChartType> | null = null;

export function loadChart(): Promise<typeof ChartType> {
  loading ??= import('chart.js').then((m) => {
    m.Chart.register(m.DoughnutController, m.ArcElement, m.BarController, m.BarElement, m.CategoryScale, m.LinearScale, m.Tooltip, m.Legend);
    m.Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font') || undefined;
    m.Chart.defaults.color = '#4e5461';
    return m.Chart;
  });
  return loading;
}

/** The portal's chart colours: party red for what counts most, then calm blues and greens. */
export const CHART_COLORS = {
  red: '#c8161d',
  redSoft: '#f3c4c6',
  blue: '#2f5597',
  green: '#2d6a4f',
  amber: '#d9a441',
  grey: '#e5e6eb',
};
