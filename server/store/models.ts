/** Registers every model on one connection, so each app (and each test) has its own. */
import type { Connection } from 'mongoose';
import { defineSessionModel } from '../modules/auth/session.model';
import { defineLectureModel } from '../modules/catalog/lecture.model';
import { defineJobModel } from '../modules/jobs/job.model';
import { defineNoticeModel } from '../modules/notices/notice.model';
import { defineReminderRunModel } from '../modules/notices/reminder-run.model';
import { defineStudyModels } from '../modules/study/study.model';
import { defineInstitutionModel, defineOrgUnitModel } from '../modules/org/org.model';
import { defineUserModel } from '../modules/users/user.model';
import { defineStationModels } from '../modules/stations/station.model';
import { defineRosterImportModel } from '../modules/roster-import/roster-import.model';
import { definePlanModels } from '../modules/plans/plan.model';
import { defineRecordExportModel } from '../modules/study-record/study-record.model';
import { defineTrainingModels } from '../modules/training/training.model';
import { defineTrainingSessionModels } from '../modules/training/session.model';
import { defineEvaluationModels } from '../modules/evaluation/evaluation.model';
import { defineQuizModels } from '../modules/quiz/quiz.model';
import { defineExternalImportModels } from '../modules/training/external-import.model';
import { defineCountyReminderModel, defineCountyTallyModel } from '../modules/county/county.model';
import { defineAssessmentModels } from '../modules/assessment/assessment.model';

export function defineModels(conn: Connection) {
  return {
    User: defineUserModel(conn),
    Session: defineSessionModel(conn),
    OrgUnit: defineOrgUnitModel(conn),
    Institution: defineInstitutionModel(conn),
    Lecture: defineLectureModel(conn),
    Job: defineJobModel(conn),
    NoticeBox: defineNoticeModel(conn),
    ReminderRun: defineReminderRunModel(conn),
    ...defineStudyModels(conn),
    // Terminal stations and the air classroom (server/modules/stations).
    ...defineStationModels(conn),
    RosterImport: defineRosterImportModel(conn),
    // Learning-plan assignments (server/modules/plans).
    ...definePlanModels(conn),
    // Unit exports of the printable study record (server/modules/study-record).
    StudyRecordExport: defineRecordExportModel(conn),
    // Training classes, enrolments and external training hours (server/modules/training).
    ...defineTrainingModels(conn),
    // A class's timetable and attendance at its sessions.
    ...defineTrainingSessionModels(conn),
    // Course and class evaluations (教学评估), anonymous, with their tallies.
    ...defineEvaluationModels(conn),
    // Question banks, attempts and held credits of the effectiveness evaluation (server/modules/quiz).
    ...defineQuizModels(conn),
    // Batch imports of external training hours.
    ...defineExternalImportModels(conn),
    // The yearly result per cadre (实效测评结果): the rule per year and the roll-ups kept on write.
    ...defineAssessmentModels(conn),
    // County statistics kept on write (server/modules/county).
    CountyTally: defineCountyTallyModel(conn),
    CountyReminder: defineCountyReminderModel(conn),
  };
}
export type Models = ReturnType<typeof defineModels>;
