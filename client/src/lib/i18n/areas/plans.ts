/** Messages of one area of the interface (plans), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {};
