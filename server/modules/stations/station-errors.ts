/** Domain errors of stations, check-ins and the timetable: a status, a stable code, zh and en messages. */
import { AppError } from '../../errors';

export const stationErrors = {
  unpaired: () => new AppError(401, 'STATION_UNPAIRED', '本终端尚未配对或配对已被撤销,请输入新的配对码', 'This station is not paired (or its pairing was revoked); enter a new pairing code'),
  pairingInvalid: () => new AppError(400, 'PAIRING_CODE_INVALID', '配对码不正确或已使用', 'The pairing code is wrong or was already used'),
  pairingExpired: () => new AppError(410, 'PAIRING_CODE_EXPIRED', '配对码已过期,请管理员重新生成', 'The pairing code has expired; ask an administrator for a new one'),
  stationDisabled: () => new AppError(409, 'STATION_DISABLED', '该站点已停用', 'This station is disabled'),
  stationNotFound: () => new AppError(404, 'NOT_FOUND', '站点不存在', 'Station not found'),
  unitNotFound: () => new AppError(404, 'NOT_FOUND', '所属单位不存在', 'Unit not found'),
  sessionNotFound: () => new AppError(404, 'SESSION_NOT_FOUND', '课表中没有这场课程', 'No such session in the timetable'),
  noSession: () => new AppError(409, 'NO_SESSION', '当前没有正在进行的空中课堂', 'No session is on at this station now'),
  notInSession: () => new AppError(409, 'NOT_IN_SESSION', '不在本场课程的签到时间内', 'This session is not open for check-in now'),
  checkinInvalid: () => new AppError(400, 'CHECKIN_INVALID', '签到二维码无效,请扫描站点屏幕上的二维码', 'Invalid check-in code; scan the code on the station screen'),
  checkinExpired: () => new AppError(410, 'CHECKIN_EXPIRED', '签到二维码已过期,请重新扫描', 'The check-in code has expired; scan it again'),
  atOtherStation: (station: { id: string; name: string }) =>
    new AppError(409, 'AT_OTHER_STATION', `该学员正在「${station.name}」参加学习,请先在该站点签退`, `This learner is present at "${station.name}"; check them out there first`, { stationId: station.id, stationName: station.name }),
  notCheckedIn: () => new AppError(409, 'NOT_CHECKED_IN', '您尚未在本站点签到，无需签退', 'You are not checked in at this station'),
  rosterClosed: () => new AppError(409, 'ROSTER_CLOSED', '只能在课程开始后、结束 24 小时内确认名单', 'The roster can be confirmed from the session start until 24 hours after its end'),
  userNotFound: () => new AppError(404, 'USER_NOT_FOUND', '没有这个用户', 'No such user'),
  notALearner: () => new AppError(403, 'NOT_A_LEARNER', '终端站点账号不能签到', 'A station account cannot check in'),
  noStations: () => new AppError(400, 'NO_STATIONS', '没有选中任何站点', 'No station matches the selection'),
  mediaNotReady: () => new AppError(409, 'MEDIA_NOT_READY', '课程视频尚未处理完成', 'The lecture media is not ready yet'),
  notSchedulable: () => new AppError(409, 'NOT_SCHEDULABLE', '只有已发布的课程可以排课', 'Only published lectures can be scheduled'),
  conflicts: (details: unknown) => new AppError(409, 'SCHEDULE_CONFLICT', '所选站点在该时段已有课程', 'A selected station already has a session at that time', details),
  notScheduledHere: () => new AppError(403, 'NOT_SCHEDULED_HERE', '本站点课表中没有这门课程', 'This lecture is not scheduled at this station'),
  calendarKey: () => new AppError(403, 'CALENDAR_KEY_INVALID', '日历链接无效', 'Invalid calendar link'),
};
