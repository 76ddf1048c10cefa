/** Domain errors of class timetables and attendance, each with a stable code and, for bad input, the field. */
import { AppError, errors } from '../../errors';

const bad = (code: string, field: string, zh: string, en: string) => new AppError(400, code, zh, en, { field });

const fieldText: Record<string, [string, string]> = {
  TRAINING_SESSION_LECTURE_REQUIRED: ['请选择课程', 'Choose the lecture'],
  TRAINING_SESSION_DUE_REQUIRED: ['请填写观看截止日期', 'Give the day to watch it by'],
  TRAINING_SESSION_TIMES_REQUIRED: ['请填写开始和结束时间', 'Give the start and end times'],
  TRAINING_SESSION_BAD_TIMES: ['结束时间须晚于开始时间', 'The end must be after the start'],
  TRAINING_SESSION_OUTSIDE_CLASS: ['课程时间须在培训班起止日期内', 'The session must fall within the class’s days'],
  TRAINING_SESSION_VENUE_REQUIRED: ['请填写上课地点', 'Give the venue'],
  TRAINING_SESSION_PLACE_REQUIRED: ['请填写教学点(村、社区或基地)', 'Give the village, community or site'],
};

export const sessionErrors = {
  field: (code: string, field: string) => {
    const [zh, en] = fieldText[code] ?? ['输入有误', 'Invalid input'];
    return bad(code, field, zh, en);
  },
  sessionNotFound: () => errors.notFound('课程安排', 'Session'),
  badLecture: () => bad('TRAINING_SESSION_BAD_LECTURE', 'lectureId', '所选课程不存在或类型不符', 'The lecture does not exist or is of the wrong kind'),
  notPresence: () => errors.conflict('TRAINING_SESSION_NOT_PRESENCE', '该课程不需要现场签到', 'This session is not attended in person'),
  codeInvalid: () => new AppError(400, 'TRAINING_CHECKIN_INVALID', '签到码无效', 'This check-in code is not valid'),
  codeExpired: () => new AppError(400, 'TRAINING_CHECKIN_EXPIRED', '签到码已过期,请扫描最新的二维码', 'The code has expired; scan the current one'),
  notOn: () => errors.conflict('TRAINING_SESSION_NOT_ON', '不在签到时间内(开课前 30 分钟至结束后 1 小时)', 'Outside the attendance window (30 min before to 1 h after)'),
  notEnrolled: () => new AppError(403, 'TRAINING_NOT_IN_CLASS', '您不在该培训班学员名单中', 'You are not on this class’s roster'),
  outBeforeIn: () => errors.conflict('TRAINING_CHECKOUT_BEFORE_CHECKIN', '签退时间早于签到时间', 'The check-out is before the check-in'),
  unknownPerson: () => new AppError(400, 'TRAINING_UNKNOWN_PERSON', '名单中没有此人', 'This person is not on the roster'),
  hasAttendance: () => errors.conflict('TRAINING_SESSION_HAS_ATTENDANCE', '已有签到记录,不能删除', 'Attendance has been recorded: it cannot be deleted'),
};
