/** Messages of one area of the interface (first-rung: a lecture playable before its higher rungs are done), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'firstRung.pending': '高清版本处理中',
  'firstRung.pendingHint': '现在即可观看（标清）；高清版本完成后，新打开的播放会自动提供更高清晰度。',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'firstRung.pending': 'Higher quality still processing',
  'firstRung.pendingHint': 'You can watch now at a lower quality; once the higher qualities are ready, new playback offers them automatically.',
};
