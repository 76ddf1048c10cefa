/** Messages of one area of the interface (admin-users), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'adminUsers.title': '用户管理',
  'adminImport.title': '花名册导入',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'adminUsers.title': 'Users',
  'adminImport.title': 'Roster import',
};
