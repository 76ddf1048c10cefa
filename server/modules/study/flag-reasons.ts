/**
 * What each study flag means, in words a unit admin can act on when a cadre disputes a figure
 * (docs/crediting-rules.md has the rules behind them). A flag records an attempt and the seconds
 * it was refused; honest learners on a bad link or with a wrong clock get none.
 */
export const flagReasons: Record<string, { zh: string; en: string }> = {
  'parallel-sessions': { zh: '同一时间已在另一页面、设备、直播或终端站点计入学时,重叠部分未计', en: 'The same time was already credited to another page, device, live room or station; the overlap was not credited' },
  'too-fast': { zh: '播放进度快于允许的倍速(或一次跳过过多),超出部分未计', en: 'The media advanced faster than the allowed rate (or jumped); the excess was not credited' },
  'clock-fast': { zh: '电脑时钟走得比实际时间快,多报的时间未计', en: "The PC's clock ran faster than real time; the extra time was not credited" },
  'not-delivered': { zh: '报告观看的视频片段未完整下载到此播放,未计', en: 'The media reported as watched was not downloaded in full by this playback; not credited' },
  'rate-too-high': { zh: '播放倍速高于允许值,期间未计', en: 'Playback rate above the allowed maximum; not credited meanwhile' },
  'attention-missed': { zh: '随机签到未按时回答,期间暂停计时', en: 'An attention check was not answered in time; counting paused meanwhile' },
  'too-old': { zh: '离线记录早于保留期限,无法核对,未计', en: 'Offline records older than the retention period cannot be checked; not credited' },
  'many-accounts-one-device': { zh: '同一设备当天登录了多个账号学习', en: 'Several accounts studied from the same device on one day' },
  'checkin-burst': { zh: '同一签到二维码在数秒内被多个账号使用', en: 'One check-in QR code was used by many accounts within seconds' },
  'checkin-foreign-network': { zh: '签到来自与终端站点不同的网络', en: "Check-in came from a network other than the station's" },
  'present-elsewhere': { zh: '同一时间在两个地方学习(终端站点与其他站点或个人学习)', en: 'Present in two places at once (a station and another station or individual study)' },
};

export function flagReason(kind: string): { zh: string; en: string } {
  return flagReasons[kind] ?? { zh: kind, en: kind };
}
