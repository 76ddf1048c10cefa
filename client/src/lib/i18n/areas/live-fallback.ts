/** Messages of one area of the interface (live-fallback: the live room's WebRTC path and its HLS fallback), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'liveFallback.path.connecting': '正在连接实时画面…',
  'liveFallback.path.webrtc': '实时连接',
  'liveFallback.path.fallback': '网络不稳，已切换到普通直播',
  'liveFallback.path.recovering': '正在恢复实时连接…',
  'liveFallback.pathHint': '实时连接延迟约 1 秒；普通直播延迟几秒，更耐网络波动。实时连接恢复后会自动切回。',
} as const;

export const en: { readonly [K in keyof typeof zh]: string } = {
  'liveFallback.path.connecting': 'Connecting to the real-time picture…',
  'liveFallback.path.webrtc': 'Real-time connection',
  'liveFallback.path.fallback': 'Unstable network: switched to the standard live stream',
  'liveFallback.path.recovering': 'Restoring the real-time connection…',
  'liveFallback.pathHint': 'The real-time connection is about 1 s behind; the standard live stream is a few seconds behind and copes better with a weak network. It switches back by itself once the real-time connection recovers.',
};
