/** Messages of one area of the interface (plans), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'adminPlans.title': '学习计划',
  'plan.title': '我的学习计划',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'adminPlans.title': 'Learning plans',
  'plan.title': 'My learning plan',
};
