/** Messages of one area of the interface (first-rung: a lecture playable before its higher rungs are done), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'firstRung.pending': '高清版本处理中',
  'firstRung.pendingHint': '现在即可观看（标清）；高清版本完成后，新打开的播放会自动提供更高清晰度。',
  'firstRung.growing': '视频处理中，可从头观看',
  'firstRung.growingHint': '上传刚完成，视频正在处理：可以从头观看，已处理的部分随时增加；处理完成后可任意拖动进度。',
  'firstRung.growingPlayer': '视频处理中：已可观看至 {made}（全长 {total}），其余部分处理完成后即可拖动观看。',
  'firstRung.growingStudio': '{rungs} 边处理边发布：学员已可从头观看。',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'firstRung.pending': 'Higher quality still processing',
  'firstRung.pendingHint': 'You can watch now at a lower quality; once the higher qualities are ready, new playback offers them automatically.',
  'firstRung.growing': 'Processing: watch from the start',
  'firstRung.growingHint': 'The upload has just finished and the video is being processed: you can watch it from the start, and more becomes available as it is processed; once done you can seek anywhere.',
  'firstRung.growingPlayer': 'Still processing: watchable up to {made} (of {total}); the rest can be sought once it is processed.',
  'firstRung.growingStudio': '{rungs} published while it is processed: learners can already watch from the start.',
};
