/** Messages of one area of the interface (kiosk-offline: request deadlines, the kiosk's link state), merged into the dictionaries (zh-CN.ts, en.ts). */
export const zh = {
  'error.NETWORK_TIMEOUT': '服务器没有及时响应，请检查网络后重试。',
  'kioskOffline.since': '自 {time} 起离线',
  'kioskOffline.cachedState': '正在使用本机保存的课表',
};

export const en: typeof zh = {
  'error.NETWORK_TIMEOUT': 'The server did not answer in time. Check the network and try again.',
  'kioskOffline.since': 'Offline since {time}',
  'kioskOffline.cachedState': 'Showing the timetable saved on this station',
};
