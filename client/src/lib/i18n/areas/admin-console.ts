/** Messages of one area of the interface (admin-console), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'admin.title': '管理控制台',
  'adminPolicies.title': '学时政策',
  'adminReview.title': '学习记录审核',
  'adminReminders.title': '学习提醒',
  'adminXapi.title': '学习记录导出 (xAPI)',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'admin.title': 'Admin console',
  'adminPolicies.title': 'Credit policies',
  'adminReview.title': 'Study record review',
  'adminReminders.title': 'Reminders',
  'adminXapi.title': 'Learning records export (xAPI)',
};
